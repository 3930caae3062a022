"""The readiness report as Markdown. Every piece of text, fixed or stored, goes through
:func:`md_escape`: a stored name such as ``[x](javascript:...)`` comes out as the characters it holds."""

from __future__ import annotations

import re
from typing import Any

from wizard.report_model import (
    FACILITY_ID_NOTE, SANDBOX_LINE, _NO_SECRETS, Check, Line, Link, ReadinessReport, Strong, _footer,
)
from wizard.sanitize import clean_line


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


def _md_check(check: Check) -> str:
    return f"- **{check.label}:** {_md(check.line)}"


def render_markdown(report: ReadinessReport) -> str:
    """The report as Markdown: every piece of text through :func:`md_escape`."""
    out: list[str] = ["# iQIES PSO readiness report", ""]
    out += [f"> **Practice sandbox.** {md_escape(SANDBOX_LINE)}", ""]
    facts = [
        ("Prepared for", report.person or "(no name saved)"),
        ("Practice account", report.practice_account),
        ("Produced", report.produced_text),
    ]
    if report.provider_directory:
        facts.append(("Provider directory", report.provider_directory))
    out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in facts]
    out += ["", md_escape(_NO_SECRETS), ""]

    out += [f"## Your HARP User ID: {md_escape(report.user_id)}", ""]
    out += [_md_check(c) for c in report.user_id_checks] + [""]

    out += [f"## Your email domain: {md_escape(report.email_domain or '(none saved)')}", ""]
    out += [_md_check(c) for c in report.email_checks] + [""]

    out += [f"## Organizations ({len(report.organizations)})", ""]
    if not report.organizations:
        out += [md_escape("None yet: add your provider by its CCN on the Add Organizations page."), ""]
    for number, org in enumerate(report.organizations, 1):
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
    if not report.organizations:
        out += [md_escape("No provider yet. CMS recommends at least two PSOs for each one."), ""]
    for org in report.organizations:
        out.append(
            f"- {md_escape(org.name)} (CCN {md_escape(org.ccn)}): {md_escape(org.psos_text)}. "
            f"{_md_check(org.pso_check)[2:]}"
        )
    if report.organizations:
        out.append("")

    out += ["## What you practised", ""]
    out += [f"- {_md(line)}" for line in report.practice] + [""]

    out += ["## Real addresses and help", ""]
    out += [f"- {_md(line)}" for line in report.resources] + [""]

    out += ["## Next steps, for real", ""]
    out += [f"{i}. {_md(line)}" for i, line in enumerate(report.next_steps, 1)] + [""]

    if report.after_approval:
        out += ["## After you are approved", ""]
        out += [f"- {_md(line)}" for line in report.after_approval] + [""]

    out += ["---", "", md_escape(_footer(report.version)), ""]
    return "\n".join(out)

