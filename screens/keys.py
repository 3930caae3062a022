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
key was typed into."""

from __future__ import annotations

from textual import events
from textual._context import active_message_pump


class KeysInOrder:
    """Mixin for an App (before ``App`` in the bases)."""

    async def on_event(self, event: events.Event) -> None:  # type: ignore[override]
        app = self  # type: ignore[assignment]
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and app._screen_stack  # type: ignore[attr-defined]
            and app.screen.maximized is None  # type: ignore[attr-defined]
        ):
            if app.focused:  # type: ignore[attr-defined]
                try:
                    app.screen._clear_tooltip()  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - no screen: nothing to clear
                    pass
            if not await app._check_bindings(event.key, priority=True):  # type: ignore[attr-defined]
                await self._deliver_key(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _deliver_key(self, event: events.Key) -> None:
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
