"""The wizard (``iqies-onboard``) and the approver console (``iqies-onboard approve``) in the
terminal, each reopened after an unexpected error (:func:`app.guard.run_reopening`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.guard import error_line, guarded, run_reopening


def command(data_dir: Path, practice_account: str, smtp: Any = None, *, console: bool = False, demo: bool = False) -> int:
    """The wizard on ``practice_account``, or with ``console`` the approver console over the data
    directory (with ``demo``, the demo's own: DIR/demo); the exit code."""
    from wizard.log import event
    from wizard.store import DataDirError, Store

    if demo:
        from wizard.demo import demo_data_dir

        try:
            data_dir = demo_data_dir(data_dir)
        except DataDirError as err:
            return error_line(str(err))

    def open_store() -> Store:
        return Store(data_dir, practice_account=practice_account, smtp=smtp, claim_wizard=not console)

    try:
        stores = [open_store()]
    except DataDirError as err:
        return error_line(str(err))

    def open_app():
        if console:
            from screens.console import ApproverConsoleApp

            return ApproverConsoleApp(store=stores[-1])
        from screens.app import OnboardingApp  # the UI is imported only when it is needed

        return OnboardingApp(store=stores[-1])

    def reopen() -> None:  # where the saved progress says
        stores[-1].release_wizard()
        stores.append(open_store())

    def body(log_path: Path) -> int:
        if stores[0].migrated_from is not None:
            event("migrated", frm=stores[0].migrated_from)
        return run_reopening(open_app, log_path, reopen, what="approver console" if console else "wizard")

    return guarded("approve" if console else "wizard", stores[0].data_dir, body, where="cli",
                   release=lambda: stores[-1].release_wizard())
