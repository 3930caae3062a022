"""The hooks a step spec declares for what is its own, found through the registry instead of
a per-step table elsewhere: ``play`` (how an answers-file run plays it, wizard/walk.py),
``draft_from_answers`` (what a page opened from a file starts with, wizard/runner.py),
``facts`` (what its validators need, OnboardingFlow.context), ``ends`` (the run ends it
stands for, wizard/answers/forms.py end_step) and ``page_fill`` (what trainer mode types on its
page, wizard/trainer.py page_fill). Spec-level: flows, never an App."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from tests.states import advance_to, answers_for
from wizard.outcome import StepOutcome
from wizard.steps import Step, StepSpec, registered
from wizard.walk import AnswersWalk, advance

ROOT = Path(__file__).resolve().parent.parent


def _noted(flow: Any, form: dict[str, Any]) -> StepOutcome:
    flow.record.step_facts["noted"] = {"done": True}
    return StepOutcome(True, next_step=Step.from_key("noted").next)


def _note_step(**hooks: Any) -> StepSpec:
    """A throwaway step after iQIES sign-in: Next records a fact; ``hooks`` are the spec's."""
    return StepSpec(
        key="noted", system="iQIES", real_page="Noted", label="Noted",
        done=lambda flow: bool(flow.record.step_facts.get("noted", {}).get("done")),
        submit=_noted, **hooks,
    )


