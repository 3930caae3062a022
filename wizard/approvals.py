"""What happens after Submit: routing, decisions, PSO removal, reminders and lapsing roles;
a PSO's Manage access is in :mod:`wizard.approvals_access`.

Every caller (the approver console, the wizard's Pending Requests, the tests) goes through
:class:`Approvals`; the routing rule itself is :func:`wizard.rules.approver_for`.

[CMS] CMS approves a provider's first PSO; after that the provider's PSOs approve further PSOs and
every other role. If the only PSO has left, the iQIES Service Center removes them and the next PSO
request goes to CMS again. Users who do not sign in for 60 days lose their roles.
[sandbox] Nobody approves their own request; a rejection needs a reason; a request pending for
two days reminds its approvers; a warning goes out ten days before a role lapses.

Times are on the *sandbox clock*: the real clock plus the days a trainer moved it forward
(:meth:`wizard.store.Store.clock_offset_days`), shared by every process on the data directory.
Security codes keep the real clock, so a real authenticator app keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from wizard import rules
from wizard.catalogue import catalogue
from wizard.log import event
from wizard.mail import CMS_REVIEWER_ADDRESS
from wizard.records import OrgDecision, RoleRequest, Status, UserId, same_user
from wizard.store import ActivePso, Store
from wizard.approvals_access import Access, AccessEntry  # noqa: F401  (names callers import from here)
from wizard.approvals_time import (  # noqa: F401  (names callers import from here)
    LAPSE_DAYS, LAPSE_WARNING_DAYS, REMINDER_DAYS, Sweeps, age_text, parse_time as _parse,
)

MAX_REASON = 500
SERVICE_CENTER = "iQIES Service Center: 1-800-339-9313, iqies@cms.hhs.gov"
SANDBOX_NOTE = "(Practice sandbox: this email exists only on this computer.)"
SECOND_PSO_ADVICE = (
    "CMS recommends at least two, so that someone can still approve requests when one is away or "
    "leaves: ask a colleague to request the PSO role."
)


ONLY_PSO_ASKS = (
    "nobody yet: you are this provider's only PSO, and nobody approves their own request. "
    "Another PSO must be approved first (CMS recommends at least two); then they decide it."
)


def only_pso_advice(name: str | None = None) -> str:
    """The advice to name a second PSO, for the PSO themselves (no name) or about them."""
    who = f"{name} is" if name else "You are"
    return f"{who} the only PSO of this provider. {SECOND_PSO_ADVICE}"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ApprovalError(Exception):
    """A decision the rules refuse; ``str(err)`` is the sentence for the approver."""


@dataclass(frozen=True)
class Reviewer:
    """Whoever sits at the console: the sandbox's CMS reviewer, or a PSO who signed in."""

    kind: str  # "cms" or "pso"
    name: str
    email: str
    user_id: str | None = None

    @property
    def is_cms(self) -> bool:
        return self.kind == "cms"


CMS_REVIEWER = Reviewer(
    "cms", "CMS reviewer (built-in sandbox account)", CMS_REVIEWER_ADDRESS, None,
)


@dataclass(frozen=True)
class QueueItem:
    """One organization of one request, as an approver sees it."""

    request: RoleRequest
    org: OrgDecision
    age_days: int
    own: bool  # the approver's own request: listed, never approvable by them

    @property
    def key(self) -> tuple[str, str]:
        return self.request.id, self.org.ccn


@dataclass(frozen=True)
class Decision:
    """What a decision did (``text``) and, separately, advice that follows from it (a provider
    left with one PSO), so a screen can show the two apart."""

    text: str
    advice: str = ""

    def __str__(self) -> str:
        return f"{self.text} {self.advice}".strip()


def role_name(role_id: str | None) -> str:
    role = catalogue().role(role_id or "")
    return role.name if role else str(role_id)


def org_label(org: OrgDecision) -> str:
    """A stored organization as emails, the console and the runner name it: "NAME (CCN 015009)"."""
    return org.label


def stored_date(when: Any) -> str:
    """The date part of a stored ISO time."""
    return str(when or "")[:10] or "unknown date"


