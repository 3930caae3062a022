"""wizard/rules.py: every rule a user can meet, tested without any UI (DESIGN.md section 6)."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from wizard import rules
from wizard.rules import RuleError

TODAY = date(2026, 11, 23)


def refused(func, *args, **kwargs) -> str:
    """Call a check that must refuse; return its message."""
    with pytest.raises(RuleError) as info:
        func(*args, **kwargs)
    return str(info.value)


# -- names and suffix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Jane", "Jane"),
        ("Mary-Jane", "Mary-Jane"),
        ("O'Brien", "O'Brien"),
        ("  Jane   Ann ", "Jane Ann"),
        ("Zoë", "Zoë"),
        ("J. R.", "J. R."),
        ("Ｊａｎｅ", "Jane"),  # full-width letters are NFKC-normalised
    ],
)
def test_name_accepted_and_normalised(typed, stored):
    assert rules.check_name(typed, "First name") == stored


def test_name_required_message_names_the_field():
    assert refused(rules.check_name, "   ", "Last name") == "Last name is required."


@pytest.mark.parametrize("typed", ["J4ne", "_x", "Jane!", "<b>Jane</b>", "Jane\x1b[31m"])
def test_name_with_digits_or_symbols_refused(typed):
    assert "letters, spaces, hyphens, apostrophes and periods" in refused(rules.check_name, typed, "First name")


def test_name_length_limit():
    assert rules.check_name("a" * 50, "First name") == "a" * 50
    assert "at most 50" in refused(rules.check_name, "a" * 51, "First name")


@pytest.mark.parametrize(
    "typed, stored",
    [("jr", "Jr."), ("Jr.", "Jr."), ("SR", "Sr."), ("ii", "II"), ("iii", "III"), (" IV ", "IV"), ("v", "V")],
)
def test_suffix_accepted_and_canonical(typed, stored):
    assert rules.check_suffix(typed) == stored


@pytest.mark.parametrize("typed", ["esq", "PhD", "VI", "Jr.."])
def test_suffix_outside_list_refused(typed):
    assert "Suffix must be one of" in refused(rules.check_suffix, typed)


# -- address ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["12 Oak Street", "12 Oak St. #4", "PO Box 12", "1/2 Main St, Apt 3-B"])
def test_street_accepted(typed):
    assert rules.check_street(typed) == typed


def test_street_whitespace_collapsed():
    assert rules.check_street("  12   Oak  Street ") == "12 Oak Street"


def test_street_required():
    assert refused(rules.check_street, "  ") == "Street address is required."


@pytest.mark.parametrize("typed", ["Oak Street", "12"])
def test_street_needs_number_and_name(typed):
    assert "house number and street" in refused(rules.check_street, typed)


def test_street_refuses_odd_characters_and_length():
    assert "can hold letters, digits" in refused(rules.check_street, "12 Oak <b>")
    assert "at most 100" in refused(rules.check_street, "12 " + "a" * 98)


@pytest.mark.parametrize("typed", ["Columbus", "St. Louis", "Winston-Salem", "Coeur d'Alene", "São Paulo"])
def test_city_accepted(typed):
    assert rules.check_city(typed) == typed


def test_city_required_and_refusals():
    assert refused(rules.check_city, "") == "City is required."
    assert "letters, spaces" in refused(rules.check_city, "Columbus1")
    assert "letters, spaces" in refused(rules.check_city, "a" * 61)


@pytest.mark.parametrize(
    "typed, code",
    [
        ("OH", "OH"),
        ("oh", "OH"),
        (" Ohio ", "OH"),
        ("ohio", "OH"),
        ("NEW YORK", "NY"),
        ("District of Columbia", "DC"),
        ("Puerto Rico", "PR"),
        ("u.s. virgin islands", "VI"),
    ],
)
def test_state_code_or_full_name(typed, code):
    assert rules.check_state(typed) == code


def test_state_unknown_or_missing_refused():
    assert "US state or territory" in refused(rules.check_state, "XX")
    assert "US state or territory" in refused(rules.check_state, "Ontario")
    assert refused(rules.check_state, " ") == "State is required."


@pytest.mark.parametrize("typed", ["43215", "43215-1234", " 43215 ", "４３２１５"])
def test_zip_5_and_9_digits_accepted(typed):
    assert rules.check_zip(typed) == rules.nfkc(typed).strip()


@pytest.mark.parametrize("typed", ["4321", "432156", "43215-123", "43215 1234", "ABCDE", ""])
def test_zip_bad_format_refused(typed):
    assert "ZIP code is 5 digits" in refused(rules.check_zip, typed)


def test_zip_00000_refused():
    assert "00000" in refused(rules.check_zip, "00000")


def test_zip_non_ascii_digits_refused():
    with pytest.raises(RuleError):
        rules.check_zip("١٢٣٤٥")


# -- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["(614) 555-0123", "614-555-0123", "614.555.0123", "6145550123", "+1 614 555 0123", "1 (614) 555-0123"],
)
def test_us_phone_stored_as_e164(typed):
    assert rules.check_phone(typed) == "+16145550123"


def test_us_territory_phone_accepted():
    assert rules.check_phone("+1 787 555 0123") == "+17875550123"  # Puerto Rico


@pytest.mark.parametrize("typed", ["555-0123", "(000) 555-0123", "12345", "call me", "+1 614 555 01234"])
def test_invalid_phone_refused(typed):
    assert "US phone number" in refused(rules.check_phone, typed)


def test_non_us_phone_refused():
    assert "US phone number" in refused(rules.check_phone, "+44 20 7946 0958")
    # Canada shares +1 but HARP sends codes to US numbers only
    assert "US phone number" in refused(rules.check_phone, "+1 416 555 0123")


def test_phone_required_and_too_long():
    assert refused(rules.check_phone, "  ") == "Phone number is required."
    assert "too long" in refused(rules.check_phone, "6" * 31)


def test_format_phone_for_display():
    assert rules.format_phone("+16145550123") == "(614) 555-0123"
    assert rules.format_phone("+442079460958") == "+442079460958"


# -- dates of birth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, parsed",
    [
        ("04/27/1980", date(1980, 4, 27)),
        ("4/7/1980", date(1980, 4, 7)),
        ("1980-04-27", date(1980, 4, 27)),
        (" 04/27/1980 ", date(1980, 4, 27)),
        ("０４/２７/１９８０", date(1980, 4, 27)),
    ],
)
def test_parse_date_us_and_iso(typed, parsed):
    assert rules.parse_date(typed) == parsed


@pytest.mark.parametrize("typed", ["27.04.1980", "1980/04/27", "April 27 1980", "04-27-1980", ""])
def test_parse_date_other_formats_refused(typed):
    assert "MM/DD/YYYY" in refused(rules.parse_date, typed)


def test_parse_date_month_out_of_range():
    assert "month must be 01 to 12" in refused(rules.parse_date, "13/01/2000")


def test_parse_date_day_out_of_range():
    assert "does not exist in month 04" in refused(rules.parse_date, "04/31/1980")


@pytest.mark.parametrize("typed", ["02/29/2023", "2023-02-29"])
def test_feb_29_of_common_year_gets_leap_year_message(typed):
    assert refused(rules.parse_date, typed) == "February 29 exists only in leap years; 2023 is not one."


def test_feb_29_of_leap_year_parses():
    assert rules.parse_date("02/29/2024") == date(2024, 2, 29)


def test_feb_29_birthday_not_18_on_feb_28():
    born = date(2008, 2, 29)
    assert rules.age_on(born, date(2026, 2, 28)) == 17
    assert "at least 18" in refused(rules.check_date_of_birth, "02/29/2008", date(2026, 2, 28))


def test_feb_29_birthday_is_18_on_march_1():
    assert rules.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert rules.check_date_of_birth("02/29/2008", date(2026, 3, 1)) == date(2008, 2, 29)


def test_18th_birthday_exactly_is_adult():
    assert rules.check_date_of_birth("11/23/2008", TODAY) == date(2008, 11, 23)
    assert "at least 18" in refused(rules.check_date_of_birth, "11/24/2008", TODAY)


def test_date_of_birth_in_future_or_today_refused():
    assert refused(rules.check_date_of_birth, "01/01/2030", TODAY) == "Date of birth must be in the past."
    assert refused(rules.check_date_of_birth, TODAY, TODAY) == "Date of birth must be in the past."


def test_date_of_birth_before_1900_refused():
    assert "after 1900" in refused(rules.check_date_of_birth, "12/31/1899", TODAY)
    assert rules.check_date_of_birth("01/01/1900", TODAY) == date(1900, 1, 1)


def test_date_of_birth_accepts_date_objects():
    assert rules.check_date_of_birth(date(1980, 4, 27), TODAY) == date(1980, 4, 27)


def test_year_zero_message_is_about_the_year():
    message = refused(rules.check_date_of_birth, "01/01/0000", TODAY)
    assert "year" in message or "1900" in message


# -- email --------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Any DNS lookup fails, as on the offline machines this runs on."""

    def refuse(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)


