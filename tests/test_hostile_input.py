"""Hostile input: terminal escapes, NUL, bidi overrides and Rich markup typed into every field, or
stored in the data file, never reach the terminal as such and never crash a page; markup shows
literally. Also: the one sanitiser (wizard/sanitize.py), field length limits, huge pastes, and
validate_form fuzzed for every step model."""

from __future__ import annotations

import time
import unicodedata
from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.widgets import Input

from screens.widgets import ConfirmScreen, FieldInput, FieldRow, PhoneScreen, QrScreen, plain, styled
from tests.factory import CCN, PASSWORD, PROFILE, USER_ID, account_form, app_at, make_app
from tests.pilot_helpers import error_of, fill, next_page, step_of
from tests.states import advance_to
from wizard.catalogue import catalogue, challenge_questions
from wizard.models import STEP_MODELS, HarpProfile, OrganizationRef, validate_form
from wizard.sanitize import FORBIDDEN_RANGES, clean_line, clean_text, is_forbidden, mask_line
from wizard.steps import Step

INJECTIONS = ["\x1b]0;pwned\x07", "\x1b[2J", "a\x00b", "\u202eevil", "[/]", "[link=x]y", "[bold]x"]
MARKUP = ["[/]", "[link=x]y", "[bold]x"]
EVERYTHING = "\x1b]0;pwned\x07 \x1b[2J a\x00b \u202eevil [/] [link=x]y [bold]x"
NEVER_ON_SCREEN = ("\x1b", "\x00", "\x07", "\u202e")

TEXT_PAGES = [Step.PROFILE, Step.ACCOUNT, Step.TWO_FACTOR_SETUP, Step.TWO_FACTOR_VERIFY,
              Step.IQIES_SIGN_IN, Step.ORGANIZATIONS]


# -- helpers ---------------------------------------------------------------------------------------


def screen_text(app) -> str:
    """Every character the compositor would send for the whole screen (dialogs over pages
    included), without Textual's own cursor moves."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = []
    for line in update.strips:
        lines.append("".join(seg.text for strip in line for seg in strip if not seg.control))
    return "\n".join(lines)


def assert_screen_safe(app, *literals: str, svg: bool = True) -> str:
    """No control or bidi character on screen; each of ``literals`` shown as it is. ``svg``: also
    check Textual's own screenshot (slower; the same segments, exported)."""
    text = screen_text(app)
    for bad in NEVER_ON_SCREEN:
        assert bad not in text, f"{bad!r} reached the screen"
    if svg:
        shot = app.export_screenshot()
        for bad in NEVER_ON_SCREEN:
            assert bad not in shot, f"{bad!r} in the screenshot"
    for literal in literals:
        assert literal in text, f"{literal!r} not shown literally"
    return text


def text_inputs(screen) -> list[tuple[str, Input]]:
    return [(row.field_name, row.control) for row in screen.query(FieldRow) if isinstance(row.control, Input)]


# -- the sanitiser ---------------------------------------------------------------------------------


def _should_go(ch: str) -> bool:
    """The rule, stated independently of the implementation."""
    cp = ord(ch)
    if ch in "\n\t":
        return False
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return True
    if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
        return True
    if ch in "\u200c\u200d":
        return False
    if unicodedata.category(ch) in {"Cf", "Cs", "Zl", "Zp"}:
        return True
    return (cp & 0xFFFE) == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("\x1b]0;pwned\x07", "]0;pwned"),
        ("\x1b[2J", "[2J"),
        ("a\x00b", "ab"),
        ("\u202eevil", "evil"),
        ("a\u2066b\u2069c\u202ad", "abcd"),
        ("[/] [link=x]y [bold]x", "[/] [link=x]y [bold]x"),
        ("line\r\nnext\ttab", "line\nnext\ttab"),
        ("del\x7f c1\x9b[2J", "del c1[2J"),
        ("zero\u200bwidth \ufeffbom soft\u00adhyphen", "zerowidth bom softhyphen"),
        ("tags\U000e0041\U000e0042", "tags"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("emoji 👩\u200d💻 and \u200cZWNJ stay", "emoji 👩\u200d💻 and \u200cZWNJ stay"),
        ("Ünïcødé 日本 ñ", "Ünïcødé 日本 ñ"),
        ("", ""),
    ],
)
def test_clean_text(typed, shown):
    assert clean_text(typed) == shown


def test_clean_line_and_mask_line():
    assert clean_line("a\nb\tc\x1b[2J") == "a b c[2J"
    masked = mask_line("a\x1bb\nc\u202e")
    assert masked == "a\ufffdb c\ufffd"
    assert len(masked) == len("a\x1bb\nc\u202e")  # one for one: the cursor lines up


