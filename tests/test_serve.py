"""The browser view (app/serve.py, wizard/browser.py, ``iqies-onboard serve``).

Unit tests of the settings and the request check, CLI tests of the refusals, and an end-to-end
test that starts ``serve`` as a real process and drives it in a real headless Chromium over the
DevTools protocol (DESIGN.md section 7): the page loads, the wizard renders, and keys typed in
the browser reach the first field, checked on the server side in the profile's saved draft.
Every process started here (server, its app processes, Chromium) is killed by process group at
the end, pass or fail.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shlex
import shutil
import signal
import struct
import zlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from app import serve as serve_mod
from app.serve import session_command
from wizard.browser import (
    REMOTE_WARNING,
    ServeSettingError,
    check_host,
    check_port,
    check_practice_account_prefix,
    request_allowed,
    session_practice_account,
)
from wizard.store import Store, check_practice_account_name

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SERVE_STARTUP_SECONDS = 30
PAGE_READY_SECONDS = 60  # the first tab also imports the whole app: slow on a loaded machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "IQIES_ONBOARD_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("IQIES_ONBOARD_PROFILE", None)
    env.pop("IQIES_ONBOARD_PRACTICE_ACCOUNT", None)
    return env


def run_cli(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True, text=True, env=cli_env(home), cwd=ROOT, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM then SIGKILL to the process group we started (the process is its leader)."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; children (app processes, renderers) may still be in the group
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


# --- settings (no server) -------------------------------------------------------------------


@pytest.mark.parametrize("text,port", [("8000", 8000), ("1", 1), ("65535", 65535), (" 8080 ", 8080)])
def test_port_accepted(text, port):
    assert check_port(text) == port


@pytest.mark.parametrize("text", ["0", "65536", "-1", "abc", "", "80.5", "١٢٣", "0x50"])
def test_port_refused(text):
    with pytest.raises(ServeSettingError, match="--port"):
        check_port(text)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts_need_no_flag(host):
    assert check_host(host, allow_remote=False) == host.strip("[]")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "classroom.example.org"])
def test_other_hosts_need_allow_remote(host):
    with pytest.raises(ServeSettingError, match="--allow-remote"):
        check_host(host, allow_remote=False)
    assert check_host(host, allow_remote=True) == host


@pytest.mark.parametrize("host", ["", "bad!host", "a b", "-lead.example", "x" * 300, "http://x"])
def test_malformed_hosts_refused_even_with_allow_remote(host):
    with pytest.raises(ServeSettingError, match="not an IP address or host name"):
        check_host(host, allow_remote=True)


def test_each_session_gets_a_fresh_valid_practice_account():
    names = {session_practice_account() for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert name.startswith("web-") and len(name) == len("web-") + 8
        assert check_practice_account_name(name) == name
    assert session_practice_account("room3").startswith("room3-")


def test_practice_account_prefix_must_leave_room_for_the_session_suffix():
    assert check_practice_account_prefix(None) == "web"
    assert check_practice_account_prefix("x" * 31) == "x" * 31
    for bad in ("x" * 32, "../x", "", "-x"):
        with pytest.raises(ServeSettingError, match="--practice-account"):
            check_practice_account_prefix(bad)


def test_the_server_side_stays_textual_free(tmp_path):
    """Building the server (textual-serve, aiohttp) imports no textual: only the tab's own wizard
    process runs the UI."""
    code = (
        "import sys\n"
        "from screens.web import make_server\n"
        "server = make_server('true', '127.0.0.1', 8000, False)\n"
        "assert type(server).__mro__[1].__module__ == 'textual_serve.server'\n"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=cli_env(tmp_path / "home"), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_session_command_runs_the_session_entry_with_quoted_arguments(tmp_path):
    data_dir = tmp_path / "class room; rm -rf ~"
    argv = shlex.split(session_command(data_dir, "room3", "mail.example:2525", python="/opt/py thon"))
    assert argv == [
        "/opt/py thon", "-m", "app.serve", "--data-dir", str(data_dir), "--practice-account-prefix", "room3",
        "--smtp", "mail.example:2525",
    ]


def test_session_main_runs_the_wizard_on_a_fresh_practice_account(monkeypatch, tmp_path):
    from app import cli

    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv) or 0)
    assert serve_mod.session_main(["--data-dir", str(tmp_path), "--practice-account-prefix", "room3"]) == 0
    assert serve_mod.session_main(["--data-dir", str(tmp_path), "--practice-account-prefix", "room3"]) == 0
    (first, second) = seen
    assert first[:2] == ["--data-dir", str(tmp_path)] and first[2] == "--practice-account"
    assert first[3].startswith("room3-") and second[3].startswith("room3-") and first[3] != second[3]


@pytest.mark.parametrize(
    "host,origin,remote,allowed",
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000", False, True),
        ("localhost:8000", "http://localhost:8000", False, True),
        ("[::1]:8000", "http://[::1]:8000", False, True),
        ("127.0.0.1:8000", None, False, True),  # not a browser
        ("127.0.0.1:8000", "http://evil.example", False, False),  # another site's page
        ("127.0.0.1:8000", "http://127.0.0.1:9000", False, False),
        ("evil.example:8000", "http://evil.example:8000", False, False),  # DNS rebinding
        ("evil.example:8000", "http://evil.example:8000", True, True),
        ("classroom.lan:8000", "http://other.lan:8000", True, False),
        (None, None, False, False),
        ("127.0.0.1:port", None, False, False),
    ],
)
def test_request_allowed(host, origin, remote, allowed):
    assert request_allowed(host, origin, remote) is allowed


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_serve_help(home):
    out = run_cli("serve", "--help", home=home)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert text.startswith("usage: iqies-onboard serve")
    for needed in ("--host", "--port", "--allow-remote", "127.0.0.1", "Each browser tab", "web-<8",
                   "join code", "--data-dir", "--practice-account", "--profile", "--max-sessions"):
        assert needed in text, needed
    assert not home.exists()


def test_top_level_help_lists_serve(home):
    out = run_cli("--help", home=home)
    assert "serve" in out.stdout and "web browser" in out.stdout


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--port", "abc"], "--port 'abc' is not a port number"),
        (["--port", "0"], "--port '0' is not a port number"),
        (["--port", "99999"], "--port '99999' is not a port number"),
        (["--host", "0.0.0.0"], "--host 0.0.0.0 is reachable from other computers"),
        (["--host", "192.168.1.20", "--port", "8001"], "add --allow-remote"),
        (["--host", "bad!host", "--allow-remote"], "--host 'bad!host' is not an IP address"),
        (["--profile", "a/b"], "--practice-account 'a/b' cannot start the per-tab practice account names"),
        (["--smtp", "nohost"], "SMTP"),
    ],
)
def test_bad_serve_settings_one_line_exit_2(home, args, expected):
    out = run_cli("serve", *args, home=home)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("iqies-onboard: error: ")
    assert expected.lower() in lines[0].lower()
    assert "Traceback" not in out.stderr


def test_data_dir_options_work_after_the_command(tmp_path):
    # --data-dir given after `serve` is the one used: a file there is refused, in one line
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    out = run_cli("serve", "--data-dir", str(blocker), "--port", str(free_port()), home=tmp_path / "home")
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.splitlines()) == 1 and str(blocker) in out.stderr
    assert not (tmp_path / "home").exists()


def test_port_in_use_one_line_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run_cli("--data-dir", str(tmp_path / "d"), "serve", "--port", str(port), home=tmp_path / "h")
    assert out.returncode == 2
    assert out.stderr == f"iqies-onboard: error: port {port} on 127.0.0.1 is already in use; choose another with --port N\n"


def start_server(data_dir: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    """Start ``serve``; returns the process and port, with the join address it printed in
    ``process.join_url``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--data-dir", str(data_dir), "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=cli_env(data_dir.parent / "home"), cwd=ROOT, start_new_session=True,
    )
    first = process.stdout.readline()  # printed before it listens (or it exited)
    found = re.search(r"at (http://\S+/\?code=[A-Za-z0-9_-]+) ", first)
    if not found:
        stop_group(process)
        raise AssertionError(f"serve printed no join address: {first!r} {process.stderr.read()}")
    process.join_url = found.group(1).replace("0.0.0.0", "127.0.0.1")
    process.printed = first
    deadline = time.monotonic() + SERVE_STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                pass
        except urllib.error.HTTPError as refused:
            if refused.code == 403:  # listening, and refusing a request without the code
                return process, port
        except OSError:
            time.sleep(0.2)
    stop_group(process)
    raise AssertionError("serve did not answer in time")


