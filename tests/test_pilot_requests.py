"""The requester's side in the wizard: Pending Requests follows decisions made elsewhere (the
approver console, another process) without a restart; an existing user requests another role
from the user menu without repeating HARP setup."""

from __future__ import annotations

from textual.widgets import Static

from tests.factory import CCN, make_app
from screens.iqies import WelcomeScreen
from tests.pilot_helpers import step_of, wait_until
from tests.states import advance_to
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.steps import Step
from wizard.store import Store


def request_texts(app) -> list[str]:
    # a row being removed by a refill is not drawn any more (Textual: display is False while it
    # is pruned) but is still in the DOM for a moment
    return [str(w.render()) for w in app.screen.query(".request").results(Static) if w.display]


async def test_pending_requests_show_a_decision_without_a_restart(data_dir, clock, monkeypatch):
    monkeypatch.setattr(WelcomeScreen, "REFRESH_SECONDS", 0.05)  # every 2 s for a user; here sooner
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    console = Approvals(Store(data_dir, practice_account="console"), clock)  # as if another process
    app = make_app(data_dir, clock, signed_in=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.AWAIT_APPROVAL
        [before] = request_texts(app)
        assert "Pending" in before and "CMS" in before
        item = console.queue(CMS_REVIEWER)[0]
        console.decide(CMS_REVIEWER, item.request.id, CCN, approve=True)
        await wait_until(pilot, lambda: "Active" in "".join(request_texts(app)))  # one refresh tick
        [after] = request_texts(app)
        assert "Active" in after and "approved by CMS reviewer" in after
        assert "only PSO" in after  # the advice to name a second PSO
        assert app.screen.query(".request.status-approved")


async def test_a_rejection_shows_its_reason(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    console = Approvals(Store(data_dir, practice_account="console"), clock)
    item = console.queue(CMS_REVIEWER)[0]
    console.decide(CMS_REVIEWER, item.request.id, CCN, approve=False, reason="Not our employee")
    app = make_app(data_dir, clock, signed_in=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        [text] = request_texts(app)
        assert "Rejected" in text and "Not our employee" in text


async def test_the_user_menu_starts_another_request_without_harp_setup(data_dir, clock):
    advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock)
    app = make_app(data_dir, clock, signed_in=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#user-menu")
        await pilot.pause()
        await pilot.click("#menu-request-role")
        await pilot.pause()
        assert step_of(pilot) == Step.CATEGORY
        assert app.flow.record.identity_proofed  # HARP stays done
        assert len(app.flow.my_requests()) == 1  # the first request stays under Pending Requests
