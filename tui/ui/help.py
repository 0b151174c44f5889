"""The ``?`` help: every key, from the one table of actions, and what the badges mean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.actions import help_rows, motions
from tui.ui.render import legend


class HelpScreen(ModalScreen[None]):
    """Lists every binding; esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", show=True),
        *motions(
            "scroll(1)", "scroll(-1)", "scroll(10)", "scroll(-10)", "scroll(-1000)", "scroll(1000)"
        ),
    ]

    def __init__(self, *, ascii_only: bool = False, own: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        self.own = own
        """The app's own keys (a replay's), listed first."""

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2), expand=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, what in [*self.own, *help_rows()]:
            table.add_row(Text(keys), Text(what))
        with VerticalScroll(id="help-body"):
            yield Static(Text("runwatch — keys"), id="help-title")
            yield Static(table, id="help-table")
            yield Static(
                Text("Status badges: " + legend(ascii_only=self.ascii_only)), id="help-legend"
            )
            mark = "*" if self.ascii_only else "\u25c6"
            yield Static(
                Text(
                    f"{mark} marks a pinned run (named on the command line, or P) in the run "
                    "list, and the critical path in the timeline (t)."
                ),
                id="help-marks",
            )
            yield Static(Text("esc, q or ? closes this help"), id="help-hint")

    def action_scroll(self, lines: int) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
