"""``iqies-onboard serve``: the wizard in a web browser through textual-serve.

textual-serve starts one app process per browser connection by running a shell command. The
command built here is ``python -m wizard.serve --data-dir DIR --profile PREFIX-<8 hex digits>``:
each browser tab has its own tab id (in its address, ``/?tab=...``), and the profile is derived
from it, so a reloaded or reconnecting tab gets its own practice account back while two tabs
never fight over one profile and trainees never see each other's typing. A closed tab's progress
stays in the data directory under its profile name (``iqies-onboard --profile web-1a2b3c4d``
resumes it in a terminal); a tab closed before anything was typed leaves no profile behind.

A join code, as notebook servers have: ``serve`` makes a random code and prints the address with
it (``/?code=...``). Every request without it (the page, static files, the websocket) is
refused, on loopback too (another user of a shared classroom machine can reach 127.0.0.1); the
first visit sets a cookie that carries it after that. ``--allow-remote`` serves a classroom
network with the same code. Even with the code, any web page the user visits could try to open
the wizard's websocket, so requests whose Host is not this computer (DNS rebinding) or whose
Origin is another site are refused, on every path. At most ``max_sessions`` tabs run at once
(each wizard is a process of about 60 MB); the next one gets a page saying so.

This module holds the settings, checks and commands; the server itself (textual-serve) is built
in :mod:`screens.web`, imported only when it really starts.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import ipaddress
import re
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from wizard.store import DataDirError, check_profile_name

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PROFILE_PREFIX = "web"
SESSION_SUFFIX_HEX = 8  # 32 random bits: collisions in one classroom are out of the question
TITLE = "iqies-onboard: PSO onboarding practice sandbox"

DEFAULT_MAX_SESSIONS = 20  # each tab's wizard is a process of about 60 MB
JOIN_CODE_BYTES = 16  # 128 random bits, as a notebook server's token
CODE_PARAM = "code"
TAB_PARAM = "tab"
_TAB_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")

REMOTE_WARNING = (
    "warning: anyone who can reach {where} and has the join address printed below can use the "
    "wizard and start practice accounts in {data_dir}. Give it only to your trainees, and serve "
    "beyond this computer only on a network you trust."
)

_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


class ServeSettingError(ValueError):
    """A --host, --port or --profile for ``serve`` that cannot be used (one line for the user)."""


# --- settings -------------------------------------------------------------------------------


def check_port(text: str | int) -> int:
    value = str(text).strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 65536:
        raise ServeSettingError(f"--port {text!r} is not a port number: use a whole number from 1 to 65535")
    return int(value)


def check_max_sessions(text: str | int) -> int:
    value = str(text).strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= 1000:
        raise ServeSettingError(f"--max-sessions {text!r} is not a number of tabs: use a whole number from 1 to 1000")
    return int(value)


def is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_host(text: str, allow_remote: bool) -> str:
    """The address to listen on: an IP address or a host name; loopback unless ``allow_remote``."""
    host = (text or "").strip().strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if len(host) > 253 or not _HOSTNAME.fullmatch(host):
            raise ServeSettingError(
                f"--host {text!r} is not an IP address or host name (for example 127.0.0.1)"
            ) from None
    if not allow_remote and not is_loopback(host):
        raise ServeSettingError(
            f"--host {host} is reachable from other computers, where anyone who has the join address "
            "drives a trainee's session; "
            "add --allow-remote to serve there anyway, or leave --host out for 127.0.0.1"
        )
    return host


def check_profile_prefix(prefix: str | None) -> str:
    prefix = DEFAULT_PROFILE_PREFIX if prefix is None else prefix
    try:
        check_profile_name(f"{prefix}-{'0' * SESSION_SUFFIX_HEX}")
    except DataDirError:
        raise ServeSettingError(
            f"--profile {prefix!r} cannot start the per-tab profile names: use 1 to "
            f"{39 - SESSION_SUFFIX_HEX} letters, digits, dots, dashes or underscores, starting with "
            "a letter or digit"
        ) from None
    return prefix


def session_profile(prefix: str = DEFAULT_PROFILE_PREFIX) -> str:
    """A fresh practice profile for one browser tab."""
    return check_profile_name(f"{prefix}-{secrets.token_hex(SESSION_SUFFIX_HEX // 2)}")


def new_join_code() -> str:
    return secrets.token_urlsafe(JOIN_CODE_BYTES)


def code_matches(given: str | None, code: str) -> bool:
    """True when ``given`` is the join code (compared in constant time)."""
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), code.encode())


def cookie_name(port: int) -> str:
    """The join cookie's name: cookies are per host, not per port, so two servers on one
    computer each keep their own."""
    return f"iqies_join_{port}"


def new_tab_id() -> str:
    return secrets.token_urlsafe(16)


def valid_tab_id(text: str | None) -> bool:
    return bool(text) and _TAB_ID.fullmatch(text) is not None


def tab_profile(prefix: str, tab: str) -> str:
    """The practice profile of one browser tab: the same tab id, the same account. The id is
    random (128 bits) and never shown; the profile name derived from it does not reveal it."""
    if not valid_tab_id(tab):
        raise ValueError("not a tab id")
    digest = hashlib.sha256(tab.encode("ascii")).hexdigest()
    return check_profile_name(f"{prefix}-{digest[:SESSION_SUFFIX_HEX]}")


def profile_untouched(data_dir: Path, profile: str) -> bool:
    """True for a tab's profile that holds nothing a trainee typed (no account, no drafts)."""
    from wizard.store import Store

    path = Path(data_dir) / "profiles" / f"{profile}.json"
    if not path.exists():
        return False
    try:
        account = Store(data_dir, profile=profile).load_account()
    except Exception:  # noqa: BLE001 - unreadable: keep it, its owner is told
        return False
    if not account:
        return True
    drafts = account.get("drafts") or {}
    typed = any(value not in (None, "", [], {}, False) for draft in drafts.values()
                for value in (draft or {}).values())
    return not account.get("user_id") and not typed and not account.get("profile")


