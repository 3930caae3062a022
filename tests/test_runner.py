"""The headless runner (wizard/runner.py), answers files (wizard/answers.py), the scenario
examples in examples/ and the demo personas in data/personas.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FrozenClock, SequentialCodes
from app import cli
from wizard.answers import AnswersFile, _text_loader, personas
from wizard.flow import OnboardingFlow
from wizard.steps import Step
from wizard.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MISTAKES = EXAMPLES / "three-mistakes.yaml"
RUNNABLE = sorted(p for p in EXAMPLES.glob("*.yaml") if p != MISTAKES)


def read_yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_text_loader())  # noqa: S506


def run(data_dir: Path, answers: Path, *extra: str, capsys) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(data_dir), "run", "--answers", str(answers), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``directory`` with its bytes and mode (empty if it does not exist)."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def secrets_of(path: Path) -> list[str]:
    raw = read_yaml(path)
    people = raw.get("people") or [raw]
    found = []
    for person in people:
        account = person.get("account") or {}
        found += [account.get("password"), account.get("challenge_answer")]
        found.append((person.get("two_factor") or {}).get("totp_secret"))
    for action in raw.get("then") or []:  # self-service actions: new passwords and answers
        for part in action.values():
            if isinstance(part, dict):
                found += [part.get("new_password"), part.get("challenge_answer")]
    return [s for s in found if s]


def flow_of(data_dir: Path, practice_account: str) -> OnboardingFlow:
    return OnboardingFlow(Store(data_dir, practice_account=practice_account))


def phone_codes(data_dir: Path, practice_account: str) -> list[str]:
    flow = flow_of(data_dir, practice_account)
    return [re.search(r"code is ((?:[0-9] ?){6})", m["body"]).group(1).replace(" ", "")
            for m in flow.messages() if m.get("kind") in ("sms", "voice")]


# --- every example runs to the end it states -------------------------------------------------------


def test_the_examples_cover_every_scenario():
    names = {p.stem for p in RUNNABLE}
    assert names == {"happy-path", "proofing-fails-manual", "wrong-codes-lockout", "vendor-asks-for-pso",
                     "second-pso", "only-pso-left", "employee-left", "forgot-password"}
    expected = {p.stem: read_yaml(p)["expect"] for p in RUNNABLE}
    assert set(expected.values()) == {"submitted", "manual_proofing", "locked", "refused", "approved", "removed"}


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda p: p.stem)
def test_example_runs_to_its_stated_end(example, data_dir, capsys):
    expect = read_yaml(example)["expect"]
    code, out, err = run(data_dir, example, capsys=capsys)
    assert code == 0, out + err
    assert out.splitlines()[-1] == f"Result: reached the expected end: {expect}."
    assert err == ""
    assert "Traceback" not in out
    for secret in secrets_of(example):
        assert secret not in out, "a secret reached the output"
    log = (data_dir / "iqies-onboard.log").read_text(encoding="utf-8")
    for secret in secrets_of(example):
        assert secret not in log


def test_happy_path_leaves_a_pending_request_for_cms(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "happy-path.yaml", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    for step in Step.ordered():  # one line per step, "n/12 Title: ..."
        assert any(line.startswith(f"{step.number}/12 {step.info.real_page}: ") for line in lines), step
    assert lines[0] == "1/12 Profile Information: ok"
    flow = flow_of(data_dir, "maria")
    assert flow.record.user_id == "mlopez.practice"
    [request] = flow.my_requests()
    assert request.role == "pso" and request.organizations[0].ccn == "365005"
    assert request.organizations[0].status == "pending"
    assert request.organizations[0].approver == "cms"
    codes = phone_codes(data_dir, "maria")
    assert len(codes) == 2  # setup and sign-in, each read from the sandbox phone
    for code_text in codes:
        assert code_text not in out


def test_proofing_fails_twice_goes_to_manual_proofing(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "proofing-fails-manual.yaml", capsys=capsys)
    assert code == 0
    assert out.count("Identity Verification: not verified") == 2
    flow = flow_of(data_dir, "robert")
    assert flow.needs_manual_proofing and flow.record.identity_proofed is None
    assert flow.current_step == Step.PROOFING


def test_wrong_codes_lock_the_device(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "wrong-codes-lockout.yaml", capsys=capsys)
    assert code == 0
    assert "locked" in out.splitlines()[-2] or "locked" in out
    factor = flow_of(data_dir, "aisha").record.factor
    assert factor.failures == 5 and factor.locked_until is not None and not factor.verified
    assert factor.totp_secret == "SANDBOXSANDBOXSANDBOXSANDBOXSAND"  # the file's secret was used


def test_vendor_is_refused_and_told_what_to_request(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "vendor-asks-for-pso.yaml", capsys=capsys)
    assert code == 0
    assert "9/12 Select a User Role: refused" in out
    assert "Ask for PBJ Submitter" in out
    assert flow_of(data_dir, "pat").my_requests() == []


def test_second_pso_is_approved_by_the_first(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "second-pso.yaml", capsys=capsys)
    assert code == 0
    [grace] = flow_of(data_dir, "grace").my_requests()
    [tom] = flow_of(data_dir, "tom").my_requests()
    assert grace.organizations[0].decided_by == "cms"
    assert tom.organizations[0].status == "approved"
    assert tom.organizations[0].decided_by == "gpark.practice"


def test_only_pso_left_is_removed_and_cms_approves_the_new_one(data_dir, capsys):
    code, out, _ = run(data_dir, EXAMPLES / "only-pso-left.yaml", capsys=capsys)
    assert code == 0
    [ellen] = flow_of(data_dir, "ellen").my_requests()
    [luis] = flow_of(data_dir, "luis").my_requests()
    assert ellen.organizations[0].status == "removed"
    assert luis.organizations[0].status == "approved"
    assert luis.organizations[0].decided_by == "cms"
    assert Store(data_dir).clock_offset_days() == 30


def test_every_example_in_one_classroom_directory(data_dir, capsys):
    """The examples use distinct people, User IDs and providers, so a trainer can run them all
    into one shared data directory."""
    for example in RUNNABLE:
        code, out, err = run(data_dir, example, capsys=capsys)
        assert code == 0, (example.name, out, err)


def test_a_real_subprocess_runs_an_example(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQIES_ONBOARD_HOME": str(tmp_path / "home")}
    data = tmp_path / "data"
    # the common options work after the command too
    proc = subprocess.run(
        [sys.executable, "-m", "app", "run", "--answers", str(EXAMPLES / "second-pso.yaml"),
         "--data-dir", str(data)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "Result: reached the expected end: approved."
    assert proc.stderr == ""
    assert not (tmp_path / "home").exists()  # --data-dir was honoured


def test_running_again_resumes_and_skips_what_is_done(data_dir, capsys):
    assert run(data_dir, EXAMPLES / "happy-path.yaml", capsys=capsys)[0] == 0
    code, out, _ = run(data_dir, EXAMPLES / "happy-path.yaml", capsys=capsys)
    assert code == 0
    assert "1/12 Profile Information: already done" in out
    assert "6/12 Sign in with HARP: ok" in out  # signing in is needed on every launch
    assert len(flow_of(data_dir, "maria").my_requests()) == 1  # nothing submitted twice


def test_an_end_other_than_the_expected_one_exits_1_with_the_reason(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    raw["expect"] = "locked"
    path = tmp_path / "wrong-end.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, out, _ = run(data_dir, path, capsys=capsys)
    assert code == 1
    assert out.splitlines()[-1].startswith("Result: stopped: expected locked, but the request was submitted")


def test_a_refusal_that_says_something_else_is_not_the_expected_end(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "vendor-asks-for-pso.yaml")
    raw["refusal"]["says"] = "Ask for Provider Administrator"
    path = tmp_path / "vendor.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, out, _ = run(data_dir, path, capsys=capsys)
    assert code == 1
    assert "expected refused, but the wizard refused at 9/12 Select a User Role" in out


def test_a_pso_who_is_not_active_cannot_approve(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "second-pso.yaml")
    raw["then"] = [{"approve": {"as": "gpark.practice", "person": "tom"}}]  # nobody approved Grace
    path = tmp_path / "no-pso-yet.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, out, err = run(data_dir, path, capsys=capsys)
    assert code == 1
    assert "gpark.practice is not an active Provider Security Official" in out
    assert "Traceback" not in out + err
    [tom] = flow_of(data_dir, "tom").my_requests()
    assert tom.organizations[0].status == "pending"


# --- mistakes in the file: all of them, and nothing changes ---------------------------------------


def test_three_mistakes_are_all_reported_and_nothing_is_stored(data_dir, capsys):
    code, out, err = run(data_dir, MISTAKES, capsys=capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    source = str(MISTAKES)
    assert [line.split(": ", 2)[:2] for line in lines[:3]] == [
        [source, "profile.email"], [source, "profile.zip_code"], [source, "organizations.1.id"],
    ]
    assert "personal email service" in lines[0]
    assert "ZIP code is 5 digits" in lines[1]
    assert "A CCN has exactly 6 characters" in lines[2]
    assert lines[3] == f"iqies-onboard: 3 mistakes in {source}; nothing was run or stored."
    assert len(lines) == 4
    assert not data_dir.exists()  # not even created


def test_mistakes_leave_an_existing_data_directory_byte_for_byte_unchanged(data_dir, capsys):
    assert run(data_dir, EXAMPLES / "happy-path.yaml", capsys=capsys)[0] == 0
    before = snapshot(data_dir)
    assert "onboarding.json" in before
    code, _, err = run(data_dir, MISTAKES, capsys=capsys)
    assert code == 2 and err
    assert snapshot(data_dir) == before


def test_a_user_id_taken_in_the_data_directory_is_refused_before_any_write(data_dir, capsys):
    assert run(data_dir, EXAMPLES / "happy-path.yaml", capsys=capsys)[0] == 0
    before = snapshot(data_dir)
    code = cli.main(["--data-dir", str(data_dir), "--profile", "someone-else", "run",
                     "--answers", str(EXAMPLES / "happy-path.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{EXAMPLES / 'happy-path.yaml'}: account.user_id: That User ID is already taken" in err
    assert snapshot(data_dir) == before


def test_every_kind_of_mistake_names_its_field(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    raw["profile"]["frist_name"] = raw["profile"].pop("first_name")  # a typo
    raw["account"]["password"] = "short"
    raw["two_factor"] = {"device_type": "fax"}
    raw["role"]["role"] = "boss"
    raw["proofing"]["not_a_robot"] = False
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    found = {line.split(": ", 2)[1]: line.split(": ", 2)[2] for line in err.splitlines()[:-1]}
    assert found["profile.first_name"] == "First name is required."
    assert found["profile.frist_name"] == "Unknown field (did you mean first_name?)."
    assert found["account.password"].startswith("Password needs: ")
    assert found["two_factor.device_type"].startswith("Choose one of: sms, voice")
    assert found["role.role"] == "Choose a user role from the list."
    assert found["proofing.not_a_robot"] == "Tick 'I am not a robot' before you continue."
    assert "short" not in err  # a password is never echoed
    assert not data_dir.exists()


def test_scenario_references_are_checked(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "second-pso.yaml")
    raw["then"] = [
        {"approve": {"as": "nobody.here", "person": "tom"}},
        {"reject": {"as": "cms", "person": "ghost", "reason": "x"}},
        {"dance": {}},
    ]
    raw["people"][1]["account"]["user_id"] = "GPARK.practice"  # the same User ID as Grace
    path = tmp_path / "refs.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    paths = [line.split(": ", 2)[1] for line in err.splitlines()[:-1]]
    assert "people.2.account.user_id" in paths
    assert "then.3" in paths  # an unknown action
    assert "That User ID is already taken" in err


@pytest.mark.parametrize("both", [False, True], ids=["older-name-only", "both-the-same"])
def test_profile_name_is_still_read_as_the_practice_account(data_dir, tmp_path, capsys, both):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    name = raw.pop("practice_account") if not both else raw["practice_account"]
    raw["profile_name"] = name
    path = tmp_path / "older.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert (code, err) == (0, "")
    assert flow_of(data_dir, name).record.user_id == raw["account"]["user_id"]


def test_older_names_work_for_people_too_and_references_find_them(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "second-pso.yaml")
    for person in raw["people"]:
        person["profile_name"] = person.pop("practice_account")
    path = tmp_path / "older-people.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert (code, err) == (0, "")


def test_a_practice_account_and_a_different_profile_name_are_refused(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    raw["profile_name"] = "someone-else"
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    assert (f"{path}: practice_account: practice_account 'maria' and profile_name 'someone-else' (its older "
            "name) differ; give only one.") in err
    assert snapshot(data_dir) == {}  # refused before anything is written


def test_sections_a_run_needs_are_required(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    del raw["organizations"], raw["two_factor"]
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    assert f"{path}: two_factor: this section is needed to reach the expected end (submitted)." in err
    assert f"{path}: organizations: this section is needed" in err


# --- formats and unreadable files ------------------------------------------------------------------


def test_json_works_like_yaml(data_dir, tmp_path, capsys):
    path = tmp_path / "happy.json"
    path.write_text(json.dumps(read_yaml(EXAMPLES / "happy-path.yaml"), indent=2), encoding="utf-8")
    code, out, _ = run(data_dir, path, capsys=capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "Result: reached the expected end: submitted."


def test_json_numbers_are_read_as_typed_text(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    raw["profile"]["zip_code"] = 45211
    raw["organizations"][0]["id"] = "365005"
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert run(data_dir, path, capsys=capsys)[0] == 0


def test_yaml_keeps_leading_zeros_as_text(tmp_path):
    """A bare 015000 is octal in YAML 1.1; here it stays the CCN that was typed."""
    from wizard.answers import parse_text

    data = parse_text("id: 015000\nflag: true\nnothing: null\nyes_word: yes\n", "yaml")
    assert data == {"id": "015000", "flag": True, "nothing": None, "yes_word": "yes"}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.yaml", "profile: [unclosed\n", "not valid YAML"),
        ("bad.json", '{"expect": "submitted",}', "line 1, column 24: not valid JSON"),
        ("empty.yaml", "   \n", "is empty"),
        ("latin1.yaml", "profile:\n  first_name: Jos\xe9\n".encode("latin-1"), "is not UTF-8 text"),
        ("twice.yaml", "expect: submitted\nexpect: locked\n", "the field expect appears twice"),
        ("alias.yaml", "a: &x [1]\nb: *x\n", "anchors and aliases"),
        ("list.yaml", "- just\n- a list\n", "an answers file is a mapping"),
    ],
)
def test_an_unreadable_file_gets_one_line_and_exit_2(data_dir, tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, out, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if not line.startswith("iqies-onboard: 1 mistake")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{path}: ") and expected in lines[0], lines[0]
    assert "Traceback" not in err
    assert not data_dir.exists()


def test_a_missing_file_or_a_directory_gets_one_line_and_exit_2(data_dir, tmp_path, capsys):
    for target, expected in ((tmp_path / "nope.yaml", "no such file"), (tmp_path, "is a directory")):
        code, _, err = run(data_dir, target, capsys=capsys)
        assert code == 2
        assert err.splitlines() == [f"{target}: {expected}" + (", not an answers file" if target == tmp_path else "")]
    assert not data_dir.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_gets_one_line(data_dir, tmp_path, capsys):
    path = tmp_path / "secret.yaml"
    path.write_text("expect: submitted\n", encoding="utf-8")
    path.chmod(0)
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    assert err.splitlines() == [f"{path}: cannot be read (permission denied)"]


def test_run_without_answers_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["run"])
    assert stop.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


# --- the schema ------------------------------------------------------------------------------------


def test_schema_prints_a_json_schema(capsys, tmp_path):
    assert cli.main(["--data-dir", str(tmp_path / "d"), "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "iqies-onboard answers file"
    assert schema["type"] == "object"
    assert {"expect", "profile", "account", "proofing", "two_factor", "role", "organizations", "people",
            "then", "refusal"} <= set(schema["properties"])
    assert schema["required"] == ["expect"]
    defs = schema["$defs"]
    assert defs["AccountAnswers"]["properties"]["password"]["writeOnly"] is True
    assert defs["TwoFactorAnswers"]["properties"]["totp_secret"]["anyOf"][0]["writeOnly"] is True
    assert "pso" in defs["RoleAnswers"]["properties"]["role"]["enum"]
    assert defs["ProfileAnswers"]["properties"]["first_name"]["title"] == "First name"
    assert "as" in defs["Decision"]["properties"]  # the alias, as written in a file
    assert not (tmp_path / "d").exists()


def test_every_example_matches_the_schemas_own_model():
    for example in RUNNABLE:
        AnswersFile.model_validate(read_yaml(example))


# --- --interactive: the wizard opens at the first step the file leaves open -------------------------


async def test_interactive_opens_the_wizard_at_the_first_open_step(data_dir, tmp_path):
    from app.run import interactive_app
    from wizard.runner import prepare

    raw = read_yaml(EXAMPLES / "happy-path.yaml")
    del raw["organizations"]
    raw["role"] = {"category": "provider", "relationship": "employee"}  # no role chosen yet
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    lines: list[str] = []
    code, scenario = prepare(path, data_dir=data_dir, interactive=True, out=lines.append)
    assert code == 0 and scenario.opening == Step.ROLE
    app = interactive_app(scenario)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.screen.STEP == Step.ROLE
            assert app.flow.signed_in
            assert app.flow.draft(Step.ROLE) == {"relationship": "employee"}
    finally:
        scenario.release()
    assert lines[-1] == "Opening the wizard at 9/12 Select a User Role."
    assert "8/12 Select a User Category: ok (provider)" in lines


async def test_interactive_puts_a_half_filled_profile_on_the_page(data_dir, tmp_path):
    from app.run import interactive_app
    from wizard.runner import prepare

    raw = {"expect": "submitted", "profile": {"first_name": "Maria", "email": "maria.lopez@example.org"}}
    path = tmp_path / "start.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    code, scenario = prepare(path, data_dir=data_dir, interactive=True, out=lambda line: None)
    assert code == 0 and scenario.opening == Step.PROFILE
    app = interactive_app(scenario)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.screen.STEP == Step.PROFILE
            draft = app.flow.draft(Step.PROFILE)
            assert draft["first_name"] == "Maria" and draft["email"] == "maria.lopez@example.org"
    finally:
        scenario.release()


def test_interactive_still_refuses_structural_mistakes(data_dir, tmp_path, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text("expect: submitted\nprofile:\n  frist_name: Maria\n", encoding="utf-8")
    code, _, err = run(data_dir, path, "--interactive", capsys=capsys)
    assert code == 2
    assert f"{path}: profile.frist_name: Unknown field" in err
    assert not data_dir.exists()


def test_interactive_is_for_one_person(data_dir, capsys):
    code, _, err = run(data_dir, EXAMPLES / "second-pso.yaml", "--interactive", capsys=capsys)
    assert code == 2
    assert "--interactive runs a one-person file" in err


# --- advance() and the personas, for the demo mode ---------------------------------------------------


def test_personas_are_visibly_fake_and_complete():
    from wizard.directory import default_directory

    found = personas()
    assert {"maria", "robert", "aisha", "pat", "grace", "tom", "ellen", "luis"} <= set(found)
    text = (ROOT / "data" / "personas.json").read_text(encoding="utf-8")

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert not [k for k in keys(json.loads(text)) if "ssn" in k.lower() and k != "ssn_choice"]
    assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", text)  # nothing shaped like an SSN
    for persona in found.values():
        assert persona.profile.email.rsplit("@", 1)[1] in ("example.org", "example.com")
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", persona.profile.phone)
        for org in persona.organizations:
            directory = default_directory()
            provider = directory.by_ccn(org.id) if org.search_by == "ccn" else directory.by_facility_id(org.id)
            assert provider is not None, org


@pytest.mark.parametrize("key", ["maria", "robert", "aisha", "tom", "luis"])
def test_advance_takes_a_persona_to_any_step(key, data_dir):
    from wizard.runner import advance

    flow = OnboardingFlow(Store(data_dir, practice_account=key), clock=FrozenClock(), randbelow=SequentialCodes(),
                          seed_factory=lambda: "test-seed")
    lines: list[str] = []
    end = advance(flow, personas()[key].answers(), until=Step.ROLE, out=lines.append)
    assert end.end == "until" and flow.current_step == Step.ROLE
    assert flow.signed_in
    assert lines[-1].startswith("8/12 Select a User Category: ok")
    end = advance(flow, personas()[key].answers(), out=lines.append)
    assert end.end == "submitted"


def test_advance_with_the_vendor_persona_stops_at_the_refusal(data_dir):
    from wizard.runner import advance

    flow = OnboardingFlow(Store(data_dir), clock=FrozenClock(), randbelow=SequentialCodes())
    end = advance(flow, personas()["pat"].answers())
    assert end.end == "refused" and end.step == Step.ROLE and end.fields == ("role",)
    assert "PBJ Submitter" in end.message


def test_a_pso_rejects_with_a_reason_the_requester_reads(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "second-pso.yaml")
    raw["expect"] = "submitted"
    raw["then"][-1] = {"reject": {"as": "gpark.practice", "person": "tom", "reason": "Tom starts next month."}}
    path = tmp_path / "reject.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, out, _ = run(data_dir, path, capsys=capsys)
    assert code == 0, out
    assert "then 3/3: reject as gpark.practice: Rejected: Tom Reyes's request" in out
    [tom] = flow_of(data_dir, "tom").my_requests()
    assert tom.organizations[0].status == "rejected"
    assert tom.organizations[0].reason == "Tom starts next month."


def test_a_rejection_without_a_reason_is_a_mistake_in_the_file(data_dir, tmp_path, capsys):
    raw = read_yaml(EXAMPLES / "second-pso.yaml")
    raw["then"][-1] = {"reject": {"as": "cms", "person": "tom", "reason": "   "}}
    path = tmp_path / "no-reason.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, _, err = run(data_dir, path, capsys=capsys)
    assert code == 2
    assert f"{path}: then.3.reject.reason: A rejection needs a reason" in err
    assert not data_dir.exists()


# --- a CCN outside the directory names its provider type (one rule: wizard.rules) ------------

CCN_KINDS = [
    ("210101", "Maryland short-term hospital"),
    ("011300", "Alabama critical access hospital"),
    ("012000", "Alabama long-term care hospital"),
    ("013025", "Alabama inpatient rehabilitation facility"),
    ("011500", "Alabama hospice"),
    ("013100", "Alabama home health agency"),
    ("017000", "Alabama home health agency"),
    ("019000", "Alabama home health agency"),
    ("01U001", "Alabama hospital's swing-bed"),
    ("015999", "Alabama nursing home's number"),
    ("019999", "in no CCN range"),
    ("15009", "lost its leading zero"),
]


@pytest.mark.parametrize(("ccn", "named"), CCN_KINDS)
def test_runner_names_the_provider_type_of_a_ccn_outside_the_directory(data_dir, tmp_path, capsys, ccn, named):
    answers = read_yaml(EXAMPLES / "happy-path.yaml")
    answers["organizations"] = [{"search_by": "ccn", "id": ccn}]
    path = tmp_path / "ccn.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    code, out, err = run(data_dir, path, capsys=capsys)
    assert code == 2 and out == ""
    [line] = [line for line in err.splitlines() if "organizations.1.id" in line]
    assert named in line
    if len(ccn) == 5:
        assert "try 015009" in line
    elif "nursing home's number" not in named and "no CCN range" not in named:
        assert "lists only nursing homes" in line and "not a nursing home's" in line
    assert not data_dir.exists()
