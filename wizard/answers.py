"""Answers files: a scripted run of the wizard, in YAML or JSON, and the demo personas.

An answers file uses the wizard's own form field names (the step models of :mod:`wizard.models`),
grouped per step::

    expect: submitted            # submitted | manual_proofing | locked | refused | approved
    profile: {first_name: ..., last_name: ..., date_of_birth: 04/27/1980, ...}   # HarpProfile
    account: {user_id: ..., password: ..., challenge_question: ..., challenge_answer: ...}
    proofing: {attempts: [correct], not_a_robot: true}      # or manual: true
    two_factor: {device_type: sms, phone: (614) 555-0101, codes: [correct]}
    role: {category: provider, role: pso, relationship: employee}
    organizations: [{search_by: ccn, id: "365005"}]

A scenario with several people lists them under ``people:`` (each with a ``profile_name``) and
says what approvers do under ``then:`` (``approve``, ``reject``, ``remove_pso``,
``advance_clock``, ``run``). ``iqies-onboard schema`` prints the JSON schema of all of it.

Validation is in three passes, all before anything is stored, so that *every* mistake is
reported at once as ``path: message`` (list items count from 1):

1. structure (pydantic): unknown fields, wrong kinds of value, missing fields;
2. content, per step, through :func:`wizard.models.validate_form` with the same context the
   flow uses, so the messages are the wizard's own;
3. the scenario as a whole: unique profiles and User IDs, who acts on whom, which steps each
   person needs for the expected end.

YAML scalars stay text (a CCN like ``015000`` is not read as an octal number, a date stays what
was typed); only ``true``/``false`` and ``null`` are read as such. Anchors and aliases are refused.
Secrets (passwords, challenge answers, TOTP secrets) are :class:`pydantic.SecretStr` and never
appear in a message.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from wizard.models import (
    DEVICE_TYPES,
    PHONE_DEVICES,
    SSN_CHOICES,
    WORK_RELATIONSHIPS,
    CategoryChoice,
    HarpAccountSetup,
    HarpProfile,
    OrganizationsChoice,
    ProofingSubmission,
    RoleChoice,
    StepModel,
    TwoFactorSetup,
    validate_form,
)
from wizard.resources import data_path
from wizard.steps import Step

MAX_FILE_BYTES = 1_000_000
MAX_PEOPLE = 20
MAX_ACTIONS = 200
PERSONAS_PATH = data_path("personas.json")

# The sections of a person's answers, in the order of the steps that use them.
SECTIONS = ("profile", "account", "proofing", "two_factor", "role", "organizations")


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

    profile_name: Text | None = Field(
        None, title="Practice profile",
        description="the --profile this person's practice account is kept under",
    )
    profile: ProfileAnswers | None = None
    account: AccountAnswers | None = None
    proofing: ProofingAnswers | None = None
    two_factor: TwoFactorAnswers | None = None
    role: RoleAnswers | None = None
    organizations: list[OrganizationAnswer] | None = Field(None, max_length=50)

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
    person: Text = Field(title="Person", description="the profile_name whose latest request is decided")
    ccn: IdText | None = Field(None, title="CCN", description="one organization of the request, in quotes; default: every pending one")


class Rejection(Decision):
    reason: Text = Field(title="Reason", description="what the requester is told")


class PsoRemoval(_Section):
    person: Text = Field(title="Person", description="the profile_name of the PSO who left")
    ccn: IdText | None = Field(None, title="CCN", description="in quotes; default: every provider where they are PSO")


class ApproveAction(_Section):
    approve: Decision


class RejectAction(_Section):
    reject: Rejection


class RemovePsoAction(_Section):
    """CMS (standing in for the iQIES Service Center) removes a PSO who left."""

    remove_pso: PsoRemoval


class AdvanceClockAction(_Section):
    advance_clock: int = Field(ge=1, le=3650, description="days to move the sandbox clock forward")


class RunAction(_Section):
    """Run a person's answers at this point (people no action runs go first, in order)."""

    run: Text = Field(description="a profile_name")


