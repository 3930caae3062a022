"""The readiness report's model: what it says, as plain data (checks, organizations, lines of
text with their emphasis and links); :mod:`wizard.report_markdown` and :mod:`wizard.report_html`
render it, :mod:`wizard.report` builds it from a flow and writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Union

from wizard import __version__

MD_NAME = "readiness-report.md"
HTML_NAME = "readiness-report.html"
HARP_REGISTER_URL = "https://harp.cms.gov/register"
IQIES_URL = "https://iqies.cms.gov"
SERVICE_CENTER_PHONE = "1-800-339-9313"
SERVICE_CENTER_EMAIL = "iqies@cms.hhs.gov"
RECOMMENDED_PSOS = 2  # [CMS] "at least two designated PSOs"
PERSONAL_EMAIL_MAX_PROVIDERS = 2  # [CMS] a personal address only for 2 or fewer providers
SANDBOX_LINE = (
    "Produced by iqies-onboard, a practice sandbox on this computer. Nothing here was sent to "
    "CMS: the HARP account, the iQIES request and its approval are simulated. Do the steps "
    "below for real at harp.cms.gov and iqies.cms.gov."
)
FACILITY_ID_NOTE = "the sandbox's own; your real Facility ID is the one your state assigned for MDS submissions"


class ReportUnavailable(Exception):
    """Nothing to report yet; ``str(err)`` is one sentence for the user."""


class ReportWriteError(Exception):
    """The report could not be written; ``str(err)`` is one line naming the place and why."""


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Link:
    """Only for the report's own constant addresses, never for stored text."""

    text: str
    href: str


Part = Union[str, Strong, Link]
Line = tuple[Part, ...]

Part = Union[str, Strong, Link]
Line = tuple[Part, ...]


# --- the report's content ----------------------------------------------------------------------

VERDICT_LABELS = {"ok": "OK", "check": "Check", "problem": "Fix", "note": "Note"}


@dataclass(frozen=True)
class Check:
    verdict: str  # a key of VERDICT_LABELS
    line: Line

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


@dataclass(frozen=True)
class RequestLine:
    """One role requested (or about to be) at one organization, and where it stands."""

    role: str
    status: str  # Pending, Active, Rejected, Removed, Lapsed, Not submitted yet
    detail: str  # who approves it, or what happened
    is_pso: bool = False


@dataclass(frozen=True)
class OrganizationEntry:
    name: str
    ccn: str
    facility_id: str
    city: str
    state: str
    requests: tuple[RequestLine, ...]
    pso_approver: str  # who would approve a PSO request for it now
    psos_active: int
    psos_requested: int  # pending in the sandbox, or in this user's unsubmitted request

    @property
    def psos_planned(self) -> int:
        return self.psos_active + self.psos_requested

    @property
    def requests_pso(self) -> bool:
        return any(r.is_pso for r in self.requests)

    @property
    def place(self) -> str:
        return ", ".join(p for p in (self.city, self.state) if p)

    @property
    def psos_text(self) -> str:
        n = self.psos_planned
        return (f"{n} PSO{'' if n == 1 else 's'} planned ({self.psos_active} active, "
                f"{self.psos_requested} requested in the sandbox)")

    @property
    def pso_check(self) -> Check:
        if self.psos_planned >= RECOMMENDED_PSOS:
            return Check("ok", ("CMS recommends at least two PSOs per provider: this one has them.",))
        return Check("check", (
            Strong("CMS recommends at least two PSOs per provider"),
            ", so that someone can still approve requests when one is away or leaves. Ask a "
            "colleague who works for the provider to request the PSO role for it too.",
        ))


@dataclass(frozen=True)
class ReadinessReport:
    produced_at: datetime
    practice_account: str
    person: str
    user_id: str
    user_id_checks: tuple[Check, ...]
    email_domain: str
    email_checks: tuple[Check, ...]
    practice: tuple[Line, ...]
    organizations: tuple[OrganizationEntry, ...]
    next_steps: tuple[Line, ...]
    after_approval: tuple[Line, ...] = ()  # keeping the role (and the provider's access) once approved
    provider_directory: str = ""  # which CMS release the organizations were found in
    version: str = __version__
    resources: tuple[Line, ...] = field(default_factory=lambda: _RESOURCES)

    @property
    def produced_text(self) -> str:
        when = self.produced_at.astimezone(timezone.utc)
        return f"{when.day} {when:%B %Y}, {when:%H:%M} UTC"

    def to_markdown(self) -> str:
        from wizard.report_markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        from wizard.report_html import render_html

        return render_html(self)


def _footer(version: str) -> str:
    return (f"Produced by iqies-onboard {version}, a practice sandbox. This is not a CMS document, "
            "and nothing in it was sent to CMS.")


_NO_SECRETS = (
    "Your password, challenge answer, identity-proofing answers, security codes, authenticator "
    "key and SSN are not in this report: the sandbox never writes them out."
)

_RESOURCES: tuple[Line, ...] = (
    ("Create your HARP account: ", Link(HARP_REGISTER_URL, HARP_REGISTER_URL)),
    ("Request your role in iQIES: ", Link(IQIES_URL, IQIES_URL)),
    (Strong("iQIES Service Center"), f": {SERVICE_CENTER_PHONE}, ",
     Link(SERVICE_CENTER_EMAIL, f"mailto:{SERVICE_CENTER_EMAIL}"),
     ". Call them for a status update, or to have a PSO who left removed before a new one is requested."),
)


