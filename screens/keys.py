"""Keys in the order they were typed, each to the field it was aimed at.

Textual handles a key's *priority* bindings (ours: Tab, Shift+Tab, Enter) the moment the key
reaches the app, but hands every other key to the focused widget's own queue, from where it
bubbles up, queue by queue, to the app, which only then looks up the focused widget's bindings
(a radio set's Down and Space, a select's Down). In a burst (Tab, Down, Down, Down, Space typed
with no pause, or delivered by the terminal in one read) the second Tab overtakes the Downs still
on their way: focus has moved on and they act on the next field, or on none.

:class:`KeysInOrder` handles each key completely, on its way up from the focused widget to the
app, before it looks at the next one: each handler runs as that widget's own (its message pump
is the active one, so its ``prevent`` blocks hold), and the bindings are those of the focus the
key was typed into.

While a page's slow check runs off the UI thread (screens/checking.py), the keys typed are held
and then handed on in that order, one message apart, once the check's outcome is shown: into the
next page when the page moved on, into this one when it was refused. The check's own Next and
Back keys are refused meanwhile (one press, one submit); a click waits for nothing and is refused."""

from __future__ import annotations

from typing import Any

from textual import events
from textual._context import active_message_pump



def _presses_a_button(screen: Any, event: events.Event) -> bool:
    """Whether ``event``, handed on now, would press the button focused on ``screen``."""
    from textual.widgets import Button

    focused = getattr(screen, "focused", None)
    return isinstance(event, events.Key) and isinstance(focused, Button) and event.key in ("enter", "space")


