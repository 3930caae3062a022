"""The readiness report (wizard/report.py): what it says about a practice run, that no secret is
ever in either file, that stored text cannot inject anything into the Markdown or the HTML, the
``iqies-onboard report`` command's exit codes, and Ctrl+R on the Await Approval page."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import FIXED_TOTP_SECRET
from tests.factory import CCN, CHALLENGE_ANSWER, PASSWORD, make_app
from tests.states import advance_to, last_code, new_flow
from app import cli
from wizard import otp
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.flow import OnboardingFlow
from wizard.report import HTML_NAME, MD_NAME, build_report, write_report
from wizard.steps import Step
from wizard.store import Store

ROOT = Path(__file__).resolve().parent.parent
SECOND_CCN = "015010"  # COOSA VALLEY HEALTHCARE CENTER, SYLACAUGA, AL (data/providers.csv)
THIRD_CCN = "015012"  # HIGHLANDS HEALTH AND REHAB, SCOTTSBORO, AL
ALLOWED_HREFS = {"https://harp.cms.gov/register", "https://iqies.cms.gov", "mailto:iqies@cms.hhs.gov"}


def request_another(flow: OnboardingFlow, *ccns: str, role: str = "pso") -> None:
    """An existing user's second request (user menu, Request User Role), as the wizard makes it."""
    assert flow.request_role().ok
    for step, form in ((Step.CATEGORY, {"category": "provider"}),
                       (Step.ROLE, {"relationship": "employee", "role": role})):
        assert flow.submit(step, form).ok
    for ccn in ccns:
        assert flow.add_organization("ccn", ccn).ok
    assert flow.submit(Step.ORGANIZATIONS, {}).ok
    assert flow.submit(Step.REVIEW, {}).ok
    assert flow.current_step == Step.AWAIT_APPROVAL


def secret_forms(secrets: list[str]) -> set[str]:
    """Each secret, and each word of it of 3 or more characters, in any case (searched folded)."""
    forms = set()
    for secret in secrets:
        forms.add(secret.casefold())
        forms |= {w.casefold() for w in re.split(r"[^0-9A-Za-z]+", secret) if len(w) >= 3}
    return forms


def assert_no_secret(paths: tuple[Path, Path], secrets: list[str]) -> None:
    forms = secret_forms(secrets)
    assert {"correct", "horse", "blue", "bicycle"} <= secret_forms([PASSWORD, CHALLENGE_ANSWER])
    for path in paths:
        data = path.read_bytes().lower()
        assert len(data) > 2000, path
        for form in forms:
            assert form.encode() not in data, f"{form!r} found in {path.name}"


# -- content of a completed run --------------------------------------------------------------------


