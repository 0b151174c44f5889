"""Incremental re-polling of a cursor-paginated invocation list.

A 10,000-invocation run is 50 pages of 200. Re-reading all of them every two seconds would
cost the server 50 requests and the viewer 10,000 parses per poll. The pages come in
creation order and a cursor names a position, so a poll only needs to re-read from the
first page that still holds a live invocation (terminal ones never change) to the end,
where new invocations arrive. A manual refresh re-reads everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tui.api.enums import is_terminal
from tui.api.models import InvocationPage, InvocationSummary

FetchPage = Callable[[str | None], Awaitable[InvocationPage]]
OnPage = Callable[["PollDelta"], None]


@dataclass
class PollDelta:
    """What one poll (or one page of it) changed."""

    changed: list[InvocationSummary] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    order: list[str] | None = None  # the new full order, only when it is not an append
    pages_read: int = 0


@dataclass
class PagedInvocations:
    """The pages seen so far: the cursor that fetched each, and the ids on it."""

    pages: list[tuple[str | None, list[str]]] = field(default_factory=list)
    items: dict[str, InvocationSummary] = field(default_factory=dict)

    def order(self) -> list[str]:
        return [key for _, ids in self.pages for key in ids]

    def resume_index(self) -> int:
        """The first page to re-read: the first with a live invocation, else the last."""
        for index, (_, ids) in enumerate(self.pages):
            if any(not is_terminal(self.items[key].status) for key in ids if key in self.items):
                return index
        return max(0, len(self.pages) - 1)

    async def poll(
        self, fetch: FetchPage, *, full: bool = False, on_page: OnPage | None = None
    ) -> PollDelta:
        """Re-read the pages that can have changed; ``on_page`` sees each page's delta."""
        start = 0 if full or not self.pages else self.resume_index()
        cursor = self.pages[start][0] if start < len(self.pages) else None
        # Pages before ``start`` are kept as they are: only the tail is compared.
        old_tail = [key for _, ids in self.pages[start:] for key in ids]
        new_pages: list[tuple[str | None, list[str]]] = []
        delta = PollDelta()
        seen: set[str] = set()
        while True:
            page = await fetch(cursor)
            ids = [inv.id for inv in page.data]
            new_pages.append((cursor, ids))
            page_delta = PollDelta(pages_read=1)
            for inv in page.data:
                seen.add(inv.id)
                if self.items.get(inv.id) != inv:
                    self.items[inv.id] = inv
                    page_delta.changed.append(inv)
            delta.changed += page_delta.changed
            delta.pages_read += 1
            if on_page is not None:
                on_page(page_delta)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        gone = set(old_tail) - seen
        delta.removed = sorted(gone)
        for key in delta.removed:
            self.items.pop(key, None)
        self.pages = self.pages[:start] + new_pages
        kept_tail = [key for key in old_tail if key not in gone]
        new_tail = [key for _, ids in new_pages for key in ids]
        if new_tail[: len(kept_tail)] != kept_tail:
            delta.order = self.order()
        return delta
