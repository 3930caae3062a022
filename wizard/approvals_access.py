"""Manage access (sandbox, modelled on iQIES Manage Access): a PSO sees every user with a role or
a pending request at their providers, and removes the role of someone who left, with a reason.

[CMS] A PSO approves or rejects every request for the provider and is responsible for removing
the access of people who leave. Only the iQIES Service Center removes a provider's last PSO.
[sandbox] The real "Security Official: Manage Access" job aid is not public in readable form: the
page is modelled on it. A removal is a sealed decision like the others (wizard/seal.py): the
request's organization becomes ``Status.REMOVED`` with who removed it, when and why.

Mixed into :class:`wizard.approvals.Approvals`: needs ``store``, ``now()``, ``psos_of()``,
``providers_of_pso()``, ``_email()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard import rules
from wizard.log import event
from wizard.records import OrgDecision, RoleRequest, Status, same_user

PAGE_NOTE = "Sandbox, modelled on iQIES Manage Access."


@dataclass(frozen=True)
class AccessEntry:
    """One user's role (or pending request) at one of the PSO's providers."""

    request: RoleRequest
    org: OrgDecision
    since: str  # the date the role was approved, or the request submitted (pending)
    last_sign_in: str  # the date of the last iQIES sign-in, or "never"
    own: bool  # the PSO's own role

    @property
    def key(self) -> tuple[str, str]:
        return self.request.id, self.org.ccn

    @property
    def pending(self) -> bool:
        return self.org.status == Status.PENDING


def _date(when: object) -> str:
    return str(when or "")[:10]


class Access:
    """Manage access: the list and the removal (see the module's docstring)."""

    def access_list(self, reviewer) -> list[AccessEntry]:
        """Everyone with an active role or a pending request at the reviewer's providers (a
        PSO's; nothing for the CMS reviewer, who removes PSOs on its own page), by provider,
        then name."""
        if reviewer.is_cms or not reviewer.user_id:
            return []
        requests = self.store.requests()
        ccns = set(self.providers_of_pso(reviewer.user_id, requests))
        sign_ins = self.store.sign_ins()
        out: list[AccessEntry] = []
        for req in requests:
            for org in req.organizations:
                if org.ccn not in ccns or org.status not in (Status.APPROVED, Status.PENDING):
                    continue
                since = org.decided_at if org.status == Status.APPROVED else req.submitted_at
                last = sign_ins.get(req.user_id.key) if req.user_id else None
                out.append(AccessEntry(req, org, _date(since) or "unknown", _date(last) or "never",
                                       req.is_by(reviewer.user_id)))
        out.sort(key=lambda e: (e.org.ccn, str(e.request.requester or "").casefold(), str(e.request.role)))
        return out

    def removal_refusal(self, reviewer, request_id: str, ccn: str) -> str:
        """Why ``reviewer`` may not remove this role, or "" if they may."""
        from wizard.approvals import SERVICE_CENTER

        if reviewer.is_cms or not reviewer.user_id:
            return ("The CMS reviewer removes a provider's PSO on the PSOs page (p), standing in for "
                    "the iQIES Service Center; other roles are removed by the provider's PSOs.")
        requests = self.store.requests()
        current = next((r for r in requests if r.id == request_id), None)
        org = current.org(ccn) if current is not None else None
        if current is None or org is None:
            return "This role no longer exists (the user may have reset their practice)."
        if not any(same_user(p.user_id, reviewer.user_id) for p in self.psos_of(ccn, requests)):
            return f"You are not a PSO of {org.label}: only its PSOs manage its access."
        if org.status == Status.PENDING:
            return "This request is still pending: reject it (with a reason) instead of removing it."
        if org.status != Status.APPROVED:
            return f"This role is no longer active: {org.status.label}."
        if current.role == rules.PSO_ROLE and current.is_by(reviewer.user_id):
            others = [p for p in self.psos_of(ccn, requests) if not same_user(p.user_id, reviewer.user_id)]
            if not others:
                return (f"You are the last PSO of {org.label}: you cannot remove yourself, or nobody "
                        "could approve its requests. Name a second PSO first; if you have left, the "
                        f"Service Center removes you ({SERVICE_CENTER}).")
        return ""

    def remove_role(self, reviewer, request_id: str, ccn: str, reason: str):
        """A PSO removes a user's active role at one of their providers, with a reason: sealed
        like every decision, the user emailed. Everything is checked again under the lock."""
        from wizard.approvals import MAX_REASON, ApprovalError, Decision, role_name

        reason = " ".join((reason or "").split())
        refusal = self.removal_refusal(reviewer, request_id, ccn)
        if refusal:
            raise ApprovalError(refusal)
        if not reason:
            raise ApprovalError("A removal needs a reason (for example: left the provider); the user reads it.")
        if len(reason) > MAX_REASON:
            raise ApprovalError(f"Keep the reason under {MAX_REASON} characters.")
        when = self.now().isoformat()
        removed: list[OrgDecision] = []

        def change(doc: RoleRequest) -> None:
            late = self.removal_refusal(reviewer, request_id, ccn)  # another console may have acted
            if late:
                raise ApprovalError(late)
            for org in doc.organizations:
                if org.ccn == ccn and org.status == Status.APPROVED:
                    org.status = Status.REMOVED
                    org.removed_at = when
                    org.removed_by = str(reviewer.user_id)
                    org.removed_by_name = reviewer.name
                    org.reason = reason
                    removed.append(org.model_copy())

        updated = self.store.update_request(request_id, change)
        if updated is None or not removed:
            raise ApprovalError("This role no longer exists (the user may have reset their practice).")
        role, provider = role_name(updated.role), removed[0].label
        event("role_removed", role=updated.role, own=updated.is_by(reviewer.user_id))
        self._email(
            updated.email, f"iQIES: your {role} role at {provider} was removed",
            f"Hello {updated.requester},\n\n{reviewer.name}, a Provider Security Official of "
            f"{provider}, removed your role {role} there.\n\nReason given: {reason}\n\nYour HARP "
            "account stays. If this is a mistake, ask the provider's PSO to approve a new request.",
        )
        advice = self.second_pso_advice(ccn) if updated.role == rules.PSO_ROLE else ""
        return Decision(f"Removed: {updated.requester} no longer has {role} at {provider}. They were emailed.", advice)

    @staticmethod
    def removed_line(org: OrgDecision) -> str:
        """What the requester (and the console) read about a removed role."""
        from wizard.approvals import stored_date

        if org.removed_by_name:
            return (f"Removed on {stored_date(org.removed_at)} by {org.removed_by_name} (your provider's "
                    f"PSO). Reason: {org.reason or '(none given)'}")
        return f"Removed by the iQIES Service Center on {stored_date(org.removed_at)}."
