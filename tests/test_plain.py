"""``iqies-onboard plain``: the wizard as line-by-line questions, driven as a person would, on a
pseudo-terminal (pexpect) and through pipes (no terminal at all). The same answers through
``plain`` and through ``run --answers examples/happy-path.yaml`` store the same record."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pexpect.popen_spawn
import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Practice-Only-2026a"
ANSWER = "tomato soup"
TIMEOUT = 20


def _env(home: Path, term: str = "dumb") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQIES_ONBOARD")}
    env.update({"IQIES_ONBOARD_HOME": str(home), "TERM": term, "NO_COLOR": "1", "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1"})
    return env


class Person:
    """One plain session: on a pseudo-terminal (``tty=True``) or through pipes."""

    def __init__(self, home: Path, tty: bool, log: list[str]) -> None:
        self.tty = tty
        cmd = [sys.executable, "-m", "app", "--profile", "maria", "plain"]
        if tty:
            self.child = pexpect.spawn(cmd[0], cmd[1:], env=_env(home), cwd=str(ROOT), encoding="utf-8",
                                       timeout=TIMEOUT, dimensions=(24, 80))
        else:
            self.child = pexpect.popen_spawn.PopenSpawn(cmd, env=_env(home), cwd=str(ROOT), encoding="utf-8",
                                                        timeout=TIMEOUT)
        self.log = log
        self.child.logfile_read = _Collect(log)

    def expect(self, pattern: str) -> re.Match:
        try:
            self.child.expect(pattern)
        except pexpect.TIMEOUT:
            raise AssertionError(f"waited for {pattern!r}; the last lines were:\n"
                                 + "".join(self.log)[-1500:]) from None
        return self.child.match

    def answer(self, question: str, text: str) -> None:
        self.expect(question)
        self.child.sendline(text)

    def choose(self, question: str, text: str) -> None:
        self.expect(question)
        self.answer(r"Type the number of your choice\.", text)

    def secret(self, question: str, text: str) -> None:
        self.expect(question)
        if self.tty:
            self.expect(r"\(not shown\) ")  # getpass has turned echo off
        self.child.sendline(text)

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        if self.tty:
            self.child.close()
            return self.child.exitstatus
        return self.child.wait()


class _Collect:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def write(self, text: str) -> None:
        self.log.append(text)

    def flush(self) -> None:
        pass


def _proofing_answers(home: Path) -> list[int]:
    """What the person knows: the right answers of the current attempt (read, never written)."""
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    flow = OnboardingFlow(Store(home, practice_account="maria"))
    return [q.correct + 1 for q in flow.proofing_questions()]


def walk(home: Path, tty: bool) -> str:
    """From an empty data directory to Pending Requests, with a refusal of each kind, ?, <, a
    quit half way and a resume. Returns everything printed."""
    log: list[str] = []
    p = Person(home, tty, log)
    step1 = r"Step 1 of 12, HARP: Profile Information\. "
    p.answer(step1 + r"First name, required\.", "?")
    p.expect(r"Help: Step 1: Your profile")
    p.expect("End of help.")
    p.child.sendline("Maria")
    p.answer(r"Middle name, optional\. Enter skips it\.", "")
    p.answer(r"Last name, required\.", "Lopez")
    p.choose(r"Suffix, optional\. 6 choices", "")
    p.answer(r"Date of birth, required\. MM/DD/YYYY", "14/03/1979")  # refusal: a rule
    p.expect(r"Not accepted: Date of birth: [^\n]+ Please answer again\.")
    p.answer(r"Date of birth, required", "03/14/1979")
    p.answer(r"Email, required", "maria.lopez@gmail.com")
    p.answer(r"Confirm email, required", "maria.lopez@gmail.com")
    p.answer(r"2 or fewer providers, no work email domain, optional", "maybe")  # refusal: yes/no
    p.expect(r"please type yes or no")
    p.answer(r"2 or fewer providers, no work email domain, optional", "no")
    p.answer(r"Phone number, required", "(513) 555-0101")
    p.answer(r"Street address, required", "101 Example Avenue")
    p.answer(r"City, required", "Cincinnati")
    p.answer(r"State, required", "OH")
    p.answer(r"ZIP code, required", "45211")
    p.choose(r"SSN for HARP, required", "7")  # refusal: a choice
    p.expect(r"Not accepted: SSN for HARP: type a number from 1 to 2\.")
    p.answer(r"Type the number of your choice\.", "1")
    p.answer(r"Your facility, required", "The Chateau at Mountain Crest")
    # refusal at the end of the step: the flow's own, and the offending field asked again
    p.expect(r"Not accepted: Email: [^\n]*(personal|work|corporate)")
    p.answer(r"Email, required\. [^\n]*Current value: maria\.lopez@gmail\.com\. Enter keeps it\.", "maria.lopez@example.org")
    p.answer(r"Confirm email, required", "maria.lopez@example.org")
    p.answer(r"2 or fewer providers, no work email domain, optional\. [^\n]*Current answer: no", "")
    p.expect(r"Step 1 done\.")

    step2 = r"Step 2 of 12, HARP: User ID, Password and Challenge Question\. "
    p.answer(step2 + r"User ID, required", "<")  # back to the profile, which keeps every answer
    p.expect(r"Back to step 1, Profile Information\.")
    p.answer(step1 + r"First name, required\. Current value: Maria\. Enter keeps it\.", "")
    p.answer(r"Middle name, optional\. Enter skips it\.", "")
    p.answer(r"Last name, required\. Current value: Lopez", "")
    p.choose(r"Suffix, optional", "")
    p.answer(r"Date of birth, required\. [^\n]*Current value: 03/14/1979", "")
    for label in ("Email", "Confirm email", "2 or fewer providers, no work email domain", "Phone number",
                  "Street address", "City", "State", "ZIP code"):
        p.answer(label + r", (required|optional)\. [^\n]*(Current value|Current answer)", "")
    p.choose(r"SSN for HARP, required\. [^\n]*current choice: I will provide my SSN to HARP", "")
    p.answer(r"Your facility, required\. [^\n]*Current value: The Chateau", "")
    p.expect(r"Step 1 done\.")
    p.answer(step2 + r"User ID, required", "mlopez.practice")
    p.secret(r"Password, required\. Needs 15 to 60 characters", "short")  # refusal: a secret
    p.expect(r"Not accepted: Password: ")
    p.secret(r"Password, required", PASSWORD)
    p.secret(r"Confirm password, required", PASSWORD)
    p.choose(r"Challenge question, required\. 12 choices", "1")
    p.secret(r"Challenge answer, required", ANSWER)
    p.answer(r"Create the account with this User ID\? Type yes or no\.", "yes")
    p.expect(r"Step 2 done\.")

    p.expect(r"Step 3 of 12, HARP: Identity Verification")
    p.expect(r"attempt 1 of 2")
    for number in _proofing_answers(home):
        p.answer(r"Type the number of your answer\.", str(number))
    p.answer(r"I am not a robot, required\. Type yes or no\.", "yes")
    p.expect(r"Step 3 done\. Identity verified")

    step4 = r"Step 4 of 12, HARP: Login to Complete Setup\. "
    p.answer(step4 + r"User ID, required\. [^\n]*Current value: mlopez\.practice", "<")  # the flow refuses
    p.expect(r"Cannot go back: ")
    p.answer(step4 + r"User ID, required", "q")  # quit half way
    p.expect(r"Saved at step 4 of 12, Login to Complete Setup\.")
    assert p.end() == 0

    p = Person(home, tty, log)  # resume
    p.answer(step4 + r"User ID, required\. [^\n]*Current value: mlopez\.practice\. Enter keeps it\.", "")
    p.secret(step4 + r"Password, required", PASSWORD)
    p.choose(r"Device type, required\. [^\n]*4 choices", "1")
    p.answer(r"Phone number, required\. [^\n]*Current value: \(513\) 555-0101", "")
    p.expect(r"Step 4 done\.")
    p.answer(r"Step 5 of 12, HARP: Enter Security Code\. Security code, required", "000000")  # refusal: a code
    p.expect(r"Not accepted: Security code: ")
    p.answer(r"Security code, required", "phone")
    code = p.expect(r"Phone, latest message, HARP security code: Your HARP security code is (\d{6})\.").group(1)
    p.answer(r"Security code, required", code)
    p.expect(r"Step 5 done\.")

    step6 = r"Step 6 of 12, iQIES: Sign in with HARP\. "
    p.answer(step6 + r"HARP User ID, required\. [^\n]*Current value: mlopez\.practice", "")
    p.secret(step6 + r"Password, required", PASSWORD)
    p.expect(r"Text message sent to \(513\) 555-0101")
    p.answer(step6 + r"Security code, required", "phone")
    code = p.expect(r"Your HARP security code is (\d{6})\.").group(1)
    p.answer(step6 + r"Security code, required", code)
    p.expect(r"Welcome to iQIES\.")
    p.answer(r"Press Enter for Request User Role\.", "")
    p.choose(r"Step 8 of 12, iQIES: Select a User Category\. User category, required", "1")
    p.choose(r"Step 9 of 12, iQIES: Select a User Role\. Your relationship to the provider, required", "1")
    p.choose(r"User role, required", "1")
    p.expect(r"Step 9 done\.")
    p.expect(r"Organizations added: none yet\.")
    p.answer(r"Step 10 of 12, iQIES: Add Organizations\. Search for, required", "99")  # refusal: the directory
    p.expect(r"Not accepted: Search for: ")
    p.answer(r"Search for, required", "365005")
    p.expect(r"Found: THE CHATEAU AT MOUNTAIN CREST|Found: [^\n]+\(CCN 365005")
    p.answer(r"Add it\? Type yes or no\. Enter means yes\.", "")
    p.expect(r"Added ")
    p.answer(r"Search for, optional[^\n]*Enter when you are done\.", "")
    p.expect(r"Step 10 done\.")
    p.expect(r"Step 11 of 12, iQIES: Review and Submit Request")
    p.expect(r"Organization: [^\n]*CCN 365005[^\n]*Will be approved by: ")
    p.answer(r"Submit Request\?", "yes")
    p.expect(r"Step 12 of 12, iQIES: Welcome to iQIES: Pending Requests")
    p.expect(r"Role Request Submitted\.")
    p.expect(r"Provider Security Official, Pending: [^\n]*\(CCN 365005\)")
    p.answer(r"Type status to see your requests again", "status")
    p.expect(r"Pending Requests:")
    p.expect(r"Provider Security Official, Pending")
    p.answer(r"Type status to see your requests again", "q")
    assert p.end() == 0

    p = Person(home, tty, log)  # after submission: the status first
    p.expect(r"Pending Requests:")
    p.expect(r"Provider Security Official, Pending: [^\n]*\(CCN 365005\)")
    p.answer(r"Step 6 of 12, iQIES: Sign in with HARP\. HARP User ID", "q")
    assert p.end() == 0
    return "".join(log)


def _check_output(text: str) -> None:
    assert "\x1b" not in text
    assert PASSWORD not in text and ANSWER not in text
    assert not re.search(r"[\u2500-\u259f]", text), "box drawing or block characters"


# What a record is compared without: salted hashes, the random proofing seed, the submitted request's
# id, what each front end keeps as typed drafts; of the second factor, an authenticator's secret, the
# last code sent (a secret, with its salt and expiry), the last authenticator time step and the count
# of codes sent.
NOT_COMPARED = {"password_hash", "challenge_answer_hash", "proofing_seed", "last_submitted_request", "drafts"}
FACTOR_NOT_COMPARED = {"totp_secret", "code_hash", "code_salt", "code_expires_at", "last_totp_step", "revision"}


def _stored(home: Path, practice_account: str) -> dict:
    """The practice account's whole account record and its role requests, as stored, without timestamps,
    hashes and secrets (see NOT_COMPARED)."""
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    flow = OnboardingFlow(Store(home, practice_account=practice_account))
    record = flow.record.model_dump(mode="json", exclude=NOT_COMPARED)
    if record.get("factor") is not None:
        record["factor"] = {k: v for k, v in record["factor"].items() if k not in FACTOR_NOT_COMPARED}
    requests = [{k: v for k, v in r.stored().items() if k not in ("id", "submitted_at")} for r in flow.my_requests()]
    raw = Path(home, "profiles", f"{practice_account}.json").read_text(encoding="utf-8")
    assert PASSWORD not in raw and ANSWER not in raw
    return {**record, "requests": requests}


@pytest.fixture(scope="module")
def by_runner(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import subprocess

    home = tmp_path_factory.mktemp("runner")
    done = subprocess.run([sys.executable, "-m", "app", "run", "--answers", "examples/happy-path.yaml"],
                          cwd=ROOT, env=_env(home), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return _stored(home, "maria")


@pytest.mark.parametrize("tty", [True, False], ids=["pty", "pipes"])
def test_plain_walk_matches_run_answers(tty: bool, tmp_path: Path, by_runner: dict) -> None:
    home = tmp_path / "home"
    text = walk(home, tty)  # on a timeout pexpect's error shows the last output
    _check_output(text)
    mine, theirs = _stored(home, "maria"), dict(by_runner)
    # the wizard after a relaunch opens at iQIES sign-in; the runner's process ended at Pending Requests
    for record in (mine, theirs):
        record.pop("position")
    assert mine["requests"] and mine == theirs


def test_qr_only_where_the_terminal_can_show_it() -> None:
    import io

    from wizard.plain import terminal_shows_qr

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not terminal_shows_qr({"TERM": "dumb"}, Tty())
    assert not terminal_shows_qr({"TERM": "xterm"}, io.StringIO())
    assert terminal_shows_qr({"TERM": "xterm"}, Tty())


def test_authenticator_gets_the_manual_key_never_a_qr_under_dumb(tmp_path: Path) -> None:
    """Driven in-process through the session (pipes): the key is printed, no block characters."""
    import io

    from tests.conftest import FIXED_TOTP_SECRET
    from wizard.answers import account_form, profile_form
    from wizard.flow import OnboardingFlow
    from wizard.plain import PlainSession
    from wizard.store import Store

    flow = OnboardingFlow(Store(tmp_path / "h", practice_account="t"), totp_secret_factory=lambda: FIXED_TOTP_SECRET)
    import yaml

    raw = yaml.safe_load((ROOT / "examples" / "happy-path.yaml").read_text())
    assert flow.submit(flow.current_step, profile_form(raw["profile"])).ok
    assert flow.submit(flow.current_step, account_form(raw["account"])).ok
    flow.record.identity_proofed = "experian"
    flow.save()
    answers = "\n".join(["", PASSWORD, "3", "qr", "q"]) + "\n"
    out = io.StringIO()
    PlainSession(flow, stdin=io.StringIO(answers), stdout=out, env={"TERM": "dumb"}).run()
    text = out.getvalue()
    assert "Manual key for your authenticator app: JBSW Y3DP" in text
    assert "This terminal cannot show a QR code" in text
    _check_output(text)


def _flow_with_account(home: Path, **profile: str):
    import yaml

    from wizard.answers import account_form, profile_form
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    flow = OnboardingFlow(Store(home, practice_account="t"))
    raw = yaml.safe_load((ROOT / "examples" / "happy-path.yaml").read_text())
    assert flow.submit(flow.current_step, profile_form({**raw["profile"], **profile})).ok
    assert flow.submit(flow.current_step, account_form(raw["account"])).ok
    return flow


def test_manual_proofing_is_explained_and_carries_on(tmp_path: Path) -> None:
    import io

    from wizard.plain import PlainSession
    from wizard.steps import Step

    flow = _flow_with_account(tmp_path / "h", ssn_choice="manual_proofing")
    out = io.StringIO()
    PlainSession(flow, stdin=io.StringIO("yes\nq\n"), stdout=out, env={"TERM": "dumb"}).run()
    text = out.getvalue()
    assert "Help: " in text and "Manual identity proofing" in text
    assert flow.record.identity_proofed == "manual" and flow.current_step == Step.TWO_FACTOR_SETUP
    assert "Saved at step 4 of 12" in text
    _check_output(text)


def test_a_second_plain_on_the_same_practice_account_is_refused(tmp_path: Path) -> None:
    import subprocess

    home = tmp_path / "home"
    first = pexpect.popen_spawn.PopenSpawn([sys.executable, "-m", "app", "--profile", "maria", "plain"],
                                           env=_env(home), cwd=str(ROOT), encoding="utf-8", timeout=TIMEOUT)
    first.expect(r"First name, required\.")
    second = subprocess.run([sys.executable, "-m", "app", "--profile", "maria", "plain"], input="q\n",
                            env=_env(home), cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    first.sendline("q")
    first.expect(pexpect.EOF)
    assert second.returncode == 2 and "error" in second.stderr and second.stdout == ""
    assert first.wait() == 0


def test_ctrl_c_mid_question_stops_on_its_own_line_without_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log: list[str] = []
    person = Person(home, tty=True, log=log)
    person.expect(r"First name, required\.")
    person.child.sendintr()
    person.expect(pexpect.EOF)
    person.child.close()
    text = "".join(log)
    assert "Traceback" not in text
    assert re.search(r"(^|\n)Stopped; your progress", text.replace("\r", "")), text[-300:]
    assert person.child.exitstatus == 130


def test_end_of_input_at_a_hidden_answer_saves_on_its_own_line(tmp_path: Path) -> None:
    import io

    from wizard.flow import OnboardingFlow
    from wizard.plain import PlainSession
    from wizard.store import Store

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def eof(prompt: str) -> str:
        out.write(prompt)
        raise EOFError

    store = Store(tmp_path / "home", practice_account="maria")
    flow = OnboardingFlow(store)
    out = io.StringIO()
    session = PlainSession(flow, stdin=Tty(""), stdout=out, getpass=eof)
    session.step = flow.current_step
    with pytest.raises(Exception) as caught:
        session.read(secret=True)
    assert type(caught.value).__name__ == "Quit"
    session.say("Saved.")
    assert "(not shown) \nSaved." in out.getvalue()


def test_a_refused_sign_in_never_offers_the_old_code_again(tmp_path: Path) -> None:
    import io

    from tests.states import PASSWORD as STATE_PASSWORD, USER_ID, advance_to
    from wizard.plain import PlainSession
    from wizard.steps import Step

    flow = advance_to(tmp_path / "home", Step.IQIES_SIGN_IN)
    lines = "\n".join([USER_ID, STATE_PASSWORD, "123456", STATE_PASSWORD, "q"]) + "\n"
    out = io.StringIO()
    PlainSession(flow, stdin=io.StringIO(lines), stdout=out).run()
    text = out.getvalue()
    refused = text.index("Not accepted: The User ID, password or code is not right")
    again = text[refused:]
    assert "Security code, required" in again and "Current value: 123456" not in again


def test_term_dumb_is_too_plain_for_the_full_screen_wizard() -> None:
    """TERM=dumb has no cursor control: the full-screen wizard is pointed to plain, in one line."""
    from wizard.plain import terminal_too_plain

    for term in ("dumb", "DUMB", " dumb "):
        message = terminal_too_plain({"TERM": term})
        assert "iqies-onboard plain" in message and "TERM=dumb" in message
        assert "\n" not in message and "\x1b" not in message
    # a real terminal, and an unset TERM (a Windows console has none), run the wizard
    for env in ({"TERM": "xterm-256color"}, {"TERM": "linux"}, {"TERM": "vt100"}, {"TERM": "screen"}, {}):
        assert terminal_too_plain(env) == ""


def test_the_wizard_under_term_dumb_points_to_plain(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "app"], input="", env=_env(tmp_path / "home"), cwd=ROOT,
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 2 and "\x1b" not in done.stdout
    assert "iqies-onboard plain" in done.stderr and len(done.stderr.strip().splitlines()) == 1
