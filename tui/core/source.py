"""What every provider implements: the viewer and ``watch`` know an API only through this.

A provider package (``tui/providers/<name>/``) has a client that speaks HTTP, and a source
that maps the client's answers into the neutral model (:mod:`tui.core.model`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Protocol

from tui.core.failures import Cause
from tui.core.model import Copy, Detail, Group, Query, Row, Update
from tui.core.pages import PageDelta, Pager

COUNT_AT_MOST = 20
"""Groups (the newest listed) whose failed rows are counted when the server's records do
not count them (bctrl's runs): one request each, usually."""
COUNT_PAGES = 3
"""Pages of a group's rows read for its count, at most (one more shows there are more, and
the count is left unknown): only its failed and live rows when the server can filter them
and the group's total is known, else every row."""


@dataclass(frozen=True)
class Vocabulary:
    """What a source calls things, and which filters its server understands."""

    group: str
    """One group, as users say it: ``run``, ``app version``."""
    groups: str
    """The left pane's title: ``Runs``, ``Apps``."""
    row: str
    """One row: ``invocation``, ``tool call``."""
    rows: str
    """The table's title: ``Invocations``, ``Tool calls``."""
    follows_with: str
    """How a live row is followed: ``long-poll``, ``event stream``."""
    statuses: tuple[str, ...]
    """Status words the server filters on."""
    failures: tuple[str, ...]
    """What "failures only" asks the server for."""
    live: tuple[str, ...] = ()
    """The status words of rows not yet ended: with :attr:`failures`, what a count of a
    group's failed and live rows asks the server for (empty: such a count reads every row)."""
    actions: tuple[str, ...] = ()
    """Action words known in advance (more are learned from the rows seen)."""
    multi_filter: bool = True
    """Whether a filter may name several values at once."""
    group_kind: str = "kind"
    """What a group's subtitle is (``runtime``, ``version``): the left pane's column."""
    kind_in_name: bool = False
    """Whether a group is named by its title and subtitle together (``app 1.4.2``)."""
    name_column: str = "action"
    """The table's heading for a row's name (``action``, ``tool``)."""
    label: str = ""
    """How the header names the API, when not by the source's name (``bctrl · current API``)."""
    newest_first: bool = False
    """Whether the server lists rows newest first (the viewer shows every provider's rows
    in the same order, whatever the server's)."""

    def named(self, title: str) -> str:
        """A group as a title says it: ``run 4d6cc587``, but ``run_uKbwr6Ay`` as it is."""
        return title if title.startswith(self.group + "_") else f"{self.group} {title}"

    @property
    def a_row(self) -> str:
        """One row with its article: ``an invocation``, ``a tool call``."""
        return ("an " if self.row[:1] in "aeiou" else "a ") + self.row


class Source(Protocol):
    """One API, as the viewer and ``watch`` see it. Every failure is an ``ApiError``."""

    name: str
    vocabulary: Vocabulary
    base_url: str

    def rate_limited_for(self) -> float:
        """Seconds before the server allows another request (0 when free)."""
        ...

    async def groups(self) -> list[Group]:
        """The group list, newest first; ``Unsupported`` when the server has none."""
        ...

    async def group(self, key: str) -> Group:
        """One group by key; ``Unsupported`` when the server cannot describe one."""
        ...

    async def locate(self, ref: str) -> Group | Row:
        """What a reference a user typed names: a group, or a row (found on the server)."""
        ...

    def pager(self, group: str, query: Query, *, stream: bool = True) -> Pager:
        """The rows of ``group`` under ``query``, for polling. ``stream=False``: the list
        alone, read once (a count), so no event stream is opened for it."""
        ...

    async def refresh(self, rows: list[Row]) -> list[Row]:
        """Fuller records of some live rows (those on screen); may be empty."""
        ...

    def follow(self, key: str, known: Detail | None) -> AsyncIterator[Update]:
        """A row's updates (itself, its detail, its log) until it is terminal and read.
        ``known``: the row's detail as the caller keeps it; None when it keeps nothing of
        the row, its log included (a log is then sent whole, from its start)."""
        ...

    def cause(self, row: Row, detail: Detail | None) -> Cause:
        """Why a row failed, as one cause (code, where, message, fix): what failures are
        grouped by."""
        ...

    def explain(self, row: Row, detail: Detail | None) -> list[str]:
        """Why a row failed, in lines of plain text (its error, the failing step's
        diagnostic and fix): for the copy menu, ``watch`` and reports."""
        ...

    def copies(self, group: Group | None, row: Row | None, detail: Detail | None) -> list[Copy]:
        """What ``y`` offers for a group or a row: ids, JSON, curl commands."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


class _TooMany(Exception):
    """A count would read more than its pages."""


async def count_rows(source: Source, group: Group, pages: int = COUNT_PAGES) -> Group | None:
    """``group`` with its failed and live rows counted from its rows, for servers whose
    records do not count them (bctrl's runs; Kernel's app versions come counted): None when
    it has more than ``pages`` pages of them. The viewer's group list and ``watch``'s list
    count groups this one way."""
    if group.total == 0:
        return replace(group, failed=0, live=0)
    vocabulary = source.vocabulary
    some = group.total is not None and bool(vocabulary.live) and vocabulary.multi_filter
    query = Query(status=vocabulary.failures + vocabulary.live) if some else Query()
    pager = source.pager(group.key, query, stream=False)
    read = 0

    def on_page(_: PageDelta) -> None:
        nonlocal read
        read += 1
        if read > pages:
            raise _TooMany

    try:
        rows = (await pager.poll(full=True, on_page=on_page)).rows
    except _TooMany:
        return None
    return replace(
        group,
        total=group.total if some else len(rows),
        failed=sum(row.status.failure for row in rows),
        live=sum(not row.status.terminal for row in rows),
    )
