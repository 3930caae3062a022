"""Shared widgets: top bar, step list, form rows, help and phone dialogs."""

from __future__ import annotations

from typing import Iterable

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.content import Content
from textual.style import Style as VisualStyle
from textual.widgets import Button, Footer, Input, Label, RadioSet, Select, Static
from textual.widgets import Checkbox as _Checkbox
from textual.widgets import RadioButton as _RadioButton

from wizard.otp import CODE_DIGITS
from wizard.sanitize import clean_line, clean_text, mask_line
from wizard.steps import FieldSpec, Step

SANDBOX_LINE = "Sandbox: nothing you type leaves this computer"


def plain(text: str | Text | None = "", style: str = "") -> Text:
    """User or stored text shown literally: a Rich Text (never markup-parsed, so ``[/]`` and
    ``[bold]x`` show as typed) with control, bidi and other dangerous characters removed by the
    one sanitiser (wizard/sanitize.py). A Text keeps its styles, its characters are cleaned."""
    if text is None:
        return Text("", style=style)
    if isinstance(text, Text):
        return _clean_rich_text(text, style)
    return Text(clean_text(text), style=style)


def _clean_rich_text(text: Text, style: str = "") -> Text:
    cleaned = text.blank_copy()
    if style:
        cleaned.style = style
    offsets = sorted({o for span in text.spans for o in (span.start, span.end)} | {len(text)})
    for piece in text.divide(offsets):
        start = len(cleaned)
        cleaned.append(clean_text(piece.plain))
        for span in piece.spans:
            cleaned.stylize(span.style, start, len(cleaned))
    return cleaned


def styled(*parts: str | tuple[str, str] | Text) -> Text:
    """``Text.assemble`` with every part sanitised: for lines mixing fixed words and user text."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append_text(plain(part[0], part[1]))
        else:
            text.append_text(plain(part))
    return text


def one_line(text: str | None) -> Text:
    """A one-line label (button, option, title) from user or stored text: sanitised, newlines
    and tabs turned into spaces, no markup."""
    return Text(clean_line(text or ""))


class FieldInput(Input):
    """The one-line input every form uses.

    - It never holds more than ``max_length`` characters: a longer paste is cut to what fits (as
      browsers do with ``maxlength``), and so is a longer value set by code (a stale draft).
    - It shows its value sanitised (control and bidi characters as U+FFFD, one for one, so the
      cursor still lines up); the value itself stays as typed, for the rules to judge.
    - A paste goes in whole, its lines joined by spaces, without control characters.
    """

    def validate_value(self, value: str) -> str:
        limit = self.max_length
        if limit and len(value) > limit:
            return value[:limit]
        return value

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(mask_line(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text

    def _position_to_cell(self, position: int) -> int:
        if self.password:
            return super()._position_to_cell(position)
        return cell_len(mask_line(self.value[:position]))

    def _cell_offset_to_index(self, offset: int) -> int:
        if self.password:
            return super()._cell_offset_to_index(offset)
        shown = mask_line(self.value)
        scroll_x, _ = self.scroll_offset
        offset += scroll_x
        cell = 0
        for index, char in enumerate(shown):
            width = get_character_cell_size(char)
            if cell <= offset < cell + width:
                return index
            cell += width
        return max(0, min(offset, len(self.value)))

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own handler would paste the text again, uncut
        if not event.text:
            return
        # one field, in order: line breaks inside become spaces, control characters go, and
        # a trailing line break is no Enter
        lines = [line for line in event.text.splitlines()]
        while lines and not lines[-1].strip():
            lines.pop()
        text = clean_line(" ".join(lines))
        start, end = sorted(self.selection)
        if self.max_length:
            room = self.max_length - (len(self.value) - (end - start))
            if len(text) > room:
                text = text[: max(0, room)]
                self.restricted()  # Input's own signal (the bell) that not all of it fit
        if text:
            self.replace(text, start, end)


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


def field_input(placeholder: str = "", password: bool = False, max_length: int = 0) -> Input:
    """The one-line input every form uses (see :class:`FieldInput`). Focus never selects its
    text: the next key adds to what is there (after Tab, or when the field gets its focus back
    after a resize), never replaces it."""
    return FieldInput(
        placeholder=clean_line(placeholder), password=password, max_length=max_length, compact=True,
        select_on_focus=False,
    )


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


def _toggle_glyph(widget: _Checkbox | _RadioButton, on: str, off: str) -> Content:
    """The toggle's state as a glyph in the widget's own text colour: legible in 16 colours and
    without colour, where Textual's coloured dot looks the same chosen or not."""
    return Content.styled(on if widget.value else off, VisualStyle(bold=bool(widget.value)))


class RadioButton(_RadioButton):
    """A radio button whose choice shows as ◉ (chosen) or ○, not by colour alone."""

    @property
    def _button(self) -> Content:
        return _toggle_glyph(self, "◉ ", "○ ")


