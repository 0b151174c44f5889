"""bctrl's current API as a :class:`~tui.core.source.Source`: runs are groups, tool calls are
rows. While a run is live its event stream keeps the table and the trace current (the list
is read again only when the stream says a call changed); without a stream, the list is
polled. A live call is followed with the ``result?wait=`` long-poll; a terminal one is read
once, with its result, the run's trace and, when it failed, the run's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

from tui.core.errors import BadRequest, MalformedResponse, NotFound
from tui.core.model import Copy, Detail, Group, Kind, Query, Row, Status, Update
from tui.core.pages import AppendPager, OnPage, Page, PageDelta, Pager
from tui.core.source import Vocabulary
from tui.core.text import short_id
from tui.providers.bctrl.source import (
    next_cursor,
    page_data,
    paged,
    read_run,
    read_runs,
    run_copies,
)
from tui.providers.current.client import PAGE, RESULT_WAIT, CurrentClient
from tui.providers.current.models import (
    FILTER_WORDS,
    LIST,
    ONE,
    STATUS_WORDS,
    Body,
    body_from_call,
    call_row,
    cause,
    event,
    explain,
    merge_spans,
    run_group,
    span,
)
from tui.providers.current.stream import RunStream
from tui.providers.http import Reply
from tui.providers.shared import ModelSource

TRACE_PAGES = 10
EVENT_PAGES = 10
REFRESH_AT_MOST = 20
STREAMS = 3
"""Run streams kept open at once (the selected run's, and the last few looked at)."""
PREFIX_PAGES = 5
"""Pages of the newest tool calls searched for the one a short ``tc_`` id names."""
AUGUST = {"awaiting_input": "requires_input", "canceled": "cancelled", "unknown": "failed"}
OCTOBER = {"requires_input": "awaiting_input", "cancelled": "canceled", "timed_out": None}
"""A filter word in the other dialect's spelling (None: that dialect has no such status)."""
ReadPage = Callable[[str, str | None], Awaitable[Reply]]
"""One page of a run's trace or events, from a cursor."""
VOCABULARY = Vocabulary(
    group="run",
    groups="Runs",
    row="tool call",
    rows="Tool calls",
    follows_with="event stream",
    statuses=FILTER_WORDS,
    failures=("failed", "unknown"),  # as n/N: a canceled call is not one to debug
    live=tuple(w for w in FILTER_WORDS if not STATUS_WORDS[w].terminal),  # the pager maps them
    group_kind="resource",
    name_column="tool",
    label="bctrl · current API",
)


class StreamPager:
    """A run's tool calls: the list read in pages, then read again only when the run's
    stream says something changed, or every poll while there is no stream."""

    def __init__(self, listing: AppendPager, stream: RunStream) -> None:
        self._listing = listing
        self._stream = stream
        self._listed = False

    async def poll(self, *, full: bool = False, on_page: OnPage | None = None) -> PageDelta:
        self._stream.start()
        touched, grew = self._stream.take_touched()
        if self._listed and not full and self._stream.live and not touched and not grew:
            return PageDelta()  # the stream is up and said nothing: nothing changed
        delta = await self._listing.poll(full=full, on_page=on_page)
        self._listed = True
        return delta


class CurrentSource(ModelSource[CurrentClient]):
    """Runs and their tool calls; the call, its span path and the events beside it in the
    detail."""

    name = "bctrl-current"
    vocabulary = VOCABULARY
    noun = "Tool call"
    causes = cause
    explains = explain

    def __init__(
        self, client: CurrentClient, *, clock: Callable[[], float], key_env: str | None = None
    ) -> None:
        super().__init__(client, clock=clock, key_env=key_env)
        self._streams: OrderedDict[str, RunStream] = OrderedDict()
        self.august = False
        """Whether the server speaks August 2026's status words (learned from its rows)."""

    def stream(self, run_id: str) -> RunStream:
        """The run's stream (opened on first use; the oldest beyond :data:`STREAMS` closes)."""
        found = self._streams.get(run_id)
        if found is None:
            found = self._streams[run_id] = RunStream(self.client, run_id)
            while len(self._streams) > STREAMS:
                _, old = self._streams.popitem(last=False)
                asyncio.get_running_loop().create_task(old.aclose())
        self._streams.move_to_end(run_id)
        return found

    async def aclose(self) -> None:
        for stream in self._streams.values():
            await stream.aclose()
        self._streams.clear()
        await super().aclose()

    # -- groups --------------------------------------------------------------------------

    async def groups(self) -> list[Group]:
        return await read_runs(self.client, self.clock, run_group, PAGE)

    async def group(self, key: str) -> Group:
        return await read_run(self.client, key, self.clock, run_group)

    async def locate(self, ref: str) -> Group | Row:
        if ref.startswith("tc_"):
            try:
                reply = await self.client.tool_call(ref)
            except NotFound:
                return await self._call_by_prefix(ref)
            row = call_row(reply.data, self.clock(), ONE, key=ref)
            if row is not None:
                return row
        return Group(ref, Status(Kind.UNKNOWN, ""), title=short_id(ref), pinned_only=True)

    async def _call_by_prefix(self, ref: str) -> Row:
        """The one recent tool call whose id starts with ``ref`` (the viewer shows ``tc_``
        and eight more); :class:`NoMatch` when none or several do."""
        newest = partial(self.client.tool_calls, None, Query(), newest_first=True)

        async def pages() -> AsyncIterator[list[Row]]:
            async for items in paged(newest, "/v1/tool-calls", PREFIX_PAGES):
                yield list(filter(None, (call_row(item, self.clock(), LIST) for item in items)))

        return await self.by_prefix(ref, pages(), f"no tool call has the id {ref}")

    # -- rows ----------------------------------------------------------------------------

    def _learn(self, rows: list[Row]) -> None:
        words = {row.status.raw for row in rows}
        if words & {"requires_input", "cancelled", "timed_out"}:
            self.august = True
        elif words & {"awaiting_input", "canceled", "unknown"}:
            self.august = False

    def _statuses(self, words: tuple[str, ...]) -> tuple[str, ...] | None:
        """The filter in the server's words; None when none of them exists there."""
        table = AUGUST if self.august else OCTOBER
        said = [table.get(word, word) for word in words]
        kept = tuple(dict.fromkeys(w for w in said if w is not None))
        return kept if kept or not words else None

    def pager(self, group: str, query: Query, *, stream: bool = True) -> Pager:
        async def fetch(cursor: str | None) -> Page:
            for again in (False, True):
                statuses = self._statuses(query.status)
                if statuses is None:
                    return Page([], None)
                try:
                    asked = replace(query, status=statuses)
                    reply = await self.client.tool_calls(group, asked, cursor)
                    break
                except BadRequest:
                    if again or not query.status:
                        raise
                    self.august = not self.august  # the other dialect, then: ask in its words
            now = self.clock()
            items = page_data(reply, "/v1/tool-calls")
            rows = list(filter(None, (call_row(item, now, LIST, group) for item in items)))
            self._learn(rows)
            return Page(rows, next_cursor(reply))

        listing = AppendPager(fetch)
        return StreamPager(listing, self.stream(group)) if stream else listing

    async def refresh(self, rows: list[Row]) -> list[Row]:
        """Live rows on screen, read again, when no stream keeps their run current."""
        live = [
            row
            for row in rows
            if not row.status.terminal
            and not ((stream := self._streams.get(row.group)) is not None and stream.live)
        ]

        def row_of(row: Row, reply: Reply) -> Row | None:
            return call_row(reply.data, self.clock(), ONE, row.group, key=row.key)

        return await self.reread(live[:REFRESH_AT_MOST], self.client.tool_call, row_of)

    async def _pages(self, read: ReadPage, run: str, pages: int, path: str) -> list[Any]:
        return [item async for items in paged(partial(read, run), path, pages) for item in items]

    async def _context(self, body: Body, row: Row) -> Body:
        """The run's trace, and its events when the call failed: what the detail joins on
        ``spanId`` (the stream then keeps the trace of a live call current)."""
        run = body.run or row.group
        if not run:
            return body
        try:
            spans = await self._pages(self.client.trace, run, TRACE_PAGES, "trace")
            body = replace(body, trace=tuple(filter(None, map(span, spans))), trace_at=self.clock())
            if row.status.failure and body.events is None:
                events = await self._pages(self.client.run_events, run, EVENT_PAGES, "events")
                body = replace(body, events=tuple(filter(None, map(event, events))))
        except NotFound:  # a server without traces or events: the call alone is shown
            body = replace(body, trace=body.trace or (), events=body.events or ())
        return body

    async def follow(self, key: str, known: Detail | None) -> AsyncIterator[Update]:
        """The call; while live, the result long-poll (and the stream's spans for the trace);
        once terminal, its result, trace and events, then nothing more."""
        if known is not None and known.terminal:
            return

        def row_of(reply: Reply, path: str) -> Row:
            row = call_row(reply.data, self.clock(), ONE, key=key)
            if row is None:
                raise MalformedResponse("the answer has no tool call", path=path)
            return row

        reply = await self.client.tool_call(key)
        row = row_of(reply, "/v1/tool-calls/{id}")
        body = body_from_call(reply.data, known.body if known is not None else None)
        # The run's stream, when its table opened one (a call watched alone is not worth one).
        stream = self._streams.get(body.run or "")
        body = await self._context(body, row)
        yield row
        yield Detail(key, body, False, ONE, self.clock(), reply.body)
        while not row.status.terminal:
            version = stream.version if stream is not None else 0
            waiting = asyncio.ensure_future(self.client.result(key, RESULT_WAIT))
            try:
                while stream is not None and stream.live and not waiting.done():
                    # The stream's spans update the trace while the long-poll waits.
                    changed = asyncio.ensure_future(stream.changed(version, RESULT_WAIT))
                    await asyncio.wait({waiting, changed}, return_when=asyncio.FIRST_COMPLETED)
                    changed.cancel()
                    if stream.version > version and not waiting.done():
                        version = stream.version
                        trace = merge_spans(body.trace or (), stream.spans.values())
                        body = replace(body, trace=trace, trace_at=self.clock())
                        yield Detail(key, body, False, ONE, self.clock(), reply.body)
                answer = await waiting
            finally:
                waiting.cancel()
            if answer.status == 200:  # the result itself: the call has finished
                body = replace(body, result=answer.data, result_read=True)
                reply = await self.client.tool_call(key)
            else:
                reply = answer
            row = row_of(reply, "result")
            body = body_from_call(reply.data, body)
            yield row
            if not row.status.terminal:
                yield Detail(key, body, False, ONE, self.clock(), reply.body)
        if body.result_available and not body.result_read:
            with contextlib.suppress(NotFound):
                answer = await self.client.result(key, 0)
                if answer.status == 200:
                    body = replace(body, result=answer.data, result_read=True)
        body = await self._context(replace(body, events=None), row)
        yield Detail(key, body, True, ONE, self.clock(), reply.body)

    # -- words ---------------------------------------------------------------------------

    def copies(self, group: Group | None, row: Row | None, detail: Detail | None) -> list[Copy]:
        if row is not None:
            path = self.client.call_path(row.key)
            return [
                *self.row_copies(row, detail, path),
                self.curl("curl to wait for its result", path + "/result?wait=25"),
            ]
        if group is None:
            return []
        return run_copies(
            group,
            self.curl("curl for this run's tool calls", f"/v1/tool-calls?runId={group.key}"),
            self.curl("curl for this run's trace", f"/v1/runs/{group.key}/trace"),
        )
