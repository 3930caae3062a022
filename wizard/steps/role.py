"""Step: iQIES Select a User Role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard.catalogue import catalogue
from wizard.models import WORK_RELATIONSHIPS, RoleChoice
from wizard.steps.spec import FieldSpec, StepSpec, pairs, request_valid, scalars, section_of
from wizard.outcome import StepOutcome

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    return scalars(section_of(answers, "role"), ("relationship", "role"))


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    flow.record.request.role = model.role
    flow.record.request.relationship = model.relationship
    return StepOutcome(True, next_step=SPEC.next)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: the form, Next, and the line names the role and the relationship."""
    from wizard.approvals import role_name
    from wizard.walk import RunEnd

    form = walk.form(step)
    if isinstance(form, RunEnd):
        return form
    return walk.submit(step, form, f"ok ({role_name(form.get('role'))}, {form.get('relationship')})")


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
    submit=submit,
    section="role",
    reads=("role", "relationship"),
    form_from=form_from,
    play=play,
)
