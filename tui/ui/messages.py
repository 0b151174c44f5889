"""Messages the viewer's workers post: past-tense events, handled by the screen.

Workers do I/O only; every change of state happens in the screen's handlers, which merge
into the store (:mod:`tui.core.store`) and re-render.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.core.model import Group, Row, Update
from tui.core.pages import PageDelta


@dataclass
class GroupsFetched(Message):
    """A fresh group list (None: the server has none, for ``reason``)."""

    groups: list[Group] | None
    reason: str | None = None


@dataclass
class GroupFetched(Message):
    """One group's own record (a pinned group, or the selected one's counts)."""

    group: Group


@dataclass
class GroupsCounted(Message):
    """Listed groups whose failed rows the viewer counted (their server does not)."""

    groups: list[Group]


@dataclass
class RowLocated(Message):
    """A row named on the command line (``ref``: its id, or the start of it) was found: its
    group is pinned and it is shown."""

    row: Row
    ref: str


@dataclass
class PinUnknown(Message):
    """A reference on the command line the source knows nothing by, whole (no Kernel app or
    invocation has that name or id; ``reason`` says where it looked): unless it starts a
    listed group's id or name, it names nothing."""

    ref: str
    reason: str


@dataclass
class RowsFetched(Message):
    """A page (or the end) of a poll of view ``view``; ``final`` once the poll is done."""

    view: int
    delta: PageDelta
    final: bool


@dataclass
class RowsUnsupported(Message):
    """The server has no list of rows for view ``view`` (only rows fetched by id)."""

    view: int
    reason: str


@dataclass
class RowsRefreshed(Message):
    """Fuller records of live rows on screen."""

    view: int
    rows: list[Row]


@dataclass
class Followed(Message):
    """Updates of the followed row (its record, its detail, its log lines), in order."""

    key: str
    updates: list[Update]


@dataclass
class FetchFailed(Message):
    """A resource's fetch failed (its error is in the poller): redraw what says so."""

    resource: str
