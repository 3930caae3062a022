"""Hand edits of the data directory do not forge state (issue 16, item 10): role requests, their
decisions, sign-in times and the User ID index are sealed with an HMAC under a key derived from
secret.key (wizard/seal.py); a record that fails its seal is ignored and logged."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import SecretStr

from tests.conftest import FrozenClock
from tests.factory import CCN, PASSWORD, PROFILE, USER_ID, account_form
from tests.states import advance_to, last_code, new_flow, sign_in
from wizard.approvals import CMS_REVIEWER, ApprovalError, Approvals, Reviewer
from wizard.log import setup_logging
from wizard.signin import ApproverSignIn
from wizard.steps import Step
from wizard.store import DB_NAME, Store

import pytest


def trainee(data_dir: Path, clock: FrozenClock, name: str, step: Step = Step.AWAIT_APPROVAL):
    person = {"first_name": name.capitalize(), "email": f"{name}@sunnyacres.org",
              "email_confirm": f"{name}@sunnyacres.org"}
    return advance_to(data_dir, step, clock=clock, practice_account=name, user_id=f"{name}_pso", person=person)


def _edit_shared(data_dir: Path, change) -> None:
    path = data_dir / DB_NAME
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.fixture
def support_log(data_dir):
    import logging

    from wizard.log import LOGGER_NAME
    from wizard.store import prepare_data_dir

    path = setup_logging(prepare_data_dir(data_dir))
    yield path
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_a_hand_approved_request_is_ignored_and_its_forger_is_no_pso(data_dir, clock, support_log):
    mallory = trainee(data_dir, clock, "mallory")
    bob = trainee(data_dir, clock, "bob")
    log = support_log

    def approve_mallory(data):
        for doc in data["requests"].values():
            if doc["user_id"] == "mallory_pso":
                doc["organizations"][0].update(status="approved", decided_by="cms", decided_by_name="CMS")

    _edit_shared(data_dir, approve_mallory)
    approvals = Approvals(Store(data_dir, practice_account="console"), clock)
    assert [r.user_id for r in approvals.store.requests()] == ["bob_pso"]  # the forged one is ignored
    assert approvals.psos_of(CCN) == [] and approvals.providers_of_pso("mallory_pso") == []
    assert new_flow(data_dir, clock, practice_account="mallory").my_requests() == []
    # Mallory cannot sign in to the console as a PSO, nor approve Bob's request
    signin = ApproverSignIn(Store(data_dir, practice_account="console"), clock=clock)
    mallory.send_code()
    reviewer, message = signin.sign_in("mallory_pso", PASSWORD, last_code(mallory))
    assert reviewer is None and "not an active Provider Security Official" in message
    bob_request = bob.my_requests()[0]
    with pytest.raises(ApprovalError, match="not yours to decide"):
        approvals.decide(Reviewer("pso", "Mallory", "mallory@sunnyacres.org", "mallory_pso"), bob_request.id, CCN, True)
    # Bob's first PSO request still goes to CMS, and the file keeps the forged record untouched
    assert approvals.route_for(bob_request, CCN).kind == "cms"
    assert any(d["user_id"] == "mallory_pso" for d in json.loads((data_dir / DB_NAME).read_text())["requests"].values())
    assert "record_ignored table=requests why=seal" in log.read_text()


def test_a_copied_seal_does_not_carry_over_to_another_user(data_dir, clock):
    alice = trainee(data_dir, clock, "alice")
    Approvals(Store(data_dir, practice_account="console"), clock).decide(CMS_REVIEWER, alice.my_requests()[0].id, CCN, True)
    trainee(data_dir, clock, "mallory")

    def take_alices_seal(data):
        docs = list(data["requests"].values())
        alices = next(d for d in docs if d["user_id"] == "alice_pso")
        for doc in docs:
            if doc["user_id"] == "mallory_pso":
                doc["organizations"], doc["seal"] = alices["organizations"], alices["seal"]

    _edit_shared(data_dir, take_alices_seal)
    store = Store(data_dir, practice_account="console")
    assert [p.user_id for p in store.active_psos(CCN)] == ["alice_pso"]


def test_a_fake_last_submitted_request_does_not_count_review_as_done(data_dir, clock):
    flow = advance_to(data_dir, Step.REVIEW, clock=clock)
    path = data_dir / "profiles" / "default.json"
    data = json.loads(path.read_text())
    data["accounts"]["1"]["last_submitted_request"] = "0123456789ab"
    path.write_text(json.dumps(data))
    # and a request with that id written in by hand, without a seal
    forged = {"id": "0123456789ab", "user_id": USER_ID, "role": "pso",
              "organizations": [{"ccn": CCN, "status": "pending"}]}
    _edit_shared(data_dir, lambda d: d.setdefault("requests", {}).update({"99": forged}))
    again = new_flow(data_dir, clock)
    assert again.record.last_submitted_request is None
    sign_in(again, "sms")
    assert again.current_step == Step.REVIEW
    assert again.my_requests() == []
    assert again.submit(Step.REVIEW, {}).ok  # the real Submit still works, once
    assert [r.id for r in new_flow(data_dir, clock).my_requests()] == [again.record.last_submitted_request]
    after = new_flow(data_dir, clock)
    sign_in(after, "sms")
    assert after.current_step == Step.AWAIT_APPROVAL


def test_a_forged_user_id_index_entry_does_not_give_away_a_user_id(data_dir):
    advance_to(data_dir, Step.WELCOME)
    path = data_dir / "users.json"
    data = json.loads(path.read_text())
    for entry in data["users"].values():
        entry["profile"] = "other"  # the seal no longer holds
    path.write_text(json.dumps(data))
    other = new_flow(data_dir, practice_account="other")
    # a person of their own (the same email would be refused first: it already exists)
    own = {**PROFILE, "email": "other@sunnyacres.org", "email_confirm": "other@sunnyacres.org"}
    assert other.submit(Step.PROFILE, own).ok
    outcome = other.submit(Step.ACCOUNT, {**account_form(), "user_id": USER_ID.upper()})
    assert not outcome.ok and "taken" in (outcome.message + str(outcome.errors)), outcome
    assert Store(data_dir).account_for_user_id(USER_ID)[0] == "default"


def test_a_practice_account_file_edited_to_take_another_accounts_user_id_is_kept_aside(data_dir, clock):
    advance_to(data_dir, Step.WELCOME, clock=clock)
    trainee(data_dir, clock, "other", step=Step.PROOFING)
    path = data_dir / "profiles" / "other.json"
    data = json.loads(path.read_text())
    data["accounts"]["1"]["user_id"] = USER_ID.swapcase()
    path.write_text(json.dumps(data))
    other = new_flow(data_dir, clock, practice_account="other")
    assert other.record.user_id is None and "another practice account holds" in (other.store.notice or "")
    assert list(data_dir.glob("other.forged-*.json"))  # kept, never deleted
    store = Store(data_dir, practice_account="console")
    assert store.user_ids() == [USER_ID] and store.account_for_user_id(USER_ID)[0] == "default"
    assert new_flow(data_dir, clock).record.user_id == USER_ID  # the real owner is untouched


def test_deleting_the_key_voids_sealed_records_and_keeps_the_failure_count(data_dir, clock):
    from wizard import otp

    alice = trainee(data_dir, clock, "alice")
    Approvals(Store(data_dir, practice_account="console"), clock).decide(CMS_REVIEWER, alice.my_requests()[0].id, CCN, True)
    for _ in range(otp.FAILURES_BEFORE_LOCK):
        alice.check_code("000000")
    (data_dir / "secret.key").unlink()
    store = Store(data_dir, practice_account="console")
    assert store.requests() == [] and store.active_psos(CCN) == []  # nobody became PSO without the key
    again = new_flow(data_dir, clock, practice_account="alice")
    assert again.record.factor.failures == otp.FAILURES_BEFORE_LOCK
    assert again.verify_sign_in("alice_pso", SecretStr(PASSWORD), "000000") != ""
    # the User ID stays taken: the index is rebuilt from the practice account files
    assert store.account_for_user_id("ALICE_PSO")[0] == "alice" and store.user_ids() == ["alice_pso"]
