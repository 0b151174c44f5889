"""``runwatch watch RUN_ID``: a headless watch for scripts, logs and CI.

No Textual here: output is Rich-rendered (``--once``), JSON (``--json``), JSON lines
(``--jsonl``) or plain timestamped lines. Transient API errors are retried; only auth
errors, a run that does not exist, a deadline or a long outage end the watch early.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tui.api.client import BctrlClient
from tui.api.enums import is_failure, is_terminal
from tui.api.errors import ApiError, Forbidden, NotFound, Unauthorized
from tui.api.models import InvocationSummary, Run
from tui.api.text import sanitize, short_id, truncate
from tui.format import badge_parts, raw_value

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_AUTH = 4
EXIT_UNREACHABLE = 5
DEFAULT_GIVE_UP = 60.0

EXIT_CODES_HELP = """\
exit codes:
  0  watch ended (with --exit-status: every invocation succeeded)
  1  with --exit-status: an invocation failed, was cancelled or timed out
  2  usage error, or the run does not exist
  3  --timeout passed before the run had no live invocations
  4  API key missing, rejected (401) or not allowed (403)
  5  the API stayed unreachable for --give-up seconds (default 60)

Transient errors (5xx, 429, timeouts, dropped connections, bad bodies) are retried
with backoff; a single 500 never ends a watch.
"""

BADGE_STYLES = {
    "succeeded": "green",
    "failed": "bold red",
    "timed_out": "red",
    "cancelled": "yellow",
    "cancelling": "yellow",
    "running": "cyan",
    "dispatching": "cyan",
    "queued": "dim",
}


@dataclass
class WatchOptions:
    run_id: str
    mode: str = "plain"  # plain | once | json | jsonl
    exit_status: bool = False
    timeout: float | None = None
    interval: float = 2.0
    give_up: float = DEFAULT_GIVE_UP


@dataclass
class _Watch:
    client: BctrlClient
    options: WatchOptions
    out: TextIO
    err: TextIO
    clock: Callable[[], float] = time.time
    statuses: dict[str, str] = field(default_factory=dict)
    run: Run | None = None
    runs_supported: bool = True


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: str | None, limit: int = 200) -> str:
    return truncate(sanitize(value or "", multiline=False), limit)


def _outcome(invocations: list[InvocationSummary]) -> int:
    return EXIT_FAILED if any(is_failure(i.status) for i in invocations) else EXIT_OK


def _summary_line(invocations: list[InvocationSummary]) -> str:
    counts: dict[str, int] = {}
    for inv in invocations:
        counts[raw_value(inv.status)] = counts.get(raw_value(inv.status), 0) + 1
    parts = [f"{n} {_clean(status, 30)}" for status, n in sorted(counts.items())]
    return f"{len(invocations)} invocations: " + (", ".join(parts) if parts else "none")


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=False)


async def _fetch(state: _Watch) -> list[InvocationSummary]:
    rows: list[InvocationSummary] = []
    async for page in state.client.iter_invocation_pages(state.options.run_id, limit=200):
        rows.extend(page.data)
    return rows


def _transition_record(
    state: _Watch, inv: InvocationSummary, before: str | None, now: float
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "time": _stamp(now),
        "runId": state.options.run_id,
        "invocationId": inv.id,
        "action": raw_value(inv.action),
        "from": before,
        "to": raw_value(inv.status),
        "durationMs": inv.duration_ms,
    }
    if inv.error is not None:
        record["error"] = _dump(inv.error)
    return record


def _plain_line(record: dict[str, Any]) -> Text:
    status = str(record["to"])
    line = Text(f"{record['time']}  {short_id(str(record['invocationId']))}  ")
    line.append(f"{_clean(str(record['action']), 20):<14}")
    if record["from"] is not None:
        line.append(f"{_clean(str(record['from']), 20)} -> ")
    line.append(_clean(status, 20), style=BADGE_STYLES.get(status, "magenta"))
    if record.get("durationMs") is not None:
        line.append(f"  ({record['durationMs'] / 1000:.1f}s)")
    error = record.get("error")
    if isinstance(error, dict):
        parts = [str(p) for p in (error.get("code"), error.get("message")) if p]
        line.append("  " + _clean(" · ".join(parts), 160), style="red")
    return line


def frame(run: Run | None, run_id: str, invocations: list[InvocationSummary], now: float) -> Group:
    """The ``--once`` frame: a run header and the invocation table (Rich, API text as Text)."""
    header = Text(f"run {run_id}", style="bold")
    if run is not None:
        header.append(f"  {_clean(raw_value(run.status), 20)}")
        header.append(f"  runtime {_clean(run.runtime_id, 40)}")
        header.append(f"  created {_stamp(run.created_at.timestamp())}")
    header.append(f"  (as of {_stamp(now)})", style="dim")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("status", "action", "id", "created", "took", "error"):
        table.add_column(column, no_wrap=column != "error", overflow="fold")
    for inv in invocations:
        glyph, word, key = badge_parts(inv.status, ascii_only=True)
        took = f"{inv.duration_ms / 1000:.1f}s" if inv.duration_ms is not None else ""
        error = ""
        if inv.error is not None:
            error = " · ".join(p for p in (inv.error.code, inv.error.message) if p)
        table.add_row(
            Text(f"{glyph} {word}", style=BADGE_STYLES.get(key, "magenta")),
            Text(_clean(raw_value(inv.action), 30)),
            Text(short_id(inv.id)),
            Text(inv.created_at.strftime("%H:%M:%S")),
            Text(took),
            Text(_clean(error, 300), style="red"),
        )
    return Group(header, table, Text(_summary_line(invocations), style="dim"))


async def _with_retries(state: _Watch, deadline: float | None) -> list[InvocationSummary] | int:
    """Fetch the invocations, retrying transient errors; an int is an exit code."""
    failing_since: float | None = None
    attempt = 0
    while True:
        try:
            rows = await _fetch(state)
            if state.runs_supported:
                try:
                    state.run = await state.client.get_run(state.options.run_id)
                except NotFound:
                    # Runs are beyond the contract: a server may not describe them.
                    state.runs_supported, state.run = False, None
            return rows
        except (Unauthorized, Forbidden) as error:
            _note(state, error.describe())
            return EXIT_AUTH
        except NotFound as error:
            _note(state, f"run {state.options.run_id} not found: {error.describe()}")
            return EXIT_USAGE
        except ApiError as error:
            now = state.clock()
            failing_since = failing_since or now
            attempt += 1
            if now - failing_since >= state.options.give_up:
                _note(state, f"API unreachable for {state.options.give_up:g}s: {error.describe()}")
                return EXIT_UNREACHABLE
            if deadline is not None and now >= deadline:
                _note(state, f"--timeout {state.options.timeout:g}s passed while retrying")
                return EXIT_TIMEOUT
            delay = min(10.0, 0.5 * 2 ** min(attempt, 5))
            if deadline is not None:
                delay = max(0.0, min(delay, deadline - now))
            _note(state, f"retrying in {delay:g}s (attempt {attempt}): {error.describe()}")
            await asyncio.sleep(delay)


def _note(state: _Watch, message: str) -> None:
    state.err.write(f"runwatch: {message}\n")
    state.err.flush()


async def watch(
    client: BctrlClient,
    options: WatchOptions,
    *,
    out: TextIO,
    err: TextIO,
    console: Console | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run one watch; returns the process exit code."""
    state = _Watch(client=client, options=options, out=out, err=err, clock=clock)
    start = clock()
    deadline = start + options.timeout if options.timeout is not None else None
    console = console or Console(file=out, highlight=False, soft_wrap=False)

    while True:
        fetched = await _with_retries(state, deadline)
        if isinstance(fetched, int):
            return fetched
        now = clock()
        if options.mode == "once":
            console.print(frame(state.run, options.run_id, fetched, now))
            return _outcome(fetched) if options.exit_status else EXIT_OK
        if options.mode == "json":
            document = {
                "run": _dump(state.run) if state.run is not None else None,
                "invocations": [_dump(i) for i in fetched],
                "fetchedAt": _stamp(now),
            }
            out.write(json.dumps(document, indent=2) + "\n")
            out.flush()
            return _outcome(fetched) if options.exit_status else EXIT_OK
        for inv in fetched:
            status = raw_value(inv.status)
            before = state.statuses.get(inv.id)
            if before != status:
                record = _transition_record(state, inv, before, now)
                if options.mode == "jsonl":
                    out.write(json.dumps(record) + "\n")
                else:
                    console.print(_plain_line(record))
                state.statuses[inv.id] = status
        out.flush()
        live = [i for i in fetched if not is_terminal(i.status)]
        run_active = state.run is not None and raw_value(state.run.status) == "active"
        if not live and not run_active:
            if options.mode == "plain":
                console.print(Text(f"{_stamp(now)}  done: {_summary_line(fetched)}"))
            return _outcome(fetched) if options.exit_status else EXIT_OK
        if deadline is not None and clock() >= deadline:
            _note(
                state,
                f"--timeout {options.timeout:g}s passed with {len(live)} live invocations"
                + (" (the run is still active)" if run_active else ""),
            )
            return EXIT_TIMEOUT
        pause = options.interval
        if deadline is not None:
            pause = max(0.0, min(pause, deadline - clock()))
        await asyncio.sleep(pause)
