"""``runwatch watch REF``: a headless watch for scripts, logs and CI, on the same core as the
viewer (one source, one store, one poll loop), for every provider.

REF names a group (a bctrl run, a Kernel ``APP`` or ``APP@VERSION``) or one row (a Kernel
invocation); an id the server does not know is looked up as the prefix of a listed group's id
(the short ids the viewer shows; for Kernel, the start of an app's name or APP@VERSION).
Output is plain timestamped lines, JSON lines (``--jsonl``), one JSON document (``--json``) or
one Rich table (``--once``); every one says why a failed row failed and what the group's own
failure is. Output that is not a terminal is never wrapped. Transient API errors are retried;
only auth errors, a group that does not exist, a deadline, a long outage or ``--fail-fast``
end a watch early.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TextIO, TypeVar

from rich.console import Console
from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text

from tui.core.errors import Forbidden, NoMatch, NotFound, Unauthorized, Unsupported
from tui.core.failures import Cause
from tui.core.model import Detail, Group, Kind, Query, Record, Row, named_by_start, seconds
from tui.core.poll import Poller
from tui.core.source import COUNT_AT_MOST, Source, count_rows
from tui.core.store import Store, elapsed
from tui.core.text import clean, looks_like_id, short_id
from tui.core.timefmt import clock_time, duration, iso

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_UNFINISHED = EXIT_TIMEOUT
"""Not everything had finished when the watch ended: ``--timeout`` passed first, or a
snapshot (``--once``, ``--json``) with ``--exit-status`` found something still live. One
code for "not finished yet": a CI gate that polls reads it as "ask again later"."""
EXIT_AUTH = 4
EXIT_UNREACHABLE = 5
EXIT_PIPE = 141
"""stdout was closed under the watch (``| head``): 128 + SIGPIPE, as the shell reports a
command the signal ended, so ``set -o pipefail`` never reads a cut-short watch as a pass."""

EXIT_CODES_HELP = """\
exit codes:
  0  watch ended (with --exit-status: everything finished and nothing failed)
  1  with --exit-status: something failed, was cancelled or timed out (with --once
     or --json, even while other things are still live);
     with --fail-fast: something failed or timed out (the watch stops there)
  2  usage error, or what REF names does not exist (or is an ambiguous short id)
  3  not finished yet: --timeout passed before everything finished, or, with
     --once or --json and --exit-status, something was still live (queued,
     running, an active run) when the snapshot was taken, and nothing had failed
  4  API key missing, rejected (401) or not allowed (403)
  5  the API stayed unreachable for --give-up seconds (default 60)
  141  stdout was closed before the watch ended (e.g. | head); nothing more is printed

Transient errors (5xx, 429, timeouts, dropped connections, bad bodies) are retried
with backoff; a single 500 never ends a watch.
"""

JSON_HELP = """\
--json prints one object:
  provider   bctrl, bctrl-current or kernel
  ref        REF as given
  group      the run's record as the server sent it (null when REF names one
             invocation or tool call, or a Kernel app version)
  failure    the run's own failure, {code, message}, or null
  rows       its invocations' (tool calls') records as the server sent them,
             oldest first; just that one when REF names an invocation or tool call
  why        by row id, why each failed or timed-out row failed:
             {code, message, where, fix, lines}
  fetchedAt  when it was read (ISO 8601, UTC)
without REF: {provider, groups, fetchedAt}, each group {id, short, status, kind,
  title, subtitle, total, failed, live, failure} (null: not known)
