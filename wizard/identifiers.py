"""Identifier types: CCN (CMS Certification Number) and iQIES Facility ID.

Plain Python on purpose (no pydantic, no textual): screens, the headless runner and the
provider directory all parse identifiers, and this module must import in microseconds.

[CMS] CCN: 6 characters, a 2-character state code then 4 characters whose number range gives
the provider type (State Operations Manual, chapter 2, section 2779A). Medicaid-only nursing
facilities carry a letter A, B, E or F in position 3; swing beds U, W, Y or Z. States that ran
out of numbers got extra state codes (e.g. 55 and 75 for California, 67 and 74 for Texas),
including letter-digit codes (A0 and up). A CCN is text: "015009" keeps its leading zero.

[CMS] Facility ID: the state-assigned MDS submission ID, up to 16 letters and digits, unique
within a state.

Every refusal is an :class:`IdentifierError` (a ``ValueError``, so pydantic validators turn it
into an ordinary validation error) whose message says what to type instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CCN_EXAMPLE",
    "FACILITY_ID_MAX_LEN",
    "STATE_CODES",
    "Ccn",
    "FacilityId",
    "IdentifierError",
    "normalize_identifier_text",
    "parse_organization_id",
]

CCN_EXAMPLE = "015009"
FACILITY_ID_MAX_LEN = 16

_CCN_SHAPE = "A CCN has 6 characters: a 2-digit state code then 4 digits, like 015009."


class IdentifierError(ValueError):
    """A CCN or Facility ID that cannot be right; ``str()`` tells the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------------------------
# State codes (SOM chapter 2, section 2779A1, with the extra codes added since 2016).
# Codes seen in the August 2021 nursing-home file were checked against its State column
# (tools/build_directory.py asserts it); the others follow the SOM table as transcribed.
# Codes that are syntactically fine but unknown here (e.g. 56 Canada, 59 Mexico, 99 foreign,
# later letter codes) still parse; Ccn.state is then None.
STATE_CODES: dict[str, str] = {
    "01": "AL", "02": "AK", "03": "AZ", "04": "AR", "05": "CA", "06": "CO", "07": "CT",
    "08": "DE", "09": "DC", "10": "FL", "11": "GA", "12": "HI", "13": "ID", "14": "IL",
    "15": "IN", "16": "IA", "17": "KS", "18": "KY", "19": "LA", "20": "ME", "21": "MD",
    "22": "MA", "23": "MI", "24": "MN", "25": "MS", "26": "MO", "27": "MT", "28": "NE",
    "29": "NV", "30": "NH", "31": "NJ", "32": "NM", "33": "NY", "34": "NC", "35": "ND",
    "36": "OH", "37": "OK", "38": "OR", "39": "PA", "40": "PR", "41": "RI", "42": "SC",
    "43": "SD", "44": "TN", "45": "TX", "46": "UT", "47": "VT", "48": "VI", "49": "VA",
    "50": "WA", "51": "WV", "52": "WI", "53": "WY",
    # Extra codes for states that ran out of numbers, and the territories.
    "54": "ID", "55": "CA", "57": "NY", "58": "WV",
    "64": "AS", "65": "GU", "66": "MP",
    "67": "TX", "68": "FL", "69": "FL", "70": "KS", "71": "LA", "72": "OH", "73": "PA",
    "74": "TX", "75": "CA", "76": "IA", "77": "MN", "78": "IL", "79": "MO", "80": "MD",
    "81": "CT", "82": "MA", "83": "NJ", "84": "PR", "85": "GA", "86": "NC", "87": "SC",
    "88": "TN", "89": "AR", "90": "OK", "91": "CO", "92": "CA", "93": "OR", "94": "WA",
    "95": "LA", "96": "NM", "97": "TX",
    "A0": "CA", "A1": "CA", "A2": "FL", "A3": "LA", "A4": "MI", "A5": "MS", "A6": "OH",
    "A7": "PA", "A8": "TN", "A9": "TX", "B0": "KY", "B1": "WV", "B2": "CA",
}

MEDICAID_ONLY_LETTERS = frozenset("ABEF")
SWING_BED_LETTERS = frozenset("UWYZ")

