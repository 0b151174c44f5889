"""The HTTP client for bctrl's current API (``tests/contract/bctrl-current``): runs, tool
calls with their long-polled result, a run's trace and events, and the run stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from tui.core.errors import ApiError, NotFound
from tui.core.model import Query
from tui.providers import PROVIDERS
from tui.providers.bctrl.client import BctrlClient
from tui.providers.http import Params, Reply, SseEvent, seg

VERSION = "2026-10-03"
"""The ``BCTRL-Version`` asked for: the newest the public CLI accepts."""
RESULT_WAIT = 25
"""Seconds the result long-poll may wait (the server allows up to 60)."""
PAGE = 200
OLDEST_FIRST: Params = [("order", "asc"), ("limit", str(PAGE))]


class CurrentClient(BctrlClient):
    """bctrl's current endpoints (the same errors, key and origin as the invocation API)."""

    key_env = PROVIDERS["bctrl-current"].key_env
    url_env = PROVIDERS["bctrl-current"].url_env
    default_base_url = PROVIDERS["bctrl-current"].default_url
    api_headers: ClassVar[dict[str, str]] = {"BCTRL-Version": VERSION}

    async def tool_calls(
        self,
        run_id: str | None,
        query: Query,
        cursor: str | None = None,
        *,
        newest_first: bool = False,
    ) -> Reply:
        """``GET /v1/tool-calls``: one page of a run's calls (``runId``), or of every run's;
        oldest first, or newest first."""
        params: Params = [("runId", run_id)] if run_id is not None else []
        params += [("order", "desc" if newest_first else "asc"), ("limit", str(PAGE))]
        params += [("status", s) for s in query.status]
        params += [("tool", t) for t in query.action]
        return await self.page("/v1/tool-calls", params, cursor)

    @staticmethod
    def call_path(call_id: str) -> str:
        return f"/v1/tool-calls/{seg(call_id)}"

    async def tool_call(self, call_id: str) -> Reply:
        """``GET /v1/tool-calls/{id}``."""
        return await self.request("GET", self.call_path(call_id))

    async def result(self, call_id: str, wait: int = RESULT_WAIT) -> Reply:
        """``GET /v1/tool-calls/{id}/result?wait=``: 200 with the result once there is one,
        else (202) the call as it stands when the wait runs out or it changes."""
        return await self.request(
            "GET", self.call_path(call_id) + "/result", params=[("wait", str(wait))], wait=wait
        )

    async def trace(self, run_id: str, cursor: str | None = None) -> Reply:
        """``GET /v1/runs/{id}/trace``: one page of the run's spans, oldest first."""
        return await self.page(f"/v1/runs/{seg(run_id)}/trace", OLDEST_FIRST, cursor)

    async def run_events(self, run_id: str, cursor: str | None = None) -> Reply:
        """``GET /v1/runs/{id}/events``: one page of the run's events, oldest first."""
        return await self.page(f"/v1/runs/{seg(run_id)}/events", OLDEST_FIRST, cursor)

    def stream(self, run_id: str, last_event_id: str | None) -> AsyncIterator[SseEvent]:
        """One connection to ``GET /v1/runs/{id}/stream``, resumed after ``last_event_id``."""
        headers = {"Last-Event-ID": last_event_id} if last_event_id else None
        return self.events(f"/v1/runs/{seg(run_id)}/stream", [("include", "trace,events")], headers)


async def speaks_current(client: CurrentClient) -> bool | None:
    """Whether the server speaks the current API: True when it lists tool calls, False when
    it has no such endpoint, None when it cannot tell (down, refused, odd)."""
    try:
        await client.request("GET", "/v1/tool-calls", params=[("limit", "1")])
    except NotFound:
        return False
    except ApiError:
        return None
    return True
