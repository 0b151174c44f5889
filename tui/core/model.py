"""The neutral model every provider maps its API into.

A *group* is what the left pane lists (a bctrl run, a Kernel app version); a *row* is what the
table lists (an invocation, a tool call); a *detail* is the provider's full record of one row,
opaque to the core. A status has a :class:`Kind` the core reasons with and the raw word the
server sent, which is what users read.

Values the server sent that do not fit their field are kept as :class:`Raw`: the field shows
them as sent, marked, and nothing else about the row is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self


class Kind(StrEnum):
    """What a status means, whatever the provider calls it."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        """A terminal status never changes again."""
        return self in _TERMINAL

    @property
    def failure(self) -> bool:
        """Failed or timed out: what ``n`` jumps to (cancelled only when asked)."""
        return self in (Kind.FAILED, Kind.TIMED_OUT)


_TERMINAL = frozenset({Kind.SUCCEEDED, Kind.FAILED, Kind.TIMED_OUT, Kind.CANCELLED})


@dataclass(frozen=True, slots=True)
class Status:
    """A status: its kind and the word the server sent (shown whole, even when unknown)."""

    kind: Kind
    raw: str

    @property
    def terminal(self) -> bool:
        return self.kind.terminal

    @property
    def failure(self) -> bool:
        return self.kind.failure


@dataclass(frozen=True, slots=True)
class Raw:
    """A value that did not fit its field (a date that is not a date): shown as sent."""

    text: str


Stamp = float | Raw | None
"""A point in time as epoch seconds (any offset converted), a raw bad value, or unknown."""
Seconds = float | Raw | None


def seconds(value: Stamp) -> float | None:
    """The value when it is a usable number, else None."""
    return value if isinstance(value, float) else None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why something failed, as the server said it."""

    code: str | None = None
    message: str | None = None

    def text(self) -> str:
        return " · ".join(p for p in (self.code, self.message) if p)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a live row has got."""

    step: int | None = None
    total: int | None = None
    message: str | None = None

    @property
    def fraction(self) -> float | None:
        if self.step is None or not self.total or self.total <= 0:
            return None
        return max(0.0, min(1.0, self.step / self.total))


@dataclass(frozen=True, slots=True)
class Record:
    """What groups and rows share: a status, times, and how complete and fresh the view is.

    ``rank`` says how complete the view is (0 a list row, higher for fuller records);
    ``observed`` is when it was fetched (the one clock the store uses)."""

    key: str
    status: Status
    created: Stamp = None
    started: Stamp = None
    finished: Stamp = None
    duration: Seconds = None
    problem: Problem | None = None
    observed: float = field(default=0.0, compare=False)
    rank: int = 0
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def filled_from(self, other: Self) -> Self:
        """This record, with the fields it lacks taken from ``other``."""
        missing = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(self, name) is None and getattr(other, name) is not None
        }
        return replace(self, **missing) if missing else self


@dataclass(frozen=True, slots=True)
class Group(Record):
    """A run (bctrl) or an app version (Kernel): what the left pane lists."""

    title: str = ""
    subtitle: str | None = None
    total: int | None = None
    failed: int | None = None
    live: int | None = None
    pinned_only: bool = False
    """A pinned group the server has not described (no run endpoint, or not yet)."""
    counted: bool = False
    """Counted afresh from its rows on each read (a Kernel app version), not a record with a
    lifecycle of its own: a newer count replaces an older one, and a group whose rows all
    ended goes back to live when another starts."""


def _starts(text: str, ref: str) -> bool:
    """Whether ``text`` (an id, a name) starts with ``ref``, in its own case or in any."""
    return text.startswith(ref) or text.casefold().startswith(ref.casefold())


def starting_with(groups: Iterable[Group], ref: str) -> list[Group]:
    """The groups whose id starts with ``ref``, the short id a table shows: in the ids' own
    case first, else in any case."""
    listed = list(groups)
    exact = [g for g in listed if g.key.startswith(ref)]
    return exact or [g for g in listed if g.key.casefold().startswith(ref.casefold())]


def named_by_start(
    groups: Iterable[Group], ref: str, named: bool
) -> tuple[str | None, list[Group]]:
    """What ``ref``, the start of a listed group's id (where groups are ``named``, as
    Kernel's ``APP@VERSION``, of a name), names: its key, or None when it starts several
    groups or none; and the groups it starts. The start of one name alone names what that
    name does whole (an app: every version), as the viewer and ``watch`` both take it."""
    matches = starting_with(groups, ref)
    titles = {group.title for group in matches}
    if named and len(titles) == 1 and (title := titles.pop()) and _starts(title, ref):
        return title, matches
    return (matches[0].key if len(matches) == 1 else None), matches


@dataclass(frozen=True, slots=True)
class Row(Record):
    """An invocation or a tool call: what the table lists."""

    group: str = ""
    name: str | None = None
    note: str | None = None
    progress: Progress | None = None
    heartbeat: Stamp = None


@dataclass(frozen=True, slots=True)
class Detail:
    """A provider's full record of one row (``body`` is the provider's own type)."""

    key: str
    body: Any
    terminal: bool
    rank: int = 0
    observed: float = field(default=0.0, compare=False)
    raw: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Query:
    """The server-side filters of the table."""

    status: tuple[str, ...] = ()
    action: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.status or self.action)


@dataclass(frozen=True, slots=True)
class Copy:
    """Something ``y`` offers: a label and the text (cleaned before it is shown or sent)."""

    label: str
    text: str


# -- what following a row yields --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogLines:
    """New log lines of a row (display-safe); ``complete`` once the whole log is read."""

    key: str
    lines: tuple[str, ...]
    complete: bool = False
    resumed: int = 0


@dataclass(frozen=True, slots=True)
class Alive:
    """The stream is healthy (a heartbeat): nothing new, but fresh."""


Update = Row | Detail | LogLines | Alive
