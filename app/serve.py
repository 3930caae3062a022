"""``iqies-onboard serve``: the wizard in a web browser through textual-serve.

textual-serve starts one app process per browser connection by running a shell command. The
command built here is ``python -m app.serve --data-dir DIR --practice-account PREFIX-<8 hex digits>``:
each browser tab has its own tab id (in its address, ``/?tab=...``), and the practice account is derived
from it, so a reloaded or reconnecting tab gets its own practice account back while two tabs
never fight over one practice account and trainees never see each other's typing. A closed tab's progress
stays in the data directory under its practice account name (``iqies-onboard --practice-account web-1a2b3c4d``
resumes it in a terminal); a tab closed before anything was typed leaves no practice account behind.

A join code, as notebook servers have: ``serve`` makes a random code and prints the address with
it (``/?code=...``). Every request without it (the page, static files, the websocket) is
refused, on loopback too (another user of a shared classroom machine can reach 127.0.0.1); the
first visit sets a cookie that carries it after that. ``--allow-remote`` serves a classroom
network with the same code. Even with the code, any web page the user visits could try to open
the wizard's websocket, so requests whose Host is not this computer (DNS rebinding) or whose
Origin is another site are refused, on every path. At most ``max_sessions`` tabs run at once
(each wizard is a process of about 60 MB); the next one gets a page saying so.

This module holds the commands; the settings and checks are :mod:`wizard.browser` (the domain's,
read by the server too), and the server itself (textual-serve) is built in :mod:`screens.web`,
imported only when it really starts.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TextIO

from wizard.browser import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_PRACTICE_ACCOUNT_PREFIX,
    REMOTE_WARNING,
    ServeSettingError,
    bind_message,
    check_host,
    check_max_sessions,
    check_port,
    check_port_free,
    check_practice_account_prefix,
    is_loopback,
    join_url,
    new_join_code,
    session_practice_account,
)
from wizard.store import check_practice_account_name

__all__ = ["ServeSettingError", "check_max_sessions", "serve", "session_command", "session_main"]


def session_command(
    data_dir: Path, prefix: str = DEFAULT_PRACTICE_ACCOUNT_PREFIX, smtp: str | None = None, python: str | None = None,
    practice_account: str | None = None,
) -> str:
    """The shell command textual-serve runs for a browser connection (``practice_account``: the tab's
    own practice account; without it, a fresh one)."""
    argv = [python or sys.executable, "-m", "app.serve", "--data-dir", str(Path(data_dir).absolute()),
            "--practice-account-prefix", prefix]
    if practice_account:
        argv += ["--practice-account", check_practice_account_name(practice_account)]
    if smtp:
        argv += ["--smtp", smtp]
    return shlex.join(argv)



# --- running ---------------------------------------------------------------------------------


def serve(
    data_dir: Path,
    host: str,
    port: int,
    allow_remote: bool,
    practice_account_prefix: str | None,
    smtp: str | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    code: str | None = None,
) -> int:
    """Validate, then serve until Ctrl+C or SIGTERM. Raises :class:`ServeSettingError` and
    :class:`DataDirError` for the caller to report in one line."""
    from wizard.store import Store

    port = check_port(port)
    host = check_host(host, allow_remote)
    prefix = check_practice_account_prefix(practice_account_prefix)
    store = Store(data_dir)  # a data directory that cannot be used fails here, not in every tab
    check_port_free(host, port)
    remote = not is_loopback(host)
    code = code or new_join_code()
    url = join_url(host, port, code)

    from wizard.log import event, setup_logging

    setup_logging(store.data_dir)
    event("serve", remote=remote)
    if remote:
        print(REMOTE_WARNING.format(where=f"port {port} on {host}", data_dir=store.data_dir), file=err)
    print(f"Serving the wizard at {url} (data directory {store.data_dir}).", file=out)
    print("Open that address, join code included, in each trainee's browser: without the code the "
          "browser view refuses every request.", file=out)
    print(f"Each browser tab gets its own practice account, {prefix}-<8 letters and digits>, "
          f"and gets it back when reloaded; at most {max_sessions} tabs at once. Ctrl+C stops.",
          file=out, flush=True)
    from screens.web import make_server  # the server itself is UI side

    data_dir_abs = store.data_dir

    def command_for(practice_account: str | None) -> str:
        return session_command(data_dir_abs, prefix, smtp, practice_account=practice_account)

    server = make_server(command_for(None), host, port, remote, code=code, prefix=prefix,
                         command_for=command_for, max_sessions=max_sessions, data_dir=data_dir_abs)
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        server.serve()
    except OSError as error:  # lost the race for the port after the probe
        raise ServeSettingError(bind_message(host, port, error)) from None
    return 0


# --- one browser tab -------------------------------------------------------------------------


def session_main(argv: list[str] | None = None) -> int:
    """What textual-serve runs for a browser tab: the wizard on a fresh practice account."""
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=session_main.__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--practice-account-prefix", default=DEFAULT_PRACTICE_ACCOUNT_PREFIX)
    parser.add_argument("--smtp")
    parser.add_argument("--practice-account", "--profile", dest="practice_account",
                        help="this tab's own practice account (default: a fresh one)")
    args = parser.parse_args(argv)
    from app import cli

    practice_account = check_practice_account_name(args.practice_account) if args.practice_account else session_practice_account(args.practice_account_prefix)
    forwarded = ["--data-dir", args.data_dir, "--practice-account", practice_account]
    if args.smtp:
        forwarded += ["--smtp", args.smtp]
    return cli.main(forwarded)


if __name__ == "__main__":
    raise SystemExit(session_main())
