"""The two keyed tables of the viewer: groups on the left, the selected group's rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import events

from tui.core import timeline as tl
from tui.core.model import Group, Row
from tui.core.store import elapsed
from tui.core.text import clean, short_id
from tui.core.timefmt import age, clock_time, duration
from tui.ui.render import badge_parts, bar, shown
from tui.ui.widgets.keyed_table import Cells, KeyedTable

GROUP_NAME = 14
"""The group list's name column (with the pin mark) before a longer name widens it."""
GROUP_COLUMNS = [
    ("status", "status", 11),
    ("  name", "name", GROUP_NAME),
    ("kind", "kind", 11),
    ("age", "age", 7),
    ("rows", "count", 5),
    ("fail", "failed", 4),
]
ROW_COLUMNS = [
    ("status", "status", 13),
    ("action", "name", 14),
    ("id", "id", 9),
    ("time", "time", 8),
    ("took", "duration", 7),
    ("progress", "progress", 11),
    ("error / reason", "problem", None),
    ("timeline", "timeline", None),
]
ROW_WIDTHS = {key: width for _, key, width in ROW_COLUMNS if width is not None}
NARROW_TABLE = 100
"""A table narrower says a row's error by its message alone (its code is in the detail): at
80 columns the column held ``invocation.step_fa…`` and never why."""
"""The row table's columns' usual widths (a long name or id widens its own)."""


class GroupList(KeyedTable):
    """Groups (runs, app versions), pinned first, with a badge, counts and age."""

    def __init__(
        self, *, kind: str = "kind", ascii_only: bool = False, id: str | None = None
    ) -> None:
        columns = [
            (kind if key == "kind" else label, key, width) for label, key, width in GROUP_COLUMNS
        ]
        super().__init__(columns, ascii_only=ascii_only, id=id)

    def show(self, groups: list[Group], pinned: set[str], now: float) -> None:
        # Names whole (invoice-agent, not invoice-age…), up to the 24 characters shown, in
        # the room every other column (the fail column n goes by) leaves.
        widest = max((len(clean(g.title or short_id(g.key), limit=24)) for g in groups), default=0)
        self.fit_columns(set(), {}, {"name": widest + 2 - GROUP_NAME})
        self.sync(
            [(group.key, self.group_cells(group, group.key in pinned, now)) for group in groups]
        )

    def group_cells(self, group: Group, pinned: bool, now: float) -> Cells:
        mark = ("* " if self.ascii_only else "◆ ") if pinned else "  "
        created = group.created if isinstance(group.created, float) else None
        fail = self.style_for("keyed-table--error")
        return (
            self.badge(group.status),
            Text(mark + clean(group.title or short_id(group.key), limit=24), no_wrap=True),
            shown(group.subtitle or "", limit=24),
            Text(age(now - created) if created is not None else "", no_wrap=True),
            Text("" if group.total is None else str(group.total), justify="right"),
            Text(str(group.failed) if group.failed else "", justify="right", style=fail),
        )


@dataclass(frozen=True)
class Timeline:
    """What the table's timeline column draws: the axis, each row's span, the critical path."""

    axis: tl.Axis
    spans: dict[str, tl.Span]
    critical: frozenset[str]


class RowTable(KeyedTable):
    """A group's rows; live rows tick and show progress."""

    def __init__(
        self, *, name: str = "action", ascii_only: bool = False, id: str | None = None
    ) -> None:
        columns = [(name if key == "name" else label, key, w) for label, key, w in ROW_COLUMNS]
        super().__init__(columns, ascii_only=ascii_only, id=id)
        self.stall_of: Callable[[str], str | None] = lambda key: None
        """What to say of a live row that stopped moving (the viewer knows)."""
        self.timeline: Timeline | None = None
        """Set (``t``): the rows as bars on one time axis, in the last column."""
        self.seen_of: Callable[[str], int | None] = lambda key: None
        """How many of the view's failures share this row's cause (None: only this one)."""
        self.narrow = False
        """Narrower than :data:`NARROW_TABLE`: errors by their message alone."""

    def show(
        self, rows: Mapping[str, Row], now: Callable[[], float], dirty: set[str] | None = None
    ) -> None:
        """Show ``rows`` (in order); ``dirty``: only those rows changed (None: rebuild all).
        Cells are built only for the rows drawn."""

        def build(key: str) -> Cells:
            row = rows.get(key)  # the caller's dict: it may have moved on since
            return self.cells(row, now()) if row is not None else ()

        self.sync_keys(list(rows), build, dirty)

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_TABLE
        # Each bar fits the width it was built for, and each error the table's: built again.
        if self.timeline is not None or narrow != self.narrow:
            self.narrow = narrow
            self.forget_cells()

    def cells(self, row: Row, now: float) -> Cells:
        progress = ""
        if not row.status.terminal and row.progress is not None and row.progress.total:
            progress = (
                f"{bar(row.progress.fraction, 6, ascii_only=self.ascii_only)} "
                f"{row.progress.step or 0}/{row.progress.total}"
            )
        stall = None if row.status.terminal else self.stall_of(row.key)
        if stall is not None:
            problem = Text(stall, self.style_for("keyed-table--stalled"))
        elif row.problem is not None:
            seen = self.seen_of(row.key) if row.status.failure else None
            problem = Text()
            if seen:
                times = "x" if self.ascii_only else "\u00d7"
                problem.append(f"{times}{seen} ", self.style_for("keyed-table--count"))
            said = (self.narrow and row.problem.message) or row.problem.text()
            problem.append(clean(said, limit=200), self.style_for("keyed-table--error"))
        else:
            problem = Text(clean(row.note or "", limit=200), self.style_for("keyed-table--dim"))
        when = row.created if row.created is not None else row.started
        if self.timeline is not None:
            problem = self.bar_cell(row, self.timeline)
        return (
            self.badge(row.status),
            shown(row.name or "", limit=30),
            Text(short_id(row.key), style=self.style_for("keyed-table--dim")),
            Text(clock_time(when), no_wrap=True),
            Text(duration(elapsed(row, now)), no_wrap=True, justify="right"),
            Text(progress, no_wrap=True),
            problem,
            problem,
        )

    def bar_cell(self, row: Row, timeline: Timeline) -> Text:
        """``row`` as a bar on the timeline's axis: dim while queued, its status's colour
        while running; ``◆`` marks the critical path, ``┊`` is now."""
        span = timeline.spans.get(row.key)
        width = max(4, self.last_column_width() - 2)
        mark = ("* " if self.ascii_only else "◆ ") if row.key in timeline.critical else "  "
        text = Text(mark, self.style_for("keyed-table--count"), no_wrap=True)
        if span is None:
            return text
        glyphs = tl.ASCII if self.ascii_only else tl.GLYPHS
        _, _, component = badge_parts(row.status)
        styles = {
            tl.QUEUE: self.style_for("keyed-table--dim"),
            tl.RUN: self.style_for(component),
            tl.NOW: self.style_for("keyed-table--now"),
        }
        for part, length in tl.bar(span, timeline.axis, width):
            text.append(glyphs[part] * length, styles.get(part))
        return text

    def tick(self, rows: Mapping[str, Row], now: float) -> None:
        """Redraw the live rows on screen (their durations tick; on a live timeline every
        bar moves)."""
        every = self.timeline is not None and self.timeline.axis.live
        on_screen = [(key, rows[key]) for key in self.visible_keys() if key in rows]
        self.sync_rows(
            [(k, self.cells(row, now)) for k, row in on_screen if every or not row.status.terminal]
        )