@pytest.mark.parametrize("device", ["sms", "google_authenticator"])
def test_a_completed_run_lists_each_organization_and_holds_no_secret(data_dir, clock, tmp_path, device):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, device=device, clock=clock)
    request_another(flow, SECOND_CCN)
    if device == "sms":
        flow.send_code()  # one more code on the phone: the newest must not leak either
        secrets = [PASSWORD, CHALLENGE_ANSWER, last_code(flow), FIXED_TOTP_SECRET]
    else:
        secrets = [PASSWORD, CHALLENGE_ANSWER, FIXED_TOTP_SECRET, otp.totp_code(FIXED_TOTP_SECRET, clock())]
    assert all(len(s) >= 6 for s in secrets)
    out = tmp_path / "out"
    out.mkdir()
    md_path, html_path = write_report(flow, out)
    assert (md_path.name, html_path.name) == (MD_NAME, HTML_NAME)
    for path in (md_path, html_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == sorted([MD_NAME, HTML_NAME])  # no temp file left

    assert_no_secret((md_path, html_path), secrets)
    md, page = md_path.read_text(), html_path.read_text()
    for personal in ("1980", "555-0123", "5550123", "12 Oak Street", "43215", "jane.doe@"):
        assert personal not in md and personal not in page, personal  # not secret, but not needed
    for text in (md, page):
        for org in ("BURNS NURSING HOME, INC.", "RUSSELLVILLE, AL", CCN, "AL22944795",
                    "COOSA VALLEY HEALTHCARE CENTER", "SYLACAUGA, AL", SECOND_CCN, "AL06077035"):
            assert org in text, org
        assert "the sandbox's own" in text.replace("&#x27;", "'")  # the Facility IDs are said to be invented
        assert "practice sandbox" in text
        assert "harp.cms.gov/register" in text and "iqies.cms.gov" in text
        assert "1-800-339-9313" in text and "iqies@cms.hhs.gov" in text
        assert "CMS (this provider has no active PSO)" in text  # each goes to CMS: the first PSO
        assert "at least two PSOs" in text
        # the next steps in the job aid's order
        order = ["harp.cms.gov/register", "I am not a robot", "Login to Complete Setup", "Send Code",
                 "Request User Role", "Add Organizations", "Submit Request", "Role Request Submitted"]
        steps = text[text.index("Next steps"):]
        positions = [steps.index(word) for word in order]
        assert positions == sorted(positions), order
    assert re.search(r"^1\. .*\n(?:\d+\. .*\n)+", md, re.M)  # a numbered list in the Markdown
    assert page.count("<li>") >= 10 and "<ol>" in page


def test_organizations_of_the_request_being_prepared_are_listed_as_not_submitted(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    assert flow.request_role().ok
    assert flow.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert flow.submit(Step.ROLE, {"relationship": "employee", "role": "pso"}).ok
    assert flow.add_organization("ccn", THIRD_CCN).ok  # added, not submitted
    report = build_report(flow)
    by_ccn = {o.ccn: o for o in report.organizations}
    assert list(by_ccn) == [CCN, THIRD_CCN]
    [line] = by_ccn[THIRD_CCN].requests
    assert line.status == "Not submitted yet" and "CMS" in line.detail
    assert by_ccn[THIRD_CCN].psos_planned == 1  # the user's own PSO request-to-be counts


def test_psos_planned_count_every_trainee_and_advise_two(data_dir, clock):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    [alone] = build_report(flow).organizations
    assert (alone.psos_active, alone.psos_requested) == (0, 1)
    assert alone.pso_check.verdict == "check"
    # a colleague requests PSO for the same provider; CMS approves the first one
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="colleague", user_id="msmith_pso",
               person={"first_name": "Mary", "last_name": "Smith", "email": "mary.smith@sunnyacres.org",
                       "email_confirm": "mary.smith@sunnyacres.org"})
    console = Approvals(Store(data_dir, practice_account="console"), clock)
    mine = next(i for i in console.queue(CMS_REVIEWER) if i.request.user_id == "jdoe_pso")
    console.decide(CMS_REVIEWER, mine.request.id, CCN, approve=True)
    [pair] = build_report(new_flow(data_dir, clock)).organizations
    assert (pair.psos_active, pair.psos_requested, pair.psos_planned) == (1, 1, 2)
    assert pair.pso_check.verdict == "ok"
    assert pair.requests[0].status == "Active"
    assert pair.pso_approver == "this provider's Provider Security Officials"  # no longer CMS
    md = build_report(new_flow(data_dir, clock)).to_markdown()
    assert "2 PSOs planned (1 active, 1 requested" in md


def test_corporate_email_and_a_plain_user_id_pass(data_dir, clock):
    report = build_report(advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock))
    assert report.email_domain == "sunnyacres.org"
    assert [c.verdict for c in report.email_checks] == ["ok"]
    assert [c.verdict for c in report.user_id_checks] == ["ok", "ok", "ok", "note"]
    assert "never be changed" in report.to_markdown()
    assert "jane.doe" not in report.to_markdown()  # the domain is checked; the address is not printed


def test_free_mail_and_a_facility_word_in_the_user_id_get_their_verdicts(data_dir, clock):
    flow = advance_to(
        data_dir, Step.AWAIT_APPROVAL, clock=clock, user_id="sunnyacres.jd",
        person={"email": "jane.doe@gmail.com", "email_confirm": "jane.doe@gmail.com",
                "personal_email_allowed": True},
    )
    report = build_report(flow)
    assert report.email_domain == "gmail.com"
    [email] = report.email_checks
    assert email.verdict == "check"
    words = {c.verdict: "".join(str(getattr(p, "text", p)) for p in c.line) for c in report.user_id_checks}
    assert '"acres", "sunny"' in words["check"] and "Sunny Acres Care Center" in words["check"]
    md, page = report.to_markdown(), report.to_html()
    assert re.search(r"\*\*Check:\*\* gmail\.com is a personal email service", md)
    assert re.search(r'badge check">Check</span> gmail\.com is a personal email service', page)
    assert re.search(r'\*\*Check:\*\* Facility name: it contains "acres", "sunny"', md)
    assert re.search(r'badge check">Check</span> Facility name: it contains &quot;acres&quot;', page)
    assert "2 or fewer providers" in md

    # more than two providers: the personal-address exception no longer holds
    request_another(flow, SECOND_CCN, THIRD_CCN)
    checks = build_report(flow).email_checks
    assert [c.verdict for c in checks] == ["check", "problem"]
    assert "3 providers" in build_report(flow).to_markdown()


