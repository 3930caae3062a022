"""The readiness report: what a user needs to become a PSO for real, after a practice run.

:func:`build_report` reads only non-secret facts of the flow (the name, the User ID, the email
address's domain, the facility's name, the device *type*, the organizations and the requests'
statuses); it never reads a password or answer hash, a code or the authenticator key, so none
can reach the report. :meth:`ReadinessReport.to_markdown` and :meth:`ReadinessReport.to_html`
render it; :func:`write_report` writes both, mode 0600, next to each other.

Every piece of text, fixed or stored, goes through one escaping function per format: stored text
may come from an edited database or an approver's free-text reason, so a name such as
``[x](javascript:...)`` or ``<script>`` must come out as the characters it holds.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from wizard import __version__, rules
from wizard.approvals import role_name
from wizard.files import replace_privately
from wizard.models import DEVICE_TYPES, OrganizationRef
from wizard.records import OrgDecision, Status, UserId
from wizard.sanitize import clean_line
from wizard.steps import Step

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow

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


# --- inline text -----------------------------------------------------------------------------


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

# Only what Markdown needs (CommonMark, and GFM's tables and strikethrough): "&" only where it
# would start an entity ("NURSING & REHAB" stays searchable as typed), "#" only at the start.
_MD_ALWAYS = re.compile(r"([\\`*_{}\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_MD_LINE_START = re.compile(r"^(\s*\d+)([.)])")
_BACKSLASHED = r"\\\1"


def _one_line(text: Any) -> str:
    """Sanitised, on one line, each run of white space one space (edges kept: parts join up)."""
    return re.sub(r"\s+", " ", clean_line(str(text)))


def md_escape(text: str) -> str:
    """Stored or fixed text as Markdown that shows exactly these characters: no link, image,
    HTML, entity, emphasis, code, table cell break, heading or list can start in it."""
    value = _one_line(text)  # one line: no block can start mid-text
    value = _MD_ALWAYS.sub(_BACKSLASHED, value)
    value = _MD_ENTITY.sub(r"\\&", value)  # "&lt;" would show "<"
    value = _MD_LINE_START.sub(r"\1\\\2", value)  # "1. x" after "- " would open a list
    stripped = value.lstrip()
    if stripped[:1] in ("-", "+", "=", "#"):  # a list item, a heading or its underline
        value = value[: len(value) - len(stripped)] + "\\" + stripped
    # GFM turns bare http://, https:// and www. into links; a backslash before ":" or "." stops it
    value = re.sub(r"(?i)(https?):", r"\1\\:", value)
    value = re.sub(r"(?i)\bwww\.", r"www\\.", value)
    return value


def html_escape(text: str) -> str:
    return html.escape(_one_line(text), quote=True)


def _md(line: Line) -> str:
    out = []
    for part in line:
        if isinstance(part, Strong):
            out.append(f"**{md_escape(part.text)}**")
        elif isinstance(part, Link):
            # the report's own address: inside a link nothing else can link, so only the brackets
            # and emphasis characters need escaping (the text stays readable in the raw file)
            out.append(f"[{_MD_ALWAYS.sub(_BACKSLASHED, part.text)}]({part.href})")
        else:
            out.append(md_escape(part))
    return "".join(out)


def _html(line: Line) -> str:
    out = []
    for part in line:
        if isinstance(part, Strong):
            out.append(f"<strong>{html_escape(part.text)}</strong>")
        elif isinstance(part, Link):
            out.append(f'<a href="{html.escape(part.href, quote=True)}">{html_escape(part.text)}</a>')
        else:
            out.append(html_escape(part))
    return "".join(out)


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
    profile_name: str
    person: str
    user_id: str
    user_id_checks: tuple[Check, ...]
    email_domain: str
    email_checks: tuple[Check, ...]
    practice: tuple[Line, ...]
    organizations: tuple[OrganizationEntry, ...]
    next_steps: tuple[Line, ...]
    provider_directory: str = ""  # which CMS release the organizations were found in
    version: str = __version__
    resources: tuple[Line, ...] = field(default_factory=lambda: _RESOURCES)

    @property
    def produced_text(self) -> str:
        when = self.produced_at.astimezone(timezone.utc)
        return f"{when.day} {when:%B %Y}, {when:%H:%M} UTC"

    # Markdown ----------------------------------------------------------------------------------

    def to_markdown(self) -> str:
        out: list[str] = ["# iQIES PSO readiness report", ""]
        out += [f"> **Practice sandbox.** {md_escape(SANDBOX_LINE)}", ""]
        facts = [
            ("Prepared for", self.person or "(no name saved)"),
            ("Practice profile", self.profile_name),
            ("Produced", self.produced_text),
        ]
        if self.provider_directory:
            facts.append(("Provider directory", self.provider_directory))
        out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in facts]
        out += ["", md_escape(_NO_SECRETS), ""]

        out += [f"## Your HARP User ID: {md_escape(self.user_id)}", ""]
        out += [_md_check(c) for c in self.user_id_checks] + [""]

        out += [f"## Your email domain: {md_escape(self.email_domain or '(none saved)')}", ""]
        out += [_md_check(c) for c in self.email_checks] + [""]

        out += [f"## Organizations ({len(self.organizations)})", ""]
        if not self.organizations:
            out += [md_escape("None yet: add your provider by its CCN on the Add Organizations page."), ""]
        for number, org in enumerate(self.organizations, 1):
            out += [f"### {number}\\. {md_escape(org.name)}", ""]
            out.append(f"- **CCN:** {md_escape(org.ccn)}")
            out.append(f"- **Facility ID:** {md_escape(org.facility_id)} ({md_escape(FACILITY_ID_NOTE)})")
            out.append(f"- **City and state:** {md_escape(org.place)}")
            for req in org.requests:
                out.append(f"- **{md_escape(req.role)}:** {md_escape(req.status)}. {md_escape(req.detail)}")
            if not org.requests_pso:
                out.append(f"- **A PSO request for it goes to:** {md_escape(org.pso_approver)}")
            out.append("")

        out += ["## PSOs per provider", ""]
        if not self.organizations:
            out += [md_escape("No provider yet. CMS recommends at least two PSOs for each one."), ""]
        for org in self.organizations:
            out.append(
                f"- {md_escape(org.name)} (CCN {md_escape(org.ccn)}): {md_escape(org.psos_text)}. "
                f"{_md_check(org.pso_check)[2:]}"
            )
        if self.organizations:
            out.append("")

        out += ["## What you practised", ""]
        out += [f"- {_md(line)}" for line in self.practice] + [""]

        out += ["## Real addresses and help", ""]
        out += [f"- {_md(line)}" for line in self.resources] + [""]

        out += ["## Next steps, for real", ""]
        out += [f"{i}. {_md(line)}" for i, line in enumerate(self.next_steps, 1)] + [""]

        out += ["---", "", md_escape(_footer(self.version)), ""]
        return "\n".join(out)

    # HTML --------------------------------------------------------------------------------------

    def to_html(self) -> str:
        e = html_escape
        body: list[str] = ["<header>", "<h1>iQIES PSO readiness report</h1>"]
        body.append(f'<p class="sandbox"><strong>Practice sandbox.</strong> {e(SANDBOX_LINE)}</p>')
        body.append('<dl class="facts">')
        html_facts = [("Prepared for", self.person or "(no name saved)"),
                      ("Practice profile", self.profile_name), ("Produced", self.produced_text)]
        if self.provider_directory:
            html_facts.append(("Provider directory", self.provider_directory))
        for k, v in html_facts:
            body.append(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>")
        body += ["</dl>", f'<p class="quiet">{e(_NO_SECRETS)}</p>', "</header>"]

        body.append(f'<section><h2>Your HARP User ID: <span class="value">{e(self.user_id)}</span></h2>')
        body += [_html_checks(self.user_id_checks), "</section>"]

        body.append(f'<section><h2>Your email domain: <span class="value">{e(self.email_domain or "(none saved)")}</span></h2>')
        body += [_html_checks(self.email_checks), "</section>"]

        body.append(f"<section><h2>Organizations ({len(self.organizations)})</h2>")
        if not self.organizations:
            body.append(f"<p>{e('None yet: add your provider by its CCN on the Add Organizations page.')}</p>")
        for number, org in enumerate(self.organizations, 1):
            body.append('<div class="org">')
            body.append(f"<h3>{number}. {e(org.name)}</h3><dl>")
            body.append(f"<dt>CCN</dt><dd>{e(org.ccn)}</dd>")
            body.append(f'<dt>Facility ID</dt><dd>{e(org.facility_id)} <span class="quiet">({e(FACILITY_ID_NOTE)})</span></dd>')
            body.append(f"<dt>City and state</dt><dd>{e(org.place)}</dd>")
            for req in org.requests:
                body.append(f"<dt>{e(req.role)}</dt><dd><strong>{e(req.status)}.</strong> {e(req.detail)}</dd>")
            if not org.requests_pso:
                body.append(f"<dt>A PSO request for it goes to</dt><dd>{e(org.pso_approver)}</dd>")
            body.append("</dl></div>")
        body.append("</section>")

        body.append("<section><h2>PSOs per provider</h2>")
        if not self.organizations:
            body.append(f"<p>{e('No provider yet. CMS recommends at least two PSOs for each one.')}</p>")
        else:
            body.append('<table><thead><tr><th>Provider</th><th>CCN</th><th class="num">PSOs planned</th>'
                        "<th>Verdict</th></tr></thead><tbody>")
            for org in self.organizations:
                check = org.pso_check
                body.append(
                    f"<tr><td>{e(org.name)}</td><td>{e(org.ccn)}</td><td class=\"num\">{org.psos_planned}"
                    f'<div class="quiet">{org.psos_active} active, {org.psos_requested} requested</div></td>'

                    f'<td><span class="badge {check.verdict}">{e(check.label)}</span> {_html(check.line)}</td></tr>'
                )
            body.append("</tbody></table>")
        body.append("</section>")

        body.append("<section><h2>What you practised</h2><ul>")
        body += [f"<li>{_html(line)}</li>" for line in self.practice]
        body.append("</ul></section>")

        body.append("<section><h2>Real addresses and help</h2><ul>")
        body += [f"<li>{_html(line)}</li>" for line in self.resources]
        body.append("</ul></section>")

        body.append('<section class="steps"><h2>Next steps, for real</h2><ol>')
        body += [f"<li>{_html(line)}</li>" for line in self.next_steps]
        body.append("</ol></section>")

        body.append(f"<footer>{e(_footer(self.version))}</footer>")
        return _HTML_PAGE.format(title=e("iQIES PSO readiness report (practice sandbox)"), body="\n".join(body))


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


def _md_check(check: Check) -> str:
    return f"- **{check.label}:** {_md(check.line)}"


def _html_checks(checks: tuple[Check, ...]) -> str:
    items = [
        f'<li><span class="badge {c.verdict}">{html_escape(c.label)}</span> {_html(c.line)}</li>'
        for c in checks
    ]
    return '<ul class="checks">' + "".join(items) + "</ul>"


_HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
:root {{ --ink: #1b1b1b; --quiet: #5c5c5c; --line: #c9c9c9; --ok: #1d6b35; --check: #8a5a00;
         --problem: #a4161a; --note: #34495e; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "Helvetica Neue", Arial, sans-serif; color: var(--ink); line-height: 1.45;
        max-width: 46rem; margin: 2rem auto; padding: 0 1rem; font-size: 11pt; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .5rem; }}
h2 {{ font-size: 1.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin: 1.6rem 0 .6rem; }}
h3 {{ font-size: 1.05rem; margin: 0 0 .4rem; }}
.value {{ font-family: "DejaVu Sans Mono", Consolas, monospace; font-weight: normal; }}
.sandbox {{ border: 2px solid var(--check); padding: .5rem .75rem; margin: .5rem 0 1rem; }}
.quiet {{ color: var(--quiet); font-size: .92em; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; }}
ul.checks {{ list-style: none; padding-left: 0; }}
ul.checks li {{ margin: .35rem 0; padding-left: 4.2rem; text-indent: -4.2rem; }}
.badge {{ display: inline-block; min-width: 3.6rem; text-align: center; text-indent: 0;
          font-size: .8em; font-weight: bold; border: 1.5px solid; border-radius: 3px;
          padding: 0 .3rem; margin-right: .4rem; }}
.badge.ok {{ color: var(--ok); }} .badge.check {{ color: var(--check); }}
.badge.problem {{ color: var(--problem); }} .badge.note {{ color: var(--note); }}
.org {{ border: 1px solid var(--line); padding: .6rem .8rem; margin: .6rem 0; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
.num {{ text-align: right; }}
ol li {{ margin: .3rem 0; }}
a {{ color: inherit; }}
footer {{ margin-top: 2rem; border-top: 1px solid var(--line); padding-top: .5rem; color: var(--quiet); font-size: .9em; }}
@page {{ size: auto; margin: 16mm 15mm; }}
@media print {{
  body {{ margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }}
  h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
  .org, tr, ul.checks li, ol li, .sandbox {{ break-inside: avoid; page-break-inside: avoid; }}
  th {{ background: none; }}
  a {{ text-decoration: none; }}
  * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
}}
</style>
</head>
<body>
{body}
</body>
</html>
"""


