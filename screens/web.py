"""The browser view's web server: textual-serve's, plus the checks of :mod:`wizard.browser`
(loopback unless allowed, Host and Origin on every path, the join code), one practice account per
browser tab (kept across reloads), a cap on open tabs, and our copy of its page. It is the UI's
side, so it lives with the screens; building it imports no textual (textual-serve runs each tab's
wizard in a process of its own; tests/test_serve.py checks it)."""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path
from typing import Callable

from wizard.browser import (
    CODE_PARAM,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_PRACTICE_ACCOUNT_PREFIX,
    TAB_PARAM,
    TITLE,
    code_matches,
    cookie_name,
    new_join_code,
    new_tab_id,
    remove_untouched_practice_account,
    request_allowed,
    tab_practice_account,
    valid_tab_id,
)


def _page(title: str, text: str) -> str:
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title></head>"
        "<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5\">"
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )


def make_server(
    command: str,
    host: str,
    port: int,
    remote: bool,
    *,
    code: str | None = None,
    prefix: str = DEFAULT_PRACTICE_ACCOUNT_PREFIX,
    command_for: Callable[[str | None], str] | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    data_dir: Path | None = None,
):
    import asyncio
    import logging

    import aiohttp_jinja2
    import jinja2
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    log = logging.getLogger("textual-serve")
    join_code = code or new_join_code()
    cookie = cookie_name(port)

    def refused(status: int, title: str, text: str) -> web.Response:
        return web.Response(status=status, text=_page(title, text), content_type="text/html")

    @web.middleware
    async def guard(request: web.Request, handler):
        """Every path: Host and Origin first (never reading request.url, which an empty or
        crafted Host breaks), then the join code from the address or the cookie."""
        host_header = request.headers.get("Host")
        if not request_allowed(host_header, request.headers.get("Origin"), remote):
            return refused(403, "Not the wizard's address",
                           "This address is not the wizard's. Open the address that "
                           "iqies-onboard serve printed.")
        given = request.query.get(CODE_PARAM)
        if code_matches(given, join_code):
            response = await handler(request)
            if not response.prepared:  # a websocket has already answered
                response.set_cookie(cookie, join_code, httponly=True, samesite="Strict", path="/")
            return response
        if code_matches(request.cookies.get(cookie), join_code):
            return await handler(request)
        return refused(403, "Join code needed",
                       "This browser view needs its join code. Open the whole address your "
                       "trainer gave you (it ends in ?code=...), as iqies-onboard serve printed it.")

    class WizardServer(Server):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.sessions: set[web.WebSocketResponse] = set()
            self.tabs: dict[str, web.WebSocketResponse] = {}

        def initialize_logging(self) -> None:
            # textual-serve's default handler prints tracebacks with local variables, which would
            # include what a user typed (a password); keep plain warnings only
            logging.basicConfig(level="WARNING", format="%(message)s")
            # a malformed request (an empty Host header, garbage on the port) is answered 400 by
            # aiohttp's parser; it would also print the parser's traceback: not for this console
            logging.getLogger("aiohttp.server").addFilter(_no_parser_tracebacks)

        async def _make_app(self) -> web.Application:
            # textual-serve's routes, behind the guard, and /static/ without a directory listing
            app = web.Application(middlewares=[guard])
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes([
                web.get("/", self.handle_index, name="index"),
                web.get("/ws/{tab}", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ])
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def on_startup(self, app: web.Application) -> None:
            pass  # serve() printed the address already

        async def on_shutdown(self, app: web.Application) -> None:
            # closing each tab's websocket ends its wizard (saved as on Ctrl+Q) now, instead of
            # aiohttp waiting out its shutdown timeout and the app processes outliving the loop
            for websocket in list(self.sessions):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

        def full(self, tab: str | None) -> bool:
            return len(self.sessions) >= max_sessions and tab not in self.tabs

        async def handle_index(self, request: web.Request):
            tab = request.query.get(TAB_PARAM)
            if not valid_tab_id(tab):
                # a new tab: its own id in its address, so a reload comes back to its account;
                # the code stays behind in the cookie the guard has just set
                return web.Response(status=303, headers={"Location": f"/?{TAB_PARAM}={new_tab_id()}"})
            if self.full(tab):
                return refused(503, "The browser view is full",
                               f"{max_sessions} trainees are using the browser view, as many as "
                               "it serves at once. Try again when someone has closed their tab, "
                               "or ask your trainer.")
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                # nothing from the request's Host goes into the page: the page's own script
                # builds the websocket address from the address the browser shows
                "tab": tab,
                "config": {"static": {"url": "/static/"}},
                "application": {"name": self.title},
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve 1.1's handler, plus the tab's own account and the list of open tabs."""
            tab = request.match_info["tab"]
            if not valid_tab_id(tab):
                raise web.HTTPNotFound(text="No such tab.")
            if self.full(tab):
                raise web.HTTPServiceUnavailable(text="The browser view is full.")
            practice_account = tab_practice_account(prefix, tab)
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            app_service = None
            previous = self.tabs.get(tab)
            if previous is not None:  # the same tab reconnecting: the old wizard lets go first
                await previous.close(code=WSCloseCode.GOING_AWAY, message=b"reconnected")
                for _ in range(100):
                    if previous not in self.sessions:
                        break
                    await asyncio.sleep(0.1)
            self.sessions.add(websocket)
            self.tabs[tab] = websocket
            try:
                await websocket.prepare(request)
                app_service = AppService(
                    command_for(practice_account) if command_for else self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                )
                await app_service.start(width, height)
                await self._process_messages(websocket, app_service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:
                log.warning("a browser session ended with an error: %s", type(error).__name__)
            finally:
                self.sessions.discard(websocket)
                if self.tabs.get(tab) is websocket:
                    del self.tabs[tab]
                if app_service is not None:
                    await app_service.stop()  # tells the wizard to quit and reads its last output
                    await _reap(getattr(app_service, "_process", None))
                if data_dir is not None and tab not in self.tabs:
                    remove_untouched_practice_account(data_dir, practice_account)  # nothing typed: nothing kept
            return websocket

    def _no_parser_tracebacks(record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, HttpProcessingError)

    async def _reap(process) -> None:
        """Wait for the wizard's process to exit (kill it after a grace period), so that no
        process or pipe outlives the server's event loop."""
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), 10)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()

    # our copy of its page: no web font from the internet (nothing leaves this computer)
    templates = Path(str(resources.files("screens") / "web_templates"))  # installed with the views
    return WizardServer(command, host=host, port=port, title=TITLE, templates_path=templates)
