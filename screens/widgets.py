"""Shared widgets: top bar, step list, form rows, help and phone dialogs."""

from __future__ import annotations

from typing import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from wizard.steps import Step

SANDBOX_LINE = "Sandbox: nothing you type leaves this computer"


def plain(text: str) -> Text:
    """User text shown literally: no markup, no control characters."""
    cleaned = "".join(
        ch for ch in text if ch in "\n\t" or (ch.isprintable() and not 0x202A <= ord(ch) <= 0x202E)
    )
    return Text(cleaned)


def field_input(placeholder: str = "", password: bool = False, max_length: int = 0) -> "Input":
    """The one-line input every form uses."""
    from textual.widgets import Input

    return Input(placeholder=placeholder, password=password, max_length=max_length, compact=True)


class TopBar(Vertical):
    def __init__(self, step: Step) -> None:
        super().__init__(id="topbar")
        self.step = step

    def compose(self) -> ComposeResult:
        info = self.step.info
        with Horizontal(id="sandbox-row"):
            yield Static(SANDBOX_LINE, id="sandbox-line")
            yield Static(f"step {info.number} of {len(Step)}", id="page-step")
        with Horizontal(id="page-line"):
            yield Static(
                Text.assemble((f" {info.system} ", "bold"), "› ", (info.real_page, "bold")),
                id="page-title",
            )
            yield Static(f"real page: {info.real_address}", id="page-address")


class StepList(Vertical):
    """Where the user is: done, current and later steps."""

    def __init__(self, states: Iterable[tuple[Step, str]]) -> None:
        super().__init__(id="steps")
        self.states = list(states)

    def compose(self) -> ComposeResult:
        yield Static("HARP account", classes="steps-heading")
        for step, state in self.states:
            if step == Step.IQIES_SIGN_IN:
                yield Static("iQIES role request", classes="steps-heading")
            mark = {"done": "✓", "current": "▶", "todo": " "}[state]
            yield Static(f"{mark} {step.number:>2} {step.info.label}", classes=f"step {state}")


class FieldRow(Vertical):
    """A label (with * when required), its control, and the message for it right under."""

    def __init__(
        self,
        name: str,
        label: str,
        control: Widget,
        *,
        required: bool = True,
        note: str | None = None,
        stacked: bool = False,
    ) -> None:
        super().__init__(id=f"field-{name}", classes="field" + (" stacked" if stacked else ""))
        self.field_name = name
        self.label_text = label
        self.control = control
        self.required = required
        self.note = note

    def compose(self) -> ComposeResult:
        label = Text(self.label_text)
        if self.required:
            label.append(" *", style="bold")
        with Horizontal(classes="field-row"):
            yield Label(label, classes="field-label")
            yield self.control
        yield Static("", classes="field-error", id=f"error-{self.field_name}", markup=False)
        if self.note:
            yield Static(self.note, classes="field-note", markup=False)

    shown_error: str | None = None

    def show_error(self, message: str | None) -> None:
        if message == self.shown_error:
            return  # restyling costs more than comparing; most keystrokes change nothing
        self.shown_error = message
        error = self.query_one(f"#error-{self.field_name}", Static)
        error.update(plain(message or ""))
        error.set_class(bool(message), "visible")
        self.set_class(bool(message), "invalid")


class HelpScreen(ModalScreen[None]):
    """F1: what this page is for and what to enter, in our own words."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close help")]

    def __init__(self, help_id: str) -> None:
        super().__init__()
        self.help_id = help_id

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        from wizard.catalogue import help_for

        text = help_for(self.help_id)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text(f"Help: {text.title}", style="bold"), classes="dialog-title")
            if text.real_page:
                yield Static(f"Real page: {text.real_page}", classes="dialog-subtitle", markup=False)
            with VerticalScroll(id="help-body"):
                yield Markdown(text.body)
            yield Button("Close (Esc)", id="close-help", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


class PhoneScreen(ModalScreen[None]):
    """F2: the app's outbox, shown as the user's simulated phone and email inbox."""

    BINDINGS = [Binding("escape,f2,q", "dismiss", "Close phone")]

    def __init__(self, messages: list[dict]) -> None:
        super().__init__()
        self.messages = messages

    def compose(self) -> ComposeResult:
        from wizard.rules import format_phone

        with Vertical(id="phone-dialog", classes="dialog"):
            yield Static(Text("Your phone and inbox (simulated)", style="bold"), classes="dialog-title")
            yield Static(
                "Codes and emails the sandbox 'sent'. Nothing was sent to a real phone or mailbox.",
                classes="dialog-subtitle",
            )
            with VerticalScroll(id="phone-body"):
                if not self.messages:
                    yield Static("No messages yet.", classes="message")
                kinds = {"sms": "Text message", "voice": "Voice call", "email": "Email"}
                for msg in self.messages:
                    when = msg["sent_at"][11:16]
                    head = Text.assemble(
                        (f"{kinds.get(msg['kind'], msg['kind'])} ", "bold"),
                        f"to {format_phone(msg['to']) if msg['kind'] != 'email' else msg['to']} at {when} UTC",
                    )
                    body = Text.assemble((msg["subject"], "bold"), "\n", msg["body"])
                    yield Static(head, classes="message-head")
                    yield Static(body, classes="message")
            yield Button("Close (Esc)", id="close-phone", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#phone-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, title: str, body: str, yes: str, no: str = "Go back") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(plain(self.body), classes="confirm-body")
            with Horizontal(classes="nav"):
                yield Button(self.no, id="confirm-no")
                yield Button(self.yes, id="confirm-yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")


class QrScreen(ModalScreen[None]):
    """Full-screen QR code for an authenticator app (23 rows: it fits 80x24 with the footer)."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close QR code")]

    def __init__(self, uri: str, manual_key: str) -> None:
        super().__init__()
        self.uri, self.manual_key = uri, manual_key

    def compose(self) -> ComposeResult:
        import io

        import segno

        buffer = io.StringIO()
        segno.make(self.uri, error="L").terminal(out=buffer, compact=True, border=2)
        with Horizontal(id="qr-layout"):
            yield Static(buffer.getvalue().rstrip("\n"), id="qr-code", markup=False)
            with Vertical(id="qr-side"):
                yield Static(Text("Scan with your authenticator app", style="bold"))
                yield Static(
                    "Google Authenticator or Okta Verify on your real phone works: this is a "
                    "real time-based code. Can't scan? Add an account by hand with this key:"
                )
                yield Static(Text(self.manual_key, style="bold"), id="qr-key")
                yield Static("Press Esc to go back and type the 6-digit code.")
