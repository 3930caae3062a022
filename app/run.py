"""``iqies-onboard run --answers FILE [--interactive]``: an answers file through the headless
runner (:mod:`wizard.runner`), and with ``--interactive`` the wizard opening at the first step
the file leaves open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.guard import guarded, run_reopening
from wizard.runner import ScenarioRun, prepare, run_to_opening


def interactive_app(scenario: ScenarioRun):
    """Run the one person up to the first step the file leaves open, put what the file says for
    that step on the page, and return the wizard (screens.app.OnboardingApp) opening there."""
    from screens.app import OnboardingApp  # the UI only when it is asked for

    flow = run_to_opening(scenario)
    app = OnboardingApp(store=scenario.store_for(scenario.names[0]))
    app.flow.signed_in = flow.signed_in  # a session fact: this process signed in to iQIES
    return app


def _interactive(scenario: ScenarioRun, log_path: Path) -> int:
    """The wizard on the file's opening step; after an unexpected error, reopened where the
    saved progress says (the store stays the run's, claimed until it ends)."""
    from screens.app import OnboardingApp

    opened: list[bool] = []

    def open_app():
        if not opened:
            opened.append(True)
            return interactive_app(scenario)
        return OnboardingApp(store=scenario.store_for(scenario.names[0]))

    return run_reopening(open_app, log_path, lambda: None)


def command(path: Path, *, data_dir: Path, practice_account: str | None = None, default_practice_account: str = "default",
            smtp: Any = None, interactive: bool = False) -> int:
    """``iqies-onboard run --answers FILE [--interactive]``: the exit code."""
    code, scenario = prepare(path, data_dir=data_dir, practice_account=practice_account, default_practice_account=default_practice_account,
                             smtp=smtp, interactive=interactive)
    if scenario is None:
        return code

    def body(log_path: Path) -> int:
        return _interactive(scenario, log_path) if interactive else scenario.run()

    return guarded("run", scenario.store.data_dir, body, kept="; the steps done so far are saved",
                   errors={}, release=scenario.release)
