"""wizard/approvals.py: routing, decisions, the only PSO leaving, reminders and lapsing roles,
the existing user's second request, and the emails each step sends (Maildir and SMTP)."""

from __future__ import annotations

import email
import mailbox
from email import policy
from pathlib import Path

import pytest

from tests.conftest import FrozenClock
from tests.factory import CCN, PASSWORD
from tests.states import advance_to, last_code, new_flow
from wizard.approvals import CMS_REVIEWER, LAPSE_DAYS, ApprovalError, Approvals, Reviewer
from wizard.mail import CMS_REVIEWER_ADDRESS
from wizard.steps import Step
from wizard.store import Store

OTHER_CCN = "015010"


def trainee(data_dir: Path, clock: FrozenClock, name: str, *, role: str = "pso", ccn: str = CCN,
            step: Step = Step.AWAIT_APPROVAL):
    """Trainee ``name`` (own practice account, User ID and email) who has submitted ``role`` at ``ccn``."""
    person = {"first_name": name.capitalize(), "email": f"{name}@sunnyacres.org",
              "email_confirm": f"{name}@sunnyacres.org"}
    return advance_to(data_dir, step, clock=clock, practice_account=name, user_id=f"{name}_pso", person=person,
                      role=role, ccn=ccn)


def pso(flow) -> Reviewer:
    profile = flow.profile
    return Reviewer("pso", profile.display_name, profile.email, flow.record.user_id)


def request_of(flow) -> dict:
    return flow.my_requests()[-1]


@pytest.fixture
def approvals(data_dir, clock) -> Approvals:
    return Approvals(Store(data_dir, practice_account="console"), clock)


# -- routing ---------------------------------------------------------------------------------------


