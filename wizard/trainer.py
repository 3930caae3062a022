"""Trainer mode's hands on the wizard: jump to any step (earlier steps filled from the persona
through the flow) and fill a page as the persona would type it. Forms come from the step specs
(``spec.form_from``), the same path the headless runner uses; where a page shows more than its
form (the proofing answers as the page's choices, the phone as HARP formats it, the next
organization to search) and what the trainer is told, the step's own ``spec.page_fill`` says."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard import otp
from wizard.sanitize import clean_line
from wizard.steps import LeftOpen, Step
from wizard.walk import person_sections

if TYPE_CHECKING:
    from wizard.answers import PersonAnswers
    from wizard.demo import Scenario
    from wizard.flow import OnboardingFlow
    from wizard.store import Store


def configure_flow(flow: OnboardingFlow, answers: PersonAnswers) -> None:
    """The persona's authenticator secret (a visibly fake practice value), when it names one."""
    from wizard.steps.two_factor_setup import use_named_secret

    use_named_secret(person_sections(answers), flow)


# --- jump to any step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JumpResult:
    reached: Step
    message: str  # for the trainer: where the jump landed and why, if not where asked


def skipped_actions(store: Store, scenario: Scenario | None, target: Step) -> list[str]:
    """What the scenario needs the trainer to have done before ``target`` that is not done yet
    (said before a jump, which would otherwise carry on without it)."""
    if scenario is None:
        return []
    return [text for step, ccn, text in scenario.required_removals
            if target >= step and store.provider_has_active_pso(ccn)]


def jump(flow: OnboardingFlow, answers: PersonAnswers, target: Step) -> JumpResult:
    """Put the persona's flow at ``target``: earlier steps filled from the persona through the
    flow (so the state machine stays valid). Going back past a point of no return (the HARP
    account exists, the device is verified) starts the persona's profile again."""
    current = flow.current_step
    if target < current:
        if flow.behind_point_of_no_return(target) or not flow.can_open(target):
            flow.reset()
            if not flow.record.proofing_seed:
                flow.record.proofing_seed = secrets.token_hex(8)
                flow.save()
        else:
            if target <= Step.IQIES_SIGN_IN:
                flow.signed_in = False
            flow.go_to(target)
    if flow.current_step < target:
        from wizard.walk import advance

        configure_flow(flow, answers)
        end = advance(flow, answers, until=target)
        if end.end not in ("until", "submitted"):
            reason = " ".join(end.message.split()) or end.end.replace("_", " ")
            return JumpResult(flow.current_step, clean_line(
                f"The persona's answers stop at step {flow.current_step.number}: {reason}"))
    reached = flow.current_step
    return JumpResult(reached, "" if reached == target else
                      f"Step {target.number} cannot open yet; this is step {reached.number}.")


# --- what each page is filled with -----------------------------------------------------------------


@dataclass(frozen=True)
class PageFill:
    """Field values for a page, as a person would type them (passwords included: they go into
    the widgets only, never into a draft), and a sentence for the trainer, if any."""

    form: dict[str, Any]
    note: str = ""


def phone_code(flow: OnboardingFlow) -> str | None:
    """The newest code on the persona's simulated phone."""
    return flow.code_on_phone()


def app_code(flow: OnboardingFlow) -> str | None:
    """The authenticator code the persona's phone app shows now (or the next one, when this
    one was already used: each code is accepted once)."""
    factor = flow.record.factor
    return otp.usable_totp_code(factor, flow.clock()) if factor is not None else None


def page_fill(flow: OnboardingFlow, answers: PersonAnswers, step: Step) -> PageFill:
    """What the persona types on ``step``'s page: its spec's ``page_fill`` where the page shows
    more than its form (or other than it), else its form from ``form_from`` (the path the
    headless runner uses); nothing where the answers do not say. On iQIES sign-in with a text
    or voice device it presses Send code too (the code then comes from the phone, as a person
    would read it)."""
    sections = person_sections(answers)
    try:
        if step.page_fill is not None:
            form, note = step.page_fill(flow, sections)
        else:
            form, note = step.form_from(sections, flow, None), ""
    except LeftOpen:
        return PageFill({})
    return PageFill({k: v for k, v in form.items() if v is not None}, note)
