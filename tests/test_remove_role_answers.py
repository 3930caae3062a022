"""The answers file's remove_role action and expect: removed (issue 19, item 6): the "employee
left" example runs end to end through run --answers; a remove_role the rules refuse stops the
run with the reason; the checker refuses a removal by cms or without a reason before anything runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app import cli
from wizard.answers import check, parse_text
from wizard.flow import OnboardingFlow
from wizard.records import Status
from wizard.store import Store

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "employee-left.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
REMOVAL = "remove_role: {as: nhale.practice, person: sam, reason: Left the provider}"


def run(data_dir: Path, path: Path, capsys) -> tuple[int, str]:
    code = cli.main(["--data-dir", str(data_dir), "run", "--answers", str(path)])
    return code, capsys.readouterr().out


def test_employee_left_runs_through_run_answers(data_dir, capsys):
    code, out = run(data_dir, EXAMPLE, capsys)
    assert code == 0, out
    assert "then 5/5: remove_role as nhale.practice: Removed: Sam Ortiz no longer has PBJ Submitter" in out
    assert out.splitlines()[-1] == "Result: reached the expected end: removed."
    [sam] = OnboardingFlow(Store(data_dir, practice_account="sam")).my_requests()
    org = sam.organizations[0]
    assert org.status == Status.REMOVED and org.reason == "Left the provider" and org.removed_by == "nhale.practice"
    mail = OnboardingFlow(Store(data_dir, practice_account="sam")).messages()
    assert any("was removed" in m.get("subject", "") for m in mail)
    [nadia] = OnboardingFlow(Store(data_dir, practice_account="nadia")).my_requests()
    assert nadia.organizations[0].status == Status.APPROVED  # the PSO keeps hers


def test_removing_the_last_pso_herself_stops_the_run(data_dir, capsys, tmp_path):
    text = TEXT.replace(REMOVAL, "remove_role: {as: nhale.practice, person: nadia, reason: Leaving}")
    text = text.replace("expect: removed", "expect: approved")
    path = tmp_path / "self.yaml"
    path.write_text(text, encoding="utf-8")
    code, out = run(data_dir, path, capsys)
    assert code == 1
    assert "then 5/5: refused: You are the last PSO" in out and "iQIES Service Center" in out


def test_the_checker_refuses_removal_by_cms_or_without_a_reason():
    by_cms = check(parse_text(TEXT.replace("remove_role: {as: nhale.practice", "remove_role: {as: cms"), "yaml"), date.today())
    assert not by_cms.ok and any("remove_pso" in e.message for e in by_cms.errors)
    blank = check(parse_text(TEXT.replace("reason: Left the provider", 'reason: "  "'), "yaml"), date.today())
    assert not blank.ok and any(e.path == "then.5.remove_role.reason" for e in blank.errors)
    stranger = check(parse_text(TEXT.replace("person: sam, reason", "person: zoe, reason"), "yaml"), date.today())
    assert not stranger.ok and any("zoe" in e.message for e in stranger.errors)
