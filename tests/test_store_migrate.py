"""Every store layout an earlier version wrote migrates to schema 5, its records sealed (issue 16,
item 10): the requests, decisions, sign-ins and User IDs it held are all still there and count,
and a record edited by hand after the migration does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard import seal
from wizard.records import Status
from wizard.store import DB_NAME, SCHEMA_VERSION, Store

REQUEST = {
    "id": "r1", "user_id": "JDoe_PSO", "requester": "Jane Doe", "email": "jane@sunnyacres.org",
    "category": "provider", "role": "pso", "relationship": "employee", "submitted_at": "2026-11-01T10:00:00+00:00",
    "organizations": [{"ccn": "015009", "facility_id": "AL0001", "name": "Sunny Acres", "city": "Mobile",
                       "state": "AL", "status": "approved", "approver": "cms", "decided_by": "cms",
                       "decided_at": "2026-11-02T10:00:00+00:00", "decided_by_name": "CMS reviewer"}],
}
SIGN_INS = {"1": {"user_id": "jdoe_pso", "at": "2026-11-03T10:00:00+00:00"}}
ACCOUNT = {"position": "await_approval", "user_id": "JDoe_PSO", "last_submitted_request": "r1"}


def _write(data_dir: Path, version: int) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    shared: dict = {"requests": {"1": REQUEST}, "sign_ins": SIGN_INS}
    if version >= 2:
        shared["meta"] = {"1": {"schema_version": version}}
    if version <= 3:
        owner = {"profile_name": "default"} if version == 3 else {}
        shared["accounts"] = {"1": {**ACCOUNT, **owner}}
        shared["outbox"] = {"1": {"kind": "email", "subject": "HARP: your account was created", **owner}}
    else:
        (data_dir / "profiles").mkdir(mode=0o700)
        (data_dir / "profiles" / "default.json").write_text(json.dumps(
            {"accounts": {"1": ACCOUNT}, "outbox": {"1": {"kind": "email", "subject": "HARP: your account was created"}}}))
        (data_dir / "users.json").write_text(json.dumps(
            {"users": {"1": {"user_id": "JDoe_PSO", "key": "jdoe_pso", "profile": "default"}}}))
    (data_dir / DB_NAME).write_text(json.dumps(shared))


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_every_earlier_store_migrates_and_its_records_are_sealed(data_dir, version):
    _write(data_dir, version)
    store = Store(data_dir)
    assert store.migrated_from == version and store.notice is None
    assert store.table("meta").all() == [{"schema_version": SCHEMA_VERSION}] and SCHEMA_VERSION == 5
    [request] = store.requests()
    assert request.id == "r1" and request.user_id == "jdoe_pso" and str(request.user_id) == "JDoe_PSO"
    assert request.organizations[0].status is Status.APPROVED
    assert [p.user_id for p in store.active_psos("015009")] == ["jdoe_pso"]
    assert store.sign_ins() == {"jdoe_pso": "2026-11-03T10:00:00+00:00"}
    assert store.user_ids() == ["JDoe_PSO"] and store.account_for_user_id("jdoe_PSO")[0] == "default"
    assert store.load_account()["last_submitted_request"] == "r1"
    shared = json.loads((data_dir / DB_NAME).read_text())
    assert all(seal.SEAL in doc for table in ("requests", "sign_ins") for doc in shared[table].values())
    users = json.loads((data_dir / "users.json").read_text())["users"]
    assert all(seal.SEAL in entry for entry in users.values())
    # opened again: nothing migrates twice, and nothing is lost
    again = Store(data_dir)
    assert again.migrated_from is None and [r.id for r in again.requests()] == ["r1"]
    # an edit after the migration is ignored
    shared["requests"]["1"]["organizations"][0]["status"] = "pending"
    (data_dir / DB_NAME).write_text(json.dumps(shared))
    assert Store(data_dir).requests() == []


def test_a_record_that_does_not_validate_is_ignored_not_a_traceback(data_dir):
    store = Store(data_dir)
    store.add_request(REQUEST)
    sealer = seal.Sealer(store.vault, seal.REQUEST, create=True)
    bad = {**REQUEST, "id": "r2", "organizations": [{"ccn": "015009", "status": "granted"}]}
    store.table("requests").insert(sealer.seal(bad))  # sealed, but no status the app knows
    assert [r.id for r in store.requests()] == ["r1"]
