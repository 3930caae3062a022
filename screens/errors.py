"""What a user sees instead of a traceback."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from screens.widgets import KeyFooter


class ErrorApp(App[bool]):
    """Shown instead of a traceback after the wizard, the approver console or the demo (``what``)
    stopped on an unexpected error: what happened, that progress is kept, a reference id; Enter
    reopens it where it was (the loop is ``app.guard.run_reopening``)."""

    CSS = """
    Screen { align: center middle; }
    #error-dialog { width: 72; max-width: 100%; height: auto; border: thick $error; padding: 0 1; }
    #error-title { color: $error; }
    #error-body { margin: 1 0; }
    """
    BINDINGS = [
        Binding("enter", "reopen", "Reopen the wizard"),
        Binding("ctrl+q,q,escape", "leave", "Quit"),
    ]
    KEPT = {  # what is saved, by what stopped
        "wizard": "What you entered up to your last completed step is saved.",
        "approver console": "Every decision already made is saved.",
        "demo": "The demo's progress up to its last completed step is saved.",
    }

    def __init__(self, reference: str, log_path: str, what: str = "wizard") -> None:
        super().__init__()
        self.reference, self.log_path, self.what = reference, log_path, what
        if what != "wizard":  # the footer names what Enter reopens
            self._bindings.key_to_bindings["enter"] = [Binding("enter", "reopen", f"Reopen the {what}")]

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog"):
            yield Static(Text("Something went wrong", style="bold"), id="error-title")
            yield Static(
                f"The {self.what} stopped on an unexpected error (reference {self.reference}). "
                f"{self.KEPT.get(self.what, self.KEPT['wizard'])} The support log has the "
                f"details, without anything you typed: {self.log_path}",
                id="error-body",
                markup=False,
            )
            yield Static(f"Enter: reopen the {self.what} where you were    Q: quit", markup=False)
        yield KeyFooter()

    def action_reopen(self) -> None:
        self.exit(True)

    def action_leave(self) -> None:
        self.exit(False)


class ClosesQuietly:
    """For our Apps: never a traceback for a user (Textual's shows local variables, typed
    passwords among them). An error is logged with a reference and the app closes, keeping what
    was saved; ``app.guard.run_reopening`` then shows :class:`ErrorApp`. A data directory that can no longer be used
    ends the app with its one-line reason instead (``data_dir_problem``, exit code 2).
    Tests set ``catch_errors = False`` so that errors fail them loudly."""

    ERROR_WHERE = "app"  # names the app in the support log

    def init_closing(self, *, blink: bool, catch_errors: bool) -> None:
        """Call from the App's __init__."""
        self.blink = blink  # tests switch the cursor blink off so snapshots are stable
        # tests let errors through so they fail loudly; a user gets the error screen instead
        self.catch_errors = catch_errors
        self.error_references: list[str] = []

    def _handle_exception(self, error: Exception) -> None:
        if not getattr(self, "catch_errors", True):
            super()._handle_exception(error)  # type: ignore[misc]
            return
        from wizard.log import log_error
        from wizard.store import DataDirError

        if isinstance(error, DataDirError):
            self.data_dir_problem = str(error)
        else:
            # the widget whose handler failed stops processing messages, so the app cannot go
            # on safely: close it (as Textual does, minus the traceback)
            self.error_references.append(log_error(self.ERROR_WHERE, error))  # type: ignore[attr-defined]
        self._return_code = 2 if isinstance(error, DataDirError) else 1
        self._close_messages_no_wait()  # type: ignore[attr-defined]

