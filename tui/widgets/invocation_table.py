"""The invocation table for the selected run."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from tui.api.enums import is_terminal
from tui.api.models import InvocationSummary, Progress
from tui.api.text import short_id
from tui.format import bar, clock_time, duration, raw_value, safe
from tui.widgets.keyed_table import Cells, KeyedTable, RowSpec

INVOCATION_COLUMNS = [
    ("status", "status", 13),
    ("action", "action", 14),
    ("id", "id", 8),
    ("created", "created", 8),
    ("took", "duration", 7),
    ("progress", "progress", 11),
    ("error", "error", None),
]


class InvocationTable(KeyedTable):
    """Invocations in sequence order; running rows tick and show progress."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(INVOCATION_COLUMNS, ascii_only=ascii_only, id=id)

    def show(
        self,
        invocations: Mapping[str, InvocationSummary],
        progress: dict[str, Progress],
        now: float,
        dirty: set[str] | None = None,
    ) -> None:
        """Display ``invocations``; ``progress`` holds what is known of the live ones.

        With ``dirty`` given, only those rows (and new ones) are rebuilt: a poll that changed
        three rows of 10,000 costs three rows. Cells are built only for rows drawn."""

        def build(key: str) -> Cells:
            inv = invocations.get(key)  # the caller's dict: it may have moved on since
            return self.row(inv, progress.get(key), now)[1] if inv is not None else ()

        self.sync_keys(list(invocations), build, dirty)

    def row(self, inv: InvocationSummary, progress: Progress | None, now: float) -> RowSpec:
        live = not is_terminal(inv.status)
        if inv.duration_ms is not None:
            took = duration(inv.duration_ms / 1000)
        elif live:
            took = duration(now - inv.created_at.timestamp())
        elif inv.finished_at is not None:
            took = duration((inv.finished_at - inv.created_at).total_seconds())
        else:
            took = "—"
        progress_cell = ""
        if live and progress is not None and progress.total_steps:
            step = progress.step or 0
            progress_cell = (
                f"{bar(progress.fraction, 6, ascii_only=self.ascii_only)} "
                f"{step}/{progress.total_steps}"
            )
        error = ""
        if inv.error is not None:
            parts = [p for p in (inv.error.code, inv.error.message) if p]
            error = safe(" · ".join(parts), limit=80)
        dim = self.style_for("keyed-table--dim")
        return (
            inv.id,
            (
                self.badge(inv.status),
                Text(safe(raw_value(inv.action), limit=14), no_wrap=True),
                Text(short_id(inv.id), no_wrap=True, style=dim),
                Text(clock_time(inv.created_at), no_wrap=True),
                Text(took, no_wrap=True, justify="right"),
                Text(progress_cell, no_wrap=True),
                Text(error, no_wrap=True, style=self.style_for("keyed-table--error")),
            ),
        )
