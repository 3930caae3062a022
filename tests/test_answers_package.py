"""wizard/answers/ is split by concern (issue 12, item 5): each module stays small, and every name
callers import from ``wizard.answers`` is still there, defined in the module of its concern."""

from __future__ import annotations

from pathlib import Path

import pytest

import wizard.answers as answers

PACKAGE = Path(answers.__file__).resolve().parent

# what wizard/, screens/, tests/ and bench/ import from wizard.answers
USED = (
    "AdvanceClockAction AnswersFile AnswersFileError ApproveAction INTERACTIVE_NOTE PersonAnswers Persona "
    "RemovePsoAction RunAction _text_loader account_form answers_schema check load parse_text personas "
    "profile_form read_raw two_factor_form"
).split()

HOME = {
    "schema": ("AnswersFile", "PersonAnswers", "Refusal", "answers_schema", "INTERACTIVE_NOTE", "SECTIONS"),
    "forms": ("_SECTION_STEP", "_field_step", "step_of", "end_step", "sections_needed", "profile_form",
              "account_form", "two_factor_form", "Context", "_form"),
    "errors": ("AnswerError", "AnswersFileError", "_structure_errors", "_path"),
    "loader": ("_text_loader", "read_raw", "parse_text", "_open_regular", "MAX_FILE_BYTES"),
    "checking": ("check", "content_errors", "scenario_errors", "open_step", "load", "Checked"),
    "demo_personas": ("Persona", "personas"),
}


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_answers_module_is_over_500_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 500


def test_every_name_callers_import_is_reexported() -> None:
    assert [name for name in USED if not hasattr(answers, name)] == []


@pytest.mark.parametrize("module", sorted(HOME))
def test_each_name_lives_in_the_module_of_its_concern(module: str) -> None:
    import importlib

    home = importlib.import_module(f"wizard.answers.{module}")
    for name in HOME[module]:
        assert name in vars(home), f"{name} not defined in wizard.answers.{module}"
        value = vars(home)[name]
        assert getattr(answers, name) is value
        if callable(value) and hasattr(value, "__module__"):
            assert value.__module__ == home.__name__, f"{name} is imported into {module}, not defined there"
