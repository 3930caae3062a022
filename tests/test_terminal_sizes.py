"""Terminal sizes: every page at 40x12, 60x20 and back at 80x24 without an error; below the
smallest usable size (screens/base.py: 60x16) a notice covers the page, and the page comes back
when the window is enlarged. The QR dialog says when the window is too small for the code."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from screens.base import MIN_HEIGHT, MIN_WIDTH, StepScreen
from screens.widgets import FieldRow, QrScreen
from tests.factory import PROFILE, app_at
from tests.pilot_helpers import error_of, fill, step_of
from wizard.steps import Step

NOTICE = f"Make this window at least {MIN_WIDTH}x{MIN_HEIGHT}"
QR_NOTICE = "Window too small for the QR code: enlarge it to at least 46x24, or type the key"


def screen_text(app) -> str:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return "\n".join(
        "".join(seg.text for strip in line for seg in strip if not seg.control) for line in update.strips
    )


def notice_shown(app) -> bool:
    screen = app.screen
    assert isinstance(screen, StepScreen)
    notice = screen.query_one("#too-small")
    shown = screen.too_small and screen.has_class("-too-small") and notice.region.area > 0
    assert shown == (NOTICE in " ".join(screen_text(app).split())), "notice state and screen disagree"
    return shown


async def resize(pilot, width: int, height: int) -> None:
    await pilot.resize_terminal(width, height)
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("step", Step.ordered(), ids=lambda s: s.key)
async def test_every_step_survives_small_sizes_and_recovers(data_dir, step):
    app = app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not notice_shown(app)
        focused_before = app.screen.focused

        await resize(pilot, 40, 12)
        assert step_of(pilot) == step
        assert notice_shown(app)
        assert app.screen.focused is app.screen.query_one("#too-small")  # keys reach no hidden field
        assert not app.screen.query_one("#body").display

        await resize(pilot, 60, 20)
        assert not notice_shown(app)
        assert not app.screen.query_one("#steps").display  # the step list hides below 70 columns
        assert app.screen.query_one("#body").display
        assert f"step {step.number} of" in screen_text(app)  # the page is back, usable

        await resize(pilot, 80, 24)
        assert not notice_shown(app)
        assert app.screen.query_one("#steps").display
        assert app.screen.query_one("#next", Button).display
        assert app.screen.focused is focused_before  # focus comes back where it was
        assert step.info.real_page[:10] in screen_text(app)


@pytest.mark.parametrize("size", [(59, 24), (80, 15), (20, 6), (1, 1)])
async def test_below_the_smallest_usable_size_the_notice_covers_the_page(data_dir, size):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await resize(pilot, *size)
        assert app.screen.too_small and app.screen.has_class("-too-small")
        await resize(pilot, MIN_WIDTH, MIN_HEIGHT)  # the smallest usable size: no notice
        assert not notice_shown(app)


async def test_keys_do_nothing_while_too_small_and_typing_resumes_after(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, {"first_name": "Jane"})
        first = app.screen.query_one("#field-first_name", FieldRow).control
        first.focus()
        await pilot.pause()
        await resize(pilot, 40, 12)
        await pilot.press("x", "y", "enter", "ctrl+n", "escape", "tab", "f1")
        await pilot.pause()
        assert step_of(pilot) == Step.PROFILE
        assert isinstance(app.screen, StepScreen)  # F1 opened no dialog over the notice
        assert first.value == "Jane"
        await resize(pilot, 80, 24)
        assert app.screen.focused is first
        first.cursor_position = len(first.value)
        await pilot.press("!")
        assert first.value == "Jane!"


async def test_a_too_small_window_is_not_leaving_the_field(data_dir):
    """The notice takes focus while the window is too small; the field half typed is not judged
    as if the user had left it (no "Enter the date as..." under 03/1 after the window is back)."""
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-date_of_birth", FieldRow).control
        field.focus()
        await pilot.press(*"03/1")
        await resize(pilot, 40, 12)
        await resize(pilot, 80, 24)
        assert app.screen.focused is field and field.value == "03/1"
        assert error_of(pilot, "date_of_birth") == ""
        await pilot.press("tab")  # leaving it for real is judged, as always
        assert "MM/DD/YYYY" in error_of(pilot, "date_of_birth")


async def test_resizing_mid_step_keeps_what_was_typed(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, PROFILE)
        for size in [(40, 12), (100, 40), (61, 17), (45, 30), (80, 24)]:
            await resize(pilot, *size)
        form = app.screen.collect()
        assert form["first_name"] == PROFILE["first_name"] and form["zip_code"] == PROFILE["zip_code"]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert step_of(pilot) == Step.ACCOUNT


async def test_a_page_opened_while_the_window_is_small_shows_the_notice(data_dir):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert notice_shown(app)
        app.show_step(Step.TWO_FACTOR_VERIFY)  # a new page while small
        await pilot.pause()
        assert notice_shown(app)
        await resize(pilot, 80, 24)
        assert not notice_shown(app)
        code = app.screen.query_one("#field-code", FieldRow).control
        assert isinstance(code, Input) and app.screen.focused is code  # the page's own focus


@pytest.mark.parametrize("key", ["f1", "f2"])
async def test_dialogs_survive_small_sizes(data_dir, key):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        dialog = app.screen
        assert not isinstance(dialog, StepScreen)
        for size in [(40, 12), (60, 20), (80, 24), (40, 12)]:
            await resize(pilot, *size)
            assert app.screen is dialog
        await pilot.press("escape")
        await pilot.pause()
        # the page under the dialog missed the resize: it catches up when it comes back
        assert notice_shown(app)
        await resize(pilot, 80, 24)
        assert not notice_shown(app)


async def test_qr_dialog_at_40x12_says_the_window_is_too_small(data_dir):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY, "okta_verify")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        qr = app.screen
        assert isinstance(qr, QrScreen)
        assert (qr.min_width, qr.min_height) == (46, 24)
        assert qr.query_one("#qr-code").display and not qr.query_one("#qr-too-small").display

        await resize(pilot, 40, 12)
        assert qr.has_class("-too-small")
        assert not qr.query_one("#qr-code").display
        assert QR_NOTICE in " ".join(screen_text(app).split())
        assert "JBSW Y3DP" in screen_text(app)  # the key is still there to type

        await resize(pilot, 45, 24)
        assert qr.has_class("-too-small")
        await resize(pilot, 46, 24)
        assert not qr.has_class("-too-small")
        await resize(pilot, 80, 24)
        assert qr.query_one("#qr-code").display and QR_NOTICE not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert step_of(pilot) == Step.TWO_FACTOR_VERIFY and not notice_shown(app)


async def test_confirm_dialog_at_40x12(data_dir):
    from tests.factory import account_form

    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, form)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.query("#confirm-yes")
        await resize(pilot, 40, 12)
        await resize(pilot, 80, 24)
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert step_of(pilot) == Step.PROOFING