# --- building it from the flow -------------------------------------------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _user_id_checks(user_id: str, facility_names: list[tuple[str, str]]) -> tuple[Check, ...]:
    """The User ID against the rules: length and characters (as rules.check_user_id decides),
    words of a facility's name (a warning), and that it can never be changed."""
    value = rules.nfkc(user_id).strip()
    low, high = rules.USER_ID_MIN, rules.USER_ID_MAX
    checks = []
    if low <= len(value) <= high:
        checks.append(Check("ok", (f"Length: {len(value)} characters; {low} to {high} are allowed ({rules.SANDBOX_NOTE}).",)))
    else:
        checks.append(Check("problem", (f"Length: {len(value)} characters, but {low} to {high} are needed ({rules.SANDBOX_NOTE}).",)))
    # rules.check_user_id checks the characters before the length: a probe of an allowed length
    # (padded with a digit, which satisfies no letter rule) asks it about the characters alone
    probe = value if low <= len(value) <= high else value[:high].ljust(low, "0")
    try:
        rules.check_user_id(probe)
        checks.append(Check("ok", (
            "Characters: letters, digits and . _ - @ only, with at least one letter "
            "(CMS: avoid special characters such as # or &).",
        )))
    except rules.RuleError as err:
        checks.append(Check("problem", (f"Characters: {err}",)))
    found = False
    for what, name in facility_names:
        words = rules.facility_words_in_user_id(value, name)
        if words:
            found = True
            quoted = ", ".join(f'"{w}"' for w in words)
            checks.append(Check("check", (
                f'Facility name: it contains {quoted} from {what} "{name}". ',
                Strong("CMS advises against facility names in a User ID"),
                ": it can never be changed, and you may move. Consider another one for the real account.",
            )))
    if not found:
        checks.append(Check("ok", ("Facility name: it holds no distinctive word of your facility's or your providers' names.",)))
    checks.append(Check("note", (
        Strong("A HARP User ID can never be changed."),
        " In real HARP this one may already be taken; any other you choose must follow the same rules.",
    )))
    return tuple(checks)


