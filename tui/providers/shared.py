"""What the sources share beyond :class:`~tui.providers.http.HttpSource`: why a row failed, as
the provider's models read it from the row and its detail's body, and what ``y`` offers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

from tui.core.errors import NoMatch, NotFound
from tui.core.failures import Cause
from tui.core.model import Copy, Detail, Row
from tui.providers.http import ClientT, HttpSource, Reply, curl_command, pretty_json


class ModelSource(HttpSource[ClientT]):
    """A source whose models explain its rows (``causes``, ``explains``)."""

    noun: ClassVar[str] = "Invocation"
    """A row, as the copy menu names it."""
    reason: ClassVar[str] = "Error text"
    """What the copy menu calls why a row failed."""
    causes: ClassVar[Callable[[Row, Any], Cause]]
    explains: ClassVar[Callable[[Row, Any], list[str]]]

    def cause(self, row: Row, detail: Detail | None) -> Cause:
        return type(self).causes(row, detail.body if detail is not None else None)

    def explain(self, row: Row, detail: Detail | None) -> list[str]:
        return type(self).explains(row, detail.body if detail is not None else None)

    async def reread(
        self,
        rows: list[Row],
        read: Callable[[str], Awaitable[Reply]],
        row_of: Callable[[Row, Reply], Row | None],
    ) -> list[Row]:
        """``rows`` read again by key, four at a time; a row whose request fails is left out
        (it is already shown: a fresher view is a nicety)."""
        semaphore = asyncio.Semaphore(4)

        async def one(row: Row) -> Row | None:
            async with semaphore:
                try:
                    reply = await read(row.key)
                except Exception:
                    return None
            return row_of(row, reply)

        return [row for row in await asyncio.gather(*map(one, rows)) if row is not None]

    async def by_prefix(
        self, ref: str, pages: AsyncIterator[list[Row]], nothing: str, *, final: bool = True
    ) -> Row:
        """The one row of ``pages`` (the most recent, newest first) whose id starts with
        ``ref``, as the table shows ids cut short; :class:`NoMatch` when several do, and when
        none does (``nothing`` says what else was looked for). Not ``final``: ``ref`` may
        still start a group's name (Kernel's ``APP@VERSION``), so none is a plain
        :class:`NotFound`, and the caller looks among the groups as for any short id."""
        matches: dict[str, Row] = {}
        read = 0
        async for rows in pages:
            read += len(rows)
            matches |= {row.key: row for row in rows if row.key.startswith(ref)}
        noun = f"{self.noun.lower()}s"
        if len(matches) == 1:
            return next(iter(matches.values()))
        if matches:
            some = ", ".join(sorted(matches)[:5]) + (", …" if len(matches) > 5 else "")
            raise NoMatch(
                f"{ref} is ambiguous: {len(matches)} {noun} start with it ({some}); "
                "give more of the id"
            )
        none = NoMatch if final else NotFound
        raise none(f"{nothing}, and none of the {read:,} most recent {noun} starts with it")

    def curl(
        self,
        label: str,
        path: str,
        *,
        method: str = "GET",
        body: str | None = None,
        stream: bool = False,
    ) -> Copy:
        """A curl command for ``path`` below the base URL (the key named, never valued),
        with the headers every request of this source sends."""
        command = curl_command(
            self.base_url + path,
            self.key_env,
            method=method,
            body=body,
            headers=tuple(self.client.api_headers.items()),
            stream=stream,
        )
        return Copy(label, command)

    def row_copies(self, row: Row, detail: Detail | None, path: str) -> list[Copy]:
        """A row's id, why it failed, its JSON and a curl command for ``path`` (its own)."""
        copies = [Copy(f"{self.noun} id", row.key)]
        if why := self.explain(row, detail):
            copies.append(Copy(self.reason, "\n".join(why)))
        # The full record unless a newer row says it is over: a live record read before
        # the row finished would copy a status the table no longer shows. (A live row's
        # list entry is newer than its full record all the time, and thinner: not that.)
        stale = detail is not None and not detail.terminal and row.status.terminal
        raw = detail.raw if detail is not None and not stale else None
        copies.append(Copy(f"{self.noun} as JSON", pretty_json(raw, row.raw or {"id": row.key})))
        return [*copies, self.curl(f"curl for this {self.noun.lower()}", path)]
