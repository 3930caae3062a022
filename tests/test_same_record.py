"""One set of answers, three front ends, one record (issue 18): examples/happy-path.yaml through the
full-screen wizard (Pilot, on the real screens), through ``plain`` (line by line) and through
``run --answers`` stores the same account record and the same role request (timestamps, hashes
and secrets aside: see ``tests.test_plain.NOT_COMPARED``).

Every value typed comes from the answers file through the one answers-to-form path
(:func:`wizard.answers.profile_form` and its siblings), so the three runs answer alike."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Callable, Union

import pytest

from tests.pilot_helpers import fill, next_page, step_of
from tests.states import last_code
from tests.test_plain import ANSWER, PASSWORD, _check_output, _stored, by_runner  # noqa: F401 - a fixture
from wizard.answers import account_form, profile_form, read_raw, two_factor_form
from wizard.steps import Step

ROOT = Path(__file__).resolve().parent.parent
HAPPY = ROOT / "examples" / "happy-path.yaml"
PRACTICE_ACCOUNT = "maria"  # the file's practice_account


@pytest.fixture(scope="module")
def answers() -> dict:
    raw = read_raw(HAPPY)
    assert raw["practice_account"] == PRACTICE_ACCOUNT
    assert raw["account"]["password"] == PASSWORD and raw["account"]["challenge_answer"] == ANSWER
    return raw


# --- the full-screen wizard ------------------------------------------------------------------


async def _through_the_wizard(home: Path, raw: dict) -> None:
    from screens.app import OnboardingApp
    from wizard.store import Store

    app = OnboardingApp(Store(home, practice_account=PRACTICE_ACCOUNT), blink=False, catch_errors=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        flow = app.flow
        assert step_of(pilot) == Step.PROFILE
        await fill(pilot, profile_form(raw["profile"]))
        await next_page(pilot)
        assert step_of(pilot) == Step.ACCOUNT
        form = account_form(raw["account"])
        form.pop("user_id_permanent_ok")  # answered in the confirmation dialog, as a person does
        await fill(pilot, form)
        await next_page(pilot)
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert step_of(pilot) == Step.PROOFING
        right = {f"q{i}": q.correct for i, q in enumerate(flow.proofing_questions())}
        await fill(pilot, {**right, "not_a_robot": raw["proofing"]["not_a_robot"]})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP
        await fill(pilot, {"password": PASSWORD, **two_factor_form(raw["two_factor"], flow.profile)})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_VERIFY
        await fill(pilot, {"code": last_code(flow)})
        await next_page(pilot)
        assert step_of(pilot) == Step.IQIES_SIGN_IN
        await fill(pilot, {"password": PASSWORD})
        await pilot.click("#send-code")
        await pilot.pause()
        await fill(pilot, {"code": last_code(flow)})
        await next_page(pilot)
        assert step_of(pilot) == Step.WELCOME
        await next_page(pilot)  # Request User Role
        assert step_of(pilot) == Step.CATEGORY
        await fill(pilot, {"category": raw["role"]["category"]})
        await next_page(pilot)
        assert step_of(pilot) == Step.ROLE
        await fill(pilot, {"relationship": raw["role"]["relationship"], "role": raw["role"]["role"]})
        await next_page(pilot)
        assert step_of(pilot) == Step.ORGANIZATIONS
        for org in raw["organizations"]:
            assert org["search_by"] == "ccn"  # the page's default Search By
            await fill(pilot, {"search_for": org["id"]})
            await pilot.click("#add-org")
            await pilot.pause()
        await next_page(pilot)
        assert step_of(pilot) == Step.REVIEW
        await next_page(pilot)  # Submit Request
        assert step_of(pilot) == Step.AWAIT_APPROVAL


# --- plain mode, in process, answered as a person reads the questions ------------------------

Answer = Union[str, Callable[[], str]]


class _Person:
    """Standard input of a plain session: before each answer, the question just printed must
    match the script's next pattern (so the script cannot drift out of step unnoticed)."""

    def __init__(self, script: list[tuple[str, Answer]], out: io.StringIO) -> None:
        self.script = list(script)
        self.out = out
        self.seen = 0

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        text = self.out.getvalue()
        asked, self.seen = text[self.seen:], len(text)
        assert self.script, f"asked more than the script answers:\n{asked[-600:]}"
        pattern, answer = self.script.pop(0)
        assert re.search(pattern, asked), f"expected a question matching {pattern!r}, got:\n{asked[-600:]}"
        return (answer() if callable(answer) else answer) + "\n"


