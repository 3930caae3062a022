"""The approver console through its screens (Pilot): CMS approves a first PSO, that PSO signs in
and approves a second, nobody approves their own request, a rejection needs a reason, a non-PSO
cannot sign in, the trainer's clock keys, the live refresh, PSO removal, hostile names, small
windows. Trainees are separate practice accounts of one data directory, built headlessly (tests/states.py)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from screens.console import (
    EMPTY_QUEUE,
    ApproverConsoleApp,
    DetailScreen,
    PsoScreen,
    QueueScreen,
    RejectScreen,
    SignInScreen,
)
from screens.widgets import ConfirmScreen, PhoneScreen
from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
from tests.factory import CCN, PASSWORD
from tests.pilot_helpers import pressed_look_over, wait_until
from tests.states import advance_to
from wizard import otp
from wizard.approvals import CMS_REVIEWER, Approvals, Reviewer
from wizard.flow import OnboardingFlow
from wizard.steps import Step
from wizard.store import Store

OTHER_CCN = "015012"


def trainee(first: str, last: str) -> dict:
    email = f"{first.lower()}.{last.lower()}@sunnyacres.org"
    return {
        "practice_account": first.lower(), "user_id": f"{first.lower()}_pso",
        "person": {"first_name": first, "last_name": last, "email": email, "email_confirm": email},
    }


ALICE = trainee("Alice", "Able")
BOB = trainee("Bob", "Baker")


def submitted(data_dir: Path, clock: FrozenClock, who: dict, **kwargs) -> OnboardingFlow:
    """``who`` has submitted a request (a PSO request for CCN 015009 unless told otherwise)."""
    return advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock, **who, **kwargs)


def request_again(flow: OnboardingFlow, role: str, *ccns: str) -> None:
    """A signed-in user's further request (Request User Role from the welcome page)."""
    assert flow.request_role().ok
    assert flow.submit(Step.CATEGORY, {"category": "provider"}).ok
    assert flow.submit(Step.ROLE, {"relationship": "employee", "role": role}).ok
    for ccn in ccns:
        assert flow.add_organization("ccn", ccn).ok
    assert flow.submit(Step.ORGANIZATIONS, {}).ok
    assert flow.submit(Step.REVIEW, {}).ok


def console(data_dir: Path, clock: FrozenClock) -> ApproverConsoleApp:
    return ApproverConsoleApp(
        Store(data_dir), clock=clock, randbelow=SequentialCodes(654321), blink=False, catch_errors=False
    )


def screen_text(app) -> str:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = ("".join(seg.text for strip in line for seg in strip if not seg.control) for line in update.strips)
    return " ".join(" ".join(lines).split())


def message(app) -> str:
    return " ".join(app.screen.message_text().split())


def advice(app) -> str:
    return " ".join(str(app.screen.query_one("#console-advice").render()).split())


async def sign_in_cms(pilot) -> None:
    await press_button(pilot, "#sign-in-cms")
    assert isinstance(pilot.app.screen, QueueScreen)


async def sign_in_pso(pilot, user_id: str, code: str | None = None) -> None:
    """Type User ID and password; Send code and read it on the phone unless ``code`` is given."""
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    screen.field("user_id").value = user_id
    screen.field("password").value = PASSWORD
    if code is None:
        await press_button(pilot, "#send-code")
        assert "Text message sent" in message(pilot.app)
        body = pilot.app.signin.phone(user_id)[0]["body"]
        code = body.split("code is ")[1][:6]
    screen.field("code").value = code
    await press_button(pilot, "#sign-in-pso")


async def open_row(pilot, requester: str, ccn: str = CCN) -> DetailScreen:
    screen = pilot.app.screen
    assert isinstance(screen, QueueScreen)
    keys = list(screen.items)
    key = next(k for k, i in screen.items.items() if i.request.requester == requester and i.org.ccn == ccn)
    table = screen.query_one("#queue")
    table.move_cursor(row=keys.index(key))
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DetailScreen)
    return pilot.app.screen


async def press_button(pilot, selector: str) -> None:
    """Focus a button and press Enter, as a keyboard user does (it may be scrolled out of view)."""
    button = pilot.app.screen.query_one(selector)
    await pressed_look_over(pilot, button)
    button.focus()
    await pilot.press("enter")
    await pilot.pause()