def _email_checks(profile: Any, provider_count: int) -> tuple[str, tuple[Check, ...]]:
    if profile is None:
        return "", (Check("problem", ("No valid profile is saved, so there is no email address to check.",)),)
    domain = profile.email.rsplit("@", 1)[-1]
    if not rules.is_free_email(profile.email):
        return domain, (Check("ok", (
            f"{domain} is not on the sandbox's list of personal email services, so it looks like "
            "a work domain. HARP wants your corporate email address.",
        )),)
    exception = (
        f"HARP accepts a personal address only when the facility handles {PERSONAL_EMAIL_MAX_PROVIDERS} "
        "or fewer providers and has no corporate email domain."
    )
    if not profile.personal_email_allowed:
        return domain, (Check("problem", (
            f"{domain} is a personal email service. {exception} Use your work address.",
        )),)
    checks = [Check("check", (
        f"{domain} is a personal email service. {exception} You said that is true for your "
        "facility; if it has a work email domain, use your work address instead.",
    ))]
    if provider_count > PERSONAL_EMAIL_MAX_PROVIDERS:
        checks.append(Check("problem", (
            f"You listed {provider_count} providers: the personal-address exception covers "
            f"{PERSONAL_EMAIL_MAX_PROVIDERS} or fewer. Use a work address.",
        )))
    return domain, tuple(checks)


