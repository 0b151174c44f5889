"""Failures grouped by fingerprint: the same error forty times is one line with a count.

A fingerprint is an error's code and message with what varies between occurrences masked
(ids, numbers, URLs, quoted values), so ``Reference '@checkout-btn' is not bound`` and
``Reference '@cart' is not bound`` are one group. Each group keeps its count, when it was
first and last seen, the rows it holds, and the fix shown once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.core.model import Kind, Row, seconds
from tui.core.timefmt import clock_time

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), "'…'"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b[a-z]{2,5}_[A-Za-z0-9]{6,}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<id>"),
    (re.compile(r"\d+(?:\.\d+)?"), "#"),
)


def fingerprint(text: str) -> str:
    """``text`` with what varies between occurrences of one error masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Cause:
    """Why one row failed, as its provider reads it: a code, where, a message, a fix."""

    code: str | None
    message: str | None
    where: str | None = None
    """The step or call that failed (``page.waitForSelector``), when known."""
    fix: str | None = None

    @property
    def title(self) -> str:
        return " ".join(p for p in (self.code, self.where) if p) or (self.message or "failed")


@dataclass
class FailureGroup:
    """One fingerprint: how often, when, which rows, and what to do about it."""

    key: str
    cause: Cause
    rows: list[str] = field(default_factory=list)
    first: float | None = None
    last: float | None = None

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def when(self) -> str:
        """When its rows failed: ``failed 14:09:56 to 14:13:08`` (said as failing: the
        table's time is when a row was created, and a bare ``first … last`` was read as that)."""
        first, last = clock_time(self.first), clock_time(self.last)
        return f"failed {first}" + (f" to {last}" if last != first else "")


def cause_key(cause: Cause) -> str:
    """What failures are grouped by: the cause's code, where and message, fingerprinted."""
    return fingerprint(" ".join(p for p in (cause.code, cause.where, cause.message) if p))


def group_failures(failed: Iterable[tuple[Row, Cause]]) -> list[FailureGroup]:
    """Failed rows grouped by their cause's fingerprint, the largest group first."""
    groups: dict[str, FailureGroup] = {}
    for row, cause in failed:
        key = cause_key(cause)
        group = groups.setdefault(key, FailureGroup(key, cause))
        group.rows.append(row.key)
        when = seconds(row.finished) or seconds(row.started) or seconds(row.created)
        if when is not None:
            group.first = when if group.first is None else min(group.first, when)
            group.last = when if group.last is None else max(group.last, when)
        if group.cause.fix is None and cause.fix is not None:
            group.cause = cause
    return sorted(groups.values(), key=lambda g: (-g.count, g.first or 0.0))


# -- stalled work -----------------------------------------------------------------------


@dataclass
class Activity:
    """What a live row was last seen doing, and since when (observation times)."""

    progress: tuple[int | None, int | None, str | None] | None = None
    progress_since: float = 0.0
    heartbeat: float | None = None
    heartbeat_since: float = 0.0


@dataclass(frozen=True)
class Stall:
    """A live row that stopped moving: why, and since when (epoch seconds)."""

    reason: str
    since: float


STALL_AFTER = 30.0
"""Seconds without movement (or at least five polls) before a live row counts as stalled."""


def observe(activity: Activity | None, row: Row) -> Activity:
    """``activity`` updated with what ``row`` (a fresh observation) shows."""
    activity = activity or Activity(progress_since=row.observed, heartbeat_since=row.observed)
    if row.progress is not None:
        seen = (row.progress.step, row.progress.total, row.progress.message)
        if seen != activity.progress:
            activity.progress, activity.progress_since = seen, row.observed
    beat = seconds(row.heartbeat)
    if beat is not None and beat != activity.heartbeat:
        activity.heartbeat, activity.heartbeat_since = beat, row.observed
    return activity


def stalled(row: Row, activity: Activity | None, now: float, interval: float) -> Stall | None:
    """Whether a live row is stalled: its heartbeat stopped, or its progress has not moved
    for a while although its heartbeat goes on. Never said of a row that is not running
    (queued work waits; terminal work is done) nor when nothing is known."""
    if activity is None or row.status.kind is not Kind.RUNNING:
        return None
    quiet = max(STALL_AFTER, 5 * interval)
    beating = activity.heartbeat is not None and now - activity.heartbeat_since < quiet
    if activity.heartbeat is not None and not beating:
        return Stall("heartbeat stopped", activity.heartbeat)
    if activity.progress is not None and beating and now - activity.progress_since >= quiet:
        return Stall("no progress while the heartbeat goes on", activity.progress_since)
    return None