def test_forbidden_ranges_cover_every_format_and_control_character():
    """Checked against this Python's Unicode database, so a newer Unicode is noticed."""
    for cp in range(0x110000):
        ch = chr(cp)
        assert is_forbidden(ch) == _should_go(ch) or (
            # ranges may also hold unassigned code points next to format characters
            unicodedata.category(ch) == "Cn" and is_forbidden(ch)
        ), hex(cp)
    assert all(start <= end for start, end in FORBIDDEN_RANGES)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200))
def test_clean_text_never_lets_a_forbidden_character_through(s):
    out = clean_text(s)
    assert not any(_should_go(ch) for ch in out)
    assert clean_text(out) == out  # idempotent
    line = clean_line(s)
    assert "\n" not in line and "\t" not in line and not any(_should_go(ch) for ch in line)
    assert len(mask_line(s)) == len(s)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=100),
       st.text(max_size=20))
def test_plain_and_styled_keep_styles_and_drop_forbidden(s, t):
    from rich.text import Text

    rich = Text()
    rich.append(s, style="bold")
    rich.append(t)
    cleaned = plain(rich)
    assert cleaned.plain == clean_text(s) + clean_text(t)
    assert not any(_should_go(ch) for ch in cleaned.plain)
    assert styled((s, "bold"), t).plain == cleaned.plain
    if clean_text(s):
        assert any(span.style == "bold" for span in cleaned.spans)


def test_clean_text_is_fast_on_a_huge_paste():
    started = time.perf_counter()
    out = clean_text("x\x1b[2J" * 100_000)
    assert time.perf_counter() - started < 2
    assert "\x1b" not in out and len(out) == 400_000


def test_plain_never_parses_markup():
    from textual.content import Content

    for s in MARKUP:
        assert plain(s).plain == s
        assert Content.from_rich_text(plain(s)).plain == s


# -- every text field of the happy path, each injection ------------------------------------------


@pytest.mark.parametrize("step", TEXT_PAGES, ids=lambda s: s.key)
async def test_injections_in_every_field_render_safely(data_dir, step):
    app = app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if step == Step.TWO_FACTOR_SETUP:
            await fill(pilot, {"device_type": "sms"})  # so that the phone field shows
        names = [name for name, _control in text_inputs(app.screen)]
        assert names, step
        # round k: field i holds injection (i + k) mod 7, so every field gets every injection and
        # every page shows a mix of them at once (refusal messages included)
        for k in range(len(INJECTIONS)):
            typed: dict[str, str] = {}
            for i, name in enumerate(names):
                row = app.screen.query_one(f"#field-{name}", FieldRow)
                assert row.display, name
                typed[name] = INJECTIONS[(i + k) % len(INJECTIONS)]
                row.control.value = typed[name]
            await pilot.pause()
            assert_screen_safe(app, svg=False)
            for name, injection in typed.items():
                control = app.screen.query_one(f"#field-{name}", FieldRow).control
                assert control.value == injection[: control.max_length]  # kept as typed ...
                if not control.password:  # ... shown with each control character as U+FFFD
                    assert mask_line(control.value) in line_of(control), (name, injection)
            # refused (no injection is a valid answer): the refusals render safely too
            await next_page(pilot)
            if step == Step.ORGANIZATIONS:
                await pilot.press("enter")  # Enter in Search for means Add
                await pilot.pause()
            assert step_of(pilot) == step, k
            errors = [str(w.render()) for w in app.screen.query(".field-error.visible")]
            assert errors or step == Step.ORGANIZATIONS, k
            assert_screen_safe(app, svg=k == 0)


def line_of(control: Input) -> str:
    """What an input shows (its own rendering, wherever the form is scrolled)."""
    return "".join(segment.text for segment in control.render_line(0))


async def test_happy_path_with_hostile_facility_name(data_dir, clock):
    """The one free-text field the rules accept anything in: carried to every later page."""
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await fill(pilot, {**PROFILE, "facility_name": EVERYTHING})
        assert_screen_safe(app)
        await next_page(pilot)
        # control and formatting characters are refused, with a message that renders safely
        assert step_of(pilot) == Step.PROFILE
        assert "control" in error_of(pilot, "facility_name")
        assert_screen_safe(app)
        # markup stays allowed (and literal): it is ordinary text
        await fill(pilot, {"facility_name": "[bold]pwned[/] [link=x]y Care"})
        await next_page(pilot)
        assert step_of(pilot) == Step.ACCOUNT
        assert_screen_safe(app)
        form = account_form()
        form.pop("user_id_permanent_ok")
        form["user_id"] = "pwned_pso"  # holds a word of the facility's name: a warning shows it
        await fill(pilot, form)
        warning = str(app.screen.query_one("#user-id-warning").render())
        assert "pwned" in warning and "\x1b" not in warning
        assert_screen_safe(app)
        await next_page(pilot)
        assert_screen_safe(app)  # the "cannot be changed" dialog
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert step_of(pilot) == Step.PROOFING
        assert_screen_safe(app)  # with the facility-word warning as a notification
        questions = app.flow.proofing_questions()
        await fill(pilot, {**{f"q{i}": q.correct for i, q in enumerate(questions)}, "not_a_robot": True})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP
        assert_screen_safe(app)
        await pilot.press("f2")
        await pilot.pause()
        assert_screen_safe(app)  # the account-created email
        await pilot.press("escape")
        await pilot.pause()
        await fill(pilot, {"user_id": "pwned_pso", "password": PASSWORD, "device_type": "sms",
                           "phone": PROFILE["phone"]})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_VERIFY
        assert_screen_safe(app)