@pytest.mark.parametrize(
    ("user_id", "verdicts", "says"),
    [
        ("ab#", ["problem", "problem"], "cannot contain #"),  # too short, and a # in it
        ("x" * 80, ["problem", "ok"], "80 characters"),  # too long, characters fine
        ("123456", ["ok", "problem"], "at least one letter"),
    ],
)
def test_a_stored_user_id_that_breaks_the_rules_is_flagged(data_dir, clock, user_id, verdicts, says):
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    flow.record.user_id = user_id  # as an edited database could hold
    checks = build_report(flow).user_id_checks
    assert [c.verdict for c in checks[:2]] == verdicts
    assert says in build_report(flow).to_markdown().replace("\\", "")


def test_no_account_yet_is_refused_with_a_sentence(data_dir, clock):
    from wizard.report import ReportUnavailable

    flow = advance_to(data_dir, Step.ACCOUNT, clock=clock)  # HARP profile saved, no User ID
    with pytest.raises(ReportUnavailable, match="no HARP account yet"):
        build_report(flow)


# -- hostile stored text ---------------------------------------------------------------------------

HOSTILE = '[x](javascript:alert(1)) <script>alert(2)</script> <img src=x onerror=alert(3)> **b** `c` | d & e &amp; # f http://evil.example ![i](http://evil.example/i.png)'


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, the text it shows)
        self._link: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self._link = [dict(attrs).get("href") or ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], "".join(self._link[1:])))
            self._link = None

    def handle_data(self, data):
        self.text.append(data)
        if self._link is not None:
            self._link.append(data)


def collect(html_text: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html_text)
    return parser


def assert_inert(html_text: str, where: str) -> None:
    """No active or embedding tag, no event attribute, and every link is one of the report's own
    addresses or a renderer's autolink of the very text it shows (linkify links bare domains)."""
    parsed = collect(html_text)
    tags = {t for t, _ in parsed.tags}
    forbidden = {"script", "img", "iframe", "object", "embed", "link", "form", "base", "style", "meta"}
    if where == "html":  # the page's own head: one stylesheet, three meta tags
        assert [t for t, _ in parsed.tags].count("style") == 1
        assert [t for t, _ in parsed.tags].count("meta") == 3
        forbidden -= {"style", "meta"}
    assert not tags & forbidden, (where, tags)
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
    for href, shown in parsed.links:
        visible_autolink = href in (f"http://{shown}", f"mailto:{shown}")
        assert href in ALLOWED_HREFS or visible_autolink, (where, href, shown)
        assert "javascript" not in href.lower() and "evil" not in href
    text = " ".join("".join(parsed.text).split())
    assert HOSTILE in text, where  # shown as the characters it holds


def test_hostile_names_are_escaped_in_both_formats(data_dir, clock, tmp_path):
    from markdown_it import MarkdownIt

    # "script" in the User ID puts the facility's name (and the provider's) in the User ID check
    flow = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, user_id="jdoe.script",
                      person={"facility_name": HOSTILE[:120]})
    [request] = flow.my_requests()

    def rename(doc):  # an edited database, or a directory entry with anything in it
        for org in doc.organizations:
            org.name, org.city, org.facility_id = HOSTILE, "<b>x</b>", "](javascript:y)"

    flow.store.update_request(request.id, rename)
    console = Approvals(Store(data_dir, practice_account="console"), clock)
    console.decide(CMS_REVIEWER, request.id, CCN, approve=False, reason=HOSTILE)  # free text
    out = tmp_path / "out"
    out.mkdir()
    md_path, html_path = write_report(new_flow(data_dir, clock), out)
    page, md = html_path.read_text(), md_path.read_text()

    assert_inert(page, "html")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    # as text: the organization (list, table, User ID check, next steps), the facility, the reason
    assert page.count("alert(2)") == 6
    for renderer in (MarkdownIt("commonmark"), MarkdownIt("gfm-like")):
        assert_inert(renderer.render(md), "markdown")


@pytest.mark.parametrize("text", ["- item", "+ item", "1. item", "2) item", "# head", "> quote", "=== x",
                                  "    code", "<div>x</div>", "&lt;", "a  \nb", "\x1b[2Jx\u202e"])
def test_markdown_escape_keeps_the_characters_and_starts_no_block(text):
    from markdown_it import MarkdownIt

    from wizard.report import md_escape

    rendered = MarkdownIt("commonmark").render(f"- {md_escape(text)}\n")
    parsed = collect(rendered)
    assert [t for t, _ in parsed.tags] == ["ul", "li"], rendered
    shown = "".join(parsed.text).strip()
    from wizard.sanitize import clean_line

    assert shown == " ".join(clean_line(text).split()) or shown == re.sub(r"\s+", " ", clean_line(text)).strip()