def test_allow_remote_warns_that_there_is_no_sign_in(tmp_path):
    process, port = start_server(tmp_path / "data", "--host", "0.0.0.0", "--allow-remote")
    try:
        os.killpg(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        stop_group(process)
    assert process.returncode == 0, err
    warning = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, err
    assert "join address" in warning[0] and f"port {port} on 0.0.0.0" in warning[0]
    assert "Traceback" not in err
    assert f"http://127.0.0.1:{port}/?code=" in process.printed


def test_the_page_loads_nothing_from_outside_this_computer(tmp_path):
    """textual-serve's own page fetched a web font from fonts.googleapis.com."""
    process, port = start_server(tmp_path / "data")
    try:
        import http.cookiejar

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(process.join_url, timeout=5) as page:  # the code, then its cookie
            html = page.read().decode()
    finally:
        stop_group(process)
    assert "<title>iqies-onboard: practice sandbox</title>" in html
    assert not re.findall(r"""(?:src|href|url)\s*[=(]\s*["']((?:https?:)?//[^"']+)""", html)
    assert re.findall(r"""src\s*=\s*["'](/static/[^"']+)""", html)  # its own server's, relative
    assert "googleapis" not in html
    assert "textual.js" in html  # still textual-serve's page otherwise


def test_loopback_serve_prints_no_warning_and_stops_cleanly(tmp_path):
    process, port = start_server(tmp_path / "data")
    try:
        os.killpg(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        stop_group(process)
    assert process.returncode == 0
    assert err == ""
    assert f"Serving the wizard at http://127.0.0.1:{port}/?code=" in process.printed


def test_remote_warning_names_the_risk():
    text = REMOTE_WARNING.format(where="port 8000 on 0.0.0.0", data_dir="/tmp/class")
    assert "join address" in text and "anyone who can reach port 8000 on 0.0.0.0" in text


def jar():
    import aiohttp

    return aiohttp.CookieJar(unsafe=True)  # keep cookies from 127.0.0.1, as browsers do


async def test_foreign_pages_are_refused(tmp_path):
    import aiohttp

    process, port = start_server(tmp_path / "data")
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as http:
            async with http.get(process.join_url, headers={"Host": f"evil.example:{port}"}) as r:
                assert r.status == 403
            async with http.get(process.join_url) as r:
                assert r.status == 200
                page = await r.text()
                tab = re.search(r'data-tab="([A-Za-z0-9_-]+)"', page).group(1)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"http://127.0.0.1:{port}/ws/{tab}", origin="http://evil.example")
            assert refused.value.status == 403
    finally:
        stop_group(process)
    # no wizard process was started for the refused websocket: no practice account exists
    assert Store(tmp_path / "data").accounts() == []


async def test_every_request_without_the_join_code_is_refused(tmp_path):
    """Page, static files and websocket, on loopback too; the code in the address sets a
    cookie that carries it after that; a wrong code is no code."""
    import aiohttp

    process, port = start_server(tmp_path / "data")
    base = f"http://127.0.0.1:{port}"
    code = process.join_url.split("code=", 1)[1]
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as http:
            for path in ("/", "/static/js/textual.js", "/static/", "/?tab=" + "a" * 22, f"/?code={code}x"):
                async with http.get(base + path, allow_redirects=False) as r:
                    assert r.status == 403, path
                    assert "join code" in await r.text()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{base}/ws/{'a' * 22}", origin=base)
            assert refused.value.status == 403
            assert len(http.cookie_jar) == 0
            async with http.get(process.join_url, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"].startswith("/?tab=")
                assert code not in r.headers["Location"]  # the cookie carries it from here
                assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Strict" in r.headers["Set-Cookie"]
            async with http.get(base + "/static/js/textual.js") as r:
                assert r.status == 200
            async with http.get(base + "/static/") as r:
                assert r.status in (403, 404)  # no directory listing
                assert "textual.js" not in await r.text()
            # Host is checked on /static/ too, with the cookie
            async with http.get(base + "/static/js/textual.js", headers={"Host": f"evil.example:{port}"}) as r:
                assert r.status == 403
        assert Store(tmp_path / "data").accounts() == []
    finally:
        stop_group(process)


def test_an_empty_host_header_is_refused_cleanly(tmp_path):
    process, port = start_server(tmp_path / "data")
    try:
        for path in ("/", "/static/js/textual.js"):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                raw.sendall(f"GET {path} HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n".encode())
                answer = raw.recv(4096).decode("latin-1")
            assert answer.startswith("HTTP/1.1 400") or answer.startswith("HTTP/1.1 403"), answer
        os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    finally:
        stop_group(process)
    assert "Traceback" not in err and err == "", err


async def test_a_crafted_host_is_not_written_into_the_page(tmp_path):
    import aiohttp

    process, port = start_server(tmp_path / "data", "--host", "0.0.0.0", "--allow-remote")
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as http:
            crafted = f"x-crafted-name.example:{port}"
            async with http.get(process.join_url, headers={"Host": crafted}) as r:
                assert r.status == 200
                page = await r.text()
        assert "x-crafted-name" not in page and "ws://" not in page.split("<script>")[0]
    finally:
        stop_group(process)


async def read_screen(ws, seconds: float = 30, until: int = 3000) -> int:
    import aiohttp

    got, deadline = 0, time.monotonic() + seconds
    while got < until and time.monotonic() < deadline:
        message = await ws.receive(timeout=seconds)
        if message.type == aiohttp.WSMsgType.BINARY:
            got += len(message.data)
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
    return got


async def wait_until(check, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.25)
    return True


async def test_a_reconnecting_tab_gets_its_own_account_back(tmp_path):
    """The same tab (its address) reconnects to its own practice account; a new tab gets a new
    one; a tab closed before anything was typed leaves no practice account behind."""
    import aiohttp

    data_dir = tmp_path / "data"
    process, port = start_server(data_dir)
    base = f"http://127.0.0.1:{port}"
    practice_accounts = data_dir / "profiles"
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as http:
            async with http.get(process.join_url) as r:
                tab_url = str(r.url)
                tab = re.search(r'data-tab="([A-Za-z0-9_-]+)"', await r.text()).group(1)
            ws = await http.ws_connect(f"{base}/ws/{tab}?width=80&height=24", origin=base)
            assert await read_screen(ws) > 0
            await ws.send_str(json.dumps(["stdin", "Zelda\t"]))  # Tab leaves the field: saved
            assert await wait_until(lambda: list(first_names_by_practice_account(data_dir).values()) == ["Zelda"])
            await ws.close()
            [first] = first_names_by_practice_account(data_dir)
            # the same tab reloads (its address keeps the tab id) and reconnects
            async with http.get(tab_url) as r:
                assert r.status == 200 and f'data-tab="{tab}"' in await r.text()
            ws = await http.ws_connect(f"{base}/ws/{tab}?width=80&height=24", origin=base)
            assert await read_screen(ws) > 0
            await ws.send_str(json.dumps(["stdin", "\x1b[Z\x1b[Z"]))  # moves about, types nothing
            await asyncio.sleep(1)
            await ws.close()
            assert first_names_by_practice_account(data_dir) == {first: "Zelda"}
            # a new tab: a new account, removed when closed untouched
            async with http.get(process.join_url) as r:
                other = re.search(r'data-tab="([A-Za-z0-9_-]+)"', await r.text()).group(1)
            assert other != tab
            ws = await http.ws_connect(f"{base}/ws/{other}?width=80&height=24", origin=base)
            assert await read_screen(ws) > 0
            assert await wait_until(lambda: len(list(practice_accounts.glob("*.json"))) == 2)
            await ws.close()
            assert await wait_until(lambda: [p.stem for p in practice_accounts.glob("*.json")] == [first])
    finally:
        stop_group(process)


async def test_a_full_browser_view_says_so(tmp_path):
    import aiohttp

    process, port = start_server(tmp_path / "data", "--max-sessions", "1")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as http:
            async with http.get(process.join_url) as r:
                tab = re.search(r'data-tab="([A-Za-z0-9_-]+)"', await r.text()).group(1)
            ws = await http.ws_connect(f"{base}/ws/{tab}?width=80&height=24", origin=base)
            assert await read_screen(ws) > 0
            async with http.get(process.join_url) as r:
                assert r.status == 503
                assert "full" in await r.text()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{base}/ws/{'b' * 22}", origin=base)
            assert refused.value.status == 503
            await ws.close()
    finally:
        stop_group(process)


# --- a real browser ---------------------------------------------------------------------------


def _install_chromium() -> str | None:
    """Install Debian's chromium when it is missing and we can: returns why not, or None."""
    if os.path.exists(CHROMIUM):
        return None
    if shutil.which("apt-get") is None:
        return "Chromium is not installed and apt-get is not available to install it"
    if os.geteuid() != 0:
        return "Chromium is not installed and installing it needs root (apt-get install -y chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    attempts = [install, ["apt-get", "update", "-q"], install]  # the package lists may be stale
    last = None
    for command in attempts:
        try:
            last = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
        except subprocess.TimeoutExpired:
            return f"{shlex.join(command)} did not finish in 20 minutes"
        if command is install and last.returncode == 0 and os.path.exists(CHROMIUM):
            return None
    detail = (last.stderr or last.stdout).strip().splitlines()[-1:] if last else []
    return f"Chromium could not be installed with apt-get ({' '.join(detail) or 'no output'})"


def test_chromium_install_gives_a_reason_where_it_cannot_run(monkeypatch):
    ran = []
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert _install_chromium() == "Chromium is not installed and installing it needs root (apt-get install -y chromium)"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get is not available" in _install_chromium()
    assert ran == []  # nothing was tried without the means to install


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = _install_chromium()
    if reason:
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def browser(chromium: str):
    """A headless Chromium with a DevTools port; yields the port."""
    port = free_port()
    profile_dir = tempfile.mkdtemp(prefix="iqies-chromium-")
    process = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile_dir}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"Chromium did not open its DevTools port (exit {process.poll()})")
                time.sleep(0.2)
        yield port
    finally:
        stop_group(process)
        shutil.rmtree(profile_dir, ignore_errors=True)


