"""Answers-file actions for HARP self-service after onboarding (under ``then:``, each naming the
``person`` it is done for): Forgot User ID, Forgot password, and the HARP account page's changes.
Run by :mod:`wizard.self_service_run` through the same services the pages use
(:mod:`wizard.recovery`, :mod:`wizard.harp_account`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, WithJsonSchema


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_as_text), WithJsonSchema({"type": ["string", "number"]})]
Outcome = Literal["correct", "wrong"]
Expect = Literal["done", "refused"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, populate_by_name=True)


class _ForPerson(_Part):
    person: Text = Field(title="Person", description="the practice_account of the person who does it")
    expect: Expect = Field("done", title="Expected", description="done (the default) or refused")


class ForgotUserId(_ForPerson):
    email: Text | None = Field(None, title="Email", description="the address typed; default: the person's profile email")


class ForgotPassword(_ForPerson):
    new_password: SecretStr = Field(title="New password", description="follows the rules of creation")
    answer: Outcome = Field("correct", title="Challenge answer", description="the person's own answer, or a wrong one")
    code: Outcome = Field("correct", title="Security code", description="the code from the registered device, or a wrong one")


class ChangePassword(_ForPerson):
    new_password: SecretStr = Field(title="New password", description="follows the rules of creation")


class UpdateChallenge(_ForPerson):
    challenge_question: Text = Field(title="Challenge question")
    challenge_answer: SecretStr = Field(title="Challenge answer")


class AddDevice(_ForPerson):
    device_type: Literal["sms", "voice"] = Field(title="Device type")
    phone: Text = Field(title="Phone number")


class RemoveDevice(_ForPerson):
    device: int = Field(title="Device", ge=1, le=2, description="1 (the first) or 2 (the second)")


class EditProfile(_ForPerson):
    email: Text | None = None
    phone: Text | None = None
    street: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip_code: Text | None = None


class ForgotUserIdAction(_Part):
    """HARP's Forgot User ID: the User ID is mailed to the address (never printed)."""

    forgot_user_id: ForgotUserId


class ForgotPasswordAction(_Part):
    """HARP's Forgot password: User ID, challenge answer and a code from the registered device."""

    forgot_password: ForgotPassword


class ChangePasswordAction(_Part):
    change_password: ChangePassword


class UpdateChallengeAction(_Part):
    update_challenge: UpdateChallenge


class AddDeviceAction(_Part):
    add_device: AddDevice


class RemoveDeviceAction(_Part):
    remove_device: RemoveDevice


class EditProfileAction(_Part):
    edit_profile: EditProfile


# action kind -> its model (schema.py adds them to the actions of ``then:``)
SELF_SERVICE_ACTIONS: dict[str, type[_Part]] = {
    "forgot_user_id": ForgotUserIdAction,
    "forgot_password": ForgotPasswordAction,
    "change_password": ChangePasswordAction,
    "update_challenge": UpdateChallengeAction,
    "add_device": AddDeviceAction,
    "remove_device": RemoveDeviceAction,
    "edit_profile": EditProfileAction,
}


def self_service_part(action: Any) -> Any:
    """The inner part (with ``person``) of a self-service action, or None."""
    for kind, model in SELF_SERVICE_ACTIONS.items():
        if isinstance(action, model):
            return getattr(action, kind)
    return None
