"""Every page reads in every colour system: 16 colours (TERM=xterm, TERM=linux), 256, true colour
and NO_COLOR. Each page is rendered at 80x24 and every visible character's foreground and
background are reduced the way the terminal's colour system reduces them (rich's downgrade, as
Textual's driver does): no text may end up drawn in its own background colour. Placeholders are
shown, the chosen option is marked by a glyph, not by colour alone, and the current step is not
marked in an alarm colour (red)."""

from __future__ import annotations

import pytest
from rich.color import Color, ColorSystem, ColorType
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

from tests.factory import app_at
from wizard.steps import Step

SYSTEMS = {"16": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR}
DEFAULT_FG, DEFAULT_BG = "default-fg", "default-bg"
RED = {1, 9}  # ANSI red, bright red


def _reduce(color: Color | None, system: ColorSystem, default: str):
    if color is None or color.is_default:
        return default
    color = color.downgrade(system)
    if color.type in (ColorType.STANDARD, ColorType.EIGHT_BIT):
        number = color.number
        # the 16 colours as a 16-colour terminal shows them (8-15 are the bright ones)
        return ("ansi", number) if number < 16 else ("256", number)
    return color.get_truecolor(DEFAULT_TERMINAL_THEME)


def cells(app):
    """(character, style) of every cell on screen, row by row."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    rows = []
    for line in update.strips:
        row = []
        for segment in (segment for strip in line for segment in strip):
            if not segment.control:
                row.extend((char, segment.style) for char in segment.text)
        rows.append(row)
    return rows


def invisible(rows, system: ColorSystem) -> list[str]:
    """Where a character other than a space, a line or a block is drawn in its background colour."""
    found = []
    for y, row in enumerate(rows):
        for x, (char, style) in enumerate(row):
            if char.isspace() or "\u2500" <= char <= "\u259f":  # lines and blocks are not text
                continue
            fg = _reduce(style.color if style else None, system, DEFAULT_FG)
            bg = _reduce(style.bgcolor if style else None, system, DEFAULT_BG)
            if style and style.reverse:
                fg, bg = bg, fg
            if fg == bg:
                line = "".join(c for c, _ in row)
                found.append(f"({x},{y}) {char!r} in {line.strip()!r}")
    return found


@pytest.mark.parametrize("step", Step.ordered(), ids=lambda s: s.key)
async def test_every_page_is_legible_in_16_256_and_true_colour(data_dir, step):
    app = app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = cells(app)
    for name, system in SYSTEMS.items():
        assert not invisible(rows, system), (name, invisible(rows, system)[:5])


@pytest.mark.parametrize("step", Step.ordered(), ids=lambda s: s.key)
async def test_every_page_is_legible_with_no_color(data_dir, step, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        rows = cells(app)
    assert not invisible(rows, ColorSystem.TRUECOLOR), invisible(rows, ColorSystem.TRUECOLOR)[:5]


async def test_current_step_is_not_red_in_16_colours(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        from screens.widgets import StepList

        steps = app.screen.query_one(StepList)  # the current step's line of the step list
        line = [kind for _, kind in steps.lines()].index("current")
        box = steps.content_region
        region = box._replace(y=box.y + line, height=1)
        rows = cells(app)
    row = rows[region.y][region.x : region.right]
    text = "".join(c for c, _ in row)
    assert text.strip().startswith("▶")  # a glyph marks the current step, not colour alone
    for char, style in row:
        for color in (style.color, style.bgcolor):
            reduced = _reduce(color, ColorSystem.STANDARD, None)
            assert not (isinstance(reduced, tuple) and reduced[0] == "ansi" and reduced[1] in RED), text


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
async def test_chosen_radio_is_marked_by_a_glyph(data_dir, monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        from textual.widgets import RadioButton

        buttons = list(app.screen.query(RadioButton))
        assert buttons
        await pilot.pause()
        for button in buttons:
            label = "".join(s.text for s in button.render_line(0))
            glyph = "◉" if button.value else "○"
            assert glyph in label, (button.value, label)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
async def test_errors_stand_out_with_no_color(data_dir, monkeypatch, no_color):
    """With NO_COLOR, $error's red becomes a grey dimmer than the text (a walk measured 2.6:1):
    errors are drawn bold in the text's own colour instead; in colour they stay $error."""
    from textual.color import Color as TextualColor
    from textual.widgets import Static

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")  # an empty profile: every required field refused
        await pilot.pause()
        assert app.no_color is no_color
        variables = app.get_css_variables()
        error, text = TextualColor.parse(variables["error"]), TextualColor.parse(variables["foreground"])
        shown = [app.screen.query_one("#form-message", Static),
                 app.screen.query_one("#error-first_name", Static),
                 app.screen.query_one("#field-first_name .field-label")]
        for widget in shown:
            assert widget.styles.color.rgb == (text if no_color else error).rgb, widget
            assert widget.styles.text_style.bold or not no_color, widget