"""
"""What ``--help`` says of the ``--json`` document (:func:`_document`): a test holds the
two to the same keys."""

COLOURS = {
    "succeeded": "green",
    "failed": "bold red",
    "timed_out": "red",
    "cancelled": "yellow",
    "running": "cyan",
    "waiting": "magenta",
    "queued": "dim",
}
WIDE = 100_000
"""The console width when stdout is not a terminal: wide enough that nothing is wrapped,
folded or cut (a log line or a table row stays one line for grep and awk)."""
WHY_AT_MOST = 50
"""Failed rows whose full record ``--once`` and ``--json`` read for their why (the others'
why is their own error, which the row already holds); also the most groups ``list_groups``
describes."""
WHY_AT_ONCE = 4
"""Full records read at the same time for ``--once`` and ``--json``."""
WHY_WAIT = 15.0
"""Seconds ``--once`` and ``--json`` spend reading full records, at most."""
COUNT_WAIT = 10.0
"""Seconds the list without REF spends counting, at most."""
COUNTS = ("total", "failed", "live")
"""The counts the list without REF shows (``—`` when not known)."""
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
    fail_fast: bool = False


@dataclass(frozen=True)
class Why:
    """Why a row failed: the provider's cause, and the same in plain lines."""

    cause: Cause
    lines: list[str]


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
    group_printed: str | None = None
    at_start: bool = True
    """What is reported now is what the watch's first reading found: each was already in
    its status when the watch started (``already``), so it is stamped with when it entered
    that status, where its record says (:func:`_entered`), not with the watch's start."""
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
            for said in _still_live(self.store.rows.values(), self.source.vocabulary.row):
                self.note(said)
            raise Stop(EXIT_TIMEOUT)
        error = self.poller.freshness("api").error
        why = f": {error.describe()}" if error is not None else ""
        self.note(f"API unreachable for {self.options.give_up:g}s{why}")
        raise Stop(EXIT_UNREACHABLE)

    def fail_fast(self, record: Record, noun: str) -> None:
        """With ``--fail-fast``, end the watch at a failed or timed-out ``record`` (already
        printed, with its why)."""
        if self.options.fail_fast and _failed(record):
            self.out.flush()
            self.note(
                f"--fail-fast: {noun} {short_id(record.key)} {clean(record.status.raw, limit=30)}"
            )
            raise Stop(EXIT_FAILED)


class _Console(Console):
    """Rich's console, but a closed pipe is the caller's to handle (Rich would exit)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "stdout was closed")


def _console(out: TextIO) -> Console:
    """A console on ``out``: a terminal's own width, else one too wide to ever wrap."""
    try:
        terminal = out.isatty()
    except ValueError:  # closed
        terminal = False
    return _Console(file=out, highlight=False, soft_wrap=True, width=None if terminal else WIDE)


def _problem(record: Record) -> dict[str, Any] | None:
    problem = record.problem
    return {"code": problem.code, "message": problem.message} if problem is not None else None


def _entered(record: Record) -> float | None:
    """When ``record`` entered its status, as it says: its end when it is over, its start
    when it is running; None when it does not say (a queued or waiting one: its creation
    need not be when it entered the status it is in now)."""
    if record.status.terminal:
        return seconds(record.finished)
    return seconds(record.started) if record.status.kind is Kind.RUNNING else None


def _record(
    record: Record,
    before: str | None,
    now: float,
    why: Why | None,
    *,
    name: str | None,
    already: bool,
) -> dict[str, Any]:
    """One transition as ``--jsonl`` writes it (and the plain line says it): at ``now``, or,
    ``already`` in its status when the watch started, when it entered it (never later than
    ``now``), where the record says."""
    took = elapsed(record, now)
    entered = _entered(record) if already else None
    line: dict[str, Any] = {
        "time": iso(now if entered is None else min(entered, now)),
        "already": already,
        "type": "row" if isinstance(record, Row) else "group",
        "group": record.group if isinstance(record, Row) else record.key,
        "id": record.key,
        "name": name,
        "from": before,
        "to": record.status.raw,
        "kind": record.status.kind.value,
        "durationMs": round(took * 1000) if took is not None and record.status.terminal else None,
    }
    if record.problem is not None:
        line["error"] = _problem(record)
    if why is not None:
        line["why"] = why.lines
        line["cause"] = asdict(why.cause)
    return line


