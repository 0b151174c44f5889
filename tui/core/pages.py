"""Reading a paged row list again and again without reading it all each time, and without
trusting the server to ever stop.

:class:`AppendPager` serves lists in creation order whose cursor names a position (bctrl's
``nextCursor``): a 10,000-row run is 50 pages of 200, and a poll re-reads only from the first
page that still holds a live row to the end, where new rows arrive. :class:`HeadPager` serves
newest-first lists whose offsets shift as rows arrive (Kernel's ``offset``): each poll reads
the first few pages again.

Both stop when a server repeats a cursor or when a view passes :data:`MAX_ROWS`, and say so in
:attr:`PageDelta.note`: an endless list must not take the viewer's memory with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from tui.core.model import Row

MAX_ROWS = 150_000
"""The most rows one view holds; beyond it the server's list is cut and the user is told
(read when a pager is made)."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its rows and where the next one starts (None on the last)."""

    rows: list[Row]
    next: str | None


FetchPage = Callable[[str | None], Awaitable[Page]]


@dataclass
class PageDelta:
    """What one poll (or one page of it) brought."""

    rows: list[Row] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    order: list[str] | None = None
    """The whole new order, when it is not the old one with rows appended."""
    pages_read: int = 0
    note: str | None = None
    """Why the list was cut short (a repeated cursor, too many rows), if it was."""


OnPage = Callable[[PageDelta], None]


class Pager(Protocol):
    """A row list that can be polled."""

    async def poll(self, *, full: bool = False, on_page: OnPage | None = None) -> PageDelta:
        """Read what can have changed (``full``: everything); ``on_page`` sees each page."""
        ...


@dataclass
class _Seen:
    cursor: str | None
    keys: list[str]
    live: bool


class AppendPager:
    """Oldest-first pages: only the tail that can still change is read again."""

    def __init__(self, fetch: FetchPage, max_rows: int | None = None) -> None:
        self._fetch = fetch
        self._max_rows = MAX_ROWS if max_rows is None else max_rows
        self._pages: list[_Seen] = []

    async def poll(self, *, full: bool = False, on_page: OnPage | None = None) -> PageDelta:
        # From the first page that still holds a live row (else the last page) to the end.
        live = (i for i, page in enumerate(self._pages) if page.live)
        start = 0 if full or not self._pages else next(live, len(self._pages) - 1)
        cursor = self._pages[start].cursor if start < len(self._pages) else None
        kept = self._pages[:start]
        old_tail = [key for page in self._pages[start:] for key in page.keys]
        count = sum(len(page.keys) for page in kept)
        new: list[_Seen] = []
        delta = PageDelta()
        cursors: set[str | None] = {p.cursor for p in kept} | {cursor}
        seen_keys: set[str] = {key for page in kept for key in page.keys}
        async for at, page in _walk(self._fetch, cursor, cursors, delta, "cursor"):
            rows = _fresh(page.rows, seen_keys)[: max(0, self._max_rows - count)]
            count += len(rows)
            if count >= self._max_rows and (page.next or len(rows) < len(page.rows)):
                delta.note = f"showing the first {self._max_rows:,} rows; the list goes on"
            new.append(_Seen(at, [r.key for r in rows], any(not r.status.terminal for r in rows)))
            delta.rows += rows
            if on_page is not None and rows:
                on_page(PageDelta(rows=rows, pages_read=1))
        self._pages = kept + new
        new_tail = [key for page in new for key in page.keys]
        gone = set(old_tail) - set(new_tail)
        delta.removed = [key for key in old_tail if key in gone]
        survivors = [key for key in old_tail if key not in gone]
        if new_tail[: len(survivors)] != survivors:
            delta.order = [key for page in self._pages for key in page.keys]
        return delta


class HeadPager:
    """Newest-first pages whose offsets shift: the first ``pages`` pages, read each poll."""

    def __init__(self, fetch: FetchPage, pages: int) -> None:
        self._fetch = fetch
        self._pages = pages
        self._max_rows = MAX_ROWS
        self._order: list[str] = []

    async def poll(self, *, full: bool = False, on_page: OnPage | None = None) -> PageDelta:
        delta = PageDelta()
        order: list[str] = []
        seen: set[str] = set()
        async for _, page in _walk(self._fetch, None, {None}, delta, "offset"):
            rows = _fresh(page.rows, seen)[: max(0, self._max_rows - len(order))]
            order += [row.key for row in rows]
            delta.rows += rows
            if delta.pages_read >= self._pages:
                break
        if on_page is not None and delta.rows:
            on_page(PageDelta(rows=delta.rows, pages_read=delta.pages_read))
        delta.removed = [key for key in self._order if key not in seen]
        if order != self._order:
            delta.order = order
        self._order = order
        return delta


async def _walk(
    fetch: FetchPage, cursor: str | None, cursors: set[str | None], delta: PageDelta, what: str
) -> AsyncIterator[tuple[str | None, Page]]:
    """Each page from ``cursor`` on, with the cursor it was read at, until the last one, a
    :attr:`PageDelta.note` set by the reader, or a cursor the server repeats (noted)."""
    while True:
        page = await fetch(cursor)
        delta.pages_read += 1
        yield cursor, page
        if delta.note or not page.next:
            return
        if page.next in cursors:
            delta.note = f"the server repeated a page {what}; the list stops there"
            return
        cursors.add(page.next)
        cursor = page.next


def _fresh(rows: list[Row], seen: set[str]) -> list[Row]:
    """The rows not seen before, each key once (a server may repeat one on a page), noting
    them as seen."""
    fresh = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            fresh.append(row)
    return fresh
