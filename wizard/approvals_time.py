"""The passing of time on the sandbox clock, for :class:`wizard.approvals.Approvals`: reminders
for requests pending two days, warnings ten days before a role lapses, and the lapse itself after
60 days without signing in. Every open wizard and console sweeps; each thing is sent once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from wizard.log import event
from wizard.records import OrgDecision, RoleRequest, Status

LAPSE_DAYS = 60  # [CMS]
LAPSE_WARNING_DAYS = 50  # [sandbox] ten days' notice
REMINDER_DAYS = 2  # [sandbox]


def parse_time(when: Any) -> datetime | None:
    from datetime import timezone

    if not isinstance(when, str):
        return None
    try:
        parsed = datetime.fromisoformat(when)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def age_text(days: int) -> str:
    return "today" if days <= 0 else "1 day" if days == 1 else f"{days} days"


class Sweeps:
    """Mixed into Approvals: needs ``store``, ``now()``, ``age_days()``, ``route_for()``,
    ``_approver_addresses()``, ``_email()``."""

    def record_sign_in(self, user_id: str) -> None:
        self.store.record_sign_in(user_id, self.now().isoformat())

    def sweep(self) -> list[str]:
        """Send what the sandbox date calls for, once each: reminders for requests pending two
        days, warnings ten days before roles lapse, and the lapse itself (60 days without
        signing in). Returns one line per thing done."""
        now = self.now()
        done: list[str] = []
        sign_ins = self.store.sign_ins()
        for req in self.store.requests():
            for org in req.organizations:
                if org.status == Status.PENDING and not org.reminded and self.age_days(req) >= REMINDER_DAYS:
                    done.append(self._remind(req, org))
                elif org.status == Status.APPROVED:
                    last = parse_time(sign_ins.get(req.user_id.key)) if req.user_id else None
                    moments = [d for d in (parse_time(org.decided_at), last) if d is not None]
                    if not moments:
                        continue
                    since = max(moments)
                    idle = (now - since).days
                    if idle >= LAPSE_DAYS:
                        done.append(self._lapse(req, org, idle))
                    elif idle >= LAPSE_WARNING_DAYS and org.warned_for != since.isoformat():
                        done.append(self._warn(req, org, since))
        return [d for d in done if d]

    def _mark(self, req: RoleRequest, ccn: str, still: Callable[[OrgDecision], bool], **fields: Any) -> bool:
        """Set ``fields`` on one organization if ``still`` holds for it under the store's lock:
        every open wizard and console sweeps, and only the first may send the email."""
        changed = False

        def change(doc: RoleRequest) -> None:
            nonlocal changed
            for org in doc.organizations:
                if org.ccn == ccn and still(org):
                    for name, value in fields.items():
                        setattr(org, name, value)
                    changed = True

        self.store.update_request(req.id, change)
        return changed

    def _remind(self, req: RoleRequest, org: OrgDecision) -> str:
        from wizard.approvals import SERVICE_CENTER, role_name

        route = self.route_for(req, org.ccn)
        if not self._mark(req, org.ccn, lambda o: o.status == Status.PENDING and not o.reminded,
                          reminded=self.now().isoformat()):
            return ""  # another process sent it
        provider = org.label
        role = role_name(req.role)
        days = age_text(self.age_days(req))
        for to in self._approver_addresses(req, org.ccn, route):
            self._email(
                to, f"iQIES reminder: a {role} request for {provider} is waiting",
                f"{req.requester} asked for the role {role} at {provider} {days} ago, and it "
                "is still waiting for a decision. Sign in to iQIES and approve or reject it.",
            )
        self._email(
            req.email, f"iQIES: your {role} request for {provider} is still pending",
            f"Hello {req.requester},\n\nYour request for {role} at {provider} has waited {days}. "
            f"It goes to {route.description}. Approvals can take several days; if it takes longer, ask "
            f"your provider's PSO or the {SERVICE_CENTER}.",
        )
        return f"Reminder sent for {req.requester}'s {role} request ({provider})."

    def _warn(self, req: RoleRequest, org: OrgDecision, since: datetime) -> str:
        from wizard.approvals import role_name

        if not self._mark(req, org.ccn, lambda o: o.status == Status.APPROVED and o.warned_for != since.isoformat(),
                          warned_for=since.isoformat()):
            return ""
        role = role_name(req.role)
        provider = org.label
        left = LAPSE_DAYS - (self.now() - since).days
        self._email(
            req.email, f"iQIES: your {role} role for {provider} lapses in {left} days",
            f"Hello {req.requester},\n\nYou have not signed in to iQIES since "
            f"{since.date().isoformat()}. Users who do not sign in for 60 days lose their roles; "
            f"sign in within {left} days to keep {role} at {provider}.",
        )
        return f"Warned {req.requester}: {role} at {provider} lapses in {left} days."

    def _lapse(self, req: RoleRequest, org: OrgDecision, idle: int) -> str:
        from wizard.approvals import role_name

        if not self._mark(req, org.ccn, lambda o: o.status == Status.APPROVED,
                          status=Status.LAPSED, lapsed_at=self.now().isoformat()):
            return ""
        role = role_name(req.role)
        provider = org.label
        self._email(
            req.email, f"iQIES: your {role} role for {provider} has lapsed",
            f"Hello {req.requester},\n\nYou did not sign in to iQIES for {idle} days, so the "
            f"role {role} at {provider} was removed. Your HARP account stays: sign in and request "
            "the role again.",
        )
        event("role_lapsed", role=req.role)
        return f"{req.requester}'s {role} role at {provider} lapsed after {idle} days."
