"""Step: HARP Enter Security Code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard import otp
from wizard.models import SecurityCodeEntry
from wizard.steps.spec import FieldSpec, StepSpec, section_of
from wizard.outcome import StepOutcome
from wizard.models import DEVICE_TYPES

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """The code typed: the right one (from the phone, or the authenticator) or a wrong one."""
    from wizard.codes import correct_code, wrong_code

    section_of(answers, "two_factor")
    if how == "draft":
        return {}  # a code is never kept
    code = correct_code(flow) if (how or "correct") == "correct" else wrong_code(flow)
    return {"code": code}


def _verified(flow: Any) -> bool:
    factor = flow.record.factor
    return bool(factor and factor.verified)


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    result = flow.check_code(model.code)
    if not result.ok:
        return StepOutcome(
            False, errors={"code": result.message}, labels={"code": SPEC.field_label("code")},
            message="This device is locked for now; see the message under the code."
            if result.locked else "The security code was not accepted; see the message under it.",
        )
    flow.record.factor = flow.record.factor.model_copy(update={"verified": True})
    device = DEVICE_TYPES[flow.record.factor.device_type]
    return StepOutcome(
        True, next_step=SPEC.next,
        message=f"Two-factor authentication is set up with {device}. HARP setup is complete.",
    )


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: the file's codes typed in turn, one per pass (a text or voice code
    is sent again when none from this run is waiting), until one is accepted or the device locks."""
    from wizard import codes
    from wizard.walk import RunEnd

    flow, section = walk.flow, walk.answers.get("two_factor")
    if section is None:
        return walk.open(step, "the file has no two_factor section")
    factor = flow.record.factor
    if factor is None:  # cannot happen: the flow opens this step only with a factor
        return RunEnd("failed", step, "no device is set up")
    locked = flow.factor_service.lock_message(factor)
    if locked:
        return walk.locked(step, locked)
    typed = list(section.codes if hasattr(section, "codes") else section.get("codes") or ["correct"])
    if walk.code_index >= len(typed):
        return walk.open(step, f"the file types {len(typed)} code(s) and none was accepted")
    if not factor.is_authenticator and not walk.code_fresh:
        flow.send_code()  # Send Code again: an earlier run's code may have expired
        walk.code_fresh = True
    how = typed[walk.code_index]
    walk.code_index += 1
    form = walk.form(step, how)
    if isinstance(form, RunEnd):
        return form
    if form.get("code") is None:
        return RunEnd("failed", step, codes.no_code_reason(flow))
    outcome = flow.submit(step, form)
    which = f"code {walk.code_index} of {len(typed)}, {how}"
    if outcome.ok:
        walk.code_fresh = False
        walk.say(step, f"ok ({which}, {codes.code_source(flow)})")
        return None
    locked = flow.factor_service.lock_message(flow.record.factor)
    if locked:
        return walk.locked(step, locked, which)
    if outcome.errors and "code" not in outcome.errors:
        return walk.refused(step, outcome)
    walk.say(step, f"code not accepted ({which})")
    return None


SPEC = StepSpec(
    key="two_factor_verify",
    system="HARP",
    real_page="Enter Security Code",
    real_address="harp.cms.gov/login",
    label="Security code",
    model=SecurityCodeEntry,
    fields=(FieldSpec("code", "code", max_length=8, placeholder=f"{otp.CODE_DIGITS} digits", hint=f"{otp.CODE_DIGITS} digits."),),
    done=_verified,
    back=True,
    sealed=_verified,
    sealed_message="Two-factor authentication is already set up; more devices are added inside HARP later.",
    submit=submit,
    never_saved=("code",),
    section="two_factor",
    reads=("codes",),
    form_from=form_from,
    play=play,
    ends=("locked",),
)
