"""A new step needs only its own files, as the screens see it: a throwaway "Accept terms" page
(a spec and nothing else) between iQIES sign-in and Welcome gets the generic page drawn from its
spec, its place in the step list, a help built from its spec, and Next and Back; and every
registered step has a view (its own or the generic one), a help entry and presenter notes.

The flow and ``run --answers`` parts of the same story are tests/test_a_new_step.py."""

from __future__ import annotations

import json

from textual.widgets import Checkbox, Static

from screens.base import VIEWS, StepScreen, screen_for, view
from screens.widgets import FieldRow, HelpScreen, StepList, TopBar
from tests.factory import PASSWORD, USER_ID, make_app
from tests.pilot_helpers import error_of, fill, next_page, step_of
from tests.states import advance_to
from tests.throwaway_step import NOTE, accept_terms
from wizard.catalogue import help_for, help_texts
from wizard.codes import correct_code
from wizard.resources import data_path
from wizard.steps import Step, registered

import screens.app  # noqa: F401  (the views register themselves)


ACCEPT_TERMS = accept_terms(back=True)  # tests/throwaway_step.py; Back goes to sign-in


def step_list_lines(app) -> list[str]:
    return [text for text, _ in app.screen.query_one(StepList).lines()]


def page_step(app) -> str:
    return str(app.screen.query_one(TopBar).query_one("#page-step", Static).render())


async def sign_in(pilot) -> None:
    assert step_of(pilot) == Step.IQIES_SIGN_IN
    await fill(pilot, {"user_id": USER_ID, "password": PASSWORD})
    await pilot.click("#send-code")
    await pilot.pause()
    await fill(pilot, {"code": correct_code(pilot.app.flow)})
    await next_page(pilot)


async def test_a_new_step_walks_in_the_wizard(data_dir):
    with registered(ACCEPT_TERMS, after="iqies_sign_in"):
        assert ACCEPT_TERMS.key not in VIEWS  # no view of its own: the generic page shows it
        flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
        app = make_app(data_dir, flow.clock)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await sign_in(pilot)
            assert step_of(pilot) == ACCEPT_TERMS
            screen = app.screen
            assert type(screen) is StepScreen

            # numbered from the order: after sign-in, before Welcome, which moves one on
            assert ACCEPT_TERMS.number == Step.IQIES_SIGN_IN.number + 1 == Step.WELCOME.number - 1
            assert page_step(app) == f"step {ACCEPT_TERMS.number} of {len(Step)}"
            lines = step_list_lines(app)
            assert f"▶ {ACCEPT_TERMS.number:>2} Accept terms" in lines
            assert f"  {Step.WELCOME.number:>2} {Step.WELCOME.label}" in lines
            assert lines.index(f"▶ {ACCEPT_TERMS.number:>2} Accept terms") == lines.index(
                f"✓ {Step.IQIES_SIGN_IN.number:>2} {Step.IQIES_SIGN_IN.label}") + 1
            assert "iQIES role request" in lines  # the heading where the steps move to iQIES

            # the form from the spec: the checkbox carries the label, required, the note under it
            row = screen.query_one("#field-accept", FieldRow)
            assert isinstance(row.control, Checkbox)
            assert str(row.control.label) == "I accept the iQIES Rules of Behavior *"
            assert row.required and row.note == NOTE

            # F1: no entry in help.json, so a help built from the spec
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            title = str(app.screen.query_one(".dialog-title", Static).render())
            assert title == f"Help: Step {ACCEPT_TERMS.number}: Accept terms"
            subtitle = str(app.screen.query_one(".dialog-subtitle", Static).render())
            assert "Rules of Behavior" in subtitle and "iqies.cms.gov/rules" in subtitle
            assert "I accept the iQIES Rules of Behavior" in help_for(ACCEPT_TERMS.help_id).body
            await pilot.press("escape")
            await pilot.pause()
            assert step_of(pilot) == ACCEPT_TERMS

            # Next refused until the box is ticked; the message sits under the field
            await next_page(pilot)
            assert step_of(pilot) == ACCEPT_TERMS
            assert "Tick the box" in error_of(pilot, "accept")

            # Back goes to sign-in; signing in again comes back here, the tick kept
            await fill(pilot, {"accept": True})
            await pilot.press("escape")
            await pilot.pause()
            assert step_of(pilot) == Step.IQIES_SIGN_IN
            await sign_in(pilot)
            assert step_of(pilot) == ACCEPT_TERMS
            assert app.screen.query_one("#field-accept", FieldRow).control.value is True

            # Next goes on to Welcome, whose help carries its new number
            await next_page(pilot)
            assert step_of(pilot) == Step.WELCOME
            assert page_step(app) == f"step {Step.WELCOME.number} of {len(Step)}"
            assert f"✓ {ACCEPT_TERMS.number:>2} Accept terms" in step_list_lines(app)
            await pilot.press("f1")
            await pilot.pause()
            title = str(app.screen.query_one(".dialog-title", Static).render())
            assert title == f"Help: Step {Step.WELCOME.number}: {help_texts()['welcome'].title}"
    assert ACCEPT_TERMS not in Step  # gone again after the test


async def test_a_new_steps_own_view_is_found_by_its_key(data_dir):
    """A spec plus a tiny view: the view adds only its own line; the field row is the spec's."""

    class AcceptTermsScreen(StepScreen):
        STEP = ACCEPT_TERMS

        def compose_form(self):
            yield Static("Read the Rules of Behavior first.", id="terms-intro", markup=False)
            yield from super().compose_form()

    with registered(ACCEPT_TERMS, after="iqies_sign_in"):
        view(AcceptTermsScreen)
        try:
            flow = advance_to(data_dir, Step.IQIES_SIGN_IN)
            app = make_app(data_dir, flow.clock)
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                await sign_in(pilot)
                assert type(app.screen) is AcceptTermsScreen
                assert app.screen.query_one("#terms-intro", Static)
                assert app.screen.query_one("#field-accept", FieldRow).required
        finally:
            del VIEWS[ACCEPT_TERMS.key]


def test_every_registered_step_has_a_view_a_help_entry_and_presenter_notes(data_dir):
    notes = json.loads(data_path("presenter_notes.json").read_text(encoding="utf-8"))["steps"]
    flow = advance_to(data_dir, Step.ordered()[0])
    assert set(VIEWS) <= set(Step.keys())  # no view for a step that is not registered
    for step in Step.ordered():
        screen = screen_for(step, flow)
        assert isinstance(screen, StepScreen) and screen.STEP is step, step.key
        assert step.help_id in help_texts(), step.key
        assert help_for(step.help_id).title.startswith(f"Step {step.number}: "), step.key
        assert step.key in notes, step.key
        for field in step.fields:  # what a row shows comes from the spec, filled in
            assert field.label and field.required is not None, (step.key, field.name)
    with registered(ACCEPT_TERMS, after="iqies_sign_in"):
        screen = screen_for(ACCEPT_TERMS, flow)
        assert type(screen) is StepScreen and screen.STEP is ACCEPT_TERMS
