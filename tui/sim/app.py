"""The gateway's HTTP surface: the bctrl contract served from a :class:`World`."""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tui.sim.current_app import current_routes
from tui.sim.current_world import CurrentWorld
from tui.sim.faults import FaultConfig, FaultMiddleware
from tui.sim.kernel_app import is_kernel_path, kernel_error, kernel_routes
from tui.sim.kernel_world import KernelWorld
from tui.sim.vocab import ACTIONS, INVOCATION_STATUSES, RUN_STATUSES, TERMINAL
from tui.sim.world import World

ACTION_SET = frozenset(ACTIONS)
MAX_LIMIT = 500
MAX_WAIT_MS = 60_000
_request_ids = itertools.count(1)


def _error(
    status: int,
    code: str,
    message: str,
    reason: str,
    request_id: str,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "code": code,
        "error": message,
        "reasonClass": reason,
        "requestId": request_id,
    }
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status, headers=headers)


def _encode_cursor(after: int) -> str:
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return after if isinstance(after, int) and after >= 0 else None


class AuthMiddleware:
    """Bearer auth and request ids on every response."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{next(_request_ids):08d}"
        scope.setdefault("state", {})["request_id"] = request_id
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, given = auth.partition(" ")
        ok = scheme.lower() == "bearer" and given.strip() != ""
        if ok and self.token is not None:
            ok = given.strip() == self.token
        if not ok and is_kernel_path(scope.get("path", "")):
            response = kernel_error(
                401,
                "unauthorized",
                "Authentication required: the API key is missing or invalid.",
                detail=("invalid_token", "Send Authorization: Bearer <api-key> (KERNEL_API_KEY)."),
                headers={"x-request-id": request_id, "www-authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        if not ok:
            response = _error(
                401,
                "auth.unauthorized",
                "Authentication required: the API key is missing or invalid.",
                "unauthorized",
                request_id,
                hint="Send Authorization: Bearer <api-key> (BCTRL_API_KEY).",
                headers={"x-request-id": request_id, "www-authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            await send(message)

        await self.app(scope, receive, send_with_id)


Handler = Callable[[Request], Awaitable[Response]]


class Gateway:
    """Route handlers over one world."""

    def __init__(self, world: World) -> None:
        self.world = world

    @staticmethod
    def rid(request: Request) -> str:
        return str(request.scope.get("state", {}).get("request_id", "req_unknown"))

    def _limit(self, request: Request) -> int | Response:
        raw = request.query_params.get("limit")
        if raw is None:
            return 50
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            return _error(
                400,
                "request.invalid",
                f"limit must be 1..{MAX_LIMIT}",
                "invalid_input",
                self.rid(request),
            )
        return limit

    def _multi(self, request: Request, name: str, allowed: frozenset[str]) -> set[str] | Response:
        values: set[str] = set()
        for raw in request.query_params.getlist(name):
            values.update(v for v in raw.split(",") if v)
        bad = values - allowed
        if bad:
            return _error(
                400,
                "request.invalid",
                f"unknown {name}: {', '.join(sorted(bad))}",
                "invalid_input",
                self.rid(request),
                hint=f"{name} is one of: {', '.join(sorted(allowed))}",
            )
        return values

    async def list_runs(self, request: Request) -> Response:
        now = self.world.advance()
        statuses = self._multi(request, "status", RUN_STATUSES)
        if isinstance(statuses, Response):
            return statuses
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        runs = sorted(self.world.runs, key=lambda r: r.created, reverse=True)
        rows = [self.world.run_summary(r, now) for r in runs]
        if statuses:
            rows = [r for r in rows if r["status"] in statuses]
        return self._page(request, rows, limit)

    def _cursor(self, request: Request) -> int | Response | None:
        """The position a ``cursor`` parameter names, None without one, or a 400."""
        cursor = request.query_params.get("cursor")
        if not cursor:
            return None
        after = _decode_cursor(cursor)
        if after is None:
            return _error(
                400,
                "request.invalid_cursor",
                "cursor is not valid",
                "invalid_input",
                self.rid(request),
            )
        return after

    def _page(self, request: Request, rows: list[dict[str, Any]], limit: int) -> Response:
        after = self._cursor(request)
        if isinstance(after, Response):
            return after
        start = after or 0
        chunk = rows[start : start + limit]
        nxt = _encode_cursor(start + limit) if start + limit < len(rows) else None
        return JSONResponse({"data": chunk, "nextCursor": nxt})

    async def get_run(self, request: Request) -> Response:
        now = self.world.advance()
        run = self.world.run(request.path_params["run_id"])
        if run is None:
            return _error(404, "run.not_found", "Run not found", "not_found", self.rid(request))
        return JSONResponse(self.world.run_detail(run, now))

    async def list_invocations(self, request: Request) -> Response:
        now = self.world.advance()
        run = self.world.run(request.path_params["run_id"])
        if run is None:
            return _error(404, "run.not_found", "Run not found", "not_found", self.rid(request))
        statuses = self._multi(request, "status", INVOCATION_STATUSES)
        if isinstance(statuses, Response):
            return statuses
        actions = self._multi(request, "action", ACTION_SET)
        if isinstance(actions, Response):
            return actions
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        plans = self.world.visible(run, now)
        if statuses:
            plans = [p for p in plans if p.status(now) in statuses]
        if actions:
            plans = [p for p in plans if p.action in actions]
        after = self._cursor(request)
        if isinstance(after, Response):
            return after
        start = 0
        if after is not None:
            # The cursor names the last sequence number seen, so new rows never shift pages.
            start = next((i for i, p in enumerate(plans) if p.seq > after), len(plans))
        chunk = plans[start : start + limit]
        more = start + limit < len(plans)
        nxt = _encode_cursor(chunk[-1].seq) if more and chunk else None
        return JSONResponse(
            {"data": [self.world.summary(p, now) for p in chunk], "nextCursor": nxt}
        )

    def _invocation(self, request: Request) -> Any:
        self.world.advance()
        plan = self.world.invocation(request.path_params["invocation_id"])
        if plan is None or plan.created > self.world.now():
            return _error(
                404, "invocation.not_found", "Invocation not found", "not_found", self.rid(request)
            )
        return plan

    async def get_invocation(self, request: Request) -> Response:
        plan = self._invocation(request)
        if isinstance(plan, Response):
            return plan
        return JSONResponse(self.world.v2(plan, self.world.now()))

    async def wait_invocation(self, request: Request) -> Response:
        plan = self._invocation(request)
        if isinstance(plan, Response):
            return plan
        timeout_ms = 30_000
        raw = await request.body()
        if raw:
            try:
                body = json.loads(raw)
                timeout_ms = int(body.get("timeoutMs", timeout_ms))
            except (ValueError, TypeError, AttributeError, OverflowError):  # 1e400 is inf
                return _error(
                    400,
                    "request.invalid",
                    'body must be {"timeoutMs": int}',
                    "invalid_input",
                    self.rid(request),
                )
        timeout_ms = max(0, min(MAX_WAIT_MS, timeout_ms))
        now = self.world.now()
        if plan.status_override is None and plan.status(now) not in TERMINAL:
            remaining = plan.terminal_at - now
            # Sleep until the invocation is terminal or the wait runs out, whichever is first.
            await asyncio.sleep(
                min(self.world.real_seconds(max(0.0, remaining)) + 0.01, timeout_ms / 1000)
            )
            now = self.world.now()
        return Response(self.world.wait_body(plan, now), media_type="application/json")

    async def get_operation(self, request: Request) -> Response:
        self.world.advance()
        plan = self.world.invocation(request.path_params["operation_id"])
        if plan is None or plan.created > self.world.now():
            return _error(
                404, "operation.not_found", "Operation not found", "not_found", self.rid(request)
            )
        body = self.world.operation_body(plan, self.world.now())
        return Response(body, media_type="application/json")

    async def not_found(self, request: Request) -> Response:
        if is_kernel_path(request.url.path):
            # e.g. /invocations/a%2Fb: a Kernel client gets Kernel's error shape.
            return kernel_error(404, "not_found", "no such route")
        return _error(
            404,
            "route.not_found",
            f"No route for {request.url.path}",
            "not_found",
            self.rid(request),
        )


def create_app(
    world: World,
    *,
    token: str | None = None,
    faults: FaultConfig | None = None,
    kernel: KernelWorld | None = None,
    current: CurrentWorld | None = None,
) -> Starlette:
    """The gateway as an ASGI app: bctrl, and Kernel beside it (its paths do not overlap).

    With ``current``, bctrl speaks its current API (runs, tool calls, spans, events) instead
    of invocations: the invocation endpoints are then 404s, as on a server that moved on."""
    gw = Gateway(world)
    if kernel is None:
        kernel = KernelWorld(world)
    if current is not None:
        bctrl = current_routes(current)
    else:
        bctrl = [
            Route("/v1/runs", gw.list_runs, methods=["GET"]),
            Route("/v1/runs/{run_id}", gw.get_run, methods=["GET"]),
            Route("/v1/runs/{run_id}/invocations", gw.list_invocations, methods=["GET"]),
            Route("/v2/invocations/{invocation_id}", gw.get_invocation, methods=["GET"]),
            Route("/v1/invocations/{invocation_id}/wait", gw.wait_invocation, methods=["POST"]),
            Route("/v1/operations/{operation_id}", gw.get_operation, methods=["GET"]),
        ]
    routes = [*bctrl, *kernel_routes(kernel)]
    middleware = [Middleware(AuthMiddleware, token=token)]
    if faults is not None:
        middleware.append(Middleware(FaultMiddleware, config=faults))

    async def on_404(request: Request, exc: Exception) -> Response:
        return await gw.not_found(request)

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: on_404})
    # An id ending in "/" (a%2F) names no resource: a 404, not a redirect to another one.
    app.router.redirect_slashes = False
    return app
