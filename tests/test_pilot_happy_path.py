"""The whole wizard from an empty data directory to Pending Requests, through the real screens."""

from __future__ import annotations

from textual.widgets import Static

from tests.factory import CCN, CHALLENGE_ANSWER, PASSWORD, PROFILE, USER_ID, account_form, make_app
from tests.pilot_helpers import fill, message_of, next_page, step_of
from wizard.steps import Step


async def go_to_proofing(pilot) -> None:
    await fill(pilot, PROFILE)
    await next_page(pilot)
    assert step_of(pilot) == Step.ACCOUNT
    form = account_form()
    form.pop("user_id_permanent_ok")
    await fill(pilot, form)
    await next_page(pilot)
    # the "cannot be changed" confirmation
    await pilot.click("#confirm-yes")
    await pilot.pause()
    assert step_of(pilot) == Step.PROOFING


async def answer_proofing(pilot, right: bool = True) -> None:
    questions = pilot.app.flow.proofing_questions()
    answers = {}
    for i, q in enumerate(questions):
        answers[f"q{i}"] = q.correct if right else (q.correct + 1) % len(q.options)
    answers["not_a_robot"] = True
    await fill(pilot, answers)
    await next_page(pilot)


async def test_happy_path_to_pending_requests(data_dir, clock):
    """... and no secret typed on the way is on disk after it (database, log, outbox), the
    check tests/test_secrets.py had made by walking this path a second time."""
    from tests.test_secrets import assert_no_secret_on_disk, logged_to_disk

    with logged_to_disk(data_dir):
        await walk_to_pending_requests(data_dir, clock)
    assert_no_secret_on_disk(data_dir, [PASSWORD, CHALLENGE_ANSWER])


async def walk_to_pending_requests(data_dir, clock) -> None:
    app = make_app(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.PROFILE
        await go_to_proofing(pilot)
        await answer_proofing(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP
        assert any("account was created" in m["subject"] for m in app.flow.messages())

        await fill(pilot, {"password": PASSWORD, "device_type": "sms", "phone": "(614) 555-0123"})
        await next_page(pilot)
        assert step_of(pilot) == Step.TWO_FACTOR_VERIFY
        sms = app.flow.messages()[0]
        assert sms["kind"] == "sms"
        code = sms["body"].split("code is ")[1][:6]
        await fill(pilot, {"code": code})
        await next_page(pilot)
        assert step_of(pilot) == Step.IQIES_SIGN_IN

        await fill(pilot, {"password": PASSWORD})
        await pilot.click("#send-code")
        await pilot.pause()
        code = app.flow.messages()[0]["body"].split("code is ")[1][:6]
        await fill(pilot, {"code": code})
        await next_page(pilot)
        assert step_of(pilot) == Step.WELCOME

        await next_page(pilot)  # Request User Role
        assert step_of(pilot) == Step.CATEGORY
        await fill(pilot, {"category": "provider"})
        await next_page(pilot)
        assert step_of(pilot) == Step.ROLE
        await fill(pilot, {"relationship": "employee", "role": "pso"})
        await next_page(pilot)
        assert step_of(pilot) == Step.ORGANIZATIONS
        await fill(pilot, {"search_for": CCN})
        assert "BURNS NURSING HOME" in str(app.screen.query_one("#search-preview", Static).render())
        await pilot.click("#add-org")
        await pilot.pause()
        assert [o.ccn for o in app.flow.record.request.organizations] == [CCN]
        await next_page(pilot)
        assert step_of(pilot) == Step.REVIEW
        await next_page(pilot)  # Submit Request
        assert step_of(pilot) == Step.AWAIT_APPROVAL
        banner = str(app.screen.query_one("#banner", Static).render())
        assert "Role Request Submitted" in banner
        pending = " ".join(str(w.render()) for w in app.screen.query(".request"))
        assert "Provider Security Official" in pending and "Pending" in pending
        assert CCN in pending and "CMS" in pending
    assert app.flow.my_requests()[0].user_id == USER_ID
