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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard import rules
from wizard.approvals import role_name
from wizard.files import replace_privately
from wizard.models import DEVICE_TYPES, OrganizationRef
from wizard.records import OrgDecision, Status, UserId
from wizard.report_html import html_escape, render_html  # noqa: F401  (names callers import from here)
from wizard.report_markdown import md_escape, render_markdown  # noqa: F401
from wizard.report_model import (  # noqa: F401
    FACILITY_ID_NOTE, HARP_REGISTER_URL, HTML_NAME, IQIES_URL, MD_NAME, PERSONAL_EMAIL_MAX_PROVIDERS,
    RECOMMENDED_PSOS, SANDBOX_LINE, SERVICE_CENTER_EMAIL, SERVICE_CENTER_PHONE, VERDICT_LABELS, Check, Line,
    Link, OrganizationEntry, ReadinessReport, ReportUnavailable, ReportWriteError, RequestLine, Strong,
)
from wizard.steps import Step

if TYPE_CHECKING:
    from wizard.flow import OnboardingFlow


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


def _after_approval() -> tuple[Line, ...]:
    """Keeping the role, and the provider's access right, once approved: from CMS's rules (60
    days, at least two PSOs, the challenge question for password resets) and the PSO's job."""
    return (
        (Strong("Sign in to iQIES at least every 60 days"), ": iQIES removes the roles of users who "
         "do not (your HARP account stays, and you request the roles again).",),
        (Strong("Name a second PSO"), ": ask a colleague to request the role and approve it, so "
         "someone can still approve requests when you are away or leave. Nobody removes themselves "
         f"as a provider's last PSO: only the iQIES Service Center ({SERVICE_CENTER_PHONE}) can.",),
        (Strong("Keep your challenge question set"), " in HARP: the help desk can reset a forgotten "
         "password only if it is.",),
        (Strong("Remove leavers' access"), ": when someone leaves the provider, remove their iQIES "
         "role the same day, with a reason (sandbox: Manage access in the approver console).",),
    )


def build_report(flow: OnboardingFlow) -> ReadinessReport:
    """The report of ``flow``'s practice account. Raises :class:`ReportUnavailable` before a User ID exists."""
    user_id = flow.record.user_id
    if not user_id:
        raise ReportUnavailable(
            f"practice account '{flow.store.practice_account}' has no HARP account yet: create a User ID in the "
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
        practice_account=flow.store.practice_account,
        person=profile.display_name if profile is not None else "",
        user_id=user_id,
        user_id_checks=_user_id_checks(user_id, facility_names),
        email_domain=domain,
        email_checks=email_checks,
        practice=_practice(flow),
        organizations=organizations,
        next_steps=_next_steps(flow, organizations),
        after_approval=_after_approval(),
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
