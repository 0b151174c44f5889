"""The runwatch Textual app: one viewer screen over any provider's source."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from tui import compat
from tui.core import text as core_text
from tui.core.source import Source
from tui.core.text import ascii_ellipsis, clean, with_ellipsis
from tui.paths import stylesheets
from tui.ui.actions import Action, help_rows, palette
from tui.ui.ascii_filter import GlyphFilter, is_linux_console, to_ascii, to_linux_console
from tui.ui.details import DetailBody
from tui.ui.help import HelpScreen
from tui.ui.options import ViewerOptions
from tui.ui.toasts import Toast, ToastHold
from tui.ui.viewer import ViewerScreen

if TYPE_CHECKING:
    from tui.config import ViewerMemory

LOST_TTY_EXIT_SECONDS = 5.0
EXIT_HANGUP = 129  # 128 + SIGHUP, as a shell reports a process the signal killed
EXIT_TERMINATED = 143  # 128 + SIGTERM
compat.apply()  # before any App exists: Textual's filters are built in App.__init__


class RunwatchApp(App[None]):
    """A live viewer of groups and rows (runs and invocations, apps and invocations)."""

    TITLE = "runwatch"
    CSS_PATH = [str(p) for p in stylesheets()]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]
    OWN_KEYS: ClassVar[tuple[Action, ...]] = ()
    """A kind of app's keys on top of the viewer's (a replay's): bound with
    :func:`~tui.ui.actions.bindings`, and listed by ``?`` and the command palette."""

    def __init__(
        self,
        source: Source,
        body: type[DetailBody],
        options: ViewerOptions | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.source = source
        self.body = body
        self.options = options or ViewerOptions()
        self.clock = clock
        self.final_memory: ViewerMemory | None = None
        self._glyph_filter: GlyphFilter | None = None
        self._ellipsis = core_text.ELLIPSIS[0]
        if self.options.ascii_only:
            self._glyph_filter = GlyphFilter(to_ascii)
            ascii_ellipsis()  # cut text ends in "..." (the filter can only swap one glyph)
        elif is_linux_console(os.environ):
            # The console's font lacks most symbols: transliterate, the user need not ask.
            self._glyph_filter = GlyphFilter(to_linux_console)
        self._leaving = False
        self._exiting = False
        self._toasts = ToastHold()
        if self.options.theme:
            if self.options.theme not in self.available_themes:
                names = ", ".join(sorted(self.available_themes))
                raise ValueError(f"unknown theme {self.options.theme!r} (one of: {names})")
            self.theme = self.options.theme

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = list(super().get_line_filters())
        if self._glyph_filter is not None:
            filters.append(self._glyph_filter)
        return filters

    def on_mount(self) -> None:
        # NO_COLOR turns colours into greys by brightness: red error text would be the
        # dimmest text on screen. Failures are drawn bright and bold instead (styles/app.tcss).
        self.set_class(bool(os.environ.get("NO_COLOR")), "-no-color")
        self.screen_change_signal.subscribe(self, self._screen_changed, immediate=True)
        self.push_screen(ViewerScreen(self.source, self.body, self.options, clock=self.clock))
        self.call_after_refresh(compat.app_started)
        self._watch_terminal()

    @property
    def viewer(self) -> ViewerScreen:
        """The viewer screen (there is exactly one)."""
        for screen in self.screen_stack:
            if isinstance(screen, ViewerScreen):
                return screen
        raise LookupError("viewer not mounted")

    def remember(self, memory: ViewerMemory) -> None:
        """Called by the viewer as it closes: what to save for the next session."""
        self.final_memory = memory

    async def on_unmount(self) -> None:
        core_text.ELLIPSIS[0] = self._ellipsis  # as it was before this app (tests run several)
        await self.source.aclose()

    # -- everything said or copied is cleaned here, whoever says it ---------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast, with its text cleaned (no escapes, no secrets) and never read as markup;
        held while a modal screen is open, never drawn over it (:mod:`tui.ui.toasts`)."""
        toast = Toast(
            clean(with_ellipsis(message), multiline=True, limit=600),
            clean(title, limit=80),
            severity,
            self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
        )
        stack = self.screen_stack
        if stack and isinstance(stack[-1], ModalScreen):
            self._toasts.hold(toast)
        else:
            self._show(toast)

    def _show(self, toast: Toast) -> None:
        self._toasts.shown(toast)
        super().notify(
            toast.message,
            title=toast.title,
            severity=toast.severity,
            timeout=toast.timeout,
            markup=False,
        )

    def _screen_changed(self, screen: Screen[object]) -> None:
        """A modal screen takes the toasts off the screen; closing the last shows them and
        what was said while it was open."""
        if isinstance(screen, ModalScreen):
            if self._toasts.cover():
                self.clear_notifications()
        else:
            for toast in self._toasts.release():
                self._show(toast)

    def copy_to_clipboard(self, text: str) -> None:
        """Copy (OSC 52) text that cannot carry an escape sequence or the key."""
        super().copy_to_clipboard(clean(text, multiline=True))

    def on_key(self, event: events.Key) -> None:
        """A letter that bubbles up to the app while an input has focus was not typed into
        it (an input keeps its own letters): it was typed in the burst that opened it. ``:``
        then ``failed`` arrive together and all go to the pane focused then; ``:`` opens the
        prompt, and the letters after it belong there, in order."""
        if isinstance(self.focused, Input) and event.is_printable and event.character:
            event.stop()
            event.prevent_default()  # not a binding of the pane it reached
            self.focused.insert_text_at_cursor(event.character)

    # -- help and the palette, from the one table of actions -------------------------------

    def action_help(self) -> None:
        """Show every key binding."""
        if not isinstance(self.screen, HelpScreen):
            own = help_rows(self.OWN_KEYS)
            self.push_screen(HelpScreen(ascii_only=self.options.ascii_only, own=own))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key binding (?)", self.action_help)
        if isinstance(screen, ViewerScreen):
            for title, help_text, action in palette():
                yield SystemCommand(
                    with_ellipsis(title), help_text, getattr(screen, f"action_{action}")
                )
            for own in self.OWN_KEYS:
                title = own.palette or own.help[:1].upper() + own.help[1:]
                run = getattr(self, f"action_{own.action}")
                yield SystemCommand(title, f"{title} ({own.shown_keys})", run)

    # -- input after q, signals, a lost terminal -----------------------------------------

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
            self._leave(EXIT_HANGUP)

    def _leave(self, code: int) -> None:
        """Exit through Textual (which restores the terminal); force it if that stalls."""
        if self._leaving:
            return  # the TTY check keeps firing until the loop stops: one exit is enough
        self._leaving = True
        self.exit(return_code=code)

        def force_exit() -> None:
            # A dead tty can block the driver's last writes: never outlive the grace period.
            time.sleep(LOST_TTY_EXIT_SECONDS - 1.0)
            os._exit(code)

        threading.Thread(target=force_exit, name="runwatch-hangup", daemon=True).start()

    # -- crash reports never print the key -----------------------------------------------

    def _fatal_error(self) -> None:
        """Textual's crash report without local variables, the key masked in every form."""
        from tui.ui.crash import redacted_traceback  # only on the way out: keep start light

        self.bell()
        compat.crash_report(self, redacted_traceback(width=None))