def _plain_script(flow, raw: dict) -> list[tuple[str, Answer]]:
    profile, account = profile_form(raw["profile"]), account_form(raw["account"])
    role, (org,) = raw["role"], raw["organizations"]
    script: list[tuple[str, Answer]] = []
    for name, label in (("first_name", "First name"), ("middle_name", "Middle name"), ("last_name", "Last name"),
                        ("suffix", "Suffix"), ("date_of_birth", "Date of birth"), ("email", "Email"),
                        ("email_confirm", "Confirm email"),
                        ("personal_email_allowed", "2 or fewer providers, no work email domain"),
                        ("phone", "Phone number"), ("street", "Street address"), ("city", "City"),
                        ("state", "State"), ("zip_code", "ZIP code"), ("ssn_choice", "SSN for HARP"),
                        ("facility_name", "Your facility")):
        value = profile.get(name, "")
        script.append((rf"{label}, (required|optional)\.", "no" if value is False else str(value or "")))
    script += [
        (r"User ID, required", account["user_id"]),
        (r"Password, required", account["password"]),
        (r"Confirm password, required", account["password_confirm"]),
        (r"Challenge question, required", account["challenge_question"]),
        (r"Challenge answer, required", account["challenge_answer"]),
        (r"Create the account with this User ID\?", "yes"),
    ]
    for index in range(5):
        script.append((rf"Question {index + 1} of \d+",
                       lambda index=index: str(flow.proofing_questions()[index].correct + 1)))
    script.append((r"I am not a robot, required", "yes" if raw["proofing"]["not_a_robot"] else "no"))
    setup = two_factor_form(raw["two_factor"], flow.profile)
    script += [
        (r"Step 4 of \d+.*User ID, required", account["user_id"]),
        (r"Password, required", PASSWORD),
        (r"Device type, required", setup["device_type"]),
        (r"Phone number, required", lambda: str(two_factor_form(raw["two_factor"], flow.profile)["phone"])),
        (r"Step 5 of \d+.*Security code, required", lambda: last_code(flow)),
        (r"Step 6 of \d+.*HARP User ID, required", account["user_id"]),
        (r"Password, required", PASSWORD),
        (r"Security code, required", lambda: last_code(flow)),
        (r"Press Enter for Request User Role", ""),
        (r"User category, required", role["category"]),
        (r"Your relationship to the provider, required", role["relationship"]),
        (r"User role, required", role["role"]),
        (r"Search for, required", org["id"]),
        (r"Add it\?", "yes"),
        (r"Search for, optional", ""),
        (r"Submit Request\?", "yes"),
        (r"Type status to see your requests again", "q"),
    ]
    return script


def _through_plain(home: Path, raw: dict) -> str:
    from wizard.flow import OnboardingFlow
    from wizard.plain import PlainSession
    from wizard.store import Store

    flow = OnboardingFlow(Store(home, practice_account=PRACTICE_ACCOUNT))
    out = io.StringIO()
    person = _Person(_plain_script(flow, raw), out)
    assert PlainSession(flow, stdin=person, stdout=out, env={"TERM": "dumb"}).run() == 0
    assert person.script == [], "the session ended before the script did"
    return out.getvalue()


# --- the three agree -------------------------------------------------------------------------


async def test_wizard_plain_and_run_answers_store_the_same_record(tmp_path: Path, answers: dict,
                                                                  by_runner: dict) -> None:
    await _through_the_wizard(tmp_path / "wizard", answers)
    text = _through_plain(tmp_path / "plain", answers)
    _check_output(text)
    assert "Role Request Submitted" in text
    by_wizard, by_plain = _stored(tmp_path / "wizard", PRACTICE_ACCOUNT), _stored(tmp_path / "plain", PRACTICE_ACCOUNT)
    assert by_runner["requests"] and by_runner["position"] == Step.AWAIT_APPROVAL.key
    assert by_wizard == by_runner
    assert by_plain == by_runner
