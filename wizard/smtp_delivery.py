"""SMTP delivery of the Maildir's messages, off the caller's thread (see :mod:`wizard.mail`).

Each message sent over SMTP has a small delivery state beside the Maildir (``delivery/<key>.json``:
queued, failed or sent, the tries, the next try and a one-line reason without any secret). A
sender thread tries what is due with a short timeout and retries with exponential back-off until
the server takes it, also after a restart; one lock file lets one process at a time send.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import time
import weakref
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

SMTP_TIMEOUT = 3.0  # seconds one attempt waits for the server at each step (connect, each reply)
RETRY_FIRST = 5.0  # seconds before the first retry; each later one waits twice as long ...
RETRY_CAP = 300.0  # ... but never more than this
DELIVERY_DIR = "delivery"  # inside the Maildir: one <message key>.json per message sent over SMTP
QUEUED, FAILED, SENT = "queued", "failed", "sent"


def _private_mkdir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def retry_delay(attempts: int, first: float = RETRY_FIRST, cap: float = RETRY_CAP) -> float:
    """Seconds to wait after the ``attempts``-th failed try: first, 2*first, 4*first, ... capped."""
    return min(cap, first * 2 ** max(0, attempts - 1))


# --- one message's delivery state ---------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Where one message stands with the SMTP server. Kept as JSON beside the Maildir message;
    nothing in it is secret (no body, no address: the server, counts, times and a reason)."""

    state: str = QUEUED  # queued (not tried yet), failed (tried, waiting to try again), sent
    server: str = ""  # host:port
    attempts: int = 0
    next_at: float = 0.0  # epoch seconds of the next try (0: as soon as possible)
    reason: str = ""  # why the last try failed, one line
    queued_at: float = 0.0
    sent_at: float = 0.0

    @classmethod
    def from_json(cls, data: Any) -> Delivery | None:
        if not isinstance(data, dict) or data.get("state") not in (QUEUED, FAILED, SENT):
            return None
        try:
            return cls(
                state=data["state"], server=str(data.get("server") or ""),
                attempts=int(data.get("attempts") or 0), next_at=float(data.get("next_at") or 0),
                reason=str(data.get("reason") or ""), queued_at=float(data.get("queued_at") or 0),
                sent_at=float(data.get("sent_at") or 0),
            )
        except (TypeError, ValueError):
            return None

    def due(self, now: float) -> bool:
        return self.state != SENT and self.next_at <= now

    def note(self, now: float, retrying: bool = True) -> str:
        """The one line a view shows beside the message ('' once it was sent)."""
        if self.state == SENT:
            return ""
        if self.state == QUEUED:
            return f"Sending to the SMTP server {self.server}..."
        when = "It is sent when the sandbox runs again with this SMTP server set."
        if retrying:
            wait = max(0, round(self.next_at - now))
            when = ("Trying again now." if wait <= 0 else
                    f"Trying again in {wait} s." if wait < 90 else f"Trying again in {round(wait / 60)} min.")
        tries = f"{self.attempts} tr{'y' if self.attempts == 1 else 'ies'}"
        return f"Not sent yet ({tries}): {self.reason}. {when}"


