"""An incident bundle: one Markdown file about one group (a run, an app version) for a ticket.

It holds the group's card and counts, its failures grouped by cause with their fixes, the
first failure's diagnostic, the timeline as text, the last log lines (where rows have logs),
and a curl command to fetch each record again with ``$KEY_VARIABLE``: never the key itself
(every line also goes through :func:`tui.core.text.clean`, which masks known secrets).

:func:`collect` reads what it needs through any :class:`Source` (``runwatch bundle REF`` and
``b`` in the viewer both use it); :func:`render` is pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.core import timeline as tl
from tui.core.errors import ApiError
from tui.core.failures import Cause, group_failures
from tui.core.model import Detail, Group, Kind, LogLines, Query, Row, Status
from tui.core.source import Source
from tui.core.store import elapsed
from tui.core.text import clean, looks_like_id, plural, short_id
from tui.core.timefmt import clock_time, duration, full_time, iso

MAX_FAILURES_READ = 100
"""Failed rows whose full record is read (the groups say when there were more)."""
MAX_ROWS_READ = 500
"""Rows whose full record a kept run (``w``) reads."""
LOG_LINES = 40
TIMELINE_ROWS = 60
BAR_WIDTH = 50
READ_TIMEOUT = 20.0


@dataclass
class Evidence:
    """What a bundle is made of."""

    source: str
    base_url: str
    group: Group
    rows: list[Row]
    details: dict[str, Detail] = field(default_factory=dict)
    logs: dict[str, list[str]] = field(default_factory=dict)
    words: tuple[str, str, str] = ("run", "invocation", "kind")
    """What the source calls a group, a row, and a group's subtitle."""
    causes: list[tuple[Row, Cause]] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)
    """(label, text) of the curl commands: the group's and the failed rows'."""
    now: float = 0.0
    name: str = ""
    """The group as users name it (``run 121a…``'s title, ``app 1.4.2``)."""


async def collect(
    source: Source,
    ref: str | Group | Row,
    *,
    clock: Callable[[], float] = time.time,
    known: dict[str, Detail] | None = None,
    every_row: bool = False,
) -> Evidence:
    """Read a group, all its rows, and the full record (and log) of its failed rows (of
    every row, up to :data:`MAX_ROWS_READ`, with ``every_row``: a run kept whole). ``ref``
    is located by the source, unless it is what was already found (a row: its group)."""
    if every_row:
        with contextlib.suppress(ApiError):
            await source.groups()  # the list a replay opens on
    located = await source.locate(ref) if isinstance(ref, str) else ref
    key = located.key if isinstance(located, Group) else located.group
    group = located if isinstance(located, Group) else Group(key, Status(Kind.UNKNOWN, ""))
    with contextlib.suppress(ApiError):
        group = await source.group(key)  # the fullest record of it, when the server has one
    pager = source.pager(key, Query())
    delta = await pager.poll(full=True)
    rows = {row.key: row for row in delta.rows}
    ordered = [rows[k] for k in (delta.order or list(rows))]
    failed = [row for row in ordered if row.status.failure][:MAX_FAILURES_READ]
    details = dict(known or {})
    reads = ordered[:MAX_ROWS_READ] if every_row else failed
    logs: dict[str, list[str]] = {}
    limit = asyncio.Semaphore(4)

    async def read(row: Row) -> None:
        async with limit:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(READ_TIMEOUT):
                    async for update in source.follow(row.key, details.get(row.key)):
                        if isinstance(update, Detail):
                            details[row.key] = update
                        elif isinstance(update, LogLines):
                            logs.setdefault(row.key, []).extend(update.lines)

    await asyncio.gather(*(read(row) for row in reads))
    begun = {span.key: span.created for span in tl.spans(reads, clock())}  # as the timeline
    by_time = sorted(logs, key=lambda key: begun.get(key, 0.0))
    logs = {key: logs[key] for key in by_time}  # not in the order the reads finished
    words = (source.vocabulary.group, source.vocabulary.row, source.vocabulary.group_kind)
    evidence = Evidence(source.name, source.base_url, group, ordered, details, logs, words)
    evidence.name = group.title or group.key
    if source.vocabulary.kind_in_name and group.subtitle:
        evidence.name += f" {group.subtitle}"
    evidence.causes = [(row, source.cause(row, details.get(row.key))) for row in failed]
    if failed:
        first = failed[-1] if source.vocabulary.newest_first else failed[0]
        evidence.explain = source.explain(first, details.get(first.key))
    curls = [copy for copy in source.copies(group, None, None) if copy.label.startswith("curl")]
    evidence.copies = [(copy.label, copy.text) for copy in curls]
    for row in failed[:10]:  # one command per failed row: its record
        copies = source.copies(group, row, details.get(row.key))
        if curl := next((copy for copy in copies if copy.label.startswith("curl")), None):
            evidence.copies.append((f"{curl.label} ({short_id(row.key)})", curl.text))
    evidence.now = clock()
    return evidence


