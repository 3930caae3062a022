"""wizard/store.py: TinyDB with atomic writes, private files, recovery from a corrupt file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from wizard import store as store_module
from wizard.store import DB_NAME, DataDirError, Store, default_data_dir, prepare_data_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- permissions ----------------------------------------------------------------------------------


def test_db_file_0600_and_dir_0700(store, data_dir):
    store.save_account({"position": "profile"})
    assert mode(data_dir) == 0o700
    assert mode(data_dir / DB_NAME) == 0o600


def test_permissions_private_even_with_permissive_umask(data_dir):
    old = os.umask(0o000)
    try:
        s = Store(data_dir)
        s.add_message({"kind": "email", "to": "x", "subject": "s", "body": "b"})
    finally:
        os.umask(old)
    assert mode(data_dir) == 0o700
    assert mode(data_dir / DB_NAME) == 0o600


def test_existing_dir_and_file_are_tightened(data_dir):
    Store(data_dir).save_account({"position": "profile"})
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / DB_NAME, 0o644)
    Store(data_dir)
    assert mode(data_dir) == 0o700
    assert mode(data_dir / DB_NAME) == 0o600


def test_new_store_writes_schema_version(store):
    assert store.table("meta").all() == [{"schema_version": store_module.SCHEMA_VERSION}]


# -- atomic writes --------------------------------------------------------------------------------


def test_writes_leave_no_temp_files(store, data_dir):
    for i in range(5):
        store.save_account({"position": "profile", "n": i})
        store.add_message({"kind": "sms", "n": i})
    leftovers = [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    json.loads((data_dir / DB_NAME).read_text(encoding="utf-8"))  # always whole JSON


def test_failed_write_keeps_old_file_and_removes_temp(store, data_dir, monkeypatch):
    store.save_account({"position": "account"})
    before = (data_dir / DB_NAME).read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save_account({"position": "proofing"})
    monkeypatch.undo()
    assert (data_dir / DB_NAME).read_bytes() == before
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []
    assert Store(data_dir).load_account() == {"position": "account"}


def test_write_fsyncs_before_replace(store, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(store_module.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(store_module.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    store.save_account({"position": "profile"})
    assert "replace" in calls
    assert calls.index("fsync") < calls.index("replace")


# -- accounts, outbox, requests -------------------------------------------------------------------


def test_save_account_round_trip_and_stale_keys_dropped(store):
    assert store.load_account() is None
    store.save_account({"position": "account", "user_id": "jdoe_pso", "drafts": {"a": 1}})
    store.save_account({"position": "proofing", "user_id": "jdoe_pso"})
    assert store.load_account() == {"position": "proofing", "user_id": "jdoe_pso"}
    assert list(json.loads(store.account_path.read_bytes())["accounts"]) == ["1"]
    assert store.user_ids() == ["jdoe_pso"]
    assert "accounts" not in json.loads(store.path.read_bytes())  # a step's save leaves the shared file alone


def test_messages_in_order(store):
    store.add_message({"subject": "one"})
    store.add_message({"subject": "two"})
    assert [m["subject"] for m in store.messages()] == ["one", "two"]


def _request(ccn: str, role: str, status: str) -> dict:
    return {"id": f"{role}-{ccn}-{status}", "role": role, "organizations": [{"ccn": ccn, "status": status}]}


def test_provider_has_active_pso(store):
    assert not store.provider_has_active_pso("015009")
    store.add_request(_request("015009", "pso", "pending"))
    assert not store.provider_has_active_pso("015009")
    store.add_request(_request("015009", "pbj_submitter", "approved"))
    assert not store.provider_has_active_pso("015009")
    store.add_request(_request("015009", "pso", "approved"))
    assert store.provider_has_active_pso("015009")
    assert not store.provider_has_active_pso("015010")
    assert [r.id for r in store.iter_requests_for("015009")] == [
        "pso-015009-pending", "pbj_submitter-015009-approved", "pso-015009-approved",
    ]


def test_reset_drops_progress_but_keeps_meta(store):
    store.save_account({"position": "account", "user_id": "jdoe_pso"})
    store.add_message({"subject": "x"})
    store.add_request({**_request("015009", "pso", "pending"), "user_id": "jdoe_pso"})
    store.reset()
    assert store.load_account() is None
    assert store.messages() == [] and store.requests() == []
    assert store.table("meta").all()


def test_reset_forgets_only_its_own_practice_account(data_dir):
    mine, theirs = Store(data_dir, practice_account="alice"), Store(data_dir, practice_account="bob")
    mine.save_account({"position": "account", "user_id": "alice_pso"})
    theirs.save_account({"position": "review", "user_id": "bob_pso"})
    theirs.add_message({"kind": "sms", "subject": "code", "body": "123456"})
    mine.add_request({**_request("015009", "pso", "pending"), "user_id": "alice_pso"})
    theirs.add_request({**_request("015010", "pso", "pending"), "user_id": "bob_pso"})
    mine.reset()
    assert mine.load_account() is None
    assert theirs.load_account() == {"position": "review", "user_id": "bob_pso"}
    assert [m["body"] for m in theirs.messages()] == ["123456"]
    assert [r.user_id for r in mine.requests()] == ["bob_pso"]


def test_practice_accounts_keep_separate_accounts_and_user_ids_stay_unique(data_dir):
    alice, bob = Store(data_dir, practice_account="alice"), Store(data_dir, practice_account="bob")
    alice.save_account({"position": "proofing", "user_id": "Same_ID"})
    with pytest.raises(store_module.UserIdTaken):
        bob.save_account({"position": "proofing", "user_id": "same_id"})
    assert bob.load_account() is None
    bob.save_account({"position": "proofing", "user_id": "bob_id"})
    assert sorted(alice.user_ids()) == ["Same_ID", "bob_id"]
    assert alice.account_for_user_id("SAME_ID")[0] == "alice"
    assert alice.sibling("bob").load_account()["user_id"] == "bob_id"


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "x" * 41, "sp ace"])
def test_bad_practice_account_names_get_one_line(data_dir, name):
    with pytest.raises(DataDirError, match="practice account name"):
        Store(data_dir, practice_account=name)


# -- corrupt databases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\xfe garbage \x80",
        b'{"accounts": {"1": {"position": "pro',
        b"[1, 2, 3]",
        b'{"accounts": [1, 2]}',
        b"null",
        b'"just a string"',
    ],
    ids=["binary", "truncated", "json-list", "table-not-dict", "null", "string"],
)
def test_corrupt_db_moved_aside_intact_and_store_works(data_dir, garbage):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(garbage)
    s = Store(data_dir)
    asides = sorted(data_dir.glob("onboarding.corrupt-*.json"))
    assert len(asides) == 1
    assert asides[0].read_bytes() == garbage
    assert s.notice and asides[0].name in s.notice
    assert s.load_account() is None
    s.save_account({"position": "account"})
    assert Store(data_dir).load_account() == {"position": "account"}
    assert Store(data_dir).notice is None


def test_two_corrupt_files_both_kept(data_dir):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(b"first {")
    Store(data_dir)
    (data_dir / DB_NAME).write_bytes(b"second {")
    Store(data_dir)
    contents = sorted(p.read_bytes() for p in data_dir.glob("onboarding.corrupt-*.json"))
    assert contents == [b"first {", b"second {"]


def test_empty_db_file_is_a_fresh_start(data_dir):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(b"  \n")
    s = Store(data_dir)
    assert s.notice is None
    assert s.load_account() is None
    assert list(data_dir.glob("onboarding.corrupt-*.json")) == []


def test_document_that_is_not_an_object_counts_as_corrupt(data_dir):
    data_dir.mkdir(mode=0o700)
    (data_dir / DB_NAME).write_bytes(b'{"accounts": {"1": "x"}}')
    s = Store(data_dir)
    assert s.notice
    assert s.load_account() is None


# -- the data directory ---------------------------------------------------------------------------


def test_prepare_data_dir_creates_nested_dir(tmp_path):
    path = prepare_data_dir(tmp_path / "a" / "b")
    assert path.is_dir() and mode(path) == 0o700


def test_prepare_data_dir_refuses_a_file(tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    with pytest.raises(DataDirError, match="is a file"):
        prepare_data_dir(target)
    with pytest.raises(DataDirError):
        Store(target)


def test_prepare_data_dir_refuses_a_path_under_a_file(tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    with pytest.raises(DataDirError) as info:
        prepare_data_dir(target / "sub")
    assert "\n" not in str(info.value)


def test_prepare_data_dir_refuses_unwritable_dir(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod cannot make a directory unwritable for root")
    parent = tmp_path / "locked"
    parent.mkdir()
    os.chmod(parent, 0o500)
    try:
        with pytest.raises(DataDirError):
            prepare_data_dir(parent / "data")
    finally:
        os.chmod(parent, 0o700)


def test_default_data_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("IQIES_ONBOARD_HOME", str(tmp_path / "here"))
    assert default_data_dir() == tmp_path / "here"


def test_default_data_dir_without_env_is_user_data_dir(monkeypatch):
    monkeypatch.delenv("IQIES_ONBOARD_HOME")
    assert default_data_dir().name == "iqies-onboard"


# -- sharing between processes --------------------------------------------------------------------


def test_two_stores_see_each_others_writes(data_dir):
    trainee, trainer = Store(data_dir), Store(data_dir)
    trainee.save_account({"position": "account", "user_id": "jdoe_pso"})
    assert trainer.load_account()["user_id"] == "jdoe_pso"
    trainer.add_request(_request("015009", "pso", "approved"))
    assert trainee.provider_has_active_pso("015009")
    trainee.add_message({"subject": "hello"})
    trainer.add_message({"subject": "again"})
    assert [m["subject"] for m in trainee.messages()] == ["hello", "again"]
    assert [m["subject"] for m in trainer.messages()] == ["hello", "again"]


def test_store_in_another_process_sees_writes(data_dir):
    import subprocess
    import sys

    Store(data_dir).save_account({"position": "account", "user_id": "jdoe_pso"})
    code = (
        "import sys; from pathlib import Path; from wizard.store import Store; "
        "s = Store(Path(sys.argv[1])); print(s.load_account()['user_id']); "
        "s.add_message({'subject': 'from child'})"
    )
    out = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "jdoe_pso"
    assert Store(data_dir).messages() == [{"subject": "from child"}]


def test_lock_held_by_another_process_gives_one_line_error(data_dir):
    import subprocess
    import sys

    Store(data_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(30)",
         str(data_dir / store_module.LOCK_NAME)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirError, match="locked by another process") as info:
            Store(data_dir, lock_timeout=0.2)
        assert "\n" not in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_one_store_object_sees_another_process_and_keeps_inserting(data_dir):
    """A long-lived store (the approver console) re-reads the file on every operation, and its
    next insert does not reuse a document id that another process took meanwhile."""
    import subprocess
    import sys

    console = Store(data_dir)
    console.add_message({"subject": "first"})
    console.add_request(_request("015009", "pso", "pending"))
    assert console.load_account() is None
    code = (
        "import sys; from pathlib import Path; from wizard.store import Store; "
        "s = Store(Path(sys.argv[1])); s.save_account({'position': 'review', 'user_id': 'jdoe_pso'}); "
        "s.add_message({'subject': 'from child'}); s.add_request({'id': 'child', 'organizations': []})"
    )
    subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=True)
    assert console.load_account() == {"position": "review", "user_id": "jdoe_pso"}
    assert [m["subject"] for m in console.messages()] == ["first", "from child"]
    console.add_message({"subject": "after"})
    console.add_request(_request("015010", "pso", "pending"))
    assert [m["subject"] for m in console.messages()] == ["first", "from child", "after"]
    assert [r.id for r in console.requests()] == ["pso-015009-pending", "child", "pso-015010-pending"]


def _count_writes(monkeypatch) -> list[str]:
    writes: list[str] = []
    real_write = store_module.AtomicJSONStorage.write

    def counting(self, data):
        writes.append(self.path.name)
        return real_write(self, data)

    monkeypatch.setattr(store_module.AtomicJSONStorage, "write", counting)
    return writes


def test_save_account_is_one_write_even_when_keys_go(store, monkeypatch):
    store.save_account({"position": "account", "drafts": {"a": 1}, "user_id": "jdoe_pso"})
    writes = _count_writes(monkeypatch)
    store.save_account({"position": "proofing", "user_id": "jdoe_pso"})
    assert len(writes) == 1
    assert store.load_account() == {"position": "proofing", "user_id": "jdoe_pso"}


def test_reset_writes_each_file_once(store, monkeypatch):
    store.save_account({"position": "account", "user_id": "jdoe_pso"})
    store.add_message({"subject": "x"})
    store.add_request({**_request("015009", "pso", "pending"), "user_id": "jdoe_pso"})
    writes = _count_writes(monkeypatch)
    store.reset()
    assert sorted(writes) == sorted(["default.json", "users.json", DB_NAME])  # each once
    store.add_message({"subject": "y"})
    assert store.messages() == [{"subject": "y"}]


def test_writers_hold_the_lock_for_the_whole_read_modify_write(store, monkeypatch):
    """Every read and write a writing method makes happens while the file lock is held."""
    seen: list[tuple[str, bool]] = []
    real_read, real_write = store_module.AtomicJSONStorage.read, store_module.AtomicJSONStorage.write
    monkeypatch.setattr(
        store_module.AtomicJSONStorage, "read",
        lambda self: (seen.append(("read", store.lock.is_locked)), real_read(self))[1],
    )
    monkeypatch.setattr(
        store_module.AtomicJSONStorage, "write",
        lambda self, data: (seen.append(("write", store.lock.is_locked)), real_write(self, data))[1],
    )
    store.save_account({"position": "account"})
    store.save_account({"position": "proofing"})
    store.add_message({"subject": "x"})
    store.add_request(_request("015009", "pso", "pending"))
    store.reset()
    assert {kind for kind, _ in seen} == {"read", "write"}
    assert all(locked for _, locked in seen), seen
