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


class logged_to_disk:
    """The support log written into ``data_dir`` while the block runs (as the command line
    sets it up), closed after it, so what it wrote can be read back."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __enter__(self) -> "logged_to_disk":
        from wizard.store import prepare_data_dir

        setup_logging(prepare_data_dir(self.data_dir))
        return self

    def __exit__(self, *exc) -> None:
        import logging

        for handler in list(logging.getLogger("iqies_onboard").handlers):
            logging.getLogger("iqies_onboard").removeHandler(handler)
            handler.close()


def assert_no_secret_on_disk(data_dir: Path, secrets: list[str]) -> None:
    _assert_clean(_files(data_dir), secrets)


# The happy path through the screens leaves no typed secret on disk: checked at the end of
# tests/test_pilot_happy_path.py's walk (its log written too), not by walking it a second time.


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


def test_self_service_pages_leave_no_new_secret_on_disk(data_dir, clock):
    """Forgot password and the HARP account page (issue 19): the new passwords, the answers typed
    (right and wrong) and the reset codes are never in the database, the log or the Maildir in
    clear. The pages through the screens (Forgot User ID and password, with a wrong answer) are
    checked at the end of tests/test_pilot_self_service.py's walk; here the same services for
    a second trainee, through the domain."""
    from wizard.catalogue import challenge_questions
    from wizard.harp_account import HarpAccount
    from wizard.recovery import Recovery
    from wizard.store import Store

    with logged_to_disk(data_dir):
        flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="second", user_id="second_pso",
                          person={"email": "second@sunnyacres.org", "email_confirm": "second@sunnyacres.org"})
        service = Recovery(Store(data_dir, practice_account="second"), clock)
        service.send_code("second_pso")
        code = flow.code_on_phone()
        assert service.reset_password("second_pso", "wrong answer", code, "Reset-Secret-91z",
                                      "Reset-Secret-91z")[0] is False
        service.send_code("second_pso")
        code = flow.code_on_phone()
        assert service.reset_password("second_pso", CHALLENGE_ANSWER, code, "Reset-Secret-91z",
                                      "Reset-Secret-91z")[0]
        page = HarpAccount(flow.__class__(flow.store, clock=clock))
        assert page.change_password("Reset-Secret-91z", "Changed-Secret-92y", "Changed-Secret-92y")[0]
        assert page.update_challenge("Changed-Secret-92y", challenge_questions()[1], "purple umbrella")[0]
    _assert_clean(_files(data_dir), [CHALLENGE_ANSWER, "wrong answer", code,
                                     "Reset-Secret-91z", "Changed-Secret-92y", "purple umbrella"])
