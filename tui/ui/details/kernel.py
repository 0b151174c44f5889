"""Kernel's detail: why a failed invocation failed (its status reason, whole) first, then
app, version, action, ``payload`` and ``output``, and the live log below, which sticks to its
end until scrolled back.

The two share the pane by what they hold: the facts get the lines they have, up to what the
log leaves them (never less than two fifths while both overflow), the log the rest. A short
or empty log no longer sits half empty under facts cut off before their output.

A short pane (80x24: six lines, four while the app list has the focus) puts first what an
invocation is opened for: its header and a failure's reason, whole, then the log's last
lines, then the facts, which ``enter`` and ``z`` reach. The blank line under the header goes
to them too."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Log as LogWidget

from tui.core.model import Detail, Row
from tui.core.store import MAX_LOG_LINES, Log
from tui.core.text import clean
from tui.providers.kernel.models import Body, Decoded, explain
from tui.ui.actions import motions
from tui.ui.details import DetailBody, Fact, facts_block
from tui.ui.render import json_text
from tui.ui.widgets.doc_view import Block, DocView, Styler


class LogView(LogWidget):
    """A row's log: sticks to the bottom while you are there, keeps the scrollback when you
    scroll up (``G`` follows again)."""

    BINDINGS = motions("scroll_down", "scroll_up", "page_down", "page_up", "scroll_home", "follow")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LOG_LINES, auto_scroll=True, id=id)
        self.shown_for: str | None = None
        self.count = 0
        self.held = False
        """Scrolled back by the user (a key, the wheel) until the end is reached again or
        G. Not read off the scroll position: lines written before the layout (a backlog)
        leave the log short of its end for a moment, and its title said 'scrolled back'
        while it followed."""

    def on_mount(self) -> None:
        # Anchored: at its end the log stays at its end through a resize too (the pane
        # zoomed, the facts above taking more or fewer lines), not only as lines arrive.
        # A scroll back releases it; reaching the end again, or G, anchors it once more.
        self.anchor()
        self.watch(self, "scroll_y", self._scrolled, init=False)

    def _scrolled(self, _: float) -> None:
        if self.held and self.is_vertical_scroll_end:
            self.held = False  # the wheel brought it back to the end: it follows again

    def on_mouse_scroll_up(self) -> None:
        self.held = True  # Textual scrolls it (and releases the anchor)

    def reset(self, key: str | None, lines: list[str]) -> None:
        self.clear()
        self.shown_for = key
        self.count = 0
        self.held = False
        self.add(lines)
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def add(self, lines: list[str]) -> None:
        if lines:
            self.count += len(lines)
            self.write_lines(lines)

    # Every key moves the log at once. Textual's own scroll actions animate for up to a
    # second, and a line arriving meanwhile finds the log still at its end and snaps it
    # back there: in a busy log, g, k and pgup would never stick.

    def _jump(self, y: float) -> None:
        self.scroll_to(y=y, animate=False, immediate=True)
        self.held = not (self.is_vertical_scroll_end or not self.max_scroll_y)
        if not self.held:
            self.action_follow()  # j or pgdn onto the end follows again, as G does

    def action_scroll_up(self) -> None:
        self._jump(self.scroll_y - 1)

    def action_scroll_down(self) -> None:
        self._jump(self.scroll_y + 1)

    def action_scroll_home(self) -> None:
        self._jump(0)

    def action_page_up(self) -> None:
        self._jump(self.scroll_y - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self._jump(self.scroll_y + max(1, self.scrollable_content_region.height - 1))

    def action_follow(self) -> None:
        self.held = False
        self.scroll_end(animate=False, immediate=True)

    @property
    def following(self) -> bool:
        return not self.held


DOC_SHARE = 2 / 5
"""The facts' share of the pane while they and the log both have more than fits."""
LOG_LINES = 4
"""Log lines the facts never take (a log that has them) while the focus is elsewhere: at
80x24, under a running invocation's header, the end of its log."""
FOCUSED_LINES = 4
"""Lines the facts get while they have the focus (``enter``), the log keeping its title and
last line: at 80x24, four of six."""
GAP_FROM = 8
"""Pane lines from which the header keeps the blank line under it; in a shorter pane that
line is the reason's or the log's."""


