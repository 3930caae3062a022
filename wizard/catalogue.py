"""Read-only reference data from ``data/``: role catalogue, challenge questions, help texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from wizard.resources import data_path


def _load(name: str) -> Any:
    with open(data_path(name), encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    in_guide: bool
    note: str
    confirmed: bool


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    category: str
    confirmed: bool
    vendor_may_request: bool
    what_it_lets_you_do: str


@dataclass(frozen=True)
class HelpText:
    title: str
    real_page: str
    body: str


class Catalogue:
    """The sandbox's role catalogue (data/roles.json)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.note: str = raw.get("note", "")
        self.categories = [
            Category(c["id"], c["name"], bool(c["in_guide"]), c.get("note", ""), bool(c.get("confirmed")))
            for c in raw["categories"]
        ]
        self.roles = [
            Role(
                r["id"], r["name"], r["category"], bool(r.get("confirmed")),
                bool(r.get("vendor_may_request")), r["what_it_lets_you_do"],
            )
            for r in raw["roles"]
        ]

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def roles_in(self, category_id: str) -> list[Role]:
        return [r for r in self.roles if r.category == category_id]

    def vendor_roles(self) -> list[Role]:
        return [r for r in self.roles if r.vendor_may_request]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return Catalogue(_load("roles.json"))


@lru_cache(maxsize=1)
def challenge_questions() -> tuple[str, ...]:
    return tuple(_load("challenge_questions.json")["questions"])


@lru_cache(maxsize=1)
def help_texts() -> dict[str, HelpText]:
    return {key: HelpText(v["title"], v["real_page"], v["body"]) for key, v in _load("help.json").items()}


def help_for(help_id: str) -> HelpText:
    """The help ``help_id`` names. A step's help is titled with its number, from the order of
    steps (data/help.json numbers none); a step with no entry gets one built from its spec."""
    from wizard.steps import Step  # the specs import this module's tables

    text = help_texts().get(help_id)
    step = next((s for s in Step.ordered() if s.help_id == help_id), None)
    if step is None:
        return text or HelpText("Help", "", "No help is written for this page yet.")
    if text is None:
        text = _help_from_spec(step)
    return HelpText(f"Step {step.number}: {text.title}", text.real_page, text.body)


def _help_from_spec(step: Any) -> HelpText:
    """Help for a step that data/help.json does not describe: what its spec says."""
    lines = [f"This page stands for {step.system}'s **{step.real_page}** page ({step.real_address})."]
    fields = [f for f in step.fields if f.kind != "answers"]
    if fields:
        if any(f.required for f in fields):
            lines += ["", "Fields marked `*` are required."]
        lines.append("")
        for f in fields:
            about = f.note or f.hint
            lines.append(f"- **{f.label}**{' `*`' if f.required else ''}" + (f": {about}" if about else ""))
    return HelpText(step.label, f"{step.system}: {step.real_page} ({step.real_address})", "\n".join(lines))


@lru_cache(maxsize=1)
def proofing_decoys() -> dict[str, list[str]]:
    return _load("proofing_decoys.json")
