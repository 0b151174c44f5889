"""Resuming Kernel's event stream without losing or repeating a line.

Kernel's ``GET /invocations/{id}/events?since=`` resumes by timestamp, and ``since`` is
inclusive: after a reconnect the server repeats the lines at the resume instant (and a server
may repeat more). :class:`LogCursor` remembers where the stream got to and drops the repeats,
while two genuinely equal lines logged in the same nanosecond are both kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LogCursor:
    """Where a log stream got to: the ``since`` to resume from, and what was seen there."""

    since: str | None = None
    """The raw timestamp of the newest line seen: the next connection's ``since``."""
    lines: int = 0
    """Lines accepted so far."""
    reconnects: int = 0
    """Connections opened after the first (drops survived)."""
    bad_frames: int = 0
    """Frames that were not JSON or not an event (skipped, counted)."""
    terminal: bool = False
    """The stream reported a terminal invocation state: it will not reopen."""
    read: bool = False
    """A follow read the stream to its end after that: the whole log is known. A follow
    cancelled between the two (the user moved on) left the log's end unread."""
    _newest_ns: int | None = None
    _seen_at_newest: Counter[str] = field(default_factory=Counter)
    _replayed_at_newest: Counter[str] = field(default_factory=Counter)
    _replaying: bool = False

    def resume(self, *, reconnect: bool = True) -> None:
        """A new connection is about to start from :attr:`since`: expect repeats.

        ``reconnect`` counts it as surviving a drop (a stream reopened on purpose, say when
        the user comes back to an invocation, is not one)."""
        self.reconnects += reconnect
        self._replaying = True
        self._replayed_at_newest = Counter()

    def accept(self, timestamp: str, ns: int | None, message: str) -> bool:
        """Whether a log line is new (and remember it); False for a repeat after a resume."""
        if ns is None:
            # Unorderable timestamp: show it; it cannot move the resume point.
            self.lines += 1
            return True
        newest = self._newest_ns
        if self._replaying and newest is not None:
            if ns < newest:
                return False  # the server went further back than asked: already shown
            if ns == newest:
                self._replayed_at_newest[message] += 1
                if self._replayed_at_newest[message] <= self._seen_at_newest[message]:
                    return False
        if newest is None or ns > newest:
            self._newest_ns = ns
            self.since = timestamp
            self._seen_at_newest = Counter()
            self._replaying = False
        self._seen_at_newest[message] += 1
        self.lines += 1
        return True
