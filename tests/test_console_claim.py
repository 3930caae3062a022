"""A console sign-in claims the account (issue 16, item 1): a second approver console cannot sign
the same PSO in at once; sign-out and exit let go, and so does a crash (kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.factory import CCN, PASSWORD
from tests.states import advance_to
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.signin import ApproverSignIn
from wizard.steps import Step
from wizard.store import Store

CHILD = """
import sys, time
from pathlib import Path
from wizard.signin import ApproverSignIn
from wizard.store import Store

signin = ApproverSignIn(Store(Path(sys.argv[1]), practice_account="console-a"))
signin.send_code("alice_pso")
body = signin.phone("alice_pso")[0]["body"]
code = body.split("code is ")[1][:11].replace(" ", "")[:6]
reviewer, message = signin.sign_in("ALICE_PSO", sys.argv[2], code)
print("signed in" if reviewer else message, flush=True)
time.sleep(120)
"""


def _sign_in(signin: ApproverSignIn, user_id: str = "alice_pso"):
    signin.send_code(user_id)
    body = signin.phone(user_id)[0]["body"]
    return signin.sign_in(user_id, PASSWORD, body.split("code is ")[1][:11].replace(" ", "")[:6])


def _alice_is_pso(data_dir, clock) -> None:
    person = {"first_name": "Alice", "email": "alice@sunnyacres.org", "email_confirm": "alice@sunnyacres.org"}
    alice = advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, practice_account="alice", user_id="alice_pso", person=person)
    Approvals(Store(data_dir, practice_account="console"), clock).decide(CMS_REVIEWER, alice.my_requests()[0].id, CCN, True)


def test_a_second_console_cannot_sign_the_same_pso_in_until_the_first_lets_go(data_dir, clock):
    _alice_is_pso(data_dir, clock)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), PASSWORD],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "signed in", child.stderr.read()
        second = ApproverSignIn(Store(data_dir, practice_account="console-b"))
        reviewer, message = _sign_in(second)
        assert reviewer is None
        assert "already signed in to an approver console in another window" in message and "\n" not in message
        os.kill(child.pid, signal.SIGKILL)  # a crash: the OS lets go of the claim
        child.wait(timeout=10)
        reviewer, message = _sign_in(second)
        assert reviewer is not None and reviewer.user_id == "alice_pso", message
        third = ApproverSignIn(Store(data_dir, practice_account="console-c"))
        assert _sign_in(third)[0] is None
        second.sign_out()
        assert _sign_in(third)[0] is not None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_cms_reviewer_is_not_claimed(data_dir):
    one, two = ApproverSignIn(Store(data_dir, practice_account="a")), ApproverSignIn(Store(data_dir, practice_account="b"))
    assert one.cms().is_cms and two.cms().is_cms
