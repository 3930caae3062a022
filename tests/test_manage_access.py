"""Issue 19, items 4 and 5: a role that lapsed is requested again through the same pages, and a
PSO manages access at their providers (sandbox, modelled on iQIES Manage Access): sees who holds
or asks for which role, removes a leaver's role with a reason (sealed, emailed, shown on the
user's Pending Requests), and cannot remove themselves as the provider's last PSO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import FrozenClock
from tests.factory import CCN, PASSWORD
from tests.states import advance_to, last_code, new_flow
from wizard.approvals import CMS_REVIEWER, LAPSE_DAYS, SERVICE_CENTER, ApprovalError, Approvals, Reviewer
from wizard.records import Status
from wizard.steps import Step
from wizard.store import DB_NAME, Store


def trainee(data_dir: Path, clock: FrozenClock, name: str, *, role: str = "pso", ccn: str = CCN):
    person = {"first_name": name.capitalize(), "email": f"{name}@sunnyacres.org",
              "email_confirm": f"{name}@sunnyacres.org"}
    return advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account=name, user_id=f"{name}_pso",
                      person=person, role=role, ccn=ccn)


def pso(flow) -> Reviewer:
    return Reviewer("pso", flow.profile.display_name, flow.profile.email, flow.record.user_id)


def last_request(flow):
    return flow.my_requests()[-1]


@pytest.fixture
def approvals(data_dir, clock) -> Approvals:
    return Approvals(Store(data_dir, practice_account="console"), clock)


@pytest.fixture
def provider(data_dir, clock, approvals):
    """Alice is the provider's PSO (CMS approved her); Carol, an employee, holds PBJ Submitter."""
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, last_request(alice).id, CCN, approve=True)
    carol = trainee(data_dir, clock, "carol", role="pbj_submitter")
    approvals.decide(pso(alice), last_request(carol).id, CCN, approve=True)
    return alice, carol


def test_pso_sees_who_has_access_at_their_providers(data_dir, clock, approvals, provider):
    alice, carol = provider
    dave = trainee(data_dir, clock, "dave", role="pbj_submitter")  # pending
    rows = approvals.access_list(pso(alice))
    assert [(e.request.user_id, e.request.role, e.org.status) for e in rows] == [
        ("alice_pso", "pso", Status.APPROVED), ("carol_pso", "pbj_submitter", Status.APPROVED),
        ("dave_pso", "pbj_submitter", Status.PENDING),
    ]
    assert rows[0].own and not rows[1].own and rows[2].pending
    assert rows[1].since == clock().date().isoformat() and rows[1].last_sign_in != ""
    assert approvals.access_list(CMS_REVIEWER) == []  # CMS removes PSOs on its own page
    assert approvals.access_list(pso(dave)) == []  # not a PSO anywhere


def test_pso_removes_a_users_role(data_dir, clock, approvals, provider):
    alice, carol = provider
    request_id = last_request(carol).id
    with pytest.raises(ApprovalError, match="needs a reason"):
        approvals.remove_role(pso(alice), request_id, CCN, "   ")
    done = approvals.remove_role(pso(alice), request_id, CCN, "Left the provider on Friday")
    assert done.text.startswith("Removed: Carol")
    org = last_request(carol).org(CCN)
    assert org.status == Status.REMOVED and org.status.label == "Removed"
    assert org.removed_by == "alice_pso" and org.reason == "Left the provider on Friday"
    line = approvals.status_line(last_request(carol), org)
    assert "Removed on" in line and "Left the provider on Friday" in line and "PSO" in line
    mail = [m for m in carol.messages() if "was removed" in m["subject"]]
    assert mail and "Left the provider on Friday" in mail[0]["body"]
    assert [e.request.user_id for e in approvals.access_list(pso(alice))] == ["alice_pso"]
    with pytest.raises(ApprovalError, match="no longer active"):
        approvals.remove_role(pso(alice), request_id, CCN, "again")
    # the removed user may ask again, routed as a new request (to the PSO)
    assert carol.earlier_request_for("pbj_submitter", CCN) is None


def test_only_the_providers_psos_remove_and_pending_requests_are_rejected(data_dir, clock, approvals, provider):
    alice, carol = provider
    dave = trainee(data_dir, clock, "dave", role="pbj_submitter")
    with pytest.raises(ApprovalError, match="not a PSO"):
        approvals.remove_role(pso(dave), last_request(carol).id, CCN, "no")
    with pytest.raises(ApprovalError, match="reject it"):
        approvals.remove_role(pso(alice), last_request(dave).id, CCN, "no")
    with pytest.raises(ApprovalError, match="PSOs page"):
        approvals.remove_role(CMS_REVIEWER, last_request(carol).id, CCN, "no")


