"""The store under crashes and concurrency (DESIGN.md section 5), and its schema migrations.

- kill -9 at random points during saves: the database is always one whole state, the one being
  saved or the one before, and nothing (no lost lock, no orphaned temp file) stops the next start;
- two processes writing at once lose nothing;
- unreadable database files are explained, not crashed on;
- schema version 1 is migrated to 2 (TOTP secret encrypted), a newer version is left alone.

``bench/kill_trials.py`` repeats the same kill experiment (``run_kill_trial``) 100 times.
"""

from __future__ import annotations

import inspect
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXED_TOTP_SECRET
from wizard import store as store_module
from wizard.store import DB_NAME, LOCK_NAME, SCHEMA_VERSION, DataDirError, Store

ROOT = Path(__file__).resolve().parent.parent


# -- the kill -9 experiment -----------------------------------------------------------------------


def account_state(n: int) -> dict:
    """State ``n`` of the account the child saves: it grows with ``n`` and every part of it says
    ``n``, so a mix of two states cannot pass for either."""
    return {
        "position": "profile",
        "marker": n,
        "blob": f"<{n}>" * (40 * n),
        "items": list(range(n)),
        "drafts": {f"step{i}": {"n": n, "i": i} for i in range(n % 7 + 1)},
        "factor": {
            "device_type": "google_authenticator",
            "totp_secret": FIXED_TOTP_SECRET,
            "failures": n,
            "verified": n % 2 == 0,
        },
    }



@dataclass
class TrialResult:
    started: int  # the last state the child began to save
    found: int  # the state the database holds afterwards
    whole: bool  # the file parsed and held exactly one complete state
    detail: str = ""

    @property
    def outcome(self) -> str:
        if not self.whole:
            return "broken"
        if self.found == self.started:
            return "after"
        if self.found == self.started - 1:
            return "before"
        return "broken"