@pytest.fixture
def server(tmp_path: Path):
    data_dir = tmp_path / "class"
    process, port = start_server(data_dir)
    try:
        yield data_dir, port, process
    finally:
        stop_group(process)


class Tab:
    """One browser tab spoken to over the DevTools protocol (events are ignored)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.last_id = 0

    async def call(self, method: str, timeout: float = 30, **params):
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), timeout)
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        # a background tab keeps its focus, so keys reach the terminal in every tab
        await self.call("Emulation.setFocusEmulationEnabled", enabled=True)
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + PAGE_READY_SECONDS
        while "-first-byte" not in (await self.evaluate("document.body ? document.body.className : ''") or ""):
            assert time.monotonic() < deadline, "the terminal never received its first byte"
            await asyncio.sleep(0.25)

    async def focus_terminal(self) -> None:
        # what a person's first click into the page does: textual-serve does not focus the
        # terminal by itself, and keys sent before land on <body>
        focused = await self.evaluate(
            "(() => { const t = document.querySelector('.xterm-helper-textarea');"
            " if (t) t.focus(); return document.activeElement === t; })()"
        )
        assert focused, "the terminal's key input could not be focused"

    async def type_text(self, text: str) -> None:
        for char in text:
            await self.call("Input.dispatchKeyEvent", type="keyDown", text=char, key=char, unmodifiedText=char)
            await self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    async def press_tab(self) -> None:
        keys = dict(key="Tab", code="Tab", windowsVirtualKeyCode=9, nativeVirtualKeyCode=9)
        await self.call("Input.dispatchKeyEvent", type="rawKeyDown", **keys)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **keys)

    async def screenshot(self) -> bytes:
        await self.call("Page.bringToFront")  # a background tab draws no frames to capture
        return base64.b64decode((await self.call("Page.captureScreenshot", format="png"))["data"])


async def new_tab(http, devtools_port: int) -> Tab:
    async with http.put(f"http://127.0.0.1:{devtools_port}/json/new?about:blank") as response:
        target = json.loads(await response.text())
    ws = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
    return Tab(ws)


def group_members(pgid: int) -> list[str]:
    listing = subprocess.run(["ps", "-o", "pid=,args=", "-g", str(pgid)], capture_output=True, text=True)
    return listing.stdout.splitlines()


def first_names_by_practice_account(data_dir: Path) -> dict[str, str]:
    """The first name in each practice account's saved Profile draft."""
    found = {}
    for practice_account, account in Store(data_dir).accounts():
        first = ((account.get("drafts") or {}).get("profile") or {}).get("first_name")
        if first:
            found[practice_account] = first
    return found


