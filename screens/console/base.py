"""What every page of the approver console shares: the top bar, the message line, F1 help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from screens.widgets import SANDBOX_LINE, HelpScreen, KeyFooter, plain, styled
from wizard.approvals import Approvals, Reviewer
from wizard.sanitize import clean_text
from wizard.resources import read_text


if TYPE_CHECKING:
    from screens.console.app import ApproverConsoleApp

REFRESH_SECONDS = 2.0  # how often the queue looks for requests submitted by a wizard elsewhere
EMPTY_QUEUE = "Nothing waits for you."
SERVICE_CENTER_NOTE = (
    "In the real iQIES only the iQIES Service Center (1-800-339-9313, iqies@cms.hhs.gov) removes a "
    "PSO who has left a provider, when the provider asks. In this sandbox the CMS reviewer stands "
    "in for the Service Center."
)

HELP_TITLE = "Help: the approver console"
HELP_FILE = "console_help.md"  # in data/: the console's help text


def help_body() -> str:
    return read_text(HELP_FILE)


def _section(title: str) -> Static:
    return Static(Text(" ".join(clean_text(title).split()), style="bold"), classes="section")


def _note(text: str) -> Static:
    return Static(plain(text), classes="note")


class ConsoleBar(Vertical):
    """Two lines at the top: the sandbox line, then which page this is."""

    def __init__(self, title: str, right: str = "") -> None:
        super().__init__(id="topbar")
        self.title_text, self.right = title, right

    def compose(self) -> ComposeResult:
        with Horizontal(id="sandbox-row"):
            yield Static(SANDBOX_LINE, id="sandbox-line", markup=False)
            demo = getattr(self.app, "demo", False)
            yield Static(styled(("DEMO", "bold reverse"), " approver console") if demo
                         else plain("approver console"), id="page-step")
        with Horizontal(id="page-line"):
            yield Static(styled((" iQIES ", "bold"), "› ", (self.title_text, "bold")), id="page-title")
            yield Static(plain(self.right), id="page-address")


class ConsoleHelpScreen(HelpScreen):
    """F1: the console's own help (the wizard's help texts are per step)."""

    def __init__(self) -> None:
        super().__init__("console")

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text(HELP_TITLE, style="bold"), classes="dialog-title")
            yield Static("Practice sandbox: the approvers' side of iQIES", classes="dialog-subtitle", markup=False)
            with VerticalScroll(id="help-body"):
                yield Markdown(help_body())
            yield Button("Close (Esc)", id="close-help", variant="primary")


class ConsoleScreen(Screen):
    """Top bar, a scrolling body, the message line (refusals in $error) and the footer."""

    PAGE_TITLE = ""
    REFRESH_SECONDS = REFRESH_SECONDS  # a class attribute, so a test can look every few ms instead
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    @staticmethod
    def cursor_row_key(table: DataTable) -> str | None:
        """The key of the row under a list's cursor, or None when the list is empty."""
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    @property
    def console(self) -> ApproverConsoleApp:
        return self.app  # type: ignore[return-value]

    @property
    def approvals(self) -> Approvals:
        return self.console.approvals

    @property
    def reviewer(self) -> Reviewer:
        reviewer = self.console.reviewer
        assert reviewer is not None, "a signed-in page without a reviewer"
        return reviewer

    def bar_right(self) -> str:
        reviewer = self.console.reviewer
        return f"signed in: {reviewer.name}" if reviewer else ""

    def compose(self) -> ComposeResult:
        yield ConsoleBar(self.PAGE_TITLE, self.bar_right())
        with VerticalScroll(id="console-body"):
            yield from self.compose_body()
        with Vertical(id="console-messages"):
            yield Static("", id="console-message", markup=False)
            yield Static("", id="console-advice", markup=False)
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    ready = False  # set once mounted (Textual's is_mounted only turns True after on_mount)

    def on_mount(self) -> None:
        self.ready = True
        if not getattr(self.app, "blink", True):
            for widget in self.query(Input):
                widget.cursor_blink = False

    def show_message(self, message: str, kind: str = "info", advice: str = "") -> None:
        """``kind``: info, success, warning or error; ``advice`` a second line in $warning."""
        widget = self.query_one("#console-message", Static)
        widget.update(plain(message))
        widget.set_classes(f"visible {kind}" if message else "")
        extra = self.query_one("#console-advice", Static)
        extra.update(plain(advice))
        extra.set_classes("visible warning" if advice else "")

    def message_text(self) -> str:
        return str(self.query_one("#console-message", Static).render())

    def action_help(self) -> None:
        self.app.push_screen(ConsoleHelpScreen())