def _read_progress(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().decode("ascii").splitlines():
        kind, _, n = line.partition(" ")
        if n.isdigit():
            out.append((kind, int(n)))
    return out


def _save_forever(data_dir: str, progress: str) -> None:
    """The child saves state 1, 2, 3, ... as fast as it can, logging "s N" before and "d N" after
    each save with one unbuffered os.write to a progress file outside the data directory; run
    forked from a fork server, or from its source in a new interpreter (CHILD)."""
    log = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    store = Store(Path(data_dir))
    n = 0
    while True:
        n += 1
        os.write(log, b"s %d\n" % n)
        store.save_account(account_state(n))
        os.write(log, b"d %d\n" % n)


# A new interpreter runs the same loop from its source (importing this module would double
# pytest's start-up in the child).
CHILD = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from wizard.store import Store
FIXED_TOTP_SECRET = {FIXED_TOTP_SECRET!r}
{inspect.getsource(account_state)}
{inspect.getsource(_save_forever)}
_save_forever(sys.argv[1], sys.argv[2])
"""


class ForkedChild:
    """A child process forked from a fork server that imported the store once, with the part of
    Popen's interface run_kill_trial uses: 25 trials without 25 interpreters importing it."""

    def __init__(self, ctx, data_dir: Path, progress: Path) -> None:
        import io

        self.process = ctx.Process(target=_save_forever, args=(str(data_dir), str(progress)), daemon=True)
        self.process.start()
        self.stderr = io.BytesIO(b"(a forked child: its error went to the test's stderr)")

    def poll(self) -> int | None:
        return self.process.exitcode

    @property
    def returncode(self) -> int | None:
        return self.process.exitcode

    def send_signal(self, sig: int) -> None:
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        self.process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired("forked child", timeout)
        return self.process.exitcode


def run_kill_trial(work: Path, rng: random.Random, max_delay: float = 0.12, fork_from=None) -> TrialResult:
    """Start a child that saves growing states, let it save for a random while, SIGKILL it, and
    check what the data directory holds. ``fork_from``: a multiprocessing fork-server context
    to fork the child from, instead of starting a new interpreter that runs CHILD."""
    data_dir, progress = work / "data", work / "progress.log"
    if fork_from is not None:
        child = ForkedChild(fork_from, data_dir, progress)
    else:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data_dir), str(progress)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
    try:
        deadline = time.monotonic() + 30
        while not _read_progress(progress):  # wait for the first save to begin
            if child.poll() is not None:
                raise AssertionError(f"child died: {child.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise AssertionError("child never started saving")
            time.sleep(0.002)
        time.sleep(rng.uniform(0, max_delay))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, child.returncode
    started = max(n for kind, n in _read_progress(progress) if kind == "s")

    raw = (data_dir / DB_NAME).read_bytes() if (data_dir / DB_NAME).exists() else b""
    try:
        data = json.loads(raw)
    except ValueError as err:
        return TrialResult(started, -1, False, f"not JSON: {err}")
    accounts = data.get("accounts") or {}
    if data.get("meta") != {"1": {"schema_version": SCHEMA_VERSION}} or len(accounts) > 1:
        return TrialResult(started, -1, False, f"unexpected tables: {sorted(data)}")
    if FIXED_TOTP_SECRET.encode() in raw:
        return TrialResult(started, -1, False, "clear secret in the database")

    # a new store opens at once: the dead child's lock is gone; orphaned temp files are removed
    store = Store(data_dir, lock_timeout=2)
    if store.notice:
        return TrialResult(started, -1, False, f"notice: {store.notice}")
    doc = store.load_account()
    found = 0 if doc is None else doc.get("marker", -1)
    if doc is not None and doc != account_state(found):
        return TrialResult(started, found, False, "a mix of states")
    leftovers = [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")]
    if leftovers:
        return TrialResult(started, found, False, f"temp files left after a new start: {leftovers}")
    store.save_account(account_state(found + 1))  # and it can write
    if store.load_account() != account_state(found + 1):
        return TrialResult(started, found, False, "cannot write after the crash")
    return TrialResult(started, found, True)


def test_kill_9_during_saves_leaves_a_whole_state(tmp_path):
    import multiprocessing

    rng = random.Random(20261123)
    t0 = time.monotonic()
    results = []
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # the store, and _save_forever's module
    for trial in range(25):
        work = tmp_path / f"trial{trial}"
        work.mkdir()
        results.append(run_kill_trial(work, rng, fork_from=ctx))
    broken = [r for r in results if r.outcome == "broken"]
    assert broken == []
    assert all(r.started >= 1 for r in results)
    assert time.monotonic() - t0 < 60  # about 5 s here; generous for slow machines


def test_orphaned_temp_files_are_removed_on_open(data_dir):
    Store(data_dir).save_account({"position": "account"})
    orphan = data_dir / ".onboarding.abc123.tmp"
    orphan.write_bytes(b'{"half": ')
    key_orphan = data_dir / ".secret.xyz.tmp"
    key_orphan.write_bytes(b"")
    s = Store(data_dir)
    assert not orphan.exists() and not key_orphan.exists()
    assert s.load_account() == {"position": "account"}
    assert (data_dir / LOCK_NAME).exists()  # the lock file itself is kept


# -- two writers at once --------------------------------------------------------------------------

WRITER = f"""
import os, sys, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from wizard.store import Store
data_dir, who, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
store = Store(data_dir)
store.messages()  # a first read, so any cached state would be stale below
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(50):
    store.add_request({{"id": f"{{who}}-{{i}}", "writer": who, "n": i, "role": "pso", "organizations": []}})
    store.add_message({{"kind": "sms", "writer": who, "n": i, "subject": f"{{who}} {{i}}", "body": "123456"}})
    store.add_message({{"kind": "email", "to": f"{{who}}@example.org", "subject": f"{{who}} {{i}}", "body": "b"}})
"""


def test_two_processes_adding_requests_and_messages_lose_nothing(data_dir, tmp_path):
    Store(data_dir)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), who, str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for who in ("trainee", "trainer")
    ]
    try:
        for w in writers:
            assert w.stdout.readline().strip() == "ready", w.stderr.read()
        go.touch()
        for w in writers:
            _, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()
    s = Store(data_dir)
    expected = {(who, i) for who in ("trainee", "trainer") for i in range(50)}
    requests, messages = s.requests(), s.messages()
    assert len(requests) == 100 and {(r.writer, r.n) for r in requests} == expected
    assert len(messages) == 100 and {(m["writer"], m["n"]) for m in messages} == expected
    for who in ("trainee", "trainer"):  # each writer's own order is kept
        assert [m["n"] for m in messages if m["writer"] == who] == list(range(50))
    raw = json.loads((data_dir / DB_NAME).read_bytes())
    assert len(raw["requests"]) == 100
    assert len(json.loads(s.account_path.read_bytes())["outbox"]) == 100
    for who in ("trainee", "trainer"):  # and every email is in the Maildir, in order
        mails = s.mailer.messages(to=f"{who}@example.org")
        assert [m["subject"] for m in mails] == [f"{who} {i}" for i in range(50)]


