"""The ``iqies-onboard`` command line. Bad arguments and unusable data directories get one line
on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.guard import PROG, error_line as _error


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message} (see {PROG} --help)\n")


class _Version(argparse.Action):
    """``--version``: the package metadata is read only when asked (importlib.metadata costs
    start-up time every other command does without)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from wizard import __version__

        sys.stdout.write(f"{PROG} {__version__}\n")  # where argparse's own version action writes
        parser.exit()


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Options that work before or after a command (``--data-dir X approve`` and ``approve --data-dir X``)."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        default=default,
        help="where progress is kept (default: $IQIES_ONBOARD_HOME, else your user data directory)",
    )
    parser.add_argument(
        "--practice-account",
        "--profile",  # its older name, kept
        dest="practice_account",
        metavar="NAME",
        default=default,
        help="whose practice account: one per trainee in a shared data directory; --profile is its older "
        "name (default: $IQIES_ONBOARD_PRACTICE_ACCOUNT, else $IQIES_ONBOARD_PROFILE, else 'default')",
    )
    parser.add_argument(
        "--smtp",
        metavar="HOST:PORT",
        default=default,
        help="also send the sandbox's emails to this SMTP server (default: $IQIES_ONBOARD_SMTP, else only the Maildir in the data directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Practice becoming a Provider Security Official (PSO) in CMS's iQIES: a sandbox of the "
            "HARP account and iQIES role request. Nothing you type leaves this computer."
        ),
        epilog="Your progress is saved after every step; run the command again to resume.",
    )
    parser.add_argument("--version", action=_Version)
    _common_options(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    approve = commands.add_parser(
        "approve",
        help="the approver console: decide role requests as the CMS reviewer or as a PSO",
        description=(
            "The approver console over the same data directory: sign in as the sandbox's CMS "
            "reviewer or as an approved PSO, and approve or reject the requests routed to you."
        ),
    )
    approve.add_argument("--demo", action="store_true",
                         help="open the demo's own data (DIR/demo), beside `iqies-onboard demo`")
    _common_options(approve, argparse.SUPPRESS)
    demo = commands.add_parser(
        "demo",
        help="trainer mode: a persona's fake data on every page, presenter notes, scenarios",
        description=(
            "Trainer mode: the wizard with a demo persona's visibly fake data (real nursing homes) "
            "filled in on every page; you press Next. F4 presenter notes, F6 high contrast, F8 "
            "reset, Ctrl+P jump to any step. Demo data is kept in DIR/demo, apart from real "
            "practice accounts; open the approver console on it with: iqies-onboard approve --demo. "
            "Without --persona or --scenario a picker opens."
        ),
    )
    demo.add_argument("--persona", metavar="NAME", help="the persona to play (see data/personas.json)")
    demo.add_argument("--scenario", metavar="NAME",
                      help="a scenario of the library (a persona plus a script), e.g. only-pso-left")
    _common_options(demo, argparse.SUPPRESS)
    serve = commands.add_parser(
        "serve",
        help="the wizard in a web browser (textual-serve), on 127.0.0.1 by default",
        description=(
            "Serve the wizard to web browsers. It prints an address with a random join code "
            "(like a notebook server's token): every request without the code is refused, on this "
            "computer too, and the first visit keeps it in a cookie. Each browser tab runs its own "
            "wizard on its own practice account, web-<8 letters and digits> (or PREFIX-... "
            "with --practice-account PREFIX), so trainees in one room never share or block one; a "
            "reloaded tab gets its own account back, and a closed tab's account stays in the data "
            "directory (resume it in a terminal with --practice-account and its name, or watch it in the "
            "approver console). It listens only on this computer unless you add --allow-remote."
        ),
    )
    serve.add_argument("--host", metavar="HOST", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1); another computer's reach needs --allow-remote")
    serve.add_argument("--port", metavar="N", default="8000", help="TCP port to listen on (default 8000)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a --host other computers can reach: anyone with the join address can use the wizard")
    serve.add_argument("--max-sessions", metavar="N", default="20",
                       help="how many browser tabs may run a wizard at once (default 20, about 60 MB each)")
    _common_options(serve, argparse.SUPPRESS)
    report = commands.add_parser(
        "report",
        help="write the readiness report (Markdown and printable HTML) of the current practice account",
        description=(
            "Write readiness-report.md and readiness-report.html: your User ID and email domain "
            "checked against the rules, your organizations and who approves each, the PSOs planned "
            "per provider, the real addresses and the next steps. No password, answer, code or key "
            "is ever in it. Prints the two paths. Exit 1 when the practice account has no HARP account "
            "(User ID) yet, 2 for a bad option or an output directory that cannot be written."
        ),
    )
    report.add_argument("--output", metavar="DIR", type=Path, default=None,
                        help="an existing directory to write the two files in (default: the data directory)")
    _common_options(report, argparse.SUPPRESS)
    run = commands.add_parser(
        "run",
        help="run an answers file (YAML or JSON) through the same steps and rules, without the screens",
        description=(
            "Run an answers file through the wizard's own steps and rules, one line per step (never a "
            "secret). Every mistake in the file is listed first as FILE: field: message, and then "
            "nothing is run or stored (exit 2). Exit 0 when the run ends where the file's expect: "
            "says, 1 otherwise. The format: iqies-onboard schema; examples in examples/."
        ),
    )
    run.add_argument("--answers", metavar="FILE", type=Path, required=True,
                     help="the answers file (.yaml, .yml or .json)")
    run.add_argument("--interactive", action="store_true",
                     help="run what the file fills in, then open the wizard at the first step it leaves open")
    _common_options(run, argparse.SUPPRESS)
    plain = commands.add_parser(
        "plain",
        help="the wizard as plain questions and answers, one line at a time (screen readers, TERM=dumb)",
        description=(
            "The same steps, rules and saved progress as the wizard, asked one question at a time on "
            "standard output and answered on standard input: no colour, no cursor movement. At any "
            "question: ? help, < back, q save and quit, phone (the simulated phone), status (Pending Requests)."
        ),
    )
    _common_options(plain, argparse.SUPPRESS)
    schema = commands.add_parser(
        "schema", help="print the JSON schema of an answers file",
        description="Print the JSON schema of an answers file (for editors and validators).",
    )
    _common_options(schema, argparse.SUPPRESS)
    directory = commands.add_parser(
        "directory", help="the provider directory: import a newer CMS Provider Information download",
        description=(
            "The provider directory the Add Organizations page searches. Shipped: CMS's nursing "
            "homes, August 2021. `directory import FILE.csv` builds it from a newer CMS \"Provider "
            "Information\" download (data.cms.gov, nursing homes) into the data directory, used "
            "from then on; a file that is not such a download is refused and the directory in "
            "use is kept."
        ),
    )
    directory_commands = directory.add_subparsers(dest="directory_command", metavar="ACTION",
                                                  parser_class=_Parser, required=True)
    directory_import = directory_commands.add_parser(
        "import", help="build the directory from a CMS Provider Information CSV file",
        description="Build the provider directory from a CMS nursing-home Provider Information "
                    "CSV file (cp1252 or UTF-8) into the data directory; used from then on.",
    )
    directory_import.add_argument("file", metavar="FILE.csv", type=Path)
    _common_options(directory_import, argparse.SUPPRESS)
    _common_options(directory, argparse.SUPPRESS)
    return parser


class _QuietPipe:
    """``sys.stdout``, except that a reader who stops reading (``| head -1``) ends the output
    quietly: on a broken pipe, stdout is pointed at the null device (as the Python docs
    recommend) and the command goes on to its normal end, with no error line."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.broken = False
        self.failed = ""  # why stdout could not be written (a full disk, say): main exits 1

    def _unwritable(self, err: OSError) -> None:
        """Another write error (``> /dev/full``): said once on stderr, then the output is dropped
        as after a closed pipe (a support-log ``unexpected error`` would only mislead)."""
        if not self.failed:
            self.failed = err.strerror or type(err).__name__
            try:
                print(f"{PROG}: error: cannot write to standard output ({self.failed})", file=sys.stderr)
            except Exception:
                pass
        self._closed()

    def _closed(self) -> None:
        self.broken = True
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._closed()
            except OSError as err:
                self._unwritable(err)
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (BrokenPipeError, OSError) as err:
            if isinstance(err, BrokenPipeError):
                self._closed()
            else:
                self._unwritable(err)
            try:
                self._stream.flush()  # the rest goes to the null device
            except (OSError, ValueError):
                pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """The command line; a closed pipe on stdout ends it quietly (see ``_QuietPipe``)."""
    # No third-party pydantic plugin sees what the models validate (passwords and answers
    # among it), and pydantic skips scanning every installed package's entry points for one
    # when it builds the first model (pydantic's documented switch; an explicit setting wins).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    original = sys.stdout
    if original is None:  # started with standard output closed (``>&-``): nothing could be shown
        if sys.stderr is not None:
            print(f"{PROG}: error: standard output is closed; run it with its output going "
                  "somewhere (a terminal, a file or a pipe)", file=sys.stderr)
        return 2
    quiet = _QuietPipe(original)
    sys.stdout = quiet
    code: int = 1
    try:
        code = _main(argv)
    except SystemExit as done:  # --help, --version: still exit 1 if that output was lost
        quiet.flush()
        if quiet.failed and not done.code:
            raise SystemExit(1) from None
        raise
    except Exception as err:  # the last guard: never a traceback for a user
        code = _unexpected(err)
    finally:  # also after SystemExit (--help, --version, a bad argument)
        quiet.flush()
        if sys.stdout is quiet:
            sys.stdout = original
    return 1 if quiet.failed and code == 0 else code


def _unexpected(err: Exception) -> int:
    """One line for an error no command caught (a damaged install, say); exit 1."""
    ref = ""
    try:
        from wizard.log import log, log_error

        if log.handlers:  # the support log is open (not yet, when the error came before it)
            ref = f" (reference {log_error('cli', err)})"
    except Exception:
        pass
    from wizard.resources import data_dir

    missing = getattr(err, "filename", None) if isinstance(err, FileNotFoundError) else None
    if missing and data_dir() in Path(missing).parents:
        print(f"{PROG}: the data file {Path(missing).name} is missing from this installation{ref}; "
              f"reinstall iqies-onboard (for example: pipx reinstall iqies-onboard)", file=sys.stderr)
    else:
        print(f"{PROG}: stopped after an unexpected error{ref} ({type(err).__name__})", file=sys.stderr)
    return 1


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    from wizard.memory import return_large_blocks_to_os

    return_large_blocks_to_os()  # argon2id's 7 MiB block is not kept after each hash

    from wizard.mail import SMTP_ENV, SmtpSettingError, parse_smtp
    from wizard.storage import chosen_practice_account
    from wizard.store import DataDirError, default_data_dir

    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    practice_account = chosen_practice_account(args.practice_account, os.environ)
    smtp_text = args.smtp if args.smtp is not None else os.environ.get(SMTP_ENV)
    try:
        smtp = parse_smtp(smtp_text) if smtp_text else None
    except SmtpSettingError as err:
        return _error(str(err))
    from wizard.directory import use_data_dir

    use_data_dir(data_dir)  # an imported provider directory, if this data directory has one
    if args.command == "directory":
        from app.commands import directory_import

        return directory_import(data_dir, args.file)
    if args.command == "serve":
        from app.serve import ServeSettingError, check_max_sessions, serve

        try:
            return serve(data_dir, args.host, args.port, args.allow_remote, args.practice_account, smtp_text,
                         max_sessions=check_max_sessions(args.max_sessions))
        except (ServeSettingError, DataDirError) as err:
            return _error(str(err))
    if args.command == "report":
        from app.commands import report

        return report(data_dir, practice_account, args.output)
    if args.command == "schema":
        from app.commands import print_schema

        return print_schema()
    if args.command == "run":  # checks the whole file before it opens (or creates) anything
        from app.run import command

        return command(args.answers, data_dir=data_dir, practice_account=args.practice_account, default_practice_account=practice_account,
                       smtp=smtp, interactive=args.interactive)
    if args.command == "plain":
        from app.plain import command as plain_command

        return plain_command(data_dir, practice_account, smtp)
    if args.command == "demo":
        from app.demo import command as demo_command

        return demo_command(data_dir, persona=args.persona, scenario=args.scenario, smtp=smtp,
                            explicit_dir=args.data_dir is not None)
    if args.command is None:  # the full-screen wizard; a terminal without cursor control gets plain's way
        from wizard.plain import terminal_too_plain

        if too_plain := terminal_too_plain(os.environ):
            return _error(too_plain)
    from app.terminal import command as terminal_command

    return terminal_command(data_dir, practice_account, smtp, console=args.command == "approve",
                            demo=args.command == "approve" and args.demo)
