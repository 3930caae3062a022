"""The wizard application: shows one screen per step, as the flow says.

The likely next step's page is built ahead (screens/ahead.py) once the current page has drawn
its first frame, so Next only shows an already-mounted page: at most one such page is kept."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, Iterable

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.widget import Widget

from screens import harp, iqies  # noqa: F401  (each step's own view registers itself: @view)
from screens.ahead import page_signature
from screens.base import STEP_LIST_WIDTH, StepScreen, screen_for
from screens.collector import CollectorHeld, freeze_what_start_up_loaded
from screens.errors import ClosesQuietly
from screens.keys import KeysInOrder
from screens.widgets import StepList
from wizard.flow import OnboardingFlow
from wizard.sanitize import clean_text
from wizard.steps import Step
from wizard.store import Store


class OnboardingApp(KeysInOrder, ClosesQuietly, CollectorHeld, App):
    TITLE = "iqies-onboard"
    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]
    WARM_UP_SECONDS = 0.3  # once the first page is up, what later pages need is imported between frames

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] | None = None,
        randbelow: Callable[[int], int] | None = None,
        totp_secret_factory: Callable[[], str] | None = None,
        seed_factory: Callable[[], str] | None = None,
        blink: bool = True,
        catch_errors: bool = True,
    ) -> None:
        super().__init__()
        self.init_closing(blink=blink, catch_errors=catch_errors)
        given = {"clock": clock, "randbelow": randbelow, "totp_secret_factory": totp_secret_factory,
                 "seed_factory": seed_factory}
        self.store = store
        self.flow = OnboardingFlow(store, **{k: v for k, v in given.items() if v is not None})

    def on_mount(self) -> None:
        freeze_what_start_up_loaded()  # before the first page: screens/collector.py
        self.push_screen(self.screen_for(self.flow.current_step))
        self.set_timer(self.WARM_UP_SECONDS, self.warm_up)
        # not at once: start-up ends with the first frame (bench/run.py's cold start), and the
        # first keys typed should not wait for the next page's build
        self.call_after_refresh(self._start_ahead)
        self.set_interval(self.AHEAD_RECHECK_SECONDS, self._recheck_ahead)
        if self.store.notice:
            self.notify(clean_text(self.store.notice), title="Progress recovered", severity="warning",
                        timeout=15, markup=False)

    def warm_up(self) -> None:
        """One module later pages need (flow.warm_up), then the next one a frame later."""
        if self.flow.warm_up(one=True):
            self.set_timer(0.02, self.warm_up)

    def screen_for(self, step: Step, message: str = "", kind: str = "info") -> StepScreen:
        return screen_for(step, self.flow, message, kind)  # its own view, or the spec's generic page

    def show_step(self, step: Step, message: str = "", kind: str = "info", warnings: list[str] | None = None) -> None:
        screen = self._take_ahead(step)
        if screen is None:
            self.switch_screen(self.screen_for(step, message, kind))
        else:
            screen.initial_message, screen.initial_kind = message, kind
            leaving = self.screen
            if isinstance(leaving, StepScreen) and not self.is_screen_installed(leaving):
                # removed after the new page's first frame, not before it: removing a page
                # makes Textual lay out the page shown again (App._prune), a frame later
                self.install_screen(leaving, f"leaving-{id(leaving)}")
                self.call_after_refresh(self._let_go, leaving)
            self.switch_screen(screen)
            screen.shown()  # its Mount handlers, now: keys typed after Next find its focus
        for warning in warnings or []:
            self.notify(clean_text(warning), title="Please note", severity="warning", timeout=12, markup=False)
        # once the new page has drawn its first frame (the key that asked for it is no typing)
        self._last_input = 0.0
        self.call_after_refresh(self.build_ahead)

    # --- the next page, built ahead ------------------------------------------------------------

    ahead_enabled = True  # a test turns it off to compare with a page built fresh
    # How often, while the user is on a page, the page built ahead is compared with what a fresh
    # one would compose (an organization added since, a code sent): built again if it differs.
    AHEAD_RECHECK_SECONDS = 1.0
    AHEAD_START_DELAY = 0.6  # seconds after the first page's first frame (after the warm-up's start)
    AHEAD_IDLE = 0.2  # a build waits until no key or click came for this long (tests set 0)
    _last_input = 0.0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste, events.MouseDown)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _typing(self) -> bool:
        """Whether the user typed a moment ago: the page built ahead waits (its build holds the
        UI thread for a few tens of ms; keys typed then would wait for it)."""
        return time.monotonic() - self._last_input < self.AHEAD_IDLE
    _ahead: tuple[StepScreen, tuple] | None = None  # the page built ahead and what it composed

    def _start_ahead(self) -> None:
        if self.AHEAD_START_DELAY > 0:
            self.set_timer(self.AHEAD_START_DELAY, self.build_ahead)
        else:
            self.build_ahead()

    def build_ahead(self) -> None:
        """Compose and mount the current step's likely next page off the screen stack."""
        if not self.ahead_enabled or not self.screen_stack or not self.is_running:
            return
        if self.checks_pending:  # a check's thread is changing the flow: once its outcome shows
            self.set_timer(max(self.AHEAD_IDLE, 0.02), self.build_ahead)
            return
        current = self.screen
        if not isinstance(current, StepScreen):
            return
        if self._typing():
            self.set_timer(self.AHEAD_IDLE, self.build_ahead)
            return
        step = current.STEP.next
        if self._ahead is not None:
            if self._ahead[0].STEP == step:
                return
            self._drop_ahead()
        if step is None:
            return
        page = self.screen_for(step)
        try:
            signature = page_signature(self.screen_for(step))
        except Exception:  # noqa: BLE001 - the step is not reached yet (no 2FA device): built on Next
            return
        page.built_ahead = True
        self._ahead = (page, signature)
        # private: Textual's own way to start a screen that is not on the stack (switch_screen
        # then accepts it as running); textual is pinned, tests/test_next_prebuilt.py checks it
        self._get_screen(page)

    def _recheck_ahead(self) -> None:
        if self._ahead is None or not self.screen_stack or not isinstance(self.screen, StepScreen):
            return  # (no screen: the app is closing)
        if self.checks_pending:
            return  # a check's thread is changing the flow: the next tick looks
        page, signature = self._ahead
        if not page.ready or self._typing():
            return
        try:
            same = page_signature(self.screen_for(page.STEP)) == signature
        except Exception:  # noqa: BLE001 - cannot compose now: dropped, built on Next
            same = False
        if not same:
            self._drop_ahead()
            self.build_ahead()

    def _take_ahead(self, step: Step) -> StepScreen | None:
        """The page built ahead for ``step``, if it still composes what a fresh one would."""
        if self._ahead is None or self._ahead[0].STEP != step:
            return None
        page, signature = self._ahead
        self._ahead = None
        try:
            same = page_signature(self.screen_for(step)) == signature
        except Exception:  # noqa: BLE001 - a fresh page cannot compose either: let it say so
            same = False
        if same and page.ready and page.query_one(StepList).show_states(self.flow.step_states()):
            return page
        page.remove()
        return None

    def _let_go(self, page: StepScreen) -> None:
        if page in self.screen_stack:  # still on the stack (under a dialog): a frame later
            self.call_after_refresh(self._let_go, page)
            return
        self.uninstall_screen(page)
        page.remove()

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            page, self._ahead = self._ahead[0], None
            page.remove()

    # Hooks for trainer mode (screens/demo.py): the wizard itself adds nothing to a page.
    step_list_width = STEP_LIST_WIDTH  # the step list shows from this window width on

    def step_extras(self, screen: StepScreen) -> Iterable[Widget]:
        """Widgets a step screen shows beside its form."""
        return ()

    def prefill(self, screen: StepScreen) -> None:
        """Called when a step screen has filled its fields from the draft, before focus moves."""

    def action_quit(self) -> None:
        screen = self.screen
        if isinstance(screen, StepScreen):
            screen.flow.save_draft(screen.STEP, screen.collect())
        self.exit()
