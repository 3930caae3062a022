"""The demo personas of ``data/personas.json``: complete one-person answers for trainer mode."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from wizard.answers.errors import AnswersFileError
from wizard.answers.schema import PersonAnswers
from wizard.resources import data_path

PERSONAS_PATH = data_path("personas.json")


class Persona(PersonAnswers):
    """A demo persona: visibly fake data (example.org emails, 555-01xx phones, no SSN) and a real
    provider from the sandbox directory."""

    key: str = Field(title="Persona", description="what --persona names")
    summary: str = Field(title="Who this is", description="one sentence for the trainer")
    notes: str = Field("", title="Presenter notes")

    def answers(self) -> PersonAnswers:
        """The persona as one person's answers (for :func:`wizard.runner.advance`)."""
        data = {name: getattr(self, name) for name in PersonAnswers.model_fields}
        data["practice_account"], data["profile_name"] = self.practice_account_name or self.key, None
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