def _organizations(flow: OnboardingFlow) -> tuple[OrganizationEntry, ...]:
    everyone = flow.store.requests()
    mine = flow.my_requests()
    uid = UserId.of(flow.record.user_id)
    rows: dict[str, dict[str, Any]] = {}  # ccn -> the organization's facts and request lines

    def entry(org: OrgDecision | OrganizationRef) -> dict[str, Any]:
        return rows.setdefault(org.ccn, {"org": org, "lines": [], "draft_pso": False})

    for req in mine:
        for org in req.organizations:
            word = org.status.label
            detail = flow.approvals.status_line(req, org, everyone)
            for sep in (": ", ". "):  # the status line may start with the same word ("Active: approved by")
                if detail.startswith(word + sep):
                    rest = detail[len(word) + len(sep):]
                    detail = rest[:1].upper() + rest[1:]
            entry(org)["lines"].append(RequestLine(role_name(req.role), word, detail, req.role == rules.PSO_ROLE))
    draft = flow.record.request
    if flow.record.last_submitted_request is None:  # once submitted, the draft is the request above
        for ref in draft.organizations:
            if draft.role:
                route = flow.approvals.route_for_user(draft.role, flow.record.user_id, ref.ccn, everyone)
                line = RequestLine(
                    role_name(draft.role), "Not submitted yet", f"It would go to {route.description}.",
                    draft.role == rules.PSO_ROLE,
                )
            else:
                line = RequestLine("Role not chosen", "Not submitted yet", "Choose a role, then submit the request.")
            row = entry(ref)
            row["lines"].append(line)
            row["draft_pso"] = row["draft_pso"] or draft.role == rules.PSO_ROLE

    out = []
    for ccn, row in rows.items():
        org = row["org"]
        active = {p.user_id for p in flow.approvals.psos_of(ccn, everyone) if p.user_id}
        requested = {
            req.user_id
            for req in everyone if req.role == rules.PSO_ROLE and req.user_id
            for o in req.organizations if o.ccn == ccn and o.status == Status.PENDING
        } - active
        if row["draft_pso"] and uid and uid not in active:
            requested.add(uid)
        out.append(OrganizationEntry(
            name=_text(org.name), ccn=ccn, facility_id=_text(org.facility_id),
            city=_text(org.city), state=_text(org.state), requests=tuple(row["lines"]),
            pso_approver=flow.approvals.route(rules.PSO_ROLE, ccn, everyone).description,
            psos_active=len(active), psos_requested=len(requested),
        ))
    return tuple(out)