def remove_untouched_profile(data_dir: Path, profile: str) -> bool:
    """Delete a closed tab's profile when nothing was typed in it; True if removed."""
    if not profile_untouched(data_dir, profile):
        return False
    try:
        (Path(data_dir) / "profiles" / f"{profile}.json").unlink()
    except OSError:
        return False
    return True


def join_url(host: str, port: int, code: str) -> str:
    return f"{url_for(host, port)}/?{CODE_PARAM}={code}"


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def session_command(
    data_dir: Path, prefix: str = DEFAULT_PROFILE_PREFIX, smtp: str | None = None, python: str | None = None,
    profile: str | None = None,
) -> str:
    """The shell command textual-serve runs for a browser connection (``profile``: the tab's
    own practice account; without it, a fresh one)."""
    argv = [python or sys.executable, "-m", "wizard.serve", "--data-dir", str(Path(data_dir).absolute()),
            "--profile-prefix", prefix]
    if profile:
        argv += ["--profile", check_profile_name(profile)]
    if smtp:
        argv += ["--smtp", smtp]
    return shlex.join(argv)


def check_port_free(host: str, port: int) -> None:
    """Fail early, with one line, where the server could not listen (aiohttp would raise)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ServeSettingError(f"--host {host}: cannot listen there ({err.strerror})") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            try:
                probe.bind(address)
            except OSError as err:
                raise ServeSettingError(_bind_message(host, port, err)) from None


def _bind_message(host: str, port: int, err: OSError) -> str:
    import errno

    if err.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; choose another with --port N"
    if err.errno == errno.EACCES:
        return f"port {port} on {host} needs administrator rights; choose a port above 1023 with --port N"
    return f"cannot listen on {host} port {port}: {err.strerror or err}"


# --- which requests the server answers ------------------------------------------------------


def request_allowed(host_header: str | None, origin: str | None, remote: bool) -> bool:
    """True for a request a browser made from the wizard's own page.

    ``host_header`` must name this computer unless the server was opened to the network (a page on
    another site that re-points its own name at 127.0.0.1 sends its own name). ``origin``, which
    browsers always send with a websocket, must be the page the wizard served (its own host and
    port), so another site's page cannot drive a wizard in the user's browser. Clients that send
    no Origin are not browsers and gain nothing a direct connection would not give them.
    """
    if not host_header:
        return False
    parsed = urlsplit(f"http://{host_header}")
    try:
        hostname = parsed.hostname
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    if not hostname or (not remote and not is_loopback(hostname)):
        return False
    if origin is None:
        return True
    return origin.rstrip("/").lower() == f"http://{host_header}".lower()


# --- running ---------------------------------------------------------------------------------


def serve(
    data_dir: Path,
    host: str,
    port: int,
    allow_remote: bool,
    profile_prefix: str | None,
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
    prefix = check_profile_prefix(profile_prefix)
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
    print(f"Each browser tab gets its own practice account, profile {prefix}-<8 letters and digits>, "
          f"and gets it back when reloaded; at most {max_sessions} tabs at once. Ctrl+C stops.",
          file=out, flush=True)
    from screens.web import make_server  # the server itself is UI side

    data_dir_abs = store.data_dir

    def command_for(profile: str | None) -> str:
        return session_command(data_dir_abs, prefix, smtp, profile=profile)

    server = make_server(command_for(None), host, port, remote, code=code, prefix=prefix,
                         command_for=command_for, max_sessions=max_sessions, data_dir=data_dir_abs)
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        server.serve()
    except OSError as error:  # lost the race for the port after the probe
        raise ServeSettingError(_bind_message(host, port, error)) from None
    return 0


# --- one browser tab -------------------------------------------------------------------------


def session_main(argv: list[str] | None = None) -> int:
    """What textual-serve runs for a browser tab: the wizard on a fresh profile."""
    parser = argparse.ArgumentParser(prog="python -m wizard.serve", description=session_main.__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--profile-prefix", default=DEFAULT_PROFILE_PREFIX)
    parser.add_argument("--smtp")
    parser.add_argument("--profile", help="this tab's own practice profile (default: a fresh one)")
    args = parser.parse_args(argv)
    from wizard import cli

    profile = check_profile_name(args.profile) if args.profile else session_profile(args.profile_prefix)
    forwarded = ["--data-dir", args.data_dir, "--profile", profile]
    if args.smtp:
        forwarded += ["--smtp", args.smtp]
    return cli.main(forwarded)


if __name__ == "__main__":
    raise SystemExit(session_main())