ACTION_KINDS = ("approve", "reject", "remove_pso", "advance_clock", "run")


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
        Annotated[AdvanceClockAction, Tag("advance_clock")],
        Annotated[RunAction, Tag("run")],
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

    expect: Literal["submitted", "manual_proofing", "locked", "refused", "approved"] = Field(
        title="Expected end",
        description="where the run ends: submitted (the request is sent), manual_proofing, locked "
        "(wrong codes lock the device), refused (see refusal), approved (the last person's request, "
        "after the then: actions). Optional with run --interactive (default submitted)",
    )
    refusal: Refusal | None = None
    people: list[PersonAnswers] | None = Field(
        None, min_length=1, max_length=MAX_PEOPLE,
        description="several people, each with a profile_name; the expected end is the last one's",
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


# --- errors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerError:
    """One mistake: ``path`` like ``people.2.account.password`` (list items count from 1)."""

    path: str
    message: str
    kind: str = "invalid"  # "structure" (never filled on screen), "missing" or "invalid"
    step: Step | None = None
    person: int = 0  # index into AnswersFile.persons()

    def line(self, source: str) -> str:
        from wizard.sanitize import clean_line

        return clean_line(f"{source}: {self.path}: {self.message}")


class AnswersFileError(Exception):
    """The file cannot be read as an answers file at all; ``str(err)`` is one line."""


class _SectionStep(dict):
    """Answers-file section -> the first step that reads it, from the step specs (a section's
    field may belong to a later step: ``step_of``)."""

    def _table(self) -> dict[str, Step]:
        out: dict[str, Step] = {}
        for step in Step.ordered():
            if step.section is not None:
                out.setdefault(step.section, step)
        return out

    def __getitem__(self, section: str) -> Step:
        return self._table()[section]

    def get(self, section: str, default: Any = None) -> Any:
        return self._table().get(section, default)

    def __contains__(self, section: object) -> bool:
        return section in self._table()


_SECTION_STEP = _SectionStep()


def _field_step(section: str, field: str) -> Step | None:
    """The step that reads ``field`` of ``section`` (its spec's ``reads``), if one names it."""
    return next((s for s in Step.ordered() if s.section == section and field in s.reads), None)


def step_of(section: str, field: str | None = None) -> Step | None:
    return (_field_step(section, field) if field else None) or _SECTION_STEP.get(section)


def end_step(end: str, refusal: Refusal | None = None) -> Step:
    """The last step a run to ``end`` needs answers for."""
    if end == "manual_proofing":
        return Step.PROOFING
    if end == "locked":
        return Step.TWO_FACTOR_VERIFY
    if end == "refused" and refusal is not None:
        return Step.from_key(refusal.step)
    return Step.ordered()[-1].previous or Step.ordered()[-1]


def sections_needed(until: Step) -> list[str]:
    """The sections a run needs to get through every step up to ``until`` (inclusive): what
    each step's spec reads."""
    out: list[str] = []
    for step in Step.ordered():
        if until < step:
            break
        for section in ((step.section,) if step.section else ()) + step.also_reads:
            if section not in out:
                out.append(section)
    return out


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in loc)


_ACTION_MODELS: dict[str, type[BaseModel]] = {
    "approve": ApproveAction, "reject": RejectAction, "remove_pso": RemovePsoAction,
    "advance_clock": AdvanceClockAction, "run": RunAction,
}


def _normalise_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic repeats an action's tag: ('then', 0, 'approve', 'approve', 'as') -> without it."""
    if len(loc) > 3 and loc[0] == "then" and isinstance(loc[1], int) and loc[2] in _ACTION_MODELS and loc[3] == loc[2]:
        return loc[:2] + loc[3:]
    return loc


def _model_fields_at(loc: tuple[Any, ...]) -> dict[str, Any]:
    """The fields of the model that holds the last element of ``loc`` (for titles, suggestions)."""
    from typing import get_args

    model: Any = AnswersFile
    parts = loc[:-1]
    for i, part in enumerate(parts):
        if isinstance(part, int):
            continue
        if parts[:1] == ("then",) and i == 2:
            model = _ACTION_MODELS.get(part, model)
        fields = getattr(model, "model_fields", {})
        info = next((f for n, f in fields.items() if part in (n, f.alias)), None)
        model = _inner_model(info.annotation, get_args) if info is not None else None
        if model is None:
            return {}
    return getattr(model, "model_fields", {})


def _inner_model(annotation: Any, get_args) -> Any:
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(get_args(current))
    return None


def _title(fields: dict[str, Any], name: str) -> str:
    for key, info in fields.items():
        if name in (key, info.alias) and info.title:
            return info.title
    return name.replace("_", " ").capitalize()


def _structure_errors(err: ValidationError) -> list[tuple[tuple[Any, ...], str, str]]:
    """(loc, kind, message) for each pydantic error, in plain words."""
    out: list[tuple[tuple[Any, ...], str, str]] = []
    for item in err.errors(include_url=False):
        loc = _normalise_loc(tuple(item["loc"]))
        kind = item["type"]
        name = str(loc[-1]) if loc else "file"
        fields = _model_fields_at(loc) if loc else {}
        if kind == "missing":
            out.append((loc, "missing", f"{_title(fields, name)} is required."))
        elif kind == "extra_forbidden":
            known = [(f.alias or n) for n, f in fields.items()]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})" if known else ""
            out.append((loc, "structure", f"Unknown field{hint}."))
        elif kind == "literal_error":
            out.append((loc, "structure", f"Choose one of: {item['ctx']['expected'].replace(chr(39), '')}."))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            out.append((loc, "structure", f"Each action is one mapping with one of: {', '.join(ACTION_KINDS)}."))
        elif kind in ("bool_type", "bool_parsing"):
            out.append((loc, "structure", "Write true or false."))
        elif kind in ("int_type", "int_parsing", "int_from_float"):
            out.append((loc, "structure", "Write a whole number."))
        elif kind in ("string_type",):
            out.append((loc, "structure", "Write text here (one value, not a list or mapping)."))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            out.append((loc, "structure", "Write a mapping of fields here (name: value)."))
        elif kind == "list_type":
            out.append((loc, "structure", "Write a list here."))
        elif kind == "too_short":
            out.append((loc, "structure", f"List at least {item['ctx'].get('min_length', 1)} item(s)."))
        elif kind == "too_long":
            out.append((loc, "structure", f"List at most {item['ctx'].get('max_length')} items."))
        elif kind in ("greater_than_equal", "less_than_equal"):
            out.append((loc, "structure", f"{item['msg']}."))
        else:
            out.append((loc, "structure", f"{item['msg']}."))
    return out