def queue_rows(app) -> list[tuple[str, str, bool]]:
    return [(i.request.requester, i.org.ccn, i.own) for i in app.screen.items.values()]


async def test_first_pso_by_cms_then_that_pso_approves_a_second(data_dir):
    clock = FrozenClock()
    alice = submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        # CMS approves Alice, the first PSO of 015009
        await sign_in_cms(pilot)
        assert queue_rows(app) == [("Alice Able", CCN, False)]
        assert "Signed in: CMS reviewer" in screen_text(app) and "sandbox date 2026-11-23" in screen_text(app)
        await open_row(pilot, "Alice Able")
        await pilot.press("a")
        await pilot.pause()
        assert message(app).startswith("Approved: Alice Able is now Provider Security Official")
        assert "only PSO of this provider" in advice(app) and "at least two" in advice(app)
        assert "Approved on 2026-11-23 by CMS reviewer" in screen_text(app)

        # meanwhile Bob asks to be a second PSO, and Alice for another role at her own provider
        submitted(data_dir, clock, BOB)
        request_again(alice, "provider_admin", CCN)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        app.screen.refresh_queue()
        assert queue_rows(app) == []  # both go to the provider's PSO now, not to CMS
        assert EMPTY_QUEUE in screen_text(app)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)

        # Alice signs in (text-message code sent from the console) and sees Bob's; her own waits
        # for another PSO, and there is none yet
        await sign_in_pso(pilot, "alice_pso")
        assert isinstance(app.screen, QueueScreen), message(app)
        assert queue_rows(app) == [("Bob Baker", CCN, False)]
        assert "p PSOs" not in screen_text(app)  # removing PSOs is the CMS reviewer's

        await open_row(pilot, "Bob Baker")
        await pilot.press("a")
        await pilot.pause()
        assert message(app).startswith("Approved: Bob Baker is now Provider Security Official")
        assert advice(app) == ""  # two PSOs now
        await pilot.press("escape")
        await pilot.pause()
        assert queue_rows(app) == [("Alice Able", CCN, True)]  # Bob can decide it now
        assert "(your own)" in screen_text(app)

        # her own request is listed, and approving it is refused
        detail = await open_row(pilot, "Alice Able")
        assert "your own request" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert message(app).startswith("Nobody approves their own request")
        assert app.screen.query_one("#console-message").has_class("error")
        assert detail.request()[0].organizations[0].status == "pending"

    psos = Approvals(Store(data_dir), clock).psos_of(CCN)
    assert sorted(p.user_id for p in psos) == ["alice_pso", "bob_pso"]


async def test_pso_with_an_authenticator_app_signs_in(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, BOB, device="google_authenticator")
    approvals = Approvals(Store(data_dir), clock)
    item = approvals.queue(CMS_REVIEWER)[0]
    approvals.decide(CMS_REVIEWER, item.request.id, CCN, True)
    clock.advance(seconds=30)  # a fresh time step: each code is accepted once
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        screen.field("user_id").value = "bob_pso"
        await press_button(pilot, "#send-code")
        assert "authenticator app" in message(app)
        await sign_in_pso(pilot, "bob_pso", code=otp.totp_code(FIXED_TOTP_SECRET, clock()))
        assert isinstance(app.screen, QueueScreen), message(app)
        assert "Signed in: Bob Baker" in screen_text(app)
        assert EMPTY_QUEUE in screen_text(app)


async def test_rejection_needs_a_reason(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        await open_row(pilot, "Alice Able")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RejectScreen)
        await pilot.press("enter")  # no reason
        await pilot.pause()
        assert isinstance(app.screen, RejectScreen)
        refusal = app.screen.query_one("#reject-message")
        assert "A rejection needs a reason" in str(refusal.render()) and refusal.has_class("error")

        await pilot.press("escape")  # Esc cancels: nothing decided
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "Pending: yours to decide" in screen_text(app)

        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"Wrong CCN")
        await press_button(pilot, "#reject-confirm")
        assert isinstance(app.screen, DetailScreen)
        assert message(app).startswith("Rejected: Alice Able's request")
        assert "Reason: Wrong CCN" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert EMPTY_QUEUE in screen_text(app)

    mail = [m for m in Store(data_dir).messages("alice.able@sunnyacres.org") if "rejected" in m.get("subject", "")]
    assert mail and "Reason given: Wrong CCN" in mail[-1]["body"]