def _line(record: dict[str, Any]) -> Text:
    line = Text(f"{record['time']}  {short_id(record['id'])}  ")
    # Two spaces after the name, however long: statuses line up after the usual names
    # (column 15 of this part), and a longer name never runs into its status.
    line.append(f"{clean(record['name'] or '', limit=20):<13}  ")
    if record["from"] is not None:
        line.append(f"{clean(record['from'], limit=20)} -> ")
    line.append(clean(record["to"], limit=30), style=COLOURS.get(record["kind"], "magenta"))
    if record.get("durationMs") is not None:
        line.append(f"  ({duration(record['durationMs'] / 1000)})")
    error = record.get("error")
    if error:
        text = " · ".join(str(p) for p in (error.get("code"), error.get("message")) if p)
        line.append("  " + clean(text, limit=300), style="red")
    for why in _more(record.get("why", ()), error):
        line.append("\n" + " " * 22 + clean(why, limit=500))
    return line


def _more(lines: list[str] | tuple[str, ...], error: dict[str, Any] | None) -> list[str]:
    """The lines of a why beyond the error already shown beside the status."""
    shown = " · ".join(str(p) for p in (error or {}).values() if p)
    return [line for line in lines if line != shown]


def _summary(rows: list[Row], noun: str) -> str:
    counts = Counter(row.status.raw for row in rows)
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


def frame(
    group: Group | None,
    ref: str,
    rows: list[Row],
    now: float,
    noun: str,
    whys: dict[str, Why] | None = None,
    name_column: str = "action",
) -> RichGroup:
    """The ``--once`` frame: a header (the group's own failure in it), the table, why each
    failed row failed (the failing step, its message and fix), and the counts. API text is
    Text, never markup."""
    header = Text(ref, style="bold")
    if group is not None and group.status.raw:
        header.append(f"  {clean(group.status.raw, limit=20)}")
        if group.problem is not None:
            header.append(f"  {clean(group.problem.text(), limit=300)}", style="red")
    header.append(f"  (as of {iso(now)})", style="dim")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("status", name_column, "id", "time", "took", "error / reason"):
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
    parts: list[Text | Table] = [header, table]
    for row in rows:
        why = (whys or {}).get(row.key)
        more = _more(why.lines, _problem(row)) if why is not None else []
        if more:
            title = f"why {short_id(row.key)}  {clean(row.name or '', limit=30)}"
            parts.append(Text(title.rstrip(), style="bold red"))
            parts.extend(Text("  " + clean(line, limit=500)) for line in more)
    parts.append(Text(_summary(rows, noun), style="dim"))
    return RichGroup(*parts)


async def _read(state: _Watch, row: Row) -> None:
    """Read a row's full record into the store."""
    async for update in state.source.follow(row.key, None):
        if isinstance(update, Detail):
            state.store.merge_detail(update)


def _known_why(state: _Watch, row: Row) -> Why:
    """Why a row failed, from what is known of it."""
    detail: Detail | None = state.store.details.get(row.key)
    return Why(state.source.cause(row, detail), state.source.explain(row, detail))


async def _why(state: _Watch, row: Row) -> Why:
    """Why a row failed (its full record is read once for it, retried as any fetch)."""
    detail: Detail | None = state.store.details.get(row.key)
    if detail is None or not detail.terminal:
        with contextlib.suppress(NotFound, Unsupported):
            await state.fetch("reading why it failed", lambda: _read(state, row))
    return _known_why(state, row)


def _failed(record: Record) -> bool:
    return record.status.terminal and record.status.failure


async def _all(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """The results of ``calls`` run side by side; the first failure cancels the others and
    is raised as itself (a ``Stop`` stays a ``Stop``)."""
    try:
        async with asyncio.TaskGroup() as tasks:
            started = [tasks.create_task(call) for call in calls]
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in started]


