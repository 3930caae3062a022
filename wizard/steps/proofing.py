"""Step: HARP Identity Verification (simulated identity proofing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard.models import ProofingSubmission
from wizard.steps.spec import FieldSpec, LeftOpen, StepSpec, section_of
from wizard.outcome import StepOutcome
from wizard.log import event

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def wrong_answer(question: Any) -> int:
    """The option a file's "wrong" attempt picks: the one after the right one."""
    return (question.correct + 1) % len(question.options)


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """This attempt's answers, every one right or every one wrong as the file says."""
    if how == "draft":
        return {}  # nothing of this page is ever kept
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


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    if flow.needs_manual_proofing:
        if form.get("manual_proofing_done"):  # sandbox: carry on as if it had succeeded
            return flow.complete_manual_proofing()
        return StepOutcome(False, message="Identity proofing for you goes the manual way; see below.")
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    if model.attempt is not None and model.attempt != flow.record.proofing_attempts:
        return StepOutcome(
            False, message="These questions were replaced by new ones; answer the questions shown now."
        )
    questions = flow.proofing_questions()
    flow.record.proofing_attempts += 1
    from wizard import proofing

    passed = proofing.passed(questions, list(model.answers))
    event("proofing_attempt", attempt=flow.record.proofing_attempts, passed=passed)
    if passed:
        flow.record.identity_proofed = "experian"
        flow._account_created_email()
        return StepOutcome(
            True, next_step=SPEC.next,
            message="Identity verified. Your HARP account is created; the email is on your phone (F2).",
        )
    if flow.proofing_attempts_left == 0:
        flow.record.manual_proofing = True
        return StepOutcome(
            False,
            message="Your identity could not be verified online, and no attempts are left. "
            "HARP sends you to manual identity proofing; see below.",
        )
    return StepOutcome(
        False,
        message=f"Your identity could not be verified. You have {flow.proofing_attempts_left} "
        "more attempt with new questions; answer carefully.",
    )


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: this attempt's answers (the next pass answers the next attempt), or
    the manual way, which the file must say it takes (``manual: true``)."""
    from wizard.walk import RunEnd

    flow, section = walk.flow, walk.answers.get("proofing")
    if section is None:
        return walk.open(step, "the file has no proofing section")
    manual = section.manual if hasattr(section, "manual") else bool(section.get("manual"))
    if flow.needs_manual_proofing:
        if not manual:
            walk.say(step, "manual identity proofing")
            why = ("no SSN for HARP" if flow.profile and flow.profile.ssn_choice == "manual_proofing"
                   else "online identity proofing failed twice")
            return RunEnd("manual_proofing", step, f"HARP sends this person to manual identity proofing ({why}).")
        outcome = flow.complete_manual_proofing()
        if not outcome.ok:
            return walk.refused(step, outcome)
        walk.say(step, "ok (manual identity proofing; the sandbox carries on as if it succeeded)")
        return None
    form = walk.form(step)
    if isinstance(form, RunEnd):
        return form
    attempt = form["attempt"]
    how = list(section.attempts if hasattr(section, "attempts") else section.get("attempts"))[attempt]
    outcome = flow.submit(step, form)
    of = f"attempt {attempt + 1} of 2, answered {how}"
    if outcome.ok:
        walk.say(step, f"ok (identity verified, {of}; the account-created email is in the mailbox)")
        return None
    if outcome.errors:
        return walk.refused(step, outcome)
    walk.say(step, f"not verified ({of})")
    return None  # the next pass answers the next attempt, or goes the manual way


SPEC = StepSpec(
    key="proofing",
    system="HARP",
    real_page="Identity Verification",
    real_address="harp.cms.gov/register",
    label="Identity proofing",
    model=ProofingSubmission,
    fields=(
        FieldSpec("answers", "answers"),
        FieldSpec("not_a_robot", "yesno", required=True),
    ),
    done=lambda flow: flow.record.identity_proofed is not None,
    back=True,
    sealed=lambda flow: bool(flow.record.identity_proofed),
    sealed_message="Your HARP account is already created; its profile and User ID cannot be changed here.",
    submit=submit,
    never_saved=("answers",),
    section="proofing",
    form_from=form_from,
    play=play,
    ends=("manual_proofing",),
)
