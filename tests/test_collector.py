"""The garbage collector kept out of Next (screens/collector.py): held from the press until the
new page has drawn, given back if nothing draws, and never left off when the app closes; and
what start-up loaded is frozen once per process, before any page exists."""

from __future__ import annotations

import gc
import threading

import pytest

from screens import collector
from screens.base import StepScreen
from tests.factory import PROFILE, app_at
from tests.pilot_helpers import fill, until_checked
from wizard.flow import OnboardingFlow
from wizard.steps import Step


@pytest.fixture(autouse=True)
def _collector_on_after():
    yield
    gc.enable()  # whatever a failing test left, the next test collects as usual


@pytest.fixture
def held_submit(monkeypatch: pytest.MonkeyPatch):
    """flow.submit waits in its thread until the test sets the event (at most 5 s)."""
    go = threading.Event()
    submit = OnboardingFlow.submit

    def waiting(self, step, form):
        go.wait(5)
        return submit(self, step, form)

    monkeypatch.setattr(OnboardingFlow, "submit", waiting)
    yield go
    go.set()


async def test_no_collection_from_next_until_the_new_page_has_drawn(data_dir, held_submit):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, PROFILE)
        assert gc.isenabled()
        await pilot.press_now("ctrl+n")
        await pilot.pause()
        assert app.checks_pending and not gc.isenabled()  # the check runs: no collection starts
        held_submit.set()
        await until_checked(pilot)
        await pilot.pause()
        assert app.screen.STEP == Step.ACCOUNT
        assert gc.isenabled()  # the account page drew: collections run again


async def test_a_refused_next_gives_the_collector_back(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")  # nothing filled: refused, the page stays
        await pilot.pause()
        assert app.screen.STEP == Step.PROFILE and gc.isenabled()


async def test_held_at_most_half_a_second_and_never_after_the_app_closed(data_dir, held_submit,
                                                                         monkeypatch):
    monkeypatch.setattr(type(app_at(data_dir, Step.PROFILE)), "HELD_AT_MOST", 0.05)
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        app.hold_collector()
        assert not gc.isenabled()
        await pilot.pause(0.15)  # no outcome ever came: given back anyway
        assert gc.isenabled()
        monkeypatch.setattr(type(app), "HELD_AT_MOST", 30.0)
        await fill(pilot, PROFILE)
        await pilot.press_now("ctrl+n")
        await pilot.pause()
        assert not gc.isenabled()
    held_submit.set()
    assert gc.isenabled()  # the app closed during the check: collections run again


def test_start_up_is_frozen_once_per_process(monkeypatch):
    frozen = []
    monkeypatch.setattr(collector, "_frozen", False)
    monkeypatch.setattr(collector.gc, "freeze", lambda: frozen.append(1))
    collector.freeze_what_start_up_loaded()
    collector.freeze_what_start_up_loaded()
    assert frozen == [1]


async def test_the_freeze_comes_before_the_first_page(data_dir, monkeypatch):
    pages_when_frozen = []
    monkeypatch.setattr(collector, "_frozen", False)
    app = app_at(data_dir, Step.PROFILE)
    monkeypatch.setattr(collector.gc, "freeze", lambda: pages_when_frozen.append(
        [s for s in app.screen_stack if isinstance(s, StepScreen)]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StepScreen)
    assert pages_when_frozen == [[]]  # once, with no page yet (a page dropped later is collected)
