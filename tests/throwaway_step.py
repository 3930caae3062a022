"""The throwaway step of the "a new step needs only its own files" tests (issue 12): an "Accept
terms" page between iQIES sign-in and Welcome, written as a contributor would write a step's own
file: its model, its answers-file section, what Submit does, and its spec. Nothing in wizard/ or
screens/ knows it; a test registers it with :func:`wizard.steps.registered` and it is gone after.

tests/test_a_new_step.py walks it in the flow, in plain mode and through ``run --answers``;
tests/test_a_new_step_pilot.py on screen."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wizard.models import StepModel
from wizard.outcome import StepOutcome
from wizard.rules import RuleError
from wizard.steps import FieldSpec, StepSpec
from wizard.steps.spec import section_of

REFUSAL = "Tick the box to accept the Rules of Behavior."
NOTE = "Read them on the real page before you accept."


class TermsAcceptance(StepModel):
    accept: bool = Field(False, title="I accept the iQIES Rules of Behavior", validate_default=True)

    @field_validator("accept")
    @classmethod
    def _accepted(cls, v: bool) -> bool:
        if not v:
            raise RuleError(REFUSAL)
        return v


class TermsAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(title="Accept the Rules of Behavior")


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    return {"accept": section_of(answers, "terms").get("accept")}


def accept_terms(*, back: bool = False) -> StepSpec:
    """The step's spec; ``back``: whether Back from it goes to sign-in (the flow test shows a step
    without Back, the screen test one with it)."""

    def submit(flow: Any, form: dict[str, Any]) -> StepOutcome:
        flow.save_draft(spec, form)
        model, refused = flow.validated(spec, form)
        if refused:
            return refused
        flow.record.step_facts[spec.key] = {"accepted": model.accept}
        return StepOutcome(True, next_step=spec.next)

    spec = StepSpec(
        key="accept_terms",
        system="iQIES",
        real_page="Rules of Behavior",
        real_address="iqies.cms.gov/rules",
        label="Accept terms",
        model=TermsAcceptance,
        fields=(FieldSpec("accept", "yesno", required=True, note=NOTE),),
        done=lambda flow: bool(flow.record.step_facts.get("accept_terms", {}).get("accepted")),
        back=back,
        submit=submit,
        section="terms",
        answers_model=TermsAnswers,
        form_from=form_from,
    )
    return spec
