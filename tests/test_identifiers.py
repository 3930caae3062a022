"""CCN and Facility ID parsing (wizard/identifiers.py): plain unit tests, no UI."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.identifiers import (
    STATE_CODES,
    Ccn,
    FacilityId,
    IdentifierError,
    parse_organization_id,
)

# -- CCN: accepted forms ------------------------------------------------------------------------


def test_leading_zero_state_code_stays_text():
    ccn = Ccn.parse("015009")
    assert ccn.value == "015009"
    assert str(ccn) == "015009"
    assert ccn.state_code == "01"
    assert ccn.state == "AL"
    assert ccn.kind == "Nursing facility / SNF"


@pytest.mark.parametrize(
    "typed",
    ["015009", " 015009 ", "01 5009", "\t015009\n", "０１５００９", "01\u00a05009"],
)
def test_spaces_and_full_width_digits_are_forgiven(typed):
    assert Ccn.parse(typed).value == "015009"


def test_lower_case_is_upper_cased():
    ccn = Ccn.parse("01a193")
    assert ccn.value == "01A193"


@pytest.mark.parametrize("letter", list("ABEF"))
def test_medicaid_only_letter_in_position_3(letter):
    ccn = Ccn.parse(f"01{letter}193")
    assert ccn.is_medicaid_only and not ccn.is_swing_bed
    assert ccn.kind == "Medicaid-only nursing facility"
    assert ccn.state == "AL"


@pytest.mark.parametrize("letter", list("UWYZ"))
def test_swing_bed_letter_in_position_3(letter):
    ccn = Ccn.parse(f"45{letter}123")
    assert ccn.is_swing_bed and not ccn.is_medicaid_only
    assert ccn.kind == "Swing bed"
    assert ccn.state == "TX"


@pytest.mark.parametrize(
    ("code", "state"),
    [("55", "CA"), ("75", "CA"), ("67", "TX"), ("74", "TX"), ("68", "FL"), ("65", "GU"),
     ("A0", "CA"), ("A9", "TX"), ("B2", "CA")],
)
def test_extra_state_codes(code, state):
    ccn = Ccn.parse(f"{code}5001")
    assert ccn.state_code == code
    assert ccn.state == state


def test_letter_digit_state_code_without_a_known_state_still_parses():
    ccn = Ccn.parse("E31500")
    assert ccn.state_code == "E3"
    assert ccn.state is None
    assert ccn.kind == "Hospice"


def test_unknown_numeric_state_code_parses_with_no_state():
    assert Ccn.parse("995001").state is None  # 99: foreign countries, no USPS state


@pytest.mark.parametrize(
    ("ccn", "kind"),
    [
        ("015000", "Nursing facility / SNF"),
        ("015500", "Nursing facility / SNF"),
        ("016499", "Nursing facility / SNF"),
        ("016500", "Outpatient physical therapy provider"),
        ("014999", "Other provider type"),
        ("011500", "Hospice"),
        ("011799", "Hospice"),
        ("011800", "Federally qualified health center"),
        ("011300", "Critical access hospital"),
        ("011399", "Critical access hospital"),
        ("012000", "Long-term care hospital"),
        ("012299", "Long-term care hospital"),
        ("013024", "Other provider type"),
        ("013025", "Inpatient rehabilitation facility"),
        ("013099", "Inpatient rehabilitation facility"),
        ("013100", "Home health agency"),
        ("013199", "Home health agency"),
        ("017000", "Home health agency"),
        ("018499", "Home health agency"),
        ("018500", "Rural health clinic"),
        ("019000", "Home health agency"),
        ("019799", "Home health agency"),
        ("019800", "Transplant center"),
        ("010001", "Short-term hospital"),
        ("210101", "Short-term hospital"),
        ("010879", "Short-term hospital"),
        ("010880", "Other provider type"),
        ("019900", "Other provider type"),
    ],
)
def test_kind_by_number_range(ccn, kind):
    assert Ccn.parse(ccn).kind == kind


# -- CCN: refused forms -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["15009", "0150091", "0", "01500912345"])
def test_wrong_length_refused_with_count(typed):
    with pytest.raises(IdentifierError) as err:
        Ccn.parse(typed)
    message = str(err.value)
    assert "6 characters" in message
    assert f"you typed {len(typed)}" in message
    assert "015009" in message


@pytest.mark.parametrize("typed", ["", "   ", "\n"])
def test_empty_refused(typed):
    with pytest.raises(IdentifierError, match="Enter a CCN"):
        Ccn.parse(typed)


@pytest.mark.parametrize(
    ("typed", "bad"), [("01#009", '"#"'), ("01-5009", '"-"'), ("01500é", '"é"')]
)
def test_punctuation_refused_and_named(typed, bad):
    with pytest.raises(IdentifierError) as err:
        Ccn.parse(typed)
    assert bad in str(err.value)
    assert "only letters and digits" in str(err.value)


def test_control_character_is_described_not_echoed():
    with pytest.raises(IdentifierError) as err:
        Ccn.parse("01\x1b[009")
    assert "\x1b" not in str(err.value)
    assert "U+001B" in str(err.value)


def test_dotless_i_is_not_turned_into_ascii():
    with pytest.raises(IdentifierError):
        Ccn.parse("01ı193")  # "ı".upper() == "I" in Python; refuse rather than guess


@pytest.mark.parametrize("typed", ["F15009", "AA5009", "1A5009", "Z05009"])
def test_bad_state_code_refused(typed):
    with pytest.raises(IdentifierError, match="state code"):
        Ccn.parse(typed)


@pytest.mark.parametrize("typed", ["01G123", "01P123", "01C123", "01T123"])
def test_other_letters_in_position_3_refused(typed):
    with pytest.raises(IdentifierError, match="3rd character"):
        Ccn.parse(typed)


@pytest.mark.parametrize("typed", ["01A12B", "015A09", "0150E9"])
def test_letters_after_position_3_refused(typed):
    with pytest.raises(IdentifierError, match="last 3 characters|3rd character"):
        Ccn.parse(typed)


def test_number_is_refused_because_zeros_would_be_lost():
    with pytest.raises(IdentifierError, match="as text"):
        Ccn.parse(15009)  # type: ignore[arg-type]


def test_identifier_error_is_a_value_error_with_a_human_message():
    with pytest.raises(ValueError) as err:
        Ccn.parse("15009")
    assert isinstance(err.value, IdentifierError)
    assert str(err.value) == err.value.message
    assert str(err.value).endswith(".")


def test_constructor_only_takes_the_canonical_form():
    assert Ccn("015009").value == "015009"
    for bad in ["15009", "01a193", " 015009", "01#009"]:
        with pytest.raises(IdentifierError):
            Ccn(bad)


def test_ccn_is_frozen_hashable_and_ordered():
    a, b = Ccn.parse("015009"), Ccn.parse("015010")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.value = "015010"  # type: ignore[misc]
    assert {a, Ccn("015009")} == {a}
    assert sorted([b, a]) == [a, b]


def test_state_table_has_the_common_codes():
    expected = {"01": "AL", "05": "CA", "09": "DC", "10": "FL", "33": "NY", "40": "PR",
                "45": "TX", "48": "VI", "53": "WY"}
    for code, state in expected.items():
        assert STATE_CODES[code] == state
    assert all(len(v) == 2 and v.isupper() for v in STATE_CODES.values())


# -- Facility ID --------------------------------------------------------------------------------


def test_facility_id_normalised():
    assert FacilityId.parse(" al2294 4795 ").value == "AL22944795"
    assert FacilityId.parse("ａｂ１").value == "AB1"
    assert str(FacilityId.parse("x")) == "X"


def test_facility_id_16_ok_17_refused():
    assert FacilityId.parse("A" * 16).value == "A" * 16
    with pytest.raises(IdentifierError, match="at most 16") as err:
        FacilityId.parse("A" * 17)
    assert "you typed 17" in str(err.value)


@pytest.mark.parametrize("typed", ["AB-123", "AB_123", "AB.1", "AB#1", "AB&1", "AB/1", "ÄB1"])
def test_facility_id_punctuation_refused(typed):
    with pytest.raises(IdentifierError, match="only letters and digits"):
        FacilityId.parse(typed)


@pytest.mark.parametrize("typed", ["", "  ", "\t"])
def test_facility_id_empty_refused(typed):
    with pytest.raises(IdentifierError, match="Enter a Facility ID"):
        FacilityId.parse(typed)


def test_facility_id_constructor_only_takes_canonical_form():
    with pytest.raises(IdentifierError):
        FacilityId("al1")
    with pytest.raises(IdentifierError):
        FacilityId("")


# -- parse_organization_id ----------------------------------------------------------------------


def test_parse_organization_id_dispatches():
    assert parse_organization_id("ccn", "015009") == Ccn("015009")
    assert parse_organization_id("facility_id", "al22944795") == FacilityId("AL22944795")
    with pytest.raises(IdentifierError):
        parse_organization_id("ccn", "AL22944795")
    with pytest.raises(ValueError):
        parse_organization_id("npi", "015009")  # type: ignore[arg-type]


# -- property tests -----------------------------------------------------------------------------


@given(st.text())
def test_ccn_parse_never_raises_anything_else(text):
    try:
        ccn = Ccn.parse(text)
    except IdentifierError as err:
        assert str(err)
    else:
        assert len(ccn.value) == 6 and ccn.value.isascii() and ccn.value.isalnum()
        assert Ccn.parse(ccn.value) == ccn
        assert ccn.kind
        assert ccn.state is None or len(ccn.state) == 2


@given(st.text())
def test_facility_id_parse_never_raises_anything_else(text):
    try:
        fid = FacilityId.parse(text)
    except IdentifierError as err:
        assert str(err)
    else:
        assert 1 <= len(fid.value) <= 16 and fid.value.isascii() and fid.value.isalnum()
        assert fid.value == fid.value.upper()
        assert FacilityId.parse(fid.value) == fid


@given(st.from_regex(r"\A(?:[0-9]{2}|[A-E][0-9])(?:[0-9]{4}|[ABEFUWYZ][0-9]{3})\Z"))
def test_every_well_formed_ccn_parses(text):
    assert Ccn.parse(text).value == text
    assert Ccn.parse(text.lower()).value == text


@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text())))
def test_non_text_input_is_refused_cleanly(value):
    with pytest.raises(IdentifierError):
        Ccn.parse(value)
    with pytest.raises(IdentifierError):
        FacilityId.parse(value)
