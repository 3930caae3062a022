"""Step: HARP Profile Information."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from wizard import rules
from wizard.models import SSN_CHOICES, HarpProfile
from wizard.steps.spec import FieldSpec, StepSpec, pairs, section_of
from wizard.outcome import StepOutcome

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow


def form_from(answers: Mapping[str, Any], flow: Any, how: str | None = None) -> dict[str, Any]:
    from wizard.answers import profile_form

    return profile_form(section_of(answers, "profile"))


def facts(flow: Any) -> dict[str, Any]:
    """HARP's "email already exists" for registering: the refusal when another account holds
    an email (asked only when the email is checked)."""
    from wizard.recovery import email_exists_refusal

    return {"email_taken": lambda email: email_exists_refusal(flow.store, email)}


def submit(flow: OnboardingFlow, form: dict[str, Any]) -> StepOutcome:
    flow.save_draft(SPEC, form)
    model, refused = flow.validated(SPEC, form)
    if refused:
        return refused
    # HARP's "email already exists" (another account holds it: sign in, or recover the User ID)
    # is refused by the validation above: this spec's ``facts`` give it ``email_taken``
    flow.record.profile = model.model_dump(mode="json")
    return StepOutcome(True, next_step=SPEC.next)


SPEC = StepSpec(
    key="profile",
    system="HARP",
    real_page="Profile Information",
    real_address="harp.cms.gov/register",
    label="Profile",
    model=HarpProfile,
    fields=(
        FieldSpec("first_name", max_length=rules.MAX_NAME),
        FieldSpec("middle_name", max_length=rules.MAX_NAME),
        FieldSpec("last_name", max_length=rules.MAX_NAME),
        FieldSpec("suffix", "choice", placeholder="(none)", choices=lambda flow: [(s, s) for s in rules.SUFFIXES]),
        FieldSpec("date_of_birth", "date", max_length=10, placeholder="MM/DD/YYYY",
                  hint="MM/DD/YYYY, like 04/27/1980."),
        FieldSpec("email", max_length=254, placeholder="you@yourfacility.org",
                  hint="Use your work (corporate) email address.", note="Use your work (corporate) email address."),
        FieldSpec("email_confirm", max_length=254, hint="Type the same address again."),
        FieldSpec("personal_email_allowed", "yesno",
                  hint="Yes only if your facility handles 2 or fewer providers and has no work email domain."),
        FieldSpec("phone", max_length=30, placeholder="e.g. (410) 555-0123",
                  hint="A number where you can be reached, like (410) 555-0123."),
        FieldSpec("street", max_length=100, placeholder="e.g. 12 Oak Street", hint="Your home address, like 12 Oak Street."),
        FieldSpec("city", max_length=60),
        # typed (a page may offer a type-to-search picker over the choices)
        FieldSpec("state", "text", hint="The two-letter code, like OH.",
                  choices=lambda flow: [(code, name) for code, name in rules.US_STATES.items()]),
        FieldSpec("zip_code", max_length=10, placeholder="e.g. 43215", hint="5 digits, like 43215."),
        FieldSpec("ssn_choice", "choice", choices=pairs(SSN_CHOICES),
                  hint="This practice app never asks for your SSN; say which way you plan to go in real HARP."),
        FieldSpec("facility_name", max_length=120, placeholder="e.g. Sunny Acres Care Center",
                  hint="Sandbox only: used to warn you if your User ID contains it.",
                  note="Sandbox only: used to warn you if your User ID contains it. HARP does not ask."),
    ),
    done=lambda flow: flow.profile is not None,
    submit=submit,
    section="profile",
    form_from=form_from,
    facts=facts,
)
