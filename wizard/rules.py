"""Every rule a user can meet, in one place: the screens and the headless runner both call these.

Each check either returns the normalised value or raises :class:`RuleError` whose text names
what is wrong and what to do. Rules marked "sandbox" are the app's own (CMS publishes none);
the screens say so next to the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from wizard.resources import data_dir as _data_dir

DATA_DIR = _data_dir()

SANDBOX_NOTE = "sandbox rule, modelled on CMS IDM"


class RuleError(ValueError):
    """A rule was broken; ``str(err)`` is the message shown to the user."""


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# --- names and addresses -------------------------------------------------------------------

_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]*)*$")
MAX_NAME = 50


def check_name(text: str, what: str = "Name") -> str:
    value = " ".join(nfkc(text).split())
    if not value:
        raise RuleError(f"{what} is required.")
    if len(value) > MAX_NAME:
        raise RuleError(f"{what} can be at most {MAX_NAME} characters.")
    if not _NAME_RE.match(value):
        raise RuleError(f"{what} can hold letters, spaces, hyphens, apostrophes and periods only.")
    return value


SUFFIXES = ("Jr.", "Sr.", "II", "III", "IV", "V")


def check_suffix(text: str) -> str:
    value = nfkc(text).strip()
    for suffix in SUFFIXES:
        if value.casefold() in {suffix.casefold(), suffix.rstrip(".").casefold()}:
            return suffix
    raise RuleError(f"Suffix must be one of: {', '.join(SUFFIXES)}.")


def check_street(text: str) -> str:
    value = " ".join(nfkc(text).split())
    if not value:
        raise RuleError("Street address is required.")
    if len(value) > 100:
        raise RuleError("Street address can be at most 100 characters.")
    if not re.search(r"[A-Za-z]", value) or not re.search(r"\d", value):
        raise RuleError("Enter the house number and street, like 12 Oak Street.")
    if not re.fullmatch(r"[\w .,'#/\-]+", value):
        raise RuleError("Street address can hold letters, digits, spaces and . , ' # / - only.")
    return value


def check_city(text: str) -> str:
    value = " ".join(nfkc(text).split())
    if not value:
        raise RuleError("City is required.")
    if len(value) > 60 or not re.fullmatch(r"[^\W\d_]+(?:[ '\-.]+[^\W\d_]+)*\.?", value):
        raise RuleError("City can hold letters, spaces, hyphens, apostrophes and periods only.")
    return value


US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}


def check_state(text: str) -> str:
    value = nfkc(text).strip()
    if not value:
        raise RuleError("State is required.")
    upper = value.upper()
    if upper in US_STATES:
        return upper
    for code, name in US_STATES.items():
        if name.casefold() == value.casefold():
            return code
    raise RuleError("State must be a US state or territory, like OH or Ohio.")


def check_zip(text: str) -> str:
    value = nfkc(text).strip()
    if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", value):
        raise RuleError("ZIP code is 5 digits, or 5 digits, a hyphen and 4 digits (43215-1234).")
    if value.startswith("00000"):
        raise RuleError("00000 is not a ZIP code in use; enter your home ZIP code.")
    return value


def check_phone(text: str) -> str:
    """A US phone number, stored as E.164."""
    import phonenumbers  # imported here: it costs start-up time the first screen does not need

    value = nfkc(text).strip()
    if not value:
        raise RuleError("Phone number is required.")
    if len(value) > 30:
        raise RuleError("Phone number is too long; enter 10 digits like (410) 555-0123.")
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise RuleError("Enter a US phone number with area code, like (410) 555-0123.") from None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        raise RuleError("Enter a US phone number with area code, like (410) 555-0123.")
    if phonenumbers.region_code_for_number(number) not in {"US", "PR", "GU", "VI", "AS", "MP"}:
        raise RuleError("Enter a US phone number; HARP sends codes to US numbers.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """+14105550123 -> (410) 555-0123, for display."""
    digits = e164[2:] if e164.startswith("+1") else e164
    if len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return e164


# --- date of birth ---------------------------------------------------------------------------

ADULT_AGE = 18


def parse_date(text: str) -> date:
    value = nfkc(text).strip()
    m = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", value) or re.fullmatch(
        r"([0-9]{2})([0-9]{2})([0-9]{4})", value  # 04271980, as people type it on a keypad
    )
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    if m:
        month, day, year = (int(g) for g in m.groups())
    elif iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        raise RuleError("Enter the date as MM/DD/YYYY, like 04/27/1980.")
    if not 1 <= month <= 12:
        raise RuleError("The month must be 01 to 12 (MM/DD/YYYY).")
    if year < 1900:
        raise RuleError("Date of birth must be after 1900; check the year (MM/DD/YYYY).")
    try:
        return date(year, month, day)
    except ValueError:
        if month == 2 and day == 29:
            raise RuleError(f"February 29 exists only in leap years; {year} is not one.") from None
        raise RuleError(f"That day does not exist in month {month:02d}; check the date.") from None


def age_on(born: date, today: date) -> int:
    # A Feb 29 birthday counts from March 1 in common years: (2, 28) < (2, 29).
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_date_of_birth(value: str | date, today: date) -> date:
    born = value if isinstance(value, date) else parse_date(value)
    if born >= today:
        raise RuleError("Date of birth must be in the past.")
    if born.year < 1900:
        raise RuleError("Date of birth must be after 1900; check the year.")
    if age_on(born, today) < ADULT_AGE:
        raise RuleError(f"You must be at least {ADULT_AGE} to hold a HARP account.")
    return born


# --- email -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def free_email_domains() -> frozenset[str]:
    lines = (DATA_DIR / "free_email_domains.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def check_email(text: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = nfkc(text).strip()
    if not value:
        raise RuleError("Email is required.")
    if len(value) > 254:
        raise RuleError("Email can be at most 254 characters.")
    try:
        # Offline machine: a deliverability check would refuse every address.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise RuleError(
            f"Enter a valid email address, like jane.doe@yourfacility.org ({str(err).rstrip('.')})."
        ) from None


def is_free_email(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in free_email_domains()


def check_email_domain(email: str, personal_email_allowed: bool) -> str:
    """[CMS] A corporate address; a personal one only for a facility with 2 or fewer providers
    and no corporate email domain (which the user states)."""
    if is_free_email(email) and not personal_email_allowed:
        domain = email.rsplit("@", 1)[-1]
        raise RuleError(
            f"{domain} is a personal email service. Use your work email, or tick "
            "'2 or fewer providers, no work email domain' if that is true for your facility."
        )
    return email


# --- User ID and password --------------------------------------------------------------------

USER_ID_MIN, USER_ID_MAX = 6, 74
_USER_ID_ALLOWED = re.compile(r"[A-Za-z0-9._\-@]+")
_GENERIC_FACILITY_WORDS = frozenset(
    "the and of at for llc inc corp center centre care home homes health healthcare nursing "
    "rehab rehabilitation living senior village manor facility skilled".split()
)


def check_user_id(text: str) -> str:
    value = nfkc(text).strip()
    if not value:
        raise RuleError("User ID is required.")
    bad = sorted({c for c in value if not _USER_ID_ALLOWED.fullmatch(c)})
    if bad:
        shown = " ".join(
            "space" if c == " " else (c if c.isprintable() else f"U+{ord(c):04X}") for c in bad[:5]
        )
        raise RuleError(
            f"User ID cannot contain {shown}. Use letters, digits and . _ - @ only "
            "(CMS: avoid special characters such as # or &)."
        )
    if not USER_ID_MIN <= len(value) <= USER_ID_MAX:
        raise RuleError(f"User ID must be {USER_ID_MIN} to {USER_ID_MAX} characters ({SANDBOX_NOTE}).")
    if not re.search(r"[A-Za-z]", value):
        raise RuleError("User ID needs at least one letter.")
    return value


def facility_words_in_user_id(user_id: str, facility_name: str) -> list[str]:
    """Distinctive words of the facility's name found in the User ID (a warning, not a refusal)."""
    uid = user_id.casefold()
    words = re.findall(r"[^\W_]+", nfkc(facility_name).casefold())
    return sorted(
        {w for w in words if len(w) >= 3 and w not in _GENERIC_FACILITY_WORDS and w in uid}
    )


