"""bctrl as a :class:`~tui.core.source.Source`: runs are groups, invocations are rows, and a
live invocation is followed with the long-poll ``wait`` until it is terminal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from tui.core import fields as f
from tui.core.errors import MalformedResponse, NotFound, Unsupported
from tui.core.model import Copy, Detail, Group, Kind, Query, Row, Status, Update
from tui.core.pages import AppendPager, Page, Pager
from tui.core.source import Vocabulary
from tui.core.text import short_id
from tui.providers.bctrl.client import WAIT_MS, BctrlClient
from tui.providers.bctrl.models import (
    ACTIONS,
    FULL,
    STATUS_WORDS,
    SUMMARY,
    V2,
    Body,
    body_from_full,
    body_from_v2,
    cause,
    explain,
    invocation_row,
    run_group,
)
from tui.providers.http import Reply, pretty_json, seg
from tui.providers.shared import ModelSource

RUN_PAGES = 5
RUN_LIMIT = 100
"""Pages of runs the run list reads, and runs a page (500 runs, newest first)."""
REFRESH_AT_MOST = 20
WAIT_BODY = '{"timeoutMs": 25000}'
MIN_WAIT_SPACING = 1.0
"""Seconds between the starts of two long-polls of one invocation, at least."""
VOCABULARY = Vocabulary(
    group="run",
    groups="Runs",
    row="invocation",
    rows="Invocations",
    follows_with="long-poll",
    statuses=tuple(STATUS_WORDS),
    failures=("failed", "timed_out"),  # as n/N: a cancelled invocation is not one to debug
    live=tuple(word for word, kind in STATUS_WORDS.items() if not kind.terminal),
    actions=ACTIONS,
    group_kind="runtime",
    label="bctrl · invocation API",
)


def page_data(reply: Reply, path: str) -> list[Any]:
    """A page's ``data``: the whole answer depends on it, so without it the page is
    malformed (a list with odd rows is fine: each row costs only itself)."""
    value = f.obj(reply.data).get("data")
    if not isinstance(value, list):
        raise MalformedResponse("the page has no data list", path=path)
    return value


def next_cursor(reply: Reply) -> str | None:
    """Where the next page starts: ``nextCursor``, unless ``hasMore`` says there is none."""
    body = f.obj(reply.data)
    return f.text(body, "nextCursor") if body.get("hasMore") is not False else None


async def paged(
    read: Callable[[str | None], Awaitable[Reply]], path: str, pages: int
) -> AsyncIterator[list[Any]]:
    """The items of each page, ``pages`` at most, from the first on (the end, or a cursor
    seen before, stops it)."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(pages):
        reply = await read(cursor)
        yield page_data(reply, path)
        cursor = next_cursor(reply)
        if not cursor or cursor in seen:
            return
        seen.add(cursor)


RunMapper = Callable[[Any, float, int], Group | None]
"""A run record (with when it was read, and how complete a view it is) as a group."""


async def read_runs(
    client: BctrlClient, clock: Callable[[], float], mapper: RunMapper, limit: int
) -> list[Group]:
    """The run list (``GET /v1/runs``), newest first, :data:`RUN_PAGES` pages at most."""
    runs: list[Group] = []
    try:
        async for items in paged(lambda c: client.runs(c, limit), "/v1/runs", RUN_PAGES):
            now = clock()
            runs += filter(None, (mapper(item, now, 0) for item in items))
    except NotFound as error:
        what = "this server has no run list (GET /v1/runs)"
        raise Unsupported.beyond_contract(error, what) from None
    return runs


async def read_run(
    client: BctrlClient, key: str, clock: Callable[[], float], mapper: RunMapper
) -> Group:
    """One run (``GET /v1/runs/{id}``); ``Unsupported`` when the server has no such
    endpoint (a 404 that is not the run's own)."""
    try:
        reply = await client.run(key)
    except NotFound as error:
        if error.code == "run.not_found":
            raise
        what = "this server does not describe runs (GET /v1/runs/{id})"
        raise Unsupported.beyond_contract(error, what) from None
    group = mapper(reply.data, clock(), 1)
    if group is None:
        raise MalformedResponse("the run has no id", path="/v1/runs/{id}")
    return group


def run_copies(group: Group, *curls: Copy) -> list[Copy]:
    """What ``y`` offers for a run of either bctrl API: its id, its JSON, curl commands."""
    as_json = pretty_json(None, group.raw or {"id": group.key})
    return [Copy("Run id", group.key), Copy("Run as JSON", as_json), *curls]


