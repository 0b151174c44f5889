"""``runwatch watch REF``: a headless watch for scripts, logs and CI, on the same core as the
viewer (one source, one store, one poll loop), for every provider.

REF names a group (a bctrl run, a Kernel ``APP`` or ``APP@VERSION``) or one row (a Kernel
invocation). Output is plain timestamped lines, JSON lines (``--jsonl``), one JSON document
(``--json``) or one Rich table (``--once``). Transient API errors are retried; only auth
errors, a group that does not exist, a deadline or a long outage end a watch early.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from rich.console import Console
from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text

from tui.core.errors import Forbidden, NotFound, Unauthorized, Unsupported
from tui.core.model import Detail, Group, Kind, Query, Row
from tui.core.poll import Poller
from tui.core.source import Source
from tui.core.store import Store, elapsed
from tui.core.text import clean, short_id
from tui.core.timefmt import clock_time, duration, iso

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_AUTH = 4
EXIT_UNREACHABLE = 5

EXIT_CODES_HELP = """\
exit codes:
  0  watch ended (with --exit-status: nothing failed)
  1  with --exit-status: something failed, was cancelled or timed out
  2  usage error, or what REF names does not exist
  3  --timeout passed before everything finished
  4  API key missing, rejected (401) or not allowed (403)
  5  the API stayed unreachable for --give-up seconds (default 60)

Transient errors (5xx, 429, timeouts, dropped connections, bad bodies) are retried
with backoff; a single 500 never ends a watch.
"""

COLOURS = {
    "succeeded": "green",
    "failed": "bold red",
    "timed_out": "red",
    "cancelled": "yellow",
    "running": "cyan",
    "waiting": "magenta",
    "queued": "dim",
}
T = TypeVar("T")


class Stop(Exception):
    """The watch ends with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class WatchOptions:
    ref: str
    mode: str = "plain"  # plain | once | json | jsonl
    exit_status: bool = False
    timeout: float | None = None
    interval: float = 2.0
    give_up: float = 60.0