async def wait_for_drafts(data_dir: Path, count: int, seconds: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        found = first_names_by_practice_account(data_dir)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.25)


def png_colour_counts(png: bytes) -> Counter:
    """How often each RGB colour occurs in a PNG (every other pixel of every fourth row), decoded
    with the standard library only."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour_type = header[:4]
    assert depth == 8 and colour_type in (2, 6), header  # Chromium writes 8-bit RGB(A)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    counts: Counter = Counter()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # undo the PNG row filter
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upper_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upper_left)) & 255
        if row % 4 == 0:
            counts.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 2))
        previous = line
    return counts


def splash_share(colours: Counter) -> float:
    """textual-serve's splash (page #0c181f, intro box #12232d) covers 99 % of the page until
    the terminal shows; the wizard's panels, fields and sidebar are other colours."""
    return (colours[bytes.fromhex("0c181f")] + colours[bytes.fromhex("12232d")]) / sum(colours.values())


async def past_the_splash(tab: Tab, seconds: float = 30) -> bytes:
    """A screenshot once the wizard shows (or the last one, ``seconds`` on): the wizard's first
    screen mounts after the first byte, a time that varies with the machine's load."""
    deadline = time.monotonic() + seconds
    while True:
        shot = await tab.screenshot()
        if splash_share(png_colour_counts(shot)) < 0.10 or time.monotonic() > deadline:
            return shot
        await asyncio.sleep(0.2)


