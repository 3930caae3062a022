"""What every command that opens the data directory shares: the support log's start and stop,
one line for an error the user can act on, one line with a reference for anything else (never a
traceback), and the one catch-and-reopen loop of the Textual apps (the wizard, the approver
console and the demo): after an unexpected error, :class:`screens.errors.ErrorApp` says what
happened and Enter reopens the app where the saved progress says."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

PROG = "iqies-onboard"

KEPT_PROGRESS = "; your progress up to the last step is saved"


def error_line(message: str, code: int = 2) -> int:
    """``iqies-onboard: error: MESSAGE`` on stderr; the exit code (2 unless told)."""
    from wizard.sanitize import clean_line

    print(f"{PROG}: error: {clean_line(message)}", file=sys.stderr)
    return code


def guarded(
    command: str,
    data_dir: Path,
    body: Callable[[Path], int],
    *,
    where: str | None = None,
    subject: str = "",
    kept: str = KEPT_PROGRESS,
    errors: dict[type[Exception], int] | None = None,
    release: Callable[[], None] | None = None,
) -> int:
    """Run ``body(log_path)`` with the support log open in ``data_dir``; its exit code.

    ``errors`` maps the exceptions a user can act on to an exit code (a data directory that
    became unusable: 2), each said as one ``error:`` line. Any other error is logged under
    ``where`` (default ``command``) and said as ``iqies-onboard: {subject}stopped after an
    unexpected error (reference R){kept}. Details without personal data: LOG``, exit 1.
    ``release`` runs last in every case (the wizard's claim on the practice account)."""
    from wizard import __version__
    from wizard.log import event, log_error, setup_logging
    from wizard.store import DataDirError

    handled = {DataDirError: 2} if errors is None else errors
    log_path = setup_logging(data_dir)
    event("start", version=__version__, command=command)
    try:
        code = body(log_path)
    except tuple(handled) as err:
        code = next(c for kind, c in handled.items() if isinstance(err, kind))
        error_line(str(err))
    except Exception as err:  # never a traceback for a user
        ref = log_error(where or command, err)
        print(f"{PROG}: {subject}stopped after an unexpected error (reference {ref}){kept}. "
              f"Details without personal data: {log_path}", file=sys.stderr)
        code = 1
    finally:
        if release is not None:
            release()
    event("stop", code=code)
    return code


def run_reopening(open_app: Callable[[], Any], log_path: Path, reopen: Callable[[], None], *,
                  what: str = "wizard") -> int:
    """Run the app ``open_app()`` makes; after an unexpected error (the app closed quietly and
    logged it: ``screens.errors.ClosesQuietly``) show the error screen, and on Enter ``reopen()``
    (release and open the store again) and run a new app. The exit code: the app's, 1 when the
    user quits the error screen, 2 with one line when the data directory became unusable."""
    from screens.errors import ErrorApp  # the UI only when it is asked for

    while True:
        app = open_app()
        app.run()
        if getattr(app, "data_dir_problem", None):
            return error_line(app.data_dir_problem)
        if not app.error_references:
            return app.return_code or 0
        if not ErrorApp(app.error_references[-1], str(log_path), what=what).run():
            return 1
        reopen()
