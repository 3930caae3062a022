"""Shared widgets: top bar, step list, help and phone dialogs, confirmation, QR code. The form's
parts are screens/form.py and text helpers screens/text.py; both are importable from here too."""

from __future__ import annotations

from typing import Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.style import Style as VisualStyle
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Static

from screens.form import (  # noqa: F401  (the screens and tests import the form's parts from here too)
    Button, Checkbox, FieldInput, FieldRow, RadioButton, StateSelect, choice_options, field_control, field_input,
    set_control,
)
from screens.text import one_line, plain, styled  # noqa: F401  (likewise)
from wizard.otp import CODE_DIGITS
from wizard.sanitize import clean_line
from wizard.steps import Step

SANDBOX_LINE = "Sandbox: nothing you type leaves this computer"


class KeyFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change.

    The stock Footer recomposes (six new key widgets, restyled and laid out) on every focus move,
    although moving between fields rarely changes the keys: about 40 % of what a Tab cost, and
    a step screen settled in 135 ms instead of 249 without it (bench/run.py).
    """

    _shown: tuple | None = None

    def bindings_changed(self, screen) -> None:  # type: ignore[no-untyped-def]
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        shown = tuple(
            (binding, enabled, tooltip)  # a Binding is a frozen dataclass: compared by value
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )
        if shown != self._shown:
            self._shown = shown
            self.call_after_refresh(self.recompose)


class TopBar(Vertical):
    def __init__(self, step: Step) -> None:
        super().__init__(id="topbar")
        self.step = step

    def compose(self) -> ComposeResult:
        info = self.step.info
        with Horizontal(id="sandbox-row"):
            yield Static(SANDBOX_LINE, id="sandbox-line", markup=False)
            yield Static(f"step {info.number} of {len(Step)}", id="page-step", markup=False)
        with Horizontal(id="page-line"):
            yield Static(
                styled((f" {info.system} ", "bold"), "› ", (info.real_page, "bold")),
                id="page-title",
            )
            yield Static(plain(f"real page: {info.real_address}"), id="page-address")


class StepList(Widget):
    """Where the user is: done, current and later steps, with a heading where the steps move to
    the other site. One widget drawing a line per step (each line's look is a component class,
    app.tcss), not a Static per line: every widget costs the first frame (bench/run.py)."""

    COMPONENT_CLASSES = {"steps--heading", "steps--done", "steps--current", "steps--todo"}

    def __init__(self, states: Iterable[tuple[Step, str]]) -> None:
        super().__init__(id="steps")
        self.states = list(states)

    HEADINGS = {"HARP": "HARP account", "iQIES": "iQIES role request"}  # by the step's real site

    def lines(self) -> list[tuple[str, str]]:
        """Each line's text and look (heading, done, current, todo)."""
        lines, system = [], None
        for step, state in self.states:
            if step.info.system != system:  # a heading where the steps move to the other site
                system = step.info.system
                lines.append((clean_line(self.HEADINGS.get(system, system)), "heading"))
            mark = {"done": "✓", "current": "▶", "todo": " "}[state]
            lines.append((one_line(f"{mark} {step.number:>2} {step.info.label}").plain, state))
        return lines

    def render(self) -> Content:
        width = self.content_size.width
        lines, base = [], self.get_visual_style()
        for text, kind in self.lines():
            style = self.get_visual_style(f"steps--{kind}")
            # the margin and the rest of the line: the list's own style on the line's background
            blank = VisualStyle(background=style.background, foreground=base.foreground)
            line = Content.styled(text, style).truncate(max(0, width - 1), ellipsis=True)
            rest = width - 1 - line.cell_length if style.background != base.background else 0
            lines.append(Content.assemble((" ", blank), line, (" " * max(0, rest), blank)))
        return Content("\n").join(lines)

    def show_states(self, states: Iterable[tuple[Step, str]]) -> bool:
        """The same steps in new states (a page built ahead, shown after Next), in place; False
        (and nothing changed) if the steps themselves are not the same."""
        states = list(states)
        if [step for step, _ in states] != [step for step, _ in self.states]:
            return False
        if states != self.states:
            self.states = states
            self.refresh()  # the same lines in new looks: no new layout needed
        return True


