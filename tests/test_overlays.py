"""At 80x24 nothing a user needs is hidden: after a refused Next the refusal summary and the first
bad field (focused, with its message) are both on screen; an open dropdown opens under its field,
inside the window and above the footer; a dialog over a page does not sit over the too-small
notice (it shows the notice itself, stays open, and comes back when the window is big enough)."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Select

from screens.base import MIN_HEIGHT, MIN_WIDTH, StepScreen
from screens.widgets import ConfirmScreen, FieldRow, HelpScreen, PhoneScreen, QrScreen
from tests.factory import PROFILE, account_form, app_at, make_app
from tests.pilot_helpers import error_of, fill, message_of, next_page
from wizard.steps import Step

WINDOW = Region(0, 0, 80, 24)
NOTICE = f"Make this window at least {MIN_WIDTH}x{MIN_HEIGHT}"


def screen_text(app) -> str:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = ("".join(seg.text for strip in line for seg in strip if not seg.control) for line in update.strips)
    return " ".join(" ".join(lines).split())


def form_text(app) -> str:
    """What the form's part of the window shows, its lines joined (the summary's bar left out)."""
    form = app.screen.query_one("#form").region
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = ("".join(seg.text for strip in line for seg in strip if not seg.control) for line in update.strips)
    cropped = [line[form.x:form.right] for y, line in enumerate(lines) if form.y <= y < form.bottom]
    return " ".join(" ".join(cropped).replace("█", " ").split())


def on_screen(app, widget) -> bool:
    """The widget is drawn whole inside the form's visible part (not scrolled off, not under a pinned summary)."""
    form = app.screen.query_one("#form")
    region = widget.region
    return region.height > 0 and form.region.contains_region(region)


# --- a refused Next: the summary and the first bad field --------------------------------------------


@pytest.mark.parametrize(
    "bad, first",
    [
        ({"first_name": "", "facility_name": ""}, "first_name"),  # near the summary
        ({"phone": "12", "state": None, "facility_name": ""}, "phone"),  # half a page below it
        ({"zip_code": "", "facility_name": ""}, "zip_code"),  # more than a window below it
        ({"facility_name": ""}, "facility_name"),  # the last field of the page
        ({"date_of_birth": "13/45/1990", "email": "bad", "email_confirm": "", "street": "", "city": "",
          "zip_code": "", "facility_name": ""}, "date_of_birth"),  # many: a long summary
    ],
    ids=["top", "middle", "far", "last", "many"],
)
async def test_a_refused_next_shows_the_summary_and_the_first_bad_field(data_dir, bad, first):
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        values = {**PROFILE, **{k: v for k, v in bad.items() if v is not None}}
        await fill(pilot, values)
        if bad.get("state", "") is None:
            app.screen.query_one("#field-state", FieldRow).control.clear()
        await next_page(pilot)
        await pilot.pause()
        screen = app.screen
        assert screen.STEP == Step.PROFILE
        summary = screen.query_one("#form-message")
        row = screen.query_one(f"#field-{first}", FieldRow)
        assert app.focused is row.control  # the first bad field has the focus ...
        assert on_screen(app, summary), summary.region  # ... the summary is in view ...
        assert on_screen(app, row), row.region  # ... and so is the field, with its message under it
        assert not row.region.overlaps(summary.region)
        text = form_text(app)
        assert " ".join(message_of(pilot).split()) in text
        assert " ".join(error_of(pilot, first).split()) in text

        # fixing the fields clears the summary, and the page reads from the top again as before
        await fill(pilot, PROFILE)
        await pilot.pause()
        assert not summary.has_class("visible") and not summary.has_class("-pinned")


async def test_a_second_refused_next_keeps_the_summary_in_view(data_dir):
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, {**PROFILE, "zip_code": "", "facility_name": ""})
        await next_page(pilot)
        await fill(pilot, {"zip_code": "43215"})  # one fixed, one left
        await next_page(pilot)
        await pilot.pause()
        summary = app.screen.query_one("#form-message")
        row = app.screen.query_one("#field-facility_name", FieldRow)
        assert app.focused is row.control
        assert on_screen(app, summary) and on_screen(app, row)
        assert "Your facility" in " ".join(message_of(pilot).split())


async def test_the_account_page_refused_shows_both(data_dir):
    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = account_form()
        form.pop("user_id_permanent_ok")
        form.update(challenge_answer="", password_confirm="nope")
        await fill(pilot, form)
        await next_page(pilot)
        await pilot.pause()
        screen = app.screen
        assert screen.STEP == Step.ACCOUNT and not isinstance(screen, ConfirmScreen)
        row = next(r for r in screen.query(FieldRow) if r.has_class("invalid"))
        assert app.focused is row.control
        assert on_screen(app, screen.query_one("#form-message")) and on_screen(app, row)


