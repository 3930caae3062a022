"""Email over SMTP goes out from a sender thread with a short timeout, never on the caller's (the
UI's) thread; a message the server did not take is marked and retried with back-off until it goes,
also after a restart; the Maildir copy is written first and stays the record. Real local servers:
one that refuses (5xx), one that hangs (accepts TCP and never answers), one that accepts. The
clock and the back-off are injected, so nothing here waits for real seconds."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from email import policy
from pathlib import Path

import pytest

from wizard import smtp_delivery
from wizard.mail import DELIVERY_DIR, FAILED, QUEUED, SENT, Mailer, retry_delay
from wizard.steps import Step
from wizard.store import Store

TO = "ana.lopez@sunnyacres.org"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1: ``reply`` None takes every message, else that reply refuses it."""

    def __init__(self, port: int | None = None, reply: str | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.port = port or _free_port()
        self.reply = reply
        self.received: list[bytes] = []
        self.tries = 0
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.tries += 1
                if server.reply is not None:
                    return server.reply
                server.received.append(envelope.content)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def subjects(self) -> list[str]:
        return [email.message_from_bytes(raw, policy=policy.default)["Subject"] for raw in self.received]


class HangingServer:
    """Accepts TCP connections and never says a word (no banner, no reply)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.connections: list[socket.socket] = []
        self.accepted = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.accepted.set()

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for conn in self.connections:
            conn.close()
        self._thread.join(2)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def message(subject: str = "HARP: your account was created") -> dict:
    return {"kind": "email", "to": TO, "subject": subject, "body": "Welcome.",
            "sent_at": "2026-11-23T15:00:00+00:00"}


def state_files(maildir: Path) -> list[Path]:
    return sorted((maildir / DELIVERY_DIR).glob("*.json"))


def test_back_off_doubles_from_five_seconds_and_is_capped():
    assert [retry_delay(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 300, 300]
    assert retry_delay(3, first=0.1, cap=0.25) == 0.25


def test_refused_message_is_marked_and_retried_with_back_off_until_it_goes(tmp_path):
    clock = Clock()
    with SmtpServer(reply="554 5.7.1 not today") as server:
        mailer = Mailer(tmp_path / "mail", smtp=server.address, clock=clock, background=False)
        mailer.deliver(message())
        # the Maildir copy is there at once, before any try
        [queued] = mailer.messages(to=TO)
        assert queued["delivery"] == QUEUED and "Sending" in queued["delivery_note"]
        assert server.tries == 0

        assert mailer.sender.run_due() == clock.now + 5
        [failed] = mailer.messages(to=TO)
        assert failed["delivery"] == FAILED
        assert failed["delivery_note"] == (
            f"Not sent yet (1 try): the SMTP server 127.0.0.1:{server.port} did not take the message: "
            "it refused it (554). Trying again in 5 s."
        )
        assert server.tries == 1

        clock.now += 4  # not due yet: nothing is tried
        mailer.sender.run_due()
        assert server.tries == 1
        for attempt, wait in ((2, 10), (3, 20), (4, 40)):
            clock.now = mailer.sender.states()[failed["file"]].next_at
            assert mailer.sender.run_due() == clock.now + wait
            assert server.tries == attempt
        assert f"Not sent yet (4 tries)" in mailer.messages(to=TO)[0]["delivery_note"]

        server.reply = None  # the server takes it now
        clock.now += 40
        assert mailer.sender.run_due() is None  # nothing waits any more
        [sent] = mailer.messages(to=TO)
        assert "delivery" not in sent and "delivery_note" not in sent  # the mark is cleared
        assert server.subjects() == ["HARP: your account was created"]
        clock.now += 1000
        mailer.sender.run_due()
        assert len(server.received) == 1  # once, not twice
    assert [m["subject"] for m in Mailer(tmp_path / "mail").messages()] == ["HARP: your account was created"]


def test_a_hanging_server_costs_the_caller_nothing_and_the_send_times_out(tmp_path):
    with HangingServer() as server:
        mailer = Mailer(tmp_path / "mail", smtp=server.address, timeout=1.0, first_retry=60)
        started = time.monotonic()
        for n in range(7):
            mailer.deliver(message(f"message {n}"))
        took = time.monotonic() - started
        assert took < 1.0, took  # the old synchronous send waited for the timeout, per message
        assert server.accepted.wait(5)  # the sender is talking to the server, on its own thread
        assert [m["subject"] for m in mailer.messages(to=TO)] == [f"message {n}" for n in range(7)]
        assert mailer.sender.drain(timeout=5)
        took = time.monotonic() - started
        assert took < 5.0, took  # one timeout for the lot, not one per message (7 s here before; 37 s at 5 s)
        notes = {m["delivery_note"] for m in mailer.messages(to=TO)}
        assert notes == {f"Not sent yet (1 try): the SMTP server 127.0.0.1:{server.port} did not take the "
                         "message: no answer within 1 s. Trying again in 60 s."}
        assert len(server.connections) == 1
        mailer.close()


def test_nothing_listening_is_one_failure_and_the_message_waits(tmp_path):
    clock = Clock()
    port = _free_port()
    mailer = Mailer(tmp_path / "mail", smtp=("127.0.0.1", port), clock=clock, background=False)
    mailer.deliver(message())
    mailer.sender.run_due()
    [m] = mailer.messages(to=TO)
    assert m["delivery"] == FAILED and "nothing listens there" in m["delivery_note"]
    assert mailer.last_error and "did not take the message" in mailer.last_error


def test_a_message_not_sent_is_sent_after_a_restart_once(tmp_path):
    data_dir = tmp_path / "data"
    port = _free_port()
    store = Store(data_dir, smtp=("127.0.0.1", port))  # nothing listens: the try fails
    store.add_message(message("before the restart"))
    assert store.mailer.sender.drain(timeout=5)
    assert store.messages(TO)[0]["delivery"] == FAILED
    store.mailer.close()
    with SmtpServer(port=port) as server:
        again = Store(data_dir, smtp=("127.0.0.1", port))  # the restart: the sender resumes by itself
        deadline = time.monotonic() + 10
        while not server.received and time.monotonic() < deadline:
            time.sleep(0.02)
        # it was due 5 s after the first try: a restart tries what waits at once
        assert server.received, "the restarted sender did not send the waiting message"
        assert again.mailer.sender.drain(timeout=5)
        assert server.subjects() == ["before the restart"]
        assert "delivery" not in again.messages(TO)[0]
        third = Store(data_dir, smtp=("127.0.0.1", port))  # a second restart sends nothing again
        assert third.mailer.sender.pending() == {}
        assert third.mailer.sender.drain(timeout=5)
        assert len(server.received) == 1


def test_two_processes_sending_at_once_send_each_message_once(tmp_path):
    with SmtpServer() as server:
        one = Mailer(tmp_path / "mail", smtp=server.address)
        two = Mailer(tmp_path / "mail", smtp=server.address)
        for n in range(5):
            one.deliver(message(f"one {n}"))
            two.deliver(message(f"two {n}"))
        assert one.sender.drain(timeout=10) and two.sender.drain(timeout=10)
        assert sorted(server.subjects()) == sorted([f"one {n}" for n in range(5)] + [f"two {n}" for n in range(5)])


def test_the_delivery_state_holds_no_message_text(tmp_path):
    clock = Clock()
    with SmtpServer(reply="550 ana.lopez@sunnyacres.org Welcome. unknown") as server:
        mailer = Mailer(tmp_path / "mail", smtp=server.address, clock=clock, background=False)
        mailer.deliver(message("Secret-ish subject"))
        mailer.sender.run_due()
    [path] = state_files(tmp_path / "mail")
    raw = path.read_text()
    for text in ("Secret-ish", "Welcome", "ana.lopez", "unknown"):
        assert text not in raw  # not the body, the address, nor the server's own words
    state = json.loads(raw)
    assert state["state"] == FAILED and state["attempts"] == 1 and "(550)" in state["reason"]
    assert path.stat().st_mode & 0o077 == 0


def test_without_smtp_nothing_is_queued_and_nothing_is_marked(tmp_path):
    mailer = Mailer(tmp_path / "mail")
    mailer.deliver(message())
    assert mailer.sender is None and not (tmp_path / "mail" / DELIVERY_DIR).exists()
    assert "delivery" not in mailer.messages(to=TO)[0]


def test_the_flow_sends_without_waiting_for_a_hanging_server(tmp_path, monkeypatch):
    """The account-created email (sent as proofing is passed) costs the page nothing."""
    from tests.states import advance_to

    monkeypatch.setattr(smtp_delivery, "SMTP_TIMEOUT", 5.0)
    data_dir = tmp_path / "data"
    flow = advance_to(data_dir, Step.PROOFING)
    with HangingServer() as server:
        monkeypatch.setattr(flow.store, "smtp", server.address)
        flow.store._mailer = None  # the store as if started with --smtp
        started = time.monotonic()
        outcome = flow.submit(
            Step.PROOFING, {"answers": [q.correct for q in flow.proofing_questions()], "not_a_robot": True})
        assert outcome.ok
        assert time.monotonic() - started < 4.0  # less than the timeout: it did not wait for the server
        [created] = [m for m in flow.messages() if m["kind"] == "email"]
        assert created["delivery"] == QUEUED
        flow.store.mailer.close()


# --- the screens: the mark in F2 (wizard and console), the UI never waiting -------------------------


def _screen_text(app) -> str:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = ("".join(seg.text for strip in line for seg in strip if not seg.control) for line in update.strips)
    return " ".join(" ".join(lines).split())


async def _until(pilot, condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


@pytest.fixture
def quick_smtp(monkeypatch):
    """A short timeout and back-off for every sender a Store makes (as if started with --smtp),
    and an F2 dialog that reads the state five times a second."""
    from screens.widgets import PhoneScreen

    monkeypatch.setattr(PhoneScreen, "RELOAD_SECONDS", 0.2)
    monkeypatch.setattr(smtp_delivery, "SMTP_TIMEOUT", 2.0)
    monkeypatch.setattr(smtp_delivery, "RETRY_FIRST", 0.1)
    monkeypatch.setattr(smtp_delivery, "RETRY_CAP", 0.3)


async def test_f2_marks_an_email_a_hanging_server_did_not_take_and_clears_it_when_it_goes(
        tmp_path, quick_smtp, monkeypatch):
    from screens.app import OnboardingApp
    from screens.widgets import PhoneScreen
    from tests.conftest import FIXED_TOTP_SECRET, FrozenClock, SequentialCodes
    from tests.factory import PASSWORD
    from tests.pilot_helpers import fill, next_page, step_of
    from tests.states import advance_to

    monkeypatch.setattr(smtp_delivery, "SMTP_TIMEOUT", 4.0)  # long enough for a loaded machine to turn the page
    data_dir = tmp_path / "data"
    clock = FrozenClock()
    advance_to(data_dir, Step.PROOFING, clock=clock)
    with HangingServer() as hanging:
        port = hanging.port
        store = Store(data_dir, smtp=hanging.address)
        app = OnboardingApp(store, clock=clock, randbelow=SequentialCodes(),
                            totp_secret_factory=lambda: FIXED_TOTP_SECRET, seed_factory=lambda: "test-seed",
                            blink=False, catch_errors=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert step_of(pilot) == Step.PROOFING
            answers = {f"q{i}": q.correct for i, q in enumerate(app.flow.proofing_questions())}
            await fill(pilot, {**answers, "not_a_robot": True})
            await next_page(pilot)  # passes proofing: the account-created email goes out
            assert step_of(pilot) == Step.TWO_FACTOR_SETUP
            assert hanging.accepted.wait(5)  # the sender is stuck on the server ...
            [created] = [m for m in app.flow.messages() if m["kind"] == "email"]
            assert created["delivery"] == QUEUED  # ... and the page did not wait for it
            # typing goes on while the server hangs: every key lands
            app.screen.query_one("#field-password").control.focus()
            await pilot.press(*PASSWORD)
            assert app.screen.query_one("#field-password").control.value == PASSWORD

            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, PhoneScreen)
            # the open dialog follows; read once, as a retry under way hides the mark again meanwhile
            await _until(pilot, lambda: "Not sent yet" in (text := _screen_text(app))
                         and "no answer within 4 s" in text)
            assert "HARP: your account was created" in _screen_text(app)  # the Maildir copy: nothing lost

            hanging.__exit__(None, None, None)
            with SmtpServer(port=port) as server:  # the server is back, on the same port
                await _until(pilot, lambda: len(server.received) == 1)
                await _until(pilot, lambda: "Not sent yet" not in _screen_text(app))
                assert server.subjects() == ["HARP: your account was created"]
                await pilot.pause(0.5)  # more than the back-off: nothing is sent twice
                assert len(server.received) == 1
            await pilot.press("escape")
            await pilot.pause()
            assert step_of(pilot) == Step.TWO_FACTOR_SETUP
            assert app.screen.query_one("#field-password").control.value == PASSWORD  # nothing typed is lost
        store.mailer.close()


async def test_the_console_inbox_marks_an_email_the_server_refused(tmp_path, quick_smtp, monkeypatch):
    from screens.widgets import PhoneScreen
    from tests.conftest import FrozenClock
    from tests.test_console import ALICE, console, sign_in_cms, submitted

    data_dir = tmp_path / "data"
    clock = FrozenClock()
    with SmtpServer(reply="550 5.1.1 mailbox unavailable") as server:
        original = Store.__init__

        def with_smtp(self, *args, **kwargs):  # the trainee's wizard was started with --smtp
            kwargs.setdefault("smtp", server.address)
            original(self, *args, **kwargs)

        monkeypatch.setattr(Store, "__init__", with_smtp)
        flow = submitted(data_dir, clock, ALICE)  # tells CMS a request waits: an email to the reviewer
        monkeypatch.undo()
        assert flow.store.mailer.sender.drain(timeout=10)
        flow.store.mailer.close()
        app = console(data_dir, clock)  # the console itself has no --smtp
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_cms(pilot)
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, PhoneScreen)
            text = _screen_text(app)
            assert "[!] Not sent yet (1 try): the SMTP server" in text
            assert "it refused it (550)" in text
