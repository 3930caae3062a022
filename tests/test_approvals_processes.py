"""A wizard and an approver console as two real processes on one data directory: the trainee
submits requests while CMS approves them; nothing is lost and each sees the other's changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import FrozenClock
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 12

TRAINEE = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from itertools import islice
from tests.states import advance_to
from wizard.directory import default_directory
from wizard.steps import Step

data_dir, go = sys.argv[1], sys.argv[2]
flow = advance_to(__import__("pathlib").Path(data_dir), Step.AWAIT_APPROVAL, practice_account="trainee")
ccns = [p.ccn for p in islice(iter(default_directory()), 1, {ROUNDS} + 1)]
print("ready", flush=True)
while not __import__("os").path.exists(go):
    time.sleep(0.01)
for ccn in ccns:  # a PSO request per provider, each through the real pages
    assert flow.request_role().ok
    assert flow.submit(Step.CATEGORY, {{"category": "provider"}}).ok
    assert flow.submit(Step.ROLE, {{"relationship": "employee", "role": "pso"}}).ok
    assert flow.add_organization("ccn", ccn).ok, ccn
    assert flow.submit(Step.ORGANIZATIONS, {{}}).ok
    assert flow.submit(Step.REVIEW, {{}}).ok
print("done", flush=True)
"""

CONSOLE = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.store import Store

data_dir, go, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
approvals = Approvals(Store(__import__("pathlib").Path(data_dir), practice_account="console"))
print("ready", flush=True)
while not __import__("os").path.exists(go):
    time.sleep(0.01)
approved = 0
deadline = time.monotonic() + 90
while approved < wanted and time.monotonic() < deadline:
    for item in approvals.queue(CMS_REVIEWER):  # what the console lists, refreshed
        approvals.decide(CMS_REVIEWER, item.request.id, item.org.ccn, approve=True)
        approved += 1
    time.sleep(0.02)
print(approved, flush=True)
"""


def test_a_wizard_submits_while_a_console_approves_and_nothing_is_lost(data_dir, tmp_path):
    Store(data_dir)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", TRAINEE, str(data_dir), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT),
        subprocess.Popen([sys.executable, "-c", CONSOLE, str(data_dir), str(go), str(ROUNDS + 1)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT),
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.touch()
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=150)
            assert proc.returncode == 0, err
            outputs.append(out.split())
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert outputs[0] == ["done"] and outputs[1] == [str(ROUNDS + 1)]
    store = Store(data_dir, practice_account="trainee")
    requests = store.requests()
    assert len(requests) == ROUNDS + 1
    assert all(o.status == "approved" for r in requests for o in r.organizations)
    # the trainee's account kept every submission (no write of the console lost it), and
    # every approval reached the trainee's inbox
    assert store.load_account()["last_submitted_request"] == requests[-1].id
    approved = [m for m in store.mailer.messages(to="jane.doe@sunnyacres.org") if "approved" in m["subject"]]
    assert len(approved) == ROUNDS + 1
    assert Approvals(store, FrozenClock()).queue(CMS_REVIEWER) == []


def test_the_console_signing_a_user_in_is_not_undone_by_that_users_open_wizard(data_dir):
    """Code review: the console wrote the factor (wrong-try count, a new code), then the same
    user's open wizard saved its older copy over it. Each holds its own OnboardingFlow, as two
    processes do."""
    import re

    from tests.factory import PASSWORD, USER_ID
    from tests.states import advance_to
    from wizard.signin import ApproverSignIn
    from wizard.steps import Step

    clock = FrozenClock()
    wizard = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)  # open, idle
    console = ApproverSignIn(Store(data_dir, practice_account="console"), clock)
    for _ in range(3):
        assert console.sign_in(USER_ID, "Wrong-Password-123", "000000")[0] is None
    wizard.save_draft(Step.AWAIT_APPROVAL, {"anything": "x"})
    assert Store(data_dir).load_account()["factor"]["failures"] == 3  # not wiped
    console.send_code(USER_ID)
    code = re.search(r"\d{6}", console.phone(USER_ID)[0]["body"]).group()
    wizard.save_draft(Step.AWAIT_APPROVAL, {"anything": "y"})
    reviewer, refusal = console.sign_in(USER_ID, PASSWORD, code)
    assert refusal == "" or "not an active Provider Security Official" in refusal  # the code worked
    assert "not right" not in refusal
