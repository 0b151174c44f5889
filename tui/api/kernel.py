"""The async client for Kernel's invocations API: list, get, and the SSE event stream.

Same error family, retries, Retry-After gate and key hygiene as bctrl (:mod:`tui.api.http`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse
from pydantic import ValidationError

from tui.api.errors import ApiError, ConnectionDropped, MalformedResponse
from tui.api.http import ErrorFields, HttpApi, seg
from tui.api.kernel_models import (
    AnyEvent,
    HeartbeatEvent,
    KernelError,
    KernelEventFrame,
    KernelInvocation,
    KernelInvocationList,
    KernelPage,
    LogEvent,
    StateEvent,
)
from tui.api.streams import LogCursor

KERNEL_DEFAULT_BASE_URL = "https://api.onkernel.com"
MAX_PAGE = 100
STREAM_READ_TIMEOUT = 45.0  # the server sends a heartbeat well within this


class KernelClient(HttpApi):
    """Typed access to the Kernel API. Every failure is an :class:`ApiError`."""

    provider = "kernel"

    key_env = "KERNEL_API_KEY"
    url_env = "KERNEL_BASE_URL"
    default_base_url = KERNEL_DEFAULT_BASE_URL

    def error_fields(self, payload: Any) -> ErrorFields | None:
        """Kernel's ``Error {code, message, details?, inner_error?}``."""
        try:
            body = KernelError.model_validate(payload)
        except ValidationError:
            return None
        request_id = payload.get("request_id") if isinstance(payload, dict) else None
        return ErrorFields(
            message=body.message,
            code=body.code,
            hint=body.hint(),
            request_id=request_id if isinstance(request_id, str) else None,
        )

    # -- endpoints -----------------------------------------------------------------------

    async def list_invocations(
        self,
        *,
        app_name: str | None = None,
        action_name: str | None = None,
        version: str | None = None,
        status: str | None = None,
        since: str | None = None,
        query: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> KernelPage:
        """``GET /invocations``: one page, newest first; paging read from the headers."""
        params: list[tuple[str, str]] = [
            (name, value)
            for name, value in (
                ("app_name", app_name),
                ("action_name", action_name),
                ("version", version),
                ("status", status),
                ("since", since),
                ("query", query),
            )
            if value
        ]
        if limit is not None:
            params.append(("limit", str(max(1, min(MAX_PAGE, limit)))))
        if offset:
            params.append(("offset", str(offset)))
        path = "/invocations"
        response = await self._request("GET", path, params=params)
        rows = self.parse_json(response.content, KernelInvocationList, response, "GET", path)
        has_more = response.headers.get("x-has-more", "").strip().lower() == "true"
        next_offset = _int_header(response.headers.get("x-next-offset"))
        if not has_more or not next_offset:
            # X-Next-Offset 0 marks the last page, whatever X-Has-More says.
            return KernelPage(rows.root, False, None)
        return KernelPage(rows.root, True, next_offset)

    async def iter_pages(self, **filters: Any) -> AsyncIterator[KernelPage]:
        """Every page of ``GET /invocations`` with ``filters``, following X-Next-Offset."""
        offset: int | None = None
        seen: set[int] = set()
        while True:
            page = await self.list_invocations(offset=offset, **filters)
            yield page
            if page.next_offset is None or page.next_offset in seen:
                return  # last page, or a server sending the same offset again (would loop)
            seen.add(page.next_offset)
            offset = page.next_offset

    async def get_invocation(self, invocation_id: str) -> KernelInvocation:
        """``GET /invocations/{id}``."""
        return await self._call("GET", f"/invocations/{seg(invocation_id)}", KernelInvocation)

    # -- the event stream ----------------------------------------------------------------

    async def stream_events(self, invocation_id: str, cursor: LogCursor) -> AsyncIterator[AnyEvent]:
        """One connection to ``GET /invocations/{id}/events``, from ``cursor.since``.

        Yields every frame except log lines the cursor has already seen; ends when the server
        closes the stream. Raises an :class:`ApiError` when the connection fails or drops.
        """
        path = f"/invocations/{seg(invocation_id)}/events"
        params = {"since": cursor.since} if cursor.since else {}
        await self._gate()
        timeout = httpx.Timeout(STREAM_READ_TIMEOUT, connect=self._http.timeout.connect)
        try:
            async with aconnect_sse(
                self._http,
                "GET",
                path,
                params=params,
                timeout=timeout,
                headers={"Accept": "text/event-stream"},
            ) as source:
                response = source.response
                if response.status_code >= 400:
                    await response.aread()
                    raise self._status_error(response, "GET", path)
                async for sse in source.aiter_sse():
                    if not sse.data:
                        continue
                    try:
                        frame = KernelEventFrame.model_validate(json.loads(sse.data)).root
                    except (ValueError, ValidationError):
                        cursor.bad_frames += 1
                        continue
                    if isinstance(frame, LogEvent) and not cursor.accept(
                        frame.timestamp, frame.ns, frame.message
                    ):
                        continue
                    if isinstance(frame, StateEvent) and frame.invocation.terminal:
                        cursor.terminal = True
                    yield frame
        except SSEError:
            raise MalformedResponse(
                "the event stream was not text/event-stream", method="GET", path=path
            ) from None
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, "GET", path) from None

    async def follow_events(
        self, invocation_id: str, cursor: LogCursor | None = None
    ) -> AsyncIterator[AnyEvent]:
        """Every event of an invocation until it is terminal, reconnecting after a drop.

        Each reconnect resumes with ``since`` and the cursor drops the repeated lines, so no
        line is lost or shown twice. Gives up (raises) after ``retry.max_retries``
        consecutive failed connections; a 401/403/404 is raised at once.
        """
        cursor = cursor if cursor is not None else LogCursor()
        failures = 0
        first = True
        while not cursor.terminal:
            if not first or cursor.since is not None:
                # Resuming (after a drop, or a stream of this cursor opened before): the
                # server repeats the lines at `since`, and the cursor drops them.
                cursor.resume(reconnect=not first)
            first = False
            try:
                async for event in self.stream_events(invocation_id, cursor):
                    if isinstance(event, LogEvent | HeartbeatEvent):
                        failures = 0  # the connection delivered something new: it works
                    yield event
            except ApiError as error:
                await self._backoff(error, failures)
                failures += 1
                continue
            if cursor.terminal:
                return
            # The stream ended without a terminal state: ask whether the invocation is done.
            try:
                invocation = await self.get_invocation(invocation_id)
            except ApiError as error:
                await self._backoff(error, failures)
                failures += 1
                continue
            if invocation.terminal:
                cursor.terminal = True
                stamp = invocation.finished_at or invocation.started_at
                yield StateEvent(
                    event="invocation_state", timestamp=stamp.isoformat(), invocation=invocation
                )
                return
            # A clean end before the invocation finished: the server cut us off.
            dropped = ConnectionDropped(
                "the event stream ended before the invocation finished",
                method="GET",
                path=f"/invocations/{seg(invocation_id)}/events",
            )
            await self._backoff(dropped, failures)
            failures += 1


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None