# -- the command line ------------------------------------------------------------------------------


def test_cli_writes_both_files_into_the_data_directory_by_default(data_dir, clock, capsys):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    assert cli.main(["--data-dir", str(data_dir), "report"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [str(data_dir / MD_NAME), str(data_dir / HTML_NAME)]
    assert captured.err == ""
    assert stat.S_IMODE((data_dir / HTML_NAME).stat().st_mode) == 0o600


def test_cli_output_dir_and_practice_account_after_the_command(data_dir, clock, capsys, tmp_path):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="bob", user_id="bob_pso")
    holder = Store(data_dir, practice_account="bob")
    holder.claim_wizard()  # bob's wizard is open: the report only reads, so it still works
    try:
        out = tmp_path / "printouts"
        out.mkdir()
        assert cli.main(["report", "--data-dir", str(data_dir), "--profile", "bob", "--output", str(out)]) == 0
    finally:
        holder.release_wizard()
    assert capsys.readouterr().out.splitlines() == [str(out / MD_NAME), str(out / HTML_NAME)]
    assert "bob\\_pso" in (out / MD_NAME).read_text()


def test_cli_practice_account_without_an_account_exits_1_with_one_line(data_dir, capsys):
    assert cli.main(["--data-dir", str(data_dir), "--profile", "newbie", "report"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("iqies-onboard: ") and "newbie" in line and "no HARP account" in line
    assert not (data_dir / MD_NAME).exists()


@pytest.mark.parametrize("where", ["missing", "file", "under_file"])
def test_cli_unusable_output_exits_2_with_one_line(data_dir, clock, capsys, tmp_path, where):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    target = {"missing": tmp_path / "nowhere", "file": plain, "under_file": plain / "sub"}[where]
    assert cli.main(["--data-dir", str(data_dir), "report", "--output", str(target)]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("iqies-onboard: error: ") and str(target) in line
    assert captured.out == "" and plain.read_text() == "x"


def test_cli_unwritable_output_exits_2_with_one_line(data_dir, clock, capsys, tmp_path, monkeypatch):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    out = tmp_path / "locked"
    out.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: refuse the write the way the kernel would
        import tempfile

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    else:
        out.chmod(0o500)
    try:
        assert cli.main(["--data-dir", str(data_dir), "report", "--output", str(out)]) == 2
    finally:
        out.chmod(0o700)
    [line] = capsys.readouterr().err.splitlines()
    assert "not writable" in line and str(out) in line
    assert list(out.iterdir()) == []


def test_cli_report_in_a_subprocess(data_dir, clock, tmp_path):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "report"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(data_dir / MD_NAME), str(data_dir / HTML_NAME)]
    help_out = subprocess.run(
        [sys.executable, "-m", "app", "report", "--help"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert help_out.returncode == 0 and "--output DIR" in help_out.stdout


# -- the wizard's key ------------------------------------------------------------------------------


async def test_ctrl_r_on_await_approval_writes_both_files(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    app = make_app(data_dir, clock, signed_in=True)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.STEP == Step.AWAIT_APPROVAL
        assert not (data_dir / MD_NAME).exists()
        await pilot.press("ctrl+r")
        await pilot.pause()
        for name in (MD_NAME, HTML_NAME):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600
        notes = [str(n.message) for n in app._notifications]
        assert any(str(data_dir / MD_NAME) in n and str(data_dir / HTML_NAME) in n for n in notes), notes
        assert app.screen.STEP == Step.AWAIT_APPROVAL  # the page stays
    assert "BURNS NURSING HOME, INC." in (data_dir / HTML_NAME).read_text()


def test_the_report_of_a_finished_run_says_how_far_it_got(data_dir):
    """A tester found 'You reached step 6 of 12' after a submitted request: a new session starts
    at the sign-in, but the stored position is how far the user got."""
    from tests.states import advance_to, new_flow
    from wizard.report import build_report
    from wizard.steps import Step

    advance_to(data_dir, Step.AWAIT_APPROVAL)
    text = build_report(new_flow(data_dir)).to_markdown()
    assert "You reached step 12 of 12" in text


@pytest.mark.parametrize("text", ["NURSING & REHAB", "A&B CARE", "ST. JOHN'S #2", "WOW! 100%", "$5 ^up"])
def test_markdown_escapes_only_what_markdown_needs(text):
    """A provider name stays searchable as typed: "&" is escaped only where it starts an entity."""
    from markdown_it import MarkdownIt

    from wizard.report import md_escape

    assert md_escape(text) == text
    assert "".join(collect(MarkdownIt("commonmark").render(f"- {md_escape(text)}\n")).text).strip() == text
