"""``E``: a run's failures grouped by fingerprint, each with its count, when it was first and
last seen, and its fix shown once; enter jumps to the group's first failed row. Failures not
read in full yet are grouped below, by their own error."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.core.failures import FailureGroup
from tui.core.text import clean
from tui.ui.widgets.lists import KeyedOptionList


def group_text(group: FailureGroup, *, ascii_only: bool) -> RenderableType:
    """One group as the list shows it: its title, count and times, then its message and fix,
    each wrapped under itself (a hanging indent)."""
    times = "x" if ascii_only else "\u00d7"  # the multiplication sign
    # The title is cut before the count and the times are: a long one (a span named by its
    # URL) never pushes them off the line.
    counted = Text.assemble(
        (f" {times}{group.count}", Style(bold=True)),
        (f"  {group.when}", "dim"),
    )
    head = Table.grid(padding=(0, 1), expand=True)
    head.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    head.add_column(no_wrap=True, width=counted.cell_len)
    title = Text(clean(group.cause.title, limit=80), Style(bold=True), overflow="ellipsis")
    head.add_row(title, counted)
    lines: list[RenderableType] = [head]
    for label, value in (("  ", group.cause.message), ("  fix: ", group.cause.fix)):
        if value:
            grid = Table.grid()
            grid.add_column(no_wrap=True, style="dim")
            grid.add_column(ratio=1)
            grid.add_row(label, Text(clean(value, limit=300)))
            lines.append(grid)
    return RichGroup(*lines)


class ErrorsScreen(ModalScreen[str | None]):
    """The failure groups (``others``: those of the failures not read in full, by their own
    error); enter returns the first row of the highlighted one, and ``E`` calls ``more``
    (reads the next failures, and shows the list again)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("E", "more", "Read more", show=False),
    ]

    def __init__(
        self,
        groups: list[FailureGroup],
        title: str,
        note: str,
        *,
        others: list[FailureGroup] | None = None,
        more: Callable[[], None] | None = None,
        ascii_only: bool = False,
    ) -> None:
        super().__init__()
        self.more = more
        self.groups = [*groups, *(others or [])]
        self.read = len(groups)
        self.title_text = title
        self.note = note
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with Vertical(id="errors-body"):
            yield Static(Text(self.title_text), id="errors-title")
            options = [
                Option(group_text(group, ascii_only=self.ascii_only), id=str(index))
                for index, group in enumerate(self.groups)
            ]
            if self.read < len(self.groups):
                unread = sum(group.count for group in self.groups[self.read :])
                heading = f"Not read in full yet ({unread:,}), by their own error:"
                options.insert(self.read, Option(Text(heading, style="bold"), disabled=True))
            if options:
                yield KeyedOptionList(*options, id="errors-list")
            yield Static(Text(self.note), id="errors-hint")

    def on_mount(self) -> None:
        for found in self.query(KeyedOptionList):
            found.highlighted = 0
            found.focus()

    @on(OptionList.OptionSelected, "#errors-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        group = self.groups[int(event.option.id or 0)]
        self.dismiss(group.rows[0] if group.rows else None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_more(self) -> None:
        """Read the next failures in full and show the list again (closes it when all are
        read: ``E`` opened it)."""
        self.dismiss(None)
        if self.more is not None:
            self.more()
