"""Kernel as a :class:`~tui.core.source.Source`: app versions are groups, invocations are
rows, and a live invocation is followed through its event stream (state and log), resuming
after a drop without losing or repeating a line."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from itertools import chain
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tui.core import fields as f
from tui.core.errors import ApiError, ConnectionDropped, MalformedResponse, NotFound, Unsupported
from tui.core.failures import Cause
from tui.core.model import Alive, Copy, Detail, Group, Kind, LogLines, Query, Row, Status, Update
from tui.core.pages import HeadPager, Page, Pager
from tui.core.source import Vocabulary
from tui.core.text import clean
from tui.providers.http import Params
from tui.providers.kernel.client import MAX_PAGE, KernelClient, next_offset
from tui.providers.kernel.cursor import LogCursor
from tui.providers.kernel.models import (
    STATUS_WORDS,
    explain,
    invocation_row,
    log_line,
    split_group,
    summarise,
    timestamp_ns,
)
from tui.providers.shared import ModelSource

if TYPE_CHECKING:
    from pathlib import Path

    from tui.providers.record import Recorder

GROUP_PAGES = 3
"""The newest 300 invocations name the apps and their versions."""
TABLE_PAGES = 5
TABLE_ROWS = TABLE_PAGES * MAX_PAGE
"""Up to 500 invocations of one app version: what its table shows, and what the app list
counts for it."""
RECOUNTS = 3
"""App versions read from their own list at most, per read of the app list (see
:meth:`KernelSource.groups`); the others wait for the next read."""
RECOUNT_EVERY = 30.0
"""Seconds before a version counted in full is read from its own list again (one whose
older invocation never ends would otherwise be read on every refresh)."""
KEPT_CURSORS = 64
MIN_PREFIX = 4
"""The fewest characters of an invocation id looked for as a prefix (the table shows 8)."""
EVERY_VERSION = "all"
"""The version column of an app pinned by name (every version of it)."""
VOCABULARY = Vocabulary(
    group="app version",
    groups="Apps",
    row="invocation",
    rows="Invocations",
    follows_with="event stream",
    statuses=tuple(STATUS_WORDS),
    failures=("failed",),
    multi_filter=False,
    group_kind="version",
    kind_in_name=True,
    newest_first=True,
)


def _filters(group: str) -> Params:
    """The list filters that name a group: its app, and its version when the key has one."""
    app, version = split_group(group)
    return [("app_name", app), *([("version", version)] if version else [])]


class KernelSource(ModelSource[KernelClient]):
    """Apps by version, their invocations, payload, output and live logs."""

    name = "kernel"
    vocabulary = VOCABULARY
    reason = "Status reason"
    explains = explain

    def __init__(
        self, client: KernelClient, *, clock: Callable[[], float], key_env: str | None = None
    ) -> None:
        super().__init__(client, clock=clock, key_env=key_env)
        self._cursors: OrderedDict[str, LogCursor] = OrderedDict()
        self._versions: dict[str, list[Row]] = {}
        """Each listed app version's invocations as last counted in full, newest first."""
        self._recounted: dict[str, float] = {}
        """When each app version was last read from its own list."""
        self._counted: dict[str, list[Row]] | None = None
        """What each app version was counted from when the list was last read (None: never
        read): an app pinned by name is counted from its versions' (:meth:`group`)."""

    async def _page(self, filters: Params, offset: int | None) -> tuple[list[Row], int | None]:
        """The rows of one page of the invocation list, and where the next one starts."""
        try:
            reply = await self.client.invocations(filters, offset)
        except NotFound as error:
            what = "this server has no invocation list (GET /invocations)"
            raise Unsupported.beyond_contract(error, what) from None
        if not isinstance(reply.data, list):
            raise MalformedResponse("the invocation list is not a JSON array", path="/invocations")
        now = self.clock()
        rows = [m[0] for m in (invocation_row(item, now) for item in reply.data) if m]
        return rows, next_offset(reply)

    async def _newest(self) -> AsyncIterator[tuple[list[Row], bool]]:
        """The newest invocations of every app (:data:`GROUP_PAGES` pages), a page at a
        time, and whether more follow the page."""
        offset: int | None = None
        for _ in range(GROUP_PAGES):
            page, offset = await self._page([], offset)
            yield page, offset is not None
            if offset is None:
                return

    async def _recent(self) -> AsyncIterator[list[Row]]:
        """The most recent invocations, a page at a time, newest first."""
        async for page, _ in self._newest():
            yield page

    async def groups(self) -> list[Group]:
        """App versions, each counted as its table counts it: its newest invocations, up to
        :data:`TABLE_ROWS`. The newest of all (:data:`GROUP_PAGES` pages) name the versions;
        while they are every invocation there is, they are what each counts. Beyond them, see
        :meth:`_with_older`."""
        newest: dict[str, list[Row]] = {}
        seen: set[str] = set()
        more = False
        async for page, more_follow in self._newest():
            more = more_follow
            for row in page:
                if row.key not in seen:
                    seen.add(row.key)
                    newest.setdefault(row.group, []).append(replace(row, raw=None))
        if more:
            versions = await self._with_older(newest)
        else:
            versions = self._versions = newest
        self._recounted = {k: t for k, t in self._recounted.items() if k in newest}
        self._counted = {key: rows[:TABLE_ROWS] for key, rows in versions.items()}
        return summarise(chain.from_iterable(self._counted.values()), self.clock())

    async def _with_older(self, newest: dict[str, list[Row]]) -> dict[str, list[Row]]:
        """Each app version's invocations among the newest of all, then the older ones it was
        last counted with: those had ended, and an ended invocation never changes while a
        new one is among the newest. A version is read from its own list (at most
        :data:`RECOUNTS` a read, the longest unread first) when it was never counted in full,
        or when one of its older invocations had not ended: what it says now is not among
        the newest."""
        versions: dict[str, list[Row]] = {}
        due: list[str] = []
        for key, rows in newest.items():
            listed = {row.key for row in rows}
            older = [row for row in self._versions.get(key, ()) if row.key not in listed]
            versions[key] = rows + older
            if key not in self._versions or any(not row.status.terminal for row in older):
                due.append(key)
        counted = {key for key in versions if key in self._versions}
        now = self.clock()
        due = [  # one never counted in full at once; one counted, not more than so often
            k
            for k in due
            if k not in counted or now - self._recounted.get(k, -math.inf) >= RECOUNT_EVERY
        ]
        due.sort(key=lambda key: self._recounted.get(key, -math.inf))
        for key in due[:RECOUNTS]:
            self._recounted[key] = self.clock()
            recount = await self._recount(key)
            if recount is not None:
                versions[key] = recount
                counted.add(key)
        self._versions = {key: versions[key][:TABLE_ROWS] for key in counted}
        return versions

    async def _recount(self, key: str) -> list[Row] | None:
        """An app version's newest invocations, read as its table reads them (its pager);
        None when that fails (the app list does not fail for a count)."""
        try:
            read = (await self.pager(key, Query()).poll()).rows
        except ApiError:
            return None
        # An app without versions: its list holds every version.
        return [replace(row, raw=None) for row in read if row.group == key] or None

    async def group(self, key: str) -> Group:
        """An app version, or an app (``key`` without a version: every version of it), as
        the invocations the list last read count it: Kernel has no endpoint for either,
        and nothing is asked."""
        if self._counted is None:
            raise Unsupported("Kernel has no endpoint for one app version")
        app, version = split_group(key)
        rows = [
            replace(row, group=key)
            for listed, members in self._counted.items()
            if listed == key or (version is None and split_group(listed)[0] == app)
            for row in members
        ]
        if not rows:
            raise NotFound(f"no invocation of {key} among the newest listed")
        [group] = summarise(rows, self.clock())  # described: the fullest view of it
        return replace(group, rank=1, subtitle=group.subtitle if version else EVERY_VERSION)

    async def locate(self, ref: str) -> Group | Row:
        if "@" not in ref:
            try:
                reply = await self.client.invocation(ref)
            except NotFound:
                pass
            else:
                mapped = invocation_row(reply.data, self.clock(), key=ref)
                if mapped is not None:
                    return mapped[0]
        try:
            reply = await self.client.invocations(_filters(ref), None, limit=1)
        except NotFound:
            pass  # no list on this server: the app cannot be checked, the pager will say so
        else:
            if isinstance(reply.data, list) and not reply.data:
                # Not a whole id or name: maybe the start of an invocation's id (the table
                # shows 8), else of an app's name or APP@VERSION, which `watch` looks for
                # among the app versions listed, as it does a run's short id.
                named = clean(ref, limit=120)
                nothing = f"no invocation, and no app with invocations, named {named}"
                if "@" in ref or len(ref) < MIN_PREFIX:
                    raise NotFound(nothing, path="/invocations")
                return await self.by_prefix(ref, self._recent(), nothing, final=False)
        app, version = split_group(ref)
        every = version or "every version"
        return Group(ref, Status(Kind.UNKNOWN, ""), title=app, subtitle=every, pinned_only=True)

    def pager(self, group: str, query: Query, *, stream: bool = True) -> Pager:
        filters = _filters(group)
        filters += [("status", s) for s in query.status[:1]]
        filters += [("action_name", a) for a in query.action[:1]]

        async def fetch(cursor: str | None) -> Page:
            rows, offset = await self._page(filters, int(cursor) if cursor else None)
            return Page(rows, str(offset) if offset is not None else None)

        return HeadPager(fetch, TABLE_PAGES)

    async def refresh(self, rows: list[Row]) -> list[Row]:
        return []  # list rows are already complete

    def record_to(self, path: Path, provider: str, focus: str | None = None) -> Recorder:
        """Record from now on (``w``), the logs already read included: a finished log's
        cursor would answer from memory, and the recording would have no log for it."""
        self._cursors.clear()  # a follow running now keeps its own cursor
        return super().record_to(path, provider, focus)

    def _cursor(self, key: str) -> LogCursor:
        cursor = self._cursors.setdefault(key, LogCursor())
        self._cursors.move_to_end(key)
        while len(self._cursors) > KEPT_CURSORS:
            self._cursors.popitem(last=False)
        return cursor

    def _state(self, key: str, invocation: Any, cursor: LogCursor) -> list[Update]:
        mapped = invocation_row(invocation, self.clock(), key=key)
        if mapped is None:
            return []
        row, body = mapped
        if row.status.terminal:
            cursor.terminal = True
        raw = json.dumps(invocation, ensure_ascii=False).encode()
        return [row, Detail(key, body, row.status.terminal, 0, self.clock(), raw)]

    async def follow(self, key: str, known: Detail | None) -> AsyncIterator[Update]:
        """State and log until the invocation is terminal and its whole log is read."""
        if known is None:  # the caller has nothing of it (forgotten): its whole log again
            self._cursors.pop(key, None)
        cursor = self._cursor(key)
        cursor.terminal = cursor.read  # ended, but its log's end unread: read on
        failures = 0
        first = True
        while not cursor.terminal:
            if not first or cursor.since is not None:
                cursor.resume(reconnect=not first)  # the server repeats lines at `since`
            first = False
            try:
                async for event in self.client.stream(key, cursor.since):
                    for update in self._frame(key, event.event, event.data, cursor):
                        if isinstance(update, LogLines | Alive):
                            failures = 0  # the connection delivers: it works
                        yield update
                if cursor.terminal:
                    break
                reply = await self.client.invocation(key)  # it ended early: is it done?
                for update in self._state(key, reply.data, cursor):
                    yield update
                if not cursor.terminal:
                    raise ConnectionDropped(
                        "the event stream ended before the invocation finished",
                        path=self.client.invocation_path(key) + "/events",
                    )
            except ApiError as error:  # any failure of this round: back off, or give up
                await self.client.backoff(error, failures)
                failures += 1
        cursor.read = True
        yield LogLines(key, (), complete=True, resumed=cursor.reconnects)

    def _frame(self, key: str, kind: str, data: str, cursor: LogCursor) -> list[Update]:
        if kind == "comment":
            return [Alive()]
        try:
            frame = f.obj(json.loads(data))
        except (ValueError, RecursionError):
            cursor.bad_frames += 1
            return []
        event = f.text(frame, "event")
        stamp = f.text(frame, "timestamp") or ""
        if event == "log":
            message = f.text(frame, "message") or ""
            if not cursor.accept(stamp, timestamp_ns(stamp), message):
                return []
            return [LogLines(key, (log_line(stamp, message),), resumed=cursor.reconnects)]
        if event == "invocation_state":
            return self._state(key, frame.get("invocation"), cursor)
        if event == "error":
            error = f.obj(frame.get("error"))
            text = " · ".join(p for p in (f.text(error, "code"), f.text(error, "message")) if p)
            return [LogLines(key, (log_line(stamp, f"[stream error] {text}"),))]
        if event == "sse_heartbeat":
            return [Alive()]
        return []

    def cause(self, row: Row, detail: Detail | None) -> Cause:
        reason = detail.body.reason if detail is not None else None
        problem = row.problem.message if row.problem is not None else None
        return Cause(None, reason or problem or row.status.raw, row.name)

    def copies(self, group: Group | None, row: Row | None, detail: Detail | None) -> list[Copy]:
        if row is not None:
            path = self.client.invocation_path(row.key)
            return [
                *self.row_copies(row, detail, path),
                self.curl("curl for its event stream", path + "/events", stream=True),
            ]
        if group is None:
            return []
        return [
            Copy("App and version", group.key),
            self.curl("curl for its invocations", f"/invocations?{urlencode(_filters(group.key))}"),
        ]
