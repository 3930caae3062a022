"""The wizard application: shows one screen per step, as the flow says."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from textual.app import App
from textual.binding import Binding
from textual.widget import Widget

from screens import harp, iqies  # noqa: F401  (each step's own view registers itself: @view)
from screens.base import STEP_LIST_WIDTH, StepScreen, screen_for
from screens.errors import ClosesQuietly
from screens.keys import KeysInOrder
from wizard.flow import OnboardingFlow
from wizard.sanitize import clean_text
from wizard.steps import Step
from wizard.store import Store


class OnboardingApp(KeysInOrder, ClosesQuietly, App):
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
        self.push_screen(self.screen_for(self.flow.current_step))
        self.set_timer(self.WARM_UP_SECONDS, self.warm_up)
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
        self.switch_screen(self.screen_for(step, message, kind))
        for warning in warnings or []:
            self.notify(clean_text(warning), title="Please note", severity="warning", timeout=12, markup=False)

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
