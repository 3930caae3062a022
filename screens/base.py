"""The frame every step screen shares: top bar, step list, form, message, Back/Next, footer.

The form is drawn from the step's spec (wizard/steps/<key>.py): each field's label, ``*``,
limit, placeholder and note, in the spec's order; :class:`StepScreen` shows any step that way.
A step's own view (``@view`` on a subclass, keyed by its step) adds only what is special to
it: sections and notes, a live checklist, a QR code, a list. Validation and transitions are the
flow's (wizard/), never the screen's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Input, RadioSet, Select, Static

from screens.ahead import BuiltAhead
from screens.checking import StepChecks
from screens.form import Button, FieldRow, field_control, note, section
from screens.side_pages import SidePages
from screens.while_typing import WhileTyping
from screens.text import plain
from screens.widgets import HelpScreen, KeyFooter, PhoneScreen, StepList, TopBar
from wizard.flow import OnboardingFlow, StepOutcome
from wizard.steps import FieldSpec, Step

if TYPE_CHECKING:
    from screens.app import OnboardingApp

# Below this the wizard is not usable (measured: every page works at 60x16 with the step list
# hidden); a notice then covers the page until the window is enlarged.
MIN_WIDTH, MIN_HEIGHT = 60, 16
STEP_LIST_WIDTH = 70  # the step list is a luxury below this; the form needs the room


class TooSmallNotice(Static):
    """Covers the page while the window is too small; focusable, so keys go nowhere else."""

    can_focus = True
    refused = 0
    _window = (0, 0)

    def show_size(self, width: int, height: int) -> None:
        if (width, height) != self._window:
            self._window = (width, height)
        self._show()

    def _show(self) -> None:
        width, height = self._window
        text = (
            f"Make this window at least {MIN_WIDTH}x{MIN_HEIGHT} to use the wizard "
            f"(it is {width}x{height} now).\n\nWhat you entered is kept. Ctrl+Q quits."
        )
        if self.refused:
            keys = "1 key" if self.refused == 1 else f"{self.refused} keys"
            text += f"\n\n{keys} not typed: nothing is typed while the window is too small."
        self.update(text)

    def reset(self) -> None:
        self.refused = 0

    def on_key(self, event: events.Key) -> None:
        # no field can be seen, so none is typed into: the key is refused, and the notice says so
        if event.is_printable or event.key in ("space", "backspace", "delete", "enter", "tab",
                                                 "up", "down", "left", "right"):
            event.stop()
            event.prevent_default()
            self.refused += 1
            self.app.bell()
            self._show()


class StepScreen(BuiltAhead, StepChecks, WhileTyping, SidePages, Screen):
    """Any step's page, its form drawn from the step's spec; a step's own view subclasses it."""

    STEP: Step
    NEXT_LABEL: ClassVar[str] = "Next"
    INTRO: ClassVar[str] = ""

    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("f2", "phone", "Phone"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
        # Priority: handled when the key arrives, so keys typed right after Enter already go to
        # the next field (an Input.Submitted message would arrive after them).
        Binding("enter", "enter_key", "Next field", show=False, priority=True),
        Binding("tab", "next_field", "Next field", show=False, priority=True),
        Binding("shift+tab", "previous_field", "Previous field", show=False, priority=True),
    ]

    def __init__(self, flow: OnboardingFlow, message: str = "", message_kind: str = "info",
                 step: Step | None = None) -> None:
        super().__init__()
        if step is not None:
            self.STEP = step  # the generic page of a step that has no view of its own
        self.flow = flow
        self.initial_message = message
        self.initial_kind = message_kind
        self.touched: set[str] = set()
        self.tried_next = False

    @property
    def onboarding_app(self) -> OnboardingApp:
        return self.app  # type: ignore[return-value]

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TooSmallNotice("", id="too-small", markup=False)
        yield TopBar(self.STEP)
        with Horizontal(id="body"):
            yield StepList(() if self.composed_to_compare else self.flow.step_states())
            with VerticalScroll(id="form"):
                if self.INTRO:
                    yield Static(plain(self.INTRO), classes="intro")
                # at the top, where a refused Next lands the user (focus goes to the first bad field)
                yield Static("", id="form-message", markup=False)
                yield from self.compose_form()
                with Horizontal(classes="nav"):
                    yield Button("Back", id="back")
                    yield Button(self.NEXT_LABEL, id="next", variant="primary")
            extras = getattr(self.app, "step_extras", None)  # hook: trainer mode's notes panel
            if extras is not None:
                yield from extras(self)
        yield KeyFooter()

    def compose_form(self) -> ComposeResult:
        """Every field of the step's spec, in its order (a view lays out its own)."""
        for spec in self.STEP.fields:
            if spec.kind != "answers":  # a list of answers has no one control; its view draws it
                yield self.field_row(spec.name)

    def field_spec(self, name: str) -> FieldSpec:
        spec = self.STEP.field(name)
        if spec is None:
            raise KeyError(f"step {self.STEP.key!r} has no field {name!r}")
        return spec

    def field_row(
        self,
        name: str,
        control: Any = None,
        *,
        radio: bool = False,
        caption: str | None = None,
        note: str | None = None,
        stacked: bool | None = None,
    ) -> FieldRow:
        """The row for the spec's field ``name``: label, ``*``, limit, placeholder and note from
        the spec. A view chooses only how it looks: radio buttons for a choice (stacked), its own
        ``control``, a checkbox's lead-in (``caption``: the label is the checkbox's text), a
        note that depends on the record."""
        spec = self.field_spec(name)
        if control is None:
            # a checkbox with no lead-in beside it shows the required * itself
            starred = spec.kind == "yesno" and not caption and bool(spec.required)
            control = field_control(spec, self.flow, radio=radio, starred=starred)
        return FieldRow.of(spec, control, caption=caption, note=note,
                           stacked=radio if stacked is None else stacked)

    def on_mount(self) -> None:
        self.fit_to_window()
        if not getattr(self.app, "blink", True):
            for widget in self.query(Input):
                widget.cursor_blink = False
        self.fill(self.flow.draft(self.STEP))
        prefill = getattr(self.app, "prefill", None)  # hook: trainer mode fills the page from a persona
        if prefill is not None:
            prefill(self)
        self.show_fields_that_apply()
        if self.flow.back_target(self.STEP) is None:
            self.query_one("#back", Button).display = False
        if self.initial_message:
            self.show_message(self.initial_message, self.initial_kind)
        if self.too_small:
            self._focus_before_too_small = None  # focus_first() runs on recovery
        else:
            self.focus_first()

    # --- window size ------------------------------------------------------------------------

    too_small = False
    _focus_before_too_small: Any = None

    def on_resize(self) -> None:
        self.fit_to_window()

    def on_screen_resume(self) -> None:
        # a resize while a dialog was on top reached only the dialog
        self.fit_to_window()

    def fit_to_window(self) -> None:
        steps = self.query("#steps")
        if not steps:  # a page built ahead, resized before it composed: its Mount fits it
            return
        width, height = self.app.size
        steps.first().display = width >= getattr(self.app, "step_list_width", STEP_LIST_WIDTH)
        too_small = width < MIN_WIDTH or height < MIN_HEIGHT
        notice = self.query_one("#too-small", TooSmallNotice)
        if too_small:
            notice.show_size(width, height)
        if too_small == self.too_small:
            return
        self.too_small = too_small
        self.set_class(too_small, "-too-small")
        if too_small:
            notice.reset()
            notice.show_size(width, height)
            # keys must not reach a field nobody can see; focus comes back on recovery
            if self.focused is not notice:
                self._focus_before_too_small = self.focused
            notice.focus(scroll_visible=False)
        else:
            before, self._focus_before_too_small = self._focus_before_too_small, None
            if before is not None and before.is_attached and before.focusable:
                before.focus(scroll_visible=False)
            else:
                self.focus_first()
        self.refresh_bindings()

    def focus_first(self) -> None:
        """The first field the user still has to fill; else the page's main button."""
        for widget in self.query("#form Input, #form Select, #form RadioSet, #form Checkbox"):
            if not widget.focusable:
                continue
            if isinstance(widget, Input) and widget.value:
                continue
            if isinstance(widget, Select) and not widget.is_blank():
                continue
            if isinstance(widget, RadioSet) and widget.pressed_button is not None:
                continue
            self.give_focus(widget)
            return
        # a page with nothing to fill is read from the top; the main button waits at the bottom
        self.give_focus(self.query_one("#next", Button), scroll_visible=False)

    # --- reading and filling fields ----------------------------------------------------------

    def collect(self) -> dict[str, Any]:
        """The form's values keyed by field name (the default: every control with an id)."""
        form: dict[str, Any] = {}
        for row in self.query(FieldRow):
            form[row.field_name] = self.value_of(row.control)
        return form

    @staticmethod
    def value_of(control: Any) -> Any:
        if isinstance(control, Input):
            return control.value
        if isinstance(control, Select):
            return None if control.is_blank() else control.value
        if isinstance(control, Checkbox):
            return control.value
        if isinstance(control, RadioSet):
            pressed = control.pressed_button
            return pressed.name if pressed is not None else None
        return None

    def fill(self, draft: dict[str, Any]) -> None:
        for row in self.query(FieldRow):
            if row.field_name not in draft:
                continue
            value, control = draft[row.field_name], row.control
            try:
                if isinstance(control, Input) and not control.password:
                    control.value = "" if value is None else str(value)
                elif isinstance(control, Select) and value is not None:
                    control.value = value
                elif isinstance(control, Checkbox):
                    control.value = bool(value)
                elif isinstance(control, RadioSet) and value is not None:
                    for button in control.query("RadioButton"):
                        if button.name == value:
                            button.value = True
            except Exception:  # a stale draft value must never stop the page from opening
                continue

    # --- messages ---------------------------------------------------------------------------

    def show_message(self, message: str, kind: str = "info") -> None:
        widget = self.query_one("#form-message", Static)
        widget.update(plain(message))
        widget.set_classes(f"visible {kind}" if message else "")
        self.summary_shown = bool(message) and kind == "error"

    def show_errors(self, errors: dict[str, str], only_touched: bool = False) -> None:
        for row in self.query(FieldRow):
            shown = errors.get(row.field_name)
            if only_touched and row.field_name not in self.touched and not self.tried_next:
                shown = None
            row.show_error(shown)

    def focus_field(self, name: str) -> None:
        try:
            row = self.query_one(f"#field-{name}", FieldRow)
        except Exception:
            return
        if self.too_small:
            self._focus_before_too_small = row.control  # focused when the window is big enough
            return
        self.give_focus(row.control, scroll_visible=False)
        self.call_after_refresh(self._reveal_with_summary, row)

    def _reveal_with_summary(self, row: FieldRow, tries: int = 0) -> None:
        """The field in view and, after a refused Next, the refusal summary with it: scrolled so
        both show, or the summary pinned above the form when they are too far apart."""
        form, summary = self.query_one("#form", VerticalScroll), self.query_one("#form-message", Static)
        # measured once laid out with what the refusal showed (the summary, the field's first
        # error line): the frame this waited for can come before that layout, and scrolling by
        # the old sizes left the field below the window
        shown = [w for w in row.children if w.display]
        if summary.has_class("visible"):
            shown.append(summary)
        if tries < 5 and any(w.region.area == 0 for w in shown):
            self.call_after_refresh(self._reveal_with_summary, row, tries + 1)
            return
        if not (summary.has_class("visible") and summary.has_class("error")) or summary.has_class("-pinned"):
            row.scroll_visible(animate=False, top=False)
            return
        view = form.scrollable_content_region
        top = summary.region.y - view.y + round(form.scroll_y)  # both in the form's own coordinates
        bottom = row.region.bottom - view.y + round(form.scroll_y)
        if bottom - top <= view.height:
            form.scroll_to(y=min(top, max(round(form.scroll_y), bottom - view.height)), animate=False, immediate=True)
        else:
            summary.add_class("-pinned")  # until the message changes (show_message resets the classes)
            self.call_after_refresh(row.scroll_visible, animate=False, top=False)

    # --- live checks ------------------------------------------------------------------------

    summary_shown = False

    def recheck(self) -> None:
        errors = self.flow.validate(self.STEP, self.collect())
        self.show_errors(errors, only_touched=True)
        if self.summary_shown and not errors:
            self.show_message("")  # the refusal no longer applies
        self.show_fields_that_apply()
        self.on_form_changed()

    def show_fields_that_apply(self) -> None:
        """A field the spec asks only when the form says so (the phone, for a phone device)
        shows only then."""
        conditional = [f for f in self.STEP.fields if f.applies is not None]
        if not conditional:
            return
        form = self.collect()
        for spec in conditional:
            for row in self.query(f"#field-{spec.name}"):
                row.display = spec.applies_to(form)

    def on_form_changed(self) -> None:
        """Hook for live displays (password checklist, search preview)."""

    def _field_of(self, widget: Any) -> str | None:
        for ancestor in widget.ancestors_with_self:
            if isinstance(ancestor, FieldRow):
                return ancestor.field_name
        return None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    def _changed(self, event: Any) -> None:
        name = self._field_of(event.control)
        if name and not isinstance(event, Input.Changed):
            self.touched.add(name)
        self.recheck()
        if isinstance(event, Input.Changed) and not event.input.password:
            self._schedule_draft_save()
        if isinstance(event, Input.Changed) and self.STEP.prepare is not None:
            self._schedule_prepare()

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        name = self._field_of(event.input)
        if name and event.input.value and not self.too_small:  # the notice took focus: not left
            self.touched.add(name)
            self.recheck()
        # keep what was typed if the terminal dies now; not while Next's check runs: its submit
        # is saving this form itself, and holds the flow meanwhile (the UI would wait for it)
        if not self.checking:
            self.flow.save_draft(self.STEP, self.collect())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.too_small and action != "quit":
            return False  # nothing happens on a page nobody can see
        if action == "enter_key":
            return isinstance(self.focused, Input)
        return True

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_enter_key(self) -> None:
        if isinstance(self.focused, Input):
            self.enter_pressed(self.focused)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.enter_pressed(event.input)

    def enter_pressed(self, field: Input) -> None:
        """Enter moves to the next field; on the last field it means Next."""
        inputs = [w for w in self.query("#form Input") if w.display and not w.disabled]
        if field in inputs and inputs.index(field) < len(inputs) - 1:
            self.focus_next()
        else:
            self.action_next()

    # --- navigation -------------------------------------------------------------------------

    @on(Button.Pressed, "#next")
    def _next_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    def action_next(self) -> None:
        if self.may_check():  # the submit runs off the UI thread (screens/checking.py)
            self.tried_next = True
            self.submit(self.collect())

    def apply(self, outcome: StepOutcome) -> None:
        """Show an outcome: move on, or explain every field that stops the user."""
        if outcome.ok and outcome.next_step:
            self.onboarding_app.show_step(outcome.next_step, outcome.message, warnings=outcome.warnings)
            return
        if outcome.next_step and outcome.next_step != self.STEP:
            self.onboarding_app.show_step(outcome.next_step, outcome.summary, kind="error")
            return
        self.show_errors(outcome.errors)
        self.show_message(outcome.summary, "error" if not outcome.ok else "info")
        if outcome.errors:
            self.focus_field(next(iter(outcome.errors)))
        else:
            self.query_one("#form", VerticalScroll).scroll_home(animate=False)

    def action_back(self) -> None:
        if not self.may_check():
            return
        outcome = self.flow.back(self.STEP, self.collect())
        if outcome.ok and outcome.next_step:
            self.onboarding_app.show_step(outcome.next_step)
        else:
            self.show_message(outcome.message, "info")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.STEP.info.help_id))

    def action_phone(self) -> None:
        self.app.push_screen(PhoneScreen(self.flow.messages(), reload=self.flow.messages))


# --- the views: a step's own view, registered by its step's key ---------------------------------

VIEWS: dict[str, type[StepScreen]] = {}
_View = TypeVar("_View", bound=type[StepScreen])


def view(cls: _View) -> _View:
    """Class decorator: ``cls`` is the page of the step it names (``STEP``)."""
    VIEWS[cls.STEP.key] = cls
    return cls


def screen_for(step: Step, flow: OnboardingFlow, message: str = "", kind: str = "info") -> StepScreen:
    """The page for ``step``: its own view, or the generic one drawn from its spec."""
    own = VIEWS.get(step.key)
    if own is not None:
        return own(flow, message=message, message_kind=kind)
    return StepScreen(flow, message=message, message_kind=kind, step=step)


__all__ = ["StepScreen", "FieldRow", "VIEWS", "note", "screen_for", "section", "view", "Vertical"]
