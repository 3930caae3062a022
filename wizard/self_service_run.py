"""Running the answers file's HARP self-service actions (:mod:`wizard.answers.self_service`)
through the services the pages use: :class:`wizard.recovery.Recovery` and
:class:`wizard.harp_account.HarpAccount`. One printed line per action, never a secret, never
the User ID a Forgot User ID mails. Codes come from where the person reads them: the sandbox
phone, or the authenticator app's code computed from the secret."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from wizard import otp
from wizard.answers.self_service import (
    AddDeviceAction,
    ChangePasswordAction,
    EditProfileAction,
    ForgotPasswordAction,
    ForgotUserIdAction,
    RemoveDeviceAction,
    UpdateChallengeAction,
    self_service_part,
)
from wizard.approvals import ApprovalError
from wizard.harp_account import EDITABLE, HarpAccount
from wizard.recovery import Recovery

WRONG_ANSWER = "not my answer at all"
WRONG_CODE = "000000"


def _secret(value: SecretStr | str | None) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


class _Known:
    """What this run last set for a person (the file's account section until an action changes it)."""

    def __init__(self, scenario: Any) -> None:
        self.scenario = scenario
        self.passwords: dict[str, str] = {}
        self.answers: dict[str, str] = {}

    def _person(self, name: str) -> Any:
        index = next(i for i, n in enumerate(self.scenario.names) if n.casefold() == name.casefold())
        return self.scenario.persons[index]

    def password(self, name: str) -> str:
        account = self._person(name).account
        return self.passwords.get(name.casefold(), _secret(account.password) if account else "")

    def answer(self, name: str) -> str:
        account = self._person(name).account
        return self.answers.get(name.casefold(), _secret(account.challenge_answer) if account else "")


def _known(scenario: Any) -> _Known:
    known = getattr(scenario, "_self_service_known", None)
    if known is None:
        known = scenario._self_service_known = _Known(scenario)
    return known


def _code(flow: Any, recovery: Recovery, user_id: str) -> str:
    factor = flow.record.factor
    if factor is not None and factor.is_authenticator:
        return otp.usable_totp_code(factor, flow.clock()) or ""
    recovery.send_code(user_id)
    return flow.code_on_phone() or ""


def is_self_service(action: Any) -> bool:
    return self_service_part(action) is not None


def act(scenario: Any, action: Any) -> list[str]:
    """Do one self-service action; raises ApprovalError (the runner's "refused") when the result
    is not what the action's ``expect`` says."""
    part = self_service_part(action)
    flow = scenario.person_flow(part.person)
    known = _known(scenario)
    name = part.person.casefold()
    user_id = flow.record.user_id or ""
    recovery = Recovery.of(flow)
    page = HarpAccount(flow)
    kind = next(k for k in ("forgot_user_id", "forgot_password", "change_password", "update_challenge",
                            "add_device", "remove_device", "edit_profile") if hasattr(action, k))
    if isinstance(action, ForgotUserIdAction):
        profile = flow.profile
        address = part.email or (profile.email if profile else "")
        message = recovery.forgot_user_id(address)
        ok = message == recovery_sent()
        result: tuple[bool, dict[str, str], str] = (ok, {}, message)
    elif isinstance(action, ForgotPasswordAction):
        answer = known.answer(part.person) if part.answer == "correct" else WRONG_ANSWER
        code = _code(flow, recovery, user_id) if part.code == "correct" else WRONG_CODE
        new = _secret(part.new_password)
        result = recovery.reset_password(user_id, answer, code, new, new)
        if result[0]:
            known.passwords[name] = new
    elif isinstance(action, ChangePasswordAction):
        new = _secret(part.new_password)
        result = page.change_password(known.password(part.person), new, new)
        if result[0]:
            known.passwords[name] = new
    elif isinstance(action, UpdateChallengeAction):
        answer = _secret(part.challenge_answer)
        result = page.update_challenge(known.password(part.person), part.challenge_question, answer)
        if result[0]:
            known.answers[name] = answer
    elif isinstance(action, AddDeviceAction):
        result = page.add_device(part.device_type, part.phone)
    elif isinstance(action, RemoveDeviceAction):
        result = page.remove_device(part.device - 1)
    elif isinstance(action, EditProfileAction):
        values = page.profile_values()
        values.update({k: getattr(part, k) for k in EDITABLE if getattr(part, k) is not None})
        result = page.edit_profile(values)
    else:  # pragma: no cover - is_self_service said it is one
        raise ApprovalError(f"unknown action {kind}")
    ok, _, message = result
    if ok != (part.expect == "done"):
        expected = "done" if part.expect == "done" else "refused"
        raise ApprovalError(f"{kind} for {part.person}: expected {expected}, but: {message}")
    return [f"{kind} ({part.person}): {'refused as expected: ' if not ok else ''}{message}"]


def recovery_sent() -> str:
    from wizard.recovery import USER_ID_SENT

    return USER_ID_SENT
