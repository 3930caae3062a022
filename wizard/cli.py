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
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="where progress is kept (default: $IQIES_ONBOARD_HOME, else your user data directory)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    from wizard.store import DataDirError, Store, default_data_dir

    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    try:
        store = Store(data_dir)
        store.claim_wizard()
    except DataDirError as err:
        from wizard.sanitize import clean_line

        print(f"{PROG}: error: {clean_line(str(err))}", file=sys.stderr)
        return 2

    from wizard.log import event, log_error, setup_logging

    log_path = setup_logging(store.data_dir)
    event("start", version=__version__)
    if store.migrated_from is not None:
        event("migrated", frm=store.migrated_from)
    try:
        from screens.app import OnboardingApp  # the UI is imported only when it is needed
        from screens.errors import ErrorApp

        while True:
            app = OnboardingApp(store=store)
            app.run()
            if not app.error_references:
                break
            if not ErrorApp(app.error_references[-1], str(log_path)).run():
                return 1
            store.release_wizard()
            store = Store(store.data_dir)  # reopen where the saved progress says
            store.claim_wizard()
    except Exception as err:  # never a traceback for a user
        ref = log_error("cli", err)
        print(f"{PROG}: stopped after an unexpected error (reference {ref}); your progress up to "
              f"the last step is saved. Details without personal data: {log_path}", file=sys.stderr)
        return 1
    event("stop", code=app.return_code or 0)
    return app.return_code or 0
