"""The approver console's Manage access page (issue 19, item 5), at 80x24 and keyboard only: a
PSO opens it from the queue with m, sees who holds or asks for which role at their providers,
removes a leaver's role with a reason, and is refused removing themselves as the last PSO."""

from __future__ import annotations

from screens.console import AccessScreen, QueueScreen, RemoveRoleScreen
from tests.conftest import FrozenClock
from tests.factory import CCN
from tests.test_console import ALICE, console, message, screen_text, sign_in_cms, sign_in_pso, submitted, trainee
from wizard.approvals import CMS_REVIEWER, Approvals, Reviewer
from wizard.records import Status
from wizard.store import Store

CAROL = trainee("Carol", "Clark")


def provider(data_dir, clock):
    """Alice is the PSO (CMS approved her); Carol holds PBJ Submitter there."""
    alice = submitted(data_dir, clock, ALICE)
    approvals = Approvals(Store(data_dir, practice_account="setup"), clock)
    approvals.decide(CMS_REVIEWER, alice.my_requests()[-1].id, CCN, True)
    carol = submitted(data_dir, clock, CAROL, role="pbj_submitter")
    reviewer = Reviewer("pso", alice.profile.display_name, alice.profile.email, alice.record.user_id)
    approvals.decide(reviewer, carol.my_requests()[-1].id, CCN, True)
    return alice, carol


async def test_pso_manages_access_by_keyboard_at_80x24(data_dir):
    clock = FrozenClock()
    alice, carol = provider(data_dir, clock)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_pso(pilot, "alice_pso")
        assert isinstance(app.screen, QueueScreen)
        assert "m Access" in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, AccessScreen)
        text = screen_text(app)
        assert "Sandbox, modelled on iQIES Manage Access" in text
        for shown in ("Alice Able", "alice_pso", "(you)", "Carol Clark", "carol_pso", "PBJ", "Active",
                      "Since", "Last sign-in"):
            assert shown in text, shown
        # the first row is Alice herself, the last PSO: refused, with the Service Center route
        assert list(app.screen.entries.values())[0].request.user_id == "alice_pso"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AccessScreen)
        assert "last PSO" in message(app) and "iQIES Service Center" in message(app)
        # Carol's row: Enter opens the reason dialog; an empty reason is refused
        await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RemoveRoleScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert "needs a reason" in screen_text(app)
        await pilot.press(*"Left on Friday")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AccessScreen)
        assert message(app).startswith("Removed: Carol Clark no longer has")
        assert "carol_pso" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
    org = carol.my_requests()[-1].org(CCN)
    assert org.status == Status.REMOVED and org.reason == "Left on Friday"
    assert any("was removed" in m["subject"] for m in carol.messages())


async def test_escape_cancels_a_removal_and_cms_has_no_manage_access(data_dir):
    clock = FrozenClock()
    provider(data_dir, clock)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_pso(pilot, "alice_pso")
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RemoveRoleScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccessScreen) and "Carol Clark" in screen_text(app)
        await pilot.press("escape", "s")
        await pilot.pause()
        await sign_in_cms(pilot)
        assert "Manage access" not in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