# -- stored text (an edited data file can hold anything) ----------------------------------------


async def test_review_and_pending_requests_show_stored_text_literally(data_dir):
    flow = advance_to(data_dir, Step.REVIEW)
    flow.record.request.organizations = [
        OrganizationRef(ccn=CCN, facility_id="AL1", name=EVERYTHING, city="[bold]x\x1b[2J", state="AL")
    ]
    flow.save()
    app = make_app(data_dir, flow.clock, signed_in=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.REVIEW
        assert_screen_safe(app, "]0;pwned", "[/] [link=x]y [bold]x", "[bold]x[2J")
        await next_page(pilot)  # Submit Request: the stored request shows under Pending Requests
        assert step_of(pilot) == Step.AWAIT_APPROVAL
        assert_screen_safe(app, "[/] [link=x]y [bold]x", "Role Request Submitted")


async def test_welcome_banner_and_foreign_request_fields(data_dir):
    from wizard import seal

    flow = advance_to(data_dir, Step.WELCOME)
    hostile = {
        "id": "x1", "user_id": USER_ID, "requester": EVERYTHING, "email": "a@b.org",
        "category": "provider", "role": "[bold]x\x1b[2J", "relationship": "employee",
        "organizations": [{"ccn": "[/]", "facility_id": "\x00", "name": EVERYTHING, "city": "\u202eevil",
                           "state": "[link=x]y", "status": "pending",
                           "approver": "cms", "approver_text": "[bold]x"}],
        "submitted_at": "not a date\x1b[2J",
    }
    flow.store.add_request(hostile)
    # a status the app does not know is no record (wizard/records.py): sealed, it is still ignored
    unknown = {**hostile, "id": "x2", "organizations": [{**hostile["organizations"][0], "status": "pending\x1b]0;t\x07"}]}
    flow.store.table("requests").insert(seal.Sealer(flow.store.vault, seal.REQUEST, create=True).seal(unknown))
    assert [r.id for r in flow.store.requests()] == ["x1"]
    app = make_app(data_dir, flow.clock, signed_in=True)
    app.flow.banner = "[bold]x\x1b]0;pwned\x07"
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.WELCOME
        assert_screen_safe(app, "[bold]x[2J", "[/] [link=x]y [bold]x", "[bold]x]0;pwned", "evil")


async def test_phone_confirm_and_qr_dialogs_with_hostile_text(data_dir):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.flow.send_message("email", app.flow.profile.email, "[bold]x\x1b[2J", EVERYTHING)
        app.flow.send_message("sms", "\x1b]0;pwned\x07", "[/]", "[link=x]y")
        app.push_screen(PhoneScreen([*app.flow.messages(), {"kind": "\x1b[2J", "to": None}]))
        await pilot.pause()
        assert_screen_safe(app, "[bold]x[2J", "[link=x]y", "]0;pwned")
        app.pop_screen()
        app.push_screen(ConfirmScreen(EVERYTHING, "[bold]x" + EVERYTHING, yes="[bold]x", no="[/]\n\x1b[2J"))
        await pilot.pause()
        assert_screen_safe(app, "[bold]x", "[/]")
        app.pop_screen()
        app.push_screen(QrScreen("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "[bold]x\x1b[2J"))
        await pilot.pause()
        assert_screen_safe(app, "[bold]x[2J")


async def test_messages_errors_and_search_preview_with_hostile_text(data_dir):
    app = app_at(data_dir, Step.ORGANIZATIONS)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.show_message("[bold]x" + EVERYTHING, "error")
        screen.query_one("#field-search_for", FieldRow).show_error("[link=x]y\x1b[2J")
        await pilot.pause()
        assert_screen_safe(app, "[bold]x", "[link=x]y[2J")
        provider = SimpleNamespace(name=EVERYTHING, city="[bold]x", state="\x1b[2J", ccn="[/]",
                                   facility_id="\u202eevil")
        app.flow.find_organization = lambda by, text: (provider, "")  # type: ignore[method-assign]
        await fill(pilot, {"search_for": "anything"})
        preview = str(screen.query_one("#search-preview").render())
        assert "[/] [link=x]y [bold]x" in preview and "\x1b" not in preview
        assert_screen_safe(app, "Facility ID evil")


# -- length limits and huge pastes ---------------------------------------------------------------


MAX_LENGTHS = {
    "first_name": 50, "middle_name": 50, "last_name": 50, "date_of_birth": 10, "email": 254,
    "email_confirm": 254, "phone": 30, "street": 100, "city": 60, "zip_code": 10,
    "facility_name": 120, "user_id": 74, "password": 60, "password_confirm": 60,
    "challenge_answer": 100, "code": 8, "search_for": 20,
}


@pytest.mark.parametrize("step", TEXT_PAGES, ids=lambda s: s.key)
async def test_every_field_has_a_length_limit_and_a_huge_paste_is_cut(data_dir, step):
    app = app_at(data_dir, step)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if step == Step.TWO_FACTOR_SETUP:
            await fill(pilot, {"device_type": "sms"})  # so that the phone field shows
        for name, _control in text_inputs(app.screen):
            row = app.screen.query_one(f"#field-{name}", FieldRow)
            control = row.control
            assert isinstance(control, FieldInput), name
            assert control.max_length == MAX_LENGTHS[name], name
            assert row.display, name
            control.value = ""
            control.focus()
            await pilot.pause()
            started = time.perf_counter()
            control.post_message(events.Paste("x" * 100_000))
            await pilot.pause()
            assert time.perf_counter() - started < 5, name
            assert control.value == "x" * control.max_length, name
            # typed-in-code insertions are refused whole when too long (Textual's own rule)
            control.insert_text_at_cursor("y" * 100_000)
            await pilot.pause()
            assert len(control.value) <= control.max_length
            control.value = ""
        await pilot.pause()
        assert_screen_safe(app)


async def test_paste_keeps_its_lines_in_one_field_without_controls_and_fits_the_room(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-first_name", FieldRow).control
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste("Ja\x1b[2Jne\u202e\tX\nsecond line"))
        await pilot.pause()
        assert field.value == "Ja[2Jne X second line"
        field.value = "y" * 45
        field.cursor_position = 45
        field.post_message(events.Paste("z" * 100))
        await pilot.pause()
        assert field.value == "y" * 45 + "z" * 5
        field.value = "x" * 500  # a stale draft, set by code
        assert len(field.value) == 50


async def test_stale_overlong_draft_opens_the_page(data_dir):
    flow = advance_to(data_dir, Step.PROFILE)
    flow.save_draft(Step.PROFILE, {"first_name": "J" * 5000 + "\x1b[2J", "street": "[bold]x" * 1000})
    app = make_app(data_dir, flow.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-first_name", FieldRow).control
        assert field.value == "J" * 50
        assert len(app.screen.query_one("#field-street", FieldRow).control.value) == 100
        assert_screen_safe(app)


# -- validate_form fuzz for the step models tests/test_models.py does not fuzz -------------------

_text = st.one_of(st.none(), st.text(max_size=80), st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
_anything = st.one_of(
    _text, st.booleans(), st.integers(), st.lists(st.one_of(st.none(), st.integers(), _text), max_size=7),
    st.lists(st.dictionaries(st.sampled_from(["ccn", "facility_id", "name", "city", "state", "x"]), _text),
             max_size=4),
)
_fuzz = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _context(key: str) -> dict:
    if key == "account":
        profile, errors = validate_form(HarpProfile, PROFILE, {"today": date(2026, 11, 23)})
        assert not errors
        return {"profile": profile, "challenge_questions": challenge_questions(), "taken_user_ids": ["x"]}
    return {"today": date(2026, 11, 23), "catalogue": catalogue()}


FUZZED_ELSEWHERE = {"profile", "account", "two_factor_verify"}  # tests/test_models.py


@pytest.mark.parametrize("key", sorted(set(STEP_MODELS) - FUZZED_ELSEWHERE))
def test_validate_form_only_ever_returns_errors(key):
    model = STEP_MODELS[key]

    @_fuzz
    @given(form=st.fixed_dictionaries({}, optional={name: _anything for name in model.model_fields}),
           text_only=st.fixed_dictionaries({}, optional={name: _text for name in model.model_fields}))
    def run(form, text_only):
        for values in (form, text_only):
            result, errors = validate_form(model, values, _context(key))
            assert (result is None) == bool(errors)
            assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())

    run()
