"""Keys typed ahead land where they were aimed: a burst of keys posted with no pause (as a fast
typist or a terminal delivers them) across text fields, radio sets, checkboxes and selects gives
the same result as the keys typed one by one. After a resize the focused field's text is not
selected (the next key adds to it); a key pressed while the too-small notice is up is refused
with a word, never typed into a hidden field."""

from __future__ import annotations

from textual import events
from textual.widgets import Checkbox, Input, RadioSet, Select

from screens.base import StepScreen
from tests.factory import app_at, make_app
from wizard.steps import Step

CHARS = {"space": " ", "tab": None, "shift+tab": None, "down": None, "up": None, "enter": "\r"}


def burst(app, keys: list[str]) -> None:
    """Post every key at once, the way they arrive from a terminal in one read."""
    for key in keys:
        char = CHARS.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))


async def settle(pilot) -> None:
    for _ in range(4):
        await pilot.pause()


async def test_a_burst_on_identity_proofing_answers_every_question(data_dir):
    app = app_at(data_dir, Step.PROOFING)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        sets = list(screen.query(RadioSet))
        assert app.focused is sets[0]
        # q0: Space on the first option; Tab, Down x3, Space: q1's fourth option; and so on
        keys = ["space"]
        for _ in sets[1:]:
            keys += ["tab", "down", "down", "down", "space"]
        keys += ["tab", "space"]  # "I am not a robot"
        burst(app, keys)
        await settle(pilot)
        chosen = [s.pressed_index for s in sets]
        assert chosen == [0] + [3] * (len(sets) - 1)
        assert screen.query_one(Checkbox).value is True


async def test_a_burst_across_text_fields_lands_in_each(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        burst(app, [*"Ana", "tab", *"Q", "tab", *"Lopez", "tab"])
        await settle(pilot)
        inputs = [w for w in screen.query(Input)]
        assert [i.value for i in inputs[:3]] == ["Ana", "Q", "Lopez"]
        assert isinstance(app.focused, Select)  # Suffix: the next control, reached in order
        burst(app, ["tab", *"04/27/1980"])
        await settle(pilot)
        assert inputs[3].value == "04/27/1980"


async def test_after_a_resize_the_next_key_adds_to_the_field(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"Ana")
        first = app.focused
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert app.focused is first
        await pilot.press(*"bel")
        await settle(pilot)
        assert first.value == "Anabel"


async def test_a_key_during_the_too_small_notice_is_refused_with_a_word(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"Ana")
        first = app.focused
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StepScreen)
        notice = str(screen.query_one("#too-small").render())
        assert "not typed" in notice
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert first.value == "Ana"


def test_an_esc_inside_a_bracketed_paste_is_removed_before_textual_reads_it():
    from screens.keys import _clean_paste

    def read(chunks):
        state, out = (False, "", ""), ""
        for chunk in chunks:
            text, *rest = _clean_paste(chunk, *state)
            state, out = tuple(rest), out + text
        return out

    whole = "x\x1b[200~abc\x1bdef\r\n\x1b[201~y"
    assert read([whole]) == "x\x1b[200~abcdef\r\n\x1b[201~y"
    # markers and the ESC split across reads
    assert read(["x\x1b[2", "00~abc\x1b", "def\x1b[2", "01~y"]) == "x\x1b[200~abcdef\x1b[201~y"
    assert read(["\x1b", "[A"]) == "\x1b[A"  # outside a paste nothing is held back or changed


async def test_a_paste_then_keys_stay_in_order_in_one_field(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.focused
        app.post_message(events.Paste("Ana\x1b\r\n"))
        burst(app, [*"bel"])
        await settle(pilot)
        assert first.value == "Anabel" and app.focused is first  # no Enter from the paste


async def test_keys_after_the_app_lost_focus_land_in_the_field(data_dir):
    """Found merging the browser view with in-order keys: textual-serve reports a tab that is not
    the focused window as AppBlur, and the keys then went to the bare screen (nothing typed,
    nothing saved). As Textual's own App does, a key gives the app its focus back first."""
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        field = app.focused
        assert isinstance(field, Input)
        app.post_message(events.AppBlur())
        await settle(pilot)
        assert app.focused is None
        burst(app, list("Zelda"))
        await settle(pilot)
        assert app.focused is field and field.value == "Zelda"
