"""The ``?`` help screen: every key binding and what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, str]] = [
    ("j / k, ↓ / ↑", "move the cursor"),
    ("tab / shift+tab", "next / previous pane"),
    ("enter / l", "drill in, or expand a failed step"),
    ("esc / h", "back, or collapse"),
    ("g / G", "top / bottom"),
    ("n / N", "next / previous failure (failed step in the detail)"),
    ("F", "failures only (failed, timed out, cancelled)"),
    ("s", "cycle the status filter (server side)"),
    ("a", "cycle the action filter (server side)"),
    ("/", "filter the table by text (esc clears)"),
    ("e", "expand every diagnostic"),
    ("y", "copy menu: id, error, JSON, curl (OSC 52 + selectable)"),
    ("o", "open the diagnostic's docs link (or show and copy it)"),
    ("P", "pin / unpin the selected run (remembered)"),
    ("p", "pause / resume polling"),
    ("+ / -", "longer / shorter refresh interval"),
    ("r", "refresh now"),
    ("ctrl+p", "command palette: every action"),
    ("?", "this help"),
    ("q", "quit"),
]


LEGEND = (
    "Status badges: ◷ queued  ⇢ dispatching  ▶ running  ⊘ cancelling  "
    "✔ succeeded  ✘ failed  ⊖ cancelled  ⧗ timed out  ? unknown"
)


class HelpScreen(ModalScreen[None]):
    """Lists every binding; any of esc, q or ? closes it."""

    def __init__(self, keys: list[tuple[str, str]] | None = None, legend: str = LEGEND) -> None:
        super().__init__()
        self.keys = keys if keys is not None else KEYS
        self.legend = legend

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2), expand=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in self.keys:
            table.add_row(Text(key), Text(what))
        with VerticalScroll(id="help-body"):
            yield Static(Text("runwatch — keys"), id="help-title")
            yield Static(table, id="help-table")
            yield Static(Text(self.legend), id="help-legend")
            yield Static(Text("esc, q or ? closes this help"), id="help-hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
