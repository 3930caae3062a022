"""The browser view's settings and checks (``iqies-onboard serve``), with no UI: --host, --port,
--max-sessions and the per-tab practice account names, the join code, the tab ids and their practice accounts, and
which requests the server answers (loopback unless allowed, Host and Origin, DNS rebinding).

The command that starts the server is :mod:`app.serve`; the server itself (textual-serve) is
:mod:`screens.web`, which reads these checks here.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

from wizard.store import PRACTICE_ACCOUNTS_DIR, DataDirError, check_practice_account_name

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PRACTICE_ACCOUNT_PREFIX = "web"
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
    """A --host, --port or --practice-account for ``serve`` that cannot be used (one line for the user)."""


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


def check_practice_account_prefix(prefix: str | None) -> str:
    prefix = DEFAULT_PRACTICE_ACCOUNT_PREFIX if prefix is None else prefix
    try:
        check_practice_account_name(f"{prefix}-{'0' * SESSION_SUFFIX_HEX}")
    except DataDirError:
        raise ServeSettingError(
            f"--practice-account {prefix!r} cannot start the per-tab practice account names: use 1 to "
            f"{39 - SESSION_SUFFIX_HEX} letters, digits, dots, dashes or underscores, starting with "
            "a letter or digit"
        ) from None
    return prefix


def session_practice_account(prefix: str = DEFAULT_PRACTICE_ACCOUNT_PREFIX) -> str:
    """A fresh practice account for one browser tab."""
    return check_practice_account_name(f"{prefix}-{secrets.token_hex(SESSION_SUFFIX_HEX // 2)}")


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


def tab_practice_account(prefix: str, tab: str) -> str:
    """The practice account of one browser tab: the same tab id, the same account. The id is
    random (128 bits) and never shown; the practice account name derived from it does not reveal it."""
    if not valid_tab_id(tab):
        raise ValueError("not a tab id")
    digest = hashlib.sha256(tab.encode("ascii")).hexdigest()
    return check_practice_account_name(f"{prefix}-{digest[:SESSION_SUFFIX_HEX]}")


def practice_account_untouched(data_dir: Path, practice_account: str) -> bool:
    """True for a tab's practice account that holds nothing a trainee typed (no account, no drafts)."""
    from wizard.store import Store

    path = Path(data_dir) / PRACTICE_ACCOUNTS_DIR / f"{practice_account}.json"
    if not path.exists():
        return False
    try:
        account = Store(data_dir, practice_account=practice_account).load_account()
    except Exception:  # noqa: BLE001 - unreadable: keep it, its owner is told
        return False
    if not account:
        return True
    drafts = account.get("drafts") or {}
    typed = any(value not in (None, "", [], {}, False) for draft in drafts.values()
                for value in (draft or {}).values())
    return not account.get("user_id") and not typed and not account.get("profile")


def remove_untouched_practice_account(data_dir: Path, practice_account: str) -> bool:
    """Delete a closed tab's practice account when nothing was typed in it; True if removed."""
    if not practice_account_untouched(data_dir, practice_account):
        return False
    try:
        (Path(data_dir) / PRACTICE_ACCOUNTS_DIR / f"{practice_account}.json").unlink()
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
                raise ServeSettingError(bind_message(host, port, err)) from None


def bind_message(host: str, port: int, err: OSError) -> str:
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
