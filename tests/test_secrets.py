"""No secret typed in the happy path is found, as bytes, in the data directory (database, log,
outbox) or in any snapshot file."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXED_TOTP_SECRET
from tests.factory import CHALLENGE_ANSWER, PASSWORD, make_app
from tests.states import advance_to
from tests import test_pilot_happy_path as happy
from wizard.log import setup_logging
from wizard.steps import Step

SNAPSHOTS = Path(__file__).parent / "__snapshots__"


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _assert_clean(files: list[Path], secrets: list[str]) -> None:
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            for form in {secret, secret.lower(), secret.upper()}:
                assert form.encode() not in data, f"{form!r} found in {path}"


async def test_happy_path_leaves_no_typed_secret_on_disk(data_dir, clock):
    import logging

    from wizard.store import prepare_data_dir

    setup_logging(prepare_data_dir(data_dir))
    await happy.test_happy_path_to_pending_requests(data_dir, clock)
    for handler in list(logging.getLogger("iqies_onboard").handlers):
        logging.getLogger("iqies_onboard").removeHandler(handler)
        handler.close()
    _assert_clean(_files(data_dir), [PASSWORD, CHALLENGE_ANSWER])


def test_authenticator_secret_is_not_stored_in_clear(data_dir):
    from wizard.store import prepare_data_dir

    setup_logging(prepare_data_dir(data_dir))
    advance_to(data_dir, Step.AWAIT_APPROVAL, device="google_authenticator")
    import logging

    for handler in list(logging.getLogger("iqies_onboard").handlers):
        logging.getLogger("iqies_onboard").removeHandler(handler)
        handler.close()
    _assert_clean(_files(data_dir), [PASSWORD, CHALLENGE_ANSWER, FIXED_TOTP_SECRET])


def test_snapshots_hold_no_typed_secret():
    # Passwords and answers are typed into the snapshot scenarios and must show only as dots.
    # (The authenticator page shows the test-only TOTP key by design: the user must read it.)
    _assert_clean(_files(SNAPSHOTS), [PASSWORD, CHALLENGE_ANSWER])


def test_every_file_in_the_data_directory_is_private(data_dir):
    import os
    import stat

    from wizard.store import prepare_data_dir

    setup_logging(prepare_data_dir(data_dir))
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, device="google_authenticator")
    flow.store.claim_wizard()
    import logging

    for handler in list(logging.getLogger("iqies_onboard").handlers):
        logging.getLogger("iqies_onboard").removeHandler(handler)
        handler.close()
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    names = set()
    for path in _files(data_dir):
        names.add(path.name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert {"onboarding.json", "secret.key", "iqies-onboard.log", ".wizard.lock"} <= names


def test_security_codes_are_not_in_the_database_in_clear(data_dir):
    flow = advance_to(data_dir, Step.IQIES_SIGN_IN)  # two codes sent by text message so far
    codes = [m["body"].split("code is ")[1][:6] for m in flow.messages() if m["kind"] == "sms"]
    assert len(codes) == 1 and codes[0].isdigit()
    flow.send_code()
    codes.append(flow.messages()[0]["body"].split("code is ")[1][:6])
    _assert_clean(_files(data_dir), codes)
    # the simulated phone still reads them
    assert all(any(c in m["body"] for m in flow.messages()) for c in codes)


async def test_self_service_pages_leave_no_new_secret_on_disk(data_dir, clock):
    """Forgot password and the HARP account page (issue 19): the new passwords, the answers typed
    (right and wrong) and the reset codes are never in the database, the log or the Maildir in
    clear."""
    import logging

    from tests import test_pilot_self_service as pages
    from wizard.catalogue import challenge_questions
    from wizard.harp_account import HarpAccount
    from wizard.recovery import Recovery
    from wizard.store import Store, prepare_data_dir

    setup_logging(prepare_data_dir(data_dir))
    await pages.test_forgot_user_id_and_password_from_iqies_sign_in(data_dir, clock)
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, profile="second", user_id="second_pso",
                      person={"email": "second@sunnyacres.org", "email_confirm": "second@sunnyacres.org"})
    service = Recovery(Store(data_dir, profile="second"), clock)
    service.send_code("second_pso")
    code = flow.code_on_phone()
    assert service.reset_password("second_pso", CHALLENGE_ANSWER, code, "Reset-Secret-91z", "Reset-Secret-91z")[0]
    page = HarpAccount(flow.__class__(flow.store, clock=clock))
    assert page.change_password("Reset-Secret-91z", "Changed-Secret-92y", "Changed-Secret-92y")[0]
    assert page.update_challenge("Changed-Secret-92y", challenge_questions()[1], "purple umbrella")[0]
    for handler in list(logging.getLogger("iqies_onboard").handlers):
        logging.getLogger("iqies_onboard").removeHandler(handler)
        handler.close()
    _assert_clean(_files(data_dir), [pages.NEW_PASSWORD, CHALLENGE_ANSWER, "wrong answer", code,
                                     "Reset-Secret-91z", "Changed-Secret-92y", "purple umbrella"])
