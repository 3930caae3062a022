"""Helpers for Pilot tests: fill a screen's fields the way a user would leave them, and wait as a
user waits for "Checking..." to end."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from screens.widgets import FieldRow, set_control

CHECK_TIMEOUT = 30.0  # seconds a check may take before a test says it never ended


async def until_checked(pilot) -> None:
    """Wait as a user waits for "Checking..." to end: the page's check done (screens/checking.py),
    its outcome shown and the keys typed meanwhile handed on (screens/keys.py)."""
    app = pilot.app
    if not getattr(app, "checks_pending", False):
        return
    deadline = time.monotonic() + CHECK_TIMEOUT
    while app.checks_pending:
        assert time.monotonic() < deadline, "a check never ended"
        await asyncio.sleep(0.002)
    await pilot.pause()  # the page the outcome showed settles


def pilot_waits_for_checks(monkeypatch: Any) -> None:
    """An autouse fixture (tests/conftest.py makes it one; pytest is not imported here, the bench
    uses these helpers and measures its memory): Pilot's press and click return once a check
    they started has ended, as a user waits before the next key; Pilot's own pause does not
    wait for a thread worker. The originals stay at ``Pilot.press_now`` / ``Pilot.click_now``
    for the tests of the checking state."""
    from textual.pilot import Pilot

    press, click = Pilot.press, Pilot.click

    async def press_then_wait(self, *keys: str) -> None:
        await press(self, *keys)
        await until_checked(self)

    async def click_then_wait(self, *args: Any, **kwargs: Any) -> bool:
        await pressed_look_over(self, args[0] if args else kwargs.get("widget"))
        landed = await click(self, *args, **kwargs)
        await until_checked(self)
        return landed

    monkeypatch.setattr(Pilot, "press", press_then_wait)
    monkeypatch.setattr(Pilot, "click", click_then_wait)
    monkeypatch.setattr(Pilot, "press_now", press, raising=False)
    monkeypatch.setattr(Pilot, "click_now", click, raising=False)


async def pressed_look_over(pilot, target: Any) -> None:
    """Textual's Button ignores a click while it still looks pressed from the last one (0.2 s,
    Button._on_click and active_effect_duration): no person clicks the same button again that
    fast, a Pilot test can, and its second click would then do nothing. Wait as a person would."""
    from textual.widgets import Button

    if isinstance(target, str):
        found = pilot.app.screen.query(target)
        target = found.first() if found else None
    if not isinstance(target, Button):
        return
    deadline = time.monotonic() + 2 * max(target.active_effect_duration, 0.1)
    while target.has_class("-active") and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def fill(pilot, values: dict[str, Any]) -> None:
    """Set field values directly (fast); typing real keys is reserved for a few tests."""
    screen = pilot.app.screen
    for name, value in values.items():
        set_control(screen.query_one(f"#field-{name}", FieldRow).control, value)
    await pilot.pause()


async def next_page(pilot) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()


def step_of(pilot):
    return pilot.app.screen.STEP


def message_of(pilot) -> str:
    return str(pilot.app.screen.query_one("#form-message").render())


def error_of(pilot, field: str) -> str:
    """The error shown under a field ("" if none: a row makes its error line with its first error)."""
    found = pilot.app.screen.query(f"#error-{field}")
    return str(found.first().render()) if found else ""


async def wait_until(pilot, condition, timeout: float = 10.0, step: float = 0.02) -> None:
    """Pause until condition() holds (a refresh tick has come), failing after timeout seconds.

    Tests set a screen's REFRESH_SECONDS small and wait on what the tick shows, instead of
    sleeping out the real interval."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await pilot.pause(step)
