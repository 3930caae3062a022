"""The commands that print and leave: ``report``, ``directory import`` and ``schema``. One line
for every failure, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

from app.guard import PROG, error_line


def directory_import(data_dir: Path, source: Path) -> int:
    """``iqies-onboard directory import FILE.csv``: one line either way; on any failure the
    directory in use is kept (exit 2 for a file that is not a download, 1 otherwise)."""
    from wizard.directory_build import DirectorySourceError, import_directory
    from wizard.sanitize import clean_line
    from wizard.store import DataDirError

    try:
        release, count = import_directory(source, data_dir)
    except DataDirError as err:
        return error_line(str(err))
    except DirectorySourceError as err:
        return error_line(f"{err}; the provider directory in use is kept")
    except FileNotFoundError:
        return error_line(f"{source} does not exist; the provider directory in use is kept")
    except OSError as err:
        return error_line(f"{source}: {err.strerror or err}; the provider directory in use is kept")
    except Exception as err:  # never a traceback for a user
        from wizard.log import log_error

        print(f"{PROG}: the import stopped after an unexpected error (reference "
              f"{log_error('directory', err)}); the provider directory in use is kept", file=sys.stderr)
        return 1
    print(clean_line(f"Provider directory: {release}, {count:,} providers; used from now on "
                     f"(in {data_dir})"))
    return 0


def report(data_dir: Path, practice_account: str, output: Path | None) -> int:
    """``iqies-onboard report``: only reads the practice account (no wizard claim, so it works while the
    wizard is open); 1 when there is nothing to report yet, 2 when the output cannot be written."""
    from wizard.flow import OnboardingFlow
    from wizard.log import setup_logging
    from wizard.report import ReportUnavailable, ReportWriteError, write_report
    from wizard.sanitize import clean_line
    from wizard.store import DataDirError, Store

    try:
        store = Store(data_dir, practice_account=practice_account)
        setup_logging(store.data_dir)
        paths = write_report(OnboardingFlow(store), output)
    except (DataDirError, ReportWriteError) as err:
        return error_line(str(err))
    except ReportUnavailable as err:
        print(f"{PROG}: {clean_line(str(err))}", file=sys.stderr)
        return 1
    except Exception as err:  # never a traceback for a user
        from wizard.log import log_error

        print(f"{PROG}: the report stopped after an unexpected error (reference "
              f"{log_error('report', err)}); nothing secret was written", file=sys.stderr)
        return 1
    for path in paths:
        print(clean_line(str(path)))
    return 0


def print_schema() -> int:
    """``iqies-onboard schema``: the answers file's JSON schema on stdout."""
    import json
    import os

    from wizard.answers import answers_schema

    try:
        print(json.dumps(answers_schema(), indent=2))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader stopped, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
