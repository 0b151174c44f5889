"""The runwatch Textual app: owns the API client and the main screen."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.segment import Segments
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.screen import Screen

from tui import compat
from tui.api.http import HttpApi
from tui.api.secret import ApiKey
from tui.ascii_filter import AsciiFilter, GlyphFilter, LinuxConsoleFilter, is_linux_console
from tui.config import ViewerMemory
from tui.gc_policy import GC_POLICY
from tui.leaks import patch_styles_cache
from tui.options import ViewerOptions
from tui.paths import stylesheets
from tui.providers import provider_of
from tui.screens.help_screen import HelpScreen
from tui.screens.live_screen import LiveScreen

PALETTE: list[tuple[str, str, str]] = [
    ("Next failure", "Jump to the next failed invocation or step (n)", "next_failure"),
    ("Previous failure", "Jump to the previous failed invocation or step (N)", "previous_failure"),
    ("Failures only", "Toggle failed, timed out and cancelled only (F)", "failures_only"),
    ("Cycle status filter", "Server-side status filter (s)", "cycle_status"),
    ("Cycle action filter", "Server-side action filter (a)", "cycle_action"),
    ("Filter by text", "Filter the invocation table (/)", "start_filter"),
    ("Expand all diagnostics", "Expand every failed step (e)", "expand_all"),
    ("Copy…", "Copy id, error text, JSON or a curl command (y)", "copy_menu"),
    ("Copy id", "Copy the selected id via OSC 52", "copy_id"),
    ("Open docs link", "Open the diagnostic's docs URL, or show and copy it (o)", "open_docs"),
    ("Pin or unpin run", "Pin the selected run to the top; remembered (P)", "toggle_pin"),
    ("Pause or resume", "Stop or restart polling (p)", "toggle_pause"),
    ("Refresh now", "Fetch every pane now (r)", "refresh_now"),
    ("Longer interval", "Refresh less often (+)", "slower"),
    ("Shorter interval", "Refresh more often (-)", "faster"),
    ("Next pane", "Focus the next pane (tab)", "next_pane"),
    ("Previous pane", "Focus the previous pane (shift+tab)", "previous_pane"),
    ("Back", "Back one pane or collapse (esc / h)", "back"),
]


LOST_TTY_EXIT_SECONDS = 5.0
EXIT_HANGUP = 129  # 128 + SIGHUP, as a shell reports a process the signal killed
EXIT_TERMINATED = 143  # 128 + SIGTERM
patch_styles_cache()
compat.apply()  # before any App exists: Textual's filters are built in App.__init__


class RunwatchApp(App[None]):
    """A live viewer of runs and invocations (bctrl or Kernel: see :mod:`tui.providers`)."""

    TITLE = "runwatch"
    CSS_PATH = [str(p) for p in stylesheets()]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(
        self,
        client: HttpApi,
        options: ViewerOptions | None = None,
        *,
        clock: Callable[[], float] = time.time,
        **overrides: object,
    ) -> None:
        super().__init__()
        self.client = client
        self.options = options or ViewerOptions()
        for name, value in overrides.items():
            if not hasattr(self.options, name):
                raise TypeError(f"unknown viewer option {name!r}")
            setattr(self.options, name, value)
        self.source_label = self.options.source_label or client.base_url
        self.clock = clock
        self.ascii_only = self.options.ascii_only
        self.final_memory: ViewerMemory | None = None
        self._glyph_filter: GlyphFilter | None = None
        if self.ascii_only:
            self._glyph_filter = AsciiFilter()
        elif is_linux_console(os.environ):
            # The console's font lacks most symbols: transliterate, the user need not ask.
            self._glyph_filter = LinuxConsoleFilter()
        self._hung_up = False
        self._exiting = False
        if self.options.theme:
            if self.options.theme not in self.available_themes:
                names = ", ".join(sorted(self.available_themes))
                raise ValueError(f"unknown theme {self.options.theme!r} (one of: {names})")
            self.theme = self.options.theme

    @property
    def exiting(self) -> bool:
        """Whether :meth:`exit` was called (the app is closing down)."""
        return self._exiting

    def exit(
        self,
        result: None = None,
        return_code: int = 0,
        message: RenderableType | None = None,
    ) -> None:
        """Exit, and from now on ignore input (see :meth:`on_event`)."""
        self._exiting = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        # Keys typed right after q arrive in the same read over SSH ("qy"): once exiting,
        # Textual mounts nothing more, so a screen they open would come up empty and crash.
        if self._exiting and isinstance(event, events.InputEvent) and not event.is_forwarded:
            return
        await super().on_event(event)

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = list(super().get_line_filters())
        if self._glyph_filter is not None:
            filters.append(self._glyph_filter)
        return filters

    def on_mount(self) -> None:
        provider = provider_of(self.client)
        self.push_screen(provider.screen(self.client, self.options, self.source_label, self.clock))
        self.call_after_refresh(GC_POLICY.started)
        self._watch_terminal()

    # -- a dropped SSH session, a kill or a hang-up must not leave a spinning process --------

    def _watch_terminal(self) -> None:
        """Exit cleanly on SIGHUP and SIGTERM, and when the controlling terminal goes away."""
        if self.is_headless or os.name != "posix":
            return
        loop = asyncio.get_running_loop()
        for signum, code in ((signal.SIGHUP, EXIT_HANGUP), (signal.SIGTERM, EXIT_TERMINATED)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._leave, code)
        self.set_interval(1.0, self._check_tty)

    def _check_tty(self) -> None:
        try:
            fd = sys.__stdin__.fileno() if sys.__stdin__ else -1
            alive = fd >= 0 and os.isatty(fd) and os.tcgetpgrp(fd) >= 0
        except (OSError, ValueError):
            alive = False
        if not alive:
            self._hang_up()

    def _hang_up(self) -> None:
        """The terminal went away: leave with the hang-up exit code."""
        self._leave(EXIT_HANGUP)

    def _leave(self, code: int) -> None:
        """Exit through Textual (which restores the terminal); force it if that stalls."""
        if self._hung_up:
            return  # the TTY check keeps firing until the loop stops: one exit is enough
        self._hung_up = True
        self._return_code = code
        self.exit(return_code=code)

        def force_exit() -> None:
            # A dead tty can block the driver's last writes: never outlive the grace period.
            time.sleep(LOST_TTY_EXIT_SECONDS - 1.0)
            os._exit(code)

        threading.Thread(target=force_exit, name="runwatch-hangup", daemon=True).start()

    # -- crash reports never print the key, nor any local variable ---------------------------

    def _fatal_error(self) -> None:
        """Textual's crash report without local variables, the key masked in every form."""
        from tui.crash import KeyRedactor, redacted_traceback  # only on the way out

        self.bell()
        # HttpApi.redact masks the key as is; the crash report also masks its escaped,
        # encoded and re-cased forms, so it needs the key itself (read here, never kept).
        key = getattr(self.client, "_key", None)
        secret = key.reveal() if isinstance(key, ApiKey) else ""
        traceback = redacted_traceback(KeyRedactor(secret, also=self.client.redact), width=None)
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    @property
    def main_screen(self) -> LiveScreen:
        """The main screen (there is exactly one)."""
        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                return screen
        raise LookupError("main screen not mounted")

    def remember(self, memory: ViewerMemory) -> None:
        """Called by the main screen as it goes: what to save for the next session."""
        self.final_memory = memory

    def action_help(self) -> None:
        """Show every key binding."""
        if isinstance(self.screen, HelpScreen):
            return
        main = next((s for s in self.screen_stack if isinstance(s, LiveScreen)), None)
        if main is not None and main.HELP_KEYS is not None:
            self.push_screen(HelpScreen(main.HELP_KEYS, main.HELP_LEGEND or ""))
        else:
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key binding (?)", self.action_help)
        if isinstance(screen, LiveScreen):
            for title, help_text, action in PALETTE:
                method = getattr(screen, f"action_{action}", None)
                if method is not None:
                    yield SystemCommand(title, help_text, method)

    async def on_unmount(self) -> None:
        await self.client.aclose()
