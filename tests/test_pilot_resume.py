"""Quit anywhere and come back where you were, with what you typed (secrets excepted)."""

from __future__ import annotations

from tests.factory import PASSWORD, PROFILE, make_app
from tests.pilot_helpers import fill, step_of
from tests.states import advance_to
from wizard.steps import Step


async def test_quit_at_two_factor_setup_and_resume_there(data_dir):
    flow = advance_to(data_dir, Step.TWO_FACTOR_SETUP)
    app = make_app(data_dir, flow.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"password": PASSWORD, "device_type": "voice", "phone": "(614) 555-0199"})
        await pilot.press("ctrl+q")
    again = make_app(data_dir, flow.clock)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.TWO_FACTOR_SETUP
        form = again.screen.collect()
        assert form["user_id"] == "jdoe_pso"
        assert form["device_type"] == "voice"
        assert form["phone"] == "(614) 555-0199"
        assert form["password"] == ""  # passwords are typed again
        assert again.screen.focused is again.screen.query_one("#field-password").control


async def test_quit_in_the_middle_of_the_profile_keeps_what_was_typed(data_dir):
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"first_name": "Jane", "email": "not-an-email", "state": "OH"})
        await pilot.press("ctrl+q")
    again = make_app(data_dir)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = again.screen.collect()
        assert (form["first_name"], form["email"], form["state"]) == ("Jane", "not-an-email", "OH")


async def test_back_keeps_what_was_typed(data_dir):
    flow = advance_to(data_dir, Step.ACCOUNT)
    app = make_app(data_dir, flow.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, {"user_id": "half_typed"})
        await pilot.press("escape")
        await pilot.pause()
        assert step_of(pilot) == Step.PROFILE
        assert app.screen.collect()["city"] == PROFILE["city"]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert step_of(pilot) == Step.ACCOUNT
        assert app.screen.collect()["user_id"] == "half_typed"


async def test_relaunch_after_sign_in_asks_to_sign_in_again_then_resumes(data_dir):
    flow = advance_to(data_dir, Step.ROLE)
    app = make_app(data_dir, flow.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert step_of(pilot) == Step.IQIES_SIGN_IN  # signing in is never stored
        await pilot.click("#send-code")
        code = app.flow.messages()[0]["body"].split("code is ")[1][:6]
        await fill(pilot, {"password": PASSWORD, "code": code})
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert step_of(pilot) == Step.ROLE


async def test_typed_keys_reach_the_fields(data_dir):
    """A few real keystrokes (Pilot types slowly, so only here)."""
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"Jane")
        await pilot.press("tab")  # middle name
        await pilot.press("tab", *"Doe")
        assert app.screen.collect()["first_name"] == "Jane"
        assert app.screen.collect()["last_name"] == "Doe"
