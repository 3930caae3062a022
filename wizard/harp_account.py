"""The HARP account page after sign-in (sandbox, modelled on HARP's "My Profile"): edit the
profile fields HARP lets a user change, change the password, update the challenge question and
answer, add a second two-factor device and remove one (never the last). Each change sends its
email to the Maildir; passwords and answers are kept only as hashes, as at creation.

A second device is kept in ``record.step_facts["harp_devices"]`` (device type and phone only;
the first device stays ``record.factor``, with its throttle). No textual here: the page is
``screens/harp_account.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from wizard import rules
from wizard.catalogue import challenge_questions
from wizard.hashing import hash_secret, verify_secret
from wizard.log import event
from wizard.models import PHONE_DEVICES, HarpProfile, validate_form
from wizard.rules import RuleError
from wizard.steps import Step
from wizard.steps.spec import FieldSpec

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow

DEVICES_KEY = "harp_devices"
# HARP lets a user change these; name and date of birth were proofed and stay
EDITABLE = ("email", "phone", "street", "city", "state", "zip_code")
# the same fields as on Profile Information: labels, limits and placeholders from that step's spec
PROFILE_FIELDS = tuple(Step.PROFILE.field(name) for name in EDITABLE)
PASSWORD_FIELDS = (
    FieldSpec("old_password", "secret", label="Current password", max_length=rules.PASSWORD_MAX),
    FieldSpec("new_password", "secret", label="New password", max_length=rules.PASSWORD_MAX),
    FieldSpec("new_password_confirm", "secret", label="Confirm new password", max_length=rules.PASSWORD_MAX),
)
_ANSWER = Step.ACCOUNT.field("challenge_answer")
CHALLENGE_FIELDS = (
    FieldSpec("password", "secret", label="Current password", max_length=rules.PASSWORD_MAX),
    replace(_ANSWER, label="New answer"),
)
DEVICE_PHONE = replace(Step.TWO_FACTOR_SETUP.field("phone"), label="Its phone number")
WRONG_PASSWORD = "Your current password is not right."
SANDBOX = "(Sandbox practice message: not from CMS.)"

Result = tuple[bool, dict[str, str], str]  # (done, errors by field, the sentence to show)


def _plain(value: SecretStr | str | None) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


class HarpAccount:
    """One signed-in user's HARP account page."""

    def __init__(self, flow: OnboardingFlow) -> None:
        self.flow = flow

    # --- what the page shows ------------------------------------------------------------------

    def profile_values(self) -> dict[str, str]:
        profile = self.flow.profile
        if profile is None:
            return {}
        values = profile.model_dump(mode="json")
        values["phone"] = rules.format_phone(profile.phone)
        return {name: str(values.get(name) or "") for name in EDITABLE}

    def devices(self) -> list[dict[str, Any]]:
        """Every registered device, the first one (``record.factor``) first."""
        factor = self.flow.record.factor
        out = []
        if factor is not None and factor.verified:
            out.append({"device_type": factor.device_type, "phone": factor.phone})
        extra = self.flow.record.step_facts.get(DEVICES_KEY) or []
        out += [d for d in extra if isinstance(d, dict) and isinstance(d.get("device_type"), str)]
        return out

    def device_labels(self) -> list[str]:
        names = {"sms": "Text message", "voice": "Voice call"}
        return [f"{names.get(d['device_type'], 'Authenticator app')}"
                + (f" {rules.format_phone(d['phone'])}" if d.get("phone") else "")
                for d in self.devices()]

    # --- changes ------------------------------------------------------------------------------

    def _mail(self, subject: str, body: str) -> None:
        profile = self.flow.profile
        if profile is not None:
            self.flow.send_message("email", profile.email, subject, f"{body} {SANDBOX}")

    def edit_profile(self, form: dict[str, Any]) -> Result:
        from wizard.recovery import email_exists_refusal

        profile = self.flow.profile
        if profile is None:
            return False, {}, "There is no profile to edit yet."
        merged = {**profile.model_dump(mode="json"), **{k: form.get(k, "") for k in EDITABLE}}
        merged["email_confirm"] = merged["email"]
        model, errors = validate_form(HarpProfile, merged, self.flow.context())
        if errors:
            return False, errors, next(iter(errors.values()))
        exists = email_exists_refusal(self.flow.store, model.email)
        if exists:
            return False, {"email": exists}, exists
        old_email = profile.email
        self.flow.record.profile = model.model_dump(mode="json")
        self.flow.save()
        if old_email.casefold() != model.email.casefold():
            self.flow.send_message("email", old_email, "Your HARP email address was changed",
                                   f"The email address of your HARP account was changed. {SANDBOX}")
        self._mail("Your HARP profile was updated",
                   "Your HARP profile was updated. If you did not do this, call the help desk.")
        event("harp_profile_edited")
        return True, {}, "Your profile was updated."

    def change_password(self, old: SecretStr | str, new: SecretStr | str, confirm: SecretStr | str) -> Result:
        record, profile = self.flow.record, self.flow.profile
        if not verify_secret(record.password_hash, _plain(old)):
            return False, {"old_password": WRONG_PASSWORD}, WRONG_PASSWORD
        try:
            rules.check_password(_plain(new), record.user_id or "", profile.first_name if profile else "",
                                 profile.last_name if profile else "")
        except RuleError as err:
            return False, {"new_password": str(err)}, str(err)
        if _plain(new) != _plain(confirm):
            message = "The two passwords do not match; type the same password twice."
            return False, {"new_password_confirm": message}, message
        if verify_secret(record.password_hash, _plain(new)):
            message = "The new password must differ from the current one."
            return False, {"new_password": message}, message
        record.password_hash = hash_secret(_plain(new))
        self.flow.save()
        self._mail("Your HARP password was changed",
                   "The password of your HARP account was changed. If you did not do this, call the help desk.")
        event("harp_password_changed")
        return True, {}, "Your password was changed."

    def update_challenge(self, password: SecretStr | str, question: str, answer: SecretStr | str) -> Result:
        record = self.flow.record
        if not verify_secret(record.password_hash, _plain(password)):
            return False, {"password": WRONG_PASSWORD}, WRONG_PASSWORD
        if question not in challenge_questions():
            message = "Choose one of the challenge questions."
            return False, {"challenge_question": message}, message
        try:
            rules.check_challenge_answer(_plain(answer), _plain(password))
        except RuleError as err:
            return False, {"challenge_answer": str(err)}, str(err)
        record.challenge_question = question
        record.challenge_answer_hash = hash_secret(rules.normalise_answer(_plain(answer)))
        self.flow.save()
        self._mail("Your HARP challenge question was changed",
                   "The challenge question and answer of your HARP account were changed.")
        event("harp_challenge_changed")
        return True, {}, "Your challenge question and answer were updated."

    def add_device(self, device_type: str, phone: str) -> Result:
        if device_type not in PHONE_DEVICES:
            message = "A second device here is a text-message or voice-call phone."
            return False, {"device_type": message}, message
        try:
            e164 = rules.check_phone(phone or "")
        except RuleError as err:
            return False, {"phone": str(err)}, str(err)
        if any(d["device_type"] == device_type and d.get("phone") == e164 for d in self.devices()):
            message = "This device is already registered."
            return False, {"phone": message}, message
        if len(self.devices()) >= 2:
            message = "Two devices are registered already; remove one first."
            return False, {"device_type": message}, message
        extra = list(self.flow.record.step_facts.get(DEVICES_KEY) or [])
        extra.append({"device_type": device_type, "phone": e164})
        self.flow.record.step_facts[DEVICES_KEY] = extra
        self.flow.save()
        self._mail("A two-factor device was added to your HARP account",
                   f"A {('text message' if device_type == 'sms' else 'voice call')} device "
                   f"({rules.format_phone(e164)}) was added to your HARP account.")
        event("harp_device_added")
        return True, {}, "The second device was added."

    def remove_device(self, index: int) -> Result:
        devices = self.devices()
        if len(devices) <= 1:
            message = "You cannot remove your only two-factor device: add another one first."
            return False, {}, message
        if not 0 <= index < len(devices):
            return False, {}, "Choose a device to remove."
        record = self.flow.record
        extra = list(record.step_facts.get(DEVICES_KEY) or [])
        removed = devices[index]
        if index == 0:  # the second device becomes the first, keeping the throttle
            first = extra.pop(0)
            old = record.factor
            record.factor = old.model_copy(update={
                "device_type": first["device_type"], "phone": first["phone"], "totp_secret": None,
                "last_totp_step": None, "code_hash": None, "code_salt": None, "code_expires_at": None})
        else:
            extra.pop(index - 1)
        record.step_facts[DEVICES_KEY] = extra
        self.flow.save()
        self._mail("A two-factor device was removed from your HARP account",
                   "A two-factor device"
                   + (f" ({rules.format_phone(removed['phone'])})" if removed.get("phone") else "")
                   + " was removed from your HARP account.")
        event("harp_device_removed")
        return True, {}, "The device was removed."
