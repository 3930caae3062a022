"""Trainer mode's "an employee left" scenario (issue 19, item 6): Nadia, the provider's PSO, approves
Sam's PBJ Submitter request in the approver console and removes it when he leaves (Manage access);
Sam's Pending Requests in the wizard shows it Removed. In the picker, with its presenter notes."""

from __future__ import annotations

import re

from screens.console import AccessScreen, ApproverConsoleApp, QueueScreen, RemoveRoleScreen
from tests.conftest import FrozenClock, SequentialCodes
from tests.pilot_helpers import until_checked
from tests.test_demo import demo_app, demo_store, session_for
from wizard.answers import personas
from wizard.approvals import Approvals, Reviewer
from wizard.demo import jump, presenter_notes, scenarios
from wizard.flow import OnboardingFlow
from wizard.records import Status
from wizard.runner import latest_request
from wizard.steps import Step
from wizard.store import Store

CCN = "015014"


def test_the_scenario_is_in_the_library_with_its_notes():
    scenario = scenarios()["employee-left"]
    assert scenario.persona == "sam" and scenario.setup_people == ("nadia",)
    assert "m (Manage access)" in scenario.script[Step.AWAIT_APPROVAL]
    notes = presenter_notes(Step.AWAIT_APPROVAL, scenario="employee-left")
    assert "Manage Access" in notes.real_page and any("last PSO" in t for t in notes.tips)
    assert presenter_notes(Step.AWAIT_APPROVAL) != notes  # other scenarios keep the step's own notes
    assert presenter_notes(Step.PROFILE, scenario="employee-left") == presenter_notes(Step.PROFILE)


def test_employee_left_runs_end_to_end_through_the_same_rules(data_dir):
    session = session_for("employee-left")
    clock = FrozenClock()
    store = demo_store(data_dir, session, clock)
    sam = OnboardingFlow(store, clock=clock, randbelow=SequentialCodes())
    assert jump(sam, session.jump_answers, Step.AWAIT_APPROVAL).message == ""
    approvals = Approvals(store, clock)
    nadia = OnboardingFlow(store.sibling("nadia"), clock=clock)
    reviewer = Reviewer("pso", nadia.profile.display_name, nadia.profile.email, nadia.record.user_id)
    [item] = approvals.queue(reviewer)
    approvals.decide(reviewer, item.request.id, CCN, True)
    approvals.remove_role(reviewer, item.request.id, CCN, "Left the provider")
    assert latest_request(sam).org(CCN).status == Status.REMOVED


async def sign_in(pilot, user_id: str, password: str) -> None:
    screen = pilot.app.screen
    screen.field("user_id").value = user_id
    screen.field("password").value = password
    screen.query_one("#send-code").press()
    await pilot.pause()
    body = pilot.app.signin.phone(user_id)[0]["body"]
    screen.field("code").value = re.search(r"code is (\d{6})", body).group(1)
    screen.query_one("#sign-in-pso").press()
    await pilot.pause()
    await until_checked(pilot)  # the password is checked in a thread (screens/checking.py)
    await pilot.pause()


async def console_removes_sam(directory) -> None:
    """The console beside the wizard: Nadia approves Sam's request, then removes it, keyboard only."""
    console = ApproverConsoleApp(Store(directory), clock=FrozenClock(), randbelow=SequentialCodes(654321),
                                 blink=False, catch_errors=False)
    nadia = personas()["nadia"]
    password = nadia.account.password
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await sign_in(pilot, nadia.account.user_id, getattr(password, "get_secret_value", lambda: password)())
        assert isinstance(console.screen, QueueScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape", "m")
        await pilot.pause()
        assert isinstance(console.screen, AccessScreen)
        sam_row = [k for k, e in console.screen.entries.items() if e.request.user_id == "sortiz.practice"]
        assert sam_row and console.screen.entries[sam_row[0]].org.status == Status.APPROVED
        while console.screen.selected_key() != sam_row[0]:
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(console.screen, RemoveRoleScreen)
        await pilot.press(*"Left the provider", "enter")
        await pilot.pause()
        assert isinstance(console.screen, AccessScreen)
        assert "Removed: Sam Ortiz" in console.screen.message_text()


async def test_the_trainer_shows_it_with_the_console_beside_it(data_dir):
    app = demo_app(data_dir, "employee-left")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.jump_to(Step.AWAIT_APPROVAL)  # the trainer's Ctrl+P jump
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.AWAIT_APPROVAL
        await console_removes_sam(app.store.data_dir)
        app.screen._refresh_requests()  # what its 2-second timer does
        await pilot.pause()
        rows = " ".join(str(w.render()) for w in app.screen.query(".request"))
        assert "PBJ Submitter · Removed" in rows and "Left the provider" in rows