def test_email_valid_offline(no_network):
    assert rules.check_email("jane.doe@sunnyacres.org") == "jane.doe@sunnyacres.org"


def test_email_domain_lower_cased(no_network):
    assert rules.check_email(" Jane.Doe@SunnyAcres.ORG ") == "Jane.Doe@sunnyacres.org"


@pytest.mark.parametrize("typed", ["jane", "jane@", "@sunnyacres.org", "jane doe@x.org", "jane@@x.org", "jane@x"])
def test_email_invalid_refused(no_network, typed):
    assert "Enter a valid email address" in refused(rules.check_email, typed)


def test_email_required_and_length(no_network):
    assert refused(rules.check_email, " ") == "Email is required."
    assert "at most 254" in refused(rules.check_email, "a" * 250 + "@x.org")


def test_free_mail_refused_without_exception():
    message = refused(rules.check_email_domain, "jane@gmail.com", False)
    assert "gmail.com is a personal email service" in message
    assert "2 or fewer providers" in message


def test_free_mail_accepted_with_exception():
    assert rules.check_email_domain("jane@gmail.com", True) == "jane@gmail.com"


def test_free_mail_detection_ignores_case():
    assert rules.is_free_email("Jane@GMAIL.COM")
    assert "personal email service" in refused(rules.check_email_domain, "jane@Hotmail.com", False)


