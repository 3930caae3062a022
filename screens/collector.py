"""Python's cyclic garbage collector, kept out of the way of Next.

A full collection walks every object the process holds: ~270,000 once the wizard's pages,
modules and styles are loaded, 90-220 ms each (measured with ``gc.callbacks`` through the
bench's happy path: five of them per walk, most of Next's p95 then). Two things keep that off
the path from Next to the new page's first frame:

- :func:`freeze_what_start_up_loaded`: once per process, when the app mounts, everything
  imported and parsed so far (Textual, the domain, the CSS) is moved out of the collector's
  reach (``gc.freeze``). It is never garbage; a later full collection walks a third as much.
  Before any page exists, so no page that is later dropped is kept for ever.
- :class:`CollectorHeld`: while a Next is checked and its page shown, no collection starts
  (``gc.disable``); it is allowed again once the page has drawn its first frame, or after
  :attr:`CollectorHeld.HELD_AT_MOST` whatever happened, and when the app closes. What was
  allocated meanwhile is collected as usual at the next allocation after that.
"""

from __future__ import annotations

import gc
from typing import Any

_frozen = False


def freeze_what_start_up_loaded() -> None:
    global _frozen
    if not _frozen:  # once: a later app in the same process (tests) would freeze a page
        _frozen = True
        gc.freeze()


class CollectorHeld:
    """Mixed into the App: :meth:`hold_collector` at Next, :meth:`release_collector` once its
    outcome has drawn."""

    HELD_AT_MOST = 0.5  # seconds
    _collector_timer: Any = None

    def hold_collector(self) -> None:
        if self._collector_timer is not None or not gc.isenabled():
            return  # already held, or someone else turned it off: theirs to turn on
        gc.disable()
        self._collector_timer = self.set_timer(self.HELD_AT_MOST, self.release_collector)  # type: ignore[attr-defined]

    def release_collector(self) -> None:
        timer, self._collector_timer = self._collector_timer, None
        if timer is not None:
            timer.stop()
            gc.enable()

    def release_collector_after_frame(self) -> None:
        if self._collector_timer is not None:
            self.call_after_refresh(self.release_collector)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.release_collector()