def _failure_reason(server: str, err: BaseException, timeout: float) -> tuple[str, bool]:
    """(one line for the user, whether the connection is gone). Only the failure's kind and the
    server's reply code are named: the server's text could say anything."""
    import smtplib

    code = getattr(err, "smtp_code", None)
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = {c for c, _ in err.recipients.values()}
        code = min(codes) if codes else None
    if isinstance(err, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        if isinstance(code, int) and 400 <= code < 500:
            return f"the SMTP server {server} did not take the message: it said try later ({code})", False
        return f"the SMTP server {server} did not take the message: it refused it ({code})", False
    cause = err.__cause__ or err.__context__  # smtplib turns a timed-out read into SMTPServerDisconnected
    if isinstance(err, (TimeoutError, socket.timeout)) or isinstance(cause, (TimeoutError, socket.timeout)):
        return f"the SMTP server {server} did not take the message: no answer within {timeout:g} s", True
    if isinstance(err, ConnectionRefusedError):
        return f"the SMTP server {server} did not take the message: nothing listens there", True
    if isinstance(err, smtplib.SMTPResponseException) and isinstance(code, int):
        return f"the SMTP server {server} did not take the message ({code})", True
    return f"the SMTP server {server} did not take the message ({type(err).__name__})", True


class SmtpSender:
    """The queue of messages for one SMTP server, and the thread that sends them.

    ``enqueue`` only writes a state file and wakes the thread, so it costs the caller a file
    write. ``run_due`` is one pass over what is due (the thread's work; tests call it directly
    with their own clock). ``clock``, ``timeout``, ``first_retry``, ``max_retry`` and
    ``background`` are injectable so nothing waits for real seconds in a test."""

    def __init__(
        self,
        maildir: Path,
        smtp: tuple[str, int],
        *,
        clock: Callable[[], float] = time.time,
        timeout: float | None = None,
        first_retry: float | None = None,
        max_retry: float | None = None,
        background: bool = True,
    ) -> None:
        self.maildir = Path(maildir)
        self.background = background  # False: nothing sends until run_due is called (tests)
        self.host, self.port = smtp
        self.server = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        self.clock = clock
        self.timeout = SMTP_TIMEOUT if timeout is None else timeout
        self.first_retry = RETRY_FIRST if first_retry is None else first_retry
        self.max_retry = RETRY_CAP if max_retry is None else max_retry
        self.queue = self.maildir / DELIVERY_DIR
        _private_mkdir(self.queue)
        self.last_error: str | None = None  # the last failure, one line
        self.on_change: Callable[[], None] | None = None  # called (from the thread) after a pass changed a state
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._busy = False
        self._force = False  # the next pass tries everything still waiting, due or not
        self._down: tuple[float, str] | None = None  # the connection failed: (until when, why)
        self._thread: threading.Thread | None = None
        _SENDERS.add(self)

    # --- the queue ------------------------------------------------------------------------------

    def _state_path(self, key: str) -> Path:
        return self.queue / f"{key}.json"

    def _write_state(self, key: str, delivery: Delivery) -> None:
        from wizard.files import replace_privately

        payload = json.dumps(asdict(delivery), separators=(",", ":")).encode()
        replace_privately(self._state_path(key), payload, prefix=".delivery-", suffix=".tmp")

    def enqueue(self, key: str) -> None:
        now = self.clock()
        self._write_state(key, Delivery(QUEUED, server=self.server, queued_at=now))
        self.start()

    def states(self) -> dict[str, Delivery]:
        return read_states(self.maildir)

    def pending(self) -> dict[str, Delivery]:
        return {k: d for k, d in self.states().items() if d.state != SENT}

    # --- sending ----------------------------------------------------------------------------------

    def _message_file(self, key: str) -> Path | None:
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.maildir / sub)
            except OSError:
                continue
            for name in names:
                if name.split(":", 1)[0] == key:
                    return self.maildir / sub / name
        return None

    def run_due(self) -> float | None:
        """Try every message that is due, over one connection. Returns when the next try is
        due (epoch seconds, by ``clock``), or None when nothing waits any more."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.queue / ".send.lock"), timeout=0, mode=0o600)
        try:
            lock.acquire()
        except Timeout:  # another process (or sender) is sending: look again shortly
            return self.clock() + min(1.0, self.first_retry)
        self._busy = True
        try:
            changed = self._pass()
        finally:
            self._busy = False
            lock.release()
        if changed and self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                pass
        waiting = [d.next_at for d in self.pending().values()]
        return min(waiting) if waiting else None

    def _pass(self) -> bool:
        import smtplib
        from email import policy
        from email.parser import BytesParser

        from wizard.log import event

        now, force = self.clock(), self._force
        self._force = False
        due = sorted(((k, d) for k, d in self.states().items() if d.state != SENT and (force or d.due(now))),
                     key=lambda kd: kd[1].queued_at)
        server: smtplib.SMTP | None = None
        # the connection failed (in this pass, or in one whose retry is not due yet): the rest
        # fails the same way without waiting for the server again
        down = self._down[1] if self._down is not None and now < self._down[0] and not force else None
        changed = False
        try:
            for key, delivery in due:
                if self._stop:
                    break
                path = self._message_file(key)
                if path is None:  # deleted from the mailbox (by a mail client): nothing to send
                    try:
                        self._state_path(key).unlink()
                    except OSError:
                        pass
                    changed = True
                    continue
                reason = down
                if reason is None:
                    try:
                        with open(path, "rb") as fh:
                            mail = BytesParser(policy=policy.SMTP).parse(fh)
                        if server is None:
                            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                        server.send_message(mail)
                    except (OSError, smtplib.SMTPException) as err:
                        reason, gone = _failure_reason(self.server, err, self.timeout)
                        event("smtp_failed", host=self.host, port=self.port, error=type(err).__name__)
                        if gone:
                            down = reason
                            server = _close(server)
                if reason is None:
                    done = replace(delivery, state=SENT, server=self.server, reason="", sent_at=self.clock())
                    self.last_error = self._down = None
                    event("smtp_sent", host=self.host, port=self.port)
                else:
                    attempts = delivery.attempts + 1
                    done = replace(delivery, state=FAILED, server=self.server, attempts=attempts, reason=reason,
                                   next_at=self.clock() + retry_delay(attempts, self.first_retry, self.max_retry))
                    self.last_error = reason
                    if reason == down and (self._down is None or self._down[1] != down):
                        self._down = (done.next_at, down)
                self._write_state(key, done)
                changed = True
        finally:
            if server is not None:
                try:
                    server.quit()
                except (OSError, smtplib.SMTPException):
                    _close(server)
        return changed

    # --- the thread -------------------------------------------------------------------------------

    def start(self) -> None:
        """Wake the sender thread (starting it if it is not running)."""
        if not self.background:
            return
        with self._lock:
            self._stop = False
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=f"smtp-{self.server}", daemon=True)
                self._thread.start()

    def resume(self) -> None:
        """After a restart: what still waits is tried at once (the server may be back), then on
        its back-off schedule."""
        if self.pending():
            self._force = True
            self.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._stop:
                    self._thread = None
                    return
                self._wake.clear()
            try:
                next_at = self.run_due()
            except Exception as err:  # a full disk, a broken state file: try again later, say it once
                from wizard.log import event

                event("smtp_sender_error", error=type(err).__name__)
                next_at = self.clock() + self.max_retry
            with self._lock:
                if self._stop or (next_at is None and not self._wake.is_set()):
                    self._thread = None
                    return
            if next_at is not None:
                self._wake.wait(min(self.max_retry, max(0.0, next_at - self.clock())))

    def idle(self) -> bool:
        """Nothing is due now and no pass is running: every message had its try."""
        now = self.clock()
        return not self._busy and not any(d.due(now) for d in self.states().values())

    def drain(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until every message due now had its try."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() >= deadline:
                return False
            if not self.background:
                self.run_due()
            elif self._thread is None or not self._thread.is_alive():
                self.start()
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 1.0) -> None:
        """Stop the thread (what still waits stays queued on disk for the next start)."""
        with self._lock:
            self._stop = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _close(server: Any) -> None:
    if server is not None:
        try:
            server.close()
        except OSError:
            pass
    return None


_SENDERS: weakref.WeakSet[SmtpSender] = weakref.WeakSet()


@atexit.register
def _last_tries() -> None:
    """At exit, the messages of the last moments get their one try (bounded by the timeout);
    whatever the server did not take waits on disk for the next start."""
    deadline = time.monotonic() + SMTP_TIMEOUT + 1.0
    for sender in list(_SENDERS):
        if sender._thread is not None and sender._thread.is_alive() and not sender._stop:
            sender.drain(max(0.0, deadline - time.monotonic()))


def read_states(maildir: Path) -> dict[str, Delivery]:
    """Every message's delivery state in this Maildir, by message key (empty without SMTP)."""
    queue = Path(maildir) / DELIVERY_DIR
    try:
        names = os.listdir(queue)
    except OSError:
        return {}
    out = {}
    for name in names:
        if name.startswith(".") or not name.endswith(".json"):
            continue
        try:
            delivery = Delivery.from_json(json.loads((queue / name).read_bytes()))
        except (OSError, ValueError):
            delivery = None
        if delivery is not None:
            out[name[: -len(".json")]] = delivery
    return out
