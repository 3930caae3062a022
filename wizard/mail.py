"""Notifications as real email: RFC 5322 messages in a Maildir inside the data directory.

Every email the sandbox sends (account created, request pending, approved, rejected, PSO removed,
roles lapsing) is written to ``<data dir>/mail/`` as a Maildir any mail client opens (mutt -f,
Thunderbird's Maildir import, ``mailbox.Maildir``). The app's outbox panel reads the same Maildir.

With an SMTP server named (``--smtp HOST:PORT`` or the ``IQIES_ONBOARD_SMTP`` setting) each message
is also sent there. That is the only way anything leaves the machine, and only because the user
named the server; a server that does not answer costs a logged line, never the message.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the email package is imported when a message is written or read, not at start-up
    from email.message import EmailMessage

SENDER = "iQIES sandbox (iqies-onboard) <no-reply@iqies-onboard.invalid>"
MAIL_DOMAIN = "iqies-onboard.invalid"
CMS_REVIEWER_ADDRESS = "cms-reviewer@iqies-onboard.invalid"
SMTP_ENV = "IQIES_ONBOARD_SMTP"
SMTP_TIMEOUT = 5.0


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


def _private_mkdir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


class Mailer:
    """Writes each message to the Maildir (always) and to an SMTP server (when one is set)."""

    def __init__(self, maildir: Path, smtp: tuple[str, int] | None = None) -> None:
        self.path = Path(maildir)
        self.smtp = smtp
        self.last_error: str | None = None  # the last SMTP failure, one line
        self._parsed: dict[str, dict[str, Any]] = {}  # Maildir files never change: parse once
        _private_mkdir(self.path)
        for sub in ("tmp", "new", "cur"):
            _private_mkdir(self.path / sub)

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
        mail = self.build(message)
        self._write(mail)
        if self.smtp is not None:
            self._send(mail)
        return mail

    def _write(self, mail: EmailMessage) -> None:
        """Maildir delivery: write and fsync in tmp/, then rename into new/ (atomic)."""
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

    def _send(self, mail: EmailMessage) -> None:
        import smtplib

        from wizard.log import event

        host, port = self.smtp  # type: ignore[misc]
        try:
            with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as server:
                server.send_message(mail)
            self.last_error = None
            event("smtp_sent", host=host, port=port)
        except (OSError, smtplib.SMTPException) as err:
            self.last_error = f"the SMTP server {host}:{port} did not take the message ({type(err).__name__})"
            event("smtp_failed", host=host, port=port, error=type(err).__name__)

    # --- reading ------------------------------------------------------------------------------

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message in the Maildir (oldest first), or those addressed to ``to``."""
        out = []
        wanted = to.casefold() if to else None
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
