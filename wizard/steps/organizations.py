"""Step: iQIES Add Organizations (search by CCN or Facility ID, Add, then Next)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard.models import OrganizationsChoice
from wizard.steps.spec import FieldSpec, LeftOpen, StepSpec, request_valid, section_of
from wizard.outcome import StepOutcome

SEARCH_BY = {"ccn": "CCN", "facility_id": "Facility ID"}

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def searches(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The file's organizations as (search by, search for) pairs, in order."""
    wanted = section_of(answers, "organizations")
    out = []
    for org in wanted if isinstance(wanted, list) else []:
        org = org.model_dump() if hasattr(org, "model_dump") else org
        if isinstance(org, dict) and isinstance(org.get("id"), str):
            out.append((str(org.get("search_by") or "ccn"), org["id"]))
    return out


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """Next submits what was added; the searches are :func:`searches`, each an Add."""
    searches(answers)
    return {}


def draft_from_answers(flow: Any, answers: Mapping[str, Any]) -> None:
    """A page opened from an answers file: each of its organizations added, as if searched and
    Add pressed (a refusal shows on the page; :class:`LeftOpen` when the file has none)."""
    for search_by, text in searches(answers):
        flow.add_organization(search_by, text)


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    for org in flow.record.request.organizations:
        earlier = flow.earlier_request_for(flow.record.request.role, org.ccn)
        if earlier is not None:  # the role changed after the organization was added
            message = (
                f"You already asked for this role at {org.name} (CCN {org.ccn}); that request "
                f"is {earlier.status}. Remove it, or go back and choose another role."
            )
            return StepOutcome(False, errors={"search_for": message}, message=message)
    orgs = [o.model_dump() for o in flow.record.request.organizations]
    model, refused = flow.validated(SPEC, {"organizations": orgs})
    if refused:
        # shown under Search for: that is where the user acts
        message = refused.errors["organizations"]
        return StepOutcome(False, errors={"search_for": message}, message=message)
    return StepOutcome(True, next_step=SPEC.next)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: each of the file's organizations searched and added (one added in an
    earlier run is not added again), then Next; the line names what was added."""
    flow = walk.flow
    try:
        wanted = searches(walk.answers)
    except LeftOpen as why:
        return walk.open(step, str(why))
    for search_by, text in wanted:
        provider, _ = flow.find_organization(search_by, text)
        if provider is not None and any(o.ccn == provider.ccn for o in flow.record.request.organizations):
            continue  # added in an earlier run
        outcome = flow.add_organization(search_by, text)
        if not outcome.ok:
            return walk.refused(step, outcome, f"Search for {text}")
    names = "; ".join(f"{o.name}, {o.city}, {o.state} (CCN {o.ccn})" for o in flow.record.request.organizations)
    return walk.submit(step, {}, f"ok ({names})")


SPEC = StepSpec(
    key="organizations",
    system="iQIES",
    real_page="Add Organizations",
    real_address="iqies.cms.gov",
    label="Organizations",
    model=OrganizationsChoice,
    fields=(
        FieldSpec("search_by", "choice", label="Search By", required=True, choices=lambda flow: list(SEARCH_BY.items())),
        FieldSpec("search_for", label="Search for", required=True, max_length=20, placeholder="e.g. 015009"),
    ),
    done=lambda flow: request_valid(flow, "organizations"),
    back=True,
    submit=submit,
    section="organizations",
    form_from=form_from,
    play=play,
    draft_from_answers=draft_from_answers,
)
