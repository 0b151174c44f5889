"""A virtual table updated by key: only visible lines render, only changed rows repaint.

Textual's DataTable measures every cell of every new row (about 0.9 s for 10,000 rows)
and re-measures on each cell update (about 3 ms each). This table has fixed column widths
(the last column takes what is left), renders lines on demand with the Line API, caches
each row's rendered strip by its cell contents, and repaints only the lines of rows that
changed. Adding 10,000 rows is a list append; moving the cursor repaints two lines.

Cells are built lazily: :meth:`KeyedTable.sync_keys` takes a function that builds a row's
cells, and the table calls it only for rows it draws (or is asked about), caching the result
until the row is marked dirty. Loading 100,000 rows builds the forty on screen, and keeps a
few hundred thousand fewer objects for the garbage collector to walk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.model import Status
from tui.ui.actions import motions
from tui.ui.render import BADGE_CLASSES, badge_parts

Cells = tuple[Text | str, ...]
RowSpec = tuple[str, Cells]
GAP = 1
MIN_LAST = 40
"""Columns a flexible last column keeps when others grow into the room it takes."""
CACHE_LIMIT = 4096


class CellDoesNotExist(LookupError):
    """No such row or column."""


class KeyedTable(ScrollView, can_focus=True):
    """Row-cursor table whose content is synchronised by row key; the cursor follows its row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(BADGE_CLASSES) | {
        "keyed-table--header",
        "keyed-table--cursor",
        "keyed-table--cursor-blurred",
        "keyed-table--dim",
        "keyed-table--error",
        "keyed-table--stalled",
        "keyed-table--count",
        "keyed-table--now",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *motions("cursor_down", "cursor_up", "page_down", "page_up", "scroll_top", "scroll_bottom"),
        Binding("enter", "select_cursor", show=False),
    ]

    @dataclass
    class RowHighlighted(Message):
        """The cursor moved onto ``row_key`` (None when the table is empty)."""

        table: KeyedTable
        row_key: str | None

        @property
        def control(self) -> KeyedTable:
            return self.table

    @dataclass
    class RowSelected(Message):
        """Enter (or a click) on ``row_key``."""

        table: KeyedTable
        row_key: str | None

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[tuple[str, str, int | None]],
        *,
        ascii_only: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._column_spec = list(columns)
        self._column_index = {key: i for i, (_, key, _) in enumerate(columns)}
        self._hidden: frozenset[str] = frozenset()
        self._width_of: dict[str, int] = {}
        self._grow_of: dict[str, int] = {}
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, Cells] = {}  # built rows (a cache, filled as rows are drawn)
        self._build: Callable[[str], Cells] | None = None
        self._strips: dict[tuple[str, int], tuple[Cells, Strip]] = {}
        self._last_highlight: str | None = None
        self.cursor_row = 0
        self.user_acts = 0
        """Cursor moves and choices the user made (keys, clicks): the viewer's landing on a
        failure never overrides one."""
        self.ascii_only = ascii_only

    # -- styling from CSS ----------------------------------------------------------------

    def style_for(self, component: str) -> Style:
        """A Rich style taken from this widget's CSS component class."""
        return self.get_component_rich_style(component, partial=True)

    def badge(self, status: Status) -> Text:
        """A status badge: glyph and the server's word, coloured by CSS, readable without
        colour."""
        glyph, word, component = badge_parts(status, ascii_only=self.ascii_only)
        return Text(f"{glyph} {word}", style=self.style_for(component), no_wrap=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # -- the data ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

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

    def shows(self, key: str) -> bool:
        """Whether ``key``'s row is in the table."""
        return key in self._index

    def _row_cells(self, key: str) -> Cells:
        """``key``'s cells, built on first use."""
        cells = self._cells.get(key)
        if cells is None:
            cells = self._build(key) if self._build is not None else ()
            self._cells[key] = cells
        return cells

    def visible_keys(self) -> list[str]:
        """The keys of the rows inside the viewport."""
        top = int(self.scroll_y)
        body = max(1, self.scrollable_content_region.height - 1)
        return self._order[top : top + body]

    def get_cell(self, key: str, column: str) -> Text | str:
        """The content of one cell."""
        if key not in self._index or column not in self._column_index:
            raise CellDoesNotExist(f"{key!r}/{column!r}")
        return self._row_cells(key)[self._column_index[column]]

    def sync(self, rows: Sequence[RowSpec]) -> None:
        """Make the table show ``rows`` (in order), touching only what changed."""
        order = [key for key, _ in rows]
        if order == self._order:
            self.sync_rows(rows)
            return
        cells = dict(rows)
        self.sync_keys(order, cells.__getitem__, None)

    def sync_keys(
        self, order: list[str], build: Callable[[str], Cells], dirty: set[str] | None
    ) -> None:
        """Show the keys of ``order``; ``build`` makes a row's cells when it is drawn.

        With ``dirty`` given, only those rows are rebuilt (the rest keep their cells); with
        None, every row is. Appending to the old order touches only the new rows."""
        selected = self.selected_key
        self._build = build
        appended = len(order) >= len(self._order) and order[: len(self._order)] == self._order
        if appended and dirty is not None:
            start = len(self._order)
            for key in dirty:
                index = self._index.get(key)
                if index is not None and self._cells.pop(key, None) is not None:
                    self._refresh_row(index)
            for key in order[start:]:
                self._index[key] = len(self._order)
                self._order.append(key)
            if len(order) != start:
                self._resize()
                self._refresh_new_rows(start)
        else:
            self._order = list(order)
            self._index = {key: i for i, key in enumerate(order)}
            if dirty is None:
                self._cells = {}
            else:
                shown = self._index
                self._cells = {
                    k: v for k, v in self._cells.items() if k in shown and k not in dirty
                }
            if len(self._strips) > CACHE_LIMIT // 2:
                self._strips.clear()
            self._resize()
            self.refresh()
        self._follow(selected)

    def _refresh_new_rows(self, start: int) -> None:
        """Repaint from row ``start`` down, if any of it is on screen."""
        y = start - int(self.scroll_y) + 1
        if y < self.size.height:
            self.refresh(Region(0, max(1, y), self.size.width, self.size.height - max(1, y)))

    def forget_cells(self) -> None:
        """Build every row's cells again when next drawn (they depend on the width)."""
        self._cells.clear()
        self._strips.clear()
        self.refresh()

    def sync_rows(self, rows: Sequence[RowSpec]) -> None:
        """Update the cells of rows already shown (unknown keys are ignored)."""
        for key, cells in rows:
            if key in self._index:
                self._set_cells(key, cells)

    def _set_cells(self, key: str, cells: Cells) -> None:
        if self._cells.get(key) == cells:
            return
        self._cells[key] = cells
        self._refresh_row(self._index[key])

    def _follow(self, selected: str | None) -> None:
        """Keep the cursor on the row it was on (by key), or in range. A cursor row that
        was on screen stays where it was on screen while rows arrive above it."""
        if selected is not None and selected in self._index:
            index = self._index[selected]
            if index != self.cursor_row:
                offset = self.cursor_row - int(self.scroll_y)
                on_screen = 0 <= offset < max(1, self.scrollable_content_region.height - 1)
                self._move(index, scroll=False)
                if on_screen and int(self.scroll_y) != max(0, index - offset):
                    self.scroll_to(y=max(0, index - offset), animate=False, immediate=True)
        elif self._order:
            self._move(min(self.cursor_row, len(self._order) - 1), scroll=False, force=True)
        else:
            self._move(0, scroll=False, force=True)

    def _resize(self) -> None:
        # No horizontal scrolling: the last column absorbs whatever width there is.
        size = Size(self.scrollable_content_region.width, len(self._order) + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    # -- cursor --------------------------------------------------------------------------

    def move_cursor(
        self, *, row: int, animate: bool = False, scroll: bool = True, by_user: bool = False
    ) -> None:
        """Put the cursor on ``row`` (clamped); ``by_user`` as :meth:`select_key`'s."""
        self.user_acts += by_user
        self._move(row, scroll=scroll)

    def select_key(self, key: str, *, top: bool = False, by_user: bool = False) -> bool:
        """Move the cursor to ``key``'s row (shown at the top of the view when ``top``);
        False when it is not shown. ``by_user``: the user asked for it (a jump), so it counts
        in :attr:`user_acts`."""
        if key not in self._index:
            return False
        self.user_acts += by_user
        index = self._index[key]
        self._move(index)
        if top:
            self._scroll_top(key)
            self.call_after_refresh(self._scroll_top, key)  # again, once the layout is known
        return True

    def _scroll_top(self, key: str) -> None:
        index = self._index.get(key)
        if index is not None and index == self.cursor_row:
            self.scroll_to(y=index, animate=False, immediate=True)

    def _move(self, row: int, *, scroll: bool = True, force: bool = False) -> None:
        row = max(0, min(row, len(self._order) - 1)) if self._order else 0
        old = self.cursor_row
        if row != old:
            self.cursor_row = row
            self._refresh_row(old)
            self._refresh_row(row)
        if scroll:
            self._scroll_to_row(row)
        key = self.selected_key
        if key != self._last_highlight or (force and row != old):
            self._last_highlight = key
            self.post_message(self.RowHighlighted(self, key))

    def _scroll_to_row(self, row: int) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + body:
            self.scroll_to(y=row - body + 1, animate=False, immediate=True)

    def _moved_by_user(self, row: int) -> None:
        self.user_acts += 1
        self._move(row)

    def action_cursor_down(self) -> None:
        self._moved_by_user(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self._moved_by_user(self.cursor_row - 1)

    def action_page_down(self) -> None:
        self._moved_by_user(self.cursor_row + max(1, self.scrollable_content_region.height - 2))

    def action_page_up(self) -> None:
        self._moved_by_user(self.cursor_row - max(1, self.scrollable_content_region.height - 2))

    def action_scroll_top(self) -> None:
        self._moved_by_user(0)

    def action_scroll_bottom(self) -> None:
        self._moved_by_user(len(self._order) - 1)

    def action_select_cursor(self) -> None:
        self.user_acts += 1
        self.post_message(self.RowSelected(self, self.selected_key))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            row = int(self.scroll_y) + event.y - 1
            if 0 <= row < len(self._order):
                self.focus()
                if row == self.cursor_row and event.chain >= 2:
                    self.action_select_cursor()
                self._moved_by_user(row)

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._resize()
        self.call_after_refresh(lambda: self._scroll_to_row(self.cursor_row))  # cursor in view

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_mount(self) -> None:
        self._resize()

    # -- rendering -----------------------------------------------------------------------

    def fit_columns(
        self, hidden: set[str], widths: dict[str, int], grow: dict[str, int] | None = None
    ) -> None:
        """Leave out the ``hidden`` columns (empty ones) and give some columns another
        width (a status word longer than the usual); the last column takes what is left.
        ``grow``: how much wider some columns would be whole (a long name), taken from the
        room the columns leave (a flexible last column keeps :data:`MIN_LAST` of it)."""
        grow = {key: more for key, more in (grow or {}).items() if more > 0}
        if (frozenset(hidden), widths, grow) == (self._hidden, self._width_of, self._grow_of):
            return
        self._hidden, self._width_of, self._grow_of = frozenset(hidden), dict(widths), grow
        self._strips.clear()
        self.refresh()

    def _columns(self) -> list[tuple[int, str, int | None]]:
        """(index, label, width) of the columns shown."""
        return [
            (i, label, self._width_of.get(key, width) if width is not None else None)
            for i, (label, key, width) in enumerate(self._column_spec)
            if key not in self._hidden
        ]

    def last_column_width(self) -> int:
        """How wide the last (flexible) column is drawn now."""
        widths = self._widths(self.scrollable_content_region.width or self.size.width or 80)
        return widths[-1] if widths else 0

    def _widths(self, total: int) -> list[int]:
        columns = self._columns()
        fixed = sum((w or 0) + GAP for _, _, w in columns)
        room = total - fixed
        keep = MIN_LAST if any(w is None for _, _, w in columns) else 0
        widths: list[int | None] = []
        for index, _, width in columns:
            if width is not None:
                more = min(self._grow_of.get(self._column_spec[index][1], 0), room - keep)
                if more > 0:
                    width, room = width + more, room - more
            widths.append(width)
        return [w if w is not None else max(4, room) for w in widths]

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _render_cells(self, cells: Sequence[Text | str], width: int, style: Style) -> Strip:
        line = Text(no_wrap=True, overflow="ellipsis", style=style, end="")
        shown = [cells[i] for i, _, _ in self._columns() if i < len(cells)]
        for cell, column_width in zip(shown, self._widths(width), strict=False):
            text = cell.copy() if isinstance(cell, Text) else Text(cell)
            text.no_wrap = True
            text.end = ""
            if text.cell_len > column_width:
                if self.ascii_only and column_width > 3:  # "..." where "…" cannot be drawn
                    text.truncate(column_width - 3, overflow="crop")
                    text.append("...")
                else:
                    text.truncate(column_width, overflow="ellipsis")
            if text.justify == "right":
                text.pad_left(column_width - text.cell_len)
            else:
                text.pad_right(column_width - text.cell_len)
            line.append_text(text)
            line.append(" " * GAP)
        line.truncate(width, pad=True)
        # Text.render drops the line's own style when the line has no spans (a header of
        # plain labels): apply it to every segment, so none is left unstyled (an unstyled
        # segment also crashed Textual's monochrome filter under NO_COLOR).
        segments = [
            Segment(text, style + seg_style if seg_style is not None else style, control)
            for text, seg_style, control in line.render(self.app.console, end="")
        ]
        return Strip(segments, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        if y == 0:
            header = self.style_for("keyed-table--header")
            labels = [Text(label) for label, _, _ in self._column_spec]  # hidden ones skipped
            return self._render_cells(labels, width, base + header)
        index = int(self.scroll_y) + y - 1
        if not 0 <= index < len(self._order):
            return Strip.blank(width, base)
        key = self._order[index]
        cells = self._row_cells(key)
        cached = self._strips.get((key, width))
        if cached is not None and cached[0] is cells:
            strip = cached[1]
        else:
            strip = self._render_cells(cells, width, base)
            if len(self._strips) > CACHE_LIMIT:
                self._strips.clear()
            self._strips[(key, width)] = (cells, strip)
        if index == self.cursor_row:
            cursor = "keyed-table--cursor" if self.has_focus else "keyed-table--cursor-blurred"
            strip = strip.apply_style(self.style_for(cursor))
        return strip
