"""An answers-file section as the wizard's form, and which step each section and field is for.

These are the pieces a run, trainer mode and the tests use to turn a section into what a page's
form would hold (:func:`profile_form`, :func:`account_form`, :func:`two_factor_form`), and to
know which sections a run needs to reach its expected end (:func:`sections_needed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import SecretStr

from wizard.answers.schema import Refusal, _as_text
from wizard.models import PHONE_DEVICES, HarpAccountSetup, HarpProfile
from wizard.steps import Step


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
    """The last step a run to ``end`` needs answers for: the step whose spec says it ``ends``
    a run so (manual proofing, a locked device), the refused step, else the last with a form."""
    ending = next((step for step in Step.ordered() if end in step.ends), None)
    if ending is not None:
        return ending
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