class KernelBody(DetailBody):
    """An invocation's fields, payload and output; its log streams in below. ``enter`` and
    ``tab`` from the table focus the fields (j/k reach the payload and output); ``tab`` again
    the log, which scrolls on its own."""

    has_log = True
    _shown: tuple[Row, Detail | None, Log | None, float, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield DocView(id="detail-doc")
        yield LogView(id="detail-log")

    def on_mount(self) -> None:
        # Either side's length changes the split: a row shown, a line logged, a rewrap.
        self.watch(self.doc, "virtual_size", lambda _: self._fit(), init=False)
        self.watch(self.log_view, "virtual_size", lambda _: self._fit(), init=False)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._fit()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._fit()

    def _fit(self) -> None:
        """The facts' height: all their lines when the log leaves room for them, else what
        the log leaves, but never under ``DOC_SHARE`` of the pane (focused, nor under
        ``FOCUSED_LINES``), nor over what leaves the log ``LOG_LINES`` (focused, one); the
        header and a failure's reason whole before all that (the log keeps its title). The
        log (``1fr``) takes the rest."""
        height = self.content_region.height
        if height <= 0:
            return
        if self.header_gap != (height >= GAP_FROM):
            self.header_gap = height >= GAP_FROM
            self._reshow()
        doc, log = self.doc, self.log_view
        focused = doc.has_focus
        # The log's title border and any horizontal scrollbar.
        chrome = max(1, log.outer_size.height - log.scrollable_content_region.height)
        log_wants = log.line_count + chrome
        lead = doc.start_of("facts")  # the header, and why it failed
        floor = max(math.ceil(height * DOC_SHARE), FOCUSED_LINES if focused else 0)
        room = max(height - log_wants, floor)
        room = min(room, height - min(log_wants, (1 if focused else LOG_LINES) + chrome))
        room = max(room, min(doc.virtual_size.height if lead is None else lead, height - chrome))
        wanted = max(1, min(doc.virtual_size.height, room))
        current = doc.styles.height
        if current is None or current.cells != wanted:
            doc.styles.height = wanted

    def _reshow(self) -> None:
        """The row again, with the header's gap added or taken away. The cursor and the
        view move with the lines under the header, and only with them: a scroll into view
        now, while the fields may be a line high, would hide the header once they grow."""
        if self._shown is None:
            return
        doc = self.doc
        key = doc.current.key if doc.current is not None else None
        before = doc.start_of(key) if key is not None else None
        top = doc.scroll_y
        self.show(*self._shown)
        after = doc.start_of(key) if key is not None else None
        if before is None or after is None or after == before:
            return
        doc.cursor += after - before
        if top > 0:
            doc.scroll_to(y=top + after - before, animate=False, immediate=True)
        doc.refresh()

    @property
    def log_view(self) -> LogView:
        return self.query_one("#detail-log", LogView)

    def focusables(self) -> list[Widget]:
        return [self.doc, self.log_view]

    def show_message(self, message: str) -> None:
        super().show_message(message)
        self._shown = None
        self.log_view.reset(None, [])
        self._title(None)

    def show(
        self, row: Row, detail: Detail | None, log: Log | None, now: float, note: str | None
    ) -> None:
        self._shown = (row, detail, log, now, note)
        super().show(row, detail, log, now, note)
        if self.log_view.shown_for != row.key:
            self.log_view.reset(row.key, list(log.lines) if log is not None else [])
        self._title(log)

    def log_changed(self, log: Log, lines: list[str]) -> None:
        self.log_view.add(lines)
        self._title(log)

    def _title(self, log: Log | None) -> None:
        if self.row_key is None:
            title = "log"
        else:
            count = self.log_view.count
            where = (
                "complete"
                if log is not None and log.complete
                else "following"
                if self.log_view.following
                else "scrolled back · G follows"
            )
            title = f"log · {count} line{'s' * (count != 1)} · {where}"
            if log is not None and log.resumed:
                title += f" · resumed x{log.resumed}"
            if log is not None and log.dropped:
                title += f" · oldest {log.dropped} dropped"
        if str(self.log_view.border_title) != title:
            self.log_view.border_title = title

    def refresh_title(self, log: Log | None) -> None:
        self._title(log)

    def blocks(self, row: Row, detail: Detail | None, now: float) -> list[Block]:
        body: Body | None = detail.body if detail is not None else None
        # Why it failed, as the source explains it (the copy menu, watch and the bundle
        # say the same): its status reason, else the row's, else that none was given.
        why = explain(row, body)
        extra: list[Fact] = []
        if body is not None:
            extra = [
                ("app", clean(body.app, limit=60)),
                ("version", clean(body.version, limit=40)),
                ("action", clean(body.action, limit=60)),
            ]
            if not why:  # a failure's reason is above, whole
                extra.append(("reason", clean(body.reason or "—", limit=500)))
        blocks = [_why_block(why)] if why else []
        blocks.append(facts_block(row, now, extra))
        if body is not None:
            pending = not row.status.terminal and body.output is None
            blocks.append(_json_block("payload", body.payload, pending=False))
            blocks.append(_json_block("output", body.output, pending=pending))
        return blocks


def _why_block(why: list[str]) -> Block:
    """Why the invocation failed, whole: wrapped under its label, in the facts' columns.
    A failed block, so the detail opens on it and ``n`` goes to it."""

    def build(style: Styler, expanded: bool) -> Table:
        grid = Table.grid(padding=(0, 2))  # as the facts: a label of 11, two spaces
        grid.add_column(width=11, justify="right", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for number, line in enumerate(why):
            label = Text("reason" if number == 0 else "", style("doc--error"))
            grid.add_row(label, Text(clean(line, multiline=True, limit=4000)))
        return grid

    return Block("why", build, failed=True)


def _json_block(name: str, value: Decoded | None, *, pending: bool) -> Block:
    def build(style: Styler, expanded: bool) -> Text:
        out = Text()
        out.append(name, style("doc--heading"))
        if value is None:
            out.append("  (none yet)" if pending else "  (none)", style("doc--muted"))
        elif not value.ok:
            out.append("  not JSON, shown as sent:\n", style("doc--muted"))
            out.append(clean(value.raw, multiline=True, limit=20_000))
        else:
            out.append("\n")
            out.append_text(json_text(value.value))
        out.append("\n")
        return out

    return Block(name, build)
