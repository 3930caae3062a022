"""Signing in to the approver console: the sandbox's CMS reviewer, or a PSO with the same User ID,
password and code as the wizard's iQIES sign-in (:meth:`wizard.flow.OnboardingFlow.verify_sign_in`),
throttled the same way."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Callable

from pydantic import SecretStr

from wizard.approvals import CMS_REVIEWER, Approvals, Reviewer, utc_now
from wizard.flow import OnboardingFlow
from wizard.store import AccountClaimed, Store

_UNKNOWN = (
    "The User ID, password or code is not right. Check all three and try again "
    "(an authenticator code works once: wait for the next one)."
)


class ApproverSignIn:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        randbelow: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self.store = store
        self.clock = clock
        self.randbelow = randbelow
        self.approvals = Approvals(store, clock)

    def cms(self) -> Reviewer:
        """The built-in CMS reviewer: no password, since it stands for CMS staff, not a person here."""
        return CMS_REVIEWER

    def _flow(self, user_id: str) -> OnboardingFlow | None:
        found = self.store.account_for_user_id(user_id.strip()) if user_id.strip() else None
        if found is None:
            return None
        name, _ = found
        return OnboardingFlow(self.store.sibling(name), clock=self.clock, randbelow=self.randbelow)

    def send_code(self, user_id: str) -> str:
        """Send Code for a text or voice device: to that account's phone (the outbox)."""
        flow = self._flow(user_id)
        if flow is None or flow.record.factor is None or not flow.record.factor.verified:
            # the same sentence whether or not the User ID exists: the console does not tell
            return "If this User ID has a text or voice device, a code was sent to it. Press F2 to read it."
        if flow.record.factor.is_authenticator:
            return "This account uses an authenticator app: type the code the app shows."
        return flow.send_code()

    def phone(self, user_id: str) -> list[dict[str, Any]]:
        """The text and voice messages of that account, newest first (its "phone")."""
        flow = self._flow(user_id)
        if flow is None:
            return []
        return [m for m in flow.messages() if m.get("kind") in ("sms", "voice")]

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        """Everything that account received, newest first: its phone and its email (for a PSO who
        signed in: the pending-request emails are there)."""
        flow = self._flow(user_id)
        return flow.messages() if flow is not None else []

    def sign_in(self, user_id: str, password: str, code: str) -> tuple[Reviewer | None, str]:
        """(the PSO, "") when all three are right and the account is an active PSO somewhere;
        else (None, the sentence to show)."""
        user_id, code = (user_id or "").strip(), "".join((code or "").split())
        if not user_id or not password or not code:
            missing = [n for n, v in (("User ID", user_id), ("password", password), ("code", code)) if not v]
            return None, f"Type your {', '.join(missing)}."
        flow = self._flow(user_id)
        if flow is None:
            return None, _UNKNOWN
        refusal = flow.verify_sign_in(user_id, SecretStr(password), code)
        if refusal:
            return None, refusal
        profile = flow.profile
        name = profile.display_name if profile else user_id
        email = profile.email if profile else ""
        uid = flow.record.user_id or user_id
        if not self.approvals.providers_of_pso(uid):
            return None, (
                f"{name}, you are not an active Provider Security Official of any provider, so there "
                "is nothing for you to approve here. Your own requests are under Pending Requests "
                "in the wizard."
            )
        try:
            # one console per signed-in PSO: a second one is told, the first keeps working
            self.store.claim_account(uid)
        except AccountClaimed as err:
            return None, f"{err}."
        return Reviewer("pso", name, email, uid), ""

    def sign_out(self) -> None:
        """Let go of the signed-in account (also done by the OS when the process ends)."""
        self.store.release_account()