@pytest.mark.parametrize("address", ["jane@sunnyacres.org", "jane@mail.sunnyacres.org", "jane@gmail.com.example.org"])
def test_corporate_domain_accepted(address):
    assert not rules.is_free_email(address)
    assert rules.check_email_domain(address, False) == address


def test_free_email_list_loaded_without_comments():
    domains = rules.free_email_domains()
    assert "gmail.com" in domains
    assert not any(d.startswith("#") for d in domains)


# -- User ID ------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [6, 74])
def test_user_id_length_bounds_accepted(length):
    uid = "a" * length
    assert rules.check_user_id(uid) == uid


@pytest.mark.parametrize("length", [5, 75])
def test_user_id_length_bounds_refused(length):
    assert "6 to 74 characters" in refused(rules.check_user_id, "a" * length)


def test_user_id_hash_refused_and_named():
    message = refused(rules.check_user_id, "jdoe#pso")
    assert message.startswith("User ID cannot contain #.")


def test_user_id_ampersand_refused_and_named():
    assert refused(rules.check_user_id, "jdoe&pso").startswith("User ID cannot contain &.")


def test_user_id_space_refused_and_named():
    assert refused(rules.check_user_id, "jdoe pso").startswith("User ID cannot contain space.")


def test_user_id_non_ascii_letter_refused():
    assert "cannot contain" in refused(rules.check_user_id, "jdöe_pso")


def test_user_id_digits_only_refused():
    assert refused(rules.check_user_id, "123456") == "User ID needs at least one letter."


def test_user_id_allowed_punctuation():
    assert rules.check_user_id("j.doe_pso-1@oh") == "j.doe_pso-1@oh"


def test_user_id_required_and_trimmed():
    assert refused(rules.check_user_id, "  ") == "User ID is required."
    assert rules.check_user_id("  jdoe_pso ") == "jdoe_pso"


def test_facility_words_in_user_id_warned():
    assert rules.facility_words_in_user_id("SunnyAcres_pso", "Sunny Acres Care Center") == ["acres", "sunny"]


def test_generic_facility_words_not_flagged():
    assert rules.facility_words_in_user_id("careguy_home", "Sunny Acres Care Center") == []
    assert rules.facility_words_in_user_id("nursing_center", "Maple Nursing Home and Rehab Center") == []


def test_facility_words_under_three_letters_not_flagged():
    assert rules.facility_words_in_user_id("jdoe_st_pso", "St Jo Manor") == []


def test_three_letter_distinctive_word_flagged():
    assert rules.facility_words_in_user_id("jdoe_elm", "Elm Grove") == ["elm"]


# -- password -----------------------------------------------------------------------------------

GOOD_PASSWORD = "Correct-Horse-42x"


def test_password_14_refused_15_accepted():
    assert "15 to 60 characters" in refused(rules.check_password, "Abcdefghijk123")
    assert rules.check_password("Abcdefghijk1234") == "Abcdefghijk1234"


def test_password_60_accepted_61_refused():
    assert rules.check_password("Aa1" + "x" * 57) == "Aa1" + "x" * 57
    assert "15 to 60 characters" in refused(rules.check_password, "Aa1" + "x" * 58)