def render(evidence: Evidence) -> str:
    """The bundle as Markdown."""
    group_word, row_word, kind_word = evidence.words
    group, rows, now = evidence.group, evidence.rows, evidence.now
    name = clean(evidence.name or group.title or group.key, limit=80)
    status = clean(group.status.raw)
    out = [f"# {group_word.capitalize()} {name}" + (f": {status}" if status else ""), ""]
    facts = [
        ("id", clean(group.key)),
        ("status", status),
        (kind_word, clean(group.subtitle or "")),
        ("started", full_time(group.started) if isinstance(group.started, float) else ""),
        ("took", duration(elapsed(group, now))),
        ("source", f"{evidence.source} at {clean(evidence.base_url)}"),
        ("written", iso(now)),
    ]
    out += [f"- **{label}**: {value}" for label, value in facts if value]
    if group.problem is not None:
        out += ["", f"**Failure:** `{clean(group.problem.text(), limit=500)}`"]
    counts = Counter(row.status.raw for row in rows)
    out += ["", f"## {len(rows)} {row_word}s", ""]
    out += [f"- {clean(raw) or 'unknown'}: {n}" for raw, n in sorted(counts.items())]
    groups = group_failures(evidence.causes)
    if groups:
        failed = len(evidence.causes)
        causes = plural(len(groups), "cause")
        out += ["", f"## Failures by cause ({plural(failed, row_word)}, {causes})", ""]
        for failure in groups:
            cause = failure.cause
            out.append(f"### {clean(cause.title, limit=120)} x{failure.count} ({failure.when})")
            if cause.message:
                out += ["", clean(cause.message, limit=1000)]
            if cause.fix:
                out += ["", f"**Fix:** {clean(cause.fix, limit=1000)}"]
            ids = ", ".join(f"`{short_id(k)}`" for k in failure.rows[:12])
            out += ["", f"{row_word.capitalize()}s: {ids}", ""]
    if evidence.explain:
        out += ["## The first failure", "", "```text"]
        out += [clean(line, limit=2000) for line in evidence.explain]
        out += ["```", ""]
    out += _timeline(rows, now)
    for key, lines in evidence.logs.items():
        if lines:
            out += [f"## Last log lines of {short_id(key)}", "", "```text"]
            out += [clean(line, limit=500) for line in lines[-LOG_LINES:]]
            out += ["```", ""]
    if evidence.copies:
        out += ["## Fetch it again", ""]
        for label, command in evidence.copies:
            out += [f"{clean(label)}:", "", "```sh", clean(command, limit=2000, multiline=True)]
            out += ["```", ""]
    return "\n".join(out).rstrip() + "\n"


def _timeline(rows: list[Row], now: float) -> list[str]:
    spans = tl.spans(rows, now)
    scale = tl.axis(spans, now)
    if scale is None:
        return []
    critical = tl.critical_path(spans)
    by_key = {row.key: row for row in rows}
    head = f"{clock_time(scale.start)} → {clock_time(scale.end)} ({duration(scale.length)})"
    out = ["## Timeline", "", f"{head}; `-` queued, `#` running, `*` critical path", "", "```text"]
    for span in sorted(spans, key=lambda span: span.created)[:TIMELINE_ROWS]:
        mark = "*" if span.key in critical else " "
        status = clean(by_key[span.key].status.raw, limit=12).ljust(12)
        bar = tl.bar_text(span, scale, BAR_WIDTH, ascii_only=True)
        out.append(f"{mark} {short_id(span.key):<10} {status} |{bar}|")
    if len(spans) > TIMELINE_ROWS:
        out.append(f"  … and {len(spans) - TIMELINE_ROWS} more")
    out += ["```", ""]
    return out


FILE_NAME_KEY = 48
"""Characters of a group key that is a name (not an id) a file name keeps."""


def file_name(group_key: str, suffix: str, stamp: str | None = None) -> str:
    """``runwatch-<group>-<time><suffix>`` for the bundle (``.md``) or the recording
    (``.rwrec``) of a group: an id as the tables show it (:func:`short_id`: ``4d6cc587``,
    ``run_uKbwr6Ay``), a key that is a name (Kernel's ``app@version``) whole. Only ASCII
    letters, digits, ``.``, ``_`` and ``-``: nothing a file system or a shell reads."""
    shown = short_id(group_key) if looks_like_id(group_key) else clean(group_key)[:FILE_NAME_KEY]
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in shown)
    when = stamp or time.strftime("%Y%m%d-%H%M%S")
    return f"runwatch-{safe or 'group'}-{when}{suffix}"


def write(text: str, group_key: str, directory: Path | None = None) -> Path:
    """Write the bundle to ``runwatch-<id>-<time>.md`` in ``directory`` (default: here)."""
    path = (directory or Path.cwd()) / file_name(group_key, ".md")
    path.write_text(text, encoding="utf-8")
    return path
