"""Hostile files and parallel guessers (issue 16): each item, repeated, is refused in one clear
line, loses nothing and writes nothing outside the data directory."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.conftest import FrozenClock
from tests.factory import PASSWORD, USER_ID
from tests.states import advance_to, new_flow
from wizard import otp
from wizard.steps import Step


def _guess(data_dir: str, now, barrier) -> str:
    flow = new_flow(Path(data_dir), FrozenClock(now))
    barrier.wait()
    return flow.verify_sign_in(USER_ID, SecretStr(PASSWORD), "000000")


def _warm() -> None:
    import tests.states  # noqa: F401 - each worker imports the wizard once, not once per guess


@pytest.fixture(scope="module")
def guessers():
    """One pool of 20 processes (and one manager) for both sizes: spawning and importing is most
    of this test's time on 2 cores, the guesses themselves are what it is about. They are forked
    from one fork server that imported the wizard once (not 20 interpreters importing it), each
    still a process of its own, as the guessers must be."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.states", __name__])  # the wizard, and _guess's module
    with ctx.Manager() as manager, ctx.Pool(20, initializer=_warm) as pool:
        yield manager, pool


@pytest.mark.parametrize("processes", [10, 20])
def test_parallel_wrong_codes_lock(tmp_path, processes, guessers):
    """Processes signing one account in with the right password and a wrong code at the same
    moment: every wrong code is counted and the factor locks at the fifth."""
    clock = FrozenClock()
    flow = advance_to(tmp_path, Step.WELCOME, device="google_authenticator", clock=clock)
    assert otp.usable_totp_code(flow.record.factor, clock()) != "000000"
    manager, pool = guessers
    barrier = manager.Barrier(processes)
    # chunksize 1: each guess in its own process, all of them waiting at the barrier together
    refusals = pool.starmap(_guess, [(str(tmp_path), clock.now, barrier)] * processes, chunksize=1)
    factor = new_flow(tmp_path, FrozenClock(clock.now)).record.factor
    assert factor.failures == otp.FAILURES_BEFORE_LOCK, (factor.failures, refusals)
    assert factor.locked_until is not None and factor.locked_until > clock.now
    locked = [r for r in refusals if r.startswith("Too many wrong codes")]
    assert len(locked) == processes - (otp.FAILURES_BEFORE_LOCK - 1), refusals


# --- 2. answers files that crash -------------------------------------------------------------

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import cli
from wizard.answers import AnswersFileError, parse_text, read_raw

SECRET = "Practice-Only-2026a"

HOSTILE_ANSWERS = [
    ("yaml", "? [a, b]\n: c\n"), ("yaml", "? {a: 1}\n"), ("yaml", "!!set {? [a]}\n"),
    ("yaml", "a: !!int abc\n"), ("yaml", "a: !!int " + "9" * 5000 + "\n"), ("yaml", "a: !!float abc\n"),
    ("yaml", "a: !!bool maybe\n"), ("yaml", "a: !!timestamp 2020-13-45\n"),
    ("yaml", f"password: !!float {SECRET}\n"), ("yaml", "[" * 100_000), ("yaml", "a: !!python/object:os.system x\n"),
    ("json", '{"a": ' + "9" * 5000 + "}"), ("json", "[" * 100_000), ("json", '{"expect": 1,\n "expect": 2}'),
]


@pytest.mark.parametrize("fmt,text", HOSTILE_ANSWERS)
def test_hostile_answers_file_is_one_line_without_the_secret(tmp_path, capsys, fmt, text):
    answers = tmp_path / f"answers.{fmt}"
    answers.write_text(text)
    code = cli.main(["--data-dir", str(tmp_path / "data"), "run", "--answers", str(answers)])
    out = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in out.err + out.out and SECRET not in out.err + out.out
    first = out.err.strip().splitlines()[0]
    assert first.startswith(f"{answers}: "), first
    if "line" not in first:
        assert "nested" in first, first


def test_json_duplicate_keys_are_refused_like_yaml():
    with pytest.raises(AnswersFileError, match=r"line 2: .*expect appears twice"):
        parse_text('{"expect": "submitted",\n "expect": "approved"}', "json")
    with pytest.raises(AnswersFileError, match="appears twice"):
        parse_text("expect: submitted\nexpect: approved\n", "yaml")


def test_a_fifo_as_answers_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    with pytest.raises(AnswersFileError, match="not a regular file"):
        read_raw(fifo)


_TAGS = ["", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!set ", "!!timestamp ", "!!binary ",
         "!!map ", "!!seq ", "!!omap ", "!!pairs ", "!foo ", "!!python/object:os.system ", "&a ", "*a "]
