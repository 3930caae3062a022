"""The ``iqies-onboard`` command line. Bad arguments and unusable data directories get one line
on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wizard import __version__

PROG = "iqies-onboard"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message} (see {PROG} --help)\n")


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
        "--profile",
        metavar="NAME",
        default=default,
        help="whose practice account: one per trainee in a shared data directory (default: $IQIES_ONBOARD_PROFILE, else 'default')",
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
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
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
    _common_options(approve, argparse.SUPPRESS)
    return parser


def _error(message: str) -> int:
    from wizard.sanitize import clean_line

    print(f"{PROG}: error: {clean_line(message)}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    import os

    parser = build_parser()
    args = parser.parse_args(argv)

    from wizard.mail import SMTP_ENV, SmtpSettingError, parse_smtp
    from wizard.store import DataDirError, Store, default_data_dir

    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    profile = args.profile if args.profile is not None else os.environ.get("IQIES_ONBOARD_PROFILE") or "default"
    smtp_text = args.smtp if args.smtp is not None else os.environ.get(SMTP_ENV)
    try:
        smtp = parse_smtp(smtp_text) if smtp_text else None
    except SmtpSettingError as err:
        return _error(str(err))
    console = args.command == "approve"

    def open_store() -> Store:
        store = Store(data_dir, profile=profile, smtp=smtp)
        if not console:
            store.claim_wizard()
        return store

    try:
        store = open_store()
    except DataDirError as err:
        return _error(str(err))

    from wizard.log import event, log_error, setup_logging

    log_path = setup_logging(store.data_dir)
    event("start", version=__version__, command=args.command or "wizard")
    if store.migrated_from is not None:
        event("migrated", frm=store.migrated_from)
    try:
        from screens.errors import ErrorApp

        while True:
            if console:
                from screens.console import ApproverConsoleApp

                app = ApproverConsoleApp(store=store)
            else:
                from screens.app import OnboardingApp  # the UI is imported only when it is needed

                app = OnboardingApp(store=store)
            app.run()
            if not app.error_references:
                break
            if not ErrorApp(app.error_references[-1], str(log_path)).run():
                return 1
            store.release_wizard()
            store = open_store()  # reopen where the saved progress says
    except DataDirError as err:
        return _error(str(err))
    except Exception as err:  # never a traceback for a user
        ref = log_error("cli", err)
        print(f"{PROG}: stopped after an unexpected error (reference {ref}); your progress up to "
              f"the last step is saved. Details without personal data: {log_path}", file=sys.stderr)
        return 1
    event("stop", code=app.return_code or 0)
    return app.return_code or 0
