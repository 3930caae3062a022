"""Helpers for Pilot tests: fill a screen's fields the way a user would leave them."""

from __future__ import annotations

from typing import Any

from screens.widgets import FieldRow, set_control


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
    return str(pilot.app.screen.query_one(f"#error-{field}").render())


async def wait_until(pilot, condition, timeout: float = 10.0, step: float = 0.02) -> None:
    """Pause until condition() holds (a refresh tick has come), failing after timeout seconds.

    Tests set a screen's REFRESH_SECONDS small and wait on what the tick shows, instead of
    sleeping out the real interval."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await pilot.pause(step)
