"""Every kind of refusal a user can meet, through the screens: the message names the field and
says what to do, and nothing moves on."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.factory import CCN, PASSWORD, PROFILE, USER_ID, account_form, app_at, make_app
from tests.pilot_helpers import error_of, fill, message_of, next_page, step_of
from wizard.steps import Step


async def test_empty_profile_names_every_required_field(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await next_page(pilot)
        assert step_of(pilot) == Step.PROFILE
        for field, label in [("first_name", "First name"), ("email", "Email"), ("zip_code", "ZIP code"),
                             ("ssn_choice", "SSN"), ("facility_name", "facility")]:
            assert label in error_of(pilot, field)
        assert "Fix" in message_of(pilot) and "first_name" not in message_of(pilot)
        assert app.screen.focused is app.screen.query_one("#field-first_name").control


async def test_personal_email_needs_the_exception(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {**PROFILE, "email": "jane@gmail.com", "email_confirm": "jane@gmail.com"})
        await next_page(pilot)
        assert step_of(pilot) == Step.PROFILE
        assert "personal email" in error_of(pilot, "email")
        await fill(pilot, {"personal_email_allowed": True})
        await next_page(pilot)
        assert step_of(pilot) == Step.ACCOUNT


async def test_profile_field_rules_shown_under_fields(data_dir):
    app = app_at(data_dir, Step.PROFILE)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {**PROFILE, "date_of_birth": "02/29/2023", "zip_code": "4321",
                           "phone": "555-0100", "email_confirm": "other@sunnyacres.org"})
        await next_page(pilot)
        assert "leap year" in error_of(pilot, "date_of_birth")
        assert "ZIP code is 5 digits" in error_of(pilot, "zip_code")
        assert "area code" in error_of(pilot, "phone")
        assert "do not match" in error_of(pilot, "email_confirm")
        await fill(pilot, {"date_of_birth": "12/01/2009"})
        await next_page(pilot)
        assert "at least 18" in error_of(pilot, "date_of_birth")


async def test_user_id_and_password_rules(data_dir):
    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(80, 24)) as pilot:
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, {**form, "user_id": "jdoe#pso", "password": "Short1a", "password_confirm": "Short1a"})
        checklist = str(app.screen.query_one("#password-checklist", Static).render())
        assert "✗ 15 to 60 characters" in checklist and "✓ a digit" in checklist
        await next_page(pilot)
        assert step_of(pilot) == Step.ACCOUNT
        assert "#" in error_of(pilot, "user_id")
        assert "15 to 60 characters" in error_of(pilot, "password")
        # no confirmation dialog while anything is invalid
        assert not app.screen_stack[-1].__class__.__name__ == "ConfirmScreen"


async def test_user_id_with_facility_word_warns_but_allows(data_dir):
    app = app_at(data_dir, Step.ACCOUNT)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        form = account_form()
        form.pop("user_id_permanent_ok")
        await fill(pilot, {**form, "user_id": "sunny.jdoe"})
        warning = str(app.screen.query_one("#user-id-warning", Static).render())
        assert "sunny" in warning
        await next_page(pilot)
        await pilot.click("#confirm-no")
        await pilot.pause()
        assert step_of(pilot) == Step.ACCOUNT and "another User ID" in message_of(pilot)


async def test_identity_proofing_fails_twice_then_manual_path(data_dir):
    app = app_at(data_dir, Step.PROOFING)
    async with app.run_test(size=(80, 24)) as pilot:
        for attempt in range(2):
            questions = app.flow.proofing_questions()
            await fill(pilot, {**{f"q{i}": (q.correct + 1) % len(q.options) for i, q in enumerate(questions)},
                               "not_a_robot": True})
            await next_page(pilot)
            assert step_of(pilot) == Step.PROOFING
            # never says which answer was wrong
            assert "question" not in message_of(pilot).lower() or "new questions" in message_of(pilot)
        assert "manual" in message_of(pilot).lower()
        assert app.screen.query("#manual-proofing")
        assert "Continue" in str(app.screen.query_one("#next").label)
        await next_page(pilot)  # Ctrl+N continues the practice
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP


async def test_proofing_needs_every_answer_and_the_robot_box(data_dir):
    app = app_at(data_dir, Step.PROOFING)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"q0": 0})
        await next_page(pilot)
        assert "Choose an answer" in error_of(pilot, "q1")
        assert "not a robot" in error_of(pilot, "not_a_robot")
        assert app.flow.record.proofing_attempts == 0  # an incomplete form is no attempt
        # focus goes to the first unanswered question, as on every page to the first bad field
        assert app.screen.focused is app.screen.query_one("#field-q1").control


async def test_two_factor_wrong_password_and_back_refused(data_dir):
    app = app_at(data_dir, Step.TWO_FACTOR_SETUP)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"password": "Wrong-Password-99", "device_type": "sms", "phone": PROFILE["phone"]})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP
        assert "User ID or password is not right" in message_of(pilot)
        await pilot.press("escape")
        assert "already created" in message_of(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP


async def test_wrong_codes_lock_the_factor(data_dir):
    app = app_at(data_dir, Step.TWO_FACTOR_VERIFY)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(4):
            await fill(pilot, {"code": "000000"})
            await next_page(pilot)
            assert "not accepted" in error_of(pilot, "code")
        await fill(pilot, {"code": "000000"})
        await next_page(pilot)
        assert "locked" in error_of(pilot, "code")
        await fill(pilot, {"code": "123456"})  # even the right code is refused while locked
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_VERIFY and "locked" in error_of(pilot, "code")


async def test_iqies_sign_in_never_says_which_part_was_wrong(data_dir):
    app = app_at(data_dir, Step.IQIES_SIGN_IN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#send-code")
        await fill(pilot, {"user_id": USER_ID, "password": "Wrong-Password-99", "code": "123456"})
        await next_page(pilot)
        first = message_of(pilot)
        await fill(pilot, {"password": PASSWORD, "code": "999999"})
        await next_page(pilot)
        assert message_of(pilot) == first and "User ID, password or code" in first
        assert step_of(pilot) == Step.IQIES_SIGN_IN


async def test_category_outside_the_guide(data_dir):
    app = app_at(data_dir, Step.CATEGORY)
    async with app.run_test(size=(80, 24)) as pilot:
        other = next(c for c in app.flow.context()["catalogue"].categories if not c.in_guide)
        await fill(pilot, {"category": other.id})
        await next_page(pilot)
        assert step_of(pilot) == Step.CATEGORY and "outside this guide" in error_of(pilot, "category")


async def test_vendor_cannot_be_pso_and_is_told_what_to_ask_for(data_dir):
    app = app_at(data_dir, Step.ROLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"relationship": "vendor", "role": "pso"})
        await next_page(pilot)
        assert step_of(pilot) == Step.ROLE
        error = error_of(pilot, "role")
        assert "vendor cannot be" in error and "PBJ Submitter" in error


async def test_organization_search_refusals(data_dir):
    app = app_at(data_dir, Step.ORGANIZATIONS)
    async with app.run_test(size=(80, 24)) as pilot:
        await next_page(pilot)
        assert step_of(pilot) == Step.ORGANIZATIONS and "Add at least one organization" in message_of(pilot)
        await fill(pilot, {"search_for": "01500"})
        assert "6 characters" in str(app.screen.query_one("#search-preview", Static).render())
        await pilot.click("#add-org")
        await pilot.pause()
        assert "6 characters" in error_of(pilot, "search_for")
        await fill(pilot, {"search_for": "019999"})
        # Enter in the field (Add), not a click: the error above it has just changed height,
        # and under load a click could land before the layout settles
        app.screen.focus_field("search_for")
        await pilot.press("enter")
        await pilot.pause()
        assert "No provider with CCN 019999" in error_of(pilot, "search_for")
        await fill(pilot, {"search_for": CCN})
        await pilot.press("enter")  # Enter in Search for means Add
        await fill(pilot, {"search_for": CCN})
        await pilot.click("#add-org")
        await pilot.pause()
        assert "already added" in error_of(pilot, "search_for")
        # Facility ID search, then remove
        facility_id = app.flow.directory.by_ccn("015010").facility_id
        await fill(pilot, {"search_by": "facility_id", "search_for": facility_id})
        await pilot.click("#add-org")
        await pilot.pause()
        assert [o.ccn for o in app.flow.record.request.organizations] == [CCN, "015010"]
        await pilot.click(f"#remove-{CCN}")
        await pilot.pause()
        assert [o.ccn for o in app.flow.record.request.organizations] == ["015010"]


# One Pilot check per CCN kind (the same rule as the runner's: wizard.rules.ccn_outside_directory)
PILOT_CCN_KINDS = [
    ("210101", "Maryland short-term hospital"),
    ("011300", "critical access hospital"),
    ("012000", "long-term care hospital"),
    ("013025", "inpatient rehabilitation facility"),
    ("011500", "Alabama hospice"),
    ("013100", "home health agency"),
    ("017000", "home health agency"),
    ("019000", "home health agency"),
    ("01U001", "swing-bed"),
    ("015999", "nursing home's number"),
    ("15009", "lost its leading zero"),
]


@pytest.mark.parametrize(("ccn", "named"), PILOT_CCN_KINDS)
async def test_add_organizations_names_the_kind_of_a_ccn_outside_the_directory(data_dir, ccn, named):
    app = app_at(data_dir, Step.ORGANIZATIONS)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"search_for": ccn})
        assert named in str(app.screen.query_one("#search-preview", Static).render())
        app.screen.focus_field("search_for")
        await pilot.press("enter")  # Add
        await pilot.pause()
        error = error_of(pilot, "search_for")
        assert named in error
        if len(ccn) == 5:
            assert "try 015009" in error
        elif "nursing home's number" not in named:
            assert "lists only nursing homes" in error
        assert app.flow.record.request.organizations == []


async def test_typing_on_the_closed_state_picker_picks_the_state(data_dir):
    from textual.widgets import Select

    from tests.factory import make_app

    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = app.screen.query_one("#field-state").control
        assert isinstance(picker, Select) and not picker.expanded
        now = [100.0]
        picker.clock = lambda: now[0]  # the window is judged on this clock, not on how fast Pilot is
        picker.focus()
        await pilot.press("o", "h")
        await pilot.pause()
        assert picker.value == "OH" and not picker.expanded
        now[0] += picker.TYPE_WINDOW_SECONDS + 0.2  # a new word after a pause
        await pilot.press("t", "e", "x")
        await pilot.pause()
        assert picker.value == "TX"


async def test_a_refused_add_says_it_once_and_is_gone_once_the_ccn_is_edited(data_dir):
    app = app_at(data_dir, Step.ORGANIZATIONS)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.focus_field("search_for")
        await pilot.press("enter")  # Add with nothing typed
        await pilot.pause()
        assert "Enter a CCN" in error_of(pilot, "search_for") and "Enter a CCN" in message_of(pilot)
        await fill(pilot, {"search_for": "15009"})
        await pilot.pause()
        # the refusal was about the empty field: the preview speaks for what is typed now
        assert "Enter a CCN" not in error_of(pilot, "search_for") + message_of(pilot)
        assert "lost its leading zero" in str(app.screen.query_one("#search-preview", Static).render())
        app.screen.focus_field("search_for")
        await pilot.press("enter")
        await pilot.pause()
        assert "lost its leading zero" in error_of(pilot, "search_for")
        assert "lost its leading zero" not in str(app.screen.query_one("#search-preview", Static).render())