async def _whys(state: _Watch, rows: list[Row]) -> dict[str, Why]:
    """Why each failed row failed, for ``--once`` and ``--json``: a snapshot, so the full
    records are a best effort (a few at a time, once each, for :data:`WHY_WAIT` seconds at
    most, :data:`WHY_AT_MOST` rows at most); a row whose record could not be read is
    explained by what it says itself."""
    failed = [row for row in rows if _failed(row)]
    gate = asyncio.Semaphore(WHY_AT_ONCE)

    async def one(row: Row) -> None:
        async with gate:
            with contextlib.suppress(Exception):  # the snapshot is printed regardless
                await _read(state, row)

    unread = [row for row in failed if row.key not in state.store.details]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, min(WHY_WAIT, state.remaining()))):
            await asyncio.gather(*(one(row) for row in unread[:WHY_AT_MOST]))
    if len(unread) > WHY_AT_MOST:
        state.note(
            f"{len(failed)} failed: the full records of {WHY_AT_MOST} were read, "
            "the others' why is their own error"
        )
    return {row.key: _known_why(state, row) for row in failed}


def _emit(state: _Watch, record: dict[str, Any]) -> None:
    if state.options.mode == "jsonl":
        state.out.write(_json(record) + "\n")
    else:
        state.console.print(_line(record))


async def _report(state: _Watch, rows: list[Row]) -> None:
    """Print the transitions among ``rows`` not printed yet (with ``--fail-fast``, up to
    the first failure)."""
    now = state.clock()
    for row in rows:
        before = state.printed.get(row.key)
        if before == row.status.raw:
            continue
        state.printed[row.key] = row.status.raw
        why = await _why(state, row) if _failed(row) else None
        _emit(state, _record(row, before, now, why, name=row.name, already=state.at_start))
        state.fail_fast(row, state.source.vocabulary.row)
    state.out.flush()


def _report_group(state: _Watch, group: Group) -> None:
    """Print the group's status when it is first known and when it changes, with its own
    failure (a run that crashed)."""
    if group.pinned_only or not group.status.raw or group.status.raw == state.group_printed:
        return
    before, state.group_printed = state.group_printed, group.status.raw
    name = " ".join(p for p in (state.source.vocabulary.group, group.subtitle) if p)
    _emit(state, _record(group, before, state.clock(), None, name=name, already=state.at_start))
    state.out.flush()


