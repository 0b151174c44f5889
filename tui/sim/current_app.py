"""The gateway's surface for bctrl's current API, served from a :class:`CurrentWorld`.

Runs, tool calls (with the long-polled result), a run's trace spans and events, and two
Server-Sent Events streams: the run stream (span changes, runtime events, ``run.ended``) and
the events stream. Both stay open after the run ends (heartbeats are SSE comments), and both
resume exactly after the frame a ``Last-Event-ID`` (or ``after``) names. The contract is
``tests/contract/bctrl-current/``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tui.sim.current_world import (
    ACTOR_TYPES,
    EVENT_CATEGORIES,
    EVENT_CHANNELS,
    EVENT_OUTCOMES,
    EVENT_SOURCES,
    RUN_STATUSES,
    SPAN_KINDS,
    SPAN_RESOURCE_TYPES,
    TERMINAL_STATES,
    CallPlan,
    CurrentWorld,
    EventPlan,
    Frame,
    RunPlan,
    parse_frame_id,
    words,
)
from tui.sim.vocab import parse_ns
from tui.sim.world import iso

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_WAIT = 60
STREAM_INCLUDES = ("trace", "events")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
HEARTBEAT = ": heartbeat\n\n"
Key = tuple[int, str]


class Invalid(Exception):
    """A request the contract refuses: becomes a 400 ``ErrorResponse``."""

    def __init__(
        self, message: str, code: str = "request.invalid", hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    reason: str,
    hint: str | None = None,
) -> JSONResponse:
    """bctrl's ``ErrorResponse {code, error, hint?, reasonClass, requestId}``."""
    body: dict[str, Any] = {
        "code": code,
        "error": message,
        "reasonClass": reason,
        "requestId": str(request.scope.get("state", {}).get("request_id", "req_unknown")),
    }
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status)


def encode_cursor(key: Key) -> str:
    """An opaque page cursor naming the last row a page held."""
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The row key a cursor names (raises :class:`Invalid` for anything else)."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        raise Invalid("cursor is not valid", "request.invalid_cursor")
    return (value[0], value[1])


def _ms(t: float) -> int:
    return round(t * 1000)


def _multi(request: Request, name: str, allowed: Sequence[str]) -> set[str]:
    """A filter given once, repeated, or comma-separated; every value must be ``allowed``."""
    values: set[str] = set()
    for raw in request.query_params.getlist(name):
        values.update(v for v in raw.split(",") if v)
    bad = values - set(allowed)
    if bad:
        shown = ", ".join(sorted(bad))[:200]
        raise Invalid(f"unknown {name}: {shown}", hint=f"{name} is one of: {words(allowed)}")
    return values


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Invalid(f"{name} must be an integer {low}..{high}")
    return value


def _window(request: Request) -> Callable[[float], bool]:
    """Whether a time is within ``from`` and ``to`` (RFC 3339, inclusive), compared as the
    client sees it: a time is its timestamp on the wire (milliseconds)."""
    bounds: list[int | None] = []
    for name in ("from", "to"):
        raw = request.query_params.get(name)
        ns = parse_ns(raw) if raw is not None else None
        if raw is not None and ns is None:
            raise Invalid(f"{name} must be an RFC 3339 timestamp with a UTC offset")
        bounds.append(ns)
    since, until = bounds
    if since is None and until is None:
        return lambda t: True

    def within(t: float) -> bool:
        ns = parse_ns(iso(t))
        assert ns is not None
        return (since is None or since <= ns) and (until is None or ns <= until)

    return within


def page(
    request: Request, rows: list[tuple[Key, dict[str, Any]]], *, default_order: str = "desc"
) -> JSONResponse:
    """``{data, hasMore, nextCursor}``: rows sorted by key in ``order``, after ``cursor``.

    The cursor names the last row's key, so rows that appear later (new ones sort first in
    ``desc``) never shift a page or repeat a row."""
    limit = _int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    order = request.query_params.get("order", default_order)
    if order not in ("asc", "desc"):
        raise Invalid("order must be asc or desc")
    rows = sorted(rows, key=lambda r: r[0], reverse=order == "desc")
    cursor = request.query_params.get("cursor")
    if cursor:
        after = decode_cursor(cursor)
        if order == "desc":
            rows = [r for r in rows if r[0] < after]
        else:
            rows = [r for r in rows if r[0] > after]
    chunk = rows[:limit]
    more = len(rows) > limit
    return JSONResponse(
        {
            "data": [body for _, body in chunk],
            "hasMore": more,
            "nextCursor": encode_cursor(chunk[-1][0]) if more and chunk else None,
        }
    )


