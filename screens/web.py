"""The browser view's web server: textual-serve's, plus the checks of :mod:`wizard.serve`
(loopback unless allowed, Host and Origin), a list of open tabs closed on shutdown, and our copy
of its page. It is the UI's side, so it lives with the screens; building it imports no textual
(textual-serve runs each tab's wizard in a process of its own; tests/test_serve.py checks it)."""

from __future__ import annotations

from pathlib import Path

from wizard.serve import TITLE, request_allowed


def make_server(command: str, host: str, port: int, remote: bool):
    import asyncio
    import logging

    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    log = logging.getLogger("textual-serve")

    class WizardServer(Server):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.sessions: set[web.WebSocketResponse] = set()

        def initialize_logging(self) -> None:
            # textual-serve's default handler prints tracebacks with local variables, which would
            # include what a user typed (a password); keep plain warnings only
            logging.basicConfig(level="WARNING", format="%(message)s")

        async def on_startup(self, app: web.Application) -> None:
            pass  # serve() printed the address already

        async def on_shutdown(self, app: web.Application) -> None:
            # closing each tab's websocket ends its wizard (saved as on Ctrl+Q) now, instead of
            # aiohttp waiting out its shutdown timeout and the app processes outliving the loop
            for websocket in list(self.sessions):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

        async def handle_index(self, request: web.Request):
            if not request_allowed(request.headers.get("Host"), request.headers.get("Origin"), remote):
                raise web.HTTPForbidden(text="This address is not the wizard's.")
            # the page's websocket goes back to the address the browser used (localhost, a LAN name)
            self.public_url = f"http://{request.headers['Host']}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve 1.1's handler, plus the request check and the list of open tabs."""
            if not request_allowed(request.headers.get("Host"), request.headers.get("Origin"), remote):
                raise web.HTTPForbidden(text="Only the wizard's own page may connect.")
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            app_service = None
            self.sessions.add(websocket)
            try:
                await websocket.prepare(request)
                app_service = AppService(
                    self.command,
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
                if app_service is not None:
                    await app_service.stop()  # tells the wizard to quit and reads its last output
                    await _reap(getattr(app_service, "_process", None))
            return websocket

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
    templates = Path(__file__).parent / "web_templates"
    return WizardServer(command, host=host, port=port, title=TITLE, templates_path=templates)
