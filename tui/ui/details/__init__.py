"""Detail bodies: the only part of the viewer that differs per provider.

A body turns a row and its full record into blocks of a :class:`DocView`; the header and
the facts every provider has are built here.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from tui.core.model import Detail, Kind, Row
from tui.core.store import Log, elapsed, running
from tui.core.text import clean
from tui.core.timefmt import duration, full_time
from tui.ui.render import badge_parts, shown
from tui.ui.widgets.doc_view import Block, DocView, Styler


class DetailBody(Vertical):
    """What the detail pane shows for one row; subclasses add their provider's blocks."""

    has_log = False
    """Whether the body shows a live log (the layout gives it more room)."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.row_key: str | None = None
        self.header_gap = True
        """Whether a blank line parts the header from what follows (a short pane may give
        that line to something else)."""

    def compose(self) -> ComposeResult:
        yield DocView(id="detail-doc")

    @property
    def doc(self) -> DocView:
        return self.query_one("#detail-doc", DocView)

    def focusables(self) -> list[Widget]:
        """The widgets ``tab`` visits inside the detail, in order."""
        return [self.doc]

    def show_message(self, message: str) -> None:
        self.row_key = None
        self.doc.show([Block("message", lambda style, _: Text(message), height=1)], None)

    def show(
        self, row: Row, detail: Detail | None, log: Log | None, now: float, note: str | None
    ) -> None:
        """Show one row (its full record when there is one)."""
        self.row_key = row.key
        header = header_block(row, note, self.ascii_only, gap=self.header_gap)
        blocks = [header, *self.blocks(row, detail, now)]
        self.doc.show(blocks, row.key)

    def blocks(self, row: Row, detail: Detail | None, now: float) -> list[Block]:
        """The provider's blocks under the header."""
        return [facts_block(row, now, [])]

    def log_changed(self, log: Log, lines: list[str]) -> None:
        """New log lines for the row shown (bodies without a log ignore them)."""

    def refresh_title(self, log: Log | None) -> None:
        """Redraw what says how the log is doing (bodies without a log have nothing)."""

    def next_failure(self, forward: bool) -> str | None:
        return self.doc.next_failure(forward)

    def expand_all(self) -> int:
        return self.doc.expand_all()

    def collapse(self) -> bool:
        return self.doc.collapse_current()

    def docs_url(self) -> str | None:
        return None

    def enter(self) -> None:
        """Focus the detail: on its first failed block when there is one."""
        self.screen.set_focus(self.doc)  # now: the next key typed acts on it
        if self.doc.cursor == 0:
            self.doc.next_failure(True)


def header_block(row: Row, note: str | None, ascii_only: bool, *, gap: bool = True) -> Block:
    """Status, name and key (and ``note``, an error or a stall, under them); then, with
    ``gap``, a blank line."""

    def build(style: Styler, expanded: bool) -> Text:
        glyph, word, component = badge_parts(row.status, ascii_only=ascii_only)
        text = Text()
        text.append(f" {glyph} {word} ", style(component) + Style(reverse=True))
        text.append("  ")
        text.append_text(shown(row.name or "", limit=60))
        text.append("  " + clean(row.key), style("doc--muted"))
        if note:
            text.append("\n" + clean(note, limit=300), style("doc--error"))
        if gap:
            text.append("\n")
        return text

    return Block("header", build)


Fact = tuple[str, Text | str]


def facts_block(row: Row, now: float, extra: list[Fact]) -> Block:
    """Times and the duration (the table's number, from the one clock), then ``extra``."""
    took = duration(elapsed(row, now))
    if running(row) and elapsed(row, now) is not None:
        took += " (running)" if row.status.kind is Kind.RUNNING else " (so far)"
    facts: list[Fact] = [
        *([("created", full_time(row.created))] if row.created is not None else []),
        ("started", full_time(row.started)),
        ("finished", full_time(row.finished)),
        ("duration", took),
        *extra,
    ]
    return Block("facts", lambda style, _: facts_text(style, facts), height=len(facts) + 1)


def facts_text(style: Styler, facts: list[Fact]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for name, value in facts:
        text.append(f"{name:>11}  ", style("doc--label"))
        text.append_text(value if isinstance(value, Text) else Text(value))
        text.append("\n")
    return text


def problem_block(row: Row, details: Text | None = None) -> Block | None:
    if row.problem is None or not row.problem.text():
        return None
    problem = row.problem

    def build(style: Styler, expanded: bool) -> Text:
        text = Text()
        text.append("error ", style("doc--error"))
        if problem.code:
            text.append(clean(problem.code, limit=80) + "  ", style("doc--error"))
        text.append(clean(problem.message, multiline=True, limit=4000))
        if details is not None:
            text.append("\n")
            text.append_text(details)
        text.append("\n")
        return text

    return Block("error", build)


def section(key: str, title: str, body: Callable[[Styler], Text]) -> Block:
    """A heading with a text under it."""

    def build(style: Styler, expanded: bool) -> Text:
        text = Text(title + "\n", style("doc--heading"))
        text.append_text(body(style))
        text.append("\n")
        return text

    return Block(key, build)