class Approvals(Sweeps, Access):
    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.real_clock = clock

    # --- the sandbox clock -------------------------------------------------------------------

    def now(self) -> datetime:
        return self.real_clock() + timedelta(days=self.store.clock_offset_days())

    def advance_clock(self, days: int) -> list[str]:
        """Move the sandbox clock forward (trainer's key), then send what the new date triggers."""
        if days < 1:
            raise ApprovalError("The sandbox clock only moves forward.")
        offset = self.store.add_clock_offset_days(days)
        event("clock_advanced", days=days, offset=offset)
        return self.sweep()

    def age_days(self, request: RoleRequest) -> int:
        submitted = _parse(request.submitted_at)
        return max(0, (self.now() - submitted).days) if submitted else 0

    # --- routing -----------------------------------------------------------------------------

    def route(self, role_id: str, ccn: str, requests: list[RoleRequest] | None = None) -> rules.Approver:
        """Who decides, now: the same rule at submission, in the console and on the requester's page."""
        return self._route(role_id, ccn, requests, None)

    def route_for(self, request: RoleRequest, ccn: str, requests: list[RoleRequest] | None = None) -> rules.Approver:
        """Who decides this request's organization, now: as :meth:`route`, and nobody when the
        provider's only PSO is the requester (nobody approves their own request)."""
        return self._route(request.role or "", ccn, requests, request.user_id)

    def route_for_user(self, role_id: str, user_id: str | None, ccn: str,
                       requests: list[RoleRequest] | None = None) -> rules.Approver:
        """As :meth:`route_for`, for a request not made yet (the wizard's Review page)."""
        return self._route(role_id, ccn, requests, UserId.of(user_id))

    def _route(self, role_id: str, ccn: str, requests: list[RoleRequest] | None, requester: UserId | None) -> rules.Approver:
        psos = self.store.active_psos(ccn, requests)
        if requester and psos and all(same_user(p.user_id, requester) for p in psos):
            return rules.Approver("none", ONLY_PSO_ASKS)
        return rules.approver_for(role_id, bool(psos))

    def psos_of(self, ccn: str, requests: list[RoleRequest] | None = None) -> list[ActivePso]:
        return self.store.active_psos(ccn, requests)

    def providers_of_pso(self, user_id: str, requests: list[RoleRequest] | None = None) -> list[str]:
        """The CCNs where ``user_id`` is an active PSO."""
        out: list[str] = []
        for req in requests if requests is not None else self.store.requests():
            if req.role == rules.PSO_ROLE and req.is_by(user_id):
                out += [o.ccn for o in req.organizations if o.status == Status.APPROVED]
        return sorted(set(out))

    @staticmethod
    def is_own(reviewer: Reviewer, request: RoleRequest) -> bool:
        """The reviewer's own request (nobody approves their own)."""
        return request.is_by(reviewer.user_id)

    def can_decide(self, reviewer: Reviewer, request: RoleRequest, org: OrgDecision,
                   requests: list[RoleRequest] | None = None) -> bool:
        """Whether the request is routed to this reviewer (own requests included: they are listed
        so the refusal can be seen, and refused in :meth:`decide`)."""
        if org.status != Status.PENDING:
            return False
        route = self.route_for(request, org.ccn, requests)
        if reviewer.is_cms:
            return route.kind == "cms"
        if route.kind != "pso" or not reviewer.user_id:
            return False
        return any(same_user(p.user_id, reviewer.user_id) for p in self.psos_of(org.ccn, requests))

    def reviewer_status(self, reviewer: Reviewer, req: RoleRequest, org: OrgDecision,
                        requests: list[RoleRequest] | None = None) -> tuple[str, str]:
        """(sentence, kind) for one organization of a request, as ``reviewer`` reads it in the
        console; kind is pending, warning, success, error or muted."""
        by = f" by {org.decided_by_name}" if org.decided_by_name else ""
        if org.status == Status.PENDING:
            if self.can_decide(reviewer, req, org, requests):
                if self.is_own(reviewer, req):
                    return "Pending: your own request (another PSO, or CMS for a first PSO, decides it)", "warning"
                return "Pending: yours to decide", "pending"
            route = self.route_for(req, org.ccn, requests)
            return f"Pending: waits for {route.description}", "muted"
        if org.status == Status.APPROVED:
            return f"Approved on {stored_date(org.decided_at)}{by}", "success"
        if org.status == Status.REJECTED:
            return (f"Rejected on {stored_date(org.decided_at)}{by}"
                    f". Reason: {org.reason or '(none given)'}"), "error"
        if org.status == Status.REMOVED:
            if org.removed_by_name:
                return f"Removed on {stored_date(org.removed_at)} by {org.removed_by_name}. Reason: {org.reason}", "muted"
            return f"Removed by the iQIES Service Center on {stored_date(org.removed_at)}", "muted"
        return f"Lapsed: no sign-in to iQIES for {LAPSE_DAYS} days", "muted"

    def queue(self, reviewer: Reviewer) -> list[QueueItem]:
        """The pending organizations routed to ``reviewer``, oldest first."""
        requests = self.store.requests()
        items = []
        for req in requests:
            for org in req.organizations:
                if self.can_decide(reviewer, req, org, requests):
                    items.append(QueueItem(req, org, self.age_days(req), self.is_own(reviewer, req)))
        items.sort(key=lambda i: (str(i.request.submitted_at), i.org.ccn))
        return items

    # --- decisions ---------------------------------------------------------------------------

    def refusal(self, reviewer: Reviewer, request_id: str, ccn: str, approve: bool) -> str:
        """Why ``reviewer`` may not approve (or reject) this organization of this request, or ""
        if they may: a screen asks before it opens the reason dialog; :meth:`decide` asks again."""
        requests = self.store.requests()
        current = next((r for r in requests if r.id == request_id), None)
        if current is None:
            return "This request no longer exists (the requester may have reset their practice)."
        org_now = current.org(ccn)
        if org_now is None:
            return f"This request does not name CCN {ccn}."
        if self.is_own(reviewer, current):
            return (
                "Nobody approves their own request (sandbox rule, modelled on CMS IDM): another PSO "
                "of the provider, or CMS for a first PSO, decides it."
            )
        if org_now.status != Status.PENDING:
            return f"This request was already decided: {org_now.status}."
        if not self.can_decide(reviewer, current, org_now, requests):
            route = self.route_for(current, ccn, requests)
            return f"This request is not yours to decide: it goes to {route.description}."
        if approve and current.role == rules.PSO_ROLE and current.relationship == "vendor":
            return "A vendor cannot be a Provider Security Official; reject it with that reason."
        return ""

    def decide(self, reviewer: Reviewer, request_id: str, ccn: str, approve: bool, reason: str = "") -> Decision:
        """Approve or reject one organization of one request; the sentence to show. Everything is
        re-checked under the store's lock, since another console may have decided meanwhile."""
        reason = " ".join((reason or "").split())
        if not approve:
            if not reason:
                raise ApprovalError("A rejection needs a reason: the requester sees it and can fix what is wrong.")
            if len(reason) > MAX_REASON:
                raise ApprovalError(f"Keep the reason under {MAX_REASON} characters.")
        refusal = self.refusal(reviewer, request_id, ccn, approve)
        if refusal:
            raise ApprovalError(refusal)
        when = self.now().isoformat()
        decided: list[OrgDecision] = []

        def change(doc: RoleRequest) -> None:
            # under the store's lock: another console may have decided, or approved another
            # first PSO, since the check above
            late = self.refusal(reviewer, request_id, ccn, approve)
            if late:
                raise ApprovalError(late)
            for org in doc.organizations:
                if org.ccn == ccn:
                    if org.status != Status.PENDING:
                        raise ApprovalError(f"This request was already decided: {org.status}.")
                    org.status = Status.APPROVED if approve else Status.REJECTED
                    org.decided_at = when
                    org.decided_by = reviewer.user_id or "cms"
                    org.decided_by_name = reviewer.name
                    if not approve:
                        org.reason = reason
                    decided.append(org.model_copy())

        updated = self.store.update_request(request_id, change)
        if updated is None or not decided:
            raise ApprovalError("This request no longer exists (the requester may have reset their practice).")
        event("request_decided", role=updated.role, approved=approve, by=reviewer.kind)
        self._decision_email(updated, decided[0], approve, reason)
        provider = decided[0].label
        if approve:
            advice = self.second_pso_advice(ccn) if updated.role == rules.PSO_ROLE else ""
            return Decision(
                f"Approved: {updated.requester} is now {role_name(updated.role)} at {provider}.",
                advice,
            )
        return Decision(f"Rejected: {updated.requester}'s request for {provider}. They were told why.")

    def providers_with_psos(self) -> list[tuple[str, str, list[ActivePso]]]:
        """(CCN, provider name, its active PSOs) for every provider that has one, by CCN."""
        requests = self.store.requests()
        names: dict[str, str] = {}
        for req in requests:
            if req.role == rules.PSO_ROLE:
                for org in req.organizations:
                    if org.status == Status.APPROVED:
                        names.setdefault(org.ccn, org.name or "")
        return [(ccn, names[ccn], self.psos_of(ccn, requests)) for ccn in sorted(names)]

    def second_pso_advice(self, ccn: str, requests: list[RoleRequest] | None = None) -> str:
        psos = self.psos_of(ccn, requests)
        if len(psos) == 1:
            return only_pso_advice(psos[0].requester)
        return ""

    def _decision_email(self, request: RoleRequest, org: OrgDecision, approve: bool, reason: str) -> None:
        role = role_name(request.role)
        provider = org.label
        if approve:
            subject = f"iQIES: your {role} role for {provider} is approved"
            body = (
                f"Hello {request.requester},\n\nYour request for the role {role} at {provider} "
                "was approved. Sign in to iQIES to use it; a decision can take up to 24 hours to show.\n\n"
                "Sign in at least every 60 days, or iQIES removes your roles."
            )
            if request.role == rules.PSO_ROLE and len(self.psos_of(org.ccn)) == 1:
                body += f"\n\n{only_pso_advice()}"
        else:
            subject = f"iQIES: your {role} role request for {provider} was rejected"
            body = (
                f"Hello {request.requester},\n\nYour request for the role {role} at {provider} "
                f"was rejected.\n\nReason given: {reason}\n\nFix what the reason says and request the "
                f"role again, or ask the approver. Questions: {SERVICE_CENTER}."
            )
        self._email(request.email, subject, body)

    # --- the only PSO has left ------------------------------------------------------------------

    def remove_pso(self, reviewer: Reviewer, ccn: str, user_id: str) -> str:
        """CMS, standing in for the iQIES Service Center, removes a PSO who left the provider."""
        if not reviewer.is_cms:
            raise ApprovalError(
                "Only the iQIES Service Center removes a PSO (in this sandbox: the CMS reviewer)."
            )
        pso = next((p for p in self.psos_of(ccn) if same_user(p.user_id, user_id)), None)
        if pso is None:
            raise ApprovalError(f"{user_id} is not an active PSO of CCN {ccn}.")
        when = self.now().isoformat()
        name = ""

        def change(doc: RoleRequest) -> None:
            nonlocal name
            for org in doc.organizations:
                if org.ccn == ccn and org.status == Status.APPROVED:
                    org.status = Status.REMOVED
                    org.removed_at = when
                    name = org.name or ""

        updated = self.store.update_request(pso.request_id, change)
        if updated is None:
            raise ApprovalError("That PSO's request no longer exists.")
        event("pso_removed", remaining=len(self.psos_of(ccn)))
        provider = f"{name} (CCN {ccn})"
        self._email(
            pso.email, f"iQIES: you were removed as PSO of {provider}",
            f"Hello {pso.requester},\n\nThe iQIES Service Center removed your Provider Security "
            f"Official role at {provider}, as the provider asked (for example, because you left).\n\n"
            f"If this is a mistake, contact the {SERVICE_CENTER}.",
        )
        remaining = self.psos_of(ccn)
        if remaining:
            return f"Removed {pso.requester} as PSO of {provider}; {len(remaining)} PSO(s) remain."
        return (
            f"Removed {pso.requester} as PSO of {provider}. It has no PSO now: the next PSO "
            "request for it goes to CMS."
        )

    # --- submission -------------------------------------------------------------------------------

    def announce(self, request: RoleRequest) -> None:
        """Emails for a new request: each approver is told it waits for them."""
        role = role_name(request.role)
        for org in request.organizations:
            route = self.route_for(request, org.ccn)
            for to in self._approver_addresses(request, org.ccn, route):
                self._email(
                    to, f"iQIES: {request.requester} requests {role} for {org.label}",
                    f"{request.requester} ({request.email}) requests the role {role} at "
                    f"{org.label}. Sign in to iQIES, open Pending Requests, and approve or reject it "
                    "(a rejection needs a reason).",
                )

    def _approver_addresses(self, request: RoleRequest, ccn: str, route: rules.Approver) -> list[str]:
        """Who is asked to decide: CMS, or the provider's PSOs except the requester (a PSO asking
        for another role cannot act on their own request, so is not asked to)."""
        if route.kind == "cms":
            return [CMS_REVIEWER_ADDRESS]
        if route.kind != "pso":
            return []
        return [p.email for p in self.psos_of(ccn) if p.email and not request.is_by(p.user_id)]

    def _email(self, to: Any, subject: str, body: str) -> None:
        if not to:
            return
        self.store.add_message(
            {"kind": "email", "to": str(to), "subject": subject, "body": f"{body}\n\n{SANDBOX_NOTE}",
             "sent_at": self.now().isoformat()}
        )

    # --- the requester's view -----------------------------------------------------------------------

    def status_line(self, request: RoleRequest, org: OrgDecision,
                    requests: list[RoleRequest] | None = None) -> str:
        """What the requester reads about one organization of their request."""
        if org.status == Status.APPROVED:
            line = "Active: approved"
            if org.decided_by_name:
                line += f" by {org.decided_by_name}"
            if request.role == rules.PSO_ROLE:
                psos = self.psos_of(org.ccn, requests)
                if len(psos) == 1:
                    line += f". {only_pso_advice()}"
            return line
        if org.status == Status.REJECTED:
            return f"Rejected. Reason: {org.reason or '(none given)'}"
        if org.status == Status.REMOVED:
            return self.removed_line(org) if org.removed_by_name else "Removed by the iQIES Service Center."
        if org.status == Status.LAPSED:
            return f"Lapsed: no sign-in for {LAPSE_DAYS} days. Request the role again."
        route = self.route_for(request, org.ccn, requests)
        days = self.age_days(request)
        since = "Submitted today" if days <= 0 else f"Waiting {age_text(days)}"
        return f"{since}. Approver: {route.description}"
