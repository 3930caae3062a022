"""The command line (app/cli.py): bad input gets one line on stderr and exit 2, never a
traceback. The wizard itself (which would start the Textual app) is not run here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from wizard import __version__

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "IQIES_ONBOARD_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_version_constant():
    assert __version__ == "0.1.0"


# -- in a subprocess: python -m app ---------------------------------------------------------------


def test_version_flag(home):
    out = run_cli("--version", home=home)
    assert out.returncode == 0
    assert out.stdout.strip() == "iqies-onboard 0.1.0"
    assert not home.exists()  # --version touches no data directory


def test_help_flag(home):
    out = run_cli("--help", home=home)
    assert out.returncode == 0
    assert "--data-dir" in out.stdout
    assert "--version" in out.stdout
    assert out.stdout.startswith("usage: iqies-onboard")
    assert out.stderr == ""


def test_unknown_flag_exits_2_with_one_line(home):
    out = run_cli("--bogus", home=home)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert "--bogus" in lines[0] and lines[0].startswith("iqies-onboard: error:")
    assert "Traceback" not in out.stderr


def test_data_dir_missing_value_exits_2_with_one_line(home):
    out = run_cli("--data-dir", home=home)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_data_dir_is_a_file_exits_2_with_one_line(home, tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("not a directory")
    out = run_cli("--data-dir", str(target), home=home)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert "is a file" in lines[0]
    assert str(target) in lines[0]
    assert "Traceback" not in out.stderr
    assert target.read_text() == "not a directory"


def test_data_dir_under_a_file_exits_2_with_one_line(home, tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    out = run_cli("--data-dir", str(target / "sub"), home=home)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr


def test_env_home_pointing_at_a_file_exits_2(tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    out = run_cli(home=target)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and "is a file" in lines[0]
    assert "Traceback" not in out.stderr


# -- in-process: cli.main([...]) ------------------------------------------------------------------


def test_main_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "iqies-onboard 0.1.0"


def test_main_help(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    assert "--data-dir" in capsys.readouterr().out


def test_main_unknown_flag(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--bogus"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert "--bogus" in captured.err and "--help" in captured.err


def test_main_data_dir_is_a_file(capsys, tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    assert cli.main(["--data-dir", str(target)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("iqies-onboard: error:") and "is a file" in lines[0]
    assert captured.out == ""


def test_main_data_dir_under_a_file(capsys, tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    assert cli.main(["--data-dir", str(target / "sub")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_main_env_home_is_a_file(capsys, monkeypatch, tmp_path):
    target = tmp_path / "plain.txt"
    target.write_text("x")
    monkeypatch.setenv("IQIES_ONBOARD_HOME", str(target))
    assert cli.main([]) == 2
    assert "is a file" in capsys.readouterr().err


def test_parser_data_dir_is_a_path():
    args = cli.build_parser().parse_args(["--data-dir", "~/x"])
    assert isinstance(args.data_dir, Path)


# -- practice accounts, SMTP and the approve command ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--profile", "../etc"], "practice account name"),
        (["--profile", ""], "practice account name"),
        (["approve", "--profile", "a b"], "practice account name"),
        (["--smtp", "nohost"], "HOST:PORT"),
        (["--smtp", "127.0.0.1:99999"], "HOST:PORT"),
        (["approve", "--smtp", "mail@x:25"], "not a host name"),
    ],
)
def test_bad_practice_account_or_smtp_exits_2_with_one_line(capsys, tmp_path, argv, says):
    assert cli.main(["--data-dir", str(tmp_path / "d"), *argv]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and says in captured.err
    assert captured.err.startswith("iqies-onboard: error:")


def test_bad_smtp_setting_from_the_environment(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IQIES_ONBOARD_SMTP", "localhost")
    assert cli.main(["--data-dir", str(tmp_path / "d")]) == 2
    assert "HOST:PORT" in capsys.readouterr().err


def test_options_work_before_or_after_approve():
    parser = cli.build_parser()
    before = parser.parse_args(["--data-dir", "/x", "--profile", "p", "approve"])
    after = parser.parse_args(["approve", "--data-dir", "/x", "--profile", "p"])
    for args in (before, after):
        assert (args.command, args.data_dir, args.practice_account) == ("approve", Path("/x"), "p")
    assert parser.parse_args([]).command is None


def test_practice_account_and_its_older_name_profile_are_one_option(capsys):
    parser = cli.build_parser()
    for flag in ("--practice-account", "--profile"):
        for argv in ([flag, "p", "report"], ["report", flag, "p"]):
            assert parser.parse_args(argv).practice_account == "p"
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    assert "--practice-account NAME, --profile NAME" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "environ", "chosen"),
    [
        (None, {}, "default"),
        (None, {"IQIES_ONBOARD_PROFILE": "old"}, "old"),
        (None, {"IQIES_ONBOARD_PRACTICE_ACCOUNT": "new"}, "new"),
        (None, {"IQIES_ONBOARD_PROFILE": "old", "IQIES_ONBOARD_PRACTICE_ACCOUNT": "new"}, "new"),
        ("flag", {"IQIES_ONBOARD_PROFILE": "old", "IQIES_ONBOARD_PRACTICE_ACCOUNT": "new"}, "flag"),
    ],
)
def test_the_practice_account_comes_from_the_option_else_the_new_setting_else_the_old(option, environ, chosen):
    from wizard.storage import chosen_practice_account

    assert chosen_practice_account(option, environ) == chosen


def test_both_environment_names_reach_the_command(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("IQIES_ONBOARD_PRACTICE_ACCOUNT", raising=False)
    monkeypatch.setenv("IQIES_ONBOARD_PROFILE", "old-name")
    assert cli.main(["--data-dir", str(tmp_path / "d"), "report"]) == 1
    assert "'old-name'" in capsys.readouterr().err
    monkeypatch.setenv("IQIES_ONBOARD_PRACTICE_ACCOUNT", "new-name")
    assert cli.main(["--data-dir", str(tmp_path / "d"), "report"]) == 1
    assert "'new-name'" in capsys.readouterr().err


def test_unknown_command_exits_2_with_one_line(home):
    out = run_cli("bogus", home=home)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "approve" in out.stderr  # says what the commands are


def test_a_second_wizard_on_the_same_practice_account_is_refused_but_another_one_opens(tmp_path):
    from wizard.store import DataDirError, Store

    first = Store(tmp_path / "d", practice_account="alice")
    first.claim_wizard()
    with pytest.raises(DataDirError, match="--practice-account alice"):
        Store(tmp_path / "d", practice_account="alice").claim_wizard()
    Store(tmp_path / "d", practice_account="bob").claim_wizard()  # another trainee: fine
    first.release_wizard()


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert __version__ == version("iqies-onboard")


@pytest.mark.parametrize("args", [
    ("schema",),
    ("run", "--answers", str(ROOT / "examples" / "happy-path.yaml")),
])
def test_a_closed_pipe_ends_quietly(home, args):
    """``iqies-onboard ... | head -1``: the reader is gone (here before the first line, so a
    write surely meets the closed pipe); the command ends with no error line and exit 0."""
    env = {**os.environ, "IQIES_ONBOARD_HOME": str(home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
    )
    process.stdout.close()  # what head does after its line
    err = process.stderr.read().decode()
    code = process.wait(timeout=120)
    assert err == ""
    assert code == 0


def test_a_missing_data_file_gets_one_line_not_a_traceback(monkeypatch, capsys, home):
    import errno

    from app import commands
    from wizard.resources import data_path

    def broken() -> int:
        path = str(data_path("help.json"))
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)

    monkeypatch.setattr(commands, "print_schema", broken)
    assert cli.main(["--data-dir", str(home), "schema"]) == 1
    err = capsys.readouterr().err
    # a support-log reference appears when an earlier test in this process opened the log
    [line] = err.splitlines()
    assert re.fullmatch(
        r"iqies-onboard: the data file help\.json is missing from this installation"
        r"( \(reference [0-9a-f]{8}\))?; reinstall iqies-onboard \(for example: pipx reinstall "
        r"iqies-onboard\)", line), line


@pytest.mark.parametrize("args", [("schema",), ("plain",)])
def test_an_unusable_stdout_gets_one_line_not_an_unexpected_error(home, args):
    """``>&-`` (standard output closed) and ``> /dev/full`` (it cannot be written): one line on
    stderr saying so, and a failing exit, not 'stopped after an unexpected error'."""
    env = {**os.environ, "IQIES_ONBOARD_HOME": str(home), "PYTHONPATH": str(ROOT)}
    closed = subprocess.run(["sh", "-c", 'exec "$0" -m app "$@" >&-', sys.executable, *args],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert closed.returncode == 2 and "standard output is closed" in closed.stderr, closed.stderr
    if not os.path.exists("/dev/full"):
        return
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "app", *args], stdin=subprocess.DEVNULL, stdout=full,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["iqies-onboard: error: cannot write to standard output "
                                          "(No space left on device)"], result.stderr
