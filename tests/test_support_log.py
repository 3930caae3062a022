"""The support log, the error screen, login throttling and reopened steps."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import pytest
from textual import events

from tests.factory import CHALLENGE_ANSWER, PASSWORD, PROFILE, USER_ID, make_app
from tests.states import advance_to, new_flow
from wizard.log import LOG_NAME, setup_logging
from wizard.steps import Step


@pytest.fixture
def support_log(data_dir):
    from wizard.store import prepare_data_dir

    path = setup_logging(prepare_data_dir(data_dir))
    yield path
    logger = logging.getLogger("iqies_onboard")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_log_records_steps_and_refusals_by_field_name_only(data_dir, support_log):
    flow = advance_to(data_dir, Step.ACCOUNT)
    flow.submit(Step.ACCOUNT, {"user_id": "jdoe#pso", "password": "tiny-Secret-1"})
    text = support_log.read_text()
    assert "step frm=profile to=account" in text
    assert "refused step=account fields=user_id,password" in text
    assert "tiny-Secret-1" not in text and "jdoe#pso" not in text
    assert oct(support_log.stat().st_mode & 0o777) == "0o600"


def test_no_secret_in_the_log_after_the_whole_happy_path(data_dir, support_log):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, device="google_authenticator")
    from tests.conftest import FIXED_TOTP_SECRET

    text = support_log.read_bytes()
    for secret in (PASSWORD, CHALLENGE_ANSWER, FIXED_TOTP_SECRET, PROFILE["date_of_birth"]):
        assert secret.encode() not in text
    assert b"request_submitted role=pso organizations=1" in text
    assert flow.my_requests()


def test_edited_database_reopens_at_first_open_step_and_is_logged(data_dir, support_log):
    flow = advance_to(data_dir, Step.PROOFING)
    flow.record.position = Step.REVIEW.key
    flow.save()
    again = new_flow(data_dir)
    assert again.current_step == Step.PROOFING
    assert "step_reopened claimed=review reopened_at=proofing" in support_log.read_text()


def test_wrong_harp_passwords_lock_sign_in_and_survive_a_restart(data_dir, clock):
    flow = advance_to(data_dir, Step.TWO_FACTOR_SETUP, clock=clock)
    form = {"user_id": USER_ID, "password": "Wrong-Password-123", "device_type": "sms", "phone": PROFILE["phone"]}
    for _ in range(4):
        assert "User ID or password is not right" in flow.submit(Step.TWO_FACTOR_SETUP, form).message
    assert "locked" in flow.submit(Step.TWO_FACTOR_SETUP, form).message
    # a new process sees the same count and lock; the right password is refused without counting
    again = new_flow(data_dir, clock)
    right = {**form, "password": PASSWORD}
    refused = again.submit(Step.TWO_FACTOR_SETUP, right)
    assert not refused.ok and "locked" in refused.message
    assert again.record.login_throttle.failures == 5
    clock.advance(seconds=31)
    assert again.submit(Step.TWO_FACTOR_SETUP, right).ok
    assert again.record.login_throttle.failures == 0  # a success resets the count


async def test_an_unexpected_error_closes_quietly_and_the_error_app_explains(data_dir, support_log):
    from screens.errors import ErrorApp

    app = make_app(data_dir)
    app.catch_errors = True
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def broken(*_args, **_kwargs):
            raise RuntimeError("boom with Correct-Horse-42x inside")

        app.screen.action_help = broken  # type: ignore[method-assign]
        app.post_message(events.Key("f1", None))  # no waiting: the failed screen stops processing
        for _ in range(100):
            if app.error_references:
                break
            await asyncio.sleep(0.05)
    assert app.return_code == 1 and len(app.error_references) == 1
    ref = app.error_references[-1]

    error_app = ErrorApp(ref, "/tmp/x.log")
    async with error_app.run_test(size=(80, 24)) as pilot:
        shown = " ".join(str(w.render()) for w in error_app.screen.query("Static"))
        assert ref in shown and "saved" in shown and "Traceback" not in shown
        await pilot.press("enter")
    assert error_app.return_value is True
    text = support_log.read_text()
    assert f"error ref={ref}" in text and "RuntimeError" in text
    assert "Correct-Horse-42x" not in text  # the message could quote user input: not logged


def test_cli_logs_start_and_stop_in_the_data_directory(tmp_path):
    data = tmp_path / "d"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; "
         "import screens.app as a; a.OnboardingApp.run = lambda self: None; sys.exit(main(['--data-dir', sys.argv[1]]))",
         str(data)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = (data / LOG_NAME).read_text()
    assert "start version=" in text and "stop code=0" in text


def test_reopening_after_an_error_can_claim_the_data_directory_again(data_dir):
    from wizard.store import DataDirError, Store

    first = Store(data_dir)
    first.claim_wizard()
    with pytest.raises(DataDirError, match="already open"):
        Store(data_dir).claim_wizard()
    first.release_wizard()  # what the CLI does before reopening after ErrorApp
    Store(data_dir).claim_wizard()


def test_an_invalid_stored_account_is_kept_aside_not_dropped(data_dir):
    import json

    flow = advance_to(data_dir, Step.PROOFING)
    doc = flow.store.load_account()
    doc["proofing_attempts"] = "many"  # a field that no longer validates
    flow.store.save_account(doc)
    again = new_flow(data_dir)
    assert again.current_step == Step.PROFILE and "kept aside" in again.store.notice
    aside = [p for p in data_dir.iterdir() if p.name.startswith("onboarding.account-invalid-")]
    assert len(aside) == 1 and json.loads(aside[0].read_text())["user_id"] == USER_ID


def test_back_never_crosses_a_point_of_no_return(data_dir):
    flow = advance_to(data_dir, Step.TWO_FACTOR_VERIFY)
    assert flow.back(Step.TWO_FACTOR_VERIFY).ok  # to device setup: allowed
    refused = flow.back(Step.PROOFING)  # a stale page asking to go behind the created account
    assert not refused.ok and "already created" in refused.message
    assert flow.current_step == Step.TWO_FACTOR_SETUP
