"""Pages built ahead: the likely next step's page is composed and mounted while the user is still
on the current one, so Next only has to show it.

A page built ahead must show exactly what a fresh one would. Two parts make sure of that:

- Its Mount handlers (the page's and its view's ``on_mount``: filling the draft, the trainer's
  prefill, Back, the message, focus) are held while it waits off the screen stack and run when
  it is shown, with the flow as it is then (:class:`BuiltAhead`).
- What its ``compose`` drew from the flow (a QR code's key, the questions, the organizations, the
  review, the requests) is compared at show time with what a fresh page would compose now
  (:func:`page_signature`: a fresh page is composed, never mounted, and its widgets described);
  when they differ the page built ahead is dropped and a fresh one is built, as without it. The
  step list is refreshed in place (:data:`REFRESHED_ON_SHOW`): it changes with every Next; and
  a part a page refills itself as it is shown (:data:`REFILLED_ON_SHOW`: the requests of
  Pending Requests and its banner, which the Review's Next has just changed) is not compared.

Textual is pinned exactly (pyproject): this module and OnboardingApp.build_ahead use some of its
private parts (App._get_screen, MessagePump._get_dispatch_methods and _context, Screen's
layout and compositor, App._css_update_count), each named where it is used;
tests/test_next_prebuilt.py fails if one of them changes.
"""

from __future__ import annotations

import dataclasses
import inspect
from enum import Enum
from typing import Any

from rich.text import Text
from textual import events
from textual.compose import compose  # a screen's compose, `with` blocks included, nothing mounted
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

from screens.widgets import StepList

# attributes a page built ahead refreshes when it is shown, so they are not compared
REFRESHED_ON_SHOW: dict[type, frozenset[str]] = {StepList: frozenset({"states"})}
# a widget with this class is refilled by its page's Mount handlers (run when a page built ahead
# is shown), so what it holds, its children included, is not compared either (Pending Requests)
REFILLED_ON_SHOW = "refilled-on-show"
# Textual's own widget attributes that hold no content (locks, signals, styles, callables)
_SKIPPED = frozenset({"sort_order", "highlight_style", "absolute_offset", "styles", "message_signal",
                      "lock", "validators", "validate_on", "highlighter", "suggester"})


def _described(value: Any, depth: int = 0) -> Any:
    """A comparable description of a value a widget was made with."""
    if depth > 6:
        return "..."
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Enum):
        return (type(value).__name__, getattr(value, "key", value.name))
    if isinstance(value, Text):
        return ("Text", value.plain, tuple(str(span) for span in value.spans), str(value.style))
    if isinstance(value, Content):
        return ("Content", value.plain, tuple(repr(span) for span in value.spans))
    if isinstance(value, Widget):
        return _widget(value, depth + 1)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_described(v, depth + 1) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(items)
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), _described(v, depth + 1)) for k, v in value.items())))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value)
    if hasattr(value, "__rich__") or hasattr(value, "__rich_console__"):
        return (type(value).__name__, repr(vars(value)) if hasattr(value, "__dict__") else "")
    return type(value).__name__  # an object with no value of its own (a callback, a signal)


def _widget(widget: Widget, depth: int = 0) -> tuple[Any, ...]:
    if REFILLED_ON_SHOW in widget.classes:
        return (type(widget).__qualname__, widget.id, tuple(sorted(widget.classes)))
    skipped = REFRESHED_ON_SHOW.get(type(widget), frozenset())
    state = []
    for key, value in vars(widget).items():
        if key in _SKIPPED or key in skipped or callable(value) and not isinstance(value, Widget):
            continue
        # public attributes, Textual's reactives as set before mounting, and the texts of
        # Static, Select and Markdown (kept under private names)
        if not key.startswith("_") or key.startswith("_reactive_") or key in (
            "_Static__content", "_options", "_initial_markdown", "_pending_children",
        ):
            state.append((key, _described(value, depth)))
    return (type(widget).__qualname__, widget.id, widget.name, tuple(sorted(widget.classes)),
            widget.display, tuple(state))


def page_signature(screen: Screen) -> tuple[Any, ...]:
    """What ``screen`` composes from the flow now, as a comparable value: its compose is run (no
    widget is mounted) and each widget's type, id, classes and texts are described. Raises
    whatever the page's compose raises (a page whose step is not reached yet may not compose)."""
    screen.composed_to_compare = True  # type: ignore[attr-defined]
    return tuple(_widget(widget) for widget in compose(screen))


