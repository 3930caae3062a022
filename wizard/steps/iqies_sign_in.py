"""Step: iQIES Sign in with HARP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard import otp, rules
from wizard.models import IqiesSignIn
from wizard.steps.spec import FieldSpec, StepSpec, password_check_ahead, section_of, secret_text
from wizard.outcome import StepOutcome
from wizard.steps.spec import Step

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """User ID and password from the account section, and a code as the person would get it:
    with a text or voice device, Send code is pressed first."""
    from wizard.codes import correct_code, is_authenticator, wrong_code

    account = section_of(answers, "account", "signing in needs the account section (User ID, password)")
    if flow.record.factor is not None and not is_authenticator(flow):
        flow.send_code()
    code = correct_code(flow) if (how or "correct") == "correct" else wrong_code(flow)
    return {"user_id": account.get("user_id"), "password": secret_text(account.get("password")), "code": code}


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    refusal = flow.verify_sign_in(model.user_id, model.password, model.code)
    if refusal:
        return StepOutcome(False, message=refusal)
    flow.signed_in = True
    try:
        resume = Step.from_key(flow.record.position)
    except ValueError:
        resume = SPEC.next
    target = resume if resume > SPEC else SPEC.next
    return StepOutcome(True, next_step=target)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: sign in with a code as the person gets it; the line says from where."""
    from wizard import codes
    from wizard.walk import RunEnd

    form = walk.form(step)
    if isinstance(form, RunEnd):
        return form
    if form.get("code") is None:
        return RunEnd("failed", step, codes.no_code_reason(walk.flow))
    return walk.submit(step, form, f"ok (signed in with a code {codes.code_source(walk.flow)})")


def page_fill(flow: Any, answers: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Trainer mode: the form, Send code pressed for a text or voice device, and a note saying so."""
    from wizard.codes import is_authenticator

    form = form_from(answers, flow)
    sent = flow.record.factor is not None and not is_authenticator(flow)
    return form, "Demo: Send code was pressed for you; the code on the phone (F2) is filled in." if sent else ""


SPEC = StepSpec(
    key="iqies_sign_in",
    prepare=password_check_ahead,
    system="iQIES",
    real_page="Sign in with HARP",
    real_address="iqies.cms.gov",
    label="iQIES sign in",
    model=IqiesSignIn,
    fields=(
        FieldSpec("user_id", max_length=rules.USER_ID_MAX),
        FieldSpec("password", "secret", max_length=rules.PASSWORD_MAX, hint="Not shown as you type."),
        FieldSpec("code", "code", max_length=8, placeholder=f"{otp.CODE_DIGITS} digits", hint=f"{otp.CODE_DIGITS} digits."),
    ),
    done=lambda flow: flow.signed_in,
    no_back="Your HARP account is already created; its profile is changed inside HARP later.",
    submit=submit,
    never_saved=("password", "code"),
    also_reads=("account",),
    form_from=form_from,
    draft_from=lambda flow: {"user_id": flow.record.user_id or ""},
    play=play,
    page_fill=page_fill,
)