# --- the content of each step, with the wizard's own validation -------------------------------


def _form(raw: Any, names: Any) -> dict[str, Any]:
    """What the wizard's form would hold: the known scalar fields of a section."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in names and (value is None or isinstance(value, (str, int, float, bool, date))):
            out[key] = _as_text(value)
    return out


@dataclass
class Context:
    """What the validators need, without a store (nothing is read or written)."""

    today: date
    taken_user_ids: tuple[str, ...] = ()

    def for_step(self, profile: HarpProfile | None = None) -> dict[str, Any]:
        from wizard.catalogue import catalogue, challenge_questions

        return {
            "today": self.today,
            "profile": profile,
            "challenge_questions": challenge_questions(),
            "catalogue": catalogue(),
            "taken_user_ids": list(self.taken_user_ids),
        }


def profile_form(raw: Any) -> dict[str, Any]:
    form = _form(raw, HarpProfile.model_fields)
    if form.get("email") and not form.get("email_confirm"):
        form["email_confirm"] = form["email"]  # typed twice in the wizard; once in a file
    return form


def account_form(raw: Any) -> dict[str, Any]:
    form = _form(raw, HarpAccountSetup.model_fields)
    for key in ("password", "password_confirm", "challenge_answer"):
        value = raw.get(key) if isinstance(raw, dict) else None
        if isinstance(value, SecretStr):
            form[key] = value.get_secret_value()
    if form.get("password") and not form.get("password_confirm"):
        form["password_confirm"] = form["password"]
    form["user_id_permanent_ok"] = True  # the runner answers the "cannot be changed" dialog
    return form


def two_factor_form(raw: Any, profile: HarpProfile | None) -> dict[str, Any]:
    form = _form(raw, ("device_type", "phone"))
    if form.get("device_type") in PHONE_DEVICES and not form.get("phone") and profile is not None:
        form["phone"] = profile.phone  # HARP fills in the profile's phone
    if form.get("device_type") not in PHONE_DEVICES:
        form.pop("phone", None)
    return form


_BASE32 = re.compile(r"[A-Z2-7]+=*")


def totp_secret_problem(secret: str) -> str:
    """Why a named authenticator secret cannot be used, or ""."""
    value = "".join(secret.split()).upper()
    if not _BASE32.fullmatch(value):
        return "An authenticator secret is base32: letters A-Z and digits 2-7 only."
    if len(value.rstrip("=")) < 32:
        return "An authenticator secret needs at least 32 characters (160 bits), like the sandbox's own."
    return ""


def _literal_hint(model: type[StepModel], field: str) -> str:
    from typing import get_args

    info = model.model_fields.get(field)
    options = [str(a) for a in get_args(info.annotation)] if info else []
    return f" (one of: {', '.join(options)})" if options and all(isinstance(o, str) for o in options) else ""


def _wizard_errors(model: type[StepModel], form: dict[str, Any], context: dict[str, Any], only=None) -> dict[str, str]:
    _, errors = validate_form(model, form, context)
    out = {}
    for field, message in errors.items():
        if only is not None and field not in only:
            continue
        if message.startswith("Choose one of the options"):
            message = message.rstrip(".") + _literal_hint(model, field) + "."
        out[field] = message
    return out


def organization_problem(search_by: str, text: str) -> tuple[Any, str]:
    """The provider a Search for finds, or why none is (the flow's own wording)."""
    from wizard.directory import default_directory, find_organization

    return find_organization(default_directory(), search_by, text)


def content_errors(raw_person: dict[str, Any], context: Context) -> tuple[dict[str, dict[str, str]], HarpProfile | None]:
    """Per section, per field (``organizations`` fields are ``N.id``): the wizard's messages."""
    errors: dict[str, dict[str, str]] = {}
    profile: HarpProfile | None = None
    raw_profile = raw_person.get("profile")
    if isinstance(raw_profile, dict):
        form = profile_form(raw_profile)
        found, problems = validate_form(HarpProfile, form, context.for_step())
        profile = found if isinstance(found, HarpProfile) else None
        errors["profile"] = {f: m for f, m in problems.items()}
        for field in ("ssn_choice",):
            if field in errors["profile"] and errors["profile"][field].startswith("Choose one"):
                errors["profile"][field] = errors["profile"][field].rstrip(".") + _literal_hint(HarpProfile, field) + "."
    raw_account = raw_person.get("account")
    if isinstance(raw_account, dict):
        errors["account"] = _wizard_errors(
            HarpAccountSetup, account_form(raw_account), context.for_step(profile),
        )
        errors["account"].pop("user_id_permanent_ok", None)
    raw_proofing = raw_person.get("proofing")
    if isinstance(raw_proofing, dict):
        robot = raw_proofing.get("not_a_robot", True)
        errors["proofing"] = _wizard_errors(
            ProofingSubmission, {"answers": [0] * 5, "not_a_robot": robot}, {}, only={"not_a_robot"},
        ) if isinstance(robot, bool) else {}
    raw_factor = raw_person.get("two_factor")
    if isinstance(raw_factor, dict):
        form = {"user_id": "placeholder", "password": "placeholder", **two_factor_form(raw_factor, profile)}
        problems = _wizard_errors(TwoFactorSetup, form, {}, only={"device_type", "phone"})
        if profile is None and not raw_factor.get("phone"):
            problems.pop("phone", None)  # it would be the profile's phone: reported under profile
        secret = raw_factor.get("totp_secret")
        if isinstance(secret, str) and secret:
            if form.get("device_type") in PHONE_DEVICES:
                problems["totp_secret"] = "Only authenticator apps (google_authenticator, okta_verify) use a secret."
            elif totp_secret_problem(secret):
                problems["totp_secret"] = totp_secret_problem(secret)
        errors["two_factor"] = problems
    raw_role = raw_person.get("role")
    if isinstance(raw_role, dict):
        ctx = context.for_step(profile)
        problems = _wizard_errors(CategoryChoice, _form(raw_role, ("category",)), ctx)
        problems.update(_wizard_errors(RoleChoice, _form(raw_role, ("role", "relationship")), ctx))
        errors["role"] = problems
    raw_orgs = raw_person.get("organizations")
    if isinstance(raw_orgs, list):
        problems = {}
        refs = []
        for i, item in enumerate(raw_orgs, 1):
            form = _form(item, ("search_by", "id"))
            search_by = form.get("search_by", "ccn")
            if search_by not in ("ccn", "facility_id") or not isinstance(form.get("id"), str):
                continue  # the structure pass names it
            provider, problem = organization_problem(search_by, form["id"])
            if provider is None:
                problems[f"{i}.id"] = problem
            else:
                refs.append({"ccn": provider.ccn, "facility_id": provider.facility_id, "name": provider.name,
                             "city": provider.city, "state": provider.state})
        if not problems:
            choice = _wizard_errors(OrganizationsChoice, {"organizations": refs}, {})
            if "organizations" in choice:
                problems[""] = choice["organizations"]
        errors["organizations"] = problems
    return errors, profile


# --- reading a file --------------------------------------------------------------------------


MAX_DEPTH = 40  # nested mappings and lists; an answers file needs five or six
MAX_NUMBER_DIGITS = 40  # an explicit !!int or !!float, or a JSON number

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_BOOLS = {"true": True, "false": False}
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$")


_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")


def _field_shown(key: Any) -> str:
    """A repeated key as a message may name it: a field name (snake_case), never other text,
    which may be a value (a password) typed in the wrong place."""
    return f"the field {key}" if isinstance(key, str) and _FIELD_NAME.match(key) else "a field"


def _yaml_problem(yaml, message: str, node) -> Exception:
    """A construction error at ``node``, whose message never repeats the value (it may be a secret)."""
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _text_loader():
    import yaml

    class TextLoader(yaml.SafeLoader):
        """Builds only plain mappings, lists, text, numbers (explicit ``!!int``/``!!float``),
        true/false and null. Scalars stay text unless tagged; no aliases; keys are text; no
        duplicate keys; at most MAX_DEPTH levels; every problem a MarkedYAMLError without the value."""

        _depth = 0

        def __init__(self, stream) -> None:
            super().__init__(stream)
            self.deep_construct = True  # build each value at once, so its errors have its line

        def compose_node(self, parent, index):  # type: ignore[override]
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.MarkedYAMLError(
                    None, None, "anchors and aliases (& and *) are not supported; write the value out",
                    event.start_mark,
                )
            if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
                if self._depth >= MAX_DEPTH:
                    raise yaml.MarkedYAMLError(
                        None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark,
                    )
                self._depth += 1
                try:
                    return super().compose_node(parent, index)
                finally:
                    self._depth -= 1
            return super().compose_node(parent, index)

        def construct_object(self, node, deep=False):  # type: ignore[override]
            if node.tag not in _PLAIN_TAGS:
                core = node.tag.removeprefix("tag:yaml.org,2002:")
                tag = f"the tag !!{core}" if core != node.tag and core.isalpha() and len(core) <= 20 else "a custom tag"
                raise _yaml_problem(yaml, f"{tag} is not supported; write plain text, a list or fields", node)
            if node.tag == "tag:yaml.org,2002:map" and not isinstance(node, yaml.MappingNode) or (
                node.tag == "tag:yaml.org,2002:seq" and not isinstance(node, yaml.SequenceNode)
            ):
                raise _yaml_problem(yaml, "a !!map or !!seq tag on a value of another kind", node)
            try:
                return super().construct_object(node, deep=deep)
            except yaml.MarkedYAMLError:
                raise
            except Exception:  # noqa: BLE001 - any construction error, told without the value
                raise _yaml_problem(yaml, "this value cannot be read", node) from None

        def construct_yaml_bool(self, node):  # type: ignore[override]
            value = self.construct_scalar(node)
            if not isinstance(value, str) or value.lower() not in _BOOLS:
                raise _yaml_problem(yaml, "a !!bool value must be true or false", node)
            return _BOOLS[value.lower()]

        def construct_yaml_int(self, node):  # type: ignore[override]
            value = str(self.construct_scalar(node)).strip()
            if not _INT.match(value) or len(value) > MAX_NUMBER_DIGITS:
                raise _yaml_problem(yaml, f"a !!int value must be a whole number of at most {MAX_NUMBER_DIGITS} digits", node)
            return int(value.replace("_", ""))

        def construct_yaml_float(self, node):  # type: ignore[override]
            value = str(self.construct_scalar(node)).strip()
            if not _FLOAT.match(value) or not any(c.isdigit() for c in value) or len(value) > MAX_NUMBER_DIGITS:
                raise _yaml_problem(yaml, f"a !!float value must be a number of at most {MAX_NUMBER_DIGITS} digits", node)
            return float(value.replace("_", ""))

        def construct_mapping(self, node, deep=False):  # type: ignore[override]
            if not isinstance(node, yaml.MappingNode):
                raise _yaml_problem(yaml, "expected fields here", node)
            self.flatten_mapping(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _yaml_problem(yaml, "a field name must be plain text, not a list or fields", key_node)
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise _yaml_problem(yaml, "a field name must be plain text", key_node)
                if key in mapping:
                    raise yaml.MarkedYAMLError(
                        None, None, f"{_field_shown(key)} appears twice in the same mapping", key_node.start_mark,
                    )
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

        def flatten_mapping(self, node):  # type: ignore[override]
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _yaml_problem(yaml, "merge keys (<<) are not supported; write the fields out", key_node)

    for tag, method in (
        ("tag:yaml.org,2002:bool", TextLoader.construct_yaml_bool),
        ("tag:yaml.org,2002:int", TextLoader.construct_yaml_int),
        ("tag:yaml.org,2002:float", TextLoader.construct_yaml_float),
        ("tag:yaml.org,2002:map", TextLoader.construct_yaml_map),
    ):
        TextLoader.add_constructor(tag, method)

    keep = {"tag:yaml.org,2002:null"}
    TextLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in keep]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    def construct_text(loader, node):  # type: ignore[no-untyped-def]
        value = loader.construct_scalar(node)
        if node.style is None and _YAML_NUMBER.fullmatch(value):
            return UnquotedNumber(value)
        return value

    TextLoader.add_constructor("tag:yaml.org,2002:str", construct_text)
    TextLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"),
    )
    return TextLoader


