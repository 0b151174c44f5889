"""A DataTable updated by key: rows are added, changed cell by cell, or removed, never refilled."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from tui.api.enums import KnownValue, UnknownValue
from tui.format import BADGE_CLASSES, badge_parts

Cells = tuple[Text | str, ...]
RowSpec = tuple[str, Cells]


class KeyedTable(DataTable[Text | str]):
    """Row-cursor table whose content is synchronised by row key; the cursor follows its row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = (
        DataTable.COMPONENT_CLASSES
        | BADGE_CLASSES
        | {
            "keyed-table--dim",
            "keyed-table--error",
        }
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(
        self,
        columns: Sequence[tuple[str, str, int | None]],
        *,
        ascii_only: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id, classes=classes)
        self._column_spec = list(columns)
        self._order: list[str] = []
        self._cells: dict[str, Cells] = {}
        self.ascii_only = ascii_only

    def on_mount(self) -> None:
        for label, key, width in self._column_spec:
            self.add_column(label, key=key, width=width)

    # -- styling from CSS ----------------------------------------------------------------

    def style_for(self, component: str) -> Style:
        """A Rich style taken from this widget's CSS component class."""
        return self.get_component_rich_style(component, partial=True)

    def badge(self, value: KnownValue | UnknownValue | str) -> Text:
        """A status badge: glyph and word, coloured by CSS, readable without colour."""
        glyph, word, key = badge_parts(value, ascii_only=self.ascii_only)
        return Text(f"{glyph} {word}", style=self.style_for(f"badge--{key}"), no_wrap=True)

    # -- keyed sync ----------------------------------------------------------------------

    @property
    def row_keys_in_order(self) -> list[str]:
        """The keys currently shown, top to bottom."""
        return list(self._order)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    def sync(self, rows: Sequence[RowSpec]) -> None:
        """Make the table show ``rows`` (in order), touching only what changed."""
        selected = self.selected_key
        wanted = [key for key, _ in rows]
        wanted_set = set(wanted)
        for key in [k for k in self._order if k not in wanted_set]:
            self._remove(key)
        kept = list(self._order)
        if wanted[: len(kept)] != kept:
            # The order itself changed (a filter was lifted): rebuild, keeping the cursor's row.
            for key in list(kept):
                self._remove(key)
        for key, cells in rows:
            old = self._cells.get(key)
            if old is None:
                self.add_row(*cells, key=key)
                self._order.append(key)
            elif old != cells:
                self._update_cells(key, old, cells)
            self._cells[key] = cells
        if selected is not None and selected in self._cells:
            index = self._order.index(selected)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=False)

    def _remove(self, key: str) -> None:
        with contextlib.suppress(RowDoesNotExist):
            self.remove_row(key)
        self._cells.pop(key, None)
        if key in self._order:
            self._order.remove(key)

    def shows(self, key: str) -> bool:
        """Whether ``key``'s row is in the table."""
        return key in self._cells

    def select_key(self, key: str) -> bool:
        """Move the cursor to ``key``'s row; False when it is not shown."""
        if key not in self._cells:
            return False
        self.move_cursor(row=self._order.index(key), animate=False)
        return True

    def sync_rows(self, rows: Sequence[RowSpec]) -> None:
        """Update the cells of rows already shown (unknown keys are ignored)."""
        for key, cells in rows:
            old = self._cells.get(key)
            if old is None or old == cells:
                continue
            self._update_cells(key, old, cells)
            self._cells[key] = cells

    def _update_cells(self, key: str, old: Cells, cells: Cells) -> None:
        """Repaint only the cells whose content changed."""
        columns = [column for _, column, _ in self._column_spec]
        for column, before, after in zip(columns, old, cells, strict=True):
            if before != after:
                try:
                    self.update_cell(key, column, after)
                except (CellDoesNotExist, RowDoesNotExist):
                    continue
