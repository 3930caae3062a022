"""Step: iQIES Select a User Category."""

from __future__ import annotations

from typing import Any, Mapping

from wizard.catalogue import catalogue
from wizard.models import CategoryChoice
from wizard.steps.spec import FieldSpec, StepSpec, request_valid, scalars, section_of, submit_with


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    return scalars(section_of(answers, "role"), ("category",))


SPEC = StepSpec(
    key="category",
    system="iQIES",
    real_page="Select a User Category",
    real_address="iqies.cms.gov",
    label="User category",
    model=CategoryChoice,
    fields=(
        FieldSpec("category", "choice", choices=lambda flow: [
            (c.id, c.name if c.in_guide else f"{c.name} (outside this guide)") for c in catalogue().categories]),
    ),
    done=lambda flow: request_valid(flow, "category"),
    back=True,
    submit=submit_with("submit_category"),
    section="role",
    reads=("category",),
    form_from=form_from,
)
