"""The gateway's Kernel surface: ``GET /invocations``, ``/invocations/{id}`` and its SSE
``/events`` stream, served from a :class:`KernelWorld`."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tui.sim.kernel_world import KernelPlan, KernelWorld, iso_ns
from tui.sim.vocab import KERNEL_STATUSES, KERNEL_TERMINAL, parse_ns

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def kernel_error(
    status: int,
    code: str,
    message: str,
    *,
    detail: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Kernel's error body: ``{code, message, details?}``."""
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["details"] = [{"code": detail[0], "message": detail[1]}]
    return JSONResponse(body, status_code=status, headers=headers)


def is_kernel_path(path: str) -> bool:
    """Whether a request path belongs to the Kernel surface (for auth and fault bodies)."""
    return path == "/invocations" or path.startswith("/invocations/")


def parse_since(value: str, now: float) -> int | None:
    """``since`` as epoch nanoseconds: an RFC 3339 timestamp or a duration ago (``5m``)."""
    match = _DURATION.match(value.strip())
    if match:
        return round((now - float(match[1]) * _UNITS[match[2]]) * 1e9)
    return parse_ns(value)


class KernelGateway:
    """Route handlers over one Kernel world."""

    def __init__(self, world: KernelWorld) -> None:
        self.world = world

    def _plan(self, request: Request) -> KernelPlan | Response:
        now = self.world.advance()
        plan = self.world.invocation(request.path_params["invocation_id"])
        if plan is None or plan.created > now:
            return kernel_error(404, "not_found", "invocation not found")
        return plan

    async def list_invocations(self, request: Request) -> Response:
        now = self.world.advance()
        params = request.query_params
        status = params.get("status")
        if status and status not in KERNEL_STATUSES:
            return kernel_error(
                400,
                "bad_request",
                f"invalid status: {status[:40]}",
                detail=("invalid_input", "status is one of " + ", ".join(KERNEL_STATUSES)),
            )
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
            offset = int(params.get("offset", 0))
        except ValueError:
            return kernel_error(400, "bad_request", "limit and offset must be integers")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return kernel_error(
                400, "bad_request", f"limit must be 1..{MAX_LIMIT} and offset at least 0"
            )
        since_ns: int | None = None
        if params.get("since"):
            since_ns = parse_since(params["since"], now)
            if since_ns is None:
                return kernel_error(
                    400,
                    "bad_request",
                    "since must be an RFC 3339 timestamp or a duration such as 5m",
                )
        needle = params.get("query", "").lower()
        rows = []
        for plan in self.world.visible(now):
            if params.get("app_name") and plan.app.name != params["app_name"]:
                continue
            if params.get("version") and plan.app.version != params["version"]:
                continue
            if params.get("action_name") and plan.action != params["action_name"]:
                continue
            if status and plan.status(now) != status:
                continue
            if since_ns is not None and round(plan.created * 1e9) < since_ns:
                continue
            body = self.world.invocation_json(plan, now)
            if needle and needle not in json.dumps(body).lower():
                continue
            rows.append(body)
        chunk = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        headers = {
            "X-Has-More": "true" if more else "false",
            "X-Next-Offset": str(offset + limit if more else 0),
        }
        return JSONResponse(chunk, headers=headers)

    async def get_invocation(self, request: Request) -> Response:
        plan = self._plan(request)
        if isinstance(plan, Response):
            return plan
        return JSONResponse(self.world.invocation_json(plan, self.world.now()))

    async def events(self, request: Request) -> Response:
        plan = self._plan(request)
        if isinstance(plan, Response):
            return plan
        since_ns: int | None = None
        if request.query_params.get("since"):
            since_ns = parse_since(request.query_params["since"], self.world.now())
            if since_ns is None:
                return kernel_error(
                    400, "bad_request", "since must be an RFC 3339 timestamp or a duration"
                )
        return StreamingResponse(
            self._frames(plan, since_ns),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _frames(self, plan: KernelPlan, since_ns: int | None) -> AsyncIterator[str]:
        """The stream: the current state, the lines since ``since``, then live lines as they
        are logged, heartbeats while quiet, and a final state when the invocation ends."""
        world = self.world
        now = world.now()
        yield _frame(
            {
                "event": "invocation_state",
                "timestamp": iso_ns(now),
                "invocation": world.invocation_json(plan, now),
            }
        )
        times = plan.log_times()
        index = 0
        last_beat = asyncio.get_running_loop().time()
        while True:
            now = world.now()
            while index < len(times) and times[index] <= now:
                stamp, message = iso_ns(times[index]), plan.logs[index][1]
                index += 1
                if since_ns is None or round(times[index - 1] * 1e9) >= since_ns:
                    yield _frame({"event": "log", "timestamp": stamp, "message": message})
            if plan.status(now) in KERNEL_TERMINAL:
                yield _frame(
                    {
                        "event": "invocation_state",
                        "timestamp": iso_ns(now),
                        "invocation": world.invocation_json(plan, now),
                    }
                )
                return
            upcoming = [t for t in times[index:] if t > now] + [plan.terminal_at]
            wait = world.real_seconds(max(0.0, min(upcoming) - now)) + 0.005
            loop_now = asyncio.get_running_loop().time()
            beat_in = world.heartbeat_seconds - (loop_now - last_beat)
            if beat_in <= 0:
                yield _frame({"event": "sse_heartbeat", "timestamp": iso_ns(now)})
                last_beat = loop_now
                beat_in = world.heartbeat_seconds
            await asyncio.sleep(max(0.005, min(wait, beat_in)))


def _frame(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def kernel_routes(world: KernelWorld) -> list[Route]:
    """The Kernel endpoints, for the gateway's router."""
    gw = KernelGateway(world)
    return [
        Route("/invocations", gw.list_invocations, methods=["GET"]),
        Route("/invocations/{invocation_id}", gw.get_invocation, methods=["GET"]),
        Route("/invocations/{invocation_id}/events", gw.events, methods=["GET"]),
    ]
