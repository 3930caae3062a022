"""Trainer mode (``iqies-onboard demo``): scenarios and their setup, jumps, reset, presenter
notes, high contrast, the demo's own data directory and the command line (wizard/demo.py,
screens/demo.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import FrozenClock, SequentialCodes
from tests.factory import make_app
from tests.states import advance_to
from app import cli
from app.demo import console_command
from wizard.answers import personas
from wizard.approvals import CMS_REVIEWER, Approvals
from wizard.demo import (
    DEMO_DIR_NAME,
    DemoChoiceError,
    DemoSession,
    JumpResult,
    demo_data_dir,
    jump,
    page_fill,
    presenter_notes,
    resolve,
    scenarios,
    start,
    wipe,
)
from wizard.flow import OnboardingFlow
from wizard.runner import latest_request
from wizard.steps import Step
from wizard.store import DataDirError, Store

SCENARIO_KEYS = [s for s in scenarios()]


def session_for(scenario: str | None = None, persona: str | None = None) -> DemoSession:
    chosen_persona, chosen_scenario = resolve(persona, scenario)
    return DemoSession(chosen_persona, chosen_scenario, console_command(None))


def demo_store(data_dir: Path, session: DemoSession, clock: FrozenClock) -> Store:
    store = Store(demo_data_dir(data_dir), practice_account=session.practice_account)
    start(store, session, clock=clock, randbelow=SequentialCodes())
    return store


def demo_app(data_dir: Path, scenario: str | None = None, persona: str | None = None, *, notes: bool = True):
    from screens.demo import DemoApp

    session = session_for(scenario, persona)
    clock = FrozenClock()
    store = demo_store(data_dir, session, clock)
    return DemoApp(store, session, notes=notes, welcome=False, clock=clock, randbelow=SequentialCodes(),
                   seed_factory=lambda: "test-seed", blink=False, catch_errors=False)


def flow_of(store: Store, practice_account: str, clock: FrozenClock | None = None) -> OnboardingFlow:
    return OnboardingFlow(store.sibling(practice_account), clock=clock or FrozenClock())


# --- the scenario library and its setup -------------------------------------------------------------


def test_the_library_has_the_scenarios_each_with_a_persona_and_an_example():
    root = Path(__file__).resolve().parent.parent
    assert SCENARIO_KEYS == ["happy-path", "proofing-fails-manual", "wrong-codes-lockout",
                             "vendor-asks-for-pso", "second-pso", "only-pso-left", "employee-left", "forgot-password"]
    for scenario in scenarios().values():
        assert scenario.persona in personas()
        assert all(p in personas() for p in scenario.setup_people)
        assert (root / scenario.example).is_file(), scenario.example
        assert scenario.script, scenario.key


@pytest.mark.parametrize("key", SCENARIO_KEYS)
def test_each_scenario_setup_leaves_the_persona_at_its_first_step(key, data_dir):
    session = session_for(key)
    clock = FrozenClock()
    store = demo_store(data_dir, session, clock)
    flow = OnboardingFlow(store, clock=clock)
    if session.persona.key in session.scenario.setup_people:
        # forgot-password: the persona onboarded in the setup and is back at the iQIES sign-in
        assert flow.current_step == Step.IQIES_SIGN_IN
        assert flow.record.user_id == session.persona.answers().account.user_id
    else:
        assert flow.current_step == Step.PROFILE
        assert flow.record.user_id is None
    # the people of the setup are where the scenario needs them
    approvals = Approvals(store, clock)
    for person in session.scenario.setup_people:
        other = flow_of(store, person, clock)
        request = latest_request(other)
        assert request is not None and [o.status for o in request.organizations] == ["approved"]
        assert approvals.providers_of_pso(other.record.user_id) == [request.organizations[0].ccn]
    if not session.scenario.setup_people:
        assert store.requests() == [] and store.user_ids() == []


def test_only_pso_left_runs_end_to_end_through_the_same_rules(data_dir):
    """The scenario as the trainer shows it: Luis's request first routes to Ellen, the only PSO;
    CMS removes her; then it routes to CMS, who approves it."""
    session = session_for("only-pso-left")
    clock = FrozenClock()
    store = demo_store(data_dir, session, clock)
    approvals = Approvals(store, clock)
    assert store.clock_offset_days() == 30
    luis = OnboardingFlow(store, clock=clock, randbelow=SequentialCodes())
    assert jump(luis, session.jump_answers, Step.AWAIT_APPROVAL).message == ""
    request = latest_request(luis)
    assert approvals.route("pso", "015010").description != CMS_REVIEWER.name
    ellen = flow_of(store, "ellen", clock)
    assert not approvals.queue(CMS_REVIEWER)  # while Ellen is PSO, CMS has nothing to decide
    approvals.remove_pso(CMS_REVIEWER, "015010", ellen.record.user_id)
    queued = approvals.queue(CMS_REVIEWER)
    assert [item.request.id for item in queued] == [request.id]
    approvals.decide(CMS_REVIEWER, request.id, "015010", True)
    assert [o.status for o in latest_request(luis).organizations] == ["approved"]


def test_a_demo_resumes_and_a_different_one_starts_afresh(data_dir):
    clock = FrozenClock()
    session = session_for("second-pso")
    store = demo_store(data_dir, session, clock)
    tom = OnboardingFlow(store, clock=clock, randbelow=SequentialCodes())
    jump(tom, session.jump_answers, Step.ROLE)
    assert start(store, session_for("second-pso"), clock=clock) is False  # same demo: resumed
    assert OnboardingFlow(store, clock=clock).record.user_id == "treyes.practice"
    other = session_for("happy-path")
    maria = Store(demo_data_dir(data_dir), practice_account=other.practice_account)
    assert start(maria, other, clock=clock) is True  # another demo: an empty sandbox
    assert maria.user_ids() == [] and maria.requests() == []


def test_unknown_or_mismatched_names_are_refused_in_one_line():
    with pytest.raises(DemoChoiceError, match="choose one of: happy-path, proofing-fails-manual"):
        resolve(None, "no-such")
    with pytest.raises(DemoChoiceError, match="choose one of: maria, robert"):
        resolve("nobody", None)
    with pytest.raises(DemoChoiceError, match="played as luis, not maria"):
        resolve("maria", "only-pso-left")
    persona, scenario = resolve("LUIS", "only-pso-left")
    assert persona.key == "luis" and scenario.key == "only-pso-left"


# --- the demo's own data directory ------------------------------------------------------------------


def test_demo_data_is_kept_apart_from_real_practice_accounts(data_dir):
    real = advance_to(data_dir, Step.REVIEW)  # a real user's practice account and request
    real.submit(Step.REVIEW, {})
    before = (data_dir / "onboarding.json").read_bytes()
    session = session_for("only-pso-left")
    store = demo_store(data_dir, session, FrozenClock())
    assert store.data_dir == data_dir / DEMO_DIR_NAME
    assert stat.S_IMODE(store.data_dir.stat().st_mode) == 0o700
    assert (data_dir / "onboarding.json").read_bytes() == before  # the real database is untouched
    assert "ebrooks.practice" not in Store(data_dir).user_ids()
    assert Store(data_dir).user_ids() == [real.record.user_id]
    assert real.record.user_id not in store.user_ids()


def test_wipe_refuses_a_directory_that_is_not_the_demo(data_dir):
    advance_to(data_dir, Step.ACCOUNT)
    with pytest.raises(DataDirError, match="not a demo directory"):
        wipe(Store(data_dir))
    assert Store(data_dir).load_account() is not None


def test_the_demo_command_refuses_unknown_names_without_creating_anything(tmp_path, capsys):
    target = tmp_path / "nothing-here"
    code = cli.main(["--data-dir", str(target), "demo", "--scenario", "only-the-pso-left"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "only-pso-left" in err and "unknown scenario" in err
    code = cli.main(["--data-dir", str(target), "demo", "--persona", "zed"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown persona 'zed'; choose one of: maria" in err
    code = cli.main(["--data-dir", str(target), "demo", "--persona", "tom", "--scenario", "happy-path"])
    assert code == 2 and "played as maria, not tom" in capsys.readouterr().err
    assert not target.exists()


def test_approve_demo_opens_the_console_on_the_demo_directory(tmp_path, monkeypatch):
    import screens.console

    opened = []

    class FakeConsole:
        def __init__(self, store, **kwargs):
            opened.append(store.data_dir)
            self.error_references, self.return_code = [], 0

        def run(self):
            return None

    monkeypatch.setattr(screens.console, "ApproverConsoleApp", FakeConsole)
    assert cli.main(["--data-dir", str(tmp_path / "class"), "approve", "--demo"]) == 0
    assert cli.main(["--data-dir", str(tmp_path / "class"), "approve"]) == 0
    assert opened == [tmp_path / "class" / DEMO_DIR_NAME, tmp_path / "class"]


def test_the_console_command_names_the_data_directory_only_when_given(tmp_path):
    assert console_command(None) == "iqies-onboard approve --demo"
    assert console_command(tmp_path / "my class") == f"iqies-onboard --data-dir '{tmp_path / 'my class'}' approve --demo"


# --- what pages are filled with; secrets stay out of the database -------------------------------------


def test_page_fill_types_the_persona_and_secrets_never_reach_the_database(data_dir):
    session = session_for(persona="maria")
    store = demo_store(data_dir, session, FrozenClock())
    flow = OnboardingFlow(store, clock=FrozenClock())
    profile = page_fill(flow, session.answers, Step.PROFILE).form
    assert profile["email_confirm"] == profile["email"] == "maria.lopez@example.org"
    flow.submit(Step.PROFILE, profile)
    account = page_fill(flow, session.answers, Step.ACCOUNT).form
    assert account["password"] == account["password_confirm"] == "Practice-Only-2026a"
    assert "user_id_permanent_ok" not in account  # the trainer confirms the User ID on screen
    flow.save_draft(Step.ACCOUNT, account)
    text = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in sorted(store.data_dir.rglob("*")) if p.is_file())  # every file the demo keeps
    assert "mlopez.practice" in text
    assert "Practice-Only-2026a" not in text and "tomato soup" not in text


def test_the_lockout_scenario_fills_a_wrong_code_and_a_jump_says_it_is_locked(data_dir):
    session = session_for("wrong-codes-lockout")
    clock = FrozenClock()
    store = demo_store(data_dir, session, clock)
    flow = OnboardingFlow(store, clock=clock)
    from wizard.demo import app_code, configure_flow

    configure_flow(flow, session.answers)
    jump(flow, session.jump_answers, Step.TWO_FACTOR_VERIFY)
    fill = page_fill(flow, session.answers, Step.TWO_FACTOR_VERIFY)
    assert fill.form["code"] != app_code(flow) and "wrong code" in fill.note
    for _ in range(5):
        assert not flow.submit(Step.TWO_FACTOR_VERIFY, fill.form).ok
    assert flow.factor_service.lock_message(flow.record.factor)
    # a jump cannot get past a locked device: it says so (F8 starts the scenario again)
    result = jump(flow, session.jump_answers, Step.ROLE)
    assert result.reached == Step.TWO_FACTOR_VERIFY
    assert "stop at step 5" in result.message and "locked" in result.message
    # a jump back past the account's creation starts the persona again, and then gets through
    assert jump(flow, session.jump_answers, Step.ACCOUNT).reached == Step.ACCOUNT
    assert flow.record.user_id is None and flow.record.factor is None
    assert jump(flow, session.jump_answers, Step.ROLE) == JumpResult(Step.ROLE, "")


def test_a_jump_past_what_the_persona_may_do_says_where_it_stopped(data_dir):
    session = session_for("vendor-asks-for-pso")
    store = demo_store(data_dir, session, FrozenClock())
    flow = OnboardingFlow(store, clock=FrozenClock(), randbelow=SequentialCodes())
    result = jump(flow, session.jump_answers, Step.REVIEW)
    assert result.reached == Step.ROLE
    assert "stop at step 9" in result.message and "PBJ Submitter" in result.message


def test_presenter_notes_cover_every_step():
    for step in Step.ordered():
        notes = presenter_notes(step)
        assert notes.real_page and notes.mistakes and notes.tips, step


# --- Pilot: the demo as a trainer uses it ------------------------------------------------------------


async def test_jump_to_step_9_from_an_empty_profile_with_the_command_palette(data_dir):
    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.STEP == Step.PROFILE and app.flow.record.user_id is None
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Jump to step 9")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.ROLE
        assert app.flow.signed_in and app.flow.record.user_id == "lmoreno.practice"
        assert app.flow.record.identity_proofed == "manual"  # Luis has no SSN for HARP
        # the page is filled from the persona; the trainer presses Next
        assert app.screen.collect() == {"relationship": "employee", "role": "pso"}
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.STEP == Step.ORGANIZATIONS


async def test_presenter_notes_toggle(data_dir):
    app = demo_app(data_dir, "happy-path")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#presenter-notes")
        assert panel.display
        text = " ".join(str(s.render()) for s in panel.query("Static"))
        assert "harp.cms.gov/register opens with a form" in text and "iqies-onboard approve --demo" in text
        assert not app.screen.query_one("#steps").display  # 100 columns: the notes get the room
        await pilot.press("f4")
        await pilot.pause()
        assert not app.screen.query_one("#presenter-notes").display
        assert app.screen.query_one("#steps").display
        await pilot.press("ctrl+n")  # the next page keeps them hidden
        await pilot.pause()
        assert app.screen.STEP == Step.ACCOUNT
        assert not app.screen.query_one("#presenter-notes").display
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen.query_one("#presenter-notes").display


async def test_reset_asks_first_and_leaves_an_empty_demo_practice_account(data_dir):
    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.jump_to(Step.WELCOME)
        await pilot.pause()
        assert app.screen.STEP == Step.WELCOME
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("escape")  # Go back: nothing happens
        await pilot.pause()
        assert app.screen.STEP == Step.WELCOME and app.flow.record.user_id == "lmoreno.practice"
        await pilot.press("f8")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.PROFILE
        assert "Demo reset" in str(app.screen.query_one("#form-message").render())
        stored = app.store.load_account() or {}
        assert stored.get("user_id") is None and not stored.get("identity_proofed")
        assert "lmoreno.practice" not in app.store.user_ids()
        # the scenario's setup ran again: Ellen is the only PSO once more, and nothing else is left
        assert [r.user_id for r in app.store.requests()] == ["ebrooks.practice"]
        # and the page is filled from the persona again
        assert app.screen.collect()["first_name"] == "Luis"


async def test_high_contrast_switches_on_and_off_with_one_key(data_dir):
    from screens.demo import HIGH_CONTRAST

    app = demo_app(data_dir, persona="maria")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = app.theme
        assert before != HIGH_CONTRAST.name
        await pilot.press("f6")
        await pilot.pause()
        assert app.theme == HIGH_CONTRAST.name
        assert app.current_theme.background == "#000000"
        await pilot.press("f6")
        await pilot.pause()
        assert app.theme == before


async def test_a_walk_through_fills_every_page_and_the_trainer_presses_next(data_dir):
    app = demo_app(data_dir, "happy-path")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        seen = []
        for _ in range(14):
            step = app.screen.STEP
            seen.append(step)
            if step == Step.AWAIT_APPROVAL:
                break
            if step == Step.ORGANIZATIONS:
                await pilot.press("enter")  # Add (the note says so; focus is on Add)
                await pilot.pause()
            await pilot.press("ctrl+n")
            await pilot.pause()
            if step == Step.ACCOUNT:
                await pilot.click("#confirm-yes")  # the User ID cannot be changed: the trainer confirms
                await pilot.pause()
            await pilot.pause()
        assert seen == Step.ordered()
        assert [o.status for o in latest_request(app.flow).organizations] == ["pending"]


async def test_the_real_wizard_is_unchanged_by_the_hooks(data_dir):
    """No notes panel and no prefill outside trainer mode."""
    app = make_app(data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#presenter-notes")
        assert app.screen.query_one("#steps").display
        assert app.screen.collect()["first_name"] == ""


# --- what a new trainer tripped over ---------------------------------------------------------------


async def test_the_picker_lists_the_scenarios_only_and_names_the_keys_and_personas():
    from textual.widgets import OptionList

    from screens.demo import DemoPickerApp

    app = DemoPickerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == [f"scenario:{key}" for key in SCENARIO_KEYS]
        intro = str(app.screen.query_one("#picker-intro").render())
        assert "--persona NAME" in intro and "maria" in intro and "luis" in intro
        keys = str(app.screen.query_one("#picker-keys").render())
        assert "↑/↓" in keys and "Enter" in keys
        await pilot.press("end", "enter")  # the last entry is still a scenario, with its script
        await pilot.pause()
    assert app.return_value == (None, SCENARIO_KEYS[-1])


async def test_a_resumed_account_page_says_the_persona_fills_the_passwords_again(data_dir):
    from screens.demo import RESUMED_ACCOUNT_NOTE

    app = demo_app(data_dir, "happy-path")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.jump_to(Step.ACCOUNT)
        await pilot.pause()
        app.flow.save_draft(Step.ACCOUNT, {"user_id": "mlopez.practice"})  # as a resumed page has
        app.show_step(Step.ACCOUNT)
        await pilot.pause()
        message = str(app.screen.query_one("#form-message").render())
        assert message == RESUMED_ACCOUNT_NOTE and "type them again" not in message
        assert app.screen.collect()["password"]  # and it did fill them


def test_the_proofing_notes_follow_the_page_the_persona_is_on():
    questions = presenter_notes(Step.PROOFING)
    manual = presenter_notes(Step.PROOFING, manual_proofing=True)
    assert "Experian" in questions.real_page and "manual identity proofing" in manual.real_page
    assert manual.mistakes and manual.tips
    assert presenter_notes(Step.PROFILE, manual_proofing=True) == presenter_notes(Step.PROFILE)


async def test_luis_on_manual_proofing_gets_the_manual_proofing_notes(data_dir):
    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.jump_to(Step.PROOFING)
        await pilot.pause()
        assert app.flow.needs_manual_proofing  # Luis has no SSN for HARP
        panel = app.screen.query_one("#presenter-notes")
        text = " ".join(str(s.render()) for s in panel.query("Static"))
        assert "could not verify the identity online" in text and "five multiple-choice" not in text


def test_the_notes_quote_what_the_pages_say():
    review = scenarios()["only-pso-left"].script[Step.REVIEW]
    assert "this provider's Provider Security Officials" in review  # the page's words, not "Ellen"
    assert not any(tip.startswith("No news? Ask") for tip in presenter_notes(Step.AWAIT_APPROVAL).tips)


async def test_the_command_palette_opens_with_the_jumps_in_step_order(data_dir):
    from textual.command import CommandList

    app = demo_app(data_dir, "happy-path")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        commands = app.screen.query_one(CommandList)
        names = [str(commands.get_option_at_index(i).prompt).split("\n")[0]
                 for i in range(commands.option_count)]
        jumps = [name for name in names if name.startswith("Jump to step")]
        assert [int(name.split()[3].rstrip(":")) for name in jumps] == [s.number for s in Step.ordered()]
        assert names[:len(Step)] == jumps  # first in the list, before High contrast and the rest


async def test_a_jump_that_skips_ellens_removal_says_so_before_it_jumps(data_dir):
    """'The only PSO has left': jumping to Review or later while Ellen is still PSO warns first;
    Cancel stays put, Jump anyway goes on; once she is removed, the jump just goes."""
    from screens.widgets import ConfirmScreen

    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.jump_to(Step.AWAIT_APPROVAL)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".confirm-body").render())
        assert "Ellen Brooks is still the PSO of CCN 015010" in body and "sends Luis's request to Ellen" in body
        await pilot.press("escape")  # Cancel
        await pilot.pause()
        assert app.screen.STEP == Step.PROFILE and latest_request(app.flow) is None
        app.jump_to(Step.ORGANIZATIONS)  # before the removal is due: no warning
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.ORGANIZATIONS
        # the trainer removes Ellen in the console; the jump to step 12 then just goes
        ellen = flow_of(app.store, "ellen")
        Approvals(app.store, app.flow.clock).remove_pso(CMS_REVIEWER, "015010", ellen.record.user_id)
        app.jump_to(Step.AWAIT_APPROVAL)
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.AWAIT_APPROVAL
        assert latest_request(app.flow).organizations[0].approver == "cms"


async def test_jump_anyway_goes_on_and_the_request_goes_to_ellen(data_dir):
    from screens.widgets import ConfirmScreen

    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.jump_to(Step.REVIEW)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-yes")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.STEP == Step.REVIEW
        app.jump_to(Step.AWAIT_APPROVAL, confirmed=True)
        await pilot.pause()
        await pilot.pause()
        # the notes follow what really happened: the request waits for Ellen, CMS sees nothing
        script = str(app.screen.query_one(".notes-script").render())
        assert "CMS sees nothing yet" in script and "Remove the PSO" in script
        assert latest_request(app.flow).organizations[0].approver == "pso"


async def test_the_demo_console_says_demo_on_every_page(data_dir):
    from screens.console import ApproverConsoleApp

    session = session_for("only-pso-left")
    store = demo_store(data_dir, session, FrozenClock())
    app = ApproverConsoleApp(Store(store.data_dir), clock=FrozenClock(), blink=False, catch_errors=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "DEMO" in str(app.screen.query_one("#page-step").render())
        app.screen.query_one("#sign-in-cms").press()
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "QueueScreen"
        assert "DEMO" in str(app.screen.query_one("#page-step").render())
        await pilot.press("p")  # a provider's PSOs
        await pilot.pause()
        assert type(app.screen).__name__ == "PsoScreen"
        assert "DEMO" in str(app.screen.query_one("#page-step").render())
    real = ApproverConsoleApp(Store(data_dir / "real"), clock=FrozenClock(), blink=False, catch_errors=False)
    async with real.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "DEMO" not in str(real.screen.query_one("#page-step").render())


async def test_the_console_pso_page_agrees_with_itself_after_a_removal(data_dir):
    from screens.console import ApproverConsoleApp
    from screens.widgets import ConfirmScreen

    session = session_for("only-pso-left")
    store = demo_store(data_dir, session, FrozenClock())
    app = ApproverConsoleApp(Store(store.data_dir), clock=FrozenClock(), blink=False, catch_errors=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#sign-in-cms").press()
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert "015010" in str(app.screen.query_one("#pso-providers").render())
        app.screen.ccn_input().value = "015010"
        app.screen.show_psos()
        await pilot.pause()
        app.screen.query_one(".pso-row Button").press()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        app.screen.query_one("#confirm-yes").press()
        await pilot.pause()
        await pilot.pause()
        heading = str(app.screen.query_one("#pso-heading").render())
        providers = str(app.screen.query_one("#pso-providers").render())
        assert "015010 has no active PSO" in heading
        assert "015010" not in providers


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_toast_never_covers_the_form(data_dir, size):
    app = demo_app(data_dir, "only-pso-left")
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        app.notify("A toast with a few words in it, long enough to wrap onto more lines.", title="Demo",
                   timeout=30)
        await pilot.pause(0.3)
        await pilot.pause()
        [toast] = app.screen.query("Toast")
        form = app.screen.query_one("#form").region
        assert toast.region.width > 0
        assert not toast.region.overlaps(form), (toast.region, form)
