"""Pilot tests of the HARP self-service pages at 80x24, keyboard only (issue 19, items 1-3):
Forgot User ID / Forgot password from the sign-in pages, the HARP account page from the user
menu, and "email already exists" on the Profile page."""

from __future__ import annotations

from textual.widgets import Static

from screens.harp_account import HarpAccountScreen
from screens.recovery import RecoveryScreen
from tests.factory import CHALLENGE_ANSWER, PASSWORD, PROFILE, USER_ID, make_app
from tests.pilot_helpers import error_of, fill, message_of, next_page
from tests.states import advance_to
from wizard.hashing import verify_secret
from wizard.steps import Step
from wizard.store import Store

NEW_PASSWORD = "Brand-New-Pass-77q"


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def tab_to(pilot, widget_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if pilot.app.focused is not None and pilot.app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id} (at {pilot.app.focused})")


def side_message(app) -> str:
    return str(app.screen.query_one("#side-message", Static).render())


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


def mails(data_dir, subject: str) -> list[dict]:
    return [m for m in Store(data_dir).mailer.messages(to=PROFILE["email"]) if m.get("subject") == subject]


async def test_forgot_user_id_and_password_from_iqies_sign_in(data_dir, clock):
    """... and the new password, the answers typed (right and wrong) and the reset codes are
    not on disk after it (database, log, Maildir): tests/test_secrets.py's check of these pages."""
    from tests.test_secrets import assert_no_secret_on_disk, logged_to_disk

    with logged_to_disk(data_dir):
        codes = await forgot_user_id_and_password(data_dir, clock)
    assert_no_secret_on_disk(data_dir, [NEW_PASSWORD, CHALLENGE_ANSWER, "wrong answer", *codes])


async def forgot_user_id_and_password(data_dir, clock) -> list[str]:
    """The walk; returns the reset codes it typed."""
    codes = []
    advance_to(data_dir, Step.IQIES_SIGN_IN, clock=clock)
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, RecoveryScreen)
        await type_text(pilot, PROFILE["email"])
        await tab_to(pilot, "send-user-id")
        await pilot.press("enter")
        await pilot.pause()
        assert "was sent there" in side_message(app)
        assert USER_ID not in screen_text(app)  # never shown on screen
        assert mails(data_dir, "Your HARP User ID")
        await tab_to(pilot, "fpw-user_id")
        await type_text(pilot, USER_ID)
        await tab_to(pilot, "send-reset-code")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused.id == "fpw-challenge_answer"
        await type_text(pilot, "wrong answer")
        await pilot.press("enter")  # Enter goes to the next field
        codes.append(app.flow.code_on_phone())
        await type_text(pilot, codes[-1])
        await tab_to(pilot, "fpw-new_password")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await tab_to(pilot, "reset-password")
        await pilot.press("enter")
        await pilot.pause()
        assert "User ID, challenge answer or code is not right" in side_message(app)
        assert app.screen.query_one("#fpw-challenge_answer").value == ""  # secrets cleared
        await tab_to(pilot, "send-reset-code")
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "Blue Bicycle")
        await pilot.press("tab")
        codes.append(app.flow.code_on_phone())
        await type_text(pilot, codes[-1])
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await tab_to(pilot, "reset-password")
        await pilot.press("enter")
        await pilot.pause()
        assert "password was reset" in side_message(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecoveryScreen)
        # the open wizard holds the new password (it never writes the old one back)
        assert verify_secret(app.flow.record.password_hash, NEW_PASSWORD)
        assert verify_secret(Store(data_dir).load_account()["password_hash"], NEW_PASSWORD)
        # and signing in with it works, on the same page
        app.flow.send_code()
        await fill(pilot, {"user_id": USER_ID, "password": NEW_PASSWORD, "code": app.flow.code_on_phone()})
        await next_page(pilot)
        await pilot.pause(0.3)
        assert app.screen.STEP != Step.IQIES_SIGN_IN, message_of(pilot)
    return codes


async def test_forgot_page_opens_from_the_two_factor_setup_login(data_dir, clock):
    advance_to(data_dir, Step.TWO_FACTOR_SETUP, clock=clock)
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, RecoveryScreen)
        await pilot.press("f2")  # the inbox, over the page
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP == Step.TWO_FACTOR_SETUP


async def test_harp_account_page_from_the_user_menu(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    app = make_app(data_dir, clock, signed_in=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await tab_to(pilot, "user-menu")
        await pilot.press("enter")
        await pilot.pause()
        await tab_to(pilot, "menu-harp-account")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HarpAccountScreen)
        assert app.screen.query_one("#pf-email").value == PROFILE["email"]
        await tab_to(pilot, "pw-old_password")
        await type_text(pilot, PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await tab_to(pilot, "change-password")
        await pilot.press("enter")
        await pilot.pause()
        assert "password was changed" in side_message(app)
        assert verify_secret(app.flow.record.password_hash, NEW_PASSWORD)
        # the last device cannot go; a second one can be added, then one removed
        await tab_to(pilot, "remove-device-0")
        await pilot.press("enter")
        await pilot.pause()
        assert "only two-factor device" in side_message(app)
        await tab_to(pilot, "dev-device_type")
        await pilot.press("enter", "down", "enter")  # open the list, the first choice
        await pilot.pause()
        await tab_to(pilot, "dev-phone")
        await type_text(pilot, "6145550199")
        await tab_to(pilot, "add-device")
        await pilot.press("enter")
        await pilot.pause()
        assert "second device was added" in side_message(app), side_message(app)
        assert "555-0199" in str(app.screen.query_one("#devices-now").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP == Step.AWAIT_APPROVAL
        await pilot.press("ctrl+t")  # the key opens it too
        await pilot.pause()
        assert isinstance(app.screen, HarpAccountScreen)
    assert mails(data_dir, "Your HARP password was changed")
    assert mails(data_dir, "A two-factor device was added to your HARP account")


async def test_email_already_exists_on_the_profile_page(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="earlier", user_id="earlier_pso")
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, PROFILE)
        await next_page(pilot)
        await pilot.pause(0.3)
        assert app.screen.STEP == Step.PROFILE
        assert "already exists" in message_of(pilot) + error_of(pilot, "email"), message_of(pilot)
        await pilot.press("ctrl+f")  # the recovery path it offers
        await pilot.pause()
        assert isinstance(app.screen, RecoveryScreen)
