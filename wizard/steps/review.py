"""Step: iQIES Review and Submit Request."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from wizard.log import event
from wizard.outcome import StepOutcome
from wizard.records import OrgDecision, RoleRequest, Status
from wizard.steps.spec import Step, StepSpec

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    if flow.record.last_submitted_request:  # a second Submit press: already sent
        return StepOutcome(True, next_step=SPEC.next)
    req = flow.record.request
    for org in req.organizations:
        earlier = flow.earlier_request_for(req.role, org.ccn)
        if earlier is not None:
            message = (
                f"You already asked for this role at {org.name} (CCN {org.ccn}); that request "
                f"is {earlier.status}. Remove it from the organizations, or choose another role."
            )
            return StepOutcome(False, message=message, next_step=flow.go_to(Step.ORGANIZATIONS))
    for key in ("category", "role", "organizations"):
        if not Step.from_key(key).is_done(flow):
            return StepOutcome(False, message="The request is incomplete.", next_step=flow.go_to(Step.from_key(key)))
    profile = flow.profile
    assert profile is not None and req.role is not None
    request_id = uuid.uuid4().hex[:12]
    organizations = []
    requests = flow.store.requests()
    for org in req.organizations:
        approver = flow.approvals.route_for_user(req.role, flow.record.user_id, org.ccn, requests)
        # who approves is stored as the route's kind at submit; the text shown for it is
        # derived when shown (approvals.route_for), never stored, so it cannot go stale
        organizations.append(OrgDecision(**org.model_dump(), status=Status.PENDING, approver=approver.kind))
    request = RoleRequest(
        id=request_id, user_id=flow.record.user_id, requester=profile.display_name, email=profile.email,
        category=req.category, role=req.role, relationship=req.relationship,
        organizations=organizations, submitted_at=flow.approvals.now().isoformat(),
    )
    flow.store.add_request(request)
    flow.approvals.announce(request)
    flow.record.last_submitted_request = request_id
    flow.banner = "Role Request Submitted"
    event("request_submitted", role=req.role, organizations=len(organizations))
    return StepOutcome(True, next_step=SPEC.next)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: Submit, and the line says the request is submitted."""
    return walk.step(step, "ok (Role Request Submitted)")


SPEC = StepSpec(
    key="review",
    system="iQIES",
    real_page="Review and Submit Request",
    real_address="iqies.cms.gov",
    label="Review & submit",
    done=lambda flow: flow.record.last_submitted_request is not None,
    back=True,
    submit=submit,
    play=play,
)
