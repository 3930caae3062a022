"""Add Organizations: Next with an organization found but not yet added adds it and says so
(the page stays, to check the list); the next Next goes on with it in the request."""

from __future__ import annotations

from tests.factory import CCN, make_app
from tests.pilot_helpers import fill, message_of, next_page, step_of
from tests.states import advance_to
from wizard.steps import Step


async def test_next_with_a_found_organization_adds_it_and_says_so(data_dir):
    flow = advance_to(data_dir, Step.ORGANIZATIONS)
    before = {org.ccn for org in flow.record.request.organizations}
    assert CCN not in before
    app = make_app(data_dir, flow.clock, signed_in=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, {"search_for": CCN})
        assert "Found:" in str(app.screen.query_one("#search-preview").render())
        await next_page(pilot)
        assert step_of(pilot) == Step.ORGANIZATIONS
        assert "Added" in message_of(pilot) and "found but not yet added" in message_of(pilot)
        assert CCN in {org.ccn for org in app.flow.record.request.organizations}
        await next_page(pilot)
        assert step_of(pilot) == Step.REVIEW
        assert CCN in {org.ccn for org in app.flow.record.request.organizations}
