"""wizard/models.py: one pydantic model per step, validated through validate_form()."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factory import PASSWORD, PROFILE, USER_ID, account_form
from wizard.catalogue import catalogue, challenge_questions
from wizard.models import (
    STEP_MODELS,
    CategoryChoice,
    HarpAccountSetup,
    HarpProfile,
    IqiesSignIn,
    OrganizationsChoice,
    ProofingSubmission,
    RoleChoice,
    SecurityCodeEntry,
    TwoFactorSetup,
    validate_form,
)

TODAY = date(2026, 11, 23)


def profile_ctx() -> dict:
    return {"today": TODAY}


def account_ctx(**extra) -> dict:
    profile, errors = validate_form(HarpProfile, PROFILE, profile_ctx())
    assert not errors
    return {"profile": profile, "challenge_questions": challenge_questions(), **extra}


def errors_of(model, form, context=None) -> dict[str, str]:
    result, errors = validate_form(model, form, context)
    assert (result is None) == bool(errors)
    return errors


# -- HarpProfile ----------------------------------------------------------------------------------


def test_profile_happy_path_normalises():
    profile, errors = validate_form(HarpProfile, PROFILE, profile_ctx())
    assert errors == {}
    assert profile.phone == "+16145550123"
    assert profile.date_of_birth == date(1980, 4, 27)
    assert profile.state == "OH"
    assert profile.middle_name is None and profile.suffix is None
    assert profile.display_name == "Jane Doe"


REQUIRED_PROFILE_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "email": "Email",
    "email_confirm": "Confirm email",
    "street": "Street address",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
    "phone": "Phone number",
    "ssn_choice": "SSN for HARP",
    "facility_name": "Your facility",
}


def test_profile_empty_form_names_every_required_field():
    errors = errors_of(HarpProfile, {}, profile_ctx())
    assert errors == {field: f"{label} is required." for field, label in REQUIRED_PROFILE_LABELS.items()}


@pytest.mark.parametrize("field", sorted(REQUIRED_PROFILE_LABELS))
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_profile_each_missing_field_is_required(field, blank):
    form = {**PROFILE, field: blank}
    errors = errors_of(HarpProfile, form, profile_ctx())
    assert errors == {field: f"{REQUIRED_PROFILE_LABELS[field]} is required."}


def test_profile_optional_middle_name_and_suffix():
    profile, errors = validate_form(
        HarpProfile, {**PROFILE, "middle_name": "Ann", "suffix": "jr"}, profile_ctx()
    )
    assert errors == {}
    assert profile.middle_name == "Ann" and profile.suffix == "Jr."


def test_profile_bad_suffix_keyed_by_field():
    assert list(errors_of(HarpProfile, {**PROFILE, "suffix": "Esq"}, profile_ctx())) == ["suffix"]


def test_profile_email_confirm_mismatch():
    errors = errors_of(HarpProfile, {**PROFILE, "email_confirm": "jane@sunnyacres.com"}, profile_ctx())
    assert errors == {"email_confirm": "The two email addresses do not match; type the same address twice."}


def test_profile_email_confirm_ignores_case():
    form = {**PROFILE, "email_confirm": PROFILE["email"].upper()}
    profile, errors = validate_form(HarpProfile, form, profile_ctx())
    assert errors == {}
    assert profile.email_confirm == profile.email


def test_profile_invalid_email_keyed_by_email_only():
    errors = errors_of(HarpProfile, {**PROFILE, "email": "jane", "email_confirm": "jane"}, profile_ctx())
    assert list(errors) == ["email"]
    assert errors["email"].startswith("Enter a valid email address")


def test_profile_free_mail_error_lands_on_email_field():
    form = {**PROFILE, "email": "jane@gmail.com", "email_confirm": "jane@gmail.com"}
    errors = errors_of(HarpProfile, form, profile_ctx())
    assert list(errors) == ["email"]
    assert errors["email"].startswith("gmail.com is a personal email service")
    assert "personal_email_allowed" not in errors


def test_profile_free_mail_accepted_with_exception():
    form = {**PROFILE, "email": "jane@gmail.com", "email_confirm": "jane@gmail.com", "personal_email_allowed": True}
    profile, errors = validate_form(HarpProfile, form, profile_ctx())
    assert errors == {}
    assert profile.personal_email_allowed is True


def test_profile_date_of_birth_rules_use_context_today():
    form = {**PROFILE, "date_of_birth": "02/29/2008"}
    assert "at least 18" in errors_of(HarpProfile, form, {"today": date(2026, 2, 28)})["date_of_birth"]
    assert errors_of(HarpProfile, form, {"today": date(2026, 3, 1)}) == {}


@pytest.mark.parametrize(
    "typed, fragment",
    [
        ("02/29/2023", "February 29 exists only in leap years"),
        ("01/01/2030", "must be in the past"),
        ("12/31/1899", "after 1900"),
        ("27.04.1980", "MM/DD/YYYY"),
    ],
)
def test_profile_date_of_birth_errors(typed, fragment):
    errors = errors_of(HarpProfile, {**PROFILE, "date_of_birth": typed}, profile_ctx())
    assert list(errors) == ["date_of_birth"]
    assert fragment in errors["date_of_birth"]


def test_profile_date_object_accepted():
    profile, errors = validate_form(HarpProfile, {**PROFILE, "date_of_birth": date(1980, 4, 27)}, profile_ctx())
    assert errors == {} and profile.date_of_birth == date(1980, 4, 27)


def test_profile_unknown_ssn_choice():
    errors = errors_of(HarpProfile, {**PROFILE, "ssn_choice": "123-45-6789"}, profile_ctx())
    assert errors == {"ssn_choice": "Choose one of the options for SSN for HARP."}


def test_profile_overlong_field_is_too_long():
    errors = errors_of(HarpProfile, {**PROFILE, "first_name": "a" * 300}, profile_ctx())
    assert errors == {"first_name": "First name is too long."}


def test_profile_facility_name_limits():
    assert "is required" in errors_of(HarpProfile, {**PROFILE, "facility_name": "X"}, profile_ctx())["facility_name"]
    assert "at most 120" in errors_of(HarpProfile, {**PROFILE, "facility_name": "X" * 121}, profile_ctx())["facility_name"]


def test_profile_errors_in_field_order():
    form = {**PROFILE, "phone": "12", "first_name": "J4ne", "zip_code": "1"}
    assert list(errors_of(HarpProfile, form, profile_ctx())) == ["first_name", "phone", "zip_code"]  # the order of the page


def test_profile_extra_fields_ignored():
    _, errors = validate_form(HarpProfile, {**PROFILE, "ssn": "123-45-6789"}, profile_ctx())
    assert errors == {}


# -- HarpAccountSetup -----------------------------------------------------------------------------


def test_account_happy_path():
    account, errors = validate_form(HarpAccountSetup, account_form(), account_ctx())
    assert errors == {}
    assert account.user_id == USER_ID
    assert account.password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(account)


def test_account_missing_fields_required():
    errors = errors_of(HarpAccountSetup, {"user_id_permanent_ok": True}, account_ctx())
    assert errors == {
        "user_id": "User ID is required.",
        "password": "Password is required.",
        "password_confirm": "Confirm password is required.",
        "challenge_question": "Challenge question is required.",
        "challenge_answer": "Challenge answer is required.",
    }


def test_account_permanent_user_id_must_be_confirmed():
    errors = errors_of(HarpAccountSetup, {**account_form(), "user_id_permanent_ok": False}, account_ctx())
    assert list(errors) == ["user_id_permanent_ok"]
    assert "can never be changed" in errors["user_id_permanent_ok"]


@pytest.mark.parametrize("taken", ["jdoe_pso", "JDOE_PSO", "JDoe_Pso"])
def test_account_user_id_taken_case_insensitively(taken):
    errors = errors_of(HarpAccountSetup, account_form(), account_ctx(taken_user_ids=[taken]))
    assert errors == {"user_id": "That User ID is already taken; choose another."}


def test_account_user_id_rule_errors_keyed_by_user_id():
    errors = errors_of(HarpAccountSetup, {**account_form(), "user_id": "jdoe#pso"}, account_ctx())
    assert list(errors) == ["user_id"] and "#" in errors["user_id"]


def test_account_password_confirm_mismatch():
    errors = errors_of(HarpAccountSetup, {**account_form(), "password_confirm": PASSWORD + "!"}, account_ctx())
    assert errors == {"password_confirm": "The two passwords do not match; type the same password twice."}


def test_account_password_rule_keyed_by_password():
    form = {**account_form(), "password": "short", "password_confirm": "short"}
    errors = errors_of(HarpAccountSetup, form, account_ctx())
    assert list(errors) == ["password"]
    assert "15 to 60 characters" in errors["password"]


def test_account_password_containing_user_id_refused():
    pw = "Xy9-JDOE_PSO-long"
    errors = errors_of(HarpAccountSetup, {**account_form(), "password": pw, "password_confirm": pw}, account_ctx())
    assert "does not contain your User ID" in errors["password"]


def test_account_password_containing_profile_name_refused():
    pw = "Xy9-jane-long-pass"
    errors = errors_of(HarpAccountSetup, {**account_form(), "password": pw, "password_confirm": pw}, account_ctx())
    assert "first or last name" in errors["password"]


def test_account_challenge_question_from_bank_only():
    errors = errors_of(HarpAccountSetup, {**account_form(), "challenge_question": "My own question?"}, account_ctx())
    assert errors == {"challenge_question": "Choose a challenge question from the list."}


def test_account_challenge_answer_part_of_password_refused():
    errors = errors_of(HarpAccountSetup, {**account_form(), "challenge_answer": "horse"}, account_ctx())
    assert errors == {"challenge_answer": "Challenge answer must not be part of your password."}


# -- ProofingSubmission ---------------------------------------------------------------------------


def test_proofing_submission_ok():
    sub, errors = validate_form(ProofingSubmission, {"answers": [0, 1, 2, 3, 4], "not_a_robot": True})
    assert errors == {} and sub.answers == [0, 1, 2, 3, 4]


def test_proofing_submission_unanswered_and_robot():
    errors = errors_of(ProofingSubmission, {"answers": [0, None, 2, 3, None]})
    assert errors == {
        "answers": "Answer every question (still open: 2, 5).",
        "not_a_robot": "Tick 'I am not a robot' before you continue.",
    }


def test_proofing_submission_needs_five_answers():
    assert "answers" in errors_of(ProofingSubmission, {"answers": [0, 1], "not_a_robot": True})


# -- TwoFactorSetup -------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["sms", "voice"])
@pytest.mark.parametrize("phone", [None, "", "  "])
def test_two_factor_phone_required_for_sms_and_voice(device, phone):
    form = {"user_id": USER_ID, "password": PASSWORD, "device_type": device, "phone": phone}
    errors = errors_of(TwoFactorSetup, form)
    assert errors == {"phone": "Phone number is required for a text message or voice call."}


@pytest.mark.parametrize("device", ["sms", "voice"])
def test_two_factor_phone_validated_and_e164(device):
    form = {"user_id": USER_ID, "password": PASSWORD, "device_type": device, "phone": "(614) 555-0123"}
    setup, errors = validate_form(TwoFactorSetup, form)
    assert errors == {} and setup.phone == "+16145550123"
    assert "US phone number" in errors_of(TwoFactorSetup, {**form, "phone": "+44 20 7946 0958"})["phone"]


@pytest.mark.parametrize("device", ["google_authenticator", "okta_verify"])
def test_two_factor_phone_ignored_for_authenticator(device):
    form = {"user_id": USER_ID, "password": PASSWORD, "device_type": device, "phone": "not a phone"}
    setup, errors = validate_form(TwoFactorSetup, form)
    assert errors == {} and setup.phone is None


def test_two_factor_missing_fields_required():
    assert errors_of(TwoFactorSetup, {}) == {
        "user_id": "User ID is required.",
        "password": "Password is required.",
        "device_type": "Device type is required.",
    }


def test_two_factor_unknown_device():
    errors = errors_of(TwoFactorSetup, {"user_id": USER_ID, "password": PASSWORD, "device_type": "pager"})
    assert errors == {"device_type": "Choose one of the options for Device type."}


# -- SecurityCodeEntry and IqiesSignIn ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, code",
    [("123456", "123456"), (" 123 456 ", "123456"), ("12 34 56", "123456"), ("１２３４５６", "123456"), ("012345", "012345")],
)
def test_security_code_accepted(typed, code):
    entry, errors = validate_form(SecurityCodeEntry, {"code": typed})
    assert errors == {} and entry.code == code


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "abcdef", "12-345"])
def test_security_code_must_be_six_digits(typed):
    assert errors_of(SecurityCodeEntry, {"code": typed}) == {"code": "The security code is 6 digits."}


def test_security_code_required():
    assert errors_of(SecurityCodeEntry, {"code": "  "}) == {"code": "Security code is required."}


def test_security_code_non_ascii_digits_refused():
    assert errors_of(SecurityCodeEntry, {"code": "١٢٣٤٥٦"}) == {"code": "The security code is 6 digits."}


def test_iqies_sign_in_fields_and_code_rule():
    assert errors_of(IqiesSignIn, {}) == {
        "user_id": "HARP User ID is required.",
        "password": "Password is required.",
        "code": "Security code is required.",
    }
    entry, errors = validate_form(IqiesSignIn, {"user_id": USER_ID, "password": PASSWORD, "code": "１２３ ４５６"})
    assert errors == {} and entry.code == "123456"
    assert errors_of(IqiesSignIn, {"user_id": USER_ID, "password": PASSWORD, "code": "12"}) == {
        "code": "The security code is 6 digits."
    }


# -- CategoryChoice, RoleChoice, OrganizationsChoice ---------------------------------------------


def cat_ctx() -> dict:
    return {"catalogue": catalogue()}


def test_category_provider_ok_and_others_outside_guide():
    assert errors_of(CategoryChoice, {"category": "provider"}, cat_ctx()) == {}
    assert "outside this guide" in errors_of(CategoryChoice, {"category": "vendor"}, cat_ctx())["category"]
    assert errors_of(CategoryChoice, {"category": "nope"}, cat_ctx()) == {
        "category": "Choose a user category from the list."
    }


def test_role_vendor_pso_refused_via_catalogue():
    errors = errors_of(RoleChoice, {"relationship": "vendor", "role": "pso"}, cat_ctx())
    assert list(errors) == ["role"]
    assert "A vendor cannot be a Provider Security Official" in errors["role"]
    assert "PBJ Submitter" in errors["role"]


def test_role_employee_pso_ok_and_vendor_pbj_ok():
    assert errors_of(RoleChoice, {"relationship": "employee", "role": "pso"}, cat_ctx()) == {}
    assert errors_of(RoleChoice, {"relationship": "vendor", "role": "pbj_submitter"}, cat_ctx()) == {}


def test_role_unknown_and_missing():
    assert errors_of(RoleChoice, {"relationship": "employee", "role": "king"}, cat_ctx()) == {
        "role": "Choose a user role from the list."
    }
    assert errors_of(RoleChoice, {}, cat_ctx()) == {
        "relationship": "Your relationship to the provider is required.",
        "role": "User role is required.",
    }


ORG = {"ccn": "015009", "facility_id": "AL1", "name": "BURNS NURSING HOME, INC.", "city": "RUSSELLVILLE", "state": "AL"}


def test_organizations_empty_refused():
    assert errors_of(OrganizationsChoice, {"organizations": []}) == {
        "organizations": "Add at least one organization: search by CCN or Facility ID, then Add."
    }


def test_organizations_duplicate_refused_and_single_ok():
    assert errors_of(OrganizationsChoice, {"organizations": [ORG]}) == {}
    assert "listed twice" in errors_of(OrganizationsChoice, {"organizations": [ORG, ORG]})["organizations"]


def test_step_models_are_the_specs_models():
    from wizard.steps import Step

    assert STEP_MODELS == {s.key: s.model for s in Step.ordered() if s.model is not None}
    form_steps = [s for s in Step.ordered() if s.fields and s.key != "organizations"]
    assert all(s.key in STEP_MODELS for s in form_steps)  # a page of fields validates with a model


# -- property tests: validate_form only ever returns errors --------------------------------------

_text = st.one_of(st.none(), st.text(max_size=80), st.text(alphabet=st.characters(codec="utf-8"), max_size=500))


def _form_strategy(model) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional={name: _text for name in model.model_fields})


_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(form=_form_strategy(HarpProfile), flag=st.booleans())
def test_profile_random_text_never_raises(form, flag):
    form["personal_email_allowed"] = flag
    result, errors = validate_form(HarpProfile, form, {"today": TODAY})
    assert (result is None) == bool(errors)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())


@_settings
@given(form=_form_strategy(HarpAccountSetup))
def test_account_random_text_never_raises(form):
    result, errors = validate_form(HarpAccountSetup, form, account_ctx(taken_user_ids=["someone"]))
    assert (result is None) == bool(errors)
    assert all(isinstance(v, str) and v for v in errors.values())


@_settings
@given(code=_text)
def test_security_code_random_text_never_raises(code):
    result, errors = validate_form(SecurityCodeEntry, {"code": code})
    assert (result is None) == bool(errors)
    if result is not None:
        assert len(result.code) == 6