async def test_a_non_pso_cannot_sign_in(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)  # pending: not a PSO yet
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_pso(pilot, "alice_pso")
        assert isinstance(app.screen, SignInScreen)
        assert "not an active Provider Security Official" in message(app)
        assert app.screen.query_one("#console-message").has_class("error")
        assert app.screen.field("code").value == ""

        app.screen.field("password").value = "Not-The-Password-1"
        app.screen.field("code").value = "123456"
        await press_button(pilot, "#sign-in-pso")
        assert isinstance(app.screen, SignInScreen)
        assert "The User ID, password or code is not right" in message(app)

        app.screen.field("user_id").value = ""
        await press_button(pilot, "#sign-in-pso")
        assert message(app).startswith("Type your User ID")


async def test_phone_key_shows_that_accounts_codes(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert "Type the HARP User ID first" in message(app)
        app.screen.field("user_id").value = "alice_pso"
        await press_button(pilot, "#send-code")
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, PhoneScreen)
        assert "Your HARP security code is 654321" in screen_text(app)


async def test_clock_keys_move_the_sandbox_date(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        assert "today" in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert Store(data_dir).clock_offset_days() == 1
        assert "sandbox date 2026-11-24 (clock moved +1 day)" in screen_text(app)
        assert "1 day" in screen_text(app)
        assert "Nothing was due" in message(app)
        await pilot.press("T")
        await pilot.pause()
        assert Store(data_dir).clock_offset_days() == 8
        assert "2026-12-01 (clock moved +8 days)" in screen_text(app)
        assert "8 days" in screen_text(app)
        assert "Reminder sent for Alice Able's Provider Security Official request" in message(app)
    mail = Store(data_dir).messages("alice.able@sunnyacres.org")
    assert any("still pending" in m.get("subject", "") for m in mail)


async def test_queue_shows_new_requests_without_restart_and_keeps_the_cursor(data_dir, monkeypatch):
    monkeypatch.setattr(QueueScreen, "REFRESH_SECONDS", 0.05)  # the list looks every 2 s; here sooner
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        table = app.screen.query_one("#queue")
        assert table.row_count == 1
        clock.advance(minutes=1)
        submitted(data_dir, clock, BOB, ccn="015010")  # as if from a wizard in another window
        await wait_until(pilot, lambda: len(queue_rows(app)) == 2)  # the next tick
        assert [r[0] for r in queue_rows(app)] == ["Alice Able", "Bob Baker"]

        table.move_cursor(row=1)
        clock.advance(minutes=1)
        submitted(data_dir, clock, trainee("Carol", "Clark"), ccn="015012")
        await wait_until(pilot, lambda: len(queue_rows(app)) == 3)  # rebuilt: the cursor stays on Bob's row
        assert [r[0] for r in queue_rows(app)] == ["Alice Able", "Bob Baker", "Carol Clark"]
        assert table.cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
        assert "Bob Baker" in app.screen.request()[0].requester


async def test_several_organizations_are_decided_one_by_one(data_dir):
    clock = FrozenClock()
    flow = advance_to(data_dir, Step.ORGANIZATIONS, clock=clock, **ALICE)
    assert flow.add_organization("ccn", CCN).ok and flow.add_organization("ccn", OTHER_CCN).ok
    assert flow.submit(Step.ORGANIZATIONS, {}).ok and flow.submit(Step.REVIEW, {}).ok
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        assert queue_rows(app) == [("Alice Able", CCN, False), ("Alice Able", OTHER_CCN, False)]
        await open_row(pilot, "Alice Able", OTHER_CCN)
        text = screen_text(app)
        assert "BURNS NURSING HOME, INC. (CCN 015009)" in text and "(CCN 015012)" in text
        assert "Opened for HIGHLANDS HEALTH AND REHAB (CCN 015012)" in text
        await pilot.press("a")  # acts on the organization opened from the list
        await pilot.pause()
        statuses = {o.ccn: o.status for o in app.screen.request()[0].organizations}
        assert statuses == {CCN: "pending", OTHER_CCN: "approved"}
        assert "Pending: yours to decide" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RejectScreen)
        assert "(CCN 015009)" in screen_text(app)
        app.screen.query_one("#reject-reason", Input).value = "Not this facility"
        await pilot.press("enter")
        await pilot.pause()
        statuses = {o.ccn: o.status for o in app.screen.request()[0].organizations}
        assert statuses == {CCN: "rejected", OTHER_CCN: "approved"}
        await pilot.press("a")
        await pilot.pause()
        assert "Nothing in this request is left for you to decide" in message(app)


