"""The one catch-and-reopen loop (app/guard.py): the wizard, the approver console, the demo and
``run --interactive`` each show the error screen after an unexpected error and reopen on Enter,
on a fresh claim of the data directory; Q quits with exit 1; a data directory that became
unusable is one line and exit 2. The apps here are stand-ins (the Textual apps' own closing is
tests/test_support_log.py's and tests/test_data_dir_lost.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cli
from app.guard import run_reopening
from wizard.log import LOG_NAME
from wizard.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Screens:
    """Stand-ins for the apps: the first ``failures`` runs end on an unexpected error (logged
    with a reference, as ClosesQuietly does), the next one ends normally; the error screen
    answers ``reopen``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, failures: int = 1, reopen: bool = True,
                 problem: str | None = None) -> None:
        self.opened: list[Store] = []
        self.shown: list[tuple[str, str, str]] = []
        self.claimed: list[bool] = []
        fake = self

        class FakeApp:
            def __init__(self, *args, **kwargs) -> None:
                store = kwargs.get("store") or args[0]
                fake.opened.append(store)
                self.store = store
                self.error_references: list[str] = []
                self.return_code = 0
                if problem:
                    self.data_dir_problem = problem

            @property
            def flow(self):  # run --interactive sets a session fact on it
                return self

            def run(self) -> None:
                fake.claimed.append(getattr(self.store, "_wizard_claim", None) is not None)
                if len(fake.opened) <= failures:
                    self.error_references.append(f"ref{len(fake.opened)}")
                    self.return_code = 1

        class FakeErrorApp:
            def __init__(self, reference: str, log_path: str, what: str = "wizard") -> None:
                fake.shown.append((reference, log_path, what))

            def run(self) -> bool:
                return reopen

        import screens.app
        import screens.console
        import screens.demo
        import screens.errors

        for module, name in ((screens.app, "OnboardingApp"), (screens.console, "ApproverConsoleApp"),
                             (screens.demo, "DemoApp"), (screens.errors, "ErrorApp")):
            monkeypatch.setattr(module, name, FakeErrorApp if name == "ErrorApp" else FakeApp)


@pytest.mark.parametrize(
    ("args", "what", "claims"),
    [
        ([], "wizard", True),
        (["approve"], "approver console", False),
        (["approve", "--demo"], "approver console", False),
        (["demo", "--persona", "maria"], "demo", True),
    ],
    ids=["wizard", "console", "console-on-demo", "demo"],
)
def test_an_unexpected_error_shows_the_error_screen_and_enter_reopens(tmp_path, monkeypatch, capsys, args,
                                                                       what, claims):
    fake = Screens(monkeypatch)
    assert cli.main(["--data-dir", str(tmp_path / "d"), *args]) == 0
    assert len(fake.opened) == 2 and fake.opened[0] is not fake.opened[1]  # a fresh store
    assert fake.claimed == [claims, claims]  # the wizard's claim released, then taken again
    [(ref, log_path, shown_what)] = fake.shown
    assert ref == "ref1" and shown_what == what and Path(log_path).name == LOG_NAME
    assert capsys.readouterr().err == ""
    log = Path(log_path).read_text(encoding="utf-8")
    assert "start version=" in log and "stop code=0" in log
    if claims:  # released at the end: the next run can claim the practice account
        fake.opened[-1].claim_wizard()
        fake.opened[-1].release_wizard()


@pytest.mark.parametrize("args", [[], ["approve"], ["demo", "--persona", "maria"]], ids=["wizard", "console", "demo"])
def test_quitting_the_error_screen_exits_1(tmp_path, monkeypatch, args):
    fake = Screens(monkeypatch, reopen=False)
    assert cli.main(["--data-dir", str(tmp_path / "d"), *args]) == 1
    assert len(fake.opened) == 1 and len(fake.shown) == 1


@pytest.mark.parametrize("args", [[], ["approve"], ["demo", "--persona", "maria"]], ids=["wizard", "console", "demo"])
def test_a_data_directory_lost_while_open_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args):
    fake = Screens(monkeypatch, failures=0, problem="the database in /x was written by a newer iqies-onboard")
    assert cli.main(["--data-dir", str(tmp_path / "d"), *args]) == 2
    assert fake.shown == []
    assert capsys.readouterr().err.splitlines() == [
        "iqies-onboard: error: the database in /x was written by a newer iqies-onboard"]


def test_run_interactive_reopens_the_wizard_after_an_error(tmp_path, monkeypatch, capsys):
    fake = Screens(monkeypatch)
    code = cli.main(["--data-dir", str(tmp_path / "d"), "run", "--answers", str(EXAMPLES / "happy-path.yaml"),
                     "--interactive"])
    assert code == 0
    assert len(fake.opened) == 2 and [what for _, _, what in fake.shown] == ["wizard"]
    assert fake.claimed == [True, True]  # the run's claim holds until the run ends


def test_the_loop_reopens_as_often_as_asked(tmp_path, monkeypatch):
    fake = Screens(monkeypatch, failures=3)
    reopened = []
    import screens.app

    code = run_reopening(lambda: screens.app.OnboardingApp(store=Store(tmp_path)), tmp_path / LOG_NAME,
                         lambda: reopened.append(True))
    assert code == 0 and len(fake.opened) == 4 and len(reopened) == 3
    assert [ref for ref, _, _ in fake.shown] == ["ref1", "ref2", "ref3"]


def test_an_error_outside_the_app_is_one_line_with_a_reference(tmp_path, monkeypatch, capsys):
    """Not in the app's own handlers (the store failing to reopen, say): no traceback either."""
    Screens(monkeypatch)

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    import screens.demo

    monkeypatch.setattr(screens.demo, "DemoApp", broken)
    assert cli.main(["--data-dir", str(tmp_path / "d"), "demo", "--persona", "maria"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("iqies-onboard: the demo stopped after an unexpected error (reference ")
    assert "Details without personal data: " in line and "Traceback" not in line


async def test_the_error_screen_names_what_it_reopens():
    from screens.errors import ErrorApp

    for what, kept in (("wizard", "What you entered"), ("approver console", "Every decision"),
                       ("demo", "The demo's progress")):
        error_app = ErrorApp("abcd1234", "/tmp/x.log", what=what)
        async with error_app.run_test(size=(80, 24)) as pilot:
            shown = " ".join(str(w.render()) for w in error_app.screen.query("Static"))
            assert f"The {what} stopped on an unexpected error (reference abcd1234)" in shown
            assert kept in shown and f"reopen the {what} where you were" in shown
            footer = [b.description for (_, b, _, _) in error_app.screen.active_bindings.values() if b.show]
            assert f"Reopen the {what}" in footer and "Quit" in footer
            await pilot.press("enter")
        assert error_app.return_value is True