PASSWORD_MIN, PASSWORD_MAX = 15, 60


@dataclass(frozen=True)
class Requirement:
    text: str
    met: bool


def password_checklist(
    password: str, user_id: str = "", first_name: str = "", last_name: str = ""
) -> list[Requirement]:
    """The password rule as a checklist, for the live display and for refusals alike."""
    folded = password.casefold()

    def free_of(part: str) -> bool:
        part = part.strip().casefold()
        return not part or part not in folded

    return [
        Requirement(f"{PASSWORD_MIN} to {PASSWORD_MAX} characters", PASSWORD_MIN <= len(password) <= PASSWORD_MAX),
        Requirement("an upper-case letter", any(c.isupper() for c in password)),
        Requirement("a lower-case letter", any(c.islower() for c in password)),
        Requirement("a digit", any(c.isdigit() for c in password)),
        Requirement("does not contain your User ID", free_of(user_id)),
        Requirement(
            "does not contain your first or last name",
            all(free_of(n) for n in (first_name, last_name) if len(n.strip()) >= 2),
        ),
    ]


def check_password(password: str, user_id: str = "", first_name: str = "", last_name: str = "") -> str:
    if not password:
        raise RuleError("Password is required.")
    missing = [r.text for r in password_checklist(password, user_id, first_name, last_name) if not r.met]
    if missing:
        raise RuleError("Password needs: " + "; ".join(missing) + f" ({SANDBOX_NOTE}).")
    return password


