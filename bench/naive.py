"""The benchmark's baseline: the viewer with Textual's DataTable, cleared and refilled on
every poll, and every page read again each time.

Not part of runwatch: ``make bench`` runs it as ``python -m bench.naive [runwatch args]``
to show what the keyed virtual table and incremental polling save.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.widgets import DataTable

from tui.core.model import Row
from tui.ui import app as app_module
from tui.ui.viewer import ViewerScreen
from tui.ui.widgets.keyed_table import Cells, KeyedTable
from tui.ui.widgets.tables import ROW_COLUMNS, RowTable


class NaiveRowTable(DataTable[Text | str]):
    """The obvious implementation: clear() and add every row again on each update."""

    COMPONENT_CLASSES: ClassVar[set[str]] = (
        DataTable.COMPONENT_CLASSES | KeyedTable.COMPONENT_CLASSES
    )

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self.ascii_only = ascii_only
        self._order: list[str] = []
        # What the viewer sets on its table (the baseline has no stall marks, no failure
        # counts and no timeline: the obvious table).
        self.stall_of: Callable[[str], str | None] = lambda key: None
        self.seen_of: Callable[[str], int | None] = lambda key: None
        self.timeline: Any = None
        self.user_acts = 0  # not counted: the landing may move the baseline's cursor
        self.narrow = False  # errors with their codes at every width

    def fit_columns(
        self, hidden: set[str], widths: dict[str, int], grow: dict[str, int] | None = None
    ) -> None:
        """The obvious table keeps its columns as they are."""

    style_for = KeyedTable.style_for
    badge = KeyedTable.badge
    cells = RowTable.cells
    row_keys_in_order = KeyedTable.row_keys_in_order
    selected_key = KeyedTable.selected_key

    def on_mount(self) -> None:
        for label, key, width in ROW_COLUMNS:
            self.add_column(label, key=key, width=width)

    def show(self, rows: Mapping[str, Row], now: Callable[[], float], dirty: Any = None) -> None:
        cursor = self.cursor_row
        self.clear()
        self._order = []
        for key, row in rows.items():
            self.add_row(*self.cells(row, now()), key=key)  # type: ignore[arg-type]
            self._order.append(key)
        if self._order:
            self.move_cursor(row=min(cursor, len(self._order) - 1), animate=False)

    def tick(self, rows: Mapping[str, Row], now: float) -> None:
        for key in self.visible_keys():
            row = rows.get(key)
            if row is not None and not row.status.terminal:
                self.sync_rows([(key, self.cells(row, now))])  # type: ignore[arg-type]

    def sync_rows(self, specs: Sequence[tuple[str, Cells]]) -> None:
        for key, cells in specs:
            if key in self._order:
                for (_, column, _), cell in zip(ROW_COLUMNS, cells, strict=True):
                    self.update_cell(key, column, cell)

    def visible_keys(self) -> list[str]:
        top = int(self.scroll_y)
        return self._order[top : top + self.size.height]

    def shows(self, key: str) -> bool:
        return key in self._order

    def select_key(self, key: str, *, top: bool = False, by_user: bool = False) -> bool:
        if key not in self._order:
            return False
        self.move_cursor(row=self._order.index(key), animate=False)
        return True

    def move_cursor(  # type: ignore[override]
        self, *, row: int, animate: bool = False, scroll: bool = True, by_user: bool = False
    ) -> None:
        """As the viewer's table is moved (``by_user``: not counted, as above)."""
        super().move_cursor(row=row, animate=animate, scroll=scroll)

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


class NaiveViewer(ViewerScreen):
    """The viewer with the naive table, re-reading every page on every poll."""

    def row_table(self) -> RowTable:
        return NaiveRowTable(ascii_only=self.ascii_only, id="row-table")  # type: ignore[return-value]

    @property  # type: ignore[override]
    def _full_refresh(self) -> bool:
        return True

    @_full_refresh.setter
    def _full_refresh(self, value: bool) -> None:
        pass


def install() -> None:
    """Make the app open the naive viewer."""
    app_module.ViewerScreen = NaiveViewer  # type: ignore[misc]


def main(argv: list[str]) -> int:
    """``python -m bench.naive [runwatch args]``: the viewer with the naive baseline."""
    from tui.cli import main as runwatch

    install()
    return runwatch(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