async def test_wizard_in_a_real_browser_each_tab_its_own_account(server, browser, tmp_path):
    """Bounded: a browser that hangs fails the test in two minutes, it does not hold the run."""
    await asyncio.wait_for(_two_tabs_in_a_real_browser(server, browser, tmp_path), 120)


async def _two_tabs_in_a_real_browser(server, browser, tmp_path):
    import aiohttp

    data_dir, port, process = server
    url = process.join_url
    async with aiohttp.ClientSession() as http:
        first, second = await new_tab(http, browser), await new_tab(http, browser)
        try:
            await first.open(url)
            await second.open(url)
            await past_the_splash(second)
            shot = await past_the_splash(first)
            await asyncio.sleep(0.5)  # the first frame drawn, the wizard reads its keys

            (tmp_path / "wizard-in-browser.png").write_bytes(shot)
            colours = png_colour_counts(shot)
            total = sum(colours.values())
            splash = splash_share(colours) * total
            assert splash / total < 0.10, f"still the splash: {splash / total:.0%} of the page"
            assert sum(1 for n in colours.values() if n / total >= 0.01) >= 3, colours.most_common(5)

            await first.focus_terminal()
            await first.type_text("Zelda")
            await first.press_tab()  # leaving the field saves the draft
            await second.focus_terminal()
            await second.type_text("Quill")
            await second.press_tab()
            found = await wait_for_drafts(data_dir, 2)
            assert sorted(found.values()) == ["Quill", "Zelda"], found
            assert len(found) == 2
            assert all(name.startswith("web-") for name in found), found
            assert process.poll() is None, "the server stopped while serving"

            # `kill PID` on the server alone, tabs still open: it ends both wizards and exits
            # cleanly, quickly, without a traceback and without leaving a process behind
            os.kill(process.pid, signal.SIGTERM)
            started = time.monotonic()
            out, err = process.communicate(timeout=30)
            assert process.returncode == 0 and time.monotonic() - started < 15
            assert err == "", err
            assert "Traceback" not in out
            assert await first.evaluate("document.body.className.includes('-closed')")
        finally:
            await first.ws.close()
            await second.ws.close()
    assert group_members(process.pid) == [], "a wizard process outlived the server"
