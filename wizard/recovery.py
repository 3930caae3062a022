"""HARP self-service recovery (sandbox, modelled on HARP's "Forgot User ID?" and "Forgot
Password?" links): a forgotten User ID is mailed to the address it was registered with, a
forgotten password is reset with the User ID, the challenge answer and a code from the registered
device. Nothing here tells whether an address, a User ID or an answer exists or was right: every
refusal reads the same, and every wrong try counts against the account's second factor, the
same throttle as signing in (:mod:`wizard.two_factor`).

"Email already exists" (HARP's refusal at registration) is decided here too: another practice
practice account of the data directory whose account got past the User ID step (it holds a User ID) and
whose HARP profile has the same address (any case). The same practice account running again is not "another".
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable

from pydantic import SecretStr

from wizard import otp, rules
from wizard.hashing import hash_secret, verify_secret
from wizard.log import event
from wizard.rules import RuleError
from wizard.records import UserId
from wizard.steps import Step
from wizard.steps.spec import FieldSpec
from wizard.store import Store

Clock = Callable[[], datetime]

# the fields of the two forms, with the limits of the fields they stand for at registration
FORGOT_ID_FIELDS = (replace(Step.PROFILE.field("email"), label="Email address on your HARP account",
                            placeholder="", note=""),)
RESET_FIELDS = (
    FieldSpec("user_id", label="HARP User ID", max_length=rules.USER_ID_MAX),
    replace(Step.ACCOUNT.field("challenge_answer"), label="Answer to your challenge question", note=""),
    replace(Step.TWO_FACTOR_VERIFY.field("code"), label=f"Security code ({otp.CODE_DIGITS} digits)",
            placeholder=""),
    FieldSpec("new_password", "secret", label="New password", max_length=rules.PASSWORD_MAX),
    FieldSpec("new_password_confirm", "secret", label="Confirm new password", max_length=rules.PASSWORD_MAX),
)
USER_ID_SENT = (
    "If an account uses that email address, its User ID was sent there. "
    "Open the mailbox with F2 to read it."
)
RESET_REFUSED = (
    "The User ID, challenge answer or code is not right. Check all three and try again "
    "(an authenticator code works once: wait for the next one)."
)
CODE_SENT_OR_NOT = (
    "If this User ID has a text or voice device, a code was sent to it. Press F2 to read it; "
    "with an authenticator app, type the code the app shows."
)
EMAIL_EXISTS = (
    "An account with this email address already exists. You already have a HARP (or older EIDM) "
    "account: sign in with it, or get your User ID by email with Forgot User ID (in the wizard: Ctrl+F)."
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _email_key(email: object) -> str:
    return " ".join(str(email or "").split()).casefold()


def email_holder(store: Store, email: str) -> str | None:
    """The other practice account whose account (past the User ID step) holds ``email``."""
    key = _email_key(email)
    if not key:
        return None
    held = {UserId.of(u) for u in store.user_ids()}
    for name, doc in store.accounts():
        if name == store.practice_account or not isinstance(doc, dict):
            continue
        their = doc.get("profile") if isinstance(doc.get("profile"), dict) else {}
        if _email_key(their.get("email")) == key and UserId.of(doc.get("user_id")) in held:
            return name
    return None


def email_exists_refusal(store: Store, email: str) -> str:
    """HARP's "email already exists" sentence when another account holds ``email``, else ""."""
    return EMAIL_EXISTS if email_holder(store, email) else ""


