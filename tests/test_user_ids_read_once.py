"""The User IDs other practice accounts hold (the account page's live check, on each keystroke)
are read from their files once, and again as soon as any of those files changed: an account
created, kept aside or edited by hand by another process shows at the next keystroke."""

from __future__ import annotations

import json
import os

from tests.factory import account_form
from tests.test_approvals import trainee
from wizard.steps import Step
from wizard.storage import AtomicJSONStorage
from wizard.store import Store


def test_other_accounts_are_read_once_until_a_file_changes(data_dir, clock, monkeypatch):
    trainee(data_dir, clock, "alice", step=Step.PROOFING)
    bob = Store(data_dir, practice_account="bob")
    assert bob.user_ids() == ["alice_pso"]
    reads = []
    read = AtomicJSONStorage.read
    monkeypatch.setattr(AtomicJSONStorage, "read", lambda self: reads.append(self.path.name) or read(self))
    for _ in range(5):
        assert bob.user_ids() == ["alice_pso"]
    assert reads == []  # nothing changed: not one file read again

    trainee(data_dir, clock, "carol", step=Step.PROOFING)  # another process, another account
    assert sorted(bob.user_ids()) == ["alice_pso", "carol_pso"]
    assert reads  # read again, once

    carol = data_dir / "profiles" / "carol.json"
    os.replace(carol, carol.with_suffix(".aside"))  # kept aside by hand: its User ID is free again
    assert bob.user_ids() == ["alice_pso"]


def test_a_hand_edit_in_place_is_seen(data_dir, clock):
    trainee(data_dir, clock, "alice", step=Step.PROOFING)
    bob = Store(data_dir, practice_account="bob")
    assert bob.user_ids() == ["alice_pso"]
    path = data_dir / "profiles" / "alice.json"
    data = json.loads(path.read_text())
    for account in data["accounts"].values():
        account["user_id"] = "alice_renamed"  # the sealed index no longer matches the file
    with open(path, "r+") as f:  # in place: same inode, a new size
        f.seek(0)
        f.write(json.dumps(data))
        f.truncate()
    assert "alice_pso" not in bob.user_ids()


def test_the_live_check_refuses_a_user_id_taken_meanwhile(data_dir, clock):
    bob = trainee(data_dir, clock, "bob", step=Step.ACCOUNT)
    form = {**account_form(), "user_id": "carol_pso"}
    assert "user_id" not in bob.validate(Step.ACCOUNT, form)
    trainee(data_dir, clock, "carol", step=Step.PROOFING)
    assert "user_id" in bob.validate(Step.ACCOUNT, form)