def _practice(flow: OnboardingFlow) -> tuple[Line, ...]:
    record, profile = flow.record, flow.profile
    current = flow.current_step  # a new session starts at the sign-in: the stored position says how far
    try:
        current = max(Step.from_key(record.position), current)
    except ValueError:
        pass
    lines: list[Line] = [(f"You reached step {current.number} of {len(Step)}: {current.info.real_page}.",)]
    if record.identity_proofed == "manual" or (profile is not None and profile.ssn_choice == "manual_proofing"):
        lines.append((
            "Identity proofing: the manual way (no SSN). For real, HARP's manual proofing takes "
            "longer and asks you for documents; start early.",
        ))
    elif record.identity_proofed:
        lines.append((
            "Identity proofing: online, with your SSN. For real, Experian asks about your credit "
            "history; have your records at hand.",
        ))
    if record.factor is not None and record.factor.verified:
        device = DEVICE_TYPES.get(record.factor.device_type, record.factor.device_type)
        lines.append((f"Two-factor authentication with {device}. Set up the same device for real.",))
    return tuple(lines)


def _next_steps(flow: OnboardingFlow, organizations: tuple[OrganizationEntry, ...]) -> tuple[Line, ...]:
    """The real sequence, in the order of CMS's job aid (and the recruitment notice before it)."""
    factor = flow.record.factor
    device = DEVICE_TYPES.get(factor.device_type, "") if factor is not None else ""
    # the providers this user asked to be PSO of; else every provider they named
    providers = [o for o in organizations if o.requests_pso] or list(organizations)
    ccns = ", ".join(f"{o.ccn} ({o.name})" for o in providers)
    add_text = f"Add each of your providers: {ccns}." if ccns else "Add your provider by its CCN."
    return (
        ("Agree with your facility who the PSOs will be: at least two people who work for the "
         "provider (a vendor cannot be a PSO).",),
        ("Open ", Link(HARP_REGISTER_URL, HARP_REGISTER_URL), " and fill in ", Strong("Profile Information"),
         " with your work email address, then press ", Strong("Next"), "."),
        ("Choose your ", Strong("User ID"), " (see the checks above: it can never be changed), a ",
         Strong("Password"), ", and a ", Strong("Challenge Question"), " with its answer. Press ",
         Strong("Next"), "."),
        ("Answer the identity-proofing questions, tick ", Strong("I am not a robot"), " and press ",
         Strong("Next"), ". An email confirms that your account was created."),
        ("Press ", Strong("Login to Complete Setup"), ", choose the ", Strong("Device Type"),
         f"{f' ({device} in your practice)' if device else ''}, enter your phone number where asked and press ",
         Strong("Send Code"), "; type the ", Strong("Security Code"), " and press ", Strong("Submit"), "."),
        ("Open ", Link(IQIES_URL, IQIES_URL), " and log in with your HARP User ID, password and a code: ",
         Strong("Welcome to iQIES"), " opens."),
        ("Press ", Strong("Request User Role"), " (if you already have an iQIES role: the caret by your "
         "name, top right, then Request User Role). Choose ", Strong("Provider"), ", then ",
         Strong("Provider Security Official"), "."),
        ("On ", Strong("Add Organizations"), ", choose CCN under ", Strong("Search By"),
         ", type it in ", Strong("Search for"), " and press ", Strong("Add"), f". {add_text} "
         "Use the CCN: the Facility IDs in this report are the sandbox's own."),
        ("Press ", Strong("Submit Request"), ". A green ", Strong("Role Request Submitted"),
         " banner shows, and your request is listed under ", Strong("Pending Requests"), "."),
        ("Wait for the email saying your role is approved: CMS approves a provider's first PSO, "
         "the provider's PSOs approve everyone after that. Approval can take several days. No news? "
         f"Ask your provider's PSO, or the iQIES Service Center ({SERVICE_CENTER_PHONE}, "
         f"{SERVICE_CENTER_EMAIL}).",),
        ("Once approved, sign in to iQIES at least every 60 days, or it removes your roles; then "
         "approve your colleagues' requests, starting with a second PSO.",),
    )