@dataclass
class _Watch:
    source: Source
    options: WatchOptions
    out: TextIO
    err: TextIO
    clock: Callable[[], float]
    console: Console
    poller: Poller = field(init=False)
    store: Store = field(default_factory=Store)
    started: float = 0.0
    printed: dict[str, str] = field(default_factory=dict)
    noted: set[str] = field(default_factory=set)
    deadlines: list[asyncio.Timeout] = field(default_factory=list)
    """The deadlines of the fetches under way (innermost last): a stream that delivers
    pushes them back (:meth:`alive`)."""

    def __post_init__(self) -> None:
        self.poller = Poller(
            interval=self.options.interval,
            clock=self.clock,
            rate_limited_for=self.source.rate_limited_for,
        )
        self.started = self.clock()

    def note(self, message: str) -> None:
        self.err.write(f"runwatch: {clean(message, limit=600)}\n")
        self.err.flush()

    def remaining(self) -> float:
        """Seconds left before ``--timeout`` or ``--give-up`` ends the watch."""
        limits = [self.options.give_up - self.poller.failing_for("api")]
        if self.options.timeout is not None:
            limits.append(self.started + self.options.timeout - self.clock())
        return min(limits)

    async def fetch(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call`` with retries until it succeeds, inside the watch's deadlines: every wait
        (a request that hangs, a stream, a backoff) ends at ``--timeout`` or when the API
        has been failing for ``--give-up`` seconds, whichever comes first."""
        while True:
            left = self.remaining()
            if left <= 0:
                self.stop_at_deadline(what)
            try:
                async with asyncio.timeout(left) as deadline:
                    self.deadlines.append(deadline)
                    try:
                        result = await call()
                    finally:
                        self.deadlines.remove(deadline)
            except TimeoutError:
                self.stop_at_deadline(what)
            except Stop:
                raise
            except (Unauthorized, Forbidden) as error:
                self.note(error.describe())
                raise Stop(EXIT_AUTH) from None
            except Exception as exc:  # any failure is retried, as the viewer's poller does
                if isinstance(exc, NotFound | Unsupported) and not exc.retryable:
                    raise
                failure = self.poller.failed("api", exc)
                wait = self.poller.delay("api")
                self.note(f"retrying in {wait:.1f}s: {failure.describe()}")
                await asyncio.sleep(max(0.0, min(wait, self.remaining())))
                continue
            self.poller.ok("api")
            return result

    def alive(self) -> None:
        """A stream delivered: the API works, so the give-up clock starts again for the
        fetches under way (``--timeout`` stays where it was)."""
        self.poller.ok("api")
        when = asyncio.get_running_loop().time() + max(0.0, self.remaining())
        for deadline in self.deadlines:
            if not deadline.expired():
                deadline.reschedule(when)

    def stop_at_deadline(self, what: str) -> None:
        timeout = self.options.timeout
        if timeout is not None and self.clock() >= self.started + timeout - 0.01:
            self.note(f"--timeout {timeout:g}s passed while {what}")
            live = sum(not row.status.terminal for row in self.store.rows.values())
            if live:
                noun = self.source.vocabulary.row
                self.note(f"{live} {noun if live == 1 else noun + 's'} still live")
            raise Stop(EXIT_TIMEOUT)
        error = self.poller.freshness("api").error
        why = f": {error.describe()}" if error is not None else ""
        self.note(f"API unreachable for {self.options.give_up:g}s{why}")
        raise Stop(EXIT_UNREACHABLE)


def _record(row: Row, before: str | None, now: float, why: list[str]) -> dict[str, Any]:
    took = elapsed(row, now)
    record: dict[str, Any] = {
        "time": iso(now),
        "group": row.group,
        "id": row.key,
        "name": row.name,
        "from": before,
        "to": row.status.raw,
        "kind": row.status.kind.value,
        "durationMs": round(took * 1000) if took is not None and row.status.terminal else None,
    }
    if row.problem is not None:
        record["error"] = {"code": row.problem.code, "message": row.problem.message}
    if why:
        record["why"] = why
    return record


def _line(record: dict[str, Any]) -> Text:
    line = Text(f"{record['time']}  {short_id(record['id'])}  ")
    line.append(f"{clean(record['name'] or '', limit=20):<15}")
    if record["from"] is not None:
        line.append(f"{clean(record['from'], limit=20)} -> ")
    line.append(clean(record["to"], limit=30), style=COLOURS.get(record["kind"], "magenta"))
    if record.get("durationMs") is not None:
        line.append(f"  ({duration(record['durationMs'] / 1000)})")
    error = record.get("error")
    if error:
        text = " · ".join(str(p) for p in (error.get("code"), error.get("message")) if p)
        line.append("  " + clean(text, limit=300), style="red")
    for why in record.get("why", ())[1:]:
        line.append("\n" + " " * 22 + clean(why, limit=500))
    return line


def _summary(rows: list[Row], noun: str) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status.raw] = counts.get(row.status.raw, 0) + 1
    parts = [f"{n} {clean(word, limit=30)}" for word, n in sorted(counts.items())]
    nouns = noun if len(rows) == 1 else f"{noun}s"
    return f"{len(rows)} {nouns}: " + (", ".join(parts) if parts else "none")


# Characters a terminal may act on (C1 controls such as CSI, bidi overrides, line and
# paragraph separators) that JSON allows raw inside strings: written as \u escapes, so
# ``--json`` and ``--jsonl`` output is as safe on a terminal as the plain lines.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def _json(value: Any, **options: Any) -> str:
    """``value`` as JSON (UTF-8 kept readable), with terminal-unsafe characters escaped."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def frame(group: Group | None, ref: str, rows: list[Row], now: float, noun: str) -> RichGroup:
    """The ``--once`` frame: a header and the table (API text as Text, never markup)."""
    header = Text(f"{ref}", style="bold")
    if group is not None and group.status.raw:
        header.append(f"  {clean(group.status.raw, limit=20)}")
        if group.problem is not None:
            header.append(f"  {clean(group.problem.text(), limit=200)}", style="red")
    header.append(f"  (as of {iso(now)})", style="dim")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("status", "name", "id", "time", "took", "error / reason"):
        table.add_column(column, no_wrap=column != "error / reason", overflow="fold")
    for row in rows:
        problem = row.problem.text() if row.problem else row.note or ""
        table.add_row(
            Text(
                clean(row.status.raw, limit=30), style=COLOURS.get(row.status.kind.value, "magenta")
            ),
            Text(clean(row.name or "", limit=30)),
            Text(short_id(row.key)),
            Text(clock_time(row.created if row.created is not None else row.started)),
            Text(duration(elapsed(row, now))),
            Text(clean(problem, limit=300), style="red" if row.problem else "dim"),
        )
    return RichGroup(header, table, Text(_summary(rows, noun), style="dim"))


async def _why(state: _Watch, row: Row) -> list[str]:
    """Why a row failed (its full record is read once for it)."""
    detail: Detail | None = state.store.details.get(row.key)
    if detail is None or not detail.terminal:

        async def read() -> None:
            async for update in state.source.follow(row.key, None):
                if isinstance(update, Detail):
                    state.store.merge_detail(update)

        with contextlib.suppress(NotFound, Unsupported):
            await state.fetch("reading why it failed", read)
        detail = state.store.details.get(row.key)
    return state.source.explain(row, detail)


async def _report(state: _Watch, rows: list[Row]) -> None:
    """Print the transitions among ``rows`` not printed yet."""
    now = state.clock()
    for row in rows:
        before = state.printed.get(row.key)
        if before == row.status.raw:
            continue
        state.printed[row.key] = row.status.raw
        why = await _why(state, row) if row.status.terminal and row.status.failure else []
        record = _record(row, before, now, why)
        if state.options.mode == "jsonl":
            state.out.write(_json(record) + "\n")
        else:
            state.console.print(_line(record))
    state.out.flush()


def _document(state: _Watch, group: Group | None, rows: list[Row]) -> dict[str, Any]:
    return {
        "provider": state.source.name,
        "ref": state.options.ref,
        "group": dict(group.raw) if group is not None and group.raw else None,
        "rows": [
            dict(row.raw) if row.raw else {"id": row.key, "status": row.status.raw} for row in rows
        ],
        "fetchedAt": iso(state.clock()),
    }


async def watch(
    source: Source,
    options: WatchOptions,
    *,
    out: TextIO,
    err: TextIO,
    console: Console | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run one watch; returns the process exit code."""
    state = _Watch(
        source,
        options,
        out,
        err,
        clock,
        console or Console(file=out, highlight=False, soft_wrap=True),
    )
    try:
        target = await state.fetch("finding " + options.ref, lambda: source.locate(options.ref))
        if isinstance(target, Row):
            return await _watch_row(state, target)
        return await _watch_group(state, target)
    except Stop as stop:
        return stop.code
    except NotFound as error:
        state.note(f"{options.ref} not found: {error.describe()}")
        return EXIT_USAGE
    except Unsupported as error:
        state.note(f"cannot watch {options.ref}: {error.describe()}")
        return EXIT_USAGE


async def _watch_row(state: _Watch, row: Row) -> int:
    """One row: followed until it is terminal (plain, jsonl), or as it is now (once, json)."""
    noun = state.source.vocabulary.row
    state.store.merge_rows([row])
    streaming = state.options.mode in ("plain", "jsonl")

    async def report() -> None:
        await _report(state, [state.store.rows[row.key]])

    async def follow() -> None:
        async for update in state.source.follow(row.key, state.store.details.get(row.key)):
            state.alive()
            if isinstance(update, Row):
                state.store.merge_rows([update])
                if not state.store.rows[row.key].status.terminal:
                    await report()  # a terminal row is reported with its full record
            elif isinstance(update, Detail):
                state.store.merge_detail(update)
                await report()
        await report()

    if streaming:
        await report()
        if not state.store.rows[row.key].status.terminal:
            await state.fetch(f"following {row.key}", follow)
    return _finish(state, None, [state.store.rows[row.key]], noun)


async def _watch_group(state: _Watch, group: Group) -> int:
    """A group's rows, polled until none is live and the group has ended."""
    source, options = state.source, state.options
    noun = source.vocabulary.row
    key = group.key
    pager = source.pager(key, Query())
    describes = True
    while True:
        delta = await state.fetch("reading " + options.ref, pager.poll)
        state.store.apply_page(delta, final=True)
        if delta.note and delta.note not in state.noted:
            state.noted.add(delta.note)
            state.note(delta.note)
        if describes:
            try:
                group = state.store.merge_group(
                    await state.fetch("reading " + options.ref, lambda: source.group(key))
                )
            except (Unsupported, NotFound):
                describes = False
        rows = list(state.store.rows.values())
        if options.mode in ("once", "json"):
            return _finish(state, group, rows, noun)
        await _report(state, rows)
        live = [row for row in rows if not row.status.terminal]
        if not live and (group.status.terminal or not describes):
            return _finish(state, group, rows, noun)
        left = state.remaining()
        if left <= 0:
            state.stop_at_deadline("watching")
        await asyncio.sleep(min(options.interval, left))


def _finish(state: _Watch, group: Group | None, rows: list[Row], noun: str) -> int:
    options = state.options
    if options.mode == "once":
        state.console.print(frame(group, options.ref, rows, state.clock(), noun))
    elif options.mode == "json":
        state.out.write(_json(_document(state, group, rows), indent=2) + "\n")
    elif options.mode == "plain":
        state.console.print(Text(f"{iso(state.clock())}  done: {_summary(rows, noun)}"))
    state.out.flush()
    failed = any(row.status.terminal and row.status.kind is not Kind.SUCCEEDED for row in rows)
    return EXIT_FAILED if options.exit_status and failed else EXIT_OK
