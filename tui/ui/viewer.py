"""The one viewer screen, for every provider: groups, their rows, and one row's detail.

Workers do I/O through the source and post past-tense messages; the handlers merge into the
store and render from it. Only the detail body differs per provider (the registry names it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from tui import compat
from tui.compat.footer import Footer
from tui.compat.gc import GC_POLICY
from tui.core.errors import ApiError, Forbidden, NotFound, Unauthorized, Unsupported
from tui.core.model import Detail, Group, Kind, LogLines, Query, Row, Status, Update
from tui.core.notify import Announcer
from tui.core.pages import PageDelta
from tui.core.poll import Poller
from tui.core.source import Source
from tui.core.store import Store
from tui.core.text import clean, short_id
from tui.ui import actions
from tui.ui.details import DetailBody
from tui.ui.messages import (
    FetchFailed,
    Followed,
    GroupFetched,
    GroupsFetched,
    RowLocated,
    RowsFetched,
    RowsRefreshed,
    RowsUnsupported,
)
from tui.ui.widgets.keyed_table import KeyedTable
from tui.ui.widgets.tables import GroupList, RowTable

if TYPE_CHECKING:
    from tui.config import ViewerMemory
    from tui.ui.options import ViewerOptions

MIN_WIDTH, MIN_HEIGHT = 60, 15
WIDE_WIDTH = 160
SHORT_HEIGHT = 30
FOLLOW_DEBOUNCE = 0.08
YIELD_AFTER = 0.01
"""Seconds a follow may read without a pause: a stream already in the buffer (a log flood)
is read without ever waiting, and keys and redraws would wait behind it."""


class ViewerScreen(Screen[None]):
    """Groups, rows and a detail, live; every provider's API through one :class:`Source`."""

    BINDINGS: ClassVar[list[BindingType]] = actions.bindings()  # type: ignore[assignment]

    def __init__(
        self,
        source: Source,
        body: type[DetailBody],
        options: ViewerOptions,
        *,
        clock: Callable[[], float],
    ) -> None:
        super().__init__()
        self.source = source
        self.words = source.vocabulary
        self.options = options
        self.clock = clock
        self.ascii_only = options.ascii_only
        self.body_type = body
        self.poller = Poller(
            interval=options.interval, clock=clock, rate_limited_for=source.rate_limited_for
        )
        self.store = Store()
        self.announcer = Announcer(clock, noun=self.words.row)
        self.pinned: list[str] = list(dict.fromkeys(options.pinned))
        self.filters = Query(tuple(options.status), tuple(options.action))
        self.text_filter = options.text_filter
        self.selected_group: str | None = None
        self.selected_row: str | None = None
        self.view = 0
        self.describes_groups = True
        self._pinned_rows: dict[str, list[Row]] = {}
        self._rows_problem: str | None = None
        self._full_refresh = False
        self._told: set[str] = set()
        self._pending: list[Update] = []
        self._pending_key: str | None = None
        self._footer = False
        self._names: set[str] = set()

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status-bar")
        with Horizontal(id="panes"):
            with Vertical(id="groups-pane", classes="pane"):
                yield GroupList(
                    kind=self.words.group_kind, ascii_only=self.ascii_only, id="group-list"
                )
            with Vertical(id="right-column"):
                with Vertical(id="rows-pane", classes="pane"):
                    yield self.row_table()
                    yield Static(id="rows-empty")
                    yield Input(
                        placeholder="filter: text in name, id, status or error (esc clears)",
                        id="filter-input",
                    )
                with Vertical(id="detail-pane", classes="pane"):
                    yield self.body_type(ascii_only=self.ascii_only, id="detail-body")
        yield Static(
            Text(f"Terminal too small for runwatch.\nMake it at least {MIN_WIDTH}x{MIN_HEIGHT}."),
            id="too-small",
        )

    def row_table(self) -> RowTable:
        """The table of rows (the benchmark swaps in its naive baseline here)."""
        return RowTable(ascii_only=self.ascii_only, id="row-table")

    @property
    def groups(self) -> GroupList:
        return self.query_one(GroupList)

    @property
    def table(self) -> RowTable:
        return cast(RowTable, self.query_one("#row-table"))

    @property
    def body(self) -> DetailBody:
        return self.query_one("#detail-body", DetailBody)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def on_resize(self, event: Resize) -> None:
        width, height = event.size
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")
        self.set_class(width >= WIDE_WIDTH, "-wide")
        self.set_class(height < SHORT_HEIGHT, "-short")

    def on_mount(self) -> None:
        self.set_class(self.body_type.has_log, "-log")
        self.filter_input.display = bool(self.text_filter)
        self.filter_input.value = self.text_filter
        self.body.show_message(f"Select an {self.words.row} to see its detail.")
        for ref in self.pinned:
            self.store.merge_group(
                Group(ref, Status(Kind.UNKNOWN, ""), title=short_id(ref), pinned_only=True)
            )
        self._render_groups()
        self.groups.focus()
        if self.pinned:
            self._select_group(self.pinned[0])
            self.locate_pins(list(self.pinned))
        self.poll_groups()
        self.set_interval(1.0, self._tick)
        self.set_interval(5.0, self._release_closed_widgets)
        self.set_timer(1.0, self.ensure_footer)
        self._render_titles()

    def ensure_footer(self) -> None:
        """Mount the key footer once, after the first rows are on screen (its key widgets
        cost ~50 ms of styling that would otherwise come before the first data)."""
        if self._footer or not self.is_attached:
            return
        self._footer = True
        self.mount(Footer())

    def _release_closed_widgets(self) -> None:
        """Let removed widgets go that reactives still watch from (see :mod:`tui.compat`)."""
        compat.prune_closed_watchers(self.app)
        compat.prune_closed_watchers(self)

    def on_unmount(self) -> None:
        remember = getattr(self.app, "remember", None)
        if callable(remember):
            remember(self.memory())

    def memory(self) -> ViewerMemory:
        from tui.config import ViewerMemory

        return ViewerMemory(
            pinned=list(self.pinned),
            status=list(self.filters.status),
            action=list(self.filters.action),
            text_filter=self.text_filter,
            interval=self.poller.interval,
        )

    # -- workers: I/O only, results posted as messages ------------------------------------

    @work(group="locate", exclusive=True, exit_on_error=False)
    async def locate_pins(self, refs: list[str]) -> None:
        """What each reference on the command line names: a group, or a row (then its group
        is pinned and the row shown in it, even when the server cannot list rows)."""
        for ref in refs:
            try:
                found = await self.source.locate(ref)
            except ApiError:
                continue
            if isinstance(found, Row):
                self.post_message(RowLocated(found))

    @work(group="poll-groups", exclusive=True, exit_on_error=False)
    async def poll_groups(self) -> None:
        """The group list, and the records of pinned and selected groups, every interval."""

        async def fetch() -> None:
            async with self._failing("groups"):
                await fetch_groups()

        async def fetch_groups() -> None:
            if self.store.listed:
                try:
                    self.post_message(GroupsFetched(await self.source.groups()))
                except Unsupported as error:
                    self.post_message(GroupsFetched(None, error.message))
            if not self.describes_groups:
                return
            wanted = [k for k in (self.selected_group, *self.pinned) if k]
            for key in dict.fromkeys(wanted):
                if not await self._describe(key):
                    return

        await self.poller.loop("groups", fetch)

    async def _describe(self, key: str) -> bool:
        """Fetch one group's own record (counts, failure); False when the server has none."""
        group = self.store.groups.get(key)
        if not self.describes_groups or (group and group.status.terminal and group.rank > 0):
            return self.describes_groups  # an ended group's record never changes
        try:
            self.post_message(GroupFetched(await self.source.group(key)))
        except Unsupported:
            self.describes_groups = False
        except NotFound:
            pass  # its rows' own request says what the server thinks of it
        return self.describes_groups

    @work(group="describe", exclusive=True, exit_on_error=False)
    async def describe_group(self, key: str) -> None:
        """The selected group's own record, at once (the group loop refreshes it)."""
        with contextlib.suppress(ApiError):
            await self._describe(key)

    @work(group="poll-rows", exclusive=True, exit_on_error=False)
    async def poll_rows(self, view: int, group: str, query: Query) -> None:
        """The selected group's rows every interval: only pages that can have changed."""
        pager = self.source.pager(group, query)
        listed = True

        def on_page(delta: PageDelta) -> None:
            self.post_message(RowsFetched(view, delta, False))

        async def fetch() -> None:
            nonlocal listed
            if not listed:
                return
            full, self._full_refresh = self._full_refresh, False
            try:
                async with self._failing("rows"):
                    delta = await pager.poll(full=full, on_page=on_page)
            except Unsupported as error:
                listed = False
                self.post_message(RowsUnsupported(view, error.message))
                return
            delta.rows = []  # each page's rows were posted as they came
            self.post_message(RowsFetched(view, delta, True))
            live = [  # the followed row has its own request going: not asked twice
                row
                for key in self.table.visible_keys()
                if (row := self.store.rows.get(key)) is not None
                and not row.status.terminal
                and key != self.selected_row
            ]
            if live:
                refreshed = await self.source.refresh(live)
                if refreshed:
                    self.post_message(RowsRefreshed(view, refreshed))

        await self.poller.loop("rows", fetch)

    @work(group="follow", exclusive=True, exit_on_error=False)
    async def follow_row(self, key: str) -> None:
        """Follow one row until it is terminal and fully read (a final row is never fetched
        again); back off and resume while it fails."""
        if self.store.final(key):
            return
        await asyncio.sleep(FOLLOW_DEBOUNCE)  # the cursor may be just passing through
        loop = asyncio.get_running_loop()
        while True:
            try:
                paused = loop.time()
                async for update in self.source.follow(key, self.store.details.get(key)):
                    self._queue(key, update)
                    if loop.time() - paused > YIELD_AFTER:
                        await asyncio.sleep(0)  # let keys and redraws in
                        paused = loop.time()
                return
            except Exception as exc:
                error = self.poller.failed("detail", exc)
                final = isinstance(error, Unauthorized | Forbidden | NotFound)
                if final:
                    self.poller.stopped("detail")  # retrying cannot help: said, until `r`
                self.post_message(FetchFailed("detail"))
                if final:
                    return
                await self.poller.wait("detail")

    @contextlib.asynccontextmanager
    async def _failing(self, resource: str) -> AsyncIterator[None]:
        """Tell the screen at once when a fetch of ``resource`` fails (the poller records
        why; this only makes the panes say so before the next second's redraw)."""
        try:
            yield
        except Unsupported:
            raise
        except Exception:
            self.post_message(FetchFailed(resource))
            raise

    def _queue(self, key: str, update: Update) -> None:
        """Hand updates to the screen in batches: one message per burst, however many lines
        a log flood brings."""
        if self._pending and self._pending_key != key:
            self._pending = []
        self._pending_key = key
        self._pending.append(update)
        if len(self._pending) == 1:
            self.post_message(Followed(key, self._pending))

    # -- messages: the store is changed here, and only here ------------------------------

    @on(GroupsFetched)
    def _groups_fetched(self, message: GroupsFetched) -> None:
        if message.groups is None:
            self.store.listed = False
            reason = clean(message.reason or f"this server has no {self.words.group} list")
            self._say_once(
                reason,
                f"{reason[:1].upper()}{reason[1:]}: showing the {self.words.group}s given on "
                "the command line.",
            )
        else:
            self.store.set_groups(message.groups)
        self._render_groups()
        if self.selected_group is None and self.groups.row_count:
            key = self.groups.selected_key
            if key:
                self._select_group(key)
        self._render_titles()

    @on(GroupFetched)
    def _group_fetched(self, message: GroupFetched) -> None:
        self.store.merge_group(message.group)
        self._render_groups()
        self._render_titles()

    @on(RowsFetched)
    def _rows_fetched(self, message: RowsFetched) -> None:
        if message.view != self.view:
            return  # a late answer for a view the user already left
        changes = self.store.apply_page(message.delta, final=message.final)
        if changes.changed:
            GC_POLICY.rows_loaded(len(self.store.rows))
        self._names.update(self.store.rows[k].name or "" for k in changes.changed)
        self._announce(changes.finished)
        if message.final:
            self._rows_problem = None
            self.poller.ok("rows")
            self.call_after_refresh(self.ensure_footer)
        structural = bool(changes.removed) or changes.reordered
        self._render_table(None if structural else changes.changed)
        selected = self.selected_row
        if selected is None and self.table.row_count and self.focused is not self.groups:
            self._select_row(self.table.selected_key)
        elif selected in changes.changed:
            self._render_detail()
            if not self.store.final(selected) and self._follow_idle():
                self.follow_row(selected)

    @on(RowsUnsupported)
    def _rows_unsupported(self, message: RowsUnsupported) -> None:
        if message.view != self.view:
            return
        self._rows_problem = clean(message.reason) + (
            f"; showing the {self.words.row}s given by id" if self.store.rows else ""
        )
        self.store.complete = True
        self._say_once(clean(message.reason), self._rows_problem)
        self._render_table()

    @on(RowsRefreshed)
    def _rows_refreshed(self, message: RowsRefreshed) -> None:
        if message.view != self.view:
            return
        changes = self.store.merge_rows(message.rows, add=False)
        self._announce(changes.finished)
        self._render_table(changes.changed)

    @on(Followed)
    def _followed(self, message: Followed) -> None:
        if message.updates is self._pending:
            self._pending = []
        key = message.key
        rows: list[Row] = []
        lines: list[str] = []
        detail_changed = False
        for update in message.updates:
            if isinstance(update, Row):
                rows.append(update)
            elif isinstance(update, Detail):
                detail_changed |= self.store.merge_detail(update)
            elif isinstance(update, LogLines):
                self.store.add_log(update)
                if update.key == key:
                    lines += update.lines
        changes = self.store.merge_rows(rows, add=False)
        self._announce(changes.finished)
        if changes.changed:
            self._render_table(changes.changed)
        if key != self.selected_row:
            return
        self.poller.ok("detail")
        log = self.store.logs.get(key)
        if lines and log is not None:
            self.body.log_changed(log, lines)
        if rows or detail_changed:
            self._render_detail()
        elif log is not None:
            self.body.refresh_title(log)
        self._render_titles()

    @on(RowLocated)
    def _row_located(self, message: RowLocated) -> None:
        """A row named on the command line: pin its group, select it, show the row there."""
        row = message.row
        if row.key in self.pinned:
            self.pinned.remove(row.key)
            self.store.groups.pop(row.key, None)
        if row.group not in self.pinned:
            self.pinned.insert(0, row.group)
        self._pinned_rows.setdefault(row.group, []).append(row)
        self.store.merge_group(
            Group(row.group, Status(Kind.UNKNOWN, ""), title=short_id(row.group), pinned_only=True)
        )
        if self.selected_group in (row.key, row.group):
            self.selected_group = None
        self._select_group(row.group)
        self._render_groups()
        self.groups.select_key(row.group)
        self._focus(self.table)
        self.table.select_key(row.key)
        self._select_row(row.key)

    @on(FetchFailed)
    def _fetch_failed(self, message: FetchFailed) -> None:
        self.ensure_footer()
        if message.resource == "detail":
            self._render_detail()
        elif message.resource == "rows":
            self._render_table()
        self._render_titles()

    def _say_once(self, what: str, message: str) -> None:
        """A warning toast, once per ``what`` (one missing endpoint is one toast, whether
        the group list or the rows found it missing)."""
        if what not in self._told:
            self._told.add(what)
            self.notify(message, severity="warning", markup=False)

    def _announce(self, finished: list[Row]) -> None:
        if finished:
            self.announcer.finished(finished, self.selected_row)
            self._flush_announcements()

    def _flush_announcements(self) -> None:
        due = self.announcer.due()
        if due is None:
            return
        if due.bell:
            self.app.bell()
        self.notify(
            clean(due.message),
            title=due.title,
            severity="error" if due.failed else "information",
            markup=False,
        )

    def _follow_idle(self) -> bool:
        return not any(w.group == "follow" and not w.is_finished for w in self.workers)

    # -- selection -----------------------------------------------------------------------

    def _select_group(self, key: str) -> None:
        if key == self.selected_group:
            return
        self.selected_group = key
        self.selected_row = None
        self.view += 1
        self.store.set_view(key, self.filters)
        self.store.merge_rows(self._pinned_rows.get(key, []))
        self.poller.reset("rows")
        self._rows_problem = None
        self._render_table()
        self.body.show_message(f"Select an {self.words.row} to see its detail.")
        self.poll_rows(self.view, key, self.filters)
        self.describe_group(key)
        self._render_titles()
        if GC_POLICY.frozen_for_rows:  # the old rows are gone once the old poll stops
            self.set_timer(1.0, GC_POLICY.released)

    def _select_row(self, key: str | None) -> None:
        if key is None or key == self.selected_row:
            return
        self.selected_row = key
        self.poller.reset("detail")
        self._render_detail()
        self._render_titles()
        self.follow_row(key)

    @on(KeyedTable.RowHighlighted, "#group-list")
    def _group_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.row_key and event.row_key != self.selected_group:
            self._select_group(event.row_key)

    @on(KeyedTable.RowSelected, "#group-list")
    def _group_chosen(self, event: KeyedTable.RowSelected) -> None:
        self._focus(self.table)

    @on(KeyedTable.RowHighlighted, "#row-table")
    def _row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self._select_row(event.row_key)

    @on(KeyedTable.RowSelected, "#row-table")
    def _row_chosen(self, event: KeyedTable.RowSelected) -> None:
        self._select_row(event.row_key)
        self.body.enter()

    # -- rendering from the store --------------------------------------------------------

    def _ordered_groups(self) -> list[Group]:
        groups = self.store.groups
        pinned = [groups[key] for key in self.pinned if key in groups]
        return pinned + [g for key, g in groups.items() if key not in set(self.pinned)]

    def _render_groups(self) -> None:
        self.groups.show(self._ordered_groups(), set(self.pinned), self.clock())

    def _visible_rows(self) -> dict[str, Row]:
        needle = self.text_filter.lower()
        if not needle:
            return self.store.rows
        return {key: row for key, row in self.store.rows.items() if needle in _haystack(row)}

    def _render_table(self, dirty: set[str] | None = None) -> None:
        self.table.show(self._visible_rows(), self.clock, None if self.text_filter else dirty)
        selected = self.selected_row
        if selected is not None and self.table.row_count and not self.table.shows(selected):
            self._select_row(self.table.selected_key)  # a filter hid it: follow the cursor
        self._render_empty()
        self._render_titles()

    def _render_empty(self) -> None:
        """What the table's body says when it has no rows (never an invented error)."""
        message = ""
        if self.table.row_count == 0:
            fresh = self.poller.freshness("rows")
            if self.selected_group is None:
                message = f"No {self.words.group} selected."
            elif self._rows_problem:
                message = self._rows_problem
            elif fresh.error is not None:
                message = fresh.error.describe(limit=600)
            elif not self.store.complete:
                message = "Loading…"
            elif self.text_filter or self.filters:
                message = f"No {self.words.row}s match the filters."
            else:
                message = f"No {self.words.row}s in this {self.words.group}."
        empty = self.query_one("#rows-empty", Static)
        empty.display = bool(message)
        if message:
            empty.update(Text(message))

    def _render_detail(self) -> None:
        key = self.selected_row
        row = self.store.row(key) if key else None
        if row is None:
            fresh = self.poller.freshness("detail")
            text = fresh.error.describe() if fresh.error else "Loading…" if key else None
            self.body.show_message(text or f"Select an {self.words.row} to see its detail.")
            return
        error = self.poller.freshness("detail").error
        self.body.show(
            row,
            self.store.details.get(row.key),
            self.store.logs.get(row.key),
            self.clock(),
            error.describe() if error is not None else None,
        )

    def _tick(self) -> None:
        """Once a second: live durations on screen, freshness clocks, due announcements."""
        now = self.clock()
        self.table.tick(self.store.rows, now)
        row = self.store.row(self.selected_row) if self.selected_row else None
        if row is not None and not row.status.terminal:
            self._render_detail()
        self._flush_announcements()
        self._render_titles()

    def _render_titles(self) -> None:
        words = self.words
        groups_pane = self.query_one("#groups-pane")
        _set_title(groups_pane, f"{words.groups} ({len(self.store.groups)})")
        _set_subtitle(groups_pane, self.poller.describe("groups"))

        title = words.rows
        if self.selected_group:
            group = self.store.groups.get(self.selected_group)
            name = group.title if group and group.title else short_id(self.selected_group)
            if group is not None and group.subtitle and words.kind_in_name:
                name += f" {group.subtitle}"
            title += f" · {words.group} {clean(name, limit=30)}"
        if self.filters.status:
            failures = set(self.filters.status) == set(words.failures)
            title += " · status: " + ("failures" if failures else ",".join(self.filters.status))
        if self.filters.action:
            title += f" · action: {clean(','.join(self.filters.action), limit=30)}"
        if self.text_filter:
            title += f" · /{clean(self.text_filter, limit=20)}"
        rows_pane = self.query_one("#rows-pane")
        _set_title(rows_pane, title)
        shown, total = self.table.row_count, len(self.store.rows)
        sub = f"{shown} shown" if shown == total else f"{shown} of {total} shown"
        if self.store.note:
            sub += f" · {self.store.note}"
        _set_subtitle(rows_pane, sub + " · " + self.poller.describe("rows"))

        detail_pane = self.query_one("#detail-pane")
        key = self.selected_row
        if key is None:
            _set_title(detail_pane, "Detail")
            _set_subtitle(detail_pane, "")
        else:
            _set_title(detail_pane, f"{words.row.capitalize()} {short_id(key)}")
            if self.store.final(key):
                _set_subtitle(detail_pane, "final · never refetched")
            else:
                how = f"following ({words.follows_with}) · " + self.poller.describe("detail")
                _set_subtitle(detail_pane, how)
        self._render_status_bar()

    def _render_status_bar(self) -> None:
        options = self.options
        bar = Text()
        bar.append(" runwatch ", "reverse")
        if options.production:
            bar.append(" ")
            bar.append(" PRODUCTION ", "bold reverse red")
        profile = f"{clean(options.profile, limit=24)} · " if options.profile else ""
        where = clean(options.source_label or self.source.base_url, limit=60)
        bar.append(f"  {profile}{self.source.name} · {where}  ")
        state = self.poller.connection()
        dot = "*" if self.ascii_only else "●"
        bar.append(f" {dot} {state} ", "bold" if state == "LIVE" else "bold reverse")
        bar.append(f"  every {self.poller.interval:g}s   ? help")
        status_bar = self.query_one("#status-bar", Static)
        if bar.plain != getattr(status_bar, "_shown", None):
            status_bar._shown = bar.plain  # type: ignore[attr-defined]
            status_bar.update(bar)
        self.set_class(self.poller.paused, "-paused")

    # -- panes and navigation ------------------------------------------------------------

    def _panes(self) -> list[Widget]:
        return [self.groups, self.table, *self.body.focusables()]

    def _current_pane(self) -> int:
        focused = self.focused
        if focused is None:
            return 0
        for index, pane in enumerate(self._panes()):
            if focused is pane or pane in focused.ancestors:
                return index
        return 1 if focused is self.filter_input else 0

    def _focus(self, widget: Widget) -> None:
        """Focus ``widget`` now, not once the queued messages are handled (Textual's
        ``focus()``): keys typed ahead, in one burst over SSH or while the app is busy,
        then act on the pane the keys before them reached."""
        self.set_focus(widget)

    def _in_detail(self) -> bool:
        return self._current_pane() >= 2

    def action_next_pane(self) -> None:
        panes = self._panes()
        self._focus(panes[(self._current_pane() + 1) % len(panes)])

    def action_previous_pane(self) -> None:
        panes = self._panes()
        self._focus(panes[(self._current_pane() - 1) % len(panes)])

    def action_drill(self) -> None:
        """Groups → rows → detail; in the detail, expand what is under the cursor."""
        pane = self._current_pane()
        if pane == 0:
            self._focus(self.table)
        elif pane == 1:
            self._select_row(self.table.selected_key)
            self.body.enter()
        else:
            self.body.doc.action_toggle_block()

    def action_back(self) -> None:
        """Close the filter, collapse what is open, or go back one pane."""
        if self.focused is self.filter_input:
            self._close_filter(clear=True)
        elif self._in_detail():
            if not self.body.collapse():
                self._focus(self.table)
        elif self._current_pane() == 1:
            if self.text_filter:
                self._close_filter(clear=True)
            else:
                self._focus(self.groups)

    def _jump_failure(self, forward: bool) -> None:
        if self._in_detail():
            if not self.body.next_failure(forward):
                self.notify(f"No failed step in this {self.words.row}.", markup=False)
            return
        keys = self.table.row_keys_in_order
        failed = self.store.failed_keys()
        if not keys or not failed.intersection(keys):
            self.notify(f"No failed {self.words.row} shown.", markup=False)
            return
        start = self.table.cursor_row
        n = len(keys)
        for step in range(1, n + 1):
            index = (start + step) % n if forward else (start - step) % n
            if keys[index] in failed:
                self._focus(self.table)
                self.table.move_cursor(row=index)
                return

    def action_next_failure(self) -> None:
        """Jump to the next failed (or timed out) row, or failed step in the detail."""
        self._jump_failure(True)

    def action_previous_failure(self) -> None:
        """Jump to the previous failed row, or failed step in the detail."""
        self._jump_failure(False)

    # -- filters -------------------------------------------------------------------------

    def _set_query(self, query: Query) -> None:
        self.filters = query
        group, self.selected_group = self.selected_group, None
        if group is not None:
            self._select_group(group)
        self._render_titles()

    def action_failures_only(self) -> None:
        """Toggle the server-side filter to failures only."""
        failures = self.words.failures if self.words.multi_filter else self.words.failures[:1]
        status = () if self.filters.status == failures else failures
        self._set_query(Query(status, self.filters.action))

    def action_cycle_status(self) -> None:
        """Cycle the server-side status filter through the server's status words."""
        cycle = [(), *((word,) for word in self.words.statuses)]
        index = cycle.index(self.filters.status) if self.filters.status in cycle else 0
        self._set_query(Query(cycle[(index + 1) % len(cycle)], self.filters.action))

    def action_cycle_action(self) -> None:
        """Cycle the server-side action filter through the actions known and seen."""
        names = sorted(set(self.words.actions) | {n for n in self._names if n}, key=str.lower)
        cycle = [(), *((name,) for name in names)]
        index = cycle.index(self.filters.action) if self.filters.action in cycle else 0
        self._set_query(Query(self.filters.status, cycle[(index + 1) % len(cycle)]))

    def action_start_filter(self) -> None:
        """Open the text filter; it takes every printable key until esc or enter."""
        self.filter_input.display = True
        self.filter_input.value = self.text_filter
        self._focus(self.filter_input)

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value
        self._render_table()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._close_filter(clear=False)

    def _close_filter(self, *, clear: bool) -> None:
        if clear:
            self.text_filter = ""
            self.filter_input.value = ""
        self.filter_input.display = bool(self.text_filter)
        self._focus(self.table)
        self._render_table()

    # -- the detail's actions ------------------------------------------------------------

    def action_expand_all(self) -> None:
        """Expand every failed step's diagnostic."""
        if not self.body.expand_all():
            self.notify("Nothing to expand here.", markup=False, timeout=2)

    def action_open_docs(self) -> None:
        """Open a diagnostic's docs link in a local browser, or show and copy it."""
        url = self.body.docs_url()
        if url is None:
            self.notify(f"No docs link in this {self.words.row}.", markup=False)
            return
        from tui.ui.links import open_url

        if open_url(url):
            self.notify(f"Opened {url}", title="Browser", markup=False)
            return
        from tui.ui.copy import CopyScreen

        self.app.push_screen(
            CopyScreen([("Docs URL", url)], title="No local browser: URL copied", copy_first=True)
        )

    def action_copy_menu(self) -> None:
        """Open the copy menu (OSC 52, with the text selectable on screen as a fallback)."""
        on_group = self._current_pane() == 0 or self.selected_row is None
        group = self.store.groups.get(self.groups.selected_key or self.selected_group or "")
        row = None if on_group else self.store.row(self.selected_row or "")
        detail = self.store.details.get(row.key) if row is not None else None
        choices = [(c.label, c.text) for c in self.source.copies(group, row, detail)]
        log = self.store.logs.get(row.key) if row is not None else None
        if log is not None and log.lines:
            text = "\n".join(log.lines)
            choices.insert(min(2, len(choices)), (f"Log ({len(log.lines)} lines)", text))
        if not choices:
            self.notify("Nothing selected to copy.", markup=False)
            return
        from tui.ui.copy import CopyScreen

        self.app.push_screen(CopyScreen(choices))

    def action_toggle_pin(self) -> None:
        """Pin or unpin the selected group (pins are remembered between sessions)."""
        key = self.groups.selected_key or self.selected_group
        if not key:
            return
        name = clean(self.store.groups[key].title if key in self.store.groups else key, limit=40)
        if key in self.pinned:
            self.pinned.remove(key)
            self.notify(f"Unpinned {self.words.group} {name}", markup=False, timeout=2)
        else:
            self.pinned.append(key)
            self.notify(f"Pinned {self.words.group} {name}", markup=False, timeout=2)
        self._render_groups()
        self.groups.select_key(key)

    # -- polling -------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        """Pause or resume polling; data age keeps counting."""
        self.poller.paused = not self.poller.paused
        self._render_titles()

    def action_slower(self) -> None:
        """Refresh less often."""
        interval = self.poller.interval
        self._set_interval(min(60.0, interval * 2 if interval >= 1 else interval + 0.5))

    def action_faster(self) -> None:
        """Refresh more often."""
        self._set_interval(max(0.5, self.poller.interval / 2))

    def _set_interval(self, seconds: float) -> None:
        self.poller.interval = seconds
        self.notify(f"Refreshing every {seconds:g}s", markup=False, timeout=2)
        self._render_titles()

    def action_refresh_now(self) -> None:
        """Refresh every pane now (also while paused), re-reading every page, with the
        backoff reset."""
        self._full_refresh = True
        self.poller.refresh_now()
        if self.selected_row and self.poller.freshness("detail").error is not None:
            self.poller.reset("detail")
            self.follow_row(self.selected_row)
        self._render_titles()


def _haystack(row: Row) -> str:
    """What the text filter searches in a row."""
    problem = row.problem.text() if row.problem else ""
    return " ".join((row.key, row.name or "", row.status.raw, problem, row.note or "")).lower()


def _set_title(widget: Widget, title: str) -> None:
    """Change a border title only when its text changes: any assignment repaints the pane."""
    if str(widget.border_title) != title:
        widget.border_title = Text(title)


def _set_subtitle(widget: Widget, subtitle: str) -> None:
    if str(widget.border_subtitle) != subtitle:
        widget.border_subtitle = Text(subtitle)
