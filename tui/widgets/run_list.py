"""The run list pane: one row per run, pinned runs first."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from tui.api.models import RunSummary
from tui.api.text import short_id
from tui.format import duration, raw_value
from tui.widgets.keyed_table import KeyedTable, RowSpec

RUN_COLUMNS = [
    ("status", "status", 11),
    ("run", "id", 10),
    ("runtime", "runtime", 11),
    ("age", "age", 8),
    ("inv", "count", 5),
]


class RunList(KeyedTable):
    """Runs, newest first, with a status badge, short id, runtime type, age and counts."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(RUN_COLUMNS, ascii_only=ascii_only, id=id)

    def show(
        self, runs: Iterable[RunSummary], pinned: set[str], now: float, counts: dict[str, int]
    ) -> None:
        """Display ``runs`` in order; ``pinned`` ids get a marker."""
        self.sync([self._row(run, run.id in pinned, now, counts.get(run.id)) for run in runs])

    def _row(self, run: RunSummary, pinned: bool, now: float, count: int | None) -> RowSpec:
        mark = ("* " if self.ascii_only else "◆ ") if pinned else "  "
        if run.duration_seconds is not None:
            when = duration(run.duration_seconds)
        else:
            when = duration(now - run.created_at.timestamp())
        if count is None and run.counts is not None:
            count = run.counts.invocations
        runtime = raw_value(run.runtime_type) if run.runtime_type is not None else "—"
        return (
            run.id,
            (
                self.badge(run.status),
                Text(mark + short_id(run.id), no_wrap=True),
                Text(runtime[:11], no_wrap=True),
                Text(when, no_wrap=True),
                Text("" if count is None else str(count), justify="right"),
            ),
        )