def sse(frame_id: str | None, event: str | None, data: dict[str, Any]) -> str:
    """One Server-Sent Events frame (one body chunk: a ``cut`` fault breaks between frames)."""
    head = f"id: {frame_id}\n" if frame_id is not None else ""
    if event is not None:
        head += f"event: {event}\n"
    return head + "data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n\n"


class CurrentGateway:
    """Route handlers over one current-API world."""

    def __init__(self, world: CurrentWorld) -> None:
        self.world = world

    # -- helpers -------------------------------------------------------------------------

    def _run(self, request: Request) -> RunPlan:
        run = self.world.run(request.path_params["run_id"])
        if run is None:
            raise LookupError("run")
        return run

    def _call(self, request: Request, now: float) -> CallPlan:
        call = self.world.call(request.path_params["tool_call_id"], now)
        if call is None:
            raise LookupError("tool_call")
        return call

    async def _sleep_until(self, deadline: float, change_at: float | None, now: float) -> None:
        """Sleep toward a world-time change, at most until the real ``deadline``."""
        loop = asyncio.get_running_loop()
        wait = min(self.world.poll_seconds, deadline - loop.time())
        if change_at is not None:
            wait = min(wait, self.world.real_seconds(max(0.0, change_at - now)) + 0.005)
        await asyncio.sleep(max(0.005, wait))

    # -- runs ----------------------------------------------------------------------------

    async def list_runs(self, request: Request) -> Response:
        now = self.world.advance()
        statuses = _multi(request, "status", RUN_STATUSES)
        within = _window(request)
        space = request.query_params.get("spaceId")
        rows = []
        for run in self.world.runs:
            if run.created > now or not within(run.created):
                continue
            body = self.world.run_json(run, now)
            if statuses and body["status"] not in statuses:
                continue
            if space and space != "default" and space != run.space_id:
                continue
            if request.query_params.get("resourceId") not in (None, run.browser_id):
                continue
            rows.append(((_ms(run.created), run.id), body))
        return page(request, rows)

    async def get_run(self, request: Request) -> Response:
        wait = _int(request, "wait", 0, 0, MAX_WAIT)
        now = self.world.advance()
        run = self._run(request)
        first = run.status(now)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        # Long-poll: answer as soon as the run's status changes, or when the wait runs out.
        while run.status(now) == first and loop.time() < deadline:
            upcoming = [t for t in run.status_changes() if t > now]
            await self._sleep_until(deadline, min(upcoming) if upcoming else None, now)
            now = self.world.advance()
        return JSONResponse(self.world.run_json(run, now))

    # -- tool calls ----------------------------------------------------------------------

    async def list_tool_calls(self, request: Request) -> Response:
        now = self.world.advance()
        params = request.query_params
        statuses = _multi(request, "status", self.world.statuses)
        tools = {t for raw in params.getlist("tool") for t in raw.split(",") if t}
        run = self.world.run(params["runId"]) if params.get("runId") else None
        if params.get("runId") and run is None:
            calls: list[CallPlan] = []  # a filter that matches nothing, not a 404
        else:
            calls = self.world.calls(now, run)
        rows = []
        for call in calls:
            if params.get("runtimeId") not in (None, call.run.browser_id):
                continue
            if params.get("taskId") not in (None, call.run.task_id):
                continue
            if params.get("turnId") not in (None, call.turn_id):
                continue
            if params.get("spaceId") not in (None, "default", call.run.space_id):
                continue
            if tools and call.tool not in tools:
                continue
            body = self.world.call_json(call, now)
            if statuses and body["status"] not in statuses:
                continue
            rows.append(((_ms(call.created), call.id), body))
        return page(request, rows)

    async def get_tool_call(self, request: Request) -> Response:
        wait = _int(request, "wait", 0, 0, MAX_WAIT)
        now = self.world.advance()
        call = self._call(request, now)
        first = call.state(now)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        # Long-poll: answer as soon as the call's status changes, or when the wait runs out.
        while call.state(now) == first and loop.time() < deadline:
            upcoming = [t for t in call.changes() if t > now]
            await self._sleep_until(deadline, min(upcoming) if upcoming else None, now)
            now = self.world.advance()
        return JSONResponse(self.world.call_json(call, now))

    async def tool_call_result(self, request: Request) -> Response:
        """200 with the result once succeeded; otherwise 202 with the call's current state
        (pending, or terminal without a result: its ``status`` says which)."""
        wait = _int(request, "wait", 0, 0, MAX_WAIT)
        now = self.world.advance()
        call = self._call(request, now)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        # Long-poll: answer as soon as the call is terminal, or when the wait runs out.
        while call.state(now) not in TERMINAL_STATES and loop.time() < deadline:
            await self._sleep_until(deadline, call.finished, now)
            now = self.world.advance()
        body = self.world.call_json(call, now)
        if body["resultAvailable"]:
            return JSONResponse(self.world.result_body(call))
        return JSONResponse(body, status_code=202)

    # -- trace and events ----------------------------------------------------------------

    async def trace(self, request: Request) -> Response:
        now = self.world.advance()
        run = self._run(request)
        kinds = _multi(request, "kind", SPAN_KINDS)
        statuses = _multi(request, "status", self.world.span_statuses)
        resource = _multi(request, "resourceType", SPAN_RESOURCE_TYPES)
        parent = request.query_params.get("parentId")
        rows = []
        for span in self.world.spans(run, now):
            if parent is not None and span.parent_id != parent:
                continue
            if kinds and span.kind not in kinds:
                continue
            if resource and span.resource_type not in resource:
                continue
            body = self.world.span_json(span, now)
            if statuses and body["status"] not in statuses:
                continue
            rows.append(((_ms(span.start), span.id), body))
        return page(request, rows)

    def _event_filter(self, request: Request) -> Callable[[EventPlan], bool]:
        """The events stream's and list's filters (each repeatable or comma-separated)."""
        categories = _multi(request, "category", EVENT_CATEGORIES)
        channels = _multi(request, "channel", EVENT_CHANNELS)
        outcomes = _multi(request, "outcome", EVENT_OUTCOMES)
        sources = _multi(request, "source", EVENT_SOURCES)
        actor_types = _multi(request, "actorType", ACTOR_TYPES)
        types = {t for raw in request.query_params.getlist("type") for t in raw.split(",") if t}
        span_id = request.query_params.get("spanId")
        page_id = request.query_params.get("pageId")
        actor = request.query_params.get("actor")
        within = _window(request)

        def keep(event: EventPlan) -> bool:
            return (
                within(event.time)
                and (not categories or event.category in categories)
                and (not channels or event.channel in channels)
                and (not outcomes or event.outcome in outcomes)
                and (not sources or event.source in sources)
                and (not actor_types or event.actor["type"] in actor_types)
                and (not types or event.type in types)
                and (span_id is None or event.span_id == span_id)
                and (page_id is None or event.page_id == page_id)
                and (actor is None or event.actor.get("id") == actor)
            )

        return keep

    async def list_events(self, request: Request) -> Response:
        now = self.world.advance()
        run = self._run(request)
        keep = self._event_filter(request)
        rows = [
            ((seq, event.id), self.world.event_json(event, seq, run))
            for seq, event in self.world.events(run, now)
            if keep(event)
        ]
        return page(request, rows)

    # -- streams -------------------------------------------------------------------------

    def _resume_from(self, request: Request) -> str | None:
        """Where a stream resumes: ``Last-Event-ID`` (what reconnecting clients send) wins
        over ``after``."""
        return request.headers.get("last-event-id") or request.query_params.get("after")

    async def run_stream(self, request: Request) -> Response:
        run = self._run(request)
        includes = _multi(request, "include", STREAM_INCLUDES) or set(STREAM_INCLUDES)
        start = 0
        resume = self._resume_from(request)
        if resume:
            index = parse_frame_id(resume)
            if index is None:
                raise Invalid(
                    "Last-Event-ID / after is not a frame id of this stream",
                    "request.invalid_cursor",
                    hint="pass the id: of the last frame received (frm_...)",
                )
            start = index + 1
        self.world.advance()

        def wanted(frame: Frame) -> bool:
            if frame.type == "run.ended":
                return True
            return ("events" if frame.type == "runtime.event" else "trace") in includes

        async def frames() -> AsyncIterator[str]:
            position = start
            loop = asyncio.get_running_loop()
            last_sent = loop.time()
            while True:
                now = self.world.advance()
                for index, frame in self.world.frames_from(run, position, now):
                    position = index + 1
                    if wanted(frame):
                        data = self.world.frame_json(run, index, frame)
                        yield sse(data["id"], frame.type, data)
                        last_sent = loop.time()
                        # Writes to a gone client do not block: yield so the disconnect is
                        # noticed before a long backlog is written into the void.
                        await asyncio.sleep(0)
                if loop.time() - last_sent >= self.world.heartbeat_seconds:
                    yield HEARTBEAT
                    last_sent = loop.time()
                upcoming = (
                    self.world.next_frame_time(run, position),
                    self.world.next_draw_time(run),
                )
                change = min((t for t in upcoming if t is not None), default=None)
                await self._sleep_until(last_sent + self.world.heartbeat_seconds, change, now)

        return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)

    async def events_stream(self, request: Request) -> Response:
        run = self._run(request)
        keep = self._event_filter(request)
        position = 0
        resume = self._resume_from(request)
        if resume:
            seen = run.event_index.get(resume)
            if seen is None:
                raise Invalid(
                    "Last-Event-ID / after is not an event id of this run",
                    "request.invalid_cursor",
                    hint="pass the id: of the last event received (evt_...)",
                )
            position = self.world.event_seq(run, seen)  # the next event's index
        self.world.advance()

        async def frames() -> AsyncIterator[str]:
            index = position
            loop = asyncio.get_running_loop()
            last_sent = loop.time()
            while True:
                now = self.world.advance()
                for seq, event in self.world.events_from(run, index, now):
                    index = seq
                    if keep(event):
                        yield sse(event.id, None, self.world.event_json(event, seq, run))
                        last_sent = loop.time()
                        await asyncio.sleep(0)  # as in run_stream: notice a disconnect
                if loop.time() - last_sent >= self.world.heartbeat_seconds:
                    yield HEARTBEAT
                    last_sent = loop.time()
                upcoming = self.world.next_event_time(run, index)
                change = min(
                    (t for t in (upcoming, self.world.next_draw_time(run)) if t is not None),
                    default=None,
                )
                await self._sleep_until(last_sent + self.world.heartbeat_seconds, change, now)

        return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)


