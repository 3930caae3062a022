"""Step: HARP Login to Complete Setup (choose the second factor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard import otp, rules
from wizard.models import DEVICE_TYPES, PHONE_DEVICES, TwoFactorSetup
from wizard.steps.spec import FieldSpec, LeftOpen, StepSpec, pairs, password_check_ahead, section_of, secret_text
from wizard.outcome import StepOutcome
from wizard.log import event

NOT_SHOWN = "Not shown as you type."
LOGIN_REFUSED = "The User ID or password is not right. Check both and try again."

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def use_named_secret(answers: Mapping[str, Any], flow: Any) -> bool:
    """An authenticator secret the answers name becomes the one the sandbox enrols (so a real
    phone app enrolled with it shows the same codes); True when they name one."""
    try:
        section = section_of(answers, "two_factor")
    except LeftOpen:
        return False
    named = secret_text(section.get("totp_secret"))
    if not named or section.get("device_type") not in otp.AUTHENTICATOR_DEVICES:
        return False
    secret = "".join(named.split()).upper()
    flow.totp_secret_factory = lambda: secret
    return True


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    """Sign in with the account's User ID and password, then the device (and the named
    authenticator secret, see :func:`use_named_secret`)."""
    from wizard.answers import two_factor_form

    section = section_of(answers, "two_factor")
    account = section_of(answers, "account", "signing in needs the account section (User ID, password)")
    if how != "draft":
        use_named_secret(answers, flow)
    return {"user_id": account.get("user_id"), "password": secret_text(account.get("password")),
            **two_factor_form(section, flow.profile)}


def _draft(flow: Any) -> dict[str, Any]:
    profile = flow.profile
    out = {"user_id": flow.record.user_id or ""}
    if profile is not None:
        out["phone"] = rules.format_phone(profile.phone)
    return out


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    locked = flow.factor_service.lock_message(flow.record.login_throttle, "wrong passwords", "signing in")
    if locked:  # refused without counting
        return StepOutcome(False, errors={"password": locked}, message=locked)
    if not flow._check_login(model.user_id, model.password):
        flow.record.login_throttle = flow.factor_service.record_failure(flow.record.login_throttle)
        event("login_refused", where="harp", failures=flow.record.login_throttle.failures)
        message = (
            flow.factor_service.lock_message(flow.record.login_throttle, "wrong passwords", "signing in")
            or LOGIN_REFUSED
        )
        return StepOutcome(False, errors={"password": message}, message=message)
    flow.record.login_throttle = otp.Throttle()
    old = flow.record.factor
    keep = old is not None and old.device_type == model.device_type and old.phone == model.phone
    state = old if keep else otp.FactorState(device_type=model.device_type, phone=model.phone)
    if old is not None and not keep:
        # A new device keeps the wrong-code count: changing device must not reset throttling.
        state = state.model_copy(update={"failures": old.failures, "locked_until": old.locked_until})
    if state.is_authenticator:
        if not state.totp_secret:
            state = state.model_copy(update={"totp_secret": flow.totp_secret_factory()})
        flow.record.factor = state
        message = "Scan the QR code with your authenticator app, then type the code it shows."
    else:
        flow.record.factor = state
        message = flow.send_code()
    return StepOutcome(True, next_step=SPEC.next, message=message)


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: the device, and the line says where the code went (a text or voice
    code sent now is the one the next step types) or which secret was enrolled."""
    from wizard.walk import RunEnd

    flow = walk.flow
    form = walk.form(step)
    if isinstance(form, RunEnd):
        return form
    outcome = flow.submit(step, form)
    if not outcome.ok:
        return walk.refused(step, outcome)
    factor = flow.record.factor
    device = DEVICE_TYPES[factor.device_type]
    if factor.device_type in PHONE_DEVICES:
        walk.code_fresh = True
        walk.say(step, f"ok ({device} to {rules.format_phone(factor.phone or '')}; code sent)")
    else:
        named = walk.answers["two_factor"]
        named = named.totp_secret if hasattr(named, "totp_secret") else named.get("totp_secret")
        whose = "the secret the file names" if named is not None else "the secret the sandbox made"
        walk.say(step, f"ok ({device}, enrolled with {whose})")
    return None


def page_fill(flow: Any, answers: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Trainer mode: the form, the phone as HARP shows the profile's."""
    form = form_from(answers, flow)
    if form.get("phone"):
        form["phone"] = rules.format_phone(form["phone"])
    return form, ""


SPEC = StepSpec(
    key="two_factor_setup",
    prepare=password_check_ahead,
    system="HARP",
    real_page="Login to Complete Setup",
    real_address="harp.cms.gov/login",
    label="Two-factor setup",
    model=TwoFactorSetup,
    fields=(
        FieldSpec("user_id", max_length=rules.USER_ID_MAX, hint="Log in with the HARP User ID you chose."),
        FieldSpec("password", "secret", max_length=rules.PASSWORD_MAX, hint=NOT_SHOWN),
        FieldSpec("device_type", "choice", placeholder="Choose a device", choices=pairs(DEVICE_TYPES)),
        FieldSpec("phone", required=True, max_length=30, placeholder="(410) 555-0123",
                  hint="The phone that gets the codes (here, the simulated phone).",
                  note="Sandbox: codes go to the app's simulated phone (F2), never a real one.",
                  applies=lambda form: form.get("device_type") in PHONE_DEVICES),
    ),
    done=lambda flow: flow.record.factor is not None,
    no_back="Your HARP account is already created; its profile is changed inside HARP later.",
    submit=submit,
    never_saved=("password",),
    section="two_factor",
    reads=("device_type", "phone", "totp_secret"),
    also_reads=("account",),
    form_from=form_from,
    draft_from=_draft,
    play=play,
    page_fill=page_fill,
)
