"""The flow's role request: Request User Role, adding and removing organizations, the user's
earlier requests. :class:`RoleRequestMixin` is part of :class:`wizard.flow.OnboardingFlow`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wizard import rules
from wizard.models import OrganizationRef
from wizard.outcome import StepOutcome
from wizard.record import RequestDraft
from wizard.records import OrgDecision, RoleRequest
from wizard.steps import Step

if TYPE_CHECKING:
    from wizard.directory import Provider


class RoleRequestMixin:
    """Role-request methods of the flow (``self`` is an OnboardingFlow)."""

    record: Any
    store: Any

    def request_role(self) -> StepOutcome:
        """Request User Role (button, or the user menu by the user's name)."""
        if not self.signed_in:
            return StepOutcome(False, message="Sign in to iQIES first.", next_step=self.go_to(Step.IQIES_SIGN_IN))
        if self.record.last_submitted_request:
            # a new request starts empty; the submitted one stays under Pending Requests
            self.record.request = RequestDraft()
            self.record.last_submitted_request = None
            for key in ("category", "role", "organizations"):
                self.record.drafts.pop(key, None)
        self.banner = None
        return StepOutcome(True, next_step=self.go_to(Step.CATEGORY))

    def find_organization(self, search_by: str, text: str) -> tuple[Provider | None, str]:
        """Search for: the provider found, or why none is (format, unknown)."""
        from wizard.directory import find_organization  # the directory module: on first search

        return find_organization(self.directory, search_by, text)

    def add_organization(self, search_by: str, text: str) -> StepOutcome:
        provider, problem = self.find_organization(search_by, text)
        field_name = "search_for"
        if provider is None:
            return StepOutcome(False, errors={field_name: problem}, message=problem)
        earlier = self.earlier_request_for(self.record.request.role, provider.ccn)
        if earlier is not None:
            status = earlier.status
            message = (
                f"You already asked for this role at {provider.name} (CCN {provider.ccn}); that "
                f"request is {status}. Choose another provider, or another role."
            )
            return StepOutcome(False, errors={field_name: message}, message=message)
        if any(o.ccn == provider.ccn for o in self.record.request.organizations):
            message = f"{provider.name} (CCN {provider.ccn}) is already added."
            return StepOutcome(False, errors={field_name: message}, message=message)
        if len(self.record.request.organizations) >= 50:
            message = "At most 50 organizations per request; submit these first."
            return StepOutcome(False, errors={field_name: message}, message=message)
        self.record.request.organizations.append(
            OrganizationRef(
                ccn=provider.ccn, facility_id=provider.facility_id, name=provider.name,
                city=provider.city, state=provider.state,
            )
        )
        self.save()
        return StepOutcome(True, message=f"Added {provider.name}, {provider.city}, {provider.state}.")

    def remove_organization(self, ccn: str) -> StepOutcome:
        before = len(self.record.request.organizations)
        self.record.request.organizations = [o for o in self.record.request.organizations if o.ccn != ccn]
        self.save()
        if len(self.record.request.organizations) == before:
            return StepOutcome(False, message=f"CCN {ccn} is not in the list.")
        return StepOutcome(True, message=f"Removed CCN {ccn}.")

    def earlier_request_for(self, role_id: str | None, ccn: str) -> OrgDecision | None:
        """This user's pending or approved request for the same role and provider, if any."""
        for req in self.my_requests():
            org = req.org(ccn) if req.role == role_id else None
            if org is not None and org.status.is_open:
                return org
        return None

    def approver_for(self, role_id: str, ccn: str) -> rules.Approver:
        """Who would decide this user's request for ``role_id`` at ``ccn``, now."""
        return self.approvals.route_for_user(role_id, self.record.user_id, ccn)

    def my_requests(self) -> list[RoleRequest]:
        """This user's requests (the User ID in any case), oldest first."""
        return self.store.requests_of(self.record.user_id) if self.record.user_id else []