def _open_regular(path: Path) -> bytes:
    """The first MAX_FILE_BYTES + 1 bytes of ``path`` if it is a regular file: a FIFO, a device or
    a directory is refused without being opened for long (O_NONBLOCK, so a FIFO cannot hang)."""
    import stat

    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise AnswersFileError("is a directory, not an answers file")
    if not stat.S_ISREG(mode):
        raise AnswersFileError("is not a regular file (a pipe, device or socket); save the answers to a file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped between stat and open
            raise AnswersFileError("is not a regular file (a pipe, device or socket); save the answers to a file")
        return handle.read(MAX_FILE_BYTES + 1)


def read_raw(path: Path) -> Any:
    """The file's data, or :class:`AnswersFileError` with one line saying why not."""
    try:
        data = _open_regular(path)
    except FileNotFoundError:
        raise AnswersFileError("no such file") from None
    except PermissionError:
        raise AnswersFileError("cannot be read (permission denied)") from None
    except OSError as err:
        raise AnswersFileError(f"cannot be read: {err.strerror or err}") from None
    if len(data) > MAX_FILE_BYTES:
        raise AnswersFileError(f"is larger than {MAX_FILE_BYTES // 1000} kB; an answers file is a few lines")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise AnswersFileError(f"is not UTF-8 text (byte {err.start + 1})") from None
    return parse_text(text, "json" if path.suffix.lower() == ".json" else "yaml")


class _JsonProblem(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _JsonProblem(f"{_field_shown(key)} appears twice in the same object", key)
        found[key] = value
    return found


def _json_number(kind: type):
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_DIGITS:
            raise _JsonProblem(f"a number longer than {MAX_NUMBER_DIGITS} digits")
        return kind(text)

    return parse


def _json_constant(name: str) -> Any:
    raise _JsonProblem(f"{name} is not a number an answers file can hold")


def _json_line(text: str, needle: str, second: bool = False) -> str:
    """``line N: `` of the first (or second) place ``needle`` appears, else ""."""
    at = text.find(needle)
    if second and at >= 0:
        again = text.find(needle, at + len(needle))
        at = again if again >= 0 else at
    return f"line {text.count(chr(10), 0, at) + 1}: " if at >= 0 else ""


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_text(text: str, fmt: str) -> Any:
    if not text.strip():
        raise AnswersFileError("is empty")
    if fmt == "json":
        try:
            data = json.loads(
                text, object_pairs_hook=_json_object, parse_int=_json_number(int),
                parse_float=_json_number(float), parse_constant=_json_constant,
            )
        except json.JSONDecodeError as err:
            raise AnswersFileError(f"line {err.lineno}, column {err.colno}: not valid JSON: {err.msg}") from None
        except _JsonProblem as err:
            message = str(err.args[0])
            where = ""
            if "appears twice" in message:
                where = _json_line(text, json.dumps(err.args[1]), second=True)
            elif "number longer" in message:
                long_number = re.search(r"[0-9.eE+-]{%d,}" % (MAX_NUMBER_DIGITS + 1), text)
                where = _json_line(text, long_number.group(0)) if long_number else ""
            raise AnswersFileError(f"{where}not valid JSON: {message}") from None
        except (RecursionError, ValueError):
            raise AnswersFileError(f"is nested more than {MAX_DEPTH} levels deep or cannot be read as JSON") from None
        if _too_deep(data):
            raise AnswersFileError(f"is nested more than {MAX_DEPTH} levels deep; an answers file needs a few")
        return data
    import yaml

    try:
        return yaml.load(text, Loader=_text_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(err.problem or err.context or "not valid YAML").split())
        raise AnswersFileError(f"{where}not valid YAML: {what}") from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        # never str(err): PyYAML quotes the text around the mistake, which may be a secret
        raise AnswersFileError("not valid YAML (it could not be read)") from None


# --- the whole file ----------------------------------------------------------------------------


@dataclass
class Checked:
    answers: AnswersFile | None
    errors: list[AnswerError]
    opening: Step | None = None  # with interactive: the first step the file leaves open
    raw: Any = None  # the file as read (an interactive run's drafts come from it)

    @property
    def ok(self) -> bool:
        return self.answers is not None and not self.errors


_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "profile": ProfileAnswers, "account": AccountAnswers, "proofing": ProofingAnswers,
    "two_factor": TwoFactorAnswers, "role": RoleAnswers, "organizations": OrganizationAnswer,
}


def _field_order(section: str, field: str) -> tuple[int, int]:
    """Mistakes are listed in the order of the form's fields (organizations in list order)."""
    parts = field.split(".")
    if section == "organizations":
        if not parts[0].isdigit():
            return (-1, 0)
        names = list(OrganizationAnswer.model_fields)
        return (int(parts[0]), names.index(parts[1]) if len(parts) > 1 and parts[1] in names else 99)
    names = list(getattr(_SECTION_MODELS.get(section), "model_fields", {}))
    return (names.index(parts[0]) if parts[0] in names else 99, 0)


def _person_prefix(raw: dict[str, Any], index: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    people = raw.get("people")
    if isinstance(people, list):
        item = people[index] if index < len(people) else {}
        return ("people", index), item if isinstance(item, dict) else {}
    return (), raw


def check(raw: Any, today: date, *, interactive: bool = False) -> Checked:
    """Every mistake of an answers file (already parsed), without touching any store.

    With ``interactive``, missing sections and content mistakes of the first step the file leaves
    open (and later ones) are not mistakes: that page opens on screen; ``errors`` then holds only
    what must be fixed in the file, and :func:`open_step` says where the wizard opens."""
    if not isinstance(raw, dict):
        return Checked(None, [AnswerError("file", "an answers file is a mapping of sections (profile:, account:, ...)", "structure")])
    if interactive and "expect" not in raw and not raw.get("people"):
        raw = {**raw, "expect": "submitted"}  # --interactive: the wizard carries on to the request
    answers: AnswersFile | None = None
    structure: list[tuple[tuple[Any, ...], str, str]] = []
    try:
        answers = AnswersFile.model_validate(raw)
    except ValidationError as err:
        structure = _structure_errors(err)

    people = raw.get("people")
    person_count = len(people) if isinstance(people, list) and people else 1
    errors: list[AnswerError] = []
    taken: list[str] = []
    used: set[tuple[Any, ...]] = set()

    for index in range(person_count):
        prefix, raw_person = _person_prefix(raw, index)
        content, _profile = content_errors(raw_person, Context(today, tuple(taken)))
        account = raw_person.get("account")
        if isinstance(account, dict) and isinstance(account.get("user_id"), str):
            taken.append(account["user_id"].strip())
        for section in ("profile_name",) + SECTIONS:
            loc0 = prefix + (section,)
            mine = [(loc, kind, msg) for loc, kind, msg in structure if loc[: len(loc0)] == loc0]
            by_field: dict[str, tuple[str, str, tuple[Any, ...]]] = {}
            for loc, kind, msg in mine:
                by_field.setdefault(_path(loc[len(loc0):]), (kind, msg, loc))
                used.add(loc)
            for field, msg in content.get(section, {}).items():
                previous = by_field.get(field)
                if previous is None or previous[0] == "missing":
                    by_field[field] = ("invalid", msg, loc0 + ((field,) if field else ()))
            for field, (kind, msg, loc) in sorted(by_field.items(), key=lambda kv: _field_order(section, kv[0])):
                step = step_of(section, field.split(".")[0]) if section != "profile_name" else None
                errors.append(AnswerError(_path(prefix + (section,)) + (f".{field}" if field else ""), msg, kind,
                                          step, index))
    for loc, kind, msg in structure:
        if loc not in used:
            errors.append(AnswerError(_path(loc) or "file", msg, "structure" if kind != "missing" else "missing"))
    if answers is not None:
        errors += scenario_errors(answers, raw, interactive=interactive)
    if answers is not None and answers.expect == "refused" and answers.refusal is not None:
        # the refusal the file expects is what the run shows, not a mistake in the file
        refused_at = Step.from_key(answers.refusal.step)
        last = len(answers.persons()) - 1
        errors = [e for e in errors if not (e.person == last and e.step == refused_at and e.kind == "invalid")]
    opening: Step | None = None
    if interactive and not (isinstance(raw.get("people"), list) and raw.get("people")):
        opening = open_step(raw, errors)
        errors = [e for e in errors if e.kind == "structure" or e.step is None or e.step < opening]
        if answers is None and not errors:
            answers, errors = _up_to(raw, opening)
    if answers is None and not errors:  # defensive: a file that failed must say why
        errors = [AnswerError("file", "cannot be used as an answers file (see iqies-onboard schema).", "structure")]
    return Checked(answers if not errors else None, errors, opening, raw)


def open_step(raw: dict[str, Any], errors: list[AnswerError]) -> Step:
    """The first step a one-person file leaves open (a section missing, or not right yet)."""
    candidates = [e.step for e in errors if e.step is not None and e.kind != "structure" and e.person == 0]
    for section in SECTIONS:
        if raw.get(section) is None:
            candidates.append(_SECTION_STEP[section])
    profile, proofing = raw.get("profile"), raw.get("proofing")
    if isinstance(profile, dict) and profile.get("ssn_choice") == "manual_proofing" \
            and isinstance(proofing, dict) and proofing.get("manual") is not True:
        candidates.append(Step.PROOFING)  # the wizard shows the manual-proofing path
    return min(candidates, key=lambda s: s.number) if candidates else Step.AWAIT_APPROVAL


def _up_to(raw: dict[str, Any], opening: Step) -> tuple[AnswersFile | None, list[AnswerError]]:
    """The answers a run up to ``opening`` uses, when the sections from there on are unfinished
    (they become the page's drafts instead)."""
    pruned = {k: v for k, v in raw.items() if not (k in SECTIONS and opening <= _SECTION_STEP[k])}
    category = None
    if opening == Step.ROLE and isinstance(raw.get("role"), dict):
        category = raw["role"].get("category")  # used at step 8; the rest opens on step 9
        pruned.pop("role", None)
    try:
        answers = AnswersFile.model_validate(pruned)
    except ValidationError as err:
        return None, [AnswerError(_path(loc) or "file", msg, kind) for loc, kind, msg in _structure_errors(err)]
    if category is not None:
        answers.role = RoleAnswers.model_construct(category=str(category), role="", relationship="employee")
    return answers, []


def scenario_errors(answers: AnswersFile, raw: dict[str, Any], *, interactive: bool = False) -> list[AnswerError]:
    """What only the whole file shows: profiles, references between people, sections needed."""
    from wizard.store import DataDirError, check_profile_name

    errors: list[AnswerError] = []
    inline = [name for name in ("profile_name",) + SECTIONS if raw.get(name) is not None]
    if answers.people and inline:
        errors.append(AnswerError(inline[0], "a file with people: lists every person's sections under people, "
                                  "not at the top level.", "structure"))
        return errors
    if answers.expect == "refused" and answers.refusal is None:
        errors.append(AnswerError("refusal", "expect: refused needs refusal: {step: ..., says: ...} "
                                  "(where the wizard refuses, and what it says).", "structure"))
    if answers.refusal is not None and answers.expect != "refused":
        errors.append(AnswerError("refusal", "refusal: is only for expect: refused.", "structure"))
    if interactive and answers.people:
        errors.append(AnswerError("people", "--interactive runs a one-person file (a file with people: runs without it).", "structure"))
    persons = answers.persons()
    names: dict[str, int] = {}
    user_ids: dict[str, int] = {}
    for index, person in enumerate(persons):
        where = f"people.{index + 1}." if answers.people else ""
        if answers.people and not person.profile_name:
            errors.append(AnswerError(f"{where}profile_name", "each person needs a profile_name (their practice profile).", "missing"))
        if person.profile_name:
            try:
                check_profile_name(person.profile_name)
            except DataDirError as err:
                errors.append(AnswerError(f"{where}profile_name", str(err) if str(err).endswith(".") else f"{err}.", "structure"))
            if person.profile_name.casefold() in names:
                errors.append(AnswerError(f"{where}profile_name", "two people share this profile_name; give each their own.", "structure"))
            names.setdefault(person.profile_name.casefold(), index)
        if person.account is not None:
            user_ids.setdefault(person.account.user_id.strip().casefold(), index)
        last = index == len(persons) - 1
        end = answers.expect if last else "submitted"
        if interactive and last:
            continue  # what is missing opens on screen
        for section in sections_needed(end_step(end, answers.refusal if last else None)):
            if getattr(person, section) is None:
                reach = "the expected end" if last else "a submitted request (people before the last one submit theirs)"
                errors.append(AnswerError(f"{where}{section}", f"this section is needed to reach {reach} ({end}).",
                                          "missing", _SECTION_STEP[section], index))
    if answers.then and not answers.people:
        errors.append(AnswerError("then", "then: actions need people: (approvers act on named people).", "structure"))
        return errors
    ran: set[str] = set()
    for i, action in enumerate(answers.then, 1):
        kind = _action_kind(action)
        at = f"then.{i}.{kind}"
        target: str | None = None
        if isinstance(action, (ApproveAction, RejectAction)):
            decision = action.approve if isinstance(action, ApproveAction) else action.reject
            target = decision.person
            actor = decision.as_.strip()
            if actor.casefold() != "cms":
                who = user_ids.get(actor.casefold())
                if who is None:
                    errors.append(AnswerError(f"{at}.as", f"{actor} is neither cms nor the User ID of a person in this file.", "structure"))
                elif persons[who].role is not None and persons[who].role.role != "pso":
                    errors.append(AnswerError(f"{at}.as", f"{actor} asks for the role {persons[who].role.role}, not pso: "
                                              "only CMS or an active PSO decides requests.", "structure"))
            if isinstance(action, RejectAction) and not " ".join(action.reject.reason.split()):
                errors.append(AnswerError(f"{at}.reason", "A rejection needs a reason: the requester sees it.", "missing"))
        elif isinstance(action, RemovePsoAction):
            target = action.remove_pso.person
        elif isinstance(action, RunAction):
            target = action.run
            if target.casefold() in ran:
                errors.append(AnswerError(f"{at}", f"{target} is run twice.", "structure"))
            ran.add(target.casefold())
        if target is not None and target.casefold() not in names:
            field = f"{at}.person" if kind in ("approve", "reject", "remove_pso") else at
            errors.append(AnswerError(field, f"{target} is not the profile_name of a person in this file.", "structure"))
    return errors


def load(path: Path, today: date, *, interactive: bool = False) -> Checked:
    """Read and check an answers file (raises :class:`AnswersFileError` if it cannot be read)."""
    return check(read_raw(path), today, interactive=interactive)


# --- the demo personas -------------------------------------------------------------------------


class Persona(PersonAnswers):
    """A demo persona: visibly fake data (example.org emails, 555-01xx phones, no SSN) and a real
    provider from the sandbox directory."""

    key: str = Field(title="Persona", description="what --persona names")
    summary: str = Field(title="Who this is", description="one sentence for the trainer")
    notes: str = Field("", title="Presenter notes")

    def answers(self) -> PersonAnswers:
        """The persona as one person's answers (for :func:`wizard.runner.advance`)."""
        data = {name: getattr(self, name) for name in PersonAnswers.model_fields}
        data["profile_name"] = self.profile_name or self.key
        return PersonAnswers.model_validate(data)


class _PersonaFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = ""
    personas: list[Persona]


@lru_cache(maxsize=1)
def personas() -> dict[str, Persona]:
    """The demo personas of ``data/personas.json``, by key (``--persona KEY``), in file order.

    Each is complete: ``personas()["maria"].answers()`` is a :class:`PersonAnswers` that
    :func:`wizard.runner.advance` can drive a flow with, up to any step::

        from wizard.answers import personas
        from wizard.runner import advance
        advance(flow, personas()["maria"].answers(), until=Step.ROLE)

    Raises :class:`AnswersFileError` (one line) if the data file is missing or damaged."""
    try:
        raw = json.loads(PERSONAS_PATH.read_text(encoding="utf-8"))
        parsed = _PersonaFile.model_validate(raw)
    except (OSError, ValueError) as err:
        raise AnswersFileError(f"{PERSONAS_PATH.name} cannot be used: {' '.join(str(err).split())[:200]}") from None
    return {p.key: p for p in parsed.personas}
