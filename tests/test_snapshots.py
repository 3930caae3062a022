"""Snapshot of every screen at 80x24 (and the densest at 120x40). Clock, codes, secrets and
cursor blink are frozen (tests/factory.py), so a change in a snapshot is a change on screen."""

from __future__ import annotations

import pytest

from tests.factory import app_at, make_app
from tests.states import advance_to
from wizard.steps import Step


@pytest.mark.parametrize("step", Step.ordered(), ids=lambda s: s.key)
def test_every_step_at_80x24(snap_compare, data_dir, step):
    assert snap_compare(app_at(data_dir, step), terminal_size=(80, 24))


@pytest.mark.parametrize("step", [Step.PROFILE, Step.PROOFING], ids=lambda s: s.key)
def test_densest_steps_at_120x40(snap_compare, data_dir, step):
    assert snap_compare(app_at(data_dir, step), terminal_size=(120, 40))


def test_authenticator_code_page(snap_compare, data_dir):
    assert snap_compare(app_at(data_dir, Step.TWO_FACTOR_VERIFY, "google_authenticator"), terminal_size=(80, 24))


def test_authenticator_qr_code(snap_compare, data_dir):
    assert snap_compare(
        app_at(data_dir, Step.TWO_FACTOR_VERIFY, "okta_verify"), terminal_size=(80, 24), press=["f3"]
    )


def test_manual_proofing_path(snap_compare, data_dir):
    flow = advance_to(data_dir, Step.PROOFING)
    for _ in range(2):
        flow.submit(Step.PROOFING, {"answers": [q.correct ^ 1 for q in flow.proofing_questions()],
                                    "not_a_robot": True})
    assert flow.needs_manual_proofing
    assert snap_compare(make_app(data_dir, flow.clock), terminal_size=(80, 24))


def test_profile_refused_with_messages(snap_compare, data_dir):
    assert snap_compare(app_at(data_dir, Step.PROFILE), terminal_size=(80, 24), press=["ctrl+n"])


def test_help_dialog(snap_compare, data_dir):
    assert snap_compare(app_at(data_dir, Step.ORGANIZATIONS), terminal_size=(80, 24), press=["f1"])


def test_phone_with_code(snap_compare, data_dir):
    assert snap_compare(app_at(data_dir, Step.TWO_FACTOR_VERIFY), terminal_size=(80, 24), press=["f2"])


def test_user_id_confirmation(snap_compare, data_dir):
    from tests.factory import account_form
    from tests.pilot_helpers import fill

    async def run_before(pilot):
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, form)
        await pilot.press("ctrl+n")
        await pilot.pause()

    assert snap_compare(app_at(data_dir, Step.ACCOUNT), terminal_size=(80, 24), run_before=run_before)