class KeysInOrder:
    """Mixin for an App (before ``App`` in the bases). A paste is delivered the same way, so a
    key typed right after it lands after its text."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        install_paste_safe_parser()
        super().__init__(*args, **kwargs)
        self._held: list[tuple[events.Key | events.Paste, Any]] = []  # in the order typed

    checking_page: Any = None  # the page whose check runs now
    key_origin: Any = None  # while a held key is handed on: the page whose check it waited for

    @property
    def checks_pending(self) -> bool:
        """A check runs, or keys typed during one are still to be handed on ("Checking..." ends
        for the user when this is False; the tests wait on it as a user would)."""
        return self.checking_page is not None or bool(self._held)

    def hold_keys(self, page: Any) -> None:
        """``page`` checks: keys typed from now on wait for :meth:`release_keys`."""
        self.checking_page = page

    def release_keys(self, page: Any) -> None:
        """``page``'s outcome is shown: the held keys are handed on, in order."""
        if self.checking_page is page:
            self.checking_page = None
        self._replay_soon()

    _replay_scheduled = False

    def _replay_soon(self) -> None:
        if self._held and not self._replay_scheduled:
            self._replay_scheduled = True
            # two app messages later: the page the outcome showed is mounted (its on_mount
            # queued its focus), then focused; a key handed on now would reach the bare screen
            self.call_later(self.call_later, self._replay_one)  # type: ignore[attr-defined]

    async def _replay_one(self) -> None:
        self._replay_scheduled = False
        if self.checking_page is not None or not self._held:
            return  # a key handed on started another check: the rest wait for it
        event, origin = self._held.pop(0)
        if _presses_a_button(self.screen, event):  # type: ignore[attr-defined]
            # typed before the user saw where it lands: it presses nothing (a button's press
            # arrives after the hand-on, so the page's own "one press, one submit" cannot see it)
            self.bell()  # type: ignore[attr-defined]
        else:
            self.key_origin = origin
            try:
                await self._key_now(event)
            finally:
                self.key_origin = None
        if self.checking_page is None:
            self._replay_soon()

    def _hold(self, event: events.Event) -> bool:
        """Whether ``event`` waits (or is refused) because a check runs or keys still wait."""
        if event.is_forwarded or not self.checks_pending:  # type: ignore[attr-defined]
            return False
        page = self.checking_page
        if page is not None and not page.is_attached:  # closed with its check: nothing to wait for
            self.release_keys(page)
            page = None
        if isinstance(event, (events.Key, events.Paste)):
            if page is not None and isinstance(event, events.Key) and page.refuses_key(event.key):
                self.bell()  # type: ignore[attr-defined]  # Next or Back during the check
            else:
                self._held.append((event, page))
            return True
        if isinstance(event, (events.MouseDown, events.MouseUp, events.Click)):
            self._mouse_down_widget = None  # type: ignore[attr-defined]  # no click from half of one
            return True
        return False

    async def on_event(self, event: events.Event) -> None:  # type: ignore[override]
        if self._hold(event):
            return
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self._key_now(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _key_now(self, event: events.Key | events.Paste) -> None:
        app = self  # type: ignore[assignment]
        if isinstance(event, events.Paste) and app._screen_stack:  # type: ignore[attr-defined]
            await self._deliver_key(event)  # type: ignore[arg-type]
            return
        if (
            isinstance(event, events.Key)
            and app._screen_stack  # type: ignore[attr-defined]
            and app.screen.maximized is None  # type: ignore[attr-defined]
        ):
            if not app.app_focus:  # type: ignore[attr-defined]
                # as Textual's own App.on_event: a key after an AppBlur (a browser tab that
                # lost focus, a terminal that reported it) gives focus back to the widget
                # that had it, so the key lands there and not on the bare screen
                app.app_focus = True  # type: ignore[attr-defined]
            if app.focused:  # type: ignore[attr-defined]
                try:
                    app.screen._clear_tooltip()  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - no screen: nothing to clear
                    pass
            if not await app._check_bindings(event.key, priority=True):  # type: ignore[attr-defined]
                await self._deliver_key(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _deliver_key(self, event: events.Key | events.Paste) -> None:
        node = self.focused or self.screen  # type: ignore[attr-defined]
        event._set_forwarded()
        event.bubble = False  # walked up here, not through each widget's queue
        while node is not None:
            token = active_message_pump.set(node)
            try:
                await node._on_message(event)
            finally:
                active_message_pump.reset(token)
            if event._stop_propagation or not node.is_attached:
                break
            node = node._parent


# --- bracketed paste with an ESC inside ------------------------------------------------------

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def _clean_paste(text: str, in_paste: bool, carry: str, tail: str) -> tuple[str, bool, str, str]:
    """Remove every ESC inside a bracketed paste except its closing marker's.

    Textual's parser reads an ESC inside a paste as the start of a key sequence: ``abc<ESC>def``
    came out as the keys ``^def`` (its CR as Enter, the rest in the next field) and then the
    paste ``abc``. Returns (text for the parser, in a paste, held back, last characters seen).
    Outside a paste the text passes unchanged (a lone Esc is never held back); inside one, a
    possible start of the closing marker at the end of a read is held for the next read.
    """
    data, carry = carry + text, ""
    out: list[str] = []
    i = 0
    while i < len(data):
        if not in_paste:
            window = tail + data[i:]
            j = window.find(PASTE_START)
            if j < 0:
                out.append(data[i:])
                tail = window[-(len(PASTE_START) - 1):]
                break
            end = j + len(PASTE_START) - len(tail)  # where the marker ends in data[i:]
            out.append(data[i : i + end])
            i += end
            in_paste, tail = True, ""
            continue
        j = data.find(PASTE_END, i)
        if j >= 0:
            out.append(data[i:j].replace("\x1b", "") + PASTE_END)
            i = j + len(PASTE_END)
            in_paste, tail = False, ""
            continue
        rest = data[i:]
        for size in range(min(len(PASTE_END) - 1, len(rest)), 0, -1):
            if PASTE_END.startswith(rest[-size:]):
                carry, rest = rest[-size:], rest[:-size]
                break
        out.append(rest.replace("\x1b", ""))
        break
    return "".join(out), in_paste, carry, tail


def install_paste_safe_parser() -> None:
    """Make the Linux/macOS driver read input through :class:`PasteSafeParser` (idempotent)."""
    try:
        from textual.drivers import linux_driver
    except ImportError:  # pragma: no cover - Windows: its driver has its own input path
        return
    from textual._xterm_parser import XTermParser

    if getattr(linux_driver.XTermParser, "paste_safe", False):
        return

    class PasteSafeParser(XTermParser):
        paste_safe = True

        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._paste_state = (False, "", "")

        def feed(self, data: str):  # type: ignore[no-untyped-def]
            in_paste, carry, tail = self._paste_state
            if data:
                data, in_paste, carry, tail = _clean_paste(data, in_paste, carry, tail)
            else:  # end of input: whatever was held back goes too
                data, carry = carry.replace("\x1b", ""), ""
            self._paste_state = (in_paste, carry, tail)
            return super().feed(data)

    linux_driver.XTermParser = PasteSafeParser  # type: ignore[misc]
