"""The runwatch Textual app: owns the API client and the main screen."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.api.client import BctrlClient
from tui.paths import stylesheets
from tui.screens.help_screen import HelpScreen
from tui.screens.main_screen import MainScreen

PALETTE: list[tuple[str, str, str]] = [
    ("Next failure", "Jump to the next failed invocation or step (n)", "next_failure"),
    ("Previous failure", "Jump to the previous failed invocation or step (N)", "previous_failure"),
    ("Failures only", "Toggle failed, timed out and cancelled only (F)", "failures_only"),
    ("Cycle status filter", "Server-side status filter (s)", "cycle_status"),
    ("Cycle action filter", "Server-side action filter (a)", "cycle_action"),
    ("Filter by text", "Filter the invocation table (/)", "start_filter"),
    ("Expand all diagnostics", "Expand every failed step (e)", "expand_all"),
    ("Copy id", "Copy the selected id via OSC 52 (y)", "copy_id"),
    ("Pause or resume", "Stop or restart polling (p)", "toggle_pause"),
    ("Refresh now", "Fetch every pane now (r)", "refresh_now"),
    ("Longer interval", "Refresh less often (+)", "slower"),
    ("Shorter interval", "Refresh more often (-)", "faster"),
    ("Next pane", "Focus the next pane (tab)", "next_pane"),
    ("Previous pane", "Focus the previous pane (shift+tab)", "previous_pane"),
    ("Back", "Back one pane or collapse (esc / h)", "back"),
]


class RunwatchApp(App[None]):
    """A live viewer of bctrl runs and invocations."""

    TITLE = "runwatch"
    CSS_PATH = [str(p) for p in stylesheets()]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(
        self,
        client: BctrlClient,
        *,
        pinned: Iterable[str] = (),
        interval: float = 2.0,
        source_label: str | None = None,
        clock: Callable[[], float] = time.time,
        ascii_only: bool = False,
    ) -> None:
        super().__init__()
        self.client = client
        self.pinned = list(pinned)
        self.interval = interval
        self.source_label = source_label or client.base_url
        self.clock = clock
        self.ascii_only = ascii_only

    def on_mount(self) -> None:
        self.push_screen(
            MainScreen(
                self.client,
                pinned=self.pinned,
                interval=self.interval,
                source_label=self.source_label,
                clock=self.clock,
                ascii_only=self.ascii_only,
            )
        )

    @property
    def main_screen(self) -> MainScreen:
        """The main screen (there is exactly one)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")

    def action_help(self) -> None:
        """Show every key binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key binding (?)", self.action_help)
        if isinstance(screen, MainScreen):
            for title, help_text, action in PALETTE:
                yield SystemCommand(title, help_text, getattr(screen, f"action_{action}"))

    async def on_unmount(self) -> None:
        await self.client.aclose()
