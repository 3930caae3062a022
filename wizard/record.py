"""One HARP account's progress as stored (:class:`AccountRecord`) and the role request being
filled in (:class:`RequestDraft`). Secrets only as hashes (and the TOTP secret)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from wizard import otp
from wizard.models import OrganizationRef


def _first_step() -> str:
    from wizard.steps import Step  # the record is read by the step modules: no import cycle

    return Step.ordered()[0].key


class RequestDraft(BaseModel):
    category: str | None = None
    relationship: str | None = None
    role: str | None = None
    organizations: list[OrganizationRef] = Field(default_factory=list)


class AccountRecord(BaseModel):
    """One HARP account's progress, as stored. Secrets only as hashes (and the TOTP secret)."""

    position: str = Field(default_factory=lambda: _first_step())
    drafts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    profile: dict[str, Any] | None = None
    user_id: str | None = None
    password_hash: str | None = None
    challenge_question: str | None = None
    challenge_answer_hash: str | None = None
    proofing_seed: str = ""
    proofing_attempts: int = 0
    identity_proofed: Literal["experian", "manual"] | None = None
    manual_proofing: bool = False
    factor: otp.FactorState | None = None
    login_throttle: otp.Throttle = Field(default_factory=otp.Throttle)
    request: RequestDraft = Field(default_factory=RequestDraft)
    last_submitted_request: str | None = None
    # what a step records as done when no field above says it, by step key (a step added
    # beyond the built-in ones keeps its fact here)
    step_facts: dict[str, Any] = Field(default_factory=dict)