# (low, high, kind) over the 4-digit number in positions 3-6; first match wins. The ranges
# DESIGN section 6 lists (SNF, hospice, LTCH, IRF, HHA, CAH) are checked; the others follow
# SOM chapter 2, section 2779A1 as transcribed (numbers outside every range: KIND_OTHER).
KIND_SHORT_TERM_HOSPITAL = "Short-term hospital"
KIND_NURSING = "Nursing facility / SNF"
_KIND_RANGES: tuple[tuple[int, int, str], ...] = (
    (1, 879, KIND_SHORT_TERM_HOSPITAL),
    (1300, 1399, "Critical access hospital"),
    (1400, 1499, "Community mental health center"),
    (1500, 1799, "Hospice"),
    (1800, 1989, "Federally qualified health center"),
    (1990, 1999, "Religious nonmedical health care institution"),
    (2000, 2299, "Long-term care hospital"),
    (2300, 2999, "Dialysis facility"),
    (3025, 3099, "Inpatient rehabilitation facility"),
    (3100, 3199, "Home health agency"),
    (3200, 3299, "Comprehensive outpatient rehabilitation facility"),
    (3300, 3399, "Children's hospital"),
    (3400, 3499, "Rural health clinic"),
    (3500, 3799, "Dialysis facility"),
    (3800, 3999, "Rural health clinic"),
    (4000, 4499, "Psychiatric hospital"),
    (5000, 6499, KIND_NURSING),
    (6500, 6989, "Outpatient physical therapy provider"),
    (7000, 8499, "Home health agency"),
    (8500, 8999, "Rural health clinic"),
    (9000, 9799, "Home health agency"),
    (9800, 9899, "Transplant center"),
)
# The number ranges of nursing homes, for messages: what this sandbox's directory lists.
NURSING_RANGE_TEXT = "5000-6499, or a letter A, B, E or F in the 3rd place"
KIND_MEDICAID_ONLY = "Medicaid-only nursing facility"
KIND_SWING_BED = "Swing bed"
KIND_OTHER = "Other provider type"

_CANONICAL_CCN = re.compile(r"(?:[0-9]{2}|[A-E][0-9])(?:[0-9]{4}|[ABEFUWYZ][0-9]{3})")
_CANONICAL_FID = re.compile(r"[A-Z0-9]{1,16}")
_WHITESPACE = re.compile(r"\s+")


def normalize_identifier_text(text: str) -> str:
    """NFKC-normalise and drop all whitespace (inside too); case is left alone.

    Full-width digits and letters become ASCII, so "０１５００９" reads as "015009".
    """
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def _describe_char(ch: str) -> str:
    """A safe way to show one offending character in a message (never a raw control char)."""
    if ch.isprintable() and not ch.isspace():
        return f'"{ch}"'
    return f"U+{ord(ch):04X} (an invisible character)"


def _first_bad_char(text: str) -> str | None:
    """The first character that is not an ASCII letter or digit (checked before upper-casing,
    so that e.g. a dotless "ı" is refused rather than turned into "I")."""
    for ch in text:
        if not ("0" <= ch <= "9" or "A" <= ch <= "Z" or "a" <= ch <= "z"):
            return ch
    return None