class BctrlSource(ModelSource[BctrlClient]):
    """Runs and their invocations; steps and diagnostics in the detail."""

    name = "bctrl"
    vocabulary = VOCABULARY
    causes = cause
    explains = explain

    # -- groups --------------------------------------------------------------------------

    async def groups(self) -> list[Group]:
        return await read_runs(self.client, self.clock, run_group, RUN_LIMIT)

    async def group(self, key: str) -> Group:
        return await read_run(self.client, key, self.clock, run_group)

    async def locate(self, ref: str) -> Group | Row:
        return Group(ref, Status(Kind.UNKNOWN, ""), title=short_id(ref), pinned_only=True)

    # -- rows ----------------------------------------------------------------------------

    def pager(self, group: str, query: Query, *, stream: bool = True) -> Pager:
        async def fetch(cursor: str | None) -> Page:
            reply = await self.client.invocations(group, query, cursor)
            now = self.clock()
            items = page_data(reply, self.client.invocations_path(group))
            rows = (invocation_row(item, now, SUMMARY, group) for item in items)
            return Page([r for r in rows if r], next_cursor(reply))

        return AppendPager(fetch)

    async def refresh(self, rows: list[Row]) -> list[Row]:
        """Progress of live rows on screen, from their v2 records."""

        def row_of(row: Row, reply: Reply) -> Row | None:
            data = f.obj(reply.data).get("data")
            return invocation_row(data, self.clock(), V2, row.group, key=row.key)

        live = [row for row in rows if not row.status.terminal]
        return await self.reread(live[:REFRESH_AT_MOST], self.client.invocation, row_of)

    async def follow(self, key: str, known: Detail | None) -> AsyncIterator[Update]:
        """The v2 record, then the long-poll until terminal, then the final v2 (its result)."""
        body: Body | None = known.body if known is not None else None
        if known is not None and known.terminal:
            return
        v2_final = False

        def from_v2(reply: Reply, last: bool = False) -> list[Update]:
            """The v2 record's row and detail (``last``: the final one, with the result)."""
            nonlocal body, v2_final
            data = f.obj(reply.data).get("data")
            row = invocation_row(data, self.clock(), V2, key=key)
            if row is None:
                raise MalformedResponse(
                    "the answer has no invocation record", path="/v2/invocations/{id}"
                )
            body = body_from_v2(data, body)
            v2_final = row.status.terminal
            return [row, Detail(key, body, last, FULL if last else V2, self.clock(), reply.body)]

        # The first long-poll goes out with the v2 request: a finished invocation's full
        # record (megabytes, for a big one) is then on its way while the v2 one arrives.
        waiting = asyncio.ensure_future(self.client.wait(key, WAIT_MS)) if body is None else None
        try:
            if body is None:
                for update in from_v2(await self.client.invocation(key)):
                    yield update
            terminal = False
            while not terminal:
                asked = time.monotonic()
                if waiting is not None:
                    reply, waiting = await waiting, None
                else:
                    reply = await self.client.wait(key, 0 if v2_final else WAIT_MS)
                data = f.obj(reply.data).get("invocation")
                row = invocation_row(data, self.clock(), FULL, key=key)
                if row is None:
                    raise MalformedResponse("the wait answer has no invocation", path="wait")
                body = body_from_full(data, body)
                # A terminal status never goes back to live: once the v2 record said
                # terminal, this is the final full record, whatever the wait answer claims.
                terminal = row.status.terminal or v2_final
                yield row
                yield Detail(key, body, terminal and v2_final, FULL, self.clock(), reply.body)
                spent = time.monotonic() - asked
                if not terminal and spent < MIN_WAIT_SPACING:
                    # A server that answers the long-poll at once is not asked again at once.
                    await asyncio.sleep(MIN_WAIT_SPACING - spent)
        finally:
            if waiting is not None:
                waiting.cancel()
        if not v2_final:  # the result arrives with the final v2 record
            for update in from_v2(await self.client.invocation(key), last=True):
                yield update

    # -- words ---------------------------------------------------------------------------

    def copies(self, group: Group | None, row: Row | None, detail: Detail | None) -> list[Copy]:
        if row is not None:
            path = self.client.invocation_path(row.key)
            wait = f"/v1/invocations/{seg(row.key)}/wait"
            return [
                *self.row_copies(row, detail, path),
                self.curl("curl to wait for it to finish", wait, method="POST", body=WAIT_BODY),
            ]
        if group is None:
            return []
        path = self.client.invocations_path(group.key)
        return run_copies(group, self.curl("curl for this run's invocations", path))
