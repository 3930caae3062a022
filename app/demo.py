"""``iqies-onboard demo``: trainer mode, the wizard with a demo persona's data on every page
(the domain side is :mod:`wizard.demo`, the screens :mod:`screens.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.guard import PROG, error_line, guarded, run_reopening
from wizard.answers import AnswersFileError
from wizard.demo import DemoChoiceError, DemoSession, demo_data_dir, resolve, start
from wizard.store import DataDirError, Store


def console_command(data_dir: Path | None) -> str:
    """How the trainer opens the approver console on this demo (with --data-dir when not the default)."""
    if data_dir is None:
        return f"{PROG} approve --demo"
    import shlex

    return f"{PROG} --data-dir {shlex.quote(str(data_dir))} approve --demo"


def command(data_dir: Path, *, persona: str | None = None, scenario: str | None = None,
            smtp: Any = None, explicit_dir: bool = True) -> int:
    """``iqies-onboard demo [--persona NAME] [--scenario NAME]``: the exit code. Without either,
    a picker opens first."""
    try:
        if persona is not None or scenario is not None:
            chosen_persona, chosen_scenario = resolve(persona, scenario)
        else:
            from screens.demo import pick  # the UI only when it is asked for

            picked = pick()
            if picked is None:
                return 0
            chosen_persona, chosen_scenario = resolve(*picked)
    except (DemoChoiceError, AnswersFileError) as err:
        return error_line(str(err))
    session = DemoSession(chosen_persona, chosen_scenario,
                          console_command(data_dir if explicit_dir else None))

    def open_store() -> Store:
        store = Store(demo_data_dir(data_dir), practice_account=session.practice_account, smtp=smtp)
        store.claim_wizard()
        return store

    try:
        stores = [open_store()]
    except DataDirError as err:
        return error_line(str(err))

    def reopen() -> None:
        stores[-1].release_wizard()
        stores.append(open_store())

    def body(log_path: Path) -> int:
        start(stores[-1], session)
        from screens.demo import DemoApp

        return run_reopening(lambda: DemoApp(stores[-1], session), log_path, reopen, what="demo")

    return guarded("demo", stores[0].data_dir, body, subject="the demo ", kept="",
                   errors={DemoChoiceError: 1, DataDirError: 2}, release=lambda: stores[-1].release_wizard())
