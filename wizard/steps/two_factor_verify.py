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
)
