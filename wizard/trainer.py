"""Trainer mode's hands on the wizard: jump to any step (earlier steps filled from the persona
through the flow) and fill a page as the persona would type it. Forms come from the step specs
(``spec.form_from``), the same path the headless runner uses; this adds only how a page shows
them (the proofing answers as the page's choices, the phone as HARP formats it) and the
sentence for the trainer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard import codes, otp
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


def _said(section: Any, name: str, default: list[str]) -> list[str]:
    value = getattr(section, name, None) if not isinstance(section, dict) else section.get(name)
    return list(value or default)


def page_fill(flow: OnboardingFlow, answers: PersonAnswers, step: Step) -> PageFill:
    """What the persona types on ``step``'s page. On iQIES sign-in with a text or voice device it
    presses Send code too (the code then comes from the phone, as a person would read it)."""
    sections = person_sections(answers)
    if step == Step.ORGANIZATIONS:
        from wizard.steps.organizations import searches

        added = {o.ccn for o in flow.record.request.organizations}
        try:
            wanted = searches(sections)
        except LeftOpen:
            wanted = []
        for search_by, text in wanted:
            provider, _ = flow.find_organization(search_by, text)
            if provider is None or provider.ccn not in added:
                return PageFill({"search_by": search_by, "search_for": text},
                                "Demo: press Enter (Add), then Ctrl+N (Next).")
        return PageFill({})
    how: str | None = None
    note = ""
    if step == Step.PROOFING and sections.get("proofing") is not None:
        if flow.needs_manual_proofing:
            return PageFill({})
        attempts = _said(sections["proofing"], "attempts", ["correct"])
        how = attempts[min(flow.record.proofing_attempts, len(attempts) - 1)]
        if how == "wrong":
            note = "Demo: the answers are filled in wrongly, as this scenario needs."
    if step == Step.TWO_FACTOR_VERIFY and sections.get("two_factor") is not None:
        factor = flow.record.factor
        if factor is None:
            return PageFill({})
        typed = _said(sections["two_factor"], "codes", ["correct"])
        how = typed[min(factor.failures, len(typed) - 1)]
        if how == "wrong":
            note = "Demo: a wrong code is filled in, as this scenario needs."
    try:
        form = step.form_from(sections, flow, how)
    except LeftOpen:
        return PageFill({})
    form = {k: v for k, v in form.items() if v is not None}
    form.pop("user_id_permanent_ok", None)  # the trainer confirms the User ID on screen
    if step == Step.PROOFING:  # the page's choices, one per question
        form = {**{f"q{i}": str(a) for i, a in enumerate(form.pop("answers", []))},
                "not_a_robot": form.get("not_a_robot", True)}
    if step == Step.TWO_FACTOR_SETUP and form.get("phone"):
        from wizard.rules import format_phone

        form["phone"] = format_phone(form["phone"])  # as HARP shows the profile's phone
    if step == Step.IQIES_SIGN_IN and flow.record.factor is not None and not codes.is_authenticator(flow):
        note = "Demo: Send code was pressed for you; the code on the phone (F2) is filled in."
    return PageFill(form, note)
