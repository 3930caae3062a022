"""Checking an answers file before anything is stored: the content of each step with the
wizard's own validation (:func:`content_errors`), the scenario as a whole (:func:`scenario_errors`),
and :func:`check` / :func:`load`, which report every mistake at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from wizard.answers.self_service import SELF_SERVICE_ACTIONS, self_service_part
from wizard.answers.errors import AnswerError, _path, _structure_errors
from wizard.answers.forms import (
    _SECTION_STEP,
    Context,
    _form,
    account_form,
    end_step,
    profile_form,
    sections_needed,
    step_of,
    two_factor_form,
)
from wizard.answers.loader import read_raw
from wizard.answers.schema import (
    NAME_KEYS,
    SECTIONS,
    AccountAnswers,
    AnswersFile,
    ApproveAction,
    OrganizationAnswer,
    ProfileAnswers,
    ProofingAnswers,
    RejectAction,
    RemovePsoAction,
    RemoveRoleAction,
    RoleAnswers,
    RunAction,
    TwoFactorAnswers,
    _action_kind,
)
from wizard.models import (
    PHONE_DEVICES,
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
from wizard.steps import Step

# --- the content of each step, with the wizard's own validation -------------------------------


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
        for section in NAME_KEYS + SECTIONS:
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
                step = step_of(section, field.split(".")[0]) if section not in NAME_KEYS else None
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
    from wizard.store import DataDirError, check_practice_account_name

    errors: list[AnswerError] = []
    inline = [name for name in NAME_KEYS + SECTIONS if raw.get(name) is not None]
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
        name, key = person.practice_account_name, f"{where}{person.practice_account_key}"
        if answers.people and not name:
            errors.append(AnswerError(key, "each person needs a practice_account (the name their progress is kept under).", "missing"))
        if person.practice_account is not None and person.profile_name is not None \
                and person.practice_account != person.profile_name:
            errors.append(AnswerError(f"{where}practice_account", f"practice_account {person.practice_account!r} and "
                                      f"profile_name {person.profile_name!r} (its older name) differ; give only one.",
                                      "structure"))
        if name:
            try:
                check_practice_account_name(name)
            except DataDirError as err:
                errors.append(AnswerError(key, str(err) if str(err).endswith(".") else f"{err}.", "structure"))
            if name.casefold() in names:
                errors.append(AnswerError(key, f"two people share this {person.practice_account_key}; give each their own.", "structure"))
            names.setdefault(name.casefold(), index)
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
        elif isinstance(action, RemoveRoleAction):
            target = action.remove_role.person
            actor = action.remove_role.as_.strip()
            if actor.casefold() == "cms":
                errors.append(AnswerError(f"{at}.as", "The CMS reviewer removes a PSO with remove_pso; remove_role is a PSO's.", "structure"))
            elif user_ids.get(actor.casefold()) is None:
                errors.append(AnswerError(f"{at}.as", f"{actor} is not the User ID of a person in this file.", "structure"))
            if not " ".join(action.remove_role.reason.split()):
                errors.append(AnswerError(f"{at}.reason", "A removal needs a reason: the person is told it.", "missing"))
        elif self_service_part(action) is not None:
            target = self_service_part(action).person
        elif isinstance(action, RunAction):
            target = action.run
            if target.casefold() in ran:
                errors.append(AnswerError(f"{at}", f"{target} is run twice.", "structure"))
            ran.add(target.casefold())
        if target is not None and target.casefold() not in names:
            field = f"{at}.person" if kind in ("approve", "reject", "remove_pso", "remove_role", *SELF_SERVICE_ACTIONS) else at
            errors.append(AnswerError(field, f"{target} is not the practice_account of a person in this file.", "structure"))
    return errors


def load(path: Path, today: date, *, interactive: bool = False) -> Checked:
    """Read and check an answers file (raises :class:`AnswersFileError` if it cannot be read)."""
    return check(read_raw(path), today, interactive=interactive)
