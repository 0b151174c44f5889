"""The benchmark's baseline: Textual's DataTable, cleared and refilled on every poll.

Not used by runwatch itself; ``make bench`` runs the viewer with it (``--naive-baseline``)
to show what the keyed virtual table and incremental polling save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.widgets import DataTable

from tui.api.models import InvocationSummary, Progress
from tui.widgets.invocation_table import INVOCATION_COLUMNS, InvocationTable
from tui.widgets.keyed_table import KeyedTable, RowSpec


class NaiveInvocationTable(DataTable[Text | str]):
    """The obvious implementation: clear() and add every row again on each update."""

    COMPONENT_CLASSES: ClassVar[set[str]] = (
        DataTable.COMPONENT_CLASSES | KeyedTable.COMPONENT_CLASSES
    )

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self.ascii_only = ascii_only
        self._order: list[str] = []

    style_for = KeyedTable.style_for
    badge = KeyedTable.badge

    def on_mount(self) -> None:
        for label, key, width in INVOCATION_COLUMNS:
            self.add_column(label, key=key, width=width)

    def row(self, inv: InvocationSummary, progress: Progress | None, now: float) -> RowSpec:
        # The same cells as the real table (InvocationTable.row needs only badge/style_for).
        return InvocationTable.row(self, inv, progress, now)  # type: ignore[arg-type]

    def show(
        self,
        invocations: Mapping[str, InvocationSummary],
        progress: dict[str, Progress],
        now: float,
        dirty: set[str] | None = None,
    ) -> None:
        cursor = self.cursor_row
        self.clear()
        self._order = []
        for inv in invocations.values():
            key, cells = self.row(inv, progress.get(inv.id), now)
            self.add_row(*cells, key=key)
            self._order.append(key)
        if self._order:
            self.move_cursor(row=min(cursor, len(self._order) - 1), animate=False)

    def sync_rows(self, rows: Sequence[RowSpec]) -> None:
        for key, cells in rows:
            if key in self._order:
                for (_, column, _), cell in zip(INVOCATION_COLUMNS, cells, strict=True):
                    self.update_cell(key, column, cell)

    # The same key bookkeeping as the real table (both keep ``_order`` and ``cursor_row``).
    row_keys_in_order = KeyedTable.row_keys_in_order
    selected_key = KeyedTable.selected_key

    def visible_keys(self) -> list[str]:
        top = int(self.scroll_y)
        return self._order[top : top + self.size.height]

    def shows(self, key: str) -> bool:
        return key in self._order

    def select_key(self, key: str) -> bool:
        if key not in self._order:
            return False
        self.move_cursor(row=self._order.index(key), animate=False)
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = event.row_key.value if event.row_key is not None else None
        self.post_message(KeyedTable.RowHighlighted(self, key))  # type: ignore[arg-type]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value if event.row_key is not None else None
        self.post_message(KeyedTable.RowSelected(self, key))  # type: ignore[arg-type]
