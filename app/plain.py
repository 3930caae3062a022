"""``iqies-onboard plain``: the wizard as plain questions and answers (:mod:`wizard.plain`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from app.guard import error_line, guarded


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def command(data_dir: Path, practice_account: str, smtp: Any = None) -> int:
    """``iqies-onboard plain``: the exit code (0 after a quit or a finished session)."""
    from wizard.flow import OnboardingFlow
    from wizard.plain import PlainSession
    from wizard.store import DataDirError, Store

    try:
        store = Store(data_dir, practice_account=practice_account, smtp=smtp, claim_wizard=True)
    except DataDirError as err:
        return error_line(str(err))

    def body(_log_path: Path) -> int:
        try:
            return PlainSession(OnboardingFlow(store)).run()
        except KeyboardInterrupt:
            # a terminal has echoed ^C (or getpass its prompt) with no newline: end that line first
            lead = "\n" if _isatty(sys.stdin) else ""
            print(f"{lead}Stopped; your progress up to the last step is saved.", flush=True)
            return 130

    return guarded("plain", store.data_dir, body, release=store.release_wizard)
