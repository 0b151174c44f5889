"""A virtual document: a detail of any size, drawn a screen line at a time.

A detail is a list of :class:`Block` (a header, facts, one block per step, a JSON result).
Only the lines on screen are rendered, each block once per width; a block whose height is
known without rendering (a one-line step) is not rendered until it scrolls into view. A
5,000-step record costs the forty lines on screen, not 5,000 widgets.

A line cursor moves with the usual keys; enter expands or collapses the block under it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.ui.actions import motions
from tui.ui.render import BADGE_CLASSES

Styler = Callable[[str], Style]
NEAR_TOP = 3
"""A failed block starting this close to the top is landed on without a scroll."""


@dataclass(slots=True, eq=False)
class Block:
    """One piece of a document; ``build(style, expanded)`` makes its text.

    ``height`` is how many lines it takes when that is known without rendering (text that
    does not wrap, with a known number of lines); None means render to find out."""

    key: str
    build: Callable[[Styler, bool], RenderableType]
    _: KW_ONLY
    height: int | None = None
    expandable: bool = False
    expanded: bool = False
    failed: bool = False


class DocView(ScrollView, can_focus=True):
    """Blocks laid out one under another; a line cursor; enter toggles a block."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(BADGE_CLASSES) | {
        "doc--cursor",
        "doc--cursor-blurred",
        "doc--label",
        "doc--muted",
        "doc--error",
        "doc--heading",
        "doc--code",
        "doc--hint",
        "doc--command",
        "doc--link",
        "doc--ok",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *motions("cursor_down", "cursor_up", "page_down", "page_up", "top", "bottom"),
        Binding("enter,l", "toggle_block", show=False),
    ]

    class Toggled(Message):
        """A block was expanded or collapsed."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.blocks: list[Block] = []
        self.identity: object = None
        self.cursor = 0
        self._landed = False
        self._wanted: int | None = None
        """A scroll the layout did not allow yet (see ``_scroll_line``)."""
        self._starts: list[int] = [0]
        self._rendered: dict[int, tuple[int, bool, list[Strip]]] = {}
        self._width = 0

    # -- content ---------------------------------------------------------------------------

    def style(self, component: str) -> Style:
        """A Rich style from this widget's CSS component class."""
        return self.get_component_rich_style(component, partial=True)

    def show(self, blocks: list[Block], identity: object) -> None:
        """Show ``blocks``; the same ``identity`` (the same row) keeps cursor and scroll."""
        same = identity == self.identity
        keep = {id(block) for block in blocks}
        self._rendered = {k: v for k, v in self._rendered.items() if k in keep}
        if same:
            expanded = {block.key for block in self.blocks if block.expanded}
            collapsed = {
                block.key for block in self.blocks if block.expandable and not block.expanded
            }
            for block in blocks:
                if block.key in expanded:
                    block.expanded = True
                elif block.key in collapsed:
                    block.expanded = False
        self.blocks = blocks
        self.identity = identity
        self._layout()
        if not same:
            self.cursor = 0
            self._landed = False
            self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = min(self.cursor, max(0, self._starts[-1] - 1))
        if not self._landed and any(block.failed for block in blocks):
            # Failure first: a record's failed step is what the user came for. Once, and
            # only while the cursor is where it started (never against the user).
            self._landed = True
            if self.cursor == 0:
                self.next_failure(True, top=None)
        self.refresh()

    def _height(self, block: Block, width: int) -> int:
        if block.height is not None and not block.expanded:
            return block.height
        return len(self._strips(block, width))

    def _layout(self) -> None:
        width = self._content_width()
        self._width = width
        starts = [0]
        for block in self.blocks:
            starts.append(starts[-1] + self._height(block, width))
        self._starts = starts
        size = Size(width, starts[-1])
        if size != self.virtual_size:
            self.virtual_size = size
            self.call_after_refresh(self._scroll_wanted)

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def _strips(self, block: Block, width: int) -> list[Strip]:
        cached = self._rendered.get(id(block))
        if cached is not None and cached[0] == width and cached[1] == block.expanded:
            return cached[2]
        text = block.build(self.style, block.expanded)
        console = self.app.console
        no_wrap = isinstance(text, Text) and bool(text.no_wrap)
        options = console.options.update_width(width).update(no_wrap=no_wrap, highlight=False)
        lines = console.render_lines(text, options, style=self.rich_style, pad=True)
        strips = [Strip(line, width) for line in lines] or [Strip.blank(width, self.rich_style)]
        if block.height is not None and not block.expanded:
            strips = (strips + [Strip.blank(width, self.rich_style)] * block.height)[: block.height]
        self._rendered[id(block)] = (width, block.expanded, strips)
        return strips

    def block_at(self, line: int) -> int:
        """The index of the block holding document line ``line``."""
        return max(0, bisect.bisect_right(self._starts, line) - 1)

    def start_of(self, key: str) -> int | None:
        """The document line the block ``key`` starts on; None when there is no such block."""
        index = next((i for i, block in enumerate(self.blocks) if block.key == key), None)
        return None if index is None else self._starts[index]

    @property
    def current(self) -> Block | None:
        """The block under the cursor."""
        if not self.blocks:
            return None
        return self.blocks[min(self.block_at(self.cursor), len(self.blocks) - 1)]

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        if width != self._width:
            self._layout()
        line = int(self.scroll_y) + y
        if not self.blocks or line >= self._starts[-1]:
            return Strip.blank(width, self.rich_style)
        index = self.block_at(line)
        strips = self._strips(self.blocks[index], width)
        offset = line - self._starts[index]
        strip = strips[offset] if offset < len(strips) else Strip.blank(width, self.rich_style)
        if line == self.cursor:
            cursor = "doc--cursor" if self.has_focus else "doc--cursor-blurred"
            strip = strip.apply_style(self.style(cursor))
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._layout()
        self.call_after_refresh(self._after_resize)

    def _after_resize(self) -> None:
        """A pending scroll, else keep the cursor's line in view (a zoomed pane that shrinks
        back must still show where the user was)."""
        self._scroll_wanted()
        if self._wanted is not None:
            return
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if not top <= self.cursor < top + height:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)

    def on_focus(self) -> None:
        self._refresh_line(self.cursor)

    def on_blur(self) -> None:
        self._refresh_line(self.cursor)

    def _refresh_line(self, line: int) -> None:
        y = line - int(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- the cursor ------------------------------------------------------------------------

    def move(self, line: int) -> None:
        """Put the cursor on document line ``line`` (clamped) and scroll it into view."""
        self._wanted = None
        line = max(0, min(line, self._starts[-1] - 1))
        old, self.cursor = self.cursor, line
        self._refresh_line(old)
        self._refresh_line(line)
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if line < top:
            self._scroll_line(line)
        elif line >= top + height:
            self._scroll_line(line - height + 1)

    def _scroll_line(self, y: int) -> None:
        """Scroll to ``y``; when the new document's size has not reached the scrollbars
        yet (a scroll past the old end is clamped), again as each new size arrives."""
        self._wanted = y
        self._scroll_wanted()

    def _scroll_wanted(self) -> None:
        if self._wanted is None:
            return
        self.scroll_to(y=self._wanted, animate=False, immediate=True)
        if int(self.scroll_y) == self._wanted:
            self._wanted = None

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._wanted = None  # the user scrolls: no earlier scroll is redone

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._wanted = None

    def move_to_block(self, index: int, *, top: bool | None = True) -> None:
        """Cursor to a block's first line, shown at the top of the view when ``top`` (None:
        unless it starts within the first :data:`NEAR_TOP` lines, where it is in view with
        the header above it: a scroll would only hide the header)."""
        line = self._starts[index]
        if top is None and line <= NEAR_TOP:
            # No scroll into view either: a view a line or two high this moment (a split
            # still to come) would keep the header scrolled off once it grows.
            self._wanted = None
            old, self.cursor = self.cursor, line
            self._refresh_line(old)
            self._refresh_line(line)
            if line < int(self.scroll_y):
                self._scroll_line(0)
            return
        self.move(line)
        if top or (top is None and line > NEAR_TOP):
            self._scroll_line(line)

    def action_cursor_down(self) -> None:
        self.move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move(self.cursor - 1)

    def action_page_down(self) -> None:
        self.move(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self.move(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_top(self) -> None:
        self.move(0)

    def action_bottom(self) -> None:
        self.move(self._starts[-1] - 1)

    def action_toggle_block(self) -> None:
        """Expand or collapse the block under the cursor."""
        block = self.current
        if block is None or not block.expandable:
            return
        self.set_expanded(block, not block.expanded)

    def set_expanded(self, block: Block, expanded: bool) -> None:
        if block.expanded == expanded:
            return
        block.expanded = expanded
        index = self.blocks.index(block)
        self._layout()
        self.move(
            min(self.cursor, self._starts[index + 1] - 1) if expanded else self._starts[index]
        )
        self.refresh()
        self.post_message(self.Toggled())

    def collapse_current(self) -> bool:
        """Collapse the block under the cursor; False when there was nothing to collapse."""
        block = self.current
        if block is None or not block.expandable or not block.expanded:
            return False
        self.set_expanded(block, False)
        return True

    def expand_all(self) -> int:
        """Expand every expandable failed block; how many there are."""
        failed = [block for block in self.blocks if block.expandable and block.failed]
        for block in failed:
            block.expanded = True
        self._layout()
        self.refresh()
        return len(failed)

    def next_failure(self, forward: bool = True, *, top: bool | None = True) -> str | None:
        """Cursor to the next (previous) failed block, wrapping (``top``: as
        :meth:`move_to_block`): ``moved``, ``wrapped`` (round past the last), ``only`` (it
        is on the only one), or None when there is none (as the tables' ``n`` says)."""
        failed = [i for i, block in enumerate(self.blocks) if block.failed]
        if not failed:
            return None
        here = self.block_at(self.cursor)
        after = [i for i in failed if (i > here if forward else i < here)]
        if after:
            target, how = (after[0] if forward else after[-1]), "moved"
        else:
            target = failed[0] if forward else failed[-1]
            how = "only" if failed == [here] else "wrapped"
        self.move_to_block(target, top=top)
        return how

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.move(int(self.scroll_y) + event.y)
        if event.chain >= 2:
            self.action_toggle_block()