class Checkbox(_Checkbox):
    """A checkbox that shows [x] or [ ], not by colour alone."""

    @property
    def _button(self) -> Content:
        return _toggle_glyph(self, "[x] ", "[ ] ")


class StepList(Vertical):
    """Where the user is: done, current and later steps."""

    def __init__(self, states: Iterable[tuple[Step, str]]) -> None:
        super().__init__(id="steps")
        self.states = list(states)

    HEADINGS = {"HARP": "HARP account", "iQIES": "iQIES role request"}  # by the step's real site

    def compose(self) -> ComposeResult:
        system = None
        for step, state in self.states:
            if step.info.system != system:  # a heading where the steps move to the other site
                system = step.info.system
                yield Static(self.HEADINGS.get(system, system), classes="steps-heading", markup=False)
            mark = {"done": "✓", "current": "▶", "todo": " "}[state]
            yield Static(one_line(f"{mark} {step.number:>2} {step.info.label}"), classes=f"step {state}")


def set_control(control: Widget, value: object) -> None:
    """Put ``value`` into a form control as a user's choice would (an Input's text, a Select's
    option, a Checkbox, the RadioButton named ``value``): the demo's persona and the tests."""
    if isinstance(control, Input):
        control.value = str(value)
    elif isinstance(control, (Select, Checkbox)):
        control.value = bool(value) if isinstance(control, Checkbox) else value
    elif isinstance(control, RadioSet):
        for button in control.query("RadioButton"):
            if button.name == str(value):
                button.value = True


def choice_options(spec: FieldSpec, flow: object = None) -> list[tuple[Text, str]]:
    """A choice field's options as a Select takes them: (shown text, value), from the spec."""
    return [(one_line(text), value) for value, text in spec.options(flow)]


def field_control(spec: FieldSpec, flow: object = None, *, radio: bool = False, starred: bool = False) -> Widget:
    """The control a field's kind asks for, with its limit and placeholder from the spec: an
    input (hidden for a secret), a Select (the placeholder is its prompt) or, with ``radio``,
    radio buttons, a checkbox (the label is its text, ``starred`` adds the required ``*``)."""
    if spec.kind == "choice":
        if radio:
            return RadioSet(*(RadioButton(one_line(text), name=value) for value, text in spec.options(flow)),
                            compact=True)
        return Select(choice_options(spec, flow), prompt=spec.placeholder or "Choose", compact=True)
    if spec.kind == "yesno":
        text = one_line(spec.label)
        if starred:
            text.append(" *", style="bold")
        return Checkbox(text, compact=True)
    return field_input(spec.placeholder, password=spec.kind == "secret", max_length=spec.max_length or 0)


class FieldRow(Vertical):
    """A label (with * when required), its control, and the message for it right under."""

    @classmethod
    def of(
        cls,
        spec: FieldSpec,
        control: Widget,
        *,
        caption: str | None = None,
        note: str | None = None,
        stacked: bool = False,
    ) -> FieldRow:
        """The row for a field of a step's spec: its label, ``*`` and note from the spec. A
        checkbox carries the label itself; its row shows ``caption`` (a lead-in), if any."""
        label = (caption or "") if spec.kind == "yesno" else spec.label
        return cls(spec.name, label, control, required=bool(spec.required),
                   note=spec.note if note is None else note, stacked=stacked)

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
        label = plain(self.label_text)
        if self.required:
            label.append(" *", style="bold")
        with Horizontal(classes="field-row"):
            if self.label_text:  # a checkbox without a lead-in carries its label itself
                yield Label(label, classes="field-label")
            yield self.control
        yield Static("", classes="field-error", id=f"error-{self.field_name}", markup=False)
        if self.note:
            yield Static(plain(self.note), classes="field-note")

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


class StateSelect(Select):
    """The State picker: typing on it while it is closed picks the state, as its prompt says
    ("type to search"): "OH" or "Ohio" picks Ohio; letters typed within a second add up. Open,
    the list's own type-to-search applies."""

    TYPE_WINDOW_SECONDS = 1.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._typed, self._typed_at = "", 0.0

    def _pick(self, typed: str) -> bool:
        wanted = typed.casefold()
        choices = [(str(prompt), value) for prompt, value in self._options if value is not self.NULL]
        codes = [value for _, value in choices if str(value).casefold().startswith(wanted)]
        if not codes:  # then by name ("OH  Ohio": the name after the code)
            codes = [value for prompt, value in choices
                     if prompt.split(None, 1)[-1].casefold().startswith(wanted)]
        if not codes:
            return False
        self.value = codes[0]
        return True

    def on_key(self, event) -> None:
        import time

        if self.expanded or not event.character or len(event.character) != 1 or not event.character.isalpha():
            return
        now = time.monotonic()
        typed = (self._typed if now - self._typed_at <= self.TYPE_WINDOW_SECONDS else "") + event.character
        self._typed_at = now
        if self._pick(typed):
            self._typed = typed
        elif self._pick(event.character):  # a fresh start: "O" after a stale "X"
            self._typed = event.character
        event.stop()
        event.prevent_default()
