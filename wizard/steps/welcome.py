"""Step: Welcome to iQIES (the home page; Request User Role goes on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.steps.spec import StepSpec

if TYPE_CHECKING:
    from wizard.walk import AnswersWalk, RunEnd


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: Request User Role, and the line says so."""
    return walk.step(step, "ok (Request User Role)")


SPEC = StepSpec(
    key="welcome",
    system="iQIES",
    real_page="Welcome to iQIES",
    real_address="iqies.cms.gov",
    label="Welcome to iQIES",
    no_back="This is the iQIES home page; use Request User Role to continue.",
    submit=lambda flow, form: flow.request_role(),
    play=play,
)
