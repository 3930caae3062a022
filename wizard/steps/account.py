"""Step: HARP User ID, Password and Challenge Question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard import rules
from wizard.catalogue import challenge_questions
from wizard.models import HarpAccountSetup
from wizard.steps.spec import FieldSpec, StepSpec, section_of
from wizard.outcome import StepOutcome
from wizard.hashing import hash_secret, prepare_hash
from wizard.store import UserIdTaken

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow
    from wizard.walk import AnswersWalk, RunEnd


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    from wizard.answers import account_form

    return account_form(section_of(answers, "account"))


def _done(flow: Any) -> bool:
    r = flow.record
    return bool(r.user_id and r.password_hash and r.challenge_answer_hash)


def facts(flow: Any) -> dict[str, Any]:
    """The User IDs other accounts hold (a database read: only where the account is checked)."""
    return {"taken_user_ids": [u for u in flow.store.user_ids() if u != flow.record.user_id]}


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    assert isinstance(model, HarpAccountSetup)
    flow.record.user_id = model.user_id
    flow.record.password_hash = hash_secret(model.password.get_secret_value())
    flow.record.challenge_question = model.challenge_question
    flow.record.challenge_answer_hash = hash_secret(
        rules.normalise_answer(model.challenge_answer.get_secret_value())
    )
    try:
        flow.save()  # claims the User ID under the store's lock: another trainee may be quicker
    except UserIdTaken:
        flow.record.user_id = flow.record.password_hash = None
        flow.record.challenge_question = flow.record.challenge_answer_hash = None
        message = "This User ID was just taken by another account in this sandbox. Choose another."
        return StepOutcome(False, errors={"user_id": message}, message=message,
                           labels={"user_id": HarpAccountSetup.label("user_id")})
    return StepOutcome(True, next_step=SPEC.next, warnings=flow.user_id_warnings(model.user_id))


def prepare(flow: OnboardingFlow, form: dict[str, Any]) -> None:
    """The two hashes Next makes, made ahead for the password and answer typed so far."""
    if form.get("password"):
        prepare_hash(str(form["password"]))
    if form.get("challenge_answer"):
        prepare_hash(rules.normalise_answer(str(form["challenge_answer"])))


def play(walk: AnswersWalk, step: StepSpec) -> RunEnd | None:
    """An answers-file run: the form, Next, and the line says the User ID is now for good."""
    return walk.step(step, "ok (User ID confirmed: it can never be changed)")


def page_fill(flow: Any, answers: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Trainer mode: the form, but the trainer confirms the User ID on screen (the "cannot be
    changed" dialog a run answers for the person)."""
    form = form_from(answers, flow)
    form.pop("user_id_permanent_ok", None)
    return form, ""


SPEC = StepSpec(
    key="account",
    prepare=prepare,
    system="HARP",
    real_page="User ID, Password and Challenge Question",
    real_address="harp.cms.gov/register",
    label="User ID & password",
    model=HarpAccountSetup,
    fields=(
        FieldSpec("user_id", max_length=rules.USER_ID_MAX, placeholder="e.g. jdoe_pso",
                  hint=f"{rules.USER_ID_MIN} to {rules.USER_ID_MAX} letters, digits and . _ - @; no facility "
                       f"names, no # or & ({rules.SANDBOX_NOTE}). It can never be changed.",
                  note=f"{rules.USER_ID_MIN}-{rules.USER_ID_MAX} letters, digits and . _ - @; no facility names, "
                       f"no # or & ({rules.SANDBOX_NOTE})."),
        FieldSpec("password", "secret", max_length=rules.PASSWORD_MAX),
        FieldSpec("password_confirm", "secret", max_length=rules.PASSWORD_MAX,
                  hint="Type the same password again. Not shown as you type."),
        FieldSpec("challenge_question", "choice", placeholder="Choose a question",
                  choices=lambda flow: [(q, q) for q in challenge_questions()]),
        FieldSpec("challenge_answer", "secret", max_length=100,
                  hint="Stored only as a hash; keep your real answer somewhere safe. Not shown as you type.",
                  note="Stored only as a hash. Keep your real answer somewhere safe."),
    ),
    done=_done,
    back=True,
    submit=submit,
    never_saved=("password", "password_confirm", "challenge_answer"),
    section="account",
    form_from=form_from,
    play=play,
    facts=facts,
    facts_by_default=True,
    page_fill=page_fill,
)