def test_first_pso_goes_to_cms_then_the_second_to_the_first_pso(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    assert [i.request.user_id for i in approvals.queue(CMS_REVIEWER)] == ["alice_pso"]
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    assert approvals.providers_of_pso("alice_pso") == [CCN]
    assert approvals.store.provider_has_active_pso(CCN)

    bob = trainee(data_dir, clock, "bob")
    assert request_of(bob).organizations[0].approver == "pso"
    assert approvals.queue(CMS_REVIEWER) == []  # not CMS's any more
    queue = approvals.queue(pso(alice))
    assert [(i.request.user_id, i.own) for i in queue] == [("bob_pso", False)]
    with pytest.raises(ApprovalError, match="not yours"):
        approvals.decide(CMS_REVIEWER, request_of(bob).id, CCN, approve=True)
    approvals.decide(pso(alice), request_of(bob).id, CCN, approve=True)
    assert {p.user_id for p in approvals.psos_of(CCN)} == {"alice_pso", "bob_pso"}


def test_other_roles_need_a_pso_and_the_requester_is_told_why(data_dir, clock, approvals):
    carol = trainee(data_dir, clock, "carol", role="pbj_submitter")
    req = request_of(carol)
    assert req.organizations[0].approver == "none"
    assert approvals.queue(CMS_REVIEWER) == []
    line = approvals.status_line(req, req.organizations[0])
    assert "no active PSO" in line and "register a PSO first" in line
    # once the provider has a PSO, the same request waits for that PSO
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    assert [i.request.user_id for i in approvals.queue(pso(alice))] == ["carol_pso"]
    assert "Provider Security Officials" in approvals.status_line(req, req.organizations[0])


def test_nobody_approves_their_own_request(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    with pytest.raises(ApprovalError, match="own request"):
        approvals.decide(pso(alice), request_of(alice).id, CCN, approve=True)
    assert "own request" in approvals.refusal(pso(alice), request_of(alice).id, CCN, approve=False)
    assert approvals.refusal(CMS_REVIEWER, request_of(alice).id, CCN, approve=False) == ""
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    bob = trainee(data_dir, clock, "bob")
    approvals.decide(pso(alice), request_of(bob).id, CCN, approve=True)
    # Alice, one of two PSOs, asks for another role at her own provider: listed for her (so the
    # refusal can be seen), never hers to approve; Bob decides it
    assert alice.request_role().ok
    assert alice.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert alice.submit(Step.ROLE, {"relationship": "employee", "role": "pbj_submitter"}).ok
    assert alice.add_organization("ccn", CCN).ok
    assert alice.submit(Step.ORGANIZATIONS, {}).ok and alice.submit(Step.REVIEW, {}).ok
    own = approvals.queue(pso(alice))
    assert [(i.request.role, i.own) for i in own] == [("pbj_submitter", True)]
    with pytest.raises(ApprovalError, match="own request"):
        approvals.decide(pso(alice), own[0].request.id, CCN, approve=True)
    assert own[0].org.status == "pending"


def test_a_vendor_cannot_become_pso(data_dir, clock, approvals):
    flow = trainee(data_dir, clock, "vera", step=Step.ROLE)
    refused = flow.submit(Step.ROLE, {"relationship": "vendor", "role": "pso"})
    assert not refused.ok and "vendor" in " ".join(refused.errors.values()).lower()
    # and a vendor PSO request that reached the store anyway (an edited file) is never approved
    approvals.store.add_request({
        "id": "vendor1", "user_id": "vera_pso", "requester": "Vera", "email": "vera@sunnyacres.org",
        "role": "pso", "relationship": "vendor", "submitted_at": clock().isoformat(),
        "organizations": [{"ccn": OTHER_CCN, "name": "Coosa", "status": "pending"}],
    })
    with pytest.raises(ApprovalError, match="vendor"):
        approvals.decide(CMS_REVIEWER, "vendor1", OTHER_CCN, approve=True)


def test_rejection_needs_a_reason_and_the_requester_reads_it(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    rid = request_of(alice).id
    for reason in ("", "   "):
        with pytest.raises(ApprovalError, match="needs a reason"):
            approvals.decide(CMS_REVIEWER, rid, CCN, approve=False, reason=reason)
    approvals.decide(CMS_REVIEWER, rid, CCN, approve=False, reason="Not on our staff list")
    req = request_of(alice)
    assert req.organizations[0].status == "rejected"
    assert "Not on our staff list" in approvals.status_line(req, req.organizations[0])
    with pytest.raises(ApprovalError, match="already decided"):
        approvals.decide(CMS_REVIEWER, rid, CCN, approve=True)
    mail = [m for m in alice.messages() if "rejected" in m["subject"]]
    assert len(mail) == 1 and "Not on our staff list" in mail[0]["body"]


def test_a_request_with_several_organizations_is_decided_per_organization(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice", step=Step.REVIEW)
    alice.record.position = Step.ORGANIZATIONS.key
    assert alice.add_organization("ccn", OTHER_CCN).ok
    assert alice.submit(Step.ORGANIZATIONS, {}).ok and alice.submit(Step.REVIEW, {}).ok
    rid = request_of(alice).id
    assert len(approvals.queue(CMS_REVIEWER)) == 2
    approvals.decide(CMS_REVIEWER, rid, CCN, approve=True)
    approvals.decide(CMS_REVIEWER, rid, OTHER_CCN, approve=False, reason="Wrong facility")
    statuses = {o.ccn: o.status for o in request_of(alice).organizations}
    assert statuses == {CCN: "approved", OTHER_CCN: "rejected"}


def test_only_one_pso_gets_the_advice_to_name_a_second(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    said = approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    assert "Approved" in said.text and "only PSO" not in said.text
    assert "only PSO" in said.advice and "at least two" in said.advice
    req = request_of(alice)
    assert "only PSO" in approvals.status_line(req, req.organizations[0])
    approved_mail = [m for m in alice.messages() if "approved" in m["subject"]]
    assert "at least two" in approved_mail[0]["body"]
    bob = trainee(data_dir, clock, "bob")
    said = approvals.decide(pso(alice), request_of(bob).id, CCN, approve=True)
    assert said.advice == "" and "Bob" in said.text
    assert [(c, [p.user_id for p in psos]) for c, _, psos in approvals.providers_with_psos()] == [
        (CCN, ["alice_pso", "bob_pso"])
    ]
    assert "only PSO" not in approvals.status_line(req, req.organizations[0])


# -- the only PSO has left -------------------------------------------------------------------------


def test_cms_removes_a_pso_and_the_next_pso_request_goes_to_cms(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    with pytest.raises(ApprovalError, match="Service Center"):
        approvals.remove_pso(pso(alice), CCN, "alice_pso")
    said = approvals.remove_pso(CMS_REVIEWER, CCN, "alice_pso")
    assert "no PSO now" in said and "goes to CMS" in said
    assert not approvals.store.provider_has_active_pso(CCN)
    assert any("removed as PSO" in m["subject"] for m in alice.messages())
    with pytest.raises(ApprovalError, match="not an active PSO"):
        approvals.remove_pso(CMS_REVIEWER, CCN, "alice_pso")
    dave = trainee(data_dir, clock, "dave")
    assert request_of(dave).organizations[0].approver == "cms"
    assert [i.request.user_id for i in approvals.queue(CMS_REVIEWER)] == ["dave_pso"]
    assert approvals.queue(pso(alice)) == []


# -- time: reminders and lapsing roles --------------------------------------------------------------


def test_the_sandbox_clock_ages_requests_and_sends_one_reminder(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    assert approvals.queue(CMS_REVIEWER)[0].age_days == 0
    assert approvals.advance_clock(1) == []
    done = approvals.advance_clock(1)
    assert len(done) == 1 and "Reminder" in done[0]
    assert approvals.queue(CMS_REVIEWER)[0].age_days == 2
    assert approvals.advance_clock(3) == []  # once
    cms_mail = approvals.store.mailer.messages(to=CMS_REVIEWER_ADDRESS)
    assert any("reminder" in m["subject"] for m in cms_mail)
    assert any("still pending" in m["subject"] for m in alice.messages())
    with pytest.raises(ApprovalError):
        approvals.advance_clock(0)
    # both processes read the same offset from the data directory
    assert Approvals(Store(data_dir, practice_account="other"), clock).now() == approvals.now()


def test_roles_lapse_after_60_days_without_signing_in(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    done = approvals.advance_clock(LAPSE_DAYS - 10)
    assert any("lapses in 10 days" in d for d in done)
    assert approvals.advance_clock(1) == []  # warned once
    done = approvals.advance_clock(9)
    assert any("lapsed" in d for d in done)
    req = request_of(alice)
    assert req.organizations[0].status == "lapsed"
    assert not approvals.store.provider_has_active_pso(CCN)
    assert "Lapsed" in approvals.status_line(req, req.organizations[0])
    assert any("has lapsed" in m["subject"] for m in alice.messages())


def test_signing_in_keeps_roles(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    approvals.advance_clock(40)
    alice.send_code()
    assert alice.verify_sign_in("alice_pso", PasswordStr(PASSWORD), last_code(alice)) == ""
    approvals.advance_clock(40)  # 80 days after approval, 40 after signing in
    assert approvals.store.provider_has_active_pso(CCN)


def PasswordStr(value: str):
    from pydantic import SecretStr

    return SecretStr(value)


# -- the existing user ("Do you already have an iQIES ID?") -------------------------------------------


def test_an_existing_user_signs_in_and_requests_another_role_without_harp_setup(data_dir, clock):
    alice = trainee(data_dir, clock, "alice")
    flow = new_flow(data_dir, clock, "alice")  # a relaunch: a new flow on the same practice account
    assert flow.current_step == Step.IQIES_SIGN_IN  # HARP is done; only the sign-in is asked again
    flow.send_code()
    outcome = flow.submit(Step.IQIES_SIGN_IN, {"user_id": "alice_pso", "password": PASSWORD, "code": last_code(flow)})
    assert outcome.ok and outcome.next_step == Step.AWAIT_APPROVAL
    assert flow.request_role().next_step == Step.CATEGORY  # the user menu's Request User Role
    assert flow.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert flow.submit(Step.ROLE, {"relationship": "employee", "role": "pbj_submitter"}).ok
    assert flow.add_organization("ccn", OTHER_CCN).ok
    assert flow.submit(Step.ORGANIZATIONS, {}).ok and flow.submit(Step.REVIEW, {}).ok
    assert [r.role for r in flow.my_requests()] == ["pso", "pbj_submitter"]
    assert alice.record.user_id == flow.record.user_id


# -- email ---------------------------------------------------------------------------------------------


def _scenario(data_dir, clock, approvals) -> None:
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    bob = trainee(data_dir, clock, "bob")
    approvals.decide(pso(alice), request_of(bob).id, CCN, approve=False, reason="Ask your manager first")
    approvals.advance_clock(3)
    approvals.remove_pso(CMS_REVIEWER, CCN, "alice_pso")


def test_every_message_is_a_real_email_in_the_maildir(data_dir, clock, approvals):
    _scenario(data_dir, clock, approvals)
    box = mailbox.Maildir(data_dir / "mail", factory=None, create=False)
    mails = [email.message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]
    assert len(mails) >= 7
    subjects = [m["Subject"] for m in mails]
    for mail in mails:
        for header in ("From", "To", "Date", "Subject", "Message-ID"):
            assert mail[header], (header, mail["Subject"])
        assert email.utils.parsedate_to_datetime(mail["Date"]).tzinfo is not None
        body = mail.get_body(("plain",)).get_content()
        assert "sandbox" in body
        if mail["Subject"].startswith("iQIES"):  # every message about a role names it and the provider
            assert "Provider Security Official" in body or "PSO" in body, mail["Subject"]
            assert CCN in body, mail["Subject"]
    assert any("approved" in s for s in subjects) and any("rejected" in s for s in subjects)
    assert any("removed as PSO" in s for s in subjects)
    assert any(m["To"] == CMS_REVIEWER_ADDRESS for m in mails)  # pending, to CMS
    assert any(m["To"] == "alice@sunnyacres.org" and "requests" in m["Subject"] for m in mails)  # pending, to the PSO
    for path in (data_dir / "mail" / "new").iterdir():
        assert path.stat().st_mode & 0o077 == 0


def test_the_smtp_path_delivers_the_same_messages(data_dir, clock, monkeypatch):
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = ("127.0.0.1", port)
        original = Store.__init__

        def with_smtp(self, *args, **kwargs):  # every process of the scenario was started with --smtp
            kwargs.setdefault("smtp", smtp)
            original(self, *args, **kwargs)

        monkeypatch.setattr(Store, "__init__", with_smtp)
        approvals = Approvals(Store(data_dir, practice_account="console"), clock)
        _scenario(data_dir, clock, approvals)
        monkeypatch.undo()
        # sending is off the caller's thread now: every message has had its try before the server stops
        assert Store(data_dir, smtp=smtp).mailer.sender.drain(timeout=10)
    finally:
        controller.stop()
    in_maildir = sorted(m["subject"] for m in Store(data_dir).mailer.messages())
    over_smtp = sorted(email.message_from_bytes(raw, policy=policy.default)["Subject"] for raw in received)
    assert over_smtp == in_maildir and len(over_smtp) >= 7


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_smtp_server_that_does_not_answer_loses_no_message(data_dir, clock):
    port = _free_port()  # nobody listens there
    store = Store(data_dir, practice_account="console", smtp=("127.0.0.1", port))
    store.add_message({"kind": "email", "to": "a@example.org", "subject": "s", "body": "b"})
    assert [m["subject"] for m in store.mailer.messages()] == ["s"]
    assert store.mailer.sender.drain(timeout=10)  # the try happens on the sender's thread
    assert "did not take the message" in store.mailer.last_error


def test_a_pso_is_not_asked_to_decide_their_own_request(data_dir, clock, approvals):
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    bob = trainee(data_dir, clock, "bob")
    approvals.decide(pso(alice), request_of(bob).id, CCN, approve=True)
    assert alice.request_role().ok
    assert alice.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert alice.submit(Step.ROLE, {"relationship": "employee", "role": "pbj_submitter"}).ok
    assert alice.add_organization("ccn", CCN).ok
    assert alice.submit(Step.ORGANIZATIONS, {}).ok and alice.submit(Step.REVIEW, {}).ok
    approvals.advance_clock(2)  # and the reminder
    asked = [m for m in approvals.store.mailer.messages() if "PBJ Submitter" in m["subject"]
             and ("requests" in m["subject"] or "reminder" in m["subject"])]
    assert {m["to"] for m in asked} == {"bob@sunnyacres.org"}


def test_two_processes_sweeping_at_once_send_one_reminder(data_dir, clock, approvals, monkeypatch):
    """Code review: every open wizard and console sweeps when the date changes; each decided
    from its own snapshot that a reminder was due, and each sent it."""
    trainee(data_dir, clock, "alice")
    approvals.store.set_clock_offset_days(3)
    other = Approvals(Store(data_dir, practice_account="bob"), clock)
    stale = other.store.requests()  # read before the first sweep wrote its flag
    assert len(approvals.sweep()) == 1
    monkeypatch.setattr(other.store, "requests", lambda: [r.model_copy(deep=True) for r in stale])
    assert other.sweep() == []
    reminders = [m for m in approvals.store.mailer.messages() if "reminder" in m["subject"]]
    assert len(reminders) == 1


def test_the_only_pso_asking_for_another_role_there_is_told_nobody_can_decide_yet(data_dir, clock, approvals):
    """Code review: the only PSO's own further request waited for "this provider's PSOs" forever."""
    alice = trainee(data_dir, clock, "alice")
    approvals.decide(CMS_REVIEWER, request_of(alice).id, CCN, approve=True)
    assert alice.request_role().ok
    assert alice.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert alice.submit(Step.ROLE, {"relationship": "employee", "role": "pbj_submitter"}).ok
    assert alice.add_organization("ccn", CCN).ok
    assert "only PSO" in alice.approver_for("pbj_submitter", CCN).description  # said on Review
    assert alice.submit(Step.ORGANIZATIONS, {}).ok and alice.submit(Step.REVIEW, {}).ok
    req = request_of(alice)
    assert req.organizations[0].approver == "none"
    assert "only PSO" in approvals.status_line(req, req.organizations[0])
    assert approvals.queue(pso(alice)) == [] and approvals.queue(CMS_REVIEWER) == []
    bob = trainee(data_dir, clock, "bob")  # a second PSO: now Bob decides it
    approvals.decide(pso(alice), request_of(bob).id, CCN, approve=True)
    assert [i.request.user_id for i in approvals.queue(pso(bob))] == ["alice_pso"]
    assert "Provider Security Officials" in approvals.status_line(req, req.organizations[0])


def test_one_unreadable_email_does_not_break_anyones_inbox(data_dir, clock):
    """Code review: an unknown charset in one Maildir file stopped every F2 and `run`."""
    alice = trainee(data_dir, clock, "alice")
    bad = data_dir / "mail" / "new" / "1.bad"
    bad.write_bytes(b"To: alice@sunnyacres.org\nSubject: x\nContent-Type: text/plain; charset=x-no-such\n\nhello\n")
    messages = alice.messages()
    assert any(m["body"] == "(This message cannot be read.)" for m in messages)
    assert any("account was created" in m["subject"] for m in messages)


def test_an_edited_user_index_with_numbers_is_ignored_not_crashed_on(data_dir, clock):
    import json

    alice = trainee(data_dir, clock, "alice")
    (data_dir / "users.json").write_text(json.dumps({"users": {"1": {"user_id": 5, "key": 5, "profile": "x"}}}))
    # ignored, not crashed on; alice still holds her User ID: the one practice account file naming it says so
    assert Store(data_dir, practice_account="bob").user_ids() == ["alice_pso"]
    assert alice.validate(Step.ACCOUNT, {"user_id": "someone_new"}) is not None  # the live check runs


def test_two_trainers_moving_the_clock_both_count(data_dir, clock):
    first = Approvals(Store(data_dir, practice_account="t1"), clock)
    second = Approvals(Store(data_dir, practice_account="t2"), clock)
    first.store.clock_offset_days()  # both have read 0 and cached it
    second.store.clock_offset_days()
    first.advance_clock(1)
    second.advance_clock(1)
    assert Store(data_dir).clock_offset_days() == 2
