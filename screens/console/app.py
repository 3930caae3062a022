"""The approver console app: the sign-in page first, then the queue; signing out lets go of
the signed-in account."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from textual.app import App
from textual.binding import Binding

from screens.keys import KeysInOrder
from screens.errors import ClosesQuietly
from wizard.approvals import Approvals, Reviewer
from wizard.sanitize import clean_text
from wizard.signin import ApproverSignIn
from wizard.store import Store
from screens.console.sign_in import SignInScreen
from screens.console.queue import QueueScreen

SCREENS_DIR = Path(__file__).resolve().parent.parent


class ApproverConsoleApp(KeysInOrder, ClosesQuietly, App):
    ERROR_WHERE = "console"
    TITLE = "iqies-onboard approver console"
    CSS_PATH = [SCREENS_DIR / "app.tcss", SCREENS_DIR / "console.tcss"]  # beside the other views' styles
    ENABLE_COMMAND_PALETTE = False  # its footer entry would crowd out the console's own keys
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] | None = None,
        randbelow: Callable[[int], int] | None = None,
        blink: bool = True,
        catch_errors: bool = True,
    ) -> None:
        super().__init__()
        self.init_closing(blink=blink, catch_errors=catch_errors)
        given = {"clock": clock, "randbelow": randbelow}
        self.store = store
        # the demo's own data directory (iqies-onboard approve --demo): every page says DEMO
        from wizard.demo import STATE_NAME

        self.demo = (store.data_dir / STATE_NAME).exists()
        if self.demo:
            self.title = "iqies-onboard approver console (DEMO)"
        self.signin = ApproverSignIn(store, **{k: v for k, v in given.items() if v is not None})
        self.approvals: Approvals = self.signin.approvals
        self.reviewer: Reviewer | None = None

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        if self.store.notice:
            self.notify(clean_text(self.store.notice), title="Progress recovered", severity="warning",
                        timeout=15, markup=False)

    def signed_in(self, reviewer: Reviewer) -> None:
        self.reviewer = reviewer
        self.switch_screen(QueueScreen())

    def sign_out(self) -> None:
        name = self.reviewer.name if self.reviewer else ""
        self.reviewer = None
        self.signin.sign_out()
        while len(self.screen_stack) > 2:  # the default screen, then ours
            self.pop_screen()
        self.switch_screen(SignInScreen(f"{name} signed out." if name else "", "info"))

    def action_quit(self) -> None:
        self.exit()

    def on_unmount(self) -> None:
        self.signin.sign_out()
