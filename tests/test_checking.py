"""Slow checks off the UI thread (screens/checking.py, screens/keys.py): with a hasher that waits
until the test lets it go (argon2id made slow on purpose), the page says "Checking..." after
100 ms, a second Next is refused, keys typed meanwhile land in order where they would have gone
(the next page's first field when the page moves on, the current field when a sign-in is
refused), Ctrl+Q waits for the check and quits cleanly with the draft kept, and the side pages'
password checks run the same way."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from textual.widgets import Button, Input, Static

from screens.base import StepScreen
from screens.checking import CHECKING
from tests.factory import PASSWORD, USER_ID, account_form, app_at
from tests.pilot_helpers import fill, message_of, until_checked
from wizard.steps import Step


class HeldHasher:
    """argon2id that, once ``hold()`` is called, waits for ``go`` before each hash or verify
    (at most 5 s): the pages set up before it hash as usual."""

    def __init__(self) -> None:
        from wizard import hashing

        self.real = hashing._password_hasher()
        self.go = threading.Event()
        self.held = False
        self.waiting = 0

    def hold(self) -> None:
        self.held = True

    def _wait(self) -> None:
        if self.held:
            self.waiting += 1
            self.go.wait(5)

    def hash(self, value: str) -> str:
        self._wait()
        return self.real.hash(value)

    def verify(self, stored: str, value: str) -> bool:
        self._wait()
        return self.real.verify(stored, value)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch):
    from wizard import hashing

    hasher = HeldHasher()
    monkeypatch.setattr(hashing, "_password_hasher", lambda: hasher)
    # the hashing a page prepares while typing pauses (tests/test_prepared_ahead.py) would be held
    # too, 5 s each, and Next would find it done: here Next's own check is the slow one
    monkeypatch.setattr(StepScreen, "PREPARE_DELAY", 3600.0)
    yield hasher
    hasher.go.set()  # no thread is left waiting


def count_submits(app) -> list:
    calls: list = []
    submit = app.flow.submit

    def counted(step, form):
        calls.append(step)
        return submit(step, form)

    app.flow.submit = counted  # the page calls the flow's submit from its worker thread
    return calls


async def until_waiting(pilot, hasher: HeldHasher) -> None:
    deadline = time.monotonic() + 10
    while not hasher.waiting:
        assert time.monotonic() < deadline, "the check never reached the hasher"
        await asyncio.sleep(0.005)


def next_label(app) -> str:
    return str(app.screen.query_one("#next", Button).label)


async def fill_inputs(pilot, values: dict[str, str]) -> None:
    for name, value in values.items():
        pilot.app.screen.query_one(f"#field-{name} Input", Input).value = value
    await pilot.pause()


async def wrong_sign_in_held(pilot, slow: HeldHasher, focus: str) -> Input:
    """iQIES sign-in filled with a wrong password, the hasher held from now on, ``focus``'s
    field focused (its Input returned): the page a refused sign-in is checked on."""
    await pilot.pause()
    slow.hold()
    await fill_inputs(pilot, {"user_id": USER_ID, "password": "Wrong-Horse-42x", "code": "000000"})
    field = pilot.app.screen.query_one(f"#field-{focus} Input", Input)
    field.focus()
    await pilot.pause()
    return field


async def test_checking_shows_and_a_second_next_is_refused(data_dir, slow):
    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(100, 50)) as pilot:  # Next in view, for the click
        await pilot.pause()
        slow.hold()
        submits = count_submits(app)
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, form)
        await pilot.press("ctrl+n")  # "Your User ID cannot be changed"
        await pilot.click_now("#confirm-yes")
        await until_waiting(pilot, slow)
        await pilot.pause(0.25)  # longer than 100 ms: the page says so
        assert CHECKING in message_of(pilot)
        assert next_label(app) == CHECKING
        assert app.screen.STEP == Step.ACCOUNT
        await pilot.press_now("ctrl+n")  # refused: one press, one submit
        await pilot.press_now("escape")  # Back is refused too
        await pilot.click_now("#next")  # and so is a click
        # the click moved focus off a field: its blur saves no draft while the check holds the
        # flow (it waited for the check before: the UI stood still until the hash was done)
        assert app.checks_pending and slow.waiting == 1
        slow.go.set()
        await until_checked(pilot)
        assert app.screen.STEP == Step.PROOFING
        assert submits == [Step.ACCOUNT]
        assert app.flow.record.user_id == USER_ID


async def test_keys_typed_during_the_check_land_in_the_next_pages_first_field(data_dir, slow):
    app = app_at(data_dir, Step.TWO_FACTOR_SETUP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        slow.hold()
        await fill(pilot, {"password": PASSWORD, "device_type": "sms", "phone": "(614) 555-0123"})
        await pilot.press_now("ctrl+n")  # the password is verified: held
        await until_waiting(pilot, slow)
        await pilot.press_now("1", "2", "x", "backspace", "3")
        assert app.screen.STEP == Step.TWO_FACTOR_SETUP  # nothing typed into this page meanwhile
        slow.go.set()
        await until_checked(pilot)
        assert app.screen.STEP == Step.TWO_FACTOR_VERIFY
        code = app.screen.query_one("#field-code Input", Input)
        assert app.focused is code
        assert code.value == "123"


async def test_a_refused_sign_in_keeps_the_keys_in_the_current_field(data_dir, slow):
    app = app_at(data_dir, Step.IQIES_SIGN_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        password = await wrong_sign_in_held(pilot, slow, "password")
        await pilot.press_now("ctrl+n")
        await until_waiting(pilot, slow)
        await pilot.press_now(*"abc")
        slow.go.set()
        await until_checked(pilot)
        assert app.screen.STEP == Step.IQIES_SIGN_IN and not app.flow.signed_in
        assert CHECKING not in message_of(pilot)  # (the refusal, cleared by the keys: it is typed again)
        assert app.focused is password
        assert password.value == "Wrong-Horse-42xabc"
        assert next_label(app) == "Sign in"  # the button's own label is back


async def test_an_enter_typed_during_the_check_does_not_submit_the_refused_page_again(data_dir, slow):
    app = app_at(data_dir, Step.IQIES_SIGN_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        submits = count_submits(app)
        code = await wrong_sign_in_held(pilot, slow, "code")
        await pilot.press_now("enter")  # Enter in the last field means Sign in
        await until_waiting(pilot, slow)
        await pilot.press_now("enter")  # typed while it checks: would mean Sign in again
        slow.go.set()
        await until_checked(pilot)
        assert submits == [Step.IQIES_SIGN_IN]
        assert app.focused is code


async def test_ctrl_q_during_the_check_quits_cleanly_and_keeps_the_draft(data_dir, slow):
    app = app_at(data_dir, Step.IQIES_SIGN_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        user_id = await wrong_sign_in_held(pilot, slow, "user_id")
        user_id.cursor_position = len(user_id.value)
        await pilot.pause()
        await pilot.press_now("ctrl+n")
        await until_waiting(pilot, slow)
        await pilot.press_now("x", "ctrl+q")  # a key, then Quit: both wait for the check
        assert app.is_running
        slow.go.set()
        deadline = time.monotonic() + 10
        while app.is_running:
            assert time.monotonic() < deadline, "Ctrl+Q did not quit"
            await asyncio.sleep(0.01)
    assert app.return_code == 0
    assert app._exception is None
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    draft = OnboardingFlow(Store(data_dir)).draft(Step.IQIES_SIGN_IN)
    assert draft.get("user_id") == USER_ID + "x"  # typed during the check, kept by Quit
    assert "password" not in draft


async def test_a_side_pages_password_change_checks_the_same_way(data_dir, slow):
    app = app_at(data_dir, Step.WELCOME)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        slow.hold()
        await pilot.press("ctrl+t")
        screen = app.screen
        assert screen.query("#pw-old_password")
        for widget_id, value in (("pw-old_password", PASSWORD), ("pw-new_password", "Brand-New-Horse-77q"),
                                 ("pw-new_password_confirm", "Brand-New-Horse-77q")):
            screen.query_one(f"#{widget_id}", Input).value = value
        button = screen.query_one("#change-password", Button)
        button.press()
        await until_waiting(pilot, slow)
        await pilot.pause(0.25)
        assert str(button.label) == CHECKING
        assert CHECKING in str(screen.query_one("#side-message", Static).render())
        await pilot.press_now("escape")  # Close is refused while it checks
        assert app.screen is screen
        slow.go.set()
        await until_checked(pilot)
        assert app.screen is screen
        assert "password was changed" in str(screen.query_one("#side-message", Static).render())
        assert str(button.label) == "Change password"
        assert screen.query_one("#pw-new_password", Input).value == ""  # secrets cleared after the try


async def test_an_error_in_the_checks_thread_closes_quietly_as_one_on_the_ui_thread(data_dir):
    from textual import events

    app = app_at(data_dir, Step.PROFILE)
    app.catch_errors = True  # as a user runs it: no traceback, a reference in the support log
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def broken(step, form):
            raise RuntimeError("boom inside the worker")

        app.flow.submit = broken  # called from the check's thread
        app.post_message(events.Key("ctrl+n", None))
        deadline = time.monotonic() + 10
        while not app.error_references:
            assert time.monotonic() < deadline, "the error was not handled"
            await asyncio.sleep(0.02)
    assert app.return_code == 1 and len(app.error_references) == 1
    assert not app.checks_pending  # the keys were let go


async def test_the_consoles_pso_sign_in_checks_the_same_way(data_dir, slow):
    """The approver console's PSO sign-in verifies an argon2id hash too: Checking... on its
    Sign in button and message line, a second press refused, then the queue."""
    from screens.console import ApproverConsoleApp, QueueScreen, SignInScreen
    from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
    from tests.states import advance_to
    from wizard import otp
    from wizard.approvals import CMS_REVIEWER, Approvals
    from wizard.store import Store

    clock = FrozenClock()
    email = "bob.baker@sunnyacres.org"
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="bob", user_id="bob_pso",
               person={"first_name": "Bob", "last_name": "Baker", "email": email, "email_confirm": email},
               device="google_authenticator")
    approvals = Approvals(Store(data_dir), clock)
    item = approvals.queue(CMS_REVIEWER)[0]
    approvals.decide(CMS_REVIEWER, item.request.id, item.org.ccn, True)
    clock.advance(seconds=30)  # a fresh time step: each code is accepted once
    app = ApproverConsoleApp(Store(data_dir), clock=clock, randbelow=SequentialCodes(654321), blink=False,
                             catch_errors=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        screen.field("user_id").value = "bob_pso"
        screen.field("password").value = PASSWORD
        screen.field("code").value = otp.totp_code(FIXED_TOTP_SECRET, clock())
        slow.hold()
        calls: list[str] = []
        sign_in = app.signin.sign_in
        app.signin.sign_in = lambda *args: (calls.append(args[0]), sign_in(*args))[1]  # type: ignore[method-assign]
        screen.query_one("#sign-in-pso", Button).focus()
        await pilot.press_now("enter")
        await until_waiting(pilot, slow)
        await pilot.pause(0.25)  # longer than 100 ms: the page says so
        assert str(screen.query_one("#sign-in-pso", Button).label) == CHECKING
        assert CHECKING in screen.message_text()
        await pilot.press_now("enter")  # refused: one press, one sign-in
        slow.go.set()
        await until_checked(pilot)
        assert isinstance(app.screen, QueueScreen), screen.message_text()
        assert calls == ["bob_pso"]


async def test_a_key_typed_before_the_next_page_showed_does_not_submit_it(data_dir):
    """Ctrl+N then Enter in one burst (one terminal read) on Organizations: the Enter, held
    while Next's check ran, lands on Review's Next button but submits nothing: a page is
    submitted only by a key typed once it could be seen."""
    from textual import events

    app = app_at(data_dir, Step.ORGANIZATIONS)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"015009", "enter")
        assert app.flow.record.request.organizations
        app.post_message(events.Key("ctrl+n", None))
        app.post_message(events.Key("enter", "\r"))
        await until_checked(pilot)
        await pilot.pause()
        assert app.screen.STEP == Step.REVIEW
        assert app.flow.record.last_submitted_request is None
        await pilot.press("ctrl+n")  # typed on the page as seen: it submits
        assert app.screen.STEP == Step.AWAIT_APPROVAL