def test_last_pso_cannot_remove_self(data_dir, clock, approvals, provider):
    alice, carol = provider
    own = last_request(alice).id
    with pytest.raises(ApprovalError) as refused:
        approvals.remove_role(pso(alice), own, CCN, "I am leaving")
    assert "last PSO" in str(refused.value) and SERVICE_CENTER in str(refused.value)
    assert approvals.psos_of(CCN)
    # with a second PSO, a PSO may remove their own role (and the second PSO is told to find another)
    bob = trainee(data_dir, clock, "bob")
    approvals.decide(pso(alice), last_request(bob).id, CCN, approve=True)
    done = approvals.remove_role(pso(alice), own, CCN, "I am leaving")
    assert "Bob" in done.advice and [p.user_id for p in approvals.psos_of(CCN)] == ["bob_pso"]
    with pytest.raises(ApprovalError, match="last PSO"):
        approvals.remove_role(pso(bob), last_request(bob).id, CCN, "me too")


def test_cms_reviewer_keeps_its_pso_removal(data_dir, clock, approvals, provider):
    alice, _ = provider
    assert "Removed Alice" in approvals.remove_pso(CMS_REVIEWER, CCN, "alice_pso")
    assert approvals.status_line(last_request(alice), last_request(alice).org(CCN)) == "Removed by the iQIES Service Center."


def test_a_forged_removal_is_ignored(data_dir, clock, approvals, provider):
    alice, carol = provider

    def edit(change) -> None:
        path = data_dir / DB_NAME
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    def forge(data):  # a hand-edited "removed" status, with the old seal
        for doc in data["requests"].values():
            if doc["user_id"] == "alice_pso":
                doc["organizations"][0].update(status="removed", removed_by="carol_pso", removed_by_name="Carol")

    edit(forge)
    fresh = Approvals(Store(data_dir, practice_account="console"), clock)
    assert not any(r.org(CCN).status == Status.REMOVED for r in fresh.store.requests())
    # a hand-forged removal document (no seal at all) is not read either
    edit(lambda data: data["requests"].update({"999": {
        "id": "forged", "user_id": "bob_pso", "role": "pso", "requester": "Bob",
        "organizations": [{"ccn": CCN, "status": "removed", "removed_by": "alice_pso"}]}}))
    assert all(r.id != "forged" for r in Approvals(Store(data_dir, practice_account="x"), clock).store.requests())


def test_a_real_removal_holds_its_seal(data_dir, clock, approvals, provider):
    alice, carol = provider
    approvals.remove_role(pso(alice), last_request(carol).id, CCN, "Left")
    fresh = Store(data_dir, practice_account="another")
    assert fresh.request(last_request(carol).id).org(CCN).status == Status.REMOVED


def test_lapsed_role_is_requested_again(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, last_request(alice).id, CCN, approve=True)
    approvals.advance_clock(LAPSE_DAYS)
    assert last_request(alice).org(CCN).status == Status.LAPSED
    flow = new_flow(data_dir, clock, "alice")  # she comes back: HARP stays, only sign-in is asked
    assert flow.current_step == Step.IQIES_SIGN_IN
    flow.send_code()
    signed = flow.submit(Step.IQIES_SIGN_IN, {"user_id": "alice_pso", "password": PASSWORD, "code": last_code(flow)})
    assert signed.ok
    lapsed = flow.my_requests()[0]
    assert flow.approvals.status_line(lapsed, lapsed.org(CCN)).startswith("Lapsed")
    assert flow.request_role().next_step == Step.CATEGORY
    assert flow.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert flow.submit(Step.ROLE, {"relationship": "employee", "role": "pso"}).ok
    assert flow.add_organization("ccn", CCN).ok  # the lapsed request does not block it
    assert flow.submit(Step.ORGANIZATIONS, {}).ok and flow.submit(Step.REVIEW, {}).ok
    old, new = flow.my_requests()
    assert old.org(CCN).status == Status.LAPSED and new.org(CCN).status == Status.PENDING
    # routed as a new request: the provider has no active PSO now, so CMS decides it
    assert new.org(CCN).approver == "cms"
    assert [i.request.id for i in approvals.queue(CMS_REVIEWER)] == [new.id]
    # and a second request while that one is pending is refused, as always
    assert flow.request_role().ok
    assert flow.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert flow.submit(Step.ROLE, {"relationship": "employee", "role": "pso"}).ok
    assert not flow.add_organization("ccn", CCN).ok