@pytest.mark.parametrize(
    "password, named",
    [
        ("abcdefghijklmno1", "an upper-case letter"),
        ("ABCDEFGHIJKLMNO1", "a lower-case letter"),
        ("Abcdefghijklmnop", "a digit"),
    ],
)
def test_password_missing_class_named(password, named):
    message = refused(rules.check_password, password)
    assert named in message
    assert rules.SANDBOX_NOTE in message


def test_password_missing_several_classes_names_each():
    message = refused(rules.check_password, "abcdefghijklmnop")
    assert "an upper-case letter" in message and "a digit" in message


def test_password_required():
    assert refused(rules.check_password, "") == "Password is required."


def test_password_containing_user_id_refused_case_insensitively():
    message = refused(rules.check_password, "Xx1-JDOE_PSO-abcdef", "jdoe_pso")
    assert "does not contain your User ID" in message


@pytest.mark.parametrize("password", ["Jane-Horse-42xyz", "Horse-42-DOE-xyzw"])
def test_password_containing_first_or_last_name_refused(password):
    message = refused(rules.check_password, password, "jdoe_pso", "Jane", "Doe")
    assert "first or last name" in message


def test_password_one_letter_name_ignored():
    assert rules.check_password("Correct-Horse-42x", "jdoe_pso", "J", "X") == "Correct-Horse-42x"


def test_password_checklist_items():
    items = rules.password_checklist("short", "jdoe_pso", "Jane", "Doe")
    assert [i.text for i in items] == [
        "15 to 60 characters",
        "an upper-case letter",
        "a lower-case letter",
        "a digit",
        "does not contain your User ID",
        "does not contain your first or last name",
    ]
    assert [i.met for i in items] == [False, False, True, False, True, True]


def test_password_checklist_all_met():
    assert all(i.met for i in rules.password_checklist(GOOD_PASSWORD, "jdoe_pso", "Jane", "Doe"))


def test_password_checklist_without_user_id_or_names():
    items = rules.password_checklist(GOOD_PASSWORD)
    assert items[4].met and items[5].met


# -- challenge answer ---------------------------------------------------------------------------


def test_challenge_answer_normalised():
    assert rules.check_challenge_answer("  blue   bicycle ") == "blue bicycle"


def test_challenge_answer_too_short_or_long():
    assert "at least 4" in refused(rules.check_challenge_answer, "abc")
    assert "at least 4" in refused(rules.check_challenge_answer, "  a  b ")
    assert rules.check_challenge_answer("a" * 100) == "a" * 100
    assert "at most 100" in refused(rules.check_challenge_answer, "a" * 101)


def test_challenge_answer_inside_password_refused():
    assert "part of your password" in refused(rules.check_challenge_answer, "HORSE", GOOD_PASSWORD)
    assert rules.check_challenge_answer("blue bicycle", GOOD_PASSWORD) == "blue bicycle"


def test_normalise_answer_ignores_case_and_spacing():
    assert rules.normalise_answer(" Blue   BICYCLE ") == rules.normalise_answer("blue bicycle")


# -- roles, eligibility, approval ---------------------------------------------------------------


def test_vendor_cannot_be_pso_and_message_names_alternative():
    message = refused(rules.check_role_eligibility, "pso", True, "Provider Security Official", ["PBJ Submitter"])
    assert "A vendor cannot be a Provider Security Official" in message
    assert "PBJ Submitter" in message


def test_vendor_pso_refusal_without_alternatives_still_helps():
    message = refused(rules.check_role_eligibility, "pso", True, "Provider Security Official", [])
    assert "the role your work needs" in message


def test_employee_may_be_pso():
    assert rules.check_role_eligibility("pso", False, "Provider Security Official", ["PBJ Submitter"]) == "pso"


def test_vendor_may_be_pbj_submitter():
    assert rules.check_role_eligibility("pbj_submitter", True, "PBJ Submitter", ["PBJ Submitter"]) == "pbj_submitter"


def test_first_pso_approved_by_cms():
    approver = rules.approver_for("pso", provider_has_active_pso=False)
    assert approver.kind == "cms"
    assert "CMS" in approver.description


def test_further_pso_approved_by_provider_pso():
    assert rules.approver_for("pso", provider_has_active_pso=True).kind == "pso"


def test_other_role_without_pso_has_no_approver_and_advice():
    approver = rules.approver_for("pbj_submitter", provider_has_active_pso=False)
    assert approver.kind == "none"
    assert "register a PSO first" in approver.description


def test_other_role_with_pso_approved_by_pso():
    approver = rules.approver_for("pbj_submitter", provider_has_active_pso=True)
    assert approver.kind == "pso"
    assert "Provider Security Officials" in approver.description
