"""Next shows a page built ahead (screens/ahead.py): it must show exactly what a fresh page would.

Each page reached by Next is compared, as a user sees it (the whole screen) and as the code reads
it (step list, message, form, focus, Back), with the same page built fresh from the same flow.
Keys typed in a burst right after Next land in the new page's first field; Back and a refused
Next still work; at most one page waits; and the private parts of Textual it relies on are
checked here, so a Textual upgrade that changes them fails this file first."""

from __future__ import annotations

from typing import Any

import pytest

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from screens.ahead import page_signature
from screens.base import StepScreen
from tests.factory import CCN, PASSWORD, PROFILE, account_form
from tests.factory import app_at as _app_at
from tests.factory import make_app as _make_app
from tests.pilot_helpers import fill, message_of, step_of
from wizard.steps import Step


def app_at(*args, **kwargs):
    """tests/factory.app_at, the next page built as soon as the page has drawn (a user gets it
    once start-up is over, AHEAD_START_DELAY, and not while typing, AHEAD_IDLE)."""
    app = _app_at(*args, **kwargs)
    app.AHEAD_START_DELAY = app.AHEAD_IDLE = 0
    return app


def make_app(*args, **kwargs):
    app = _make_app(*args, **kwargs)
    app.AHEAD_START_DELAY = app.AHEAD_IDLE = 0
    return app


async def settle(pilot, times: int = 4) -> None:
    for _ in range(times):
        await pilot.pause()


def page_state(app) -> dict[str, Any]:
    """What the page shows and holds, as plain values."""
    screen = app.screen
    assert isinstance(screen, StepScreen)
    focused = app.focused
    message = screen.query_one("#form-message", Static)
    return {
        "view": type(screen).__name__,
        "step": screen.STEP.key,
        "steps": [(str(w.render()), sorted(w.classes)) for w in screen.query("#steps Static")],
        "message": (str(message.render()), sorted(message.classes)),
        "form": screen.collect(),
        "focused": (type(focused).__name__, focused.id, screen._field_of(focused)) if focused else None,
        "back": screen.query_one("#back", Button).display,
        "next": str(screen.query_one("#next", Button).label),
        "errors": [str(w.render()) for w in screen.query(".error")],
    }


def ahead_spares(app) -> list[Screen]:
    """Screens running off the stack (the page built ahead, if any)."""
    return [n for n in app._registry if isinstance(n, Screen) and n not in app.screen_stack
            and n.is_running]


