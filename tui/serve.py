"""``runwatch serve``: textual-serve for this machine's browser, and no website.

textual-serve (aiohttp) checks neither ``Host`` nor ``Origin``, and anyone who can reach the
port can open the WebSocket that drives a viewer holding the API key: a page on any website
could, through the user's own browser (a cross-origin WebSocket, or DNS rebinding where the
site's name comes to resolve to 127.0.0.1). So every request, WebSocket upgrades included,
must:

- name the server itself as ``Host``: ``127.0.0.1:PORT`` or ``localhost:PORT``;
- come from no ``Origin`` (a navigation, a script tag) or from ``http://127.0.0.1:PORT`` or
  ``http://localhost:PORT``;
- carry the secret drawn at each start, as the first segment of its path
  (``/SECRET/``, ``/SECRET/ws``, ``/SECRET/static/...``); the page's own URLs carry it.

Anything else gets 403. The secret is in the path, not the query, because textual-serve's
script appends its own ``?width=..&height=..`` to the WebSocket URL it is given.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK = "127.0.0.1"
SECRET_BYTES = 24  # 32 URL-safe characters: unguessable, and short enough to copy


class GuardedServer(Server):
    """textual-serve on 127.0.0.1, answering only requests with the secret, Host and Origin."""

    def __init__(self, command: str, *, port: int, title: str = "runwatch") -> None:
        super().__init__(command, host=LOOPBACK, port=port, title=title)
        self.secret = secrets.token_urlsafe(SECRET_BYTES)
        names = [LOOPBACK, "localhost"]
        self.hosts = frozenset(f"{name}:{port}" for name in names) | (
            frozenset(names) if port == 80 else frozenset()  # browsers omit the default port
        )
        self.origins = frozenset(f"http://{host}" for host in self.hosts)

    @property
    def url(self) -> str:
        """The viewer's address, secret included: print it once, give it to no one."""
        return f"{self.public_url}/{self.secret}/"

    def refusal(self, request: web.Request) -> str | None:
        """Why ``request`` is refused (None when it may go through)."""
        host = request.headers.get("Host", "").lower()
        if host not in self.hosts:
            return "unexpected Host"  # DNS rebinding: another site's name for 127.0.0.1
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in self.origins:
            return "cross-origin request"  # a page on another site, or "null"
        first = request.path.lstrip("/").split("/", 1)[0]
        if not hmac.compare_digest(first.encode(), self.secret.encode()):
            return "missing or wrong secret"
        return None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.refusal(request) is not None:
            # The reason stays in the server: a prober learns nothing from the body.
            return web.Response(status=403, text="403: Forbidden", headers=_HEADERS)
        response = await handler(request)
        if not response.prepared:  # a WebSocket's handshake has been sent already
            response.headers.update(_HEADERS)
        return response

    async def _make_app(self) -> web.Application:
        """textual-serve's routes, under the secret, behind the guard."""
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        prefix = f"/{self.secret}"
        app.add_routes(
            [
                web.get(f"{prefix}/", self.handle_index, name="index"),
                web.get(f"{prefix}/ws", self.handle_websocket, name="websocket"),
                web.get(f"{prefix}/download/{{key}}", self.handle_download, name="download"),
                web.static(f"{prefix}/static", self.statics_path, name="static"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    def initialize_logging(self) -> None:
        """textual-serve's logging, without local variables in logged tracebacks."""
        logging.basicConfig(level="INFO", format="%(message)s")


# The secret is in the path: keep it out of the Referer sent with the page's font request,
# and keep the page out of other sites' frames.
_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def serve_runwatch(args: Sequence[str], *, port: int, prog: str) -> None:
    """Serve ``runwatch ARGS`` (run as ``python -m tui ARGS`` for each browser that opens
    it) on 127.0.0.1:``port`` behind :class:`GuardedServer`, until interrupted; the URL,
    secret included, is printed once on stdout, prefixed with ``prog``."""
    server = GuardedServer(shlex.join([sys.executable, "-m", "tui", *args]), port=port)
    # Printed once: the secret in this URL is what lets a browser in (and no other website).
    print(f"{prog}: {server.url} (loopback only; open this URL)", flush=True)
    server.serve()
