"""Where a group's time went: one bar per row, from created to started (waiting in the queue)
to finished (running), on one time axis, with the critical path marked.

The viewer draws these bars in colour (``t``); the incident bundle writes them as text. Both
read the same :class:`Span` list, so the picture and the ticket agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from tui.core.model import Row, seconds
from tui.core.store import elapsed, running


@dataclass(frozen=True, slots=True)
class Span:
    """One row on the time axis (epoch seconds); ``end`` is now while the row is live."""

    key: str
    created: float
    started: float | None
    end: float
    live: bool


@dataclass(frozen=True, slots=True)
class Axis:
    """The time the bars cover: from the first creation to the last end (or now)."""

    start: float
    end: float
    live: bool

    @property
    def length(self) -> float:
        return max(self.end - self.start, 1e-3)

    def column(self, when: float, width: int) -> int:
        """The column (0 … width-1) of ``when`` on a bar ``width`` wide."""
        fraction = (when - self.start) / self.length
        return max(0, min(width - 1, int(fraction * width)))


def spans(rows: Iterable[Row], now: float) -> list[Span]:
    """Every row that has a creation or start time, as a span (rows without times left out:
    there is nothing to place)."""
    out: list[Span] = []
    for row in rows:
        created = seconds(row.created)
        started = seconds(row.started)
        begin = created if created is not None else started
        if begin is None:
            continue
        live = running(row)
        took = elapsed(row, now)
        finished = seconds(row.finished)
        if live:
            end = now
        elif finished is not None:
            end = finished
        elif took is not None:
            end = (started if started is not None else begin) + took
        else:
            end = begin
        if started is None and not live and took is not None:
            started = max(begin, end - took)  # a list row says when it ended and how long it ran
        out.append(Span(row.key, begin, started, max(end, begin), live))
    return out


def axis(items: Sequence[Span], now: float) -> Axis | None:
    """The axis for ``items`` (None when there are none)."""
    if not items:
        return None
    live = any(span.live for span in items)
    start = min(span.created for span in items)
    end = max([span.end for span in items] + ([now] if live else []))
    return Axis(start, end, live)


def critical_path(items: Sequence[Span]) -> set[str]:
    """The chain that decided when the group ended: the row that ended last, then the row
    that ended last before it was created, and so on back to the start."""
    path: set[str] = set()
    remaining = sorted(items, key=lambda span: span.end)
    if not remaining:
        return path
    current = remaining[-1]
    path.add(current.key)
    while True:  # each step goes to a row not on the path yet: it ends
        before = [
            span
            for span in remaining
            if span.end <= current.created + 1e-6 and span.key not in path
        ]
        if not before:
            return path
        current = before[-1]
        path.add(current.key)


QUEUE, RUN, NOW, EMPTY = "queue", "run", "now", "empty"


def bar(span: Span, scale: Axis, width: int) -> list[tuple[str, int]]:
    """``span`` as runs of ``(part, length)`` filling ``width`` columns: empty, queue, run,
    and the now line (while the axis is live) where nothing else is."""
    begin = scale.column(span.created, width)
    end = max(scale.column(span.end, width), begin) + 1
    start = end  # never started: it waited (or waits) the whole time
    if span.started is not None:
        start = min(scale.column(max(span.started, span.created), width), end - 1)
    cells = [EMPTY] * begin + [QUEUE] * (start - begin) + [RUN] * (end - start)
    cells += [EMPTY] * (width - end)
    if scale.live and cells[now := scale.column(scale.end, width)] == EMPTY:
        cells[now] = NOW
    return [(part, len(list(same))) for part, same in groupby(cells)]


GLYPHS = {QUEUE: "╌", RUN: "█", NOW: "┊", EMPTY: " "}
ASCII = {QUEUE: "-", RUN: "#", NOW: "|", EMPTY: " "}


def bar_text(span: Span, scale: Axis, width: int, *, ascii_only: bool = False) -> str:
    """The bar as plain characters (for text output: the incident bundle)."""
    glyphs = ASCII if ascii_only else GLYPHS
    return "".join(glyphs[part] * length for part, length in bar(span, scale, width))