class BuiltAhead:
    """Mixed into StepScreen (before ``Screen``): a page built ahead (``built_ahead``) holds its
    Mount handlers until :meth:`shown` runs them; any other page mounts as usual."""

    built_ahead = False
    # set on a page composed only for its signature: it skips what the show refreshes anyway
    # (the step list's states, an extra look-up of the flow's current step)
    composed_to_compare = False
    _shown_yet = False
    _held_mount: events.Mount | None = None
    _styled_for: tuple[Any, ...] | None = None  # what its styles were computed for (style_key)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Mount) and not self._shown_yet:
            # its widgets were styled as they mounted, just now: see _on_screen_resume
            self._styled_for = style_key(self.app)  # type: ignore[attr-defined]
            if self.built_ahead:
                self._held_mount = event  # run by shown(), with the flow as it is then
                self.call_later(self._lay_out_ahead)  # type: ignore[attr-defined]
                return
        await super().on_event(event)  # type: ignore[misc]

    def _lay_out_ahead(self) -> None:
        """Lay the page out and draw it once, off the stack: the first layout of a page (each
        widget measured) and its first drawing were most of what was left of showing it. Showing
        it then lays out and draws again only what changed (private: Textual's own layout and
        compositor calls; its resume lays out again if the window size changed meanwhile)."""
        if self._shown_yet or not self.is_attached:  # type: ignore[attr-defined]
            return
        self._laid_out_times += 1
        if self._laid_out_times < 4:  # again if its widgets' own Resize and Show asked for one
            self.set_timer(0.05, self._lay_out_again)  # type: ignore[attr-defined]
        self._refresh_layout(self.app.size)  # type: ignore[attr-defined]
        # laid out: as Screen._on_timer_update does after a layout (else the first frame after
        # the show would lay it all out again; anything changed since asks for layout anew)
        self._layout_required = False  # type: ignore[attr-defined]
        self._dirty_widgets.clear()  # type: ignore[attr-defined]
        self._compositor.render_update(full=True)  # type: ignore[attr-defined]

    _laid_out_times = 0

    def _lay_out_again(self) -> None:
        if self._layout_required:  # type: ignore[attr-defined]
            self._lay_out_ahead()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. A page shown for the first time had its styles
        # computed when it mounted, a moment ago (a page built ahead, a little longer ago):
        # restyling all its widgets again (Textual's default on every resume) was most of what
        # showing a page built ahead cost, and a sixth of the first page's start-up. They are
        # recomputed as usual if anything they depend on changed since (the theme, CSS, window
        # size, app focus), and on every later resume (after a dialog closes).
        styled_for, self._styled_for = self._styled_for, None
        if styled_for is not None and styled_for == style_key(self.app):  # type: ignore[attr-defined]
            event.refresh_styles = False

    @property
    def ready(self) -> bool:
        """Composed and mounted, its Mount handlers waiting to be run by :meth:`shown`."""
        return self._held_mount is not None

    def shown(self) -> None:
        """The page is now the current screen: run its Mount handlers now, in order, before any
        key typed after Next is handled (so it lands in the field focus_first chooses)."""
        self._shown_yet = True
        event, self._held_mount = self._held_mount, None
        if event is None:
            return  # still composing: its Mount comes as a fresh page's would
        self._frame_due = True
        self.focus_at_once = True
        try:
            # as its own queue would run them (private: Textual's context of a message pump, and
            # its lookup of a message's handlers along the class's MRO)
            with self._context():  # type: ignore[attr-defined]
                for _cls, method in self._get_dispatch_methods("on_mount", event):  # type: ignore[attr-defined]
                    result = method(event) if _takes_event(method) else method()
                    if inspect.isawaitable(result):
                        self.call_next(_awaited, result)  # type: ignore[attr-defined]
        finally:
            self.focus_at_once = False

    focus_at_once = False  # while shown() runs: focus moves now, not after the keys queued
    _frame_due = False  # shown, its first frame not drawn yet

    def on_idle(self, event: events.Idle) -> None:
        """The first frame of a page shown by Next is drawn as soon as what the show queued has
        run. Textual would draw it at its next frame tick (up to 1/60 s later, more under load):
        most of the wait between Next and the new page, as the page was laid out while it waited.
        Runs before Screen's own idle handler, which then finds nothing left to draw (private:
        Textual's frame-tick handler of a screen, and the app's batch count)."""
        if not self._frame_due:
            return
        self._frame_due = False
        if self.is_current and not self.app._batch_count:  # type: ignore[attr-defined]
            self._on_timer_update()  # type: ignore[attr-defined]

    def give_focus(self, widget: Widget, scroll_visible: bool = True) -> None:
        """Focus ``widget``. Textual moves focus after what is already queued; a page shown by
        Next moves it at once as well, so keys typed right after Next land in that field."""
        if self.focus_at_once:
            # no scrolling here: a fresh page is not laid out yet when its focus moves, so its
            # first focus scrolls nothing either (this page was laid out while it waited)
            self.set_focus(widget, scroll_visible=False)  # type: ignore[attr-defined]
        widget.focus(scroll_visible=scroll_visible)


def style_key(app: Any) -> tuple[Any, ...]:
    """What the styles of a page depend on besides its own classes: Textual counts every change
    of theme or CSS (``_css_update_count``, private), and the app's own pseudo-classes."""
    return (app._css_update_count, app.size, app.app_focus, tuple(sorted(app.classes)),
            tuple(sorted(app.pseudo_classes)))


def _takes_event(method: Any) -> bool:
    try:
        return len(inspect.signature(method).parameters) > 0
    except (TypeError, ValueError):
        return False


async def _awaited(result: Any) -> None:
    await result
