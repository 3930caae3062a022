"""wizard/proofing.py: the simulated identity-proofing quiz [sandbox]."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factory import PROFILE
from wizard import proofing
from wizard.models import HarpProfile, validate_form
from wizard.proofing import NONE_OF_THE_ABOVE, generate_questions, grade, passed


@pytest.fixture(scope="module")
def profile() -> HarpProfile:
    model, errors = validate_form(HarpProfile, PROFILE, {"today": date(2026, 11, 23)})
    assert not errors
    return model


def _is_none_of_the_above(q: proofing.ProofingQuestion) -> bool:
    return q.correct == len(q.options) - 1


def test_five_questions(profile):
    assert len(generate_questions(profile, "seed", 0)) == proofing.QUESTIONS_PER_ATTEMPT == 5


@pytest.mark.parametrize("seed", [f"seed-{i}" for i in range(40)])
def test_every_question_ends_with_none_of_the_above(profile, seed):
    for attempt in (0, 1):
        for q in generate_questions(profile, seed, attempt):
            assert q.options[-1] == NONE_OF_THE_ABOVE
            assert len(q.options) == 5
            assert len(set(q.options)) == len(q.options), q
            assert 0 <= q.correct < len(q.options)


@pytest.mark.parametrize("seed", [f"seed-{i}" for i in range(40)])
def test_at_least_one_answer_is_none_of_the_above(profile, seed):
    for attempt in (0, 1):
        assert any(_is_none_of_the_above(q) for q in generate_questions(profile, seed, attempt))


@pytest.mark.parametrize("seed", [f"seed-{i}" for i in range(40)])
def test_prompts_are_distinct(profile, seed):
    prompts = [q.prompt for q in generate_questions(profile, seed, 0)]
    assert len(set(prompts)) == len(prompts)


def test_truthful_answers_come_from_the_profile(profile):
    truths = {
        "Which of these cities have you lived in?": "Columbus, OH",
        "Which of these streets have you lived on?": "Oak Street",
        "Which of these ZIP codes have you been associated with?": "43215",
        "In which of these years were you born?": "1980",
        "A phone number of yours ends in which four digits?": "0123",
    }
    seen = 0
    for seed in ("a", "b", "c", "d"):
        for q in generate_questions(profile, seed, 0):
            if q.prompt in truths:
                seen += 1
                assert q.options[q.correct] == truths[q.prompt]
            else:
                assert _is_none_of_the_above(q)
    assert seen > 0


def test_deterministic_for_same_seed_and_attempt(profile):
    assert generate_questions(profile, "seed", 0) == generate_questions(profile, "seed", 0)
    assert generate_questions(profile, "seed", 1) == generate_questions(profile, "seed", 1)


def test_attempt_one_differs_from_attempt_zero(profile):
    assert generate_questions(profile, "seed", 0) != generate_questions(profile, "seed", 1)


def test_different_seeds_differ(profile):
    assert generate_questions(profile, "seed-a", 0) != generate_questions(profile, "seed-b", 0)


def _answers(questions, right: int) -> list[int]:
    """Answer the first ``right`` questions correctly and the rest wrongly."""
    return [
        q.correct if i < right else (q.correct + 1) % len(q.options) for i, q in enumerate(questions)
    ]


@pytest.mark.parametrize("right, ok", [(5, True), (4, True), (3, False), (0, False)])
def test_grade_and_pass_mark(profile, right, ok):
    questions = generate_questions(profile, "seed", 0)
    answers = _answers(questions, right)
    assert grade(questions, answers) == right
    assert passed(questions, answers) is ok


def test_unanswered_counts_as_wrong(profile):
    questions = generate_questions(profile, "seed", 0)
    answers = [q.correct for q in questions]
    answers[0] = None
    assert grade(questions, answers) == 4
    answers[1] = None
    assert not passed(questions, answers)


def test_constants():
    assert proofing.PASS_MARK == 4
    assert proofing.MAX_ATTEMPTS == 2
