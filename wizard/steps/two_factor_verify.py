"""Step: HARP Enter Security Code."""

from __future__ import annotations

from typing import Any, Mapping

from wizard.models import SecurityCodeEntry
from wizard.steps.spec import FieldSpec, StepSpec, section_of, submit_with


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """The code typed: the right one (from the phone, or the authenticator) or a wrong one."""
    from wizard.codes import correct_code, wrong_code

    section_of(answers, "two_factor")
    code = correct_code(flow) if (how or "correct") == "correct" else wrong_code(flow)
    return {"code": code}


def _verified(flow: Any) -> bool:
    factor = flow.record.factor
    return bool(factor and factor.verified)


SPEC = StepSpec(
    key="two_factor_verify",
    system="HARP",
    real_page="Enter Security Code",
    real_address="harp.cms.gov/login",
    label="Security code",
    model=SecurityCodeEntry,
    fields=(FieldSpec("code", "code", max_length=8, placeholder="6 digits", hint="6 digits."),),
    done=_verified,
    back=True,
    sealed=_verified,
    sealed_message="Two-factor authentication is already set up; more devices are added inside HARP later.",
    submit=submit_with("submit_two_factor_verify"),
    never_saved=("code",),
    section="two_factor",
    reads=("codes",),
    form_from=form_from,
)
