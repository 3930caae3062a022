"""The console's first page: sign in as the CMS reviewer, or as a PSO with HARP User ID,
password and code."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.checking import Checks
from screens.widgets import FieldRow, PhoneScreen, field_input, plain
from screens.console.base import ConsoleScreen, _note, _section


class SignInScreen(Checks, ConsoleScreen):
    """A PSO's sign-in verifies the password's argon2id hash: it runs as a check, off the UI
    thread (screens/checking.py), the keys typed meanwhile kept for after it."""

    PAGE_TITLE = "Approver console: sign in"
    BINDINGS = [Binding("f2", "phone", "Phone")]

    def __init__(self, message: str = "", kind: str = "info") -> None:
        super().__init__()
        self.initial = (message, kind)

    def compose_body(self) -> ComposeResult:
        yield Static(
            plain(
                "This is the practice sandbox's approver console: here the role requests made in "
                "the wizard are approved or rejected, as CMS and a provider's PSOs do in iQIES. "
                "Nothing leaves this computer."
            ),
            classes="intro",
        )
        yield _section("CMS reviewer")
        yield _note(
            "A built-in sandbox account standing in for CMS staff, who approve each provider's "
            "first Provider Security Official (PSO). No password."
        )
        yield Button("Sign in as the CMS reviewer", id="sign-in-cms", compact=True)
        yield _section("Provider Security Official")
        yield _note("A practice account from the wizard that is an active PSO of a provider.")
        yield FieldRow("user_id", "HARP User ID", field_input(max_length=74))
        yield FieldRow("password", "Password", field_input(password=True, max_length=60))
        yield FieldRow(
            "code", "Security code", field_input("6 digits", max_length=8),
            note="Text or voice device: press Send code, then F2 shows that account's phone. "
                 "Authenticator app: type the code it shows.",
        )
        with Horizontal(classes="nav"):
            yield Button("Send code", id="send-code", compact=True)
            yield Button("Sign in", id="sign-in-pso", variant="primary", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        if self.initial[0]:
            self.show_message(*self.initial)
        self.query_one("#sign-in-cms", Button).focus()

    def field(self, name: str) -> Input:
        return self.query_one(f"#field-{name}", FieldRow).control  # type: ignore[return-value]

    @on(Button.Pressed, "#sign-in-cms")
    def _cms(self, event: Button.Pressed) -> None:
        event.stop()
        self.console.signed_in(self.console.signin.cms())

    @on(Button.Pressed, "#send-code")
    def _send_code(self, event: Button.Pressed) -> None:
        event.stop()
        user_id = self.field("user_id").value
        if not user_id.strip():
            self.show_message("Type your HARP User ID first: the code goes to that account's phone.", "error")
            self.field("user_id").focus()
            return
        self.show_message(self.console.signin.send_code(user_id), "info")
        self.field("code").focus()

    @on(Button.Pressed, "#sign-in-pso")
    def _sign_in_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.sign_in()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["user_id", "password", "code"]
        for i, name in enumerate(order):
            if event.input is self.field(name):
                if i + 1 < len(order):
                    self.field(order[i + 1]).focus()
                else:
                    self.sign_in()
                return

    def sign_in(self) -> None:
        if not self.may_check():  # one press, one sign-in
            return
        user_id, password, code = (self.field(name).value for name in ("user_id", "password", "code"))
        signin = self.console.signin
        self.check(lambda: signin.sign_in(user_id, password, code), self._signed_in,
                   self.query_one("#sign-in-pso", Button))

    def _signed_in(self, result: tuple[object, str]) -> None:
        reviewer, message = result
        if reviewer is None:
            self.field("code").value = ""
            self.show_message(message, "error")
            return
        self.console.signed_in(reviewer)  # type: ignore[arg-type]

    def action_phone(self) -> None:
        user_id = self.field("user_id").value.strip()
        if not user_id:
            self.show_message("Type the HARP User ID first: F2 shows that account's phone.", "error")
            return
        self.app.push_screen(PhoneScreen(self.console.signin.phone(user_id)))
