"""The steps of onboarding, in the order of the CMS job aid: ORDER is the one list.

Each step is one module here holding its :class:`StepSpec`; numbers, ``Step.ordered()``,
previous/next and "step n of N" are derived from ORDER. ``Step.PROFILE`` etc. are the specs.
"""

from __future__ import annotations

from wizard.steps.spec import (  # noqa: F401  (the spec API)
    FIELD_KINDS,
    FieldSpec,
    LeftOpen,
    Step,
    StepSpec,
    install,
    register,
    registered,
    unregister,
)
from wizard.steps import (
    account,
    await_approval,
    category,
    iqies_sign_in,
    organizations,
    profile,
    proofing,
    review,
    role,
    two_factor_setup,
    two_factor_verify,
    welcome,
)

ORDER: list[StepSpec] = [
    profile.SPEC,
    account.SPEC,
    proofing.SPEC,
    two_factor_setup.SPEC,
    two_factor_verify.SPEC,
    iqies_sign_in.SPEC,
    welcome.SPEC,
    category.SPEC,
    role.SPEC,
    organizations.SPEC,
    review.SPEC,
    await_approval.SPEC,
]

install(ORDER)

__all__ = ["FIELD_KINDS", "FieldSpec", "LeftOpen", "ORDER", "Step", "StepSpec", "register", "registered", "unregister"]