def _guarded(
    handler: Callable[[Request], Any], not_found: dict[str, tuple[str, str]]
) -> Callable[[Request], Any]:
    """``handler`` with :class:`Invalid` as a 400 and a missing resource as its 404."""

    async def guarded(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except Invalid as exc:
            return error_response(request, 400, exc.code, str(exc), "invalid_input", exc.hint)
        except LookupError as exc:
            code, message = not_found[str(exc.args[0])]
            return error_response(request, 404, code, message, "not_found")
        return response

    return guarded


NOT_FOUND = {
    "run": ("run.not_found", "Run not found"),
    "tool_call": ("tool_call.not_found", "Tool call not found"),
}


def current_routes(world: CurrentWorld) -> list[Route]:
    """The current API's endpoints, for the gateway's router."""
    gw = CurrentGateway(world)
    routes = [
        ("/v1/runs", gw.list_runs),
        ("/v1/runs/{run_id}", gw.get_run),
        ("/v1/runs/{run_id}/trace", gw.trace),
        ("/v1/runs/{run_id}/events", gw.list_events),
        ("/v1/runs/{run_id}/stream", gw.run_stream),
        ("/v1/runs/{run_id}/events/stream", gw.events_stream),
        ("/v1/tool-calls", gw.list_tool_calls),
        ("/v1/tool-calls/{tool_call_id}", gw.get_tool_call),
        ("/v1/tool-calls/{tool_call_id}/result", gw.tool_call_result),
    ]
    return [Route(path, _guarded(handler, NOT_FOUND), methods=["GET"]) for path, handler in routes]
