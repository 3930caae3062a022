"""Notifications as real email: RFC 5322 messages in a Maildir inside the data directory.

Every email the sandbox sends (account created, request pending, approved, rejected, PSO removed,
roles lapsing) is written to ``<data dir>/mail/`` as a Maildir any mail client opens (mutt -f,
Thunderbird's Maildir import, ``mailbox.Maildir``). The app's outbox panel reads the same Maildir.
That write is synchronous and comes first: the Maildir is the record.

With an SMTP server named (``--smtp HOST:PORT`` or the ``IQIES_ONBOARD_SMTP`` setting) each message
is also sent there. That is the only way anything leaves the machine, and only because the user
named the server. Sending never happens on the caller's thread: the message is queued (its delivery
state is a small file in ``<data dir>/mail/delivery/``, beside the Maildir message) and a sender
thread tries it with a short timeout. A message the server did not take is marked (state and a
one-line reason, never a secret: the server, the SMTP code or the kind of failure) and tried again
with exponential back-off (5 s, 10 s, 20 s, ... at most 5 minutes apart) until it goes, also after
a restart: every process that has the setting picks up what is still waiting. One lock file lets
one process at a time send, so a message goes out once.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.smtp_delivery import (  # noqa: F401  (the delivery's names, importable from here as before)
    DELIVERY_DIR,
    FAILED,
    QUEUED,
    RETRY_CAP,
    RETRY_FIRST,
    SENT,
    SMTP_TIMEOUT,
    Delivery,
    SmtpSender,
    _private_mkdir,
    read_states,
    retry_delay,
)

if TYPE_CHECKING:  # the email package is imported when a message is written or read, not at start-up
    from email.message import EmailMessage

SENDER = "iQIES sandbox (iqies-onboard) <no-reply@iqies-onboard.invalid>"
MAIL_DOMAIN = "iqies-onboard.invalid"
CMS_REVIEWER_ADDRESS = "cms-reviewer@iqies-onboard.invalid"
SMTP_ENV = "IQIES_ONBOARD_SMTP"

class SmtpSettingError(ValueError):
    """An SMTP setting that is not HOST:PORT; ``str(err)`` is one line for the user."""


def parse_smtp(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as (host, port), or a one-line reason."""
    text = (value or "").strip()
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SmtpSettingError(f"--smtp {value!r} is not HOST:PORT (for example --smtp 127.0.0.1:1025)")
    if any(c.isspace() or c in "/@" for c in host):
        raise SmtpSettingError(f"--smtp {value!r}: {host!r} is not a host name")
    return host, int(port_text)

class Mailer:
    """Writes each message to the Maildir (always, first) and queues it for an SMTP server (when
    one is set)."""

    def __init__(self, maildir: Path, smtp: tuple[str, int] | None = None, **sender_options: Any) -> None:
        self.path = Path(maildir)
        self.smtp = smtp
        self._parsed: dict[str, dict[str, Any]] = {}  # Maildir files never change: parse once
        _private_mkdir(self.path)
        for sub in ("tmp", "new", "cur"):
            _private_mkdir(self.path / sub)
        self.sender = SmtpSender(self.path, smtp, **sender_options) if smtp is not None else None

    @property
    def last_error(self) -> str | None:
        """The last SMTP failure, one line."""
        return self.sender.last_error if self.sender is not None else None

    # --- writing ------------------------------------------------------------------------------

    @staticmethod
    def build(message: dict[str, Any]) -> EmailMessage:
        import email.utils
        from email import policy
        from email.message import EmailMessage

        sent_at = message.get("sent_at")
        try:
            when = datetime.fromisoformat(sent_at) if isinstance(sent_at, str) else datetime.now(timezone.utc)
        except ValueError:
            when = datetime.now(timezone.utc)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        from wizard.sanitize import clean_line, clean_text

        mail = EmailMessage(policy=policy.SMTP)
        mail["From"] = SENDER
        mail["To"] = clean_line(str(message["to"]))
        mail["Date"] = email.utils.format_datetime(when)
        mail["Subject"] = clean_line(str(message.get("subject") or "")) or "(no subject)"
        mail["Message-ID"] = email.utils.make_msgid(domain=MAIL_DOMAIN)
        mail["X-Iqies-Onboard"] = "sandbox practice message; not sent by CMS"
        mail.set_content(clean_text(str(message.get("body") or "")))
        return mail

    def deliver(self, message: dict[str, Any]) -> EmailMessage:
        """The Maildir copy is written before this returns; the SMTP copy is only queued."""
        mail = self.build(message)
        key = self._write(mail)
        if self.sender is not None:
            self.sender.enqueue(key)
        return mail

    def _write(self, mail: EmailMessage) -> str:
        """Maildir delivery: write and fsync in tmp/, then rename into new/ (atomic). Returns
        the message's key (its file name)."""
        data = mail.as_bytes()
        name = f"{time.time_ns()}.P{os.getpid()}R{os.urandom(4).hex()}.{socket.gethostname().replace('/', '_')}"
        tmp = self.path / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.rename(tmp, self.path / "new" / name)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return name

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()

    # --- reading ------------------------------------------------------------------------------

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message in the Maildir (oldest first), or those addressed to ``to``. A message
        the SMTP server has not taken (yet) carries ``delivery`` (its state) and ``delivery_note``
        (one line for the user); a message sent, or never meant for SMTP, carries neither."""
        out = []
        wanted = to.casefold() if to else None
        states = read_states(self.path)
        now = self.sender.clock() if self.sender is not None else time.time()
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.path / sub)
            except OSError:
                continue
            for name in names:
                if name.startswith("."):
                    continue
                key = name.split(":", 1)[0]
                parsed = self._parsed.get(key)
                if parsed is None:
                    parsed = self._parse(self.path / sub / name)
                    if parsed is None:
                        continue
                    self._parsed[key] = parsed
                if wanted is None or wanted in parsed["to"].casefold():
                    delivery = states.get(key)
                    if delivery is not None and delivery.state != SENT:
                        parsed = {**parsed, "delivery": delivery.state,
                                  "delivery_note": delivery.note(now, retrying=self.sender is not None)}
                    out.append(parsed)
        out.sort(key=lambda m: (m["seq"], m["file"]))
        return out

    @staticmethod
    def _parse(path: Path) -> dict[str, Any] | None:
        import email.utils
        from email import policy
        from email.parser import BytesParser

        try:
            with open(path, "rb") as fh:
                mail = BytesParser(policy=policy.default).parse(fh)
        except OSError:
            return None
        try:
            when = email.utils.parsedate_to_datetime(str(mail["Date"]))
            sent_at = when.astimezone(timezone.utc).isoformat()
        except (TypeError, ValueError):
            sent_at = ""
        try:
            part = mail.get_body(preferencelist=("plain",))
            body = part.get_content().rstrip() if part is not None else ""
        except (LookupError, ValueError, TypeError, AttributeError):  # an unknown charset, a broken part
            body = "(This message cannot be read.)"
        return {
            "kind": "email",
            "to": str(mail["To"] or ""),
            "from": str(mail["From"] or ""),
            "subject": str(mail["Subject"] or ""),
            "body": body,
            "sent_at": sent_at,
            "file": path.name.split(":", 1)[0],
            "seq": int(path.name.split(".", 1)[0]) if path.name.split(".", 1)[0].isdigit() else 0,
        }
