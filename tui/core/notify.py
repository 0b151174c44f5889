"""Telling the user that rows finished: at once for the first, then at most once a window,
coalesced, so a server whose rows finish (or flap) by the hundred cannot flood the screen
with toasts or the terminal with bells. The row the user follows is told within
:data:`WINDOW`; other rows' failures, which a busy run has all the time (the card and the
fail column count them), within :data:`OTHERS_WINDOW`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.core.model import Row
from tui.core.text import clean, short_id

WINDOW = 5.0
OTHERS_WINDOW = 30.0


@dataclass(frozen=True)
class Announcement:
    """One toast (and maybe a bell)."""

    title: str
    message: str
    failed: bool
    bell: bool


@dataclass
class Announcer:
    """Collects finished rows; :meth:`due` gives what to show now, if anything."""

    clock: Callable[[], float]
    noun: str = "invocation"
    window: float = WINDOW
    others_window: float = OTHERS_WINDOW
    _pending: dict[str, tuple[Row, bool]] = field(default_factory=dict)
    _last: float | None = None

    def finished(self, rows: list[Row], followed: str | None) -> None:
        """Rows seen going from live to terminal; ``followed`` is the row the user watches.
        Of the others only failures are told: a busy run finishes rows every second."""
        for row in rows:
            if row.key == followed or row.status.failure:
                self._pending[row.key] = (row, row.key == followed)

    def due(self) -> Announcement | None:
        """One announcement for everything pending, when the window allows."""
        now = self.clock()
        if not self._pending:
            return None
        followed_row = any(followed for _, followed in self._pending.values())
        window = self.window if followed_row else self.others_window
        if self._last is not None and now - self._last < window:
            return None
        self._last = now
        pending = list(self._pending.values())
        self._pending.clear()
        failed = any(row.status.failure for row, _ in pending)
        noun = self.noun.capitalize()
        # The row the user follows is named first, whatever finished with it.
        watched = [row for row, followed in pending if followed]
        others = [row for row, followed in pending if not followed]
        bell = bool(watched)
        if watched or len(pending) == 1:
            row = (watched or others)[0]
            message = f"{noun} {short_id(row.key)} {_word(row)}"
            if rest := [other for other in others if other is not row]:
                message += f"; {len(rest)} more finished: {_tally(rest)}"
            return Announcement(f"{noun} finished", message, failed, bell)
        message = f"{len(pending)} {self.noun}s finished: {_tally(others)}"
        return Announcement(f"{noun}s finished", message, failed, bell)


def _word(row: Row) -> str:
    return clean(row.status.raw, limit=30).replace("_", " ")


def _tally(rows: list[Row]) -> str:
    counts = Counter(_word(row) for row in rows)
    return ", ".join(f"{n} {word}" for word, n in counts.most_common())
