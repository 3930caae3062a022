"""The ordered steps of onboarding, in the order of the CMS job aid."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class StepInfo:
    number: int
    system: str  # "HARP" or "iQIES": which real site the screen stands for
    real_page: str  # the real page's title
    real_address: str
    label: str  # short label for the step list
    help_id: str


class Step(Enum):
    PROFILE = StepInfo(1, "HARP", "Profile Information", "harp.cms.gov/register", "Profile", "profile")
    ACCOUNT = StepInfo(
        2, "HARP", "User ID, Password and Challenge Question", "harp.cms.gov/register",
        "User ID & password", "account",
    )
    PROOFING = StepInfo(
        3, "HARP", "Identity Verification", "harp.cms.gov/register", "Identity proofing", "proofing"
    )
    TWO_FACTOR_SETUP = StepInfo(
        4, "HARP", "Login to Complete Setup", "harp.cms.gov/login", "Two-factor setup", "two_factor_setup"
    )
    TWO_FACTOR_VERIFY = StepInfo(
        5, "HARP", "Enter Security Code", "harp.cms.gov/login", "Security code", "two_factor_verify"
    )
    IQIES_SIGN_IN = StepInfo(
        6, "iQIES", "Sign in with HARP", "iqies.cms.gov", "iQIES sign in", "iqies_sign_in"
    )
    WELCOME = StepInfo(7, "iQIES", "Welcome to iQIES", "iqies.cms.gov", "Welcome to iQIES", "welcome")
    CATEGORY = StepInfo(
        8, "iQIES", "Select a User Category", "iqies.cms.gov", "User category", "category"
    )
    ROLE = StepInfo(9, "iQIES", "Select a User Role", "iqies.cms.gov", "User role", "role")
    ORGANIZATIONS = StepInfo(
        10, "iQIES", "Add Organizations", "iqies.cms.gov", "Organizations", "organizations"
    )
    REVIEW = StepInfo(
        11, "iQIES", "Review and Submit Request", "iqies.cms.gov", "Review & submit", "review"
    )
    AWAIT_APPROVAL = StepInfo(
        12, "iQIES", "Welcome to iQIES: Pending Requests", "iqies.cms.gov", "Await approval",
        "await_approval",
    )

    @property
    def info(self) -> StepInfo:
        return self.value

    @property
    def number(self) -> int:
        return self.value.number

    @property
    def key(self) -> str:
        return self.name.lower()

    @classmethod
    def ordered(cls) -> list[Step]:
        return sorted(cls, key=lambda s: s.number)

    @classmethod
    def from_key(cls, key: str) -> Step:
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown step {key!r}") from None

    def __lt__(self, other: Step) -> bool:
        return self.number < other.number

    def __le__(self, other: Step) -> bool:
        return self.number <= other.number

    @property
    def previous(self) -> Step | None:
        steps = Step.ordered()
        i = steps.index(self)
        return steps[i - 1] if i else None

    @property
    def next(self) -> Step | None:
        steps = Step.ordered()
        i = steps.index(self)
        return steps[i + 1] if i + 1 < len(steps) else None
