"""The typed records (wizard/records.py): User IDs compare case-folded and show as typed; the
status carries its label; a record keeps the fields it was stored with."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wizard.records import OrgDecision, RoleRequest, Status, UserId, same_user


def test_a_user_id_compares_and_hashes_case_folded_and_shows_as_typed():
    uid = UserId("JDoe_PSO")
    assert uid == "jdoe_pso" and "JDOE_pso" == uid and uid != "jdoe"
    assert hash(uid) == hash(UserId("jdoe_pso")) and {uid, UserId("JDOE_PSO")} == {uid}
    assert str(uid) == "JDoe_PSO" and f"{uid}" == "JDoe_PSO" and uid.key == "jdoe_pso"
    assert same_user("A.B", "a.b") and not same_user(None, None) and not same_user("", "")
    assert UserId.of(None) is None and UserId.of(42) is None


def test_every_status_has_its_one_label():
    assert {s.value: s.label for s in Status} == {
        "pending": "Pending", "approved": "Active", "rejected": "Rejected", "removed": "Removed", "lapsed": "Lapsed",
    }
    assert Status.PENDING.is_open and Status.APPROVED.is_open and not Status.REJECTED.is_open
    assert f"{Status.APPROVED}" == "approved"


def test_a_request_round_trips_with_the_fields_it_has():
    stored = {"id": "r1", "user_id": "Ann_PSO", "organizations": [{"ccn": "015009", "status": "pending"}],
              "writer": "trainer"}
    record = RoleRequest.model_validate(stored)
    assert record.stored() == stored and record.writer == "trainer"
    assert record.is_by("ann_pso") and record.org("015009").status is Status.PENDING
    record.organizations[0].status = Status.APPROVED
    assert record.stored()["organizations"][0]["status"] == "approved"
    with pytest.raises(ValidationError):
        record.organizations[0].status = "granted"


@pytest.mark.parametrize("bad", [
    {"organizations": []}, {"id": "", "organizations": []}, {"id": "r", "organizations": [{"ccn": "1"}]},
    {"id": "r", "organizations": [{"ccn": "1", "status": "approved "}]}, {"id": "r", "user_id": 5},
])
def test_a_malformed_record_does_not_validate(bad):
    with pytest.raises(ValidationError):
        RoleRequest.model_validate(bad)


def test_an_organization_names_itself():
    assert OrgDecision(ccn="015009", status="pending", name="Sunny").label == "Sunny (CCN 015009)"
    assert OrgDecision(ccn="015009", status="pending").label == "Unknown provider (CCN 015009)"
