"""Pydantic models, one per step, with the step's required fields.

Validation goes through :func:`validate_form`, which turns pydantic's errors into one human
message per field (the message the screen shows under the field and the headless runner prints
as ``FILE: field: message``). Rules live in :mod:`wizard.rules`; the models only wire them up.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from wizard import rules
from wizard.identifiers import IdentifierError
from wizard.records import UserId
from wizard.rules import RuleError
from wizard.sanitize import clean_text

DeviceType = Literal["sms", "voice", "google_authenticator", "okta_verify"]

DEVICE_TYPES: dict[str, str] = {
    "sms": "Text message (SMS)",
    "voice": "Voice call",
    "google_authenticator": "Google Authenticator",
    "okta_verify": "Okta Verify",
}
PHONE_DEVICES = frozenset({"sms", "voice"})

SSN_CHOICES: dict[str, str] = {
    "provide_to_harp": "I will provide my SSN to HARP",
    "manual_proofing": "I will use manual proofing (no SSN)",
}

WORK_RELATIONSHIPS: dict[str, str] = {
    "employee": "I work for the provider",
    "vendor": "I am a vendor or contractor for the provider",
}
# the same, as an approver reads it about the requester
REQUESTER_RELATIONSHIPS = {"employee": "works for the provider", "vendor": "vendor or contractor of the provider"}


def _ctx(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


class StepModel(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", frozen=True)

    @classmethod
    def label(cls, field: str) -> str:
        info = cls.model_fields.get(field)
        return (info.title if info and info.title else field.replace("_", " ").capitalize())


class HarpProfile(StepModel):
    """HARP 'Profile Information'. No SSN: the app never asks for one."""

    first_name: str = Field(title="First name", max_length=200)
    middle_name: str | None = Field(None, title="Middle name", max_length=200)
    last_name: str = Field(title="Last name", max_length=200)
    suffix: str | None = Field(None, title="Suffix", max_length=10)
    date_of_birth: date = Field(title="Date of birth")
    email: str = Field(title="Email", max_length=400)
    email_confirm: str = Field(title="Confirm email", max_length=400)
    personal_email_allowed: bool = Field(
        False, title="2 or fewer providers, no work email domain", validate_default=True
    )
    phone: str = Field(title="Phone number", max_length=40)
    street: str = Field(title="Street address", max_length=200)
    city: str = Field(title="City", max_length=200)
    state: str = Field(title="State", max_length=40)
    zip_code: str = Field(title="ZIP code", max_length=20)
    ssn_choice: Literal["provide_to_harp", "manual_proofing"] = Field(title="SSN for HARP")
    facility_name: str = Field(title="Your facility", max_length=200)

    @field_validator("first_name", "last_name")
    @classmethod
    def _name(cls, v: str, info: ValidationInfo) -> str:
        return rules.check_name(v, cls.label(info.field_name))

    @field_validator("middle_name")
    @classmethod
    def _middle(cls, v: str | None) -> str | None:
        return rules.check_name(v, "Middle name") if v else None

    @field_validator("suffix")
    @classmethod
    def _suffix(cls, v: str | None) -> str | None:
        return rules.check_suffix(v) if v else None

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _dob(cls, v: Any, info: ValidationInfo) -> date:
        today = _ctx(info).get("today") or date.today()
        if isinstance(v, date):
            return rules.check_date_of_birth(v, today)
        return rules.check_date_of_birth(str(v), today)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str, info: ValidationInfo) -> str:
        v = rules.check_email(v)
        # registering only: HARP's "email already exists" (wizard.recovery.email_exists_refusal)
        taken = (info.context or {}).get("email_taken")
        refusal = taken(v) if callable(taken) else ""
        if refusal:
            raise RuleError(refusal)
        return v

    @field_validator("email_confirm")
    @classmethod
    def _email_confirm(cls, v: str, info: ValidationInfo) -> str:
        first = info.data.get("email")
        if first is None:
            return v
        if v.strip().casefold() != first.casefold():
            raise RuleError("The two email addresses do not match; type the same address twice.")
        return first

    @field_validator("personal_email_allowed")
    @classmethod
    def _corporate(cls, v: bool, info: ValidationInfo) -> bool:
        email = info.data.get("email")
        if email:
            try:
                rules.check_email_domain(email, v)
            except RuleError as err:
                # Reported on the email field: that is what the user changes.
                raise RuleError(f"@email: {err}") from None
        return v

    @field_validator("street")
    @classmethod
    def _street(cls, v: str) -> str:
        return rules.check_street(v)

    @field_validator("city")
    @classmethod
    def _city(cls, v: str) -> str:
        return rules.check_city(v)

    @field_validator("state")
    @classmethod
    def _state(cls, v: str) -> str:
        return rules.check_state(v)

    @field_validator("zip_code")
    @classmethod
    def _zip(cls, v: str) -> str:
        return rules.check_zip(v)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return rules.check_phone(v)

    @field_validator("facility_name")
    @classmethod
    def _facility(cls, v: str) -> str:
        value = " ".join(rules.nfkc(v).split())
        if clean_text(value) != value:
            raise RuleError("Your facility's name cannot contain control or invisible formatting characters.")
        if len(value) < 2:
            raise RuleError("Your facility is required (used only to check your User ID).")
        if len(value) > 120:
            raise RuleError("Facility name can be at most 120 characters.")
        return value

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class HarpAccountSetup(StepModel):
    """HARP 'Choose User ID, Password and Challenge Question'."""

    user_id: str = Field(title="User ID", max_length=200)
    password: SecretStr = Field(title="Password", max_length=200)
    password_confirm: SecretStr = Field(title="Confirm password", max_length=200)
    challenge_question: str = Field(title="Challenge question", max_length=300)
    challenge_answer: SecretStr = Field(title="Challenge answer", max_length=300)
    user_id_permanent_ok: bool = Field(False, title="User ID cannot be changed", validate_default=True)

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, v: str, info: ValidationInfo) -> str:
        value = rules.check_user_id(v)
        taken = {UserId(u) for u in _ctx(info).get("taken_user_ids", ())}
        if UserId(value) in taken:
            raise RuleError("That User ID is already taken; choose another.")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        profile: HarpProfile | None = _ctx(info).get("profile")
        rules.check_password(
            v.get_secret_value(),
            info.data.get("user_id", ""),
            profile.first_name if profile else "",
            profile.last_name if profile else "",
        )
        return v

    @field_validator("password_confirm")
    @classmethod
    def _password_confirm(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        first = info.data.get("password")
        if first is not None and v.get_secret_value() != first.get_secret_value():
            raise RuleError("The two passwords do not match; type the same password twice.")
        return v

    @field_validator("challenge_question")
    @classmethod
    def _question(cls, v: str, info: ValidationInfo) -> str:
        bank = _ctx(info).get("challenge_questions")
        if bank is not None and v not in bank:
            raise RuleError("Choose a challenge question from the list.")
        return v

    @field_validator("challenge_answer")
    @classmethod
    def _answer(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        password = info.data.get("password")
        rules.check_challenge_answer(
            v.get_secret_value(), password.get_secret_value() if password else ""
        )
        return v

    @field_validator("user_id_permanent_ok")
    @classmethod
    def _permanent(cls, v: bool) -> bool:
        if not v:
            raise RuleError("Confirm that you understand your User ID can never be changed.")
        return v


class ProofingSubmission(StepModel):
    """HARP identity-proofing answers (simulated) and 'I am not a robot'."""

    answers: list[int | None] = Field(title="Answers", min_length=5, max_length=5)
    not_a_robot: bool = Field(False, title="I am not a robot", validate_default=True)
    # which attempt's questions these answers belong to (a double Next must not grade old
    # answers against new questions); None when the caller does not know
    attempt: int | None = Field(None, title="Attempt")

    @field_validator("answers")
    @classmethod
    def _all_answered(cls, v: list[int | None]) -> list[int | None]:
        unanswered = [str(i + 1) for i, a in enumerate(v) if a is None]
        if unanswered:
            raise RuleError(f"Answer every question (still open: {', '.join(unanswered)}).")
        return v

    @field_validator("not_a_robot")
    @classmethod
    def _robot(cls, v: bool) -> bool:
        if not v:
            raise RuleError("Tick 'I am not a robot' before you continue.")
        return v


class TwoFactorSetup(StepModel):
    """HARP 'Login to Complete Setup': sign in, then choose a device."""

    user_id: str = Field(title="User ID", max_length=200)
    password: SecretStr = Field(title="Password", max_length=200)
    device_type: DeviceType = Field(title="Device type")
    phone: str | None = Field(None, title="Phone number", max_length=40, validate_default=True)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None, info: ValidationInfo) -> str | None:
        device = info.data.get("device_type")
        if device in PHONE_DEVICES:
            if not v:
                raise RuleError("Phone number is required for a text message or voice call.")
            return rules.check_phone(v)
        return None


class SecurityCodeEntry(StepModel):
    code: str = Field(title="Security code", max_length=40)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        value = "".join(rules.nfkc(v).split())
        if not re.fullmatch(r"[0-9]{6}", value):
            raise RuleError("The security code is 6 digits.")
        return value


class IqiesSignIn(StepModel):
    user_id: str = Field(title="HARP User ID", max_length=200)
    password: SecretStr = Field(title="Password", max_length=200)
    code: str = Field(title="Security code", max_length=40)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        return SecurityCodeEntry._code(v)


class CategoryChoice(StepModel):
    category: str = Field(title="User category")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str, info: ValidationInfo) -> str:
        catalogue = _ctx(info).get("catalogue")
        if catalogue is None:
            return v
        category = catalogue.category(v)
        if category is None:
            raise RuleError("Choose a user category from the list.")
        if not category.in_guide:
            raise RuleError(
                f"{category.name} is outside this guide. A nursing home's staff choose Provider."
            )
        return v


class RoleChoice(StepModel):
    relationship: Literal["employee", "vendor"] = Field(title="Your relationship to the provider")
    role: str = Field(title="User role")

    @field_validator("role")
    @classmethod
    def _role(cls, v: str, info: ValidationInfo) -> str:
        catalogue = _ctx(info).get("catalogue")
        if catalogue is None:
            return v
        role = catalogue.role(v)
        if role is None:
            raise RuleError("Choose a user role from the list.")
        relationship = info.data.get("relationship")
        return rules.check_role_eligibility(
            v, relationship == "vendor", role.name, [r.name for r in catalogue.vendor_roles()]
        )


class OrganizationRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    ccn: str
    facility_id: str
    name: str
    city: str
    state: str


class OrganizationsChoice(StepModel):
    organizations: list[OrganizationRef] = Field(title="Organizations", max_length=50)

    @field_validator("organizations")
    @classmethod
    def _some(cls, v: list[OrganizationRef]) -> list[OrganizationRef]:
        if not v:
            raise RuleError("Add at least one organization: search by CCN or Facility ID, then Add.")
        ccns = [o.ccn for o in v]
        if len(set(ccns)) != len(ccns):
            raise RuleError("An organization is listed twice; remove the duplicate.")
        return v


def __getattr__(name: str) -> Any:
    # STEP_MODELS (step key -> model) is derived from the step specs, which own their models
    if name == "STEP_MODELS":
        from wizard.steps import Step

        return {spec.key: spec.model for spec in Step.ordered() if spec.model is not None}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    # An empty field counts as not given, so required fields say "is required".
    cleaned: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        if value is None:
            continue
        cleaned[key] = value
    return cleaned


def field_errors(model: type[StepModel], err: ValidationError) -> dict[str, str]:
    """One message per field, in field order, each naming the field and what to do."""
    errors: dict[str, str] = {}
    for item in err.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        kind = item["type"]
        if kind == "value_error":
            message = str(item["ctx"]["error"])
            if message.startswith("@"):
                field, message = message[1:].split(": ", 1)
        elif kind == "missing":
            message = f"{model.label(field)} is required."
        elif kind == "literal_error":
            message = f"Choose one of the options for {model.label(field)}."
        elif kind in {"string_too_long", "too_long"}:
            message = f"{model.label(field)} is too long."
        elif kind == "date_from_datetime_parsing" or kind.startswith("date"):
            message = "Enter the date as MM/DD/YYYY, like 04/27/1980."
        else:
            message = f"{model.label(field)}: {item['msg']}."
        errors.setdefault(field, message)
    order = list(model.model_fields)
    return dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))


def validate_form(
    model: type[StepModel], form: dict[str, Any], context: dict[str, Any] | None = None
) -> tuple[StepModel | None, dict[str, str]]:
    """Validate a step's form; return the model or, per field, what to fix."""
    try:
        return model.model_validate(_clean(form), context=context or {}), {}
    except ValidationError as err:
        return None, field_errors(model, err)
    except (RuleError, IdentifierError) as err:  # pragma: no cover - validators wrap these
        return None, {"form": str(err)}
