"""Snapshots of the approver console at 80x24: sign-in, the list (CMS, and a PSO with their own
request), a request with several organizations, and the rejection dialog. Clock, codes and
cursor blink are frozen; the requests are made headlessly (tests/states.py), so a change in a
snapshot is a change on screen."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import FROZEN_NOW, FrozenClock
from tests.test_console import (
    ALICE,
    BOB,
    OTHER_CCN,
    console,
    open_row,
    request_again,
    sign_in_cms,
    sign_in_pso,
    submitted,
    trainee,
)
from tests.factory import CCN
from tests.states import advance_to
from wizard.approvals import CMS_REVIEWER, Approvals, Reviewer
from wizard.steps import Step
from wizard.store import Store

SIZE = (80, 24)
CAROL = trainee("Carol", "Clark")
DAVE = trainee("Dave", "Diaz")
ALICE_AS_PSO = Reviewer("pso", "Alice Able", "alice.able@sunnyacres.org", "alice_pso")


def training_room(data_dir, alice: list | None = None) -> FrozenClock:
    """Three trainees' requests, made 3, 2 and 1 days before the frozen now: Alice (PSO, 015009),
    Bob (PSO, 015010), Carol (PSO, for 015009 and 015012). Alice's flow goes into ``alice``."""
    clock = FrozenClock(FROZEN_NOW - timedelta(days=3))
    flow = submitted(data_dir, clock, ALICE)
    if alice is not None:
        alice.append(flow)
    clock.advance(days=1)
    submitted(data_dir, clock, BOB, ccn="015010")
    clock.advance(days=1)
    carol = advance_to(data_dir, Step.ORGANIZATIONS, clock=clock, **CAROL)
    assert carol.add_organization("ccn", CCN).ok and carol.add_organization("ccn", OTHER_CCN).ok
    assert carol.submit(Step.ORGANIZATIONS, {}).ok and carol.submit(Step.REVIEW, {}).ok
    clock.advance(days=1)
    return clock


def test_sign_in(snap_compare, data_dir):
    assert snap_compare(console(data_dir, FrozenClock()), terminal_size=SIZE)


def test_cms_list(snap_compare, data_dir):
    clock = training_room(data_dir)

    async def run_before(pilot):
        await sign_in_cms(pilot)

    assert snap_compare(console(data_dir, clock), terminal_size=SIZE, run_before=run_before)


def test_pso_list_with_own_request(snap_compare, data_dir):
    alice: list = []
    clock = training_room(data_dir, alice)
    approvals = Approvals(Store(data_dir), clock)
    first = next(i for i in approvals.queue(CMS_REVIEWER) if i.request.requester == "Alice Able")
    approvals.decide(CMS_REVIEWER, first.request.id, CCN, True)
    submitted(data_dir, clock, DAVE)  # a second PSO for 015009, approved by Alice
    second = next(i for i in approvals.queue(ALICE_AS_PSO) if i.request.requester == "Dave Diaz")
    approvals.decide(ALICE_AS_PSO, second.request.id, CCN, True)
    request_again(alice[0], "pbj_viewer", CCN)

    async def run_before(pilot):
        # the list as Alice sees it: Carol's request for 015009 (not 015012's), and her own,
        # which Dave decides
        await sign_in_pso(pilot, "alice_pso")

    assert snap_compare(console(data_dir, clock), terminal_size=SIZE, run_before=run_before)


def test_detail_after_approving_one_organization(snap_compare, data_dir):
    clock = training_room(data_dir)

    async def run_before(pilot):
        await sign_in_cms(pilot)
        await open_row(pilot, "Carol Clark", OTHER_CCN)
        await pilot.press("a")
        await pilot.pause()
        # the cards are rebuilt; focus goes to the next organization's Approve, so a / r act there
        assert pilot.app.focused is not None and pilot.app.focused.has_class("approve")

    assert snap_compare(console(data_dir, clock), terminal_size=SIZE, run_before=run_before)


def test_reject_dialog_refuses_an_empty_reason(snap_compare, data_dir):
    clock = training_room(data_dir)

    async def run_before(pilot):
        await sign_in_cms(pilot)
        await open_row(pilot, "Bob Baker", "015010")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(console(data_dir, clock), terminal_size=SIZE, run_before=run_before)