async def test_cms_removes_a_pso_for_the_service_center(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    approvals = Approvals(Store(data_dir), clock)
    approvals.decide(CMS_REVIEWER, approvals.queue(CMS_REVIEWER)[0].request.id, CCN, True)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PsoScreen)
        assert "iQIES Service Center" in screen_text(app)
        assert f"Providers with active PSOs (how many): {CCN} BURNS NURSING HOME, INC. (1)" in screen_text(app)
        app.screen.ccn_input().value = CCN
        await press_button(pilot, "#show-psos")
        assert "Alice Able" in screen_text(app) and "alice_pso" in screen_text(app)
        await press_button(pilot, ".pso-row Button")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Service Center" in screen_text(app)
        await press_button(pilot, "#confirm-yes")
        assert isinstance(app.screen, PsoScreen)
        assert message(app).startswith("Removed Alice Able as PSO")
        assert "no active PSO" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
    assert Approvals(Store(data_dir), clock).psos_of(CCN) == []


async def test_hostile_names_are_shown_as_typed(data_dir):
    clock = FrozenClock()
    Store(data_dir).add_request({
        "id": "hostile00001", "user_id": "x_pso", "requester": "Eve [/] [bold red]Mal\x1b[31mlory",
        "email": "eve@[x].org", "category": "provider", "role": "pso", "relationship": "employee",
        "organizations": [{"ccn": CCN, "name": "EVIL [/b] HOME\x07", "city": "X", "state": "AL",
                           "status": "pending"}],
        "submitted_at": clock().isoformat(),
    })
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        assert "Eve [/] [bold" in screen_text(app) and "EVIL [/b] HOME" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Eve [/] [bold red]Mal" in text and "\x1b" not in text and "\x07" not in text
        await pilot.press("r")
        await pilot.pause()
        assert "EVIL [/b] HOME" in screen_text(app)


async def test_small_windows_do_not_break_it(data_dir):
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        await sign_in_cms(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("r")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape", "escape", "f1")
        await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.press("escape", "s")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)


async def test_enter_opens_a_request_that_arrives_after_the_list_was_emptied(data_dir):
    """Found walking the console in tmux: after the last decision the list was empty, focus went
    nowhere, and Enter did nothing for the next request until Tab was pressed."""
    clock = FrozenClock()
    submitted(data_dir, clock, ALICE)
    app = console(data_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_cms(pilot)
        await open_row(pilot, "Alice Able")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert EMPTY_QUEUE in screen_text(app)
        submitted(data_dir, clock, BOB, ccn=OTHER_CCN)  # another trainee, meanwhile
        # the refresh comes every 2 s; on a loaded machine it can come late, so wait up to 15 s
        for _ in range(150):
            if "1 decision waits for you" in screen_text(app):
                break
            await pilot.pause(0.1)
        assert "1 decision waits for you" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and app.screen.ccn == OTHER_CCN


async def test_own_requests_are_not_counted_as_waiting_for_you(data_dir):
    clock = FrozenClock()
    alice = submitted(data_dir, clock, ALICE)
    approvals = Approvals(Store(data_dir), clock)
    approvals.decide(CMS_REVIEWER, alice.my_requests()[0].id, CCN, True)
    bob = submitted(data_dir, clock, BOB)
    approvals.decide(Reviewer("pso", "Alice Able", "", "alice_pso"), bob.my_requests()[0].id, CCN, True)
    request_again(alice, "pbj_viewer", CCN)
    app = console(data_dir, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_pso(pilot, ALICE["user_id"])
        text = screen_text(app)
        assert "0 decisions wait for you, and 1 request of your own that another PSO decides" in text