_scalars = st.one_of(
    st.just(SECRET), st.text(max_size=8), st.integers().map(str), st.just("9" * 5000),
    st.sampled_from(["maybe", "2020-13-45", "1e999", "nan", "-", "~", "yes", "0x1F", "<<"]),
)


def _yaml_value(depth: int):
    leaf = st.tuples(st.sampled_from(_TAGS), _scalars).map(lambda t: t[0] + json.dumps(t[1]))
    if depth <= 0:
        return leaf
    inner = _yaml_value(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.one_of(inner, leaf), inner), max_size=3).map(
            lambda kvs: "{" + ", ".join(f"? {k} : {v}" for k, v in kvs) + "}"),
        st.tuples(st.sampled_from(_TAGS), inner).map(lambda t: t[0] + t[1]),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=st.one_of(
    _yaml_value(3).map(lambda v: ("yaml", f"password: {v}\n")),
    st.integers(1, 3000).map(lambda n: ("yaml", "a: " + "[" * n + "]" * n)),
    st.integers(1, 3000).map(lambda n: ("json", "[" * n + "]" * n)),
    st.recursive(
        st.one_of(st.just(SECRET), st.integers(-10**60, 10**60), st.floats(allow_nan=True), st.booleans(), st.none()),
        lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=5), kids, max_size=3)),
        max_leaves=20,
    ).map(lambda v: ("json", json.dumps({"password": v}))),
    st.text(max_size=60).map(lambda t: ("yaml", t)),
))
def test_generated_answers_documents_never_crash_nor_show_the_secret(doc):
    fmt, text = doc
    try:
        parse_text(text, fmt)
    except AnswersFileError as err:
        message = str(err)
        assert SECRET not in message and "\n" not in message


# --- 3. deeply nested store files; 12. a newer practice account file ---------------------------------------

from wizard.store import DataDirError, Store


def test_deeply_nested_store_files_are_kept_aside(data_dir, capsys):
    advance_to(data_dir, Step.WELCOME)
    (data_dir / "onboarding.json").write_text("[" * 100_000)
    store = Store(data_dir)
    assert "kept aside" in (store.notice or "")
    assert list(data_dir.glob("onboarding.corrupt*.json"))
    account_file = data_dir / "profiles" / "default.json"
    account_file.write_text("{\"a\":" * 100_000)
    flow = new_flow(data_dir)
    assert flow.record.user_id is None
    assert "kept aside" in (flow.store.notice or "")
    assert list(data_dir.glob("default.corrupt*.json"))


def test_a_newer_practice_account_file_is_refused_in_one_line(data_dir, capsys):
    advance_to(data_dir, Step.WELCOME)
    account_file = data_dir / "profiles" / "default.json"
    data = json.loads(account_file.read_text())
    data["meta"] = {"1": {"schema_version": 99}}
    account_file.write_text(json.dumps(data))
    with pytest.raises(DataDirError, match="newer iqies-onboard"):
        Store(data_dir)
    answers = Path(__file__).resolve().parent.parent / "examples"
    example = answers / "happy-path.yaml"
    code = cli.main(["--data-dir", str(data_dir), "--profile", "default", "run", "--answers", str(example)])
    out = capsys.readouterr()
    assert code != 0 and "Traceback" not in out.err and "unexpected" not in out.err
    assert "newer iqies-onboard" in out.err and len(out.err.strip().splitlines()) == 1, out.err


# --- 4. symbolic links in the data directory ------------------------------------------------------

from wizard.log import LOG_NAME


@pytest.mark.parametrize("name", [LOG_NAME, "secret.key", ".onboarding.lock", "profiles", "mail"])
def test_a_data_directory_holding_links_is_refused_in_one_line(tmp_path, name):
    data_dir = tmp_path / "data"
    advance_to(data_dir, Step.WELCOME)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "target"
    victim = data_dir / name
    if victim.is_dir():
        victim.rename(target)
    elif victim.exists():
        victim.rename(target)
    else:
        target.write_text("keep me\n")
    os.chmod(target, 0o644) if target.is_file() else os.chmod(target, 0o755)
    before = (target.stat().st_mode, target.read_bytes() if target.is_file() else None)
    victim.symlink_to(target)
    with pytest.raises(DataDirError, match="symbolic link") as info:
        Store(data_dir)
    assert "\n" not in str(info.value)
    assert (target.stat().st_mode, target.read_bytes() if target.is_file() else None) == before