class OverPage:
    """A dialog over a step page. Below the page's smallest usable size it does not sit over the
    page's too-small notice: it shows that notice itself (the dialog stays open, Esc closes it)
    and comes back, with its focus, when the window is big enough again."""

    _focus_before_notice: Widget | None = None

    def _page_minimum(self) -> tuple[int, int] | None:
        stack = self.app.screen_stack  # type: ignore[attr-defined]
        beneath = stack[stack.index(self) - 1] if self in stack and stack.index(self) > 0 else None
        if beneath is None or not beneath.query("#too-small"):
            return None  # not over a wizard page (the approver console has no such notice)
        from screens.base import MIN_HEIGHT, MIN_WIDTH

        return MIN_WIDTH, MIN_HEIGHT

    # naming-convention handlers of a mixin are called beside the dialog's own on_mount
    def _on_mount(self) -> None:
        self.fit_notice()

    def _on_resize(self) -> None:
        self.fit_notice()

    def fit_notice(self) -> None:
        minimum = self._page_minimum()
        width, height = self.app.size  # type: ignore[attr-defined]
        small = minimum is not None and (width < minimum[0] or height < minimum[1])
        notices = self.query("#too-small")  # type: ignore[attr-defined]
        if not small and not notices:
            return
        if not notices:
            from screens.base import TooSmallNotice

            self.mount(TooSmallNotice("", id="too-small", markup=False))  # type: ignore[attr-defined]
        notice = self.query_one("#too-small")  # type: ignore[attr-defined]
        if small:
            notice.show_size(width, height)
        if small == self.has_class("-too-small"):  # type: ignore[attr-defined]
            return
        self.set_class(small, "-too-small")  # type: ignore[attr-defined]
        if small:
            notice.reset()
            notice.show_size(width, height)
            if self.focused is not notice:  # type: ignore[attr-defined]
                self._focus_before_notice = self.focused  # type: ignore[attr-defined]
            notice.focus(scroll_visible=False)
        else:
            before, self._focus_before_notice = self._focus_before_notice, None
            if before is not None and before.is_attached and before.focusable:
                before.focus(scroll_visible=False)


class HelpScreen(OverPage, ModalScreen[None]):
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
            yield Static(plain(f"Help: {text.title}", style="bold"), classes="dialog-title")
            if text.real_page:
                yield Static(plain(f"Real page: {text.real_page}"), classes="dialog-subtitle")
            with VerticalScroll(id="help-body"):
                yield Markdown(text.body)
            yield Button("Close (Esc)", id="close-help", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


class PhoneScreen(OverPage, ModalScreen[None]):
    """F2: the app's outbox, shown as the user's simulated phone and email inbox. An email the
    SMTP server has not taken (yet) says so under it; with ``reload`` (the same list, read
    again) those lines follow the sender while the dialog is open."""

    BINDINGS = [Binding("escape,f2,q", "dismiss", "Close phone")]
    RELOAD_SECONDS = 1.0

    def __init__(self, messages: list[dict], reload: Callable[[], list[dict]] | None = None) -> None:
        super().__init__()
        self.messages = messages
        self.reload = reload

    def compose(self) -> ComposeResult:
        from wizard.rules import format_phone

        with Vertical(id="phone-dialog", classes="dialog"):
            yield Static(Text("Your phone and inbox (simulated)", style="bold"), classes="dialog-title")
            yield Static(
                "Codes and emails the sandbox 'sent'. Nothing was sent to a real phone or mailbox.",
                classes="dialog-subtitle", markup=False,
            )
            with VerticalScroll(id="phone-body"):
                if not self.messages:
                    yield Static("No messages yet.", classes="message", markup=False)
                kinds = {"sms": "Text message", "voice": "Voice call", "email": "Email"}
                for msg in self.messages:
                    # stored text (an edited data file could hold anything): sanitised, no markup
                    kind, to = str(msg.get("kind", "")), str(msg.get("to", ""))
                    when = str(msg.get("sent_at", ""))[11:16]
                    head = styled(
                        (f"{kinds.get(kind, kind)} ", "bold"),
                        f"to {format_phone(to) if kind != 'email' else to} at {when} UTC",
                    )
                    body = styled((str(msg.get("subject", "")), "bold"), "\n", str(msg.get("body", "")))
                    yield Static(head, classes="message-head")
                    if kind == "email":
                        note = Static(classes="message-delivery")
                        note.message_file = str(msg.get("file", ""))  # type: ignore[attr-defined]
                        self._show_delivery(note, msg)
                        yield note
                    yield Static(body, classes="message")
            yield Button("Close (Esc)", id="close-phone", variant="primary")

    @staticmethod
    def _show_delivery(note: Static, msg: dict) -> None:
        text = clean_line(str(msg.get("delivery_note") or ""))
        failed = bool(text) and msg.get("delivery") != "queued"  # a send under way is no alarm
        note.update(plain(f"[!] {text}" if failed else text))
        note.set_class(bool(text), "visible")
        note.set_class(failed, "failed")

    def on_mount(self) -> None:
        self.query_one("#phone-body").focus()
        if self.reload is not None:
            self.set_interval(self.RELOAD_SECONDS, self.follow_delivery)

    def follow_delivery(self) -> None:
        """Each email's line about the SMTP server, as it is now."""
        if self.reload is None:
            return
        try:
            current = {str(m.get("file")): m for m in self.reload() if m.get("kind") == "email"}
        except Exception:  # a data directory gone mid-read: the lines stay as they were
            return
        for note in self.query(".message-delivery").results(Static):
            msg = current.get(getattr(note, "message_file", ""))
            if msg is not None:
                self._show_delivery(note, msg)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


class ConfirmScreen(OverPage, ModalScreen[bool]):
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, title: str, body: str, yes: str, no: str = "Go back") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(plain(self.title_text, style="bold"), classes="dialog-title")
            yield Static(plain(self.body), classes="confirm-body")
            with Horizontal(classes="nav"):
                yield Button(one_line(self.no), id="confirm-no")
                yield Button(one_line(self.yes), id="confirm-yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")