def check_challenge_answer(answer: str, password: str = "") -> str:
    value = " ".join(nfkc(answer).split())
    if len(value) < 4:
        raise RuleError("Challenge answer needs at least 4 characters.")
    if len(value) > 100:
        raise RuleError("Challenge answer can be at most 100 characters.")
    if password and value.casefold() in password.casefold():
        raise RuleError("Challenge answer must not be part of your password.")
    return value


def normalise_answer(answer: str) -> str:
    """Challenge answers match regardless of case and spacing."""
    return " ".join(nfkc(answer).casefold().split())


# --- roles, eligibility and approval ---------------------------------------------------------

PSO_ROLE = "pso"


def check_role_eligibility(role_id: str, is_vendor: bool, role_name: str, vendor_roles: list[str]) -> str:
    """[CMS] The PSO must work for the provider and cannot be a vendor."""
    if is_vendor and role_id == PSO_ROLE:
        alternatives = " or ".join(vendor_roles) or "the role your work needs"
        raise RuleError(
            "A vendor cannot be a Provider Security Official: the PSO must work for the provider. "
            f"Ask for {alternatives} for each facility by its CCN; that facility's PSO approves it."
        )
    return role_id


@dataclass(frozen=True)
class Approver:
    kind: str  # "cms" or "pso" or "none"
    description: str


def approver_for(role_id: str, provider_has_active_pso: bool) -> Approver:
    """[CMS] CMS approves a provider's first PSO; its PSOs approve further PSOs and all other roles."""
    if provider_has_active_pso:
        return Approver("pso", "this provider's Provider Security Officials")
    if role_id == PSO_ROLE:
        return Approver("cms", "CMS (this provider has no active PSO)")
    return Approver(
        "none",
        "nobody yet: this provider has no active PSO, and only a PSO can approve this role. "
        "Ask your facility to register a PSO first.",
    )



# --- a CCN the directory does not hold -------------------------------------------------------

# [CMS] Provider types whose staff get their roles in iQIES, as nursing-home staff do.
_IQIES_KINDS = frozenset({
    "Short-term hospital", "Critical access hospital", "Long-term care hospital",
    "Inpatient rehabilitation facility", "Hospice", "Home health agency",
    "Psychiatric hospital", "Children's hospital", "Swing bed",
})


def _a(words: str) -> str:
    return "an" if words[:1].upper() in "AEIOU" else "a"


def ccn_outside_directory(ccn: object, release: str = "CMS's nursing homes, August 2021") -> str:
    """Why a well-formed CCN is not in the sandbox directory, naming its provider type.

    The screens (Add Organizations) and the answers-file check both show this text (through
    ``directory.find_organization``), so a hospital's number is never just "not found".
    """
    from wizard.identifiers import (
        KIND_MEDICAID_ONLY, KIND_OTHER, KIND_SWING_BED, NURSING_RANGE_TEXT, Ccn,
    )

    assert isinstance(ccn, Ccn)
    state = US_STATES.get(ccn.state or "", "")
    where = f"{state} " if state else f"state code {ccn.state_code} "
    listed = (
        f"This sandbox lists only nursing homes ({release}; their CCNs have a "
        f"number {NURSING_RANGE_TEXT})."
    )
    if ccn.is_nursing_home:
        return (
            f"No provider with CCN {ccn} is in the sandbox directory: it is {_a(where)} {where}nursing "
            f"home's number ({release}), perhaps one certified later, or "
            "a digit is off. Check the number with your administrator."
        )
    kind = ccn.kind
    low_high = ccn.number_range
    if kind == KIND_OTHER:
        return (
            f"No provider with CCN {ccn} is in the sandbox directory, and its number "
            f"{ccn.value[2:]} is in no CCN range CMS assigns today (unused or retired), so a "
            f"digit is probably off. {listed} Check the number with your administrator."
        )
    if kind == KIND_SWING_BED:
        what = (
            f"CCN {ccn} is {_a(where)} {where}hospital's swing-bed number (the letter {ccn.value[2]} in "
            "the 3rd place), not a nursing home's."
        )
    else:
        span = f" (number {ccn.value[2:]}, in {low_high[0]:04d}-{low_high[1]:04d})" if low_high else ""
        what = f"CCN {ccn} is {_a(where + kind)} {where}{kind.lower()}'s number{span}, not a nursing home's."
    if kind in _IQIES_KINDS:
        todo = (
            "Such a provider's staff request their roles in the real iQIES in these same steps, "
            "with that CCN, and its first PSO is approved by CMS too. To practise here, use a "
            "nursing home's CCN, like 015009."
        )
    elif kind == "Dialysis facility":
        todo = (
            "Dialysis facilities report through CMS's EQRS, not iQIES, so such a provider would "
            "not request an iQIES role. To practise here, use a nursing home's CCN, like 015009."
        )
    else:
        todo = (
            "Such a provider asks CMS (the iQIES Service Center, 1-800-339-9313) which system "
            "its staff use. To practise here, use a nursing home's CCN, like 015009."
        )
    return f"{what} {listed} {todo}"
