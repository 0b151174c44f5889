"""Toasts never cover a modal screen (the help, E's failure groups, the copy menu, the
status picker, the command palette): a user reading one is not interrupted by text drawn
over what they read. What is said while one is open is held, and shown as it closes; what
was on screen as it opened is shown again then, for the time it had left.

Held toasts of one title are shown as one (a busy run says "Invocations finished" every
half minute): a long read of the help does not end in a column of toasts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from textual.notifications import SeverityLevel

MIN_SHOWN = 2.0
"""Seconds a toast shown again after a modal stays at least (long enough to read)."""
MAX_LINES = 4
"""Held toasts of one title shown as one: its last messages, this many at most."""
SEVERITY = ("information", "warning", "error")


@dataclass(frozen=True)
class Toast:
    """One toast, its text already cleaned."""

    message: str
    title: str
    severity: SeverityLevel
    timeout: float


@dataclass
class ToastHold:
    """What was said while a modal screen was open, and what is on screen now."""

    clock: Callable[[], float] = time.monotonic
    _held: list[Toast] = field(default_factory=list)
    _shown: list[tuple[float, Toast]] = field(default_factory=list)

    def shown(self, toast: Toast) -> None:
        """``toast`` is on screen from now."""
        self._shown = [*self._live(), (self.clock(), toast)]

    def hold(self, toast: Toast) -> None:
        """Keep ``toast`` for when the modal closes (the same words twice: once)."""
        said = (toast.title, toast.message)
        if all((held.title, held.message) != said for held in self._held):
            self._held.append(toast)

    def cover(self) -> bool:
        """A modal screen opened: the toasts still on screen are held, for the time they had
        left. True if there were any (the caller takes them off the screen)."""
        now = self.clock()
        live = self._live()
        self._shown = []
        for at, toast in live:
            self.hold(replace(toast, timeout=max(MIN_SHOWN, toast.timeout - (now - at))))
        return bool(live)

    def release(self) -> list[Toast]:
        """The modal closed: what to show now, one toast a title, in the order first said."""
        by_title: dict[str, list[Toast]] = {}
        for toast in self._held:
            by_title.setdefault(toast.title, []).append(toast)
        self._held = []
        return [_merged(toasts) for toasts in by_title.values()]

    def _live(self) -> list[tuple[float, Toast]]:
        now = self.clock()
        return [(at, toast) for at, toast in self._shown if now - at < toast.timeout]


def _merged(toasts: list[Toast]) -> Toast:
    """Toasts of one title as one: the last messages, the worst severity, the longest time."""
    if len(toasts) == 1:
        return toasts[0]
    lines = [toast.message for toast in toasts[-MAX_LINES:]]
    if (earlier := len(toasts) - MAX_LINES) > 0:
        lines.insert(0, f"({earlier} earlier)")
    return Toast(
        "\n".join(lines),
        toasts[0].title,
        max((toast.severity for toast in toasts), key=SEVERITY.index),
        max(toast.timeout for toast in toasts),
    )