class QrScreen(ModalScreen[None]):
    """Full-screen QR code for an authenticator app, sized from its own matrix: two modules per
    cell row (half blocks), a two-module quiet zone. A 6-character User ID makes a 45x23 code, the
    longest the rules allow (74) a 57x29 one. Where the window is smaller than the code needs, a
    notice gives the size it needs and the manual key is still there."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close QR code")]

    def __init__(self, uri: str, manual_key: str) -> None:
        super().__init__()
        self.uri, self.manual_key = uri, manual_key
        self.qr_text = self._render_qr(uri)
        rows = self.qr_text.split("\n")
        # one spare column and row: the code must not touch the window's edge to scan
        self.qr_width, self.qr_height = max(cell_len(row) for row in rows), len(rows)
        self.min_width = self.qr_width + 1
        self.min_height = self.qr_height + 1

    @staticmethod
    def _render_qr(uri: str) -> str:
        import io

        import segno

        buffer = io.StringIO()
        segno.make(uri, error="L").terminal(out=buffer, compact=True, border=2)
        return buffer.getvalue().rstrip("\n")

    def compose(self) -> ComposeResult:
        with Horizontal(id="qr-layout"):
            code = Static(self.qr_text, id="qr-code", markup=False)
            code.styles.width, code.styles.height = self.qr_width, self.qr_height
            yield code
            with VerticalScroll(id="qr-side"):
                yield Static(
                    f"Window too small for the QR code: enlarge it to at least "
                    f"{self.min_width}x{self.min_height}, or type the key",
                    id="qr-too-small", markup=False,
                )
                yield Static(Text("Scan with your authenticator app", style="bold"), id="qr-scan")
                yield Static(
                    "Google Authenticator or Okta Verify on your real phone works: this is a "
                    "real time-based code. Can't scan? Add an account by hand with this key:",
                    markup=False,
                )
                yield Static(plain(self.manual_key, style="bold"), id="qr-key")
                yield Static(f"Press Esc to go back and type the {CODE_DIGITS}-digit code.", markup=False)

    def on_mount(self) -> None:
        self.fit_to_window()

    def on_resize(self) -> None:
        self.fit_to_window()

    @property
    def too_small(self) -> bool:
        width, height = self.app.size
        return width < self.min_width or height < self.min_height

    def fit_to_window(self) -> None:
        self.set_class(self.too_small, "-too-small")