class Walk:
    """One scripted walk, recorded after each Next: run with pages built ahead and without, in
    two data directories, it must record the same pages."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.pages: list[tuple[str, dict[str, Any], str]] = []
        self.ahead: dict[str, bool] = {}

    async def snap(self) -> None:
        app = self.pilot.app
        await settle(self.pilot)
        self.ahead[app.screen.STEP.key] = app.screen.built_ahead
        self.pages.append((app.screen.STEP.key, page_state(app), app.export_screenshot()))

    async def next(self, expect: Step, press: str = "ctrl+n") -> None:
        await self.pilot.press(press)
        await settle(self.pilot)
        assert step_of(self.pilot) == expect, (step_of(self.pilot), expect)
        await self.snap()


async def walked(make, script, size=(80, 24), recheck: float = 3600) -> tuple[Walk, Walk]:
    """``script(walk)`` run on ``make("ahead")`` and on ``make("fresh")`` (pages built fresh,
    as before); every page recorded must be the same in both. The page built ahead is checked
    again every ``recheck`` seconds (never, unless a test says so: a slow machine would
    otherwise decide which pages were built ahead)."""
    walks = []
    for kind in ("ahead", "fresh"):
        app = make(kind)
        app.ahead_enabled = kind == "ahead"
        app.AHEAD_RECHECK_SECONDS = recheck
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            walk = Walk(pilot)
            await walk.snap()
            await script(walk)
            walks.append(walk)
    ahead, fresh = walks
    assert [p[0] for p in ahead.pages] == [p[0] for p in fresh.pages]
    for (step, state, picture), (_, fresh_state, fresh_picture) in zip(ahead.pages, fresh.pages):
        assert state == fresh_state, step
        assert picture == fresh_picture, f"{step}: the screens differ"
    assert not any(fresh.ahead.values())
    return ahead, fresh


async def test_every_page_built_ahead_on_the_happy_path_is_the_page_a_fresh_one_would_be(data_dir):
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        app = pilot.app
        await fill(pilot, PROFILE)
        await walk.next(Step.ACCOUNT)
        await to_proofing(pilot)
        assert step_of(pilot) == Step.PROOFING
        await walk.snap()
        answers: dict[str, Any] = {f"q{i}": q.correct for i, q in enumerate(app.flow.proofing_questions())}
        await fill(pilot, {**answers, "not_a_robot": True})
        await walk.next(Step.TWO_FACTOR_SETUP)
        await fill(pilot, {"password": PASSWORD, "device_type": "sms", "phone": PROFILE["phone"]})
        await walk.next(Step.TWO_FACTOR_VERIFY)
        await fill(pilot, {"code": app.flow.code_on_phone()})
        await walk.next(Step.IQIES_SIGN_IN)
        await fill(pilot, {"password": PASSWORD})
        await pilot.click("#send-code")
        await settle(pilot)
        await fill(pilot, {"code": app.flow.code_on_phone()})
        await walk.next(Step.WELCOME)
        await walk.next(Step.CATEGORY)
        await fill(pilot, {"category": "provider"})
        await walk.next(Step.ROLE)
        await fill(pilot, {"relationship": "employee", "role": "pso"})
        await walk.next(Step.ORGANIZATIONS)
        await fill(pilot, {"search_for": CCN})
        await pilot.click("#add-org")
        await settle(pilot)
        await walk.next(Step.REVIEW)  # built ahead before the organization was added: refilled
        await walk.next(Step.AWAIT_APPROVAL)

    ahead, _ = await walked(lambda kind: make_app(data_dir / kind), script)
    # every page but the first is built ahead: 2FA verify fills in the device set up on the
    # page before, the review the organization just added, and Pending Requests the request just
    # sent, as they are shown (REFILLED_ON_SHOW); the walk above checked that each shows what a
    # fresh page would
    assert ahead.ahead == {"profile": False, "account": True, "proofing": True,
                           "two_factor_setup": True, "two_factor_verify": True,
                           "iqies_sign_in": True, "welcome": True, "category": True, "role": True,
                           "organizations": True, "review": True, "await_approval": True}


async def test_a_page_built_ahead_shows_its_draft_and_the_message_of_next(data_dir):
    """Back to Profile, then Next: Account's draft is filled in and its message shown on the page
    built ahead as on a fresh one."""
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        await fill(pilot, {"user_id": "ana.lopez1"})
        await walk.next(Step.PROFILE, "escape")  # Back: Account's draft is kept
        if pilot.app.ahead_enabled:
            assert [s.STEP for s in ahead_spares(pilot.app)] == [Step.ACCOUNT]
        await walk.next(Step.ACCOUNT)
        assert pilot.app.screen.query_one("#field-user_id").control.value == "ana.lopez1"
        assert "type them again" in message_of(pilot)

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.ACCOUNT), script)
    assert ahead.ahead == {"account": True, "profile": False} and len(ahead.pages) == 3


async def test_a_burst_typed_right_after_next_lands_in_the_new_pages_first_field(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill(pilot, PROFILE)
        assert [s.STEP for s in ahead_spares(app)] == [Step.ACCOUNT]
        # Next and the keys after it in one read, as a fast typist's terminal delivers them
        app.post_message(events.Key("ctrl+n", None))
        for ch in "ana.lopez1":
            app.post_message(events.Key(ch, ch))
        await settle(pilot)
        assert step_of(pilot) == Step.ACCOUNT and app.screen.built_ahead
        field = app.screen.query_one("#field-user_id").control
        assert app.focused is field and field.value == "ana.lopez1"


async def test_a_refused_next_stays_and_keeps_the_page_built_ahead_then_next_uses_it(data_dir):
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        app = pilot.app
        spare = ahead_spares(app)
        page = app.screen
        await walk.next(Step.CATEGORY)  # nothing chosen: refused, the page stays
        assert app.screen is page and "error" in page.query_one("#form-message").classes
        assert ahead_spares(app) == spare  # the same page still waiting
        if app.ahead_enabled:
            assert [s.STEP for s in spare] == [Step.ROLE]
        await fill(pilot, {"category": "provider"})
        await walk.next(Step.ROLE)
        assert not app.ahead_enabled or app.screen is spare[0]

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.CATEGORY), script)
    assert ahead.ahead == {"category": False, "role": True}


async def test_back_from_a_page_built_ahead_and_next_again(data_dir):
    async def script(walk: Walk) -> None:
        await walk.next(Step.CATEGORY)
        await fill(walk.pilot, {"category": "provider"})
        await walk.next(Step.WELCOME, "escape")
        await walk.next(Step.CATEGORY)
        assert walk.pilot.app.screen.collect()["category"] == "provider"  # the draft kept by Back

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.WELCOME), script)
    assert [p[0] for p in ahead.pages] == ["welcome", "category", "welcome", "category"]
    assert ahead.ahead["category"]


async def test_help_and_phone_open_over_a_page_built_ahead(data_dir):
    app = app_at(data_dir, Step.WELCOME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        page = app.screen
        assert page.built_ahead and page.STEP == Step.CATEGORY
        for key, dialog in (("f1", "HelpScreen"), ("f2", "PhoneScreen")):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == dialog
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is page


async def test_a_window_resized_while_the_page_waits_shows_it_at_the_new_size(data_dir):
    """The page built ahead was laid out at 80x24; the window then changes (and is too small for
    a while): the page shown after Next is laid out, styled and noticed as a fresh one."""
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        await pilot.resize_terminal(50, 12)
        await settle(pilot)
        await pilot.resize_terminal(64, 20)
        await settle(pilot)
        await walk.next(Step.CATEGORY)
        assert not pilot.app.screen.query_one("#steps").display  # narrower than the list needs
        assert not pilot.app.screen.too_small

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.WELCOME), script)
    assert ahead.ahead["category"]


async def test_trainer_mode_fills_a_page_built_ahead_from_the_persona(data_dir):
    from tests.test_demo import demo_app

    async def script(walk: Walk) -> None:
        await walk.next(Step.ACCOUNT)
        screen = walk.pilot.app.screen
        assert screen.query_one("#field-user_id").control.value  # the persona's
        assert screen.query("#presenter-notes")

    def make(kind: str):
        app = demo_app(data_dir / kind, "happy-path")
        app.AHEAD_START_DELAY = app.AHEAD_IDLE = 0
        return app

    ahead, _ = await walked(make, script, size=(100, 30))
    assert ahead.ahead["account"]


async def test_at_most_one_page_waits_and_it_is_the_next_step(data_dir):
    app = app_at(data_dir, Step.WELCOME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for step in (Step.CATEGORY, Step.ROLE):
            assert [s.STEP for s in ahead_spares(app)] == [step]
            if step == Step.CATEGORY:
                await pilot.press("ctrl+n")
            else:
                await fill(pilot, {"category": "provider"})
                await pilot.press("ctrl+n")
            await settle(pilot)
        assert [s.STEP for s in ahead_spares(app)] == [Step.ORGANIZATIONS]
        app.exit()
    assert not ahead_spares(app)


async def to_proofing(pilot) -> None:
    """The account page filled in, Next, and Yes on the User ID dialog."""
    form = account_form()
    form.pop("user_id_permanent_ok")
    await fill(pilot, form)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.click("#confirm-yes")
    await settle(pilot)


async def test_a_page_built_ahead_is_built_again_once_what_it_shows_changed(data_dir):
    """What the page waiting composes changed under it (here: an identity-proofing attempt
    counted, set directly): a moment later it is built again, and Next shows that one, as a
    fresh one would be."""
    from tests.pilot_helpers import wait_until

    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        app = pilot.app
        before = ahead_spares(app)
        app.flow.record.proofing_attempts = 1
        if app.ahead_enabled:
            assert [s.STEP for s in before] == [Step.PROOFING]
            await wait_until(pilot, lambda: ahead_spares(app) and ahead_spares(app) != before
                             and ahead_spares(app)[0].ready)
        await to_proofing(pilot)
        assert step_of(pilot) == Step.PROOFING
        await walk.snap()
        assert "1 of 2 attempts left" in " ".join(str(w.render()) for w in app.screen.query(".note"))

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.ACCOUNT), script, recheck=0.05)
    assert ahead.ahead == {"account": False, "proofing": True}


async def test_a_page_whose_composition_changed_is_built_fresh(data_dir):
    """The proofing page was built ahead before an attempt was counted: its signature no longer
    matches a fresh compose, so Next shows a fresh one, with the count as it is now."""
    app = app_at(data_dir, Step.ACCOUNT)
    app.AHEAD_RECHECK_SECONDS = 3600
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        spare = ahead_spares(app)
        assert [s.STEP for s in spare] == [Step.PROOFING]
        before = page_signature(app.screen_for(Step.PROOFING))
        app.flow.record.proofing_attempts = 1
        assert page_signature(app.screen_for(Step.PROOFING)) != before
        await to_proofing(pilot)
        assert step_of(pilot) == Step.PROOFING and app.screen is not spare[0]
        assert "1 of 2 attempts left" in " ".join(str(w.render()) for w in app.screen.query(".note"))
        assert not spare[0].is_attached


async def test_the_review_built_before_the_organization_was_added_shows_it(data_dir):
    """The review page waiting was built before the organization was added on the page: as it
    is shown it refills the request (REFILLED_ON_SHOW), so Next shows it, as a fresh one."""
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        app = pilot.app
        before = ahead_spares(app)
        await fill(pilot, {"search_for": CCN})
        await pilot.click("#add-org")
        await settle(pilot)
        if app.ahead_enabled:
            assert [s.STEP for s in before] == [Step.REVIEW] and ahead_spares(app) == before
        await walk.next(Step.REVIEW)
        assert "BURNS NURSING HOME" in " ".join(str(w.render()) for w in app.screen.query(".request"))
        if app.ahead_enabled:
            assert app.screen is before[0]

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.ORGANIZATIONS), script)
    assert ahead.ahead == {"organizations": False, "review": True}


def test_two_fresh_pages_have_the_same_signature_and_a_changed_text_does_not(data_dir):
    async def run() -> None:
        app = app_at(data_dir, Step.ROLE)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for step in Step.ordered():
                try:
                    a = page_signature(app.screen_for(step))
                except Exception:  # noqa: BLE001 - not composable yet (no 2FA device)
                    continue
                assert a == page_signature(app.screen_for(step)), step.key
            a = app.screen_for(Step.CATEGORY, "one message")
            b = app.screen_for(Step.CATEGORY)
            b.INTRO = "Another introduction."
            assert page_signature(a) != page_signature(b)

    import asyncio

    asyncio.run(run())


# --- the private parts of Textual this relies on (textual is pinned exactly) --------------------


def test_the_textual_internals_used_are_still_there():
    import inspect

    from textual.screen import Screen as TScreen

    # switch_screen takes a screen that is already running (App._get_screen, App._register)
    source = inspect.getsource(App._get_screen)
    assert "is_running" in source and "_register" in source
    assert "_get_screen" in inspect.getsource(App.switch_screen)
    # the Mount handlers looked up and run as Textual runs them
    assert list(inspect.signature(MessagePump._get_dispatch_methods).parameters) == ["self", "method_name", "message"]
    assert hasattr(MessagePump, "_context")
    assert "Mount" in inspect.getsource(MessagePump._pre_process)
    # layout and drawing off the stack, and a resume that may skip the restyle
    assert "size" in inspect.signature(TScreen._refresh_layout).parameters
    assert "refresh_styles" in inspect.getsource(TScreen._on_screen_resume)
    assert events.ScreenResume().refresh_styles is True
    assert "_css_update_count" in inspect.getsource(App._invalidate_css)
    from textual._compositor import Compositor

    assert "full" in inspect.signature(Compositor.render_update).parameters


async def test_an_input_on_a_page_built_ahead_takes_keys_once_shown(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill(pilot, PROFILE)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.built_ahead and isinstance(app.focused, Input)
        await pilot.press(*"abc")
        await settle(pilot)
        assert app.focused.value == "abc"


async def test_a_page_shown_by_next_draws_its_first_frame_at_once_not_at_the_next_tick(data_dir, monkeypatch):
    """The first frame of a page built ahead is drawn when the show's own work has run (its
    idle), not one frame tick later (Textual's screen update timer)."""
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill(pilot, PROFILE)
        page = ahead_spares(app)[0]
        drawn: list[tuple[Screen, bool]] = []
        display, in_idle = app._display, []

        def recorded(screen, renderable):
            if renderable is not None:
                drawn.append((screen, bool(in_idle)))
            display(screen, renderable)

        from screens.ahead import BuiltAhead

        on_idle = BuiltAhead.on_idle

        def idle(self, event):
            in_idle.append(1)
            try:
                on_idle(self, event)
            finally:
                in_idle.pop()

        app._display = recorded
        monkeypatch.setattr(BuiltAhead, "on_idle", idle)  # Textual looks handlers up on the class
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is page
        first = next(from_idle for screen, from_idle in drawn if screen is page)
        assert first, "the page's first frame waited for the frame tick"


async def test_a_page_is_styled_once_as_it_mounts_not_again_on_its_first_show(data_dir):
    """No widget is restyled before it mounts (it is styled when it mounts), and a page is not
    restyled whole when it is first shown (when the window size, theme or CSS changed between
    its mount and its show, it is: test_a_window_resized_while_the_page_waits...)."""
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        restyled: list[Any] = []
        original = app.update_styles

        def spy(node, animate=True):
            restyled.append(node)
            original(node, animate)

        app.update_styles = spy
        for step in Step.ordered():  # every page's widgets, composed and not mounted
            try:
                page_signature(app.screen_for(step))
            except Exception:  # noqa: BLE001 - not composable yet (no 2FA device)
                continue
        assert [type(n).__name__ for n in restyled if not n.is_attached] == []
        app.ahead_enabled = False  # a fresh page: its first show
        await fill(pilot, PROFILE)
        await pilot.press("ctrl+n")
        await settle(pilot)
        account = app.screen
        assert account.STEP == Step.ACCOUNT and account not in restyled


@pytest.mark.parametrize("device", ["google_authenticator", "voice"])
async def test_the_2fa_code_page_built_ahead_shows_the_device_set_up_on_the_page_before(data_dir, device):
    """2FA verify is built while 2FA setup is filled in, before any device exists; as it is
    shown it fills in the device just set up (an authenticator's key and QR button, or the
    phone a voice call went to), as a fresh page composes it."""
    async def script(walk: Walk) -> None:
        pilot = walk.pilot
        if pilot.app.ahead_enabled:
            assert [s.STEP for s in ahead_spares(pilot.app)] == [Step.TWO_FACTOR_VERIFY]
        form = {"password": PASSWORD, "device_type": device}
        if device == "voice":
            form["phone"] = PROFILE["phone"]
        await fill(pilot, form)
        await walk.next(Step.TWO_FACTOR_VERIFY)
        screen = pilot.app.screen
        assert screen.query_one("#manual-key").display is (device != "voice")
        assert screen.query_one("#resend").display is (device == "voice")
        assert ("voice call" if device == "voice" else "QR code") in str(
            screen.query_one("#device-note", Static).render())

    ahead, _ = await walked(lambda kind: app_at(data_dir / kind, Step.TWO_FACTOR_SETUP), script)
    assert ahead.ahead == {"two_factor_setup": False, "two_factor_verify": True}


async def test_a_page_resized_before_it_has_composed_waits_for_its_mount(data_dir):
    """A resize can reach a page being built ahead before its widgets exist (seen under load):
    it is fitted to the window when it mounts, not before (no error)."""
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        page = app.screen_for(Step.ACCOUNT)  # not composed, not mounted
        page.on_resize()
        page.fit_to_window()
        assert not page.too_small