def _document(
    state: _Watch, group: Group | None, rows: list[Row], whys: dict[str, Why]
) -> dict[str, Any]:
    return {
        "provider": state.source.name,
        "ref": state.options.ref,
        "group": dict(group.raw) if group is not None and group.raw else None,
        "failure": _problem(group) if group is not None else None,
        "rows": [
            dict(row.raw) if row.raw else {"id": row.key, "status": row.status.raw} for row in rows
        ],
        "why": {key: {**asdict(why.cause), "lines": why.lines} for key, why in whys.items()},
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
    state = _Watch(source, options, out, err, clock, console or _console(out))
    try:
        target = await _target(state)
        if isinstance(target, Row):
            return await _watch_row(state, target)
        return await _watch_group(state, target)
    except Stop as stop:
        return stop.code
    except (NotFound, Unsupported) as error:
        return _missing(state, error, "watch")


async def find(
    source: Source,
    ref: str,
    *,
    err: TextIO,
    doing: str,
    clock: Callable[[], float] = time.time,
) -> Group | Row:
    """What ``ref`` names, found as ``watch`` finds it (:func:`_target`: the source's own
    lookup, then the start of a listed group's id or, where groups are named, of a name),
    for a command that takes the same references (``runwatch bundle``). What names nothing,
    or several, is said on ``err`` as watch says it (``cannot {doing} REF`` where the server
    cannot say), the candidates listed, and ends in :class:`Stop` with watch's exit code."""
    state = _Watch(source, WatchOptions(ref=ref, mode="once"), err, err, clock, _console(err))
    try:
        return await _target(state)
    except (NotFound, Unsupported) as error:
        raise Stop(_missing(state, error, doing)) from None


def _missing(state: _Watch, error: NotFound | Unsupported, doing: str) -> int:
    """Say why REF names nothing to ``doing`` (``watch``); the exit code: a usage error."""
    ref = state.options.ref
    if isinstance(error, NoMatch):
        state.note(clean(error.message, limit=600))  # it names the ref, and what it looked at
    elif isinstance(error, NotFound):
        state.note(f"{ref} not found: {error.describe()}")
    else:
        state.note(f"cannot {doing} {ref}: {error.describe()}")
    return EXIT_USAGE


async def _target(state: _Watch) -> Group | Row:
    """What REF names: as the source locates it, the group the server describes by that
    id, or else the one listed group whose id starts with it (a short id; where groups are
    named, as Kernel's ``APP@VERSION``, the start of a name)."""
    ref, source = state.options.ref, state.source
    try:
        target = await state.fetch("finding " + ref, lambda: source.locate(ref))
        if isinstance(target, Group) and target.pinned_only:
            with contextlib.suppress(Unsupported):  # the server cannot say: the pager will
                described = await state.fetch("finding " + ref, lambda: source.group(ref))
                # Asked for by REF, known by REF (whatever id the record itself holds).
                target = replace(described, key=ref)
        return target
    except NotFound as error:
        named = source.vocabulary.kind_in_name  # any start of a name may be one
        if isinstance(error, NoMatch) or not (named or looks_like_id(ref)):
            raise  # NoMatch: the source looked for it as a prefix already
        found = await _by_prefix(state, ref, error)
        if found is None:
            raise
        return found


async def _by_prefix(state: _Watch, ref: str, missing: NotFound) -> Group | None:
    """The one listed group whose id starts with ``ref``; None when the source has no
    list; a usage error when none or several do.

    Where a group is named by title and subtitle (Kernel's ``APP@VERSION``), the start of
    one title alone names what that title does in full: the app, every version."""
    source, vocabulary = state.source, state.source.vocabulary
    try:
        groups = await state.fetch(
            f"looking for {ref} in the {vocabulary.groups.lower()}", source.groups
        )
    except (Unsupported, NotFound):
        return None
    key, matches = named_by_start(groups, ref, vocabulary.kind_in_name)
    if key is not None and not any(group.key == key for group in matches):
        name = key  # the start of a name: what that name names, every version
        found = await state.fetch("finding " + name, lambda: source.locate(name))
        if isinstance(found, Group):
            return found
    if len(matches) == 1:
        return matches[0]
    noun = vocabulary.group
    if not matches:
        # The source's own search (no status: not a server's 404) is said whole.
        said = missing.describe(short=missing.status is not None)
        state.note(
            f"{ref} not found: no {noun} has this id, and no id among the {len(groups)} "
            f"{noun}s listed starts with it ({said})"
        )
        raise Stop(EXIT_USAGE)
    state.note(f"{ref} is ambiguous: {len(matches)} {noun}s start with it:")
    for group in matches[:20]:
        problem = group.problem and group.problem.text()
        line = "  ".join(p for p in (group.key, group.status.raw, group.subtitle, problem) if p)
        state.err.write(f"  {clean(line, limit=300)}\n")
    if len(matches) > 20:
        state.err.write(f"  and {len(matches) - 20} more\n")
    state.note("give more of the id")
    raise Stop(EXIT_USAGE)


async def _watch_row(state: _Watch, row: Row) -> int:
    """One row: followed until it is terminal (plain, jsonl), or as it is now (once, json)."""
    state.store.merge_rows([row])

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

    if state.options.mode in ("plain", "jsonl"):
        await report()
        state.at_start = False
        if not state.store.rows[row.key].status.terminal:
            await state.fetch(f"following {row.key}", follow)
    return await _finish(state, None, row.key, [state.store.rows[row.key]])


async def _watch_group(state: _Watch, group: Group) -> int:
    """A group's rows, polled until none is live and the group has ended."""
    source, options, key = state.source, state.options, group.key
    pager = source.pager(key, Query())
    describes = not group.pinned_only
    while True:
        delta = await state.fetch("reading " + key, pager.poll)
        state.store.apply_page(delta, final=True)
        if delta.note and delta.note not in state.noted:
            state.noted.add(delta.note)
            state.note(delta.note)
        if describes:
            try:
                group = state.store.merge_group(
                    await state.fetch("reading " + key, lambda: source.group(key))
                )
            except (Unsupported, NotFound):
                describes = False
        rows = list(state.store.rows.values())
        if source.vocabulary.newest_first:  # every provider's output is oldest first
            rows.reverse()
        if options.mode in ("once", "json"):
            return await _finish(state, group, key, rows, described=describes)
        _report_group(state, group)
        await _report(state, rows)
        state.at_start = False
        state.fail_fast(group, source.vocabulary.group)
        if all(row.status.terminal for row in rows) and (group.status.terminal or not describes):
            return await _finish(state, group, key, rows, described=describes)
        left = state.remaining()
        if left <= 0:
            state.stop_at_deadline("watching")
        await asyncio.sleep(min(options.interval, left))


async def _finish(
    state: _Watch, group: Group | None, key: str, rows: list[Row], *, described: bool = False
) -> int:
    """Print the end of the watch (a snapshot: the whole of it) and return the exit code.
    ``described``: the server describes ``group``, so its own status says whether it is
    over (a run still active is not, even with no live row)."""
    options, noun = state.options, state.source.vocabulary.row
    if options.mode == "once":
        whys = await _whys(state, rows)
        name = state.source.vocabulary.name_column  # as the viewer's table heads it
        for part in frame(group, key, rows, state.clock(), noun, whys, name).renderables:
            state.console.print(part)  # apart: a closed pipe shows at the next write
    elif options.mode == "json":
        whys = await _whys(state, rows)
        text = _json(_document(state, group, rows, whys), indent=2) + "\n"
        state.out.writelines(text.splitlines(keepends=True))
    elif options.mode == "plain":
        state.console.print(Text(f"{iso(state.clock())}  done: {_summary(rows, noun)}"))
    state.out.flush()
    if group is not None:
        state.fail_fast(group, state.source.vocabulary.group)
    for row in rows:
        state.fail_fast(row, noun)
    if not options.exit_status:
        return EXIT_OK
    failed = any(row.status.terminal and row.status.kind is not Kind.SUCCEEDED for row in rows)
    if failed or (group is not None and _failed(group)):
        return EXIT_FAILED  # known for good, whatever is still live
    unfinished = _still_live(rows, noun)
    if described and group is not None and not group.status.terminal:
        status = clean(group.status.raw, limit=30) or "not ended"
        unfinished.append(f"the {state.source.vocabulary.group} is {status}")
    if unfinished:  # a snapshot of what is not over: it has not succeeded (yet)
        state.note(f"--exit-status: not finished: {', '.join(unfinished)}")
        return EXIT_UNFINISHED
    return EXIT_OK


def _still_live(rows: Iterable[Row], noun: str) -> list[str]:
    """``N rows still live`` when any is (empty when none is)."""
    live = sum(not row.status.terminal for row in rows)
    return [f"{live} {noun if live == 1 else noun + 's'} still live"] if live else []


# -- no REF: what there is to watch ------------------------------------------------------


async def list_groups(
    source: Source,
    options: WatchOptions,
    *,
    out: TextIO,
    err: TextIO,
    how: str,
    clock: Callable[[], float] = time.time,
) -> int:
    """The groups there are to watch (id, status, short id, counts), and how to watch one:
    ``how`` is the command to put a short id after. ``--json`` prints one document,
    ``--jsonl`` one line per group."""
    state = _Watch(source, options, out, err, clock, _console(out))
    vocabulary = source.vocabulary
    try:
        groups = await state.fetch(f"listing the {vocabulary.groups.lower()}", source.groups)
        gate = asyncio.Semaphore(WHY_AT_ONCE)
        groups = await _all([_described(state, group, gate) for group in groups[:WHY_AT_MOST]])
        groups = await _counted(state, groups, gate)
    except Stop as stop:
        return stop.code
    except (NotFound, Unsupported) as error:
        state.note(f"cannot list the {vocabulary.groups.lower()}: {error.describe()}")
        return EXIT_USAGE
    keys = [group.key for group in groups]
    entries = [_entry(group, _short(group.key, keys)) for group in groups]
    if options.mode == "json":
        document = {"provider": source.name, "groups": entries, "fetchedAt": iso(clock())}
        out.write(_json(document, indent=2) + "\n")
    elif options.mode == "jsonl":
        out.writelines(_json(entry) + "\n" for entry in entries)
    else:
        _group_table(state, entries)
        if any(entry[count] is None for entry in entries for count in COUNTS):
            state.console.print(
                Text(
                    f"—: not known: the server does not count these, and runwatch counts "
                    f"them itself only for the newest {COUNT_AT_MOST} {vocabulary.group}s, "
                    f"when a few requests will do ({how} ID --once counts one)"
                )
            )
        if entries:
            example = entries[0]["short"]
            state.console.print(
                Text(f"watch one: {how} {example}  (any unique start of an id will do)")
            )
        else:
            state.console.print(Text(f"no {vocabulary.group}s yet"))
    out.flush()
    return EXIT_OK


async def _described(state: _Watch, group: Group, gate: asyncio.Semaphore) -> Group:
    """``group`` with its counts, read from the server when the list lacks them."""
    if group.total is not None:
        return group
    try:
        async with gate:
            described = await state.fetch(
                "reading " + group.key, lambda: state.source.group(group.key)
            )
    except (NotFound, Unsupported):
        return group
    return described.filled_from(group)


async def _counted(state: _Watch, groups: list[Group], gate: asyncio.Semaphore) -> list[Group]:
    """``groups`` with the failed and live rows their records do not count filled in from
    their rows: the newest :data:`COUNT_AT_MOST`, ``COUNT_PAGES`` pages each,
    :data:`COUNT_WAIT` seconds in all, a few at a time. A nicety, so a best effort: a group
    that could not be counted (too many rows, an error, no time left) keeps its unknowns."""
    counted: dict[str, Group] = {}

    async def one(group: Group) -> None:
        with contextlib.suppress(Exception):  # the list is printed regardless
            async with gate:
                found = await count_rows(state.source, group)
            if found is not None:
                counted[group.key] = found

    todo = [g for g in groups[:COUNT_AT_MOST] if g.failed is None or g.live is None]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, min(COUNT_WAIT, state.remaining()))):
            await asyncio.gather(*(one(group) for group in todo))
    return [counted.get(group.key, group) for group in groups]


