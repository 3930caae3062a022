"""The flow's second factor: sending and checking codes, signing in, the factor kept in step
with other processes (the approver console, a runner) that change it meanwhile.

:class:`TwoFactorMixin` is part of :class:`wizard.flow.OnboardingFlow`.
"""

from __future__ import annotations

from typing import Any, Callable

from pydantic import SecretStr, ValidationError

from wizard import otp, rules
from wizard.hashing import verify_secret
from wizard.log import event
from wizard.records import same_user
from wizard.store import CODE_MESSAGE_KINDS as CODE_KINDS, ENCRYPTED

SIGN_IN_REFUSED = (
    "The User ID, password or code is not right. Check all three and try again "
    "(an authenticator code works once: wait for the next one)."
)


class TwoFactorMixin:
    """Second-factor methods of the flow (``self`` is an OnboardingFlow)."""

    record: Any
    store: Any
    factor_service: otp.SecondFactor
    _saved_factor: otp.FactorState | None

    def _disk_factor(self) -> otp.FactorState | None:
        raw = self.store.load_account()
        factor = raw.get("factor") if isinstance(raw, dict) else None
        if not isinstance(factor, dict):
            return None
        try:
            return otp.FactorState.model_validate(factor)
        except ValidationError:
            return None

    def _refresh_factor(self) -> None:
        """Before a code is sent or checked: the newest factor, if another process changed it.
        A factor changed here but not saved yet keeps its changes and takes the larger wrong-code
        count and lock from disk, so no failure counted elsewhere is lost."""
        mine = self.record.factor
        if mine is None:
            return
        disk = self._disk_factor()
        if disk is None:
            return
        if mine == self._saved_factor:
            if disk.revision > mine.revision:
                self.record.factor = self._saved_factor = disk
            return
        saved_revision = self._saved_factor.revision if self._saved_factor is not None else 0
        if disk.revision > saved_revision and disk.failures > mine.failures:
            self.record.factor = mine.model_copy(
                update={"failures": disk.failures, "locked_until": disk.locked_until}
            )

    def _update_factor(self, change: Callable[[otp.FactorState], tuple[Any, otp.FactorState]]) -> Any:
        """Read, change and write the second factor under the store lock: every wrong code and
        every lock is counted even when several processes (wizard, console, runner) check codes
        for one account at the same moment."""
        with self.store.lock:
            self._refresh_factor()
            assert self.record.factor is not None
            result, self.record.factor = change(self.record.factor)
            self.save()
        return result

    def _check_login(self, user_id: str, password: SecretStr) -> bool:
        return (
            bool(self.record.user_id)
            and same_user(user_id, self.record.user_id)
            and verify_secret(self.record.password_hash, password.get_secret_value())
        )

    def send_code(self) -> str:
        """Send Code: a new SMS/voice code to the outbox; the previous one stops working."""
        with self.store.lock:  # read, issue and write under the lock, like every factor change
            return self._send_code()

    def _send_code(self) -> str:
        self._refresh_factor()
        factor = self.record.factor
        if factor is None:
            return "Choose a device type and phone number first, then Send Code."
        if factor.is_authenticator:
            return "Authenticator apps make their own codes; open the app on your phone."
        locked = self.factor_service.lock_message(factor)
        if locked:
            return locked
        code, self.record.factor = self.factor_service.issue_code(factor)
        how = "Text message" if factor.device_type == "sms" else "Voice call"
        phone = rules.format_phone(factor.phone or "")
        spoken = " ".join(code) if factor.device_type == "voice" else code
        self.send_message(
            factor.device_type, phone, "HARP security code",
            f"Your HARP security code is {spoken}. It expires in 10 minutes. "
            "Do not share it with anyone.",
            code=code,
        )
        self.save()
        return f"{how} sent to {phone}. Open your phone with F2 to read the code."

    def code_on_phone(self) -> str | None:
        """The newest security code on this user's simulated phone (what F2 shows), as sent by
        :meth:`send_code`: read from the message's own code entry (kept encrypted like its
        text), never from its wording."""
        from wizard.vault import VaultError

        for message in self.messages():  # newest first
            entry = message.get("code") if message.get("kind") in CODE_KINDS else None
            if isinstance(entry, dict) and isinstance(entry.get(ENCRYPTED), str):
                try:
                    return self.store.vault.decrypt(entry[ENCRYPTED])
                except VaultError:
                    return None
        return None

    def totp_uri(self) -> str | None:
        factor = self.record.factor
        if factor and factor.totp_secret and self.record.user_id:
            return otp.provisioning_uri(factor.totp_secret, self.record.user_id)
        return None

    def check_code(self, code: str) -> otp.CodeCheck:
        result = self._update_factor(lambda factor: self.factor_service.check(factor, code))
        if not result.ok:
            event("code_refused", failures=self.record.factor.failures, locked=result.locked)
        return result

    def verify_sign_in(self, user_id: str, password: SecretStr, code: str) -> str:
        """iQIES sign-in: User ID, password and a code from the verified device, throttled like
        the codes; "" when it passes (and the sign-in is recorded), else the sentence to show.
        The approver console signs PSOs in with this too."""
        self._refresh_factor()
        factor = self.record.factor
        if factor is None or not factor.verified:
            return SIGN_IN_REFUSED
        locked = self.factor_service.lock_message(factor)
        if locked:
            return locked
        login_ok = self._check_login(user_id, password)
        code_ok = self.check_code(code).ok if login_ok else False
        if not (login_ok and code_ok):
            if not login_ok:
                # a wrong password counts like a wrong code, so guessing is throttled too
                self._update_factor(lambda factor: (None, self.factor_service.record_failure(factor)))
            return self.factor_service.lock_message(self.record.factor) or SIGN_IN_REFUSED
        if self.record.user_id:
            self.approvals.record_sign_in(self.record.user_id)
        return ""
