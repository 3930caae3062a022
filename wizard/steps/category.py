"""Step: iQIES Select a User Category."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard.catalogue import catalogue
from wizard.models import CategoryChoice
from wizard.steps.spec import FieldSpec, StepSpec, request_valid, scalars, section_of
from wizard.outcome import StepOutcome
from wizard.record import RequestDraft

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    return scalars(section_of(answers, "role"), ("category",))


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    if flow.record.request.category != model.category:
        flow.record.request = RequestDraft(category=model.category)
        for key in ("role", "organizations"):
            flow.record.drafts.pop(key, None)
    return StepOutcome(True, next_step=SPEC.next)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: the form, Next, and the line names the category."""
    from wizard.walk import RunEnd

    form = walk.form(step)
    return form if isinstance(form, RunEnd) else walk.submit(step, form, f"ok ({form.get('category')})")


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
    submit=submit,
    section="role",
    reads=("category",),
    form_from=form_from,
    play=play,
)
