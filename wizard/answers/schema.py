"""The answers file's shape: one person's sections (the wizard's own field names, titled as the
wizard titles them), approver actions, the expected end and :func:`answers_schema`, the JSON
Schema ``iqies-onboard schema`` prints."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from wizard.models import (
    DEVICE_TYPES,
    SSN_CHOICES,
    WORK_RELATIONSHIPS,
    CategoryChoice,
    HarpAccountSetup,
    HarpProfile,
    RoleChoice,
    StepModel,
    TwoFactorSetup,
)
from wizard.steps import Step

MAX_PEOPLE = 20
MAX_ACTIONS = 200

# The sections of a person's answers, in the order of the steps that use them.
SECTIONS = ("profile", "account", "proofing", "two_factor", "role", "organizations")
NAME_KEYS = ("practice_account", "profile_name")  # a person's practice account, and its older name


# --- reading scalars as typed text -----------------------------------------------------------


def _as_text(value: Any) -> Any:
    """A field of a form is text: numbers and dates from YAML/JSON become what was typed."""
    if isinstance(value, bool):
        return value  # refused as text by pydantic: true is not a name
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class UnquotedNumber(str):
    """A YAML scalar written without quotes that a standard YAML parser (an editor's, a schema
    validator's) reads as a number: the loader keeps its text, and marks it."""


# YAML 1.2 core and YAML 1.1 numbers: what a standard parser would not read as text
_YAML_NUMBER = re.compile(
    r"[-+]?(?:[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+)"
    r"|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _as_identifier(value: Any) -> Any:
    """A CCN or Facility ID must be written as text: a number (a JSON number, or unquoted in
    YAML) would lose its leading zeros in any other reader, so it is refused, as the schema
    refuses it."""
    if isinstance(value, (UnquotedNumber, int, float)) and not isinstance(value, bool):
        raise PydanticCustomError(
            "unquoted_number",
            'Put it in quotes, like id: "{text}": unquoted, it is a number to YAML and JSON readers, '
            "which drop leading zeros (a CCN is text)",
            {"text": str(value)},
        )
    return value


# Form text: a number is taken as what was typed (so the schema allows one, too)
Text = Annotated[str, BeforeValidator(_as_text), WithJsonSchema({"type": ["string", "number"]})]
# A CCN or Facility ID: text only (see _as_identifier)
IdText = Annotated[str, BeforeValidator(_as_identifier), WithJsonSchema({"type": "string"})]
Outcome = Literal["correct", "wrong"]


def _like(model: type[StepModel], name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field titled as the wizard titles it."""
    return Field(default, title=model.model_fields[name].title, **kwargs)


def _enum_from(source: str):
    """JSON schema ``enum`` filled from the data files when the schema is built (the field itself
    stays text, so a wrong value gets the wizard's own message)."""

    def extra(schema: dict[str, Any]) -> None:
        from wizard.catalogue import catalogue, challenge_questions

        if source == "challenge_questions":
            schema["enum"] = list(challenge_questions())
        elif source == "categories":
            schema["enum"] = [c.id for c in catalogue().categories]
        elif source == "roles":
            schema["enum"] = [r.id for r in catalogue().roles]

    return extra


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, populate_by_name=True)


# --- one person's answers, per step -----------------------------------------------------------


class ProfileAnswers(_Section):
    """Step 1, HARP Profile Information (the fields of the wizard's HarpProfile). No SSN: the
    sandbox never asks for one; ``ssn_choice`` says what the person will do in real HARP."""

    first_name: Text = _like(HarpProfile, "first_name")
    middle_name: Text | None = _like(HarpProfile, "middle_name", None)
    last_name: Text = _like(HarpProfile, "last_name")
    suffix: Text | None = _like(HarpProfile, "suffix", None, description="Jr., Sr., II, III, IV or V")
    date_of_birth: Text = _like(HarpProfile, "date_of_birth", description="MM/DD/YYYY (or YYYY-MM-DD)")
    email: Text = _like(HarpProfile, "email", description="a work address (HARP wants a corporate one)")
    email_confirm: Text | None = _like(HarpProfile, "email_confirm", None, description="defaults to email")
    personal_email_allowed: bool = _like(
        HarpProfile, "personal_email_allowed", False,
        description="true only if the facility handles 2 or fewer providers and has no work email domain",
    )
    phone: Text = _like(HarpProfile, "phone", description="a US number, like (614) 555-0101")
    street: Text = _like(HarpProfile, "street")
    city: Text = _like(HarpProfile, "city")
    state: Text = _like(HarpProfile, "state", description="two letters, like OH, or the name")
    zip_code: Text = _like(HarpProfile, "zip_code")
    ssn_choice: Literal["provide_to_harp", "manual_proofing"] = _like(
        HarpProfile, "ssn_choice", description="; ".join(f"{k}: {v}" for k, v in SSN_CHOICES.items()),
    )
    facility_name: Text = _like(HarpProfile, "facility_name", description="used only to check the User ID")


class AccountAnswers(_Section):
    """Step 2, User ID, password and challenge question. The User ID is confirmed as permanent
    by the runner (the wizard's confirmation dialog)."""

    user_id: Text = _like(HarpAccountSetup, "user_id")
    password: SecretStr = _like(HarpAccountSetup, "password")
    password_confirm: SecretStr | None = _like(
        HarpAccountSetup, "password_confirm", None, description="defaults to password"
    )
    challenge_question: Text = _like(
        HarpAccountSetup, "challenge_question", json_schema_extra=_enum_from("challenge_questions"),
    )
    challenge_answer: SecretStr = _like(HarpAccountSetup, "challenge_answer")


class ProofingAnswers(_Section):
    """Step 3, the simulated identity-proofing questions: how each attempt is answered."""

    attempts: list[Outcome] = Field(
        ["correct"], title="Attempts", min_length=1, max_length=2,
        description="per attempt, answer every question correctly or wrongly (HARP allows 2)",
    )
    not_a_robot: bool = Field(True, title="I am not a robot")
    manual: bool = Field(
        False, title="Complete manual proofing",
        description="when HARP sends the person to manual proofing (no SSN, or 2 failed attempts), "
        "carry on as if it succeeded (sandbox); false stops there",
    )


class TwoFactorAnswers(_Section):
    """Steps 4 and 5, two-factor setup and the security code."""

    device_type: Literal["sms", "voice", "google_authenticator", "okta_verify"] = _like(
        TwoFactorSetup, "device_type", description="; ".join(f"{k}: {v}" for k, v in DEVICE_TYPES.items()),
    )
    phone: Text | None = _like(
        TwoFactorSetup, "phone", None, description="for sms and voice; defaults to the profile's phone",
    )
    totp_secret: SecretStr | None = Field(
        None, title="Authenticator secret",
        description="for google_authenticator and okta_verify: a base32 secret (at least 32 "
        "characters) the sandbox then uses, so a phone app enrolled with it shows the same codes",
    )
    codes: list[Outcome] = Field(
        ["correct"], title="Security codes", min_length=1, max_length=20,
        description="the codes typed, in order: the right one or a wrong one",
    )


class RoleAnswers(_Section):
    """Steps 8 and 9, the user category and the user role."""

    category: Text = _like(CategoryChoice, "category", json_schema_extra=_enum_from("categories"))
    role: Text = _like(RoleChoice, "role", json_schema_extra=_enum_from("roles"))
    relationship: Literal["employee", "vendor"] = _like(
        RoleChoice, "relationship", description="; ".join(f"{k}: {v}" for k, v in WORK_RELATIONSHIPS.items()),
    )


class OrganizationAnswer(_Section):
    """Step 10, one Search By / Search for / Add."""

    search_by: Literal["ccn", "facility_id"] = Field("ccn", title="Search By")
    id: IdText = Field(title="Search for", description='the CCN (6 characters) or the Facility ID, in quotes (id: "365005")')


class PersonAnswers(_Section):
    """One person's answers. Every section is optional here: which ones a run needs depends on
    where it is expected to end (a partial file can be completed on screen with --interactive)."""

    practice_account: Text | None = Field(
        None, title="Practice account",
        description="the name this person's progress is kept under (what --practice-account names)",
    )
    profile_name: Text | None = Field(
        None, title="Practice account (older name)",
        description="the older name of practice_account, still read; give one of the two",
    )
    profile: ProfileAnswers | None = None
    account: AccountAnswers | None = None
    proofing: ProofingAnswers | None = None
    two_factor: TwoFactorAnswers | None = None
    role: RoleAnswers | None = None
    organizations: list[OrganizationAnswer] | None = Field(None, max_length=50)

    @property
    def practice_account_name(self) -> str | None:
        """``practice_account``, else its older name ``profile_name``."""
        return self.practice_account if self.practice_account is not None else self.profile_name

    @property
    def practice_account_key(self) -> str:
        """Which of the two keys the file used (what a message about it names)."""
        return "profile_name" if self.practice_account is None and self.profile_name is not None else "practice_account"

    def person_only(self) -> PersonAnswers:
        return PersonAnswers.model_validate(
            {name: getattr(self, name) for name in PersonAnswers.model_fields}
        )


# --- what approvers do afterwards ---------------------------------------------------------------


class Decision(_Section):
    as_: Text = Field(
        alias="as", title="As",
        description="cms (the sandbox's CMS reviewer) or the User ID of a person of this file who is an active PSO",
    )
    person: Text = Field(title="Person", description="the practice_account whose latest request is decided")
    ccn: IdText | None = Field(None, title="CCN", description="one organization of the request, in quotes; default: every pending one")


class Rejection(Decision):
    reason: Text = Field(title="Reason", description="what the requester is told")


class PsoRemoval(_Section):
    person: Text = Field(title="Person", description="the practice_account of the PSO who left")
    ccn: IdText | None = Field(None, title="CCN", description="in quotes; default: every provider where they are PSO")


class RoleRemoval(_Section):
    as_: Text = Field(alias="as", title="As", description="the User ID of a person of this file who is an active PSO of the provider")
    person: Text = Field(title="Person", description="the practice_account of the person who left")
    ccn: IdText | None = Field(None, title="CCN", description="in quotes; default: every provider where their latest request is active")
    reason: Text = Field(title="Reason", description="what the person is told (for example: left the provider)")


class ApproveAction(_Section):
    approve: Decision


class RejectAction(_Section):
    reject: Rejection


class RemovePsoAction(_Section):
    """CMS (standing in for the iQIES Service Center) removes a PSO who left."""

    remove_pso: PsoRemoval


class RemoveRoleAction(_Section):
    """A PSO removes the role of a person who left (Manage access in the console)."""

    remove_role: RoleRemoval


class AdvanceClockAction(_Section):
    advance_clock: int = Field(ge=1, le=3650, description="days to move the sandbox clock forward")


class RunAction(_Section):
    """Run a person's answers at this point (people no action runs go first, in order)."""

    run: Text = Field(description="a practice_account")


from wizard.answers.self_service import SELF_SERVICE_ACTIONS  # noqa: E402  (HARP self-service)

ACTION_KINDS = ("approve", "reject", "remove_pso", "remove_role", "advance_clock", "run", *SELF_SERVICE_ACTIONS)


def _action_kind(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in ACTION_KINDS else None
    if isinstance(value, BaseModel):
        return next(k for k in ACTION_KINDS if k in type(value).model_fields)
    return None


Action = Annotated[
    Union[
        Annotated[ApproveAction, Tag("approve")],
        Annotated[RejectAction, Tag("reject")],
        Annotated[RemovePsoAction, Tag("remove_pso")],
        Annotated[RemoveRoleAction, Tag("remove_role")],
        Annotated[AdvanceClockAction, Tag("advance_clock")],
        Annotated[RunAction, Tag("run")],
        *(Annotated[model, Tag(kind)] for kind, model in SELF_SERVICE_ACTIONS.items()),
    ],
    Discriminator(_action_kind),
]


class Refusal(_Section):
    """For ``expect: refused``: where the flow is expected to refuse, and what it says."""

    step: Literal[Step.with_submit()] = Field(title="Step")  # type: ignore[valid-type]
    field: Text | None = Field(None, title="Field", description="the field the refusal names")
    says: Text | None = Field(None, title="Says", description="text the refusal contains (any case)")


class AnswersFile(PersonAnswers):
    """An answers file: one person's sections at the top level, or several under ``people``."""

    expect: Literal["submitted", "manual_proofing", "locked", "refused", "approved", "removed"] = Field(
        title="Expected end",
        description="where the run ends: submitted (the request is sent), manual_proofing, locked "
        "(wrong codes lock the device), refused (see refusal), approved (the last person's request, "
        "after the then: actions), removed (the last person's request, removed by a PSO's remove_role). Optional with run --interactive (default submitted)",
    )
    refusal: Refusal | None = None
    people: list[PersonAnswers] | None = Field(
        None, min_length=1, max_length=MAX_PEOPLE,
        description="several people, each with a practice_account; the expected end is the last one's",
    )
    then: list[Action] = Field(
        [], max_length=MAX_ACTIONS, description="approver actions, run in order after the people",
    )

    def persons(self) -> list[PersonAnswers]:
        return list(self.people) if self.people else [self.person_only()]


INTERACTIVE_NOTE = (
    "With run --interactive a one-person file may leave out any of the sections profile, account, "
    "proofing, two_factor, role and organizations, and expect (it then means submitted): the "
    "wizard runs what the file fills in and opens at the first step left out or not right yet. "
    "Without --interactive, expect and every section the expected end needs are required."
)


def answers_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an answers file, as read by a standard parser: YAML 1.2
    (an unquoted 365005 is a number there, which a CCN or Facility ID may not be; a name or ZIP
    code may be one). It accepts what the loader accepts; what it cannot say (the wizard's own
    rules: a valid CCN, a strong password...) the runner checks."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(AnswersFile.model_json_schema())
    schema["title"] = "iqies-onboard answers file"
    schema["description"] = (
        f"{schema.get('description', '')} Write every CCN and Facility ID in quotes. {INTERACTIVE_NOTE}"
    ).strip()
    return schema