# --- dropdowns -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step, field",
    [
        (Step.PROFILE, "suffix"),
        (Step.PROFILE, "state"),
        (Step.ACCOUNT, "challenge_question"),
        (Step.TWO_FACTOR_SETUP, "device_type"),
        (Step.ORGANIZATIONS, "search_by"),
    ],
)
@pytest.mark.parametrize("where", ["top", "bottom"])
async def test_an_open_dropdown_stays_inside_the_window_above_the_footer(data_dir, step, field, where):
    app = make_app(data_dir) if step == Step.PROFILE else app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        form = screen.query_one("#form")
        select = screen.query_one(f"#field-{field}", FieldRow).control
        assert isinstance(select, Select)
        # the field where a user may meet it: scrolled to the top of the page, or just come into
        # view at the bottom of the window (as Tab brings it)
        form.scroll_to(y=0 if where == "top" else form.max_scroll_y, animate=False, immediate=True)
        await pilot.pause()
        if where == "bottom":
            form.scroll_to(y=0, animate=False, immediate=True)
            await pilot.pause()
            select.scroll_visible(animate=False, top=False, immediate=True)
        await pilot.pause()
        select.focus(scroll_visible=False)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert select.expanded
        overlay = select.query_one("SelectOverlay")
        footer = screen.query_one("Footer")
        assert WINDOW.contains_region(overlay.region), overlay.region
        assert not overlay.region.overlaps(footer.region), (overlay.region, footer.region)
        assert overlay.region.y >= select.region.bottom, (overlay.region, select.region)  # under its field
        assert form.region.contains_region(select.region)  # the field itself stays in view
        assert overlay.region.height >= min(3, overlay.option_count)
        await pilot.press("escape")
        await pilot.pause()
        assert not select.expanded and app.screen is screen


# --- dialogs and the too-small notice -------------------------------------------------------------


async def _resize(pilot, width: int, height: int) -> None:
    await pilot.resize_terminal(width, height)
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("key, dialog_type, title", [("f2", PhoneScreen, "Your phone and inbox"),
                                                    ("f1", HelpScreen, None)])
async def test_a_dialog_does_not_sit_over_the_too_small_notice(data_dir, key, dialog_type, title):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, dialog_type)
        box = dialog.query_one(".dialog")
        focused = app.focused
        title = title or str(dialog.query_one(".dialog-title").render())
        assert title in screen_text(app)

        await _resize(pilot, 40, 12)
        assert app.screen is dialog  # the dialog stays open ...
        assert not box.display and box.region.area == 0  # ... but is not drawn over the notice
        text = screen_text(app)
        assert NOTICE in text and "(it is 40x12 now)" in text and title not in text
        await pilot.press("x")  # a key goes nowhere unseen: the notice says it was not typed
        await pilot.pause()
        assert "1 key not typed" in screen_text(app)

        await _resize(pilot, 80, 24)
        assert app.screen is dialog and box.display
        assert title in screen_text(app) and NOTICE not in screen_text(app)
        assert app.focused is focused  # its focus is back
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen)


async def test_the_console_phone_is_not_hidden_in_a_small_window(data_dir):
    """The approver console has no too-small notice: its F2 dialog stays as it was."""
    from screens.console import ApproverConsoleApp
    from tests.conftest import FrozenClock, SequentialCodes
    from wizard.store import Store

    app = ApproverConsoleApp(Store(data_dir), clock=FrozenClock(), randbelow=SequentialCodes(654321),
                             blink=False, catch_errors=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PhoneScreen([]))
        await pilot.pause()
        await _resize(pilot, 40, 12)
        assert isinstance(app.screen, PhoneScreen) and app.screen.query_one(".dialog").display
        assert "No messages yet." in screen_text(app)


@pytest.mark.parametrize("opened_by", ["f3", "button"])
async def test_closing_the_qr_code_puts_the_keys_into_the_code_field(data_dir, opened_by):
    """The QR code is scanned, then the code is typed: from the button too, whose focus would
    otherwise have taken the digits."""
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY, "okta_verify")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if opened_by == "f3":
            await pilot.press("f3")
        else:
            app.screen.query_one("#show-qr").focus()
            await pilot.pause()
            await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QrScreen)
        await pilot.press("escape", "1", "2", "3")
        await pilot.pause()
        assert app.screen.query_one("#field-code").control.value == "123"
