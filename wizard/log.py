"""A support log in the data directory: what a helper needs, never what a user typed.

Events are logged by kind with field *names* only (never values), so no password, answer, code,
secret or SSN can reach the file. Errors get a short reference id that the user is shown.
"""

from __future__ import annotations

import logging
import os
import traceback
import uuid
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOGGER_NAME = "iqies_onboard"
LOG_NAME = "iqies-onboard.log"
MAX_BYTES = 256 * 1024
BACKUPS = 3

log = logging.getLogger(LOGGER_NAME)


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Log files are 0600 like everything else in the data directory, rotated ones included."""

    def _open(self):  # type: ignore[override]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a") or "a", encoding=self.encoding)


def setup_logging(data_dir: Path) -> Path:
    """Send this process's events to the data directory's rotating log; returns its path."""
    path = Path(data_dir) / LOG_NAME
    for handler in list(log.handlers):
        if isinstance(handler, RotatingFileHandler):
            log.removeHandler(handler)
            handler.close()
    handler = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return path


def event(kind: str, **fields: object) -> None:
    """One line per event: ``kind key=value ...``. Callers pass names and counts, not user text."""
    detail = " ".join(f"{k}={v}" for k, v in fields.items())
    log.info("%s %s", kind, detail) if detail else log.info("%s", kind)


def error_reference() -> str:
    return uuid.uuid4().hex[:8]


def log_error(where: str, error: BaseException) -> str:
    """Log an unexpected error with where it happened; return the reference id shown to the user.

    The stack (files, lines, functions) is logged but not the exception's message, which could
    quote what the user typed.
    """
    ref = error_reference()
    frames = traceback.extract_tb(error.__traceback__)
    stack = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames[-8:]))
    log.error("error ref=%s where=%s type=%s stack=%s", ref, where, type(error).__name__, stack)
    return ref
