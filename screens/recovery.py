"""Forgot User ID / Forgot password (Ctrl+F on every HARP and iQIES sign-in page): a thin view of
:class:`wizard.recovery.Recovery`. Also the side-page frame the HARP account page uses."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from screens.checking import CHECKING, Checks
from screens.form import Button, Select
from screens.widgets import OverPage, PhoneScreen, field_input, one_line, plain
from wizard.recovery import FORGOT_ID_FIELDS, RESET_FIELDS
from wizard.steps.spec import FieldSpec


class SidePage(Checks, OverPage, ModalScreen[None]):
    """A page beside the onboarding steps (opened from a sign-in page or the user menu): a title,
    its fields in a scrolling body, one message line. Tab and Shift+Tab move, Enter in a field goes
    to the next one, Esc closes, F2 opens the simulated phone and inbox. A button whose action
    hashes or verifies a password runs it as a check (screens/checking.py): Esc waits for it."""

    REFUSED_WHILE_CHECKING = frozenset({"close"})

    TITLE_TEXT = ""
    SUBTITLE = ""
    HELP_ID = ""  # its entry in data/help.json
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f1", "help", "Help"),
        Binding("f2", "phone", "Phone"),
    ]
    DEFAULT_CSS = """
    SidePage { align: center middle; }
    SidePage .dialog { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; }
    SidePage .dialog-title { color: $primary; }
    SidePage .dialog-subtitle, SidePage .side-keys { color: $text-muted; }
    SidePage #side-body { height: auto; max-height: 16; }
    SidePage .side-section { color: $primary; text-style: bold; margin-top: 1; }
    SidePage .side-label { color: $text; }
    SidePage Input { width: 100%; }
    SidePage Button { margin-top: 1; }
    SidePage #side-message { min-height: 1; }
    SidePage #side-message.error { color: $error; }
    SidePage #side-message.ok { color: $success; }
    SidePage #side-message.checking { color: $primary; }
    """

    def __init__(self, flow: Any) -> None:
        super().__init__()
        self.flow = flow

    def compose(self) -> ComposeResult:
        with Vertical(id="side-dialog", classes="dialog"):
            yield Static(plain(self.TITLE_TEXT, style="bold"), classes="dialog-title")
            if self.SUBTITLE:
                yield Static(plain(self.SUBTITLE), classes="dialog-subtitle")
            with VerticalScroll(id="side-body"):
                yield from self.compose_body()
            yield Static("", id="side-message")
            yield Static("Tab next field · Esc close · F1 help · F2 phone and inbox",
                         classes="side-keys", markup=False)

    def compose_body(self) -> ComposeResult:  # pragma: no cover - each page has its own
        yield from ()

    def on_mount(self) -> None:
        inputs = self.query(Input)
        if inputs:
            inputs.first().focus()

    # --- building blocks ------------------------------------------------------------------

    @staticmethod
    def section(text: str) -> Static:
        return Static(plain(text), classes="side-section")

    @staticmethod
    def field(spec: FieldSpec, prefix: str = "") -> ComposeResult:
        label = spec.label or spec.name.replace("_", " ").capitalize()
        yield Static(plain(label), classes="side-label")
        widget = field_input(spec.placeholder, password=spec.kind == "secret", max_length=spec.max_length or 0)
        widget.id = f"{prefix}{spec.name}"
        yield widget

    @staticmethod
    def choice(name: str, label: str, options: list[tuple[str, str]]) -> ComposeResult:
        yield Static(plain(label), classes="side-label")
        yield Select([(one_line(text), value) for value, text in options], id=name, compact=True,
                     prompt="Choose")

    def value(self, widget_id: str) -> str:
        widget = self.query_one(f"#{widget_id}")
        if isinstance(widget, Select):
            return "" if widget.value is Select.BLANK else str(widget.value)
        return widget.value  # type: ignore[attr-defined]

    def clear(self, *widget_ids: str) -> None:
        for widget_id in widget_ids:
            self.query_one(f"#{widget_id}", Input).value = ""

    def say(self, message: str, ok: bool) -> None:
        line = self.query_one("#side-message", Static)
        line.update(plain(message))
        line.set_classes("ok" if ok else "error")

    def say_checking(self) -> None:
        line = self.query_one("#side-message", Static)
        line.update(CHECKING)
        line.set_classes("checking")

    def show(self, result: tuple[bool, dict[str, str], str], prefix: str = "") -> bool:
        ok, errors, message = result
        self.say(message, ok)
        if errors:
            first = next(iter(errors))
            found = self.query(f"#{prefix}{first}")
            if found:
                found.first().focus()
        return ok

    # --- keys -----------------------------------------------------------------------------

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_close(self) -> None:
        self.dismiss()

    def action_help(self) -> None:
        from screens.widgets import HelpScreen

        self.app.push_screen(HelpScreen(self.HELP_ID))

    def action_phone(self) -> None:
        self.app.push_screen(PhoneScreen(self.flow.messages(), reload=self.flow.messages))


class RecoveryScreen(SidePage):
    """HARP's "Forgot User ID?" and "Forgot Password?" (sandbox, modelled on HARP self-service)."""

    TITLE_TEXT = "Forgot your User ID or password?"
    SUBTITLE = "Sandbox, modelled on HARP self-service (harp.cms.gov)."
    HELP_ID = "recovery"

    FORGOT_ID = FORGOT_ID_FIELDS  # declared in the domain (wizard/recovery.py), beside the rules they use
    FORGOT_PASSWORD = RESET_FIELDS

    def __init__(self, flow: Any) -> None:
        super().__init__(flow)
        from wizard.recovery import Recovery

        self.service = Recovery.of(flow)

    def compose_body(self) -> ComposeResult:
        yield self.section("Forgot User ID")
        yield Static("We email your User ID to the address on your account; it is never shown here.",
                     markup=False)
        for spec in self.FORGOT_ID:
            yield from self.field(spec, "fid-")
        yield Button("Email my User ID", id="send-user-id", compact=True)
        yield self.section("Forgot password")
        yield Static("Type your User ID, press Send code, then answer your challenge question and "
                     "type the code with a new password.", markup=False)
        for spec in self.FORGOT_PASSWORD[:1]:
            yield from self.field(spec, "fpw-")
        yield Button("Send code to my phone", id="send-reset-code", compact=True)
        for spec in self.FORGOT_PASSWORD[1:]:
            yield from self.field(spec, "fpw-")
        yield Button("Reset password", id="reset-password", variant="primary", compact=True)

    @on(Button.Pressed, "#send-user-id")
    def _send_user_id(self, event: Button.Pressed) -> None:
        event.stop()
        message = self.service.forgot_user_id(self.value("fid-email"))
        self.say(message, "sent" in message)

    @on(Button.Pressed, "#send-reset-code")
    def _send_code(self, event: Button.Pressed) -> None:
        event.stop()
        self.say(self.service.send_code(self.value("fpw-user_id")), True)
        self.query_one("#fpw-challenge_answer", Input).focus()

    @on(Button.Pressed, "#reset-password")
    def _reset(self, event: Button.Pressed) -> None:
        event.stop()
        if not self.may_check():
            return
        values = [self.value(f"fpw-{name}") for name in
                  ("user_id", "challenge_answer", "code", "new_password", "new_password_confirm")]

        def shown(result: tuple[bool, dict[str, str], str]) -> None:
            # secrets leave the page after each try, right or wrong
            self.clear("fpw-challenge_answer", "fpw-code", "fpw-new_password", "fpw-new_password_confirm")
            self.show(result, "fpw-")

        # the answer's verify and the new password's hash run off the UI thread
        self.check(lambda: self.service.reset_password(*values), shown, event.button)