@dataclass(frozen=True, order=True, slots=True)
class Ccn:
    """A CMS Certification Number, canonical: 6 upper-case ASCII letters/digits.

    Build one with :meth:`parse` (which normalises user input); the constructor only accepts
    the canonical form.
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _CANONICAL_CCN.fullmatch(self.value):
            raise IdentifierError(f"Not a valid CCN. {_CCN_SHAPE}")

    @classmethod
    def parse(cls, text: object) -> Ccn:
        """Read a CCN as a user typed it; raise :class:`IdentifierError` saying how to fix it."""
        if not isinstance(text, str):
            raise IdentifierError(
                "Type the CCN as text, so that leading zeros are kept. " + _CCN_SHAPE
            )
        value = normalize_identifier_text(text)
        if not value:
            raise IdentifierError("Enter a CCN. " + _CCN_SHAPE)
        bad = _first_bad_char(value)
        if bad is not None:
            raise IdentifierError(
                f"A CCN has only letters and digits; remove {_describe_char(bad)}. "
                + _CCN_SHAPE
            )
        value = value.upper()
        if len(value) == 5 and value.isdigit():
            raise IdentifierError(
                "A CCN has exactly 6 characters; you typed 5. A 5-digit CCN has probably lost "
                "its leading zero (a spreadsheet drops it when the column holds numbers): "
                f"try 0{value}. It is a 2-digit state code then 4 digits, like 015009."
            )
        if len(value) != 6:
            raise IdentifierError(
                f"A CCN has exactly 6 characters; you typed {len(value)}. "
                "It is a 2-digit state code then 4 digits, like 015009."
            )
        state, third, rest = value[:2], value[2], value[3:]
        if not (state.isdigit() or (state[0] in "ABCDE" and state[1].isdigit())):
            raise IdentifierError(
                f'A CCN starts with a state code: 2 digits (01 is Alabama), or for some '
                f'states a letter A to E and a digit. "{state}" is not one. ' + _CCN_SHAPE
            )
        if not (third.isdigit() or third in MEDICAID_ONLY_LETTERS or third in SWING_BED_LETTERS):
            raise IdentifierError(
                "The 3rd character of a CCN is a digit, or a letter A, B, E or F "
                "(Medicaid-only nursing facility) or U, W, Y or Z (swing bed); "
                f'"{third}" is none of these. ' + _CCN_SHAPE
            )
        if not rest.isdigit():
            raise IdentifierError(
                f'The last 3 characters of a CCN are digits; "{rest}" is not. ' + _CCN_SHAPE
            )
        return cls(value)

    @property
    def state_code(self) -> str:
        """Positions 1-2, e.g. "01"; "55" and "67" are extra codes for CA and TX."""
        return self.value[:2]

    @property
    def state(self) -> str | None:
        """USPS abbreviation of the state the state code stands for, or None if unknown."""
        return STATE_CODES.get(self.value[:2])

    @property
    def is_medicaid_only(self) -> bool:
        return self.value[2] in MEDICAID_ONLY_LETTERS

    @property
    def is_swing_bed(self) -> bool:
        return self.value[2] in SWING_BED_LETTERS

    @property
    def number_range(self) -> tuple[int, int] | None:
        """The SOM range the 4-digit number falls in, e.g. (1, 879), or None (a letter, or
        no known range)."""
        if not self.value[2].isdigit():
            return None
        number = int(self.value[2:])
        for low, high, _kind in _KIND_RANGES:
            if low <= number <= high:
                return low, high
        return None

    @property
    def is_nursing_home(self) -> bool:
        """A nursing home's CCN: SNF range or Medicaid-only letter (the sandbox's providers)."""
        return self.kind in (KIND_NURSING, KIND_MEDICAID_ONLY)

    @property
    def kind(self) -> str:
        """A human provider type from the letter in position 3 or the number range."""
        third = self.value[2]
        if third in MEDICAID_ONLY_LETTERS:
            return KIND_MEDICAID_ONLY
        if third in SWING_BED_LETTERS:
            return KIND_SWING_BED
        number = int(self.value[2:])
        for low, high, kind in _KIND_RANGES:
            if low <= number <= high:
                return kind
        return KIND_OTHER

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True, slots=True)
class FacilityId:
    """An iQIES/MDS Facility ID, canonical: 1 to 16 upper-case ASCII letters/digits."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _CANONICAL_FID.fullmatch(self.value):
            raise IdentifierError(
                "Not a valid Facility ID: it has 1 to 16 letters and digits, like AL12345678."
            )

    @classmethod
    def parse(cls, text: object) -> FacilityId:
        """Read a Facility ID as a user typed it; raise :class:`IdentifierError` if wrong."""
        if not isinstance(text, str):
            raise IdentifierError("Type the Facility ID as text: up to 16 letters and digits.")
        value = normalize_identifier_text(text)
        if not value:
            raise IdentifierError(
                "Enter a Facility ID: up to 16 letters and digits, as your state assigned it "
                "for MDS submissions."
            )
        bad = _first_bad_char(value)
        if bad is not None:
            raise IdentifierError(
                f"A Facility ID has only letters and digits; remove {_describe_char(bad)}."
            )
        value = value.upper()
        if len(value) > FACILITY_ID_MAX_LEN:
            raise IdentifierError(
                f"A Facility ID has at most {FACILITY_ID_MAX_LEN} letters and digits; "
                f"you typed {len(value)}. Check it against your state's MDS records."
            )
        return cls(value)

    def __str__(self) -> str:
        return self.value


def parse_organization_id(
    search_by: Literal["ccn", "facility_id"], text: object
) -> Ccn | FacilityId:
    """Parse what was typed in "Search for" under the chosen "Search By" option."""
    if search_by == "ccn":
        return Ccn.parse(text)
    if search_by == "facility_id":
        return FacilityId.parse(text)
    raise ValueError(f"search_by must be 'ccn' or 'facility_id', not {search_by!r}")