def build_report(flow: OnboardingFlow) -> ReadinessReport:
    """The report of ``flow``'s profile. Raises :class:`ReportUnavailable` before a User ID exists."""
    user_id = flow.record.user_id
    if not user_id:
        raise ReportUnavailable(
            f"profile '{flow.store.profile}' has no practice account yet: create a User ID in the "
            "wizard first (step 2), then ask for the report"
        )
    profile = flow.profile
    organizations = _organizations(flow)
    facility_names: list[tuple[str, str]] = []
    if profile is not None:
        facility_names.append(("your facility's name", profile.facility_name))
    facility_names += [("the provider", o.name) for o in organizations]
    domain, email_checks = _email_checks(profile, len(organizations))
    return ReadinessReport(
        produced_at=flow.clock(),
        profile_name=flow.store.profile,
        person=profile.display_name if profile is not None else "",
        user_id=user_id,
        user_id_checks=_user_id_checks(user_id, facility_names),
        email_domain=domain,
        email_checks=email_checks,
        practice=_practice(flow),
        organizations=organizations,
        next_steps=_next_steps(flow, organizations),
        provider_directory=flow.directory.release,
    )


# --- writing it ----------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, mode 0600, atomically (a temporary file in the same directory,
    then a rename: a reader never sees half a report, and a symlink at ``path`` is replaced, not
    followed)."""
    replace_privately(path, text.encode("utf-8"), prefix=".readiness-")


def write_report(flow: OnboardingFlow, out_dir: Path | str | None = None) -> tuple[Path, Path]:
    """Write readiness-report.md and readiness-report.html (0600) into ``out_dir`` (default: the
    data directory); returns their paths. Raises :class:`ReportUnavailable` before a User ID
    exists and :class:`ReportWriteError` with one line when the directory cannot take them."""
    report = build_report(flow)
    directory = Path(out_dir).expanduser() if out_dir is not None else Path(flow.store.data_dir)
    if not directory.exists():
        raise ReportWriteError(f"output directory {directory} does not exist")
    if not directory.is_dir():
        raise ReportWriteError(f"output directory {directory} is a file, not a directory")
    md_path, html_path = directory / MD_NAME, directory / HTML_NAME
    try:
        _write_private(md_path, report.to_markdown())
        _write_private(html_path, report.to_html())
    except PermissionError:
        raise ReportWriteError(f"output directory {directory} is not writable (permission denied)") from None
    except OSError as err:
        raise ReportWriteError(f"the report cannot be written to {directory}: {err.strerror or err}") from None
    from wizard.log import event

    event("report_written", organizations=len(report.organizations))
    return md_path, html_path


__all__ = [
    "HTML_NAME", "MD_NAME", "Check", "OrganizationEntry", "ReadinessReport", "ReportUnavailable",
    "ReportWriteError", "build_report", "html_escape", "md_escape", "write_report",
]