class _FakeWalk:
    """Records what a play asks of the walk."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, str]] = []

    def step(self, step: Any, done: str = "ok") -> None:
        self.calls.append(("step", step, done))


# --- play: how an answers-file run plays a step -------------------------------------------------------


def _steps_named_in(module: str, function: str | None = None) -> set[str]:
    """The step keys a module's code (or one function of it) names: as a string, or as
    ``Step.KEY`` (docstrings aside)."""
    tree: ast.AST = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    if function is not None:
        tree = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    keys = set(Step.keys())
    dict_keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys}  # "profile": a fact
    named = {n.value for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and n.value in keys and id(n) not in dict_keys}
    named |= {n.attr.lower() for n in ast.walk(tree) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id == "Step" and n.attr.lower() in keys}
    return named


def test_walk_py_names_no_step_and_keeps_no_table_of_plays():
    assert _steps_named_in("wizard/walk.py") == set()
    assert "_PLAYS" not in (ROOT / "wizard" / "walk.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("key, line", [
    ("account", "ok (User ID confirmed: it can never be changed)"),
    ("welcome", "ok (Request User Role)"),
    ("review", "ok (Role Request Submitted)"),
])
def test_a_steps_own_play_says_its_line(key, line):
    spec = Step.from_key(key)
    walk = _FakeWalk()
    assert spec.play is not None and spec.play(walk, spec) is None
    assert walk.calls == [("step", spec, line)]


def test_the_walk_calls_the_specs_play(data_dir):
    seen: list[tuple[Any, Any]] = []

    def play(walk: AnswersWalk, step: StepSpec) -> None:
        seen.append((walk, step))
        return walk.submit(step, {}, "ok (played by its own spec)")

    with registered(_note_step(play=play), after="iqies_sign_in") as spec:
        flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
        lines: list[str] = []
        end = advance(flow, answers_for(), Step.WELCOME, out=lines.append)
        assert end.end == "until" and flow.current_step == Step.WELCOME, end
        assert len(seen) == 1 and isinstance(seen[0][0], AnswersWalk) and seen[0][1] is spec
        assert f"{spec.number}/{len(Step)} Noted: ok (played by its own spec)" in lines


def test_a_step_without_a_play_is_walked_by_the_generic_step(data_dir):
    with registered(_note_step(), after="iqies_sign_in") as spec:
        assert spec.play is None
        flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
        lines: list[str] = []
        end = advance(flow, answers_for(), Step.WELCOME, out=lines.append)
        assert end.end == "until" and flow.current_step == Step.WELCOME, end
        assert f"{spec.number}/{len(Step)} Noted: ok" in lines


# --- draft_from_answers: what a page opened from an answers file starts with --------------------------


def test_runner_drafts_names_no_step():
    assert _steps_named_in("wizard/runner.py", "_drafts") == set()


def test_the_organizations_page_opened_from_a_file_has_its_organizations_added(data_dir):
    from tests.states import CCN

    flow = advance_to(data_dir, Step.ORGANIZATIONS)
    spec = Step.ORGANIZATIONS
    assert spec.draft_from_answers is not None
    spec.draft_from_answers(flow, answers_for())
    assert [o.ccn for o in flow.record.request.organizations] == [CCN]
    assert spec.key not in flow.record.drafts  # added, not kept as a draft


def test_the_runner_opens_a_page_with_the_specs_own_draft(data_dir):
    from wizard.runner import _drafts

    seen: list[tuple[Any, Any]] = []
    with registered(_note_step(section="notes", draft_from_answers=lambda flow, answers: seen.append(
            (flow, answers))), after="iqies_sign_in") as spec:
        flow = advance_to(data_dir, spec)
        raw = {"notes": {"text": "x"}}
        _drafts(flow, raw, spec)
        assert seen == [(flow, raw)]
        assert spec.key not in flow.record.drafts


def test_a_spec_without_the_hook_opens_with_its_form_as_a_draft(data_dir):
    from wizard.runner import _drafts

    flow = advance_to(data_dir, Step.ROLE)
    assert Step.ROLE.draft_from_answers is None
    _drafts(flow, answers_for(role="pso"), Step.ROLE)
    assert flow.record.drafts[Step.ROLE.key] == {"relationship": "employee", "role": "pso"}


# --- facts: what a step's validators need --------------------------------------------------------------


def test_flow_context_names_no_step():
    assert _steps_named_in("wizard/flow.py", "context") == set()


def test_each_step_gets_the_facts_its_spec_declares(flow):
    assert Step.ACCOUNT.facts is not None and Step.PROFILE.facts is not None
    account, profile, role = flow.context(Step.ACCOUNT), flow.context(Step.PROFILE), flow.context(Step.ROLE)
    assert account["taken_user_ids"] == [] and "email_taken" not in account
    assert callable(profile["email_taken"]) and "taken_user_ids" not in profile
    assert profile["email_taken"]("nobody@example.org") == ""
    assert not {"taken_user_ids", "email_taken"} & set(role)
    for context in (account, profile, role):
        assert {"today", "profile", "challenge_questions", "catalogue"} <= set(context)
    # without a step: the facts the specs give by default (the account's), not registering's email check
    unnamed = flow.context()
    assert "taken_user_ids" in unnamed and "email_taken" not in unnamed


def test_the_accounts_facts_are_the_user_ids_other_accounts_hold(data_dir):
    from tests.states import USER_ID

    first = advance_to(data_dir, Step.PROOFING)
    assert Step.ACCOUNT.facts(first) == {"taken_user_ids": []}  # its own User ID is not taken
    email = "second@sunnyacres.org"
    second = advance_to(data_dir, Step.ACCOUNT, practice_account="second", person={"email": email, "email_confirm": email})
    assert Step.ACCOUNT.facts(second) == {"taken_user_ids": [USER_ID]}


def test_a_new_steps_facts_reach_its_validators(flow):
    from pydantic import ValidationInfo, field_validator

    from wizard.models import StepModel, validate_form
    from wizard.steps import FieldSpec

    class Nickname(StepModel):
        nickname: str

        @field_validator("nickname")
        @classmethod
        def _free(cls, v: str, info: ValidationInfo) -> str:
            if v in (info.context or {}).get("taken_nicknames", ()):
                raise ValueError("That nickname is taken.")
            return v

    spec = _note_step(model=Nickname, fields=(FieldSpec("nickname"),),
                      facts=lambda flow: {"taken_nicknames": ["ace"]})
    with registered(spec, after="iqies_sign_in"):
        assert flow.context(spec)["taken_nicknames"] == ["ace"]
        assert "taken_nicknames" not in flow.context() and "taken_nicknames" not in flow.context(Step.ROLE)
        assert "nickname" in flow.validate(spec, {"nickname": "ace"})
        assert flow.validate(spec, {"nickname": "bee"}) == {}
        _, errors = validate_form(Nickname, {"nickname": "ace"}, flow.context(Step.ROLE))
        assert errors == {}


# --- ends: the run ends a step stands for ------------------------------------------------------------


def test_end_step_names_no_step():
    assert _steps_named_in("wizard/answers/forms.py", "end_step") == set()


def test_the_spec_that_ends_a_run_so_is_its_end_step():
    from wizard.answers import end_step

    assert Step.PROOFING.ends == ("manual_proofing",) and Step.TWO_FACTOR_VERIFY.ends == ("locked",)
    assert end_step("manual_proofing") is Step.PROOFING
    assert end_step("locked") is Step.TWO_FACTOR_VERIFY
    assert end_step("submitted") is Step.ordered()[-1].previous
    with registered(_note_step(ends=("noted_out",)), after="iqies_sign_in") as spec:
        assert end_step("noted_out") is spec
    assert end_step("noted_out") is Step.ordered()[-1].previous


def test_a_run_ending_so_stops_at_the_step_whose_spec_says_it(data_dir):
    from wizard.answers import end_step

    flow = advance_to(data_dir, Step.PROOFING)
    answers = {**answers_for(), "proofing": {"attempts": ["wrong", "wrong"], "not_a_robot": True}}
    end = advance(flow, answers)
    assert end.end == "manual_proofing" and end.step is end_step(end.end), end

    flow = advance_to(data_dir / "another", Step.TWO_FACTOR_VERIFY)
    end = advance(flow, {**answers_for(), "two_factor": {**answers_for()["two_factor"], "codes": ["wrong"] * 10}})
    assert end.end == "locked" and end.step is end_step(end.end), end


# --- page_fill: what trainer mode types on a step's page ---------------------------------------------


def test_trainer_page_fill_names_no_step():
    assert _steps_named_in("wizard/trainer.py", "page_fill") == set()
    source = ast.get_source_segment((ROOT / "wizard" / "trainer.py").read_text(encoding="utf-8"), next(
        n for n in ast.walk(ast.parse((ROOT / "wizard" / "trainer.py").read_text(encoding="utf-8")))
        if isinstance(n, ast.FunctionDef) and n.name == "page_fill"))
    assert source is not None and "user_id_permanent_ok" not in source  # a step's field is its own


def test_a_step_without_the_hook_is_filled_with_its_form(data_dir):
    from wizard.trainer import PageFill, page_fill

    def form_from(answers: Any, flow: Any, how: str | None = None) -> dict[str, Any]:
        assert how is None  # as a page is filled, not a draft
        return {"text": answers["notes"]["text"], "unsaid": None}

    with registered(_note_step(section="notes", form_from=form_from), after="iqies_sign_in") as spec:
        assert spec.page_fill is None
        flow = advance_to(data_dir, spec)
        assert page_fill(flow, {"notes": {"text": "x"}}, spec) == PageFill({"text": "x"})


def test_trainer_mode_fills_a_page_with_its_specs_own_hook(data_dir):
    from wizard.steps import LeftOpen
    from wizard.trainer import PageFill, page_fill

    seen: list[tuple[Any, Any]] = []

    def fill(flow: Any, answers: Any) -> tuple[dict[str, Any], str]:
        seen.append((flow, answers))
        if not answers.get("notes"):
            raise LeftOpen("no notes")
        return {"shown": "as the page shows it", "unsaid": None}, "Demo: said to the trainer."

    with registered(_note_step(section="notes", page_fill=fill), after="iqies_sign_in") as spec:
        flow = advance_to(data_dir, spec)
        raw = {"notes": {"text": "x"}}
        assert page_fill(flow, raw, spec) == PageFill({"shown": "as the page shows it"}, "Demo: said to the trainer.")
        assert seen == [(flow, raw)]
        assert page_fill(flow, {"notes": None}, spec) == PageFill({})  # the answers do not say: an empty page


def test_outcome_at_is_the_nth_try_and_past_the_list_none_or_the_last_again():
    from wizard.steps.spec import outcome_at, outcomes

    said = outcomes({"codes": ["wrong", "correct"]}, "codes")
    assert [outcome_at(said, n) for n in range(3)] == ["wrong", "correct", None]
    assert outcome_at(said, 5, last_repeats=True) == "correct"
    assert outcomes({}, "attempts") == ["correct"] == outcomes({"attempts": None}, "attempts")


def test_a_run_and_trainer_mode_pick_the_proofing_attempt_with_one_function(data_dir, monkeypatch):
    """How attempt n is answered is proofing's one choice (outcome_at): the run's play and the
    trainer's page_fill both ask it; past the file's attempts the run stops, the trainer repeats."""
    from wizard.steps import LeftOpen, proofing
    from wizard.trainer import page_fill

    asked: list[tuple[list[str], int, bool]] = []
    real = proofing.outcome_at
    monkeypatch.setattr(proofing, "outcome_at", lambda said, n, *, last_repeats=False: (
        asked.append((said, n, last_repeats)) or real(said, n, last_repeats=last_repeats)))
    flow = advance_to(data_dir, Step.PROOFING)
    answers = {**answers_for(), "proofing": {"attempts": ["wrong"], "not_a_robot": True}}
    fill = page_fill(flow, answers, Step.PROOFING)
    questions = flow.proofing_questions()
    assert fill.form == {**{f"q{i}": str(proofing.wrong_answer(q)) for i, q in enumerate(questions)},
                         "not_a_robot": True}
    assert "wrongly" in fill.note and asked == [(["wrong"], 0, True)]
    lines: list[str] = []
    end = advance(flow, answers, out=lines.append)
    assert end.end == "open" and "the file answers 1 attempt(s)" in end.message, end
    assert (["wrong"], 0, False) in asked and (["wrong"], 1, False) in asked
    with pytest.raises(LeftOpen):
        Step.PROOFING.form_from(answers, flow)
    asked.clear()
    again = page_fill(flow, answers, Step.PROOFING)  # the trainer fills attempt 2 as the file's last
    assert asked == [(["wrong"], 1, True)] and "wrongly" in again.note


def test_a_run_and_trainer_mode_pick_the_security_code_with_one_function(data_dir, monkeypatch):
    from wizard import codes
    from wizard.steps import two_factor_verify
    from wizard.trainer import page_fill

    asked: list[tuple[list[str], int, bool]] = []
    real = two_factor_verify.outcome_at
    monkeypatch.setattr(two_factor_verify, "outcome_at", lambda said, n, *, last_repeats=False: (
        asked.append((said, n, last_repeats)) or real(said, n, last_repeats=last_repeats)))
    flow = advance_to(data_dir, Step.TWO_FACTOR_VERIFY)
    answers = {**answers_for(), "two_factor": {**answers_for()["two_factor"], "codes": ["wrong", "correct"]}}
    fill = page_fill(flow, answers, Step.TWO_FACTOR_VERIFY)
    assert fill.form == {"code": codes.wrong_code(flow)} and "wrong code" in fill.note
    assert not flow.submit(Step.TWO_FACTOR_VERIFY, fill.form).ok  # the device now counts one wrong code
    fill = page_fill(flow, answers, Step.TWO_FACTOR_VERIFY)
    assert fill.form == {"code": codes.correct_code(flow)} and fill.note == ""
    assert asked == [(["wrong", "correct"], 0, True), (["wrong", "correct"], 1, True)]
    asked.clear()
    end = advance(flow, answers, until=Step.IQIES_SIGN_IN)
    assert end.end == "until", end
    assert asked[:2] == [(["wrong", "correct"], 0, False), (["wrong", "correct"], 1, False)]


def test_the_organizations_page_is_filled_with_the_next_one_not_added(data_dir):
    from tests.states import CCN
    from wizard.trainer import PageFill, page_fill

    flow = advance_to(data_dir, Step.ORGANIZATIONS)
    fill = page_fill(flow, answers_for(), Step.ORGANIZATIONS)
    assert fill.form == {"search_by": "ccn", "search_for": CCN} and "Add" in fill.note
    assert flow.add_organization("ccn", CCN).ok
    assert page_fill(flow, answers_for(), Step.ORGANIZATIONS) == PageFill({})
