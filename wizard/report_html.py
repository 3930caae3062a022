"""The readiness report as one HTML page: the page and its CSS are the template
``templates/report.html``; every piece of text, fixed or stored, goes through :func:`html_escape`."""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from string import Template

from wizard.report_markdown import _one_line
from wizard.report_model import (
    FACILITY_ID_NOTE, SANDBOX_LINE, _NO_SECRETS, Check, Line, Link, ReadinessReport, Strong, _footer,
)


@lru_cache(maxsize=1)
def page_template() -> Template:
    return Template(resources.files("wizard").joinpath("templates/report.html").read_text(encoding="utf-8"))


def html_escape(text: str) -> str:
    return html.escape(_one_line(text), quote=True)


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


def _html_checks(checks: tuple[Check, ...]) -> str:
    items = [
        f'<li><span class="badge {c.verdict}">{html_escape(c.label)}</span> {_html(c.line)}</li>'
        for c in checks
    ]
    return '<ul class="checks">' + "".join(items) + "</ul>"


def render_html(report: ReadinessReport) -> str:
    """The report as one HTML page (the page and its CSS: templates/report.html), every piece of text through :func:`html_escape`."""
    e = html_escape
    body: list[str] = ["<header>", "<h1>iQIES PSO readiness report</h1>"]
    body.append(f'<p class="sandbox"><strong>Practice sandbox.</strong> {e(SANDBOX_LINE)}</p>')
    body.append('<dl class="facts">')
    html_facts = [("Prepared for", report.person or "(no name saved)"),
                  ("Practice account", report.practice_account), ("Produced", report.produced_text)]
    if report.provider_directory:
        html_facts.append(("Provider directory", report.provider_directory))
    for k, v in html_facts:
        body.append(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>")
    body += ["</dl>", f'<p class="quiet">{e(_NO_SECRETS)}</p>', "</header>"]

    body.append(f'<section><h2>Your HARP User ID: <span class="value">{e(report.user_id)}</span></h2>')
    body += [_html_checks(report.user_id_checks), "</section>"]

    body.append(f'<section><h2>Your email domain: <span class="value">{e(report.email_domain or "(none saved)")}</span></h2>')
    body += [_html_checks(report.email_checks), "</section>"]

    body.append(f"<section><h2>Organizations ({len(report.organizations)})</h2>")
    if not report.organizations:
        body.append(f"<p>{e('None yet: add your provider by its CCN on the Add Organizations page.')}</p>")
    for number, org in enumerate(report.organizations, 1):
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
    if not report.organizations:
        body.append(f"<p>{e('No provider yet. CMS recommends at least two PSOs for each one.')}</p>")
    else:
        body.append('<table><thead><tr><th>Provider</th><th>CCN</th><th class="num">PSOs planned</th>'
                    "<th>Verdict</th></tr></thead><tbody>")
        for org in report.organizations:
            check = org.pso_check
            body.append(
                f"<tr><td>{e(org.name)}</td><td>{e(org.ccn)}</td><td class=\"num\">{org.psos_planned}"
                f'<div class="quiet">{org.psos_active} active, {org.psos_requested} requested</div></td>'

                f'<td><span class="badge {check.verdict}">{e(check.label)}</span> {_html(check.line)}</td></tr>'
            )
        body.append("</tbody></table>")
    body.append("</section>")

    body.append("<section><h2>What you practised</h2><ul>")
    body += [f"<li>{_html(line)}</li>" for line in report.practice]
    body.append("</ul></section>")

    body.append("<section><h2>Real addresses and help</h2><ul>")
    body += [f"<li>{_html(line)}</li>" for line in report.resources]
    body.append("</ul></section>")

    body.append('<section class="steps"><h2>Next steps, for real</h2><ol>')
    body += [f"<li>{_html(line)}</li>" for line in report.next_steps]
    body.append("</ol></section>")

    if report.after_approval:
        body.append('<section class="after"><h2>After you are approved</h2><ul>')
        body += [f"<li>{_html(line)}</li>" for line in report.after_approval]
        body.append("</ul></section>")

    body.append(f"<footer>{e(_footer(report.version))}</footer>")
    return page_template().substitute(title=e("iQIES PSO readiness report (practice sandbox)"), body="\n".join(body))