def _short(key: str, keys: list[str]) -> str:
    """The short id of ``key`` when it is an id and no other key starts with it, else the
    key itself (an app version is named whole)."""
    short = short_id(key)
    if not looks_like_id(key) or sum(k.startswith(short) for k in keys) > 1:
        return key
    return short


def _entry(group: Group, short: str) -> dict[str, Any]:
    return {
        "id": group.key,
        "short": short,
        "status": group.status.raw,
        "kind": group.status.kind.value,
        "title": group.title,
        "subtitle": group.subtitle,
        "total": group.total,
        "failed": group.failed,
        "live": group.live,
        "failure": _problem(group),
    }


def _group_table(state: _Watch, entries: list[dict[str, Any]]) -> None:
    vocabulary = state.source.vocabulary
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    # Named groups' ids are their short names already (Kernel's APP@VERSION): no 'short'.
    shorts = any(entry["short"] != entry["id"] for entry in entries)
    columns = ("id", "status", "short", vocabulary.group_kind, vocabulary.row + "s", "failed")
    for column in (*columns, "live", "failure"):
        if shorts or column != "short":
            table.add_column(column, no_wrap=True)

    def count(value: int | None) -> Text:
        return Text("—" if value is None else str(value), style="dim" if value is None else "")

    for entry in entries:
        failure = entry["failure"]
        table.add_row(
            Text(clean(entry["id"], limit=200)),
            Text(clean(entry["status"], limit=30), style=COLOURS.get(entry["kind"], "magenta")),
            *([Text(clean(entry["short"], limit=200), style="bold")] if shorts else []),
            Text(clean(entry["subtitle"] or "", limit=40)),
            count(entry["total"]),
            count(entry["failed"]),
            count(entry["live"]),
            Text(
                clean(" · ".join(p for p in failure.values() if p), limit=300) if failure else "",
                style="red",
            ),
        )
    state.console.print(table)
