"""The parts of a form: the one-line input, toggles, the State picker, and a field's row and
control as a step's spec declares them (label, ``*``, limit, placeholder, note, choices)."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.style import Style as VisualStyle
from textual.widget import Widget
from textual.widgets import Button as _Button
from textual.widgets import Checkbox as _Checkbox
from textual.widgets import Input, Label, Static
from textual.widgets import RadioButton as _RadioButton
from textual.widgets import RadioSet as _RadioSet
from textual.widgets import Select as _Select

from screens.text import one_line, plain
from wizard.sanitize import clean_line, mask_line
from wizard.steps import FieldSpec


class StyledWhenMounted:
    """Mixed into a widget class, before Textual's. Textual restyles a widget and everything
    below it whenever one of its classes changes, even before the widget is mounted (a Button's
    variant, an Input's or a RadioSet's classes, set in their constructors); a widget is styled
    anyway when it mounts, so a restyle before then is skipped. Those restyles were a third of
    composing a page, and a page built ahead is composed twice (once to mount it, once at Next
    to compare it with a fresh one: screens/ahead.py)."""

    def update_node_styles(self, animate: bool = True) -> None:
        if self.is_attached:  # type: ignore[attr-defined]
            super().update_node_styles(animate)  # type: ignore[misc]


class Button(StyledWhenMounted, _Button):
    """Textual's Button, styled once it is mounted (every page's buttons are this one)."""


class RadioSet(StyledWhenMounted, _RadioSet):
    """Textual's RadioSet, styled once it is mounted."""


class Select(StyledWhenMounted, _Select):
    """Textual's Select, styled once it is mounted."""


class FieldInput(StyledWhenMounted, Input):
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

def field_input(placeholder: str = "", password: bool = False, max_length: int = 0) -> Input:
    """The one-line input every form uses (see :class:`FieldInput`). Focus never selects its
    text: the next key adds to what is there (after Tab, or when the field gets its focus back
    after a resize), never replaces it."""
    return FieldInput(
        placeholder=clean_line(placeholder), password=password, max_length=max_length, compact=True,
        select_on_focus=False,
    )


def _toggle_glyph(widget: _Checkbox | _RadioButton, on: str, off: str) -> Content:
    """The toggle's state as a glyph in the widget's own text colour: legible in 16 colours and
    without colour, where Textual's coloured dot looks the same chosen or not."""
    return Content.styled(on if widget.value else off, VisualStyle(bold=bool(widget.value)))


class RadioButton(StyledWhenMounted, _RadioButton):
    """A radio button whose choice shows as ◉ (chosen) or ○, not by colour alone."""

    @property
    def _button(self) -> Content:
        return _toggle_glyph(self, "◉ ", "○ ")


class Checkbox(StyledWhenMounted, _Checkbox):
    """A checkbox that shows [x] or [ ], not by colour alone."""

    @property
    def _button(self) -> Content:
        return _toggle_glyph(self, "[x] ", "[ ] ")

def set_control(control: Widget, value: object) -> None:
    """Put ``value`` into a form control as a user's choice would (an Input's text, a Select's
    option, a Checkbox, the RadioButton named ``value``): the demo's persona and the tests."""
    if isinstance(control, Input):
        control.value = str(value)
    elif isinstance(control, (_Select, _Checkbox)):
        control.value = bool(value) if isinstance(control, _Checkbox) else value
    elif isinstance(control, _RadioSet):
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
        # the message under the control is made with the first error (see show_error): most
        # rows never show one, and every widget on a page costs its first frame (bench/run.py)
        if self.note:
            yield Static(plain(self.note), classes="field-note")

    def on_mount(self) -> None:
        if isinstance(self.control, _Select):
            self.watch(self.control, "expanded", self._fit_dropdown, init=False)

    DROPDOWN_ROWS = 12  # Textual's own max-height for a Select's list, its border included

    def _fit_dropdown(self, expanded: bool) -> None:
        """An open list opens under its field, inside the window and above the footer: the page
        scrolls up to make room, and the list is shortened when the page cannot scroll so far."""
        if not expanded:
            return
        select = self.control
        overlay = select.query_one("SelectOverlay")
        footer = [w for w in self.screen.query("Footer") if w.display]
        limit = footer[0].region.y if footer else self.screen.size.height
        wanted = min(self.DROPDOWN_ROWS, getattr(overlay, "option_count", self.DROPDOWN_ROWS) + 2)
        room = limit - select.region.bottom
        scroller = next((a for a in self.ancestors if isinstance(a, Widget) and a.is_scrollable), None)
        if room < wanted and scroller is not None:
            shift = max(0, min(wanted - room, int(scroller.max_scroll_y - scroller.scroll_y),
                               select.region.y - scroller.content_region.y))
            if shift:
                scroller.scroll_to(y=scroller.scroll_y + shift, animate=False, immediate=True)
                room += shift
        overlay.styles.max_height = max(3, min(self.DROPDOWN_ROWS, room))

    shown_error: str | None = None

    def show_error(self, message: str | None) -> None:
        if message == self.shown_error:
            return  # restyling costs more than comparing; most keystrokes change nothing
        self.shown_error = message
        self.set_class(bool(message), "invalid")
        error = next(iter(self.query_children(f"#error-{self.field_name}").results(Static)), None)
        if error is None:
            if message:  # the first error: the line is made shown, styled once as it mounts
                self.mount(Static(plain(message), classes="field-error visible", id=f"error-{self.field_name}",
                                  markup=False), after=self.query_one(".field-row"))
                self.refresh(layout=True)  # laid out in the next frame, as a shown line would be
            return
        error.update(plain(message or ""))
        error.set_class(bool(message), "visible")


class StateSelect(Select):
    """The State picker: typing on it while it is closed picks the state, as its prompt says
    ("type to search"): "OH" or "Ohio" picks Ohio; letters typed within a second add up. Open,
    the list's own type-to-search applies."""

    TYPE_WINDOW_SECONDS = 1.0

    def __init__(self, *args, **kwargs) -> None:
        import time

        super().__init__(*args, **kwargs)
        self._typed, self._typed_at = "", 0.0
        self.clock = time.monotonic  # a test sets its own, so a slow machine cannot split "OH"

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
        if self.expanded or not event.character or len(event.character) != 1 or not event.character.isalpha():
            return
        now = self.clock()
        typed = (self._typed if now - self._typed_at <= self.TYPE_WINDOW_SECONDS else "") + event.character
        self._typed_at = now
        if self._pick(typed):
            self._typed = typed
        elif self._pick(event.character):  # a fresh start: "O" after a stale "X"
            self._typed = event.character
        event.stop()
        event.prevent_default()


def note(text: str) -> Static:
    """A line of explanation on a page."""
    return Static(plain(text), classes="note")


def section(title: str) -> Static:
    """A page's section heading."""
    return Static(Text(clean_line(title), style="bold"), classes="section")