# -- unreadable database files --------------------------------------------------------------------


def test_unreadable_db_file_is_explained_and_left_alone(data_dir):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading")
    Store(data_dir).save_account({"position": "account"})
    db = data_dir / DB_NAME
    before = db.read_bytes()
    os.chmod(db, 0o000)
    try:
        with pytest.raises(DataDirError, match="permission denied") as info:
            Store(data_dir)
        assert "\n" not in str(info.value)
    finally:
        os.chmod(db, 0o600)
    assert db.read_bytes() == before
    assert list(data_dir.glob("onboarding.corrupt-*.json")) == []


def test_db_read_permission_error_is_explained_and_left_alone(data_dir, monkeypatch):
    """The same as above, simulated so that it also runs as root."""
    Store(data_dir).save_account({"position": "account"})
    db = data_dir / DB_NAME
    before = db.read_bytes()
    real_open = os.open

    def refuse(path, *args, **kwargs):  # the store opens its files with os.open (O_NOFOLLOW)
        if Path(path) == db:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(DataDirError, match="permission denied") as info:
        Store(data_dir)
    monkeypatch.undo()
    assert "\n" not in str(info.value)
    assert db.read_bytes() == before
    assert list(data_dir.glob("onboarding.corrupt-*.json")) == []


def test_db_path_that_is_a_directory_gives_one_line_error(data_dir):
    (data_dir / DB_NAME).mkdir(parents=True)
    with pytest.raises(DataDirError, match="cannot be used") as info:
        Store(data_dir)
    assert "\n" not in str(info.value)
    assert (data_dir / DB_NAME).is_dir()


@pytest.mark.parametrize("version", ['"two"', "0", "-1", "true", "2.0", "null"])
def test_bad_schema_version_counts_as_corrupt(data_dir, version):
    data_dir.mkdir(mode=0o700)
    garbage = ('{"meta": {"1": {"schema_version": %s}}, "accounts": {"1": {"position": "account"}}}' % version).encode()
    (data_dir / DB_NAME).write_bytes(garbage)
    s = Store(data_dir)
    asides = list(data_dir.glob("onboarding.corrupt-*.json"))
    assert len(asides) == 1 and asides[0].read_bytes() == garbage
    assert s.notice and asides[0].name in s.notice
    assert s.load_account() is None
    assert s.table("meta").all() == [{"schema_version": SCHEMA_VERSION}]


