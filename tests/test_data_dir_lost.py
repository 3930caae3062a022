"""The data directory becoming unusable while the app runs (found in tmux: a newer app migrated
it meanwhile) ends the app with its one-line reason, not the generic error screen."""

from __future__ import annotations

import asyncio

from textual import events

from screens.app import OnboardingApp
from tests.conftest import FrozenClock, SequentialCodes
from app import cli
from wizard.store import DataDirError, Store


async def test_a_data_dir_error_while_running_closes_with_its_reason(data_dir, monkeypatch):
    app = OnboardingApp(Store(data_dir), clock=FrozenClock(), randbelow=SequentialCodes(), blink=False)

    def refuse(*_args, **_kwargs):
        raise DataDirError("the database in /x was written by a newer iqies-onboard")

    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app.flow.store, "save_account", refuse)
        app.screen.query_one("#field-first_name").control.value = "Changed"
        await pilot.pause()
        app.post_message(events.Key("ctrl+q", None))  # no waiting: the app closes underneath
        for _ in range(100):
            if getattr(app, "data_dir_problem", None):
                break
            await asyncio.sleep(0.05)
    assert app.data_dir_problem.startswith("the database in /x")
    assert app.return_code == 2 and app.error_references == []


def test_the_cli_prints_it_as_one_line(data_dir, monkeypatch, capsys):
    class Refusing:
        error_references: list[str] = []
        return_code = 2
        data_dir_problem = "the database in /x was written by a newer iqies-onboard"

        def __init__(self, **_kwargs) -> None:
            pass

        def run(self) -> None:
            pass

    monkeypatch.setattr("screens.app.OnboardingApp", Refusing)
    assert cli.main(["--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["iqies-onboard: error: the database in /x was written by a newer iqies-onboard"]