# --- 5. a practice account kept aside releases its User ID -----------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_practice_account_kept_aside_releases_its_user_id_and_the_runner_says_so(data_dir, capsys):
    happy = EXAMPLES / "happy-path.yaml"
    assert cli.main(["--data-dir", str(data_dir), "run", "--answers", str(happy)]) == 0
    capsys.readouterr()
    (data_dir / "profiles" / "maria.json").write_text("{not json")
    code = cli.main(["--data-dir", str(data_dir), "run", "--answers", str(happy)])
    out = capsys.readouterr()
    assert "already taken" not in out.out + out.err
    assert "kept aside as maria.corrupt" in out.out + out.err
    assert "2/12 User ID, Password and Challenge Question: ok" in out.out, out.out + out.err
    # its earlier request stays in onboarding.json under that User ID, so asking again is refused
    assert "Traceback" not in out.err and code in (0, 1)


# --- 6. the runner's verdict from what is stored --------------------------------------------------


def test_the_runner_does_not_report_success_without_a_stored_request(data_dir, capsys):
    happy = EXAMPLES / "happy-path.yaml"
    assert cli.main(["--data-dir", str(data_dir), "run", "--answers", str(happy)]) == 0
    capsys.readouterr()
    (data_dir / "onboarding.json").rename(data_dir / "moved-away.json")
    code = cli.main(["--data-dir", str(data_dir), "run", "--answers", str(happy)])
    out = capsys.readouterr()
    # last_submitted_request counts only with a sealed request behind it (wizard/seal.py): the
    # request is gone, so Review is not done, and the run submits it again; its verdict is
    # then about a request that really is stored
    assert "11/12 Review and Submit Request: ok (Role Request Submitted)" in out.out, out.out
    assert code == 0 and "reached the expected end: submitted" in out.out, out.out + out.err
    from wizard.runner import latest_request
    from wizard.flow import OnboardingFlow
    from wizard.store import Store

    stored = latest_request(OnboardingFlow(Store(data_dir, practice_account="maria")))
    assert stored is not None and stored.organizations


# --- 7. text-message codes kept as an HMAC under the vault key ---------------------------------

import hashlib


def test_a_live_text_message_code_is_not_recoverable_from_the_practice_account_file(data_dir, clock):
    flow = advance_to(data_dir, Step.WELCOME, clock=clock)
    flow.send_code()
    factor = json.loads((data_dir / "profiles" / "default.json").read_text())["accounts"]["1"]["factor"]
    salt, stored = factor["code_salt"], factor["code_hash"]
    brute = {hashlib.sha256(f"{salt}:{n:06d}".encode()).hexdigest() for n in range(10**6)}
    assert stored not in brute and stored.removeprefix(otp.CODE_MAC_PREFIX) not in brute
    assert stored.startswith(otp.CODE_MAC_PREFIX)
    code = flow.code_on_phone()
    assert flow.check_code(code).ok  # the right code still works, through the key
    # the old unkeyed form of a code, written in by hand, is never accepted
    flow.send_code()
    code = flow.code_on_phone()
    flow.record.factor = flow.record.factor.model_copy(
        update={"code_hash": hashlib.sha256(f"{salt}:{code}".encode()).hexdigest(), "code_salt": salt})
    assert not flow.check_code(code).ok


# --- 8. deleting secret.key does not reset a locked factor -------------------------------------


def test_deleting_the_key_keeps_a_locked_factors_count(data_dir, clock):
    flow = advance_to(data_dir, Step.WELCOME, device="google_authenticator", clock=clock)
    for _ in range(otp.FAILURES_BEFORE_LOCK):
        flow.check_code("000000")
    assert flow.record.factor.failures == otp.FAILURES_BEFORE_LOCK
    (data_dir / "secret.key").unlink()
    again = new_flow(data_dir, FrozenClock(clock.now))
    assert again.record.factor is not None and not again.record.factor.verified
    assert again.record.factor.failures == otp.FAILURES_BEFORE_LOCK
    assert again.factor_service.lock_message(again.record.factor)
    assert again.verify_sign_in(USER_ID, SecretStr(PASSWORD), "000000") != ""


def test_an_edited_user_id_index_does_not_let_two_accounts_share_one(data_dir):
    from tests.factory import PROFILE, account_form

    advance_to(data_dir, Step.WELCOME)
    (data_dir / "users.json").write_text(json.dumps({"users": {}}))
    other = new_flow(data_dir, practice_account="other")
    # another person (the same email would be refused first: "email already exists", issue 19)
    assert other.submit(Step.PROFILE, {**PROFILE, "email": "other@sunnyacres.org",
                                       "email_confirm": "other@sunnyacres.org"}).ok
    outcome = other.submit(Step.ACCOUNT, {**account_form(), "user_id": USER_ID})
    assert not outcome.ok and "taken" in (outcome.message + str(outcome.errors)), outcome
    assert new_flow(data_dir, practice_account="other").record.user_id is None