class Recovery:
    """Forgot User ID and Forgot password, for any sign-in page (HARP or iQIES)."""

    def __init__(self, store: Store, clock: Clock = utc_now,
                 randbelow: Callable[[int], int] = secrets.randbelow, *, flow: Any = None) -> None:
        """``flow``: the open wizard's flow of ``store``'s practice account; a change to that account
        goes through it, so the open page never writes an older copy over it."""
        self.store = store
        self.clock = clock
        self.randbelow = randbelow
        self.flow = flow

    @classmethod
    def of(cls, flow: Any) -> "Recovery":
        return cls(flow.store, flow.clock, flow.factor_service.randbelow, flow=flow)

    def _flow_of(self, practice_account: str):
        from wizard.flow import OnboardingFlow

        if self.flow is not None and practice_account == self.flow.store.practice_account:
            return self.flow

        store = self.store if practice_account == self.store.practice_account else self.store.sibling(practice_account)
        return OnboardingFlow(store, clock=self.clock, randbelow=self.randbelow)

    def _flow_for_user_id(self, user_id: str):
        user_id = (user_id or "").strip()
        found = self.store.account_for_user_id(user_id) if user_id else None
        return self._flow_of(found[0]) if found is not None else None

    # --- Forgot User ID -----------------------------------------------------------------------

    def forgot_user_id(self, email: str) -> str:
        """Mail the User ID to ``email`` when an account uses it; the same sentence either way."""
        try:
            address = rules.check_email(email or "")
        except RuleError as err:
            return str(err)
        key = _email_key(address)
        for name, doc in self.store.accounts():
            their = doc.get("profile") if isinstance(doc.get("profile"), dict) else {}
            if doc.get("user_id") and _email_key(their.get("email")) == key:
                flow = self._flow_of(name)
                flow.send_message(
                    "email", str(their.get("email")), "Your HARP User ID",
                    f"You asked for your HARP User ID. Your User ID is: {doc['user_id']}\n\n"
                    "If you did not ask for it, you can ignore this message. "
                    "(Sandbox practice message: not from CMS.)",
                )
                event("user_id_mailed")
                break
        return USER_ID_SENT

    # --- Forgot password ----------------------------------------------------------------------

    def send_code(self, user_id: str) -> str:
        """Send a code to the account's registered text or voice device (same sentence when the
        User ID is unknown)."""
        flow = self._flow_for_user_id(user_id)
        factor = flow.record.factor if flow is not None else None
        if flow is None or factor is None or not factor.verified or factor.is_authenticator:
            return CODE_SENT_OR_NOT
        return flow.send_code()

    def reset_password(self, user_id: str, answer: SecretStr | str, code: str,
                       new: SecretStr | str, confirm: SecretStr | str) -> tuple[bool, dict[str, str], str]:
        """(done, errors by field, the sentence to show). The new password follows the rules of
        creation (those can be named); a wrong User ID, answer or code reads the same and counts
        as a failed sign-in."""
        plain = lambda v: v.get_secret_value() if isinstance(v, SecretStr) else str(v or "")  # noqa: E731
        user_id, answer_text = (user_id or "").strip(), plain(answer)
        new_text, code = plain(new), "".join((code or "").split())
        errors = {name: f"Type your {label}." for name, label, value in (
            ("user_id", "User ID", user_id), ("challenge_answer", "challenge answer", answer_text),
            ("code", "code", code)) if not value}
        flow = self._flow_for_user_id(user_id) if user_id else None
        names = flow.profile if flow is not None else None
        try:
            rules.check_password(new_text, user_id, names.first_name if names else "",
                                 names.last_name if names else "")
        except RuleError as err:
            errors["new_password"] = str(err)
        if not errors.get("new_password") and new_text != plain(confirm):
            errors["new_password_confirm"] = "The two passwords do not match; type the same password twice."
        if errors:
            return False, errors, next(iter(errors.values()))
        if flow is None or flow.record.factor is None or not flow.record.factor.verified:
            return False, {"challenge_answer": RESET_REFUSED}, RESET_REFUSED
        locked = flow.factor_service.lock_message(flow.record.factor)
        if locked:
            return False, {"challenge_answer": locked}, locked
        answer_ok = verify_secret(flow.record.challenge_answer_hash, rules.normalise_answer(answer_text))
        code_ok = flow.check_code(code).ok if answer_ok else False
        if not (answer_ok and code_ok):
            if not answer_ok:  # a wrong answer counts like a wrong code: guessing is throttled
                flow._update_factor(lambda f: (None, flow.factor_service.record_failure(f)))
            event("password_reset_refused", failures=flow.record.factor.failures)
            message = flow.factor_service.lock_message(flow.record.factor) or RESET_REFUSED
            return False, {"challenge_answer": message}, message
        flow.record.password_hash = hash_secret(new_text)
        flow.save()
        profile = flow.profile
        if profile is not None:
            flow.send_message(
                "email", profile.email, "Your HARP password was changed",
                "The password of your HARP account was reset with your challenge answer and a "
                "security code. If you did not do this, call the help desk. "
                "(Sandbox practice message: not from CMS.)",
            )
        event("password_reset")
        return True, {}, "Your password was reset. Sign in with your User ID and the new password."