def test_truncated_practice_account_file_is_kept_aside(data_dir):
    s = Store(data_dir)
    s.save_account(account_state(3))
    whole = s.account_path.read_bytes()
    for cut in (1, len(whole) // 2, len(whole) - 1):
        s.account_path.write_bytes(whole[:cut])
        again = Store(data_dir)
        assert again.load_account() is None and again.notice and "default.corrupt-" in again.notice
    contents = sorted(p.read_bytes() for p in data_dir.glob("default.corrupt-*.json"))
    assert contents == sorted(whole[:cut] for cut in (1, len(whole) // 2, len(whole) - 1))


# -- schema migration -----------------------------------------------------------------------------


def _v1_file(data_dir: Path, meta: dict | None = {"1": {"schema_version": 1}}, **accounts_extra) -> bytes:
    data: dict = {
        "accounts": {
            "1": {
                "position": "iqies_sign_in",
                "user_id": "jdoe_pso",
                "factor": {
                    "device_type": "google_authenticator", "totp_secret": FIXED_TOTP_SECRET,
                    "verified": True, "failures": 0, **accounts_extra,
                },
            }
        },
        "outbox": {"1": {"kind": "email", "subject": "HARP: your account was created"}},
    }
    if meta is not None:
        data["meta"] = meta
    raw = json.dumps(data).encode()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data_dir / DB_NAME).write_bytes(raw)
    return raw


@pytest.mark.parametrize("meta", [{"1": {"schema_version": 1}}, None, {}], ids=["meta-1", "no-meta", "empty-meta"])
def test_v1_database_is_migrated_and_secret_encrypted(data_dir, meta):
    _v1_file(data_dir, meta)
    s = Store(data_dir)
    assert s.migrated_from == 1
    assert s.notice is None
    raw = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert FIXED_TOTP_SECRET.encode() not in raw
    data = json.loads((data_dir / DB_NAME).read_bytes())
    assert data["meta"] == {"1": {"schema_version": SCHEMA_VERSION}}
    assert "accounts" not in data and "outbox" not in data  # version 4: one file per practice account
    mine = json.loads(s.account_path.read_bytes())
    assert s.account_path.name == "default.json"  # version 3: the single account is "default"
    assert set(mine["accounts"]["1"]["factor"]["totp_secret"]) == {"fernet"}
    assert mine["outbox"] == {"1": {"kind": "email", "subject": "HARP: your account was created"}}
    assert s.user_ids() == ["jdoe_pso"]
    doc = s.load_account()
    assert doc["factor"]["totp_secret"] == FIXED_TOTP_SECRET and doc["factor"]["verified"] is True
    key = data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list(data_dir.glob("onboarding.corrupt-*.json"))


def test_migration_runs_once(data_dir):
    _v1_file(data_dir)
    Store(data_dir)
    after_first = (data_dir / DB_NAME).read_bytes()
    again = Store(data_dir)
    assert again.migrated_from is None
    assert (data_dir / DB_NAME).read_bytes() == after_first  # not re-encrypted, not rewritten


def test_v1_without_a_secret_migrates_without_a_key(data_dir):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(json.dumps(
        {"accounts": {"1": {"position": "two_factor_verify", "factor": {"device_type": "sms", "phone": "+16145550123"}}}}
    ).encode())
    s = Store(data_dir)
    assert s.migrated_from == 1
    assert s.table("meta").all() == [{"schema_version": SCHEMA_VERSION}]
    assert s.load_account()["factor"] == {"device_type": "sms", "phone": "+16145550123"}
    assert not (data_dir / "secret.key").exists()


def test_meta_with_other_fields_keeps_them(data_dir):
    _v1_file(data_dir, {"1": {"schema_version": 1, "created": "2026-11-01"}})
    s = Store(data_dir)
    assert s.table("meta").all() == [{"schema_version": SCHEMA_VERSION, "created": "2026-11-01"}]


def test_failed_migration_write_keeps_v1_file_and_retries(data_dir, monkeypatch):
    before = _v1_file(data_dir)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "replace", broken_replace)
    with pytest.raises(DataDirError, match="No space left") as info:
        Store(data_dir)
    monkeypatch.undo()
    assert "\n" not in str(info.value)
    assert (data_dir / DB_NAME).read_bytes() == before
    s = Store(data_dir)
    assert s.migrated_from == 1
    assert s.load_account()["factor"]["totp_secret"] == FIXED_TOTP_SECRET


def test_migrated_flow_resumes_where_it_was(data_dir):
    """A v2 database written by the real flow, turned back into its v1 form by hand (clear secret,
    version 1), reopens at the same step with the same working authenticator."""
    from tests.factory import PASSWORD, USER_ID
    from tests.states import advance_to, new_flow
    from wizard import otp
    from wizard.steps import Step

    flow = advance_to(data_dir, Step.CATEGORY, device="google_authenticator")
    data = json.loads((data_dir / DB_NAME).read_bytes())
    account = json.loads(flow.store.account_path.read_bytes())["accounts"]["1"]
    account["factor"]["totp_secret"] = FIXED_TOTP_SECRET
    data["accounts"] = {"1": account}
    data["meta"]["1"]["schema_version"] = 1
    (data_dir / DB_NAME).write_bytes(json.dumps(data).encode())
    flow.store.account_path.unlink()
    (data_dir / "users.json").unlink()
    (data_dir / "secret.key").unlink()

    again = new_flow(data_dir, flow.clock)
    assert again.store.migrated_from == 1 and again.store.notice is None
    assert again.record.factor.totp_secret == FIXED_TOTP_SECRET and again.record.factor.verified
    assert again.current_step == Step.IQIES_SIGN_IN  # signing in again is expected on every launch
    assert again.totp_uri() == otp.provisioning_uri(FIXED_TOTP_SECRET, USER_ID)
    again.clock.advance(seconds=60)
    code = otp.totp_code(FIXED_TOTP_SECRET, again.clock())
    assert again.submit(Step.IQIES_SIGN_IN, {"user_id": USER_ID, "password": PASSWORD, "code": code}).ok
    for path in data_dir.rglob("*.json"):
        assert FIXED_TOTP_SECRET.encode() not in path.read_bytes(), path


def test_newer_database_is_refused_and_not_touched(data_dir):
    data_dir.mkdir(mode=0o700)
    newer = json.dumps({
        "meta": {"1": {"schema_version": SCHEMA_VERSION + 1}},
        "accounts": {"1": {"position": "account", "factor": {"totp_secret": FIXED_TOTP_SECRET}}},
    }).encode()
    db = data_dir / DB_NAME
    db.write_bytes(newer)
    os.chmod(db, 0o644)
    mtime = db.stat().st_mtime_ns
    with pytest.raises(DataDirError, match="was written by a newer iqies-onboard") as info:
        Store(data_dir)
    assert "\n" not in str(info.value)
    assert db.read_bytes() == newer
    assert db.stat().st_mtime_ns == mtime
    assert stat.S_IMODE(db.stat().st_mode) == 0o644
    assert sorted(p.name for p in data_dir.iterdir() if p.name != LOCK_NAME) == [DB_NAME]


def test_database_upgraded_by_a_newer_app_meanwhile_is_not_overwritten(data_dir):
    """A newer app migrates the file while this one runs: this one's next write is refused."""
    s = Store(data_dir)
    s.save_account({"position": "account"})
    db = data_dir / DB_NAME
    data = json.loads(db.read_bytes())
    data["meta"]["1"]["schema_version"] = SCHEMA_VERSION + 1
    newer = json.dumps(data).encode()
    db.write_bytes(newer)
    for write in (
        lambda: s.save_account({"position": "proofing"}),
        lambda: s.add_message({"subject": "x"}),
        lambda: s.add_request({"id": "r", "organizations": []}),
        s.reset,
    ):
        with pytest.raises(DataDirError, match="newer iqies-onboard"):
            write()
    assert db.read_bytes() == newer
    assert [p.name for p in data_dir.rglob("*") if p.name.endswith(".tmp")] == []


def test_a_crash_during_the_v4_migration_runs_it_again(data_dir, monkeypatch):
    """Profile files are written first and the shared file last: a crash in between leaves the
    old shared file, and the next start migrates again from it."""
    _v1_file(data_dir)
    real_write = store_module.AtomicJSONStorage.write

    def crash_on_shared(self, data):
        if self.path.name == DB_NAME:
            raise OSError(5, "Input/output error")
        return real_write(self, data)

    monkeypatch.setattr(store_module.AtomicJSONStorage, "write", crash_on_shared)
    with pytest.raises(DataDirError):
        Store(data_dir)
    monkeypatch.undo()
    s = Store(data_dir)
    assert s.migrated_from == 1
    assert s.load_account()["factor"]["totp_secret"] == FIXED_TOTP_SECRET
    assert s.user_ids() == ["jdoe_pso"]


def test_v2_database_becomes_practice_account_default(data_dir):
    """Version 3: the single account of version 2 (and its outbox) belongs to practice account ``default``."""
    v1 = Store(data_dir)  # write a version 2 file by hand: today's layout minus the practice account names
    v1.vault.encrypt("warm-up")  # a key exists, as in any version 2 directory with a secret
    data_dir.joinpath(DB_NAME).write_text(json.dumps({
        "meta": {"1": {"schema_version": 2}},
        "accounts": {"1": {"position": "review", "user_id": "jdoe_pso"}},
        "outbox": {"1": {"kind": "email", "to": "jane@x.org", "subject": "HARP: your account was created"}},
        "requests": {"1": {"id": "r1", "user_id": "jdoe_pso", "role": "pso", "organizations": []}},
    }))
    s = Store(data_dir)
    assert s.migrated_from == 2
    assert s.load_account() == {"position": "review", "user_id": "jdoe_pso"}
    assert [m["subject"] for m in s.messages()] == ["HARP: your account was created"]
    assert Store(data_dir, practice_account="trainee2").load_account() is None
    assert s.account_for_user_id("JDOE_PSO")[0] == "default"
    assert s.requests()[0].id == "r1"
    assert s.table("meta").all() == [{"schema_version": SCHEMA_VERSION}]


def test_a_refused_second_wizard_reads_and_migrates_nothing(data_dir):
    """The claim comes first: a second window on the same practice account is refused before the store
    opens, so an older database it would migrate stays exactly as the first window knows it."""
    before = _v1_file(data_dir)
    first_claim = store_module.FileLock(str(data_dir / store_module.WIZARD_LOCK_NAME), timeout=0)
    first_claim.acquire()
    try:
        with pytest.raises(DataDirError, match="already open"):
            Store(data_dir, claim_wizard=True)
        assert (data_dir / DB_NAME).read_bytes() == before
        assert not (data_dir / "profiles").exists()
    finally:
        first_claim.release()
    assert Store(data_dir, claim_wizard=True).migrated_from == 1
