"""Step: iQIES Select a User Role."""

from __future__ import annotations

from typing import Any, Mapping

from wizard.catalogue import catalogue
from wizard.models import WORK_RELATIONSHIPS, RoleChoice
from wizard.steps.spec import FieldSpec, StepSpec, pairs, request_valid, scalars, section_of, submit_with


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    return scalars(section_of(answers, "role"), ("relationship", "role"))


SPEC = StepSpec(
    key="role",
    system="iQIES",
    real_page="Select a User Role",
    real_address="iqies.cms.gov",
    label="User role",
    model=RoleChoice,
    fields=(
        FieldSpec("relationship", "choice", choices=pairs(WORK_RELATIONSHIPS)),
        FieldSpec("role", "choice", choices=lambda flow: [(r.id, r.name) for r in catalogue().roles_in("provider")]),
    ),
    done=lambda flow: request_valid(flow, "role"),
    back=True,
    submit=submit_with("submit_role"),
    section="role",
    reads=("role", "relationship"),
    form_from=form_from,
)
