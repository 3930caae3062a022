"""Step: HARP Identity Verification (simulated identity proofing)."""

from __future__ import annotations

from typing import Any, Mapping

from wizard.models import ProofingSubmission
from wizard.steps.spec import FieldSpec, LeftOpen, StepSpec, section_of, submit_with


def wrong_answer(question: Any) -> int:
    """The option a file's "wrong" attempt picks: the one after the right one."""
    return (question.correct + 1) % len(question.options)


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """This attempt's answers, every one right or every one wrong as the file says."""
    section = section_of(answers, "proofing")
    attempt = flow.record.proofing_attempts
    attempts = list(section.get("attempts") or ["correct"])
    if how is None:
        if attempt >= len(attempts):
            raise LeftOpen(f"the file answers {len(attempts)} attempt(s); HARP asks again")
        how = attempts[attempt]
    questions = flow.proofing_questions()
    chosen = [q.correct if how == "correct" else wrong_answer(q) for q in questions]
    return {"answers": chosen, "not_a_robot": section.get("not_a_robot", True), "attempt": attempt}


SPEC = StepSpec(
    key="proofing",
    system="HARP",
    real_page="Identity Verification",
    real_address="harp.cms.gov/register",
    label="Identity proofing",
    model=ProofingSubmission,
    fields=(
        FieldSpec("answers", "answers"),
        FieldSpec("not_a_robot", "yesno"),
    ),
    done=lambda flow: flow.record.identity_proofed is not None,
    back=True,
    sealed=lambda flow: bool(flow.record.identity_proofed),
    sealed_message="Your HARP account is already created; its profile and User ID cannot be changed here.",
    submit=submit_with("submit_proofing"),
    never_saved=("answers",),
    section="proofing",
    form_from=form_from,
)
