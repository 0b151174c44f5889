"""The one viewer screen, for every provider: groups, their rows, and one row's detail.

Workers do I/O through the source and post past-tense messages; the handlers merge into the
store and render from it. Only the detail body differs per provider (the registry names it).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingsMap, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets.input import Selection

from tui import compat
from tui.compat.footer import Footer
from tui.compat.gc import GC_POLICY
from tui.core import timeline as tl
from tui.core.errors import ApiError, BadRequest, NotFound, Unsupported
from tui.core.failures import Cause, cause_key, group_failures
from tui.core.model import (
    Detail,
    Group,
    Kind,
    LogLines,
    Query,
    Row,
    Status,
    Update,
    named_by_start,
    starting_with,
)
from tui.core.notify import Announcer
from tui.core.pages import PageDelta
from tui.core.poll import Poller, gives_up
from tui.core.source import COUNT_AT_MOST, Source, count_rows
from tui.core.store import Store, elapsed
from tui.core.text import (
    clean,
    id_kind,
    looks_like_id,
    plural,
    short_id,
    truncate,
    with_ellipsis,
)
from tui.core.timefmt import clock_time, duration
from tui.ui import actions
from tui.ui.details import DetailBody
from tui.ui.messages import (
    FetchFailed,
    Followed,
    GroupFetched,
    GroupsCounted,
    GroupsFetched,
    PinUnknown,
    RowLocated,
    RowsFetched,
    RowsRefreshed,
    RowsUnsupported,
)
from tui.ui.render import badge_parts
from tui.ui.widgets.keyed_table import KeyedTable
from tui.ui.widgets.tables import ROW_WIDTHS, GroupList, RowTable, Timeline

if TYPE_CHECKING:
    from tui.config import ViewerMemory
    from tui.ui.options import Playback, ViewerOptions

MIN_WIDTH, MIN_HEIGHT = 60, 15
"""Below this the screen says only that the terminal is too small."""
FULL_WIDTH, FULL_HEIGHT = 80, 24
"""Below this (and above the minimum) the viewer still runs, and says once that columns and
panes are cut."""
WIDE_WIDTH = 200
SHORT_HEIGHT = 30
FOLLOW_DEBOUNCE = 0.08
MIN_ADDRESS = 12
"""The fewest characters of the server's address the status bar keeps."""
PANE_NAMES = ("groups", "rows", "detail")
INTERVALS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
"""The refresh intervals ``+`` and ``-`` step through, either way: ``-`` undoes ``+``."""
PAGE_RENDER_GAP = 0.25
"""Seconds between two redraws of the table while a big run's pages arrive."""
MAX_CAUSES = 100
"""Failed rows ``E`` reads in full at one press (each costs a request or two); the next
press reads the next ones."""
GROUPS_HEIGHT = (8, 5)
"""The group list's pane unfocused, in lines (styles/app.tcss's ``#groups-pane``): tall
terminals, short ones."""
NARROW_STATUS = 14
"""The status column of a narrow table holds a known status word up to this wide."""
RECOUNT_EVERY = 30.0
"""Seconds before a listed live group's failed rows are counted again (an ended group's,
once)."""
YIELD_AFTER = 0.01
"""Seconds a follow may read without a pause: a stream already in the buffer (a log flood)
is read without ever waiting, and keys and redraws would wait behind it."""
CARD_ORDER = {
    kind: rank
    for rank, kind in enumerate(
        (
            Kind.FAILED,
            Kind.TIMED_OUT,
            Kind.RUNNING,
            Kind.WAITING,
            Kind.QUEUED,
            Kind.CANCELLED,
            Kind.SUCCEEDED,
            Kind.UNKNOWN,
        )
    )
}
"""The card's counts line: failures first, then what is live, then what is done."""


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
            interval=options.interval,
            clock=clock,
            rate_limited_for=source.rate_limited_for,
            timer=time.monotonic if options.playback is not None else None,
        )
        self.store = Store(logged=body.has_log)
        # Its window in real seconds, as the poller's waits (a replay's clock stops at its end).
        self.announcer = Announcer(self.poller.timer, noun=self.words.row)
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
        self._names: dict[str, set[str]] = {}
        """The row names (actions) seen in each group: ``a`` cycles the group's own."""
        self._counts: dict[str, int] = {}
        self._kinds: dict[str, Kind] = {}  # each status word counted: what it means
        self._cause_keys: dict[str, tuple[Row, str]] = {}
        """A failed row's cause key, as the row itself says it, and the row it was read
        from: the table's ``x4`` counts the rows that say the same."""
        self._full_causes: dict[str, Cause] = {}
        """Why a failed row failed, from its full record, as ``E`` read it."""
        self._cause_counts: Counter[str] = Counter()  # failed rows by cause key
        self.newest_first = True
        self.tailing = False  # `f`: the cursor follows new rows
        self._landed = -1
        """The view whose first full load has put the cursor (on its first failure)."""
        self._keep_row: tuple[str, int, str] | None = None
        """The row selected before a filter changed (its group, the table's user moves
        then, the row): the cursor goes back to it when a filter shows it (not to the first
        failure), until the user moves it."""
        self._tail_acts = 0
        """The table's user moves when ``f`` began following: one more stops it."""
        self._jump_pending: tuple[int, str] | None = None
        """A jump typed before its view's rows were read: the view, and what was typed."""
        self._small = False  # below 80x24 (said once as the terminal gets there)
        self._hidden_row: str | None = None
        """The row selected when a filter hid every row: the cursor's again once shown."""
        self._page_rendered_at = 0.0
        self._unrendered: set[str] | None = set()
        """Rows changed by pages not drawn yet (None: the order changed, all of them)."""
        self._failed: set[str] = set()
        self._progressing: set[str] = set()  # live rows with progress: the progress column
        self._tallies: dict[str, tuple[int, int]] = {}
        """Each visited group's rows and failures as last counted, for the group list's
        columns when its server does not count them."""
        self._counted: dict[str, str] = {}
        self._counted_at: dict[str, float] = {}
        """When each listed group's failed rows were last counted (in the background)."""
        self.counting = False
        """Listed groups' failed rows are being counted (their server does not count them)."""
        self._newest_problem: str | None = None
        self._acts_before_view = 0  # the table's user acts (moves, enter) when this view began
        self._describing: set[str] = set()  # groups whose record is being read
        self._awaiting_list = False
        """The pins are selected once the group list answers (or fails): the start of an id
        or a name is not asked for as one (``web``'s rows, its record), and is said once."""
        self._listed: list[Group] | None = None
        """The group list as last read (None: not yet)."""
        self._unknown: dict[str, str] = {}
        """Pins the source knows nothing by, whole, and where it looked: one that starts no
        listed group names none (:meth:`_resolve_short_pins`)."""
        self._widest: dict[str, int] = {}
        """The longest status word, name and short id seen in this view (and whether a row
        in progress was): their columns."""

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
                    yield Static(id="group-card")
                    yield self.row_table()
                    yield Static(id="rows-empty")
                    yield Prompt(
                        self._prompt_done,
                        placeholder="filter: text in name, id, status or error (esc clears)",
                        id="filter-input",
                    )
                    yield Prompt(
                        self._prompt_done,
                        placeholder="jump: run 121a · inv 5e4d · failed · an id's first characters",
                        id="jump-input",
                    )
                with Vertical(id="detail-pane", classes="pane"):
                    yield self.body_type(ascii_only=self.ascii_only, id="detail-body")
        yield Static(
            Text(f"Terminal too small for runwatch.\nMake it at least {MIN_WIDTH}x{MIN_HEIGHT}."),
            id="too-small",
        )
        yield Footer()

    def row_table(self) -> RowTable:
        """The table of rows (the benchmark swaps in its naive baseline here)."""
        name = self.source.vocabulary.name_column
        return RowTable(name=name, ascii_only=self.ascii_only, id="row-table")

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
    def filter_input(self) -> Prompt:
        return self.query_one("#filter-input", Prompt)

    @property
    def jump_input(self) -> Prompt:
        return self.query_one("#jump-input", Prompt)

    def on_resize(self, event: Resize) -> None:
        width, height = event.size
        tiny = width < MIN_WIDTH or height < MIN_HEIGHT
        small = width < FULL_WIDTH or height < FULL_HEIGHT
        if small and not tiny and not self._small:
            self.notify(
                f"Terminal too small: {width}x{height}. runwatch is laid out for "
                f"{FULL_WIDTH}x{FULL_HEIGHT} or more; some columns and panes are cut.",
                severity="warning",
                markup=False,
                timeout=6,
            )
        self._small = small
        self.set_class(tiny, "-too-small")
        self.set_class(width >= WIDE_WIDTH, "-wide")
        self.set_class(height < SHORT_HEIGHT, "-short")
        self._fit_groups()
        self._render_status_bar()

    def _fit_groups(self) -> None:
        """A group list whose rows all fit its pane unfocused does not grow when focused:
        the panes below it jumped for blank lines at each tab."""
        lines = self.groups.row_count + 3  # the heading and the border
        height = GROUPS_HEIGHT[1 if self.has_class("-short") else 0]
        self.set_class(lines <= height, "-groups-fit")

    def _placeholder(self, ref: str) -> Group:
        """A pinned group before its record arrives: named by its key (whole when keys are
        names, like Kernel's ``app@version``; the short id otherwise)."""
        title = ref if self.words.kind_in_name else short_id(ref)
        return Group(ref, Status(Kind.UNKNOWN, ""), title=title, pinned_only=True)

    def on_mount(self) -> None:
        self.set_class(self.body_type.has_log, "-log")
        self.filter_input.display = bool(self.text_filter)
        self.filter_input.value = self.text_filter
        self.jump_input.display = False
        self.table.stall_of = self._stall_mark
        self.table.seen_of = self._seen
        # `↑N above` is the table's scroll: said again when the layout clamps it, or a wheel
        # or a key moves it (the landing asks for a row at the top the layout may not allow).
        self.watch(self.table, "scroll_y", lambda _: self._render_titles(), init=False)
        self.body.show_message(f"Select {self.words.a_row} to see its detail.")
        for ref in self.pinned:
            self.store.merge_group(self._placeholder(ref))
        self._render_groups()
        self.groups.focus()
        if self.pinned:
            self._awaiting_list = True  # selected once the list says what a short pin names
            self.locate_pins(list(self.pinned))
        self.poll_groups()
        self.set_interval(1.0, self._tick)
        self.set_interval(5.0, self._release_closed_widgets)
        self._render_titles()

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
            except NotFound as error:  # maybe the start of a listed group's id or name
                self.post_message(PinUnknown(ref, error.message))
                continue
            except ApiError:
                continue
            if isinstance(found, Row):
                self.post_message(RowLocated(found, ref))

    @work(group="poll-groups", exclusive=True, exit_on_error=False)
    async def poll_groups(self) -> None:
        """The group list, and the records of pinned and selected groups, every interval."""

        async def fetch() -> None:
            async with self._failing("groups"):
                short: dict[str, list[Group]] = {}
                if self.store.listed:
                    try:
                        listed = await self.source.groups()
                    except Unsupported as error:
                        self.post_message(GroupsFetched(None, error.message))
                    else:
                        self.post_message(GroupsFetched(listed))
                        short = self._prefix_pins(listed)
                # A pin named by the start of an id is never asked for as an id itself (a
                # server may answer that in any way): the run it names is, once re-pinned.
                keys = (k for k in (self.selected_group, *self.pinned) if k and k not in short)
                for key in dict.fromkeys(keys):
                    if not await self._describe(key):
                        return

        await self.poller.loop("groups", fetch)

    async def _describe(self, key: str) -> bool:
        """Fetch one group's own record (counts, failure); False when the server has none."""
        group = self.store.groups.get(key)
        ended = group is not None and group.status.terminal and group.rank > 0
        if not self.describes_groups or (group and ended and not group.counted):
            return self.describes_groups  # an ended group's record never changes (a count does)
        if key in self._describing:  # the loop's and a selection's: one request
            return True
        self._describing.add(key)
        try:
            self.post_message(GroupFetched(await self.source.group(key)))
        except Unsupported:
            self.describes_groups = False
        except (NotFound, BadRequest):
            pass  # its rows' own request says what the server thinks of it
        finally:
            self._describing.discard(key)
        return self.describes_groups

    def _count_groups(self, listed: list[Group]) -> None:
        """Count the failed rows of the newest listed groups whose server does not (bctrl's
        runs), so their fail column, and ``n`` in the list, know them before they are
        visited: an ended group once, a live one every :data:`RECOUNT_EVERY` seconds."""
        if self.counting:
            return  # the last round is still counting
        now = self.clock()  # a replay's: recounted as often in recorded time as live
        due = [
            group
            for group in listed[:COUNT_AT_MOST]
            if group.failed is None
            and group.key != self.selected_group  # its rows count it as they come
            and (
                group.key not in self._counted_at
                or (
                    not group.status.terminal and now - self._counted_at[group.key] >= RECOUNT_EVERY
                )
            )
        ]
        if due:
            for group in due:
                self._counted_at[group.key] = now
            self.counting = True
            self.count_groups(due)

    @work(group="count", exit_on_error=False)
    async def count_groups(self, groups: list[Group]) -> None:
        gate = asyncio.Semaphore(2)  # a nicety: never more than two requests at once

        async def one(group: Group) -> Group | None:
            async with gate:
                if group.key == self.selected_group:
                    return None  # selected since: its rows are being read, and count it
                try:
                    return await count_rows(self.source, group)
                except Exception:  # a best effort: the column stays as it was
                    return None

        counted = [g for g in await asyncio.gather(*map(one, groups)) if g is not None]
        self.post_message(GroupsCounted(counted))  # also when none could be: counting ends

    @on(GroupsCounted)
    def _groups_counted(self, message: GroupsCounted) -> None:
        self.counting = False
        for group in message.groups:
            if group.key != self.selected_group and group.total is not None:
                self._tallies[group.key] = (group.total, group.failed or 0)
        self._render_groups()

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
                known = self.store.details.get(key)
                if known is None:  # nothing of it kept: the source reads its log whole again
                    self.store.logs.pop(key, None)
                async for update in self.source.follow(key, known):
                    self._queue(key, update)
                    if loop.time() - paused > YIELD_AFTER:
                        await asyncio.sleep(0)  # let keys and redraws in
                        paused = loop.time()
                return
            except Exception as exc:
                error = self.poller.failed("detail", exc)
                self.post_message(FetchFailed("detail"))
                if gives_up(error):
                    return  # retrying cannot help: said, until `r`
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
            self._listed = message.groups
            self.store.set_groups(message.groups, self.pinned)
            self._resolve_short_pins(message.groups)
        self._render_groups()
        self._select_first()
        if message.groups is not None:  # once selected: the selected group is not counted
            self._count_groups(message.groups)
        self._render_titles()

    def _prefix_pins(self, listed: list[Group]) -> dict[str, list[Group]]:
        """The pins named by the start of an id (``runwatch 121a``, the short id the tables
        show) or, where groups are named (Kernel's ``APP@VERSION``), of a name, each with the
        listed groups it starts. Not one: a pin the list holds or the server described, an
        id of another kind (a tool call's ``tc_…`` among runs), an old run's whole id; a
        name that starts none (an app with no recent version is named whole), unless the
        source knows nothing by it (:class:`PinUnknown`)."""
        if not listed:
            return {}
        named = self.words.kind_in_name
        kinds = {id_kind(group.key) for group in listed}
        shortest = min(len(group.key) for group in listed)
        found: dict[str, list[Group]] = {}
        for ref in self.pinned:
            known = self.store.groups.get(ref)
            if known is None or not known.pinned_only:
                continue
            if any(ref in (group.key, group.title) for group in listed):
                continue
            matches = starting_with(listed, ref)
            if ref in self._unknown:  # of any kind: a tool call's `tc_zzzz` the server lacks
                found[ref] = matches
                continue
            if not named and (not looks_like_id(ref) or id_kind(ref) not in kinds):
                continue
            if matches or (not named and len(ref) < shortest):
                found[ref] = matches
        return found

    def _resolve_short_pins(self, listed: list[Group]) -> None:
        """A group pinned by the start of its id becomes the one listed group whose id
        starts with it (a named one: the one app whose name it starts, every version, as
        ``watch`` takes it; the start of ``APP@VERSION``, that version); when several
        or none do, that is said once and the pin goes (it names no group: kept, it would
        be asked for, and not found, on every round)."""
        named = self.words.kind_in_name
        for ref, matches in self._prefix_pins(listed).items():
            one, _ = named_by_start(matches, ref, named)
            self._repin(ref, one)
            if one is None and matches:
                some = ", ".join(g.key if named else short_id(g.key) for g in matches[:5])
                more = ", …" if len(matches) > 5 else ""
                self._say_once(
                    f"ambiguous {ref}",
                    f"{clean(ref, limit=40)} is ambiguous: {len(matches)} {self.words.group}s "
                    f"start with it ({some}{more}); give more of the "
                    f"{'name' if named else 'id'}.",
                )
            elif not matches:
                why = self._unknown.get(ref)  # where the source looked for it whole
                older = f"an older {self.words.group} needs its whole id"
                self._say_once(
                    f"unmatched {ref}",
                    f"No {self.words.group}{'' if named else ' id'} among the {len(listed)} "
                    f"listed starts with {clean(ref, limit=40)}; {clean(why or older)}.",
                )

    @on(PinUnknown)
    def _pin_unknown(self, message: PinUnknown) -> None:
        """A pin the source knows nothing by: when the list has been read already, what it
        starts there is what it names, or it names nothing and goes (now, not a round on)."""
        self._unknown[message.ref] = message.reason
        if self._listed is not None and message.ref in self.pinned:
            self._resolve_short_pins(self._listed)
            self._render_groups()
            self._select_first()
            self._render_titles()

    def _repin(self, ref: str, key: str | None) -> None:
        """The pin named ``ref`` is the group ``key``: it takes the pin's place (and the
        selection, when the pin had it). None: it names no group, and goes; the selection
        goes to the list's cursor once it is drawn again (the list's answer does that)."""
        at = self.pinned.index(ref)
        self.pinned.remove(ref)
        if key is not None and key not in self.pinned:
            self.pinned.insert(at, key)
        self.store.groups.pop(ref, None)
        if key is not None and key not in self.store.groups:  # not listed: an app by name
            self.store.merge_group(self._placeholder(key))
        if self.selected_group == ref:
            if key is None:
                self.selected_group = None
            else:
                self._select_group(key)
                self.groups.select_key(key)

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
        names = self._names.setdefault(self.selected_group or "", set())
        names.update(name for k in changes.changed if (name := self.store.rows[k].name))
        self._announce(changes.finished)
        if message.final:
            self._rows_problem = None
            self.poller.ok("rows")
        structural = bool(changes.removed) or changes.reordered
        pending = self._unrendered
        dirty = None if structural or pending is None else pending | changes.changed
        # A big run arrives as hundreds of pages: redrawing the table (its order is O(rows))
        # for each made the load quadratic. The first page is drawn at once, then at most
        # every PAGE_RENDER_GAP, the final delta always; the rows of the pages not drawn are
        # kept, so the next draw counts only what changed.
        now = time.monotonic()
        if not message.final and now - self._page_rendered_at < PAGE_RENDER_GAP:
            self._unrendered = dirty
            return
        self._page_rendered_at = 0.0 if message.final else now
        self._unrendered = set()
        self._render_table(dirty)
        if message.final:
            self._tally()
        if message.final:
            self._jump_again()
        kept = self._kept_row(self.selected_group)
        if kept is not None and self.table.select_key(kept):
            self._keep_row = None  # shown under the new filter: the cursor stays on it
            self._landed = self.view
            self._select_row(kept)
        if message.final and self._landed != self.view:
            self._landed = self.view
            # After the refresh: the table must know its new height before it can scroll.
            self.call_after_refresh(self._land_on_failure)
        selected = self.selected_row
        if selected is None and self.table.row_count and self.focused is not self.groups:
            self._select_row(self.table.selected_key)
        elif selected in changes.changed:
            self._render_detail()
            if not self.store.final(selected) and self._follow_idle():
                self.follow_row(selected)

    def _stall_mark(self, key: str) -> str | None:
        """``STALLED since …`` for a live row that stopped moving; never while the rows
        cannot be fetched (no news is not a stall then: that is OFFLINE's to say)."""
        if self.poller.freshness("rows").error is not None:
            return None
        stall = self.store.stall(key, self.clock(), self.poller.interval)
        if stall is None:
            return None
        return f"STALLED since {clock_time(stall.since)}: {stall.reason}"

    def _land_on_failure(self) -> None:
        """A view's first full load puts the cursor on its first failed or timed-out row
        (the earliest: usually the cause), unless the user has moved it already."""
        if self.table.user_acts != self._acts_before_view or self.body.has_focus_within:
            return  # the user moved the cursor (even to the top) or chose a row: it stays
        failed = [key for key, row in self.store.rows.items() if row.status.failure]
        first = failed[-1 if self.words.newest_first else 0] if failed else None
        if first is not None and self.table.select_key(first, top=True):
            self._select_row(first)

    @on(RowsUnsupported)
    def _rows_unsupported(self, message: RowsUnsupported) -> None:
        if message.view != self.view:
            return
        self._rows_problem = clean(message.reason) + (
            f"; showing the {self.words.row}s given by id" if self.store.rows else ""
        )
        self.store.complete = True
        self._jump_again()
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
        for named in {row.key, message.ref} & set(self.pinned):  # a row, not a group
            self.pinned.remove(named)
            self.store.groups.pop(named, None)
        if row.group not in self.pinned:
            self.pinned.insert(0, row.group)
        self._pinned_rows.setdefault(row.group, []).append(row)
        self.store.merge_group(self._placeholder(row.group))
        if self.selected_group in (row.key, row.group):
            self.selected_group = None
        self._select_group(row.group)
        self._landed = self.view  # on the row named: not moved to the first failure
        self._render_groups()
        self.groups.select_key(row.group)
        self._focus(self.table)
        self.table.select_key(row.key)
        self._select_row(row.key)

    def _select_first(self) -> None:
        """Select the first pin, or the list's cursor, when nothing is selected yet."""
        self._awaiting_list = False
        if self.selected_group is None and self.groups.row_count:
            key = self.pinned[0] if self.pinned else self.groups.selected_key
            if key:
                self.groups.select_key(key)
                self._select_group(key)

    @on(FetchFailed)
    def _fetch_failed(self, message: FetchFailed) -> None:
        if message.resource == "groups" and self._awaiting_list:
            self._select_first()  # the list fails: the pins are shown as they were named
        if message.resource == "detail":
            self._render_detail()
        elif message.resource == "rows":
            self._jump_again()
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
        self.selected_row = self._hidden_row = None
        self.view += 1
        self._acts_before_view = self.table.user_acts
        self._widest = {}
        self.store.set_view(key, self.filters)
        self.store.merge_rows(self._pinned_rows.get(key, []))
        self.poller.reset("rows")
        self._rows_problem = None
        self._render_table()
        self.body.show_message(f"Select {self.words.a_row} to see its detail.")
        self.poll_rows(self.view, key, self.filters)
        self.describe_group(key)
        self._render_titles()
        if GC_POLICY.frozen_for_rows:  # the old rows are gone once the old poll stops
            self.set_timer(1.0, GC_POLICY.released)

    def _select_row(self, key: str | None) -> None:
        if key is None or key == self.selected_row:
            return
        self.selected_row, self._hidden_row = key, None
        self.poller.reset("detail")
        self._render_detail()
        self._render_titles()
        self.follow_row(key)

    @on(KeyedTable.RowHighlighted, "#group-list")
    def _group_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        key = event.row_key  # a pin since resolved to its group is no longer one
        if self._awaiting_list:
            return
        if key and key != self.selected_group and key in self.store.groups:
            self._select_group(key)

    @on(KeyedTable.RowSelected, "#group-list")
    def _group_chosen(self, event: KeyedTable.RowSelected) -> None:
        self._focus(self.table)

    @on(KeyedTable.RowHighlighted, "#row-table")
    def _row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if self.tailing and self.table.user_acts != self._tail_acts:
            self.action_tail()  # the user moved: following stops, as less +F's does
        self._select_row(event.row_key)

    @on(KeyedTable.RowSelected, "#row-table")
    def _row_chosen(self, event: KeyedTable.RowSelected) -> None:
        self._select_row(event.row_key)
        self.body.enter()

    # -- rendering from the store --------------------------------------------------------

    def _ordered_groups(self) -> list[Group]:
        groups, pins = self.store.groups, set(self.pinned)
        pinned = [groups[key] for key in self.pinned if key in groups]
        return pinned + [g for key, g in groups.items() if key not in pins]

    def _render_groups(self) -> None:
        groups = [self._tallied(group) for group in self._ordered_groups()]
        self.groups.show(groups, set(self.pinned), self.clock())
        self._fit_groups()

    def _tallied(self, group: Group) -> Group:
        """A group with the counts its server left out filled in from its rows as last
        seen (no server here counts a run's failures; the current API counts nothing).
        A run's own record counts its rows, but only the selected and pinned runs' records
        are read each round: another run's count is its rows', since the list has none (a
        record read when it was selected said 103 for good, while its failures, counted
        from its rows, rose past 50 of 205)."""
        tally = self._tallies.get(group.key)
        if tally is None or (group.total is not None and group.failed is not None):
            return group
        described = group.key == self.selected_group or group.key in self.pinned
        total = group.total if described and group.total is not None else tally[0]
        failed = tally[1] if group.failed is None else group.failed
        return replace(group, total=total, failed=failed)

    def _visible_rows(self) -> dict[str, Row]:
        """The rows the table shows, in display order: every provider's newest first (or
        oldest first, ``O``), whatever order its server lists them in."""
        rows = self.store.rows
        needle = self.text_filter.lower()
        if needle:
            rows = {key: row for key, row in rows.items() if needle in _haystack(row)}
        if self.newest_first != self.words.newest_first:
            rows = dict(reversed(rows.items()))
        return rows

    def _fit_columns(self, rows: dict[str, Row]) -> None:
        """Columns that fit: an unknown status shown whole, no progress column when nothing
        is live, no time column in a narrow table; the error column takes what is left."""
        if self.text_filter:  # the rows shown, not all of them
            live = any(not row.status.terminal and row.progress for row in rows.values())
        else:
            live = bool(self._progressing)
        # Once shown in a view, the column stays while its group is live: a moment with no
        # row in progress does not move the reason column sideways and back.
        group = self.store.groups.get(self.selected_group or "")
        if live:
            self._widest["progress"] = 1
        elif "progress" in self._widest and group is not None and not group.status.terminal:
            live = True
        hidden = set() if live else {"progress"}
        if self.table.size.width and self.table.size.width < 90:
            hidden.add("time")
        if self.table.timeline is not None:  # `t`: the bars take the reason's place
            hidden |= {"time", "progress", "problem"}
        else:
            hidden.add("timeline")
        # As wide as the widest seen in this view, and with room, as every status word the
        # provider knows (one that comes and goes, "dispatching", makes no column jump): a
        # status and an id whole (tc_uVEUd_jk, not tc_uVEUd…), a long name whole when the
        # error column keeps room.
        widest = self._widest
        known = max(map(len, self.words.statuses), default=0) + 3
        if self.table.size.width < 100:  # a narrow table: 'dispatching' yes, 'awaiting input' no
            known = min(known, NARROW_STATUS)
        widths = {
            "status": min(max(widest.get("status", 0), known, ROW_WIDTHS["status"]), 28),
            "id": min(max(widest.get("id", 0), ROW_WIDTHS["id"]), 16),
        }
        grow = {"name": min(widest.get("name", 0), 30) - ROW_WIDTHS["name"]}
        self.table.fit_columns(hidden, widths, grow)

    def _render_table(self, dirty: set[str] | None = None) -> None:
        rows = self._visible_rows()
        newest = self._newest_key()
        # Counts and failure sizes are kept row by row: a page, or a followed row's progress,
        # costs its own rows (a pass over 100,000 rows per page stalled a big load).
        progressed = bool(self._progressing)
        self._count_rows(dirty)
        refit = progressed != bool(self._progressing)  # the first row in progress, or none
        if self._size_failures(dirty):
            dirty = None  # a failed row's count (x4) changed: every row's cells are rebuilt lazily
        if self.table.timeline is not None and self._place_timeline():
            dirty = None  # the axis moved: every bar is redrawn (lazily: those on screen)
        if refit or dirty is None or not all(self.table.shows(key) for key in dirty):
            self._fit_columns(rows)
        self.table.show(rows, self.clock, None if self.text_filter else dirty)
        if self.tailing and self._newest_key() != newest and self.table.row_count:
            # `f`: the cursor follows each new row, as tail -f does
            self.table.move_cursor(row=0 if self.newest_first else self.table.row_count - 1)
        selected = self.selected_row
        if selected is not None and not self.table.shows(selected):  # a filter hid it
            if self.table.row_count:
                self._select_row(self.table.selected_key)  # the detail follows the cursor
            else:  # nothing shown: no detail of a row the table hides, nor its follow
                self.selected_row, self._hidden_row = None, selected
                self.workers.cancel_group(self, "follow")
                self._render_detail()
        elif selected is None and self._hidden_row and self.table.shows(self._hidden_row):
            self.table.select_key(self._hidden_row)  # the filter cleared: back where it was
        self._render_empty()
        self._render_titles()

    def _size_failures(self, dirty: set[str] | None) -> bool:
        """How many of the view's failed rows share each one's cause (the table shows
        ``x4`` beside a failure seen four times), for the rows in ``dirty`` (every row when
        None); True when another row's count changed. A row's cause is what its row says, or
        not what ``E`` read (the count is of the rows that say what this one says); read
        again only when the row changed."""
        rows = self.store.rows
        changed = False
        for key in self._failed | self._cause_keys.keys() if dirty is None else dirty:
            row = rows.get(key)
            known = self._cause_keys.get(key)
            cause = None
            if row is not None and row.status.failure:
                cause = known
                if known is None or known[0] is not row:
                    cause = (row, cause_key(self.source.cause(row, None)))
            changed |= self._set_cause(key, cause)
        return changed

    def _set_cause(self, key: str, cause: tuple[Row, str] | None) -> bool:
        """Record ``key``'s cause (None: not failed); True when that changes the count shown
        beside another row (one that reads ``x2`` or more, before or after)."""
        old = self._cause_keys.pop(key, None)
        if cause is not None:
            self._cause_keys[key] = cause
        if (old and old[1]) == (cause and cause[1]):
            return False
        shown = False
        for fingerprint, step in ((old, -1), (cause, 1)):
            if fingerprint is not None:
                count = self._cause_counts[fingerprint[1]]
                self._cause_counts[fingerprint[1]] = count + step
                shown |= max(count, count + step) > 1
                if count + step <= 0:
                    del self._cause_counts[fingerprint[1]]
        return shown

    def _seen(self, key: str) -> int | None:
        """How many failed rows share ``key``'s cause, when more than it."""
        known = self._cause_keys.get(key)
        count = self._cause_counts[known[1]] if known is not None else 0
        return count if count > 1 else None

    def _count_rows(self, dirty: set[str] | None) -> None:
        """The view's rows counted by status, its failed rows, its live rows with progress,
        and its newest failure's reason, for the card and the columns: the rows in ``dirty``
        counted again (every row when None), so a page of a 100,000-row run costs its own
        rows, not a pass over all of them."""
        rows = self.store.rows
        failures_moved = dirty is None  # the newest failure is looked for again only then
        if dirty is None:
            self._counts, self._counted, self._failed, self._progressing = {}, {}, set(), set()
        for key in rows if dirty is None else dirty:
            old = self._counted.pop(key, None)
            if old is not None:
                self._counts[old] -= 1
                if not self._counts[old]:
                    del self._counts[old]
            failures_moved |= key in self._failed
            self._failed.discard(key)
            self._progressing.discard(key)
            row = rows.get(key)
            if row is None:
                continue
            self._counted[key] = row.status.raw
            self._counts[row.status.raw] = self._counts.get(row.status.raw, 0) + 1
            self._kinds[row.status.raw] = row.status.kind
            if old != row.status.raw:  # a new row, or a new status: the columns it needs
                self._widen(row, new=old is None)
            if row.status.failure:
                self._failed.add(key)
                failures_moved = True
            if not row.status.terminal and row.progress:
                self._progressing.add(key)
        if failures_moved:  # not for every followed row's progress: a scan of the rows
            newest = None
            if self._failed:  # the server's order: the newest failure is first, or last
                order = rows.values() if self.words.newest_first else reversed(rows.values())
                newest = next((row for row in order if row.status.failure), None)
            why = None
            if newest is not None:
                why = newest.problem.text() if newest.problem else newest.note
            self._newest_problem = f"last failure: {why}" if why else None
        self._tally()

    def _widen(self, row: Row, *, new: bool) -> None:
        widest = self._widest
        widest["status"] = max(widest.get("status", 0), len(row.status.raw) + 3)
        if new:  # a row's name and id never change
            widest["name"] = max(widest.get("name", 0), len(row.name or ""))
            widest["id"] = max(widest.get("id", 0), len(short_id(row.key)))

    def _tally(self) -> None:
        """The selected group's counts for the group list, once all its rows were read
        (not under a filter: that counts a part)."""
        group = self.selected_group
        if group is None or self.filters or self.poller.freshness("rows").updated_at is None:
            return
        tally = (len(self._counted), len(self._failed))
        if self._tallies.get(group) != tally:
            self._tallies[group] = tally
            self._render_groups()

    def _render_card(self) -> None:
        """The selected group at a glance: its status and failure, when it started and
        for how long, its rows by status, and what is wrong with fetching them."""
        card = self.query_one("#group-card", Static)
        group = self.store.groups.get(self.selected_group or "")
        if group is None:
            card.display = False
            return
        words, now = self.words, self.clock()
        glyph, word, component = badge_parts(group.status, ascii_only=self.ascii_only)
        text = Text(no_wrap=True, overflow="ellipsis")
        if group.status.raw:
            text.append(f" {glyph} {word} ", self.table.style_for(component) + Style(reverse=True))
            text.append(" ")
        name = group.title or short_id(group.key)
        if words.kind_in_name:  # `invoice-agent@0.9.1`, as it is typed, not the version apart
            name = group.key
        text.append(words.named(clean(name, limit=40)), "bold")
        total = sum(self._counts.values())  # first: what a narrow card must still show
        failing = len(self._failed)
        whole = self._tallied(group) if self.filters else group
        if self.filters and whole.total is not None:  # a part of the group is read
            # The group's own counts beside the part shown (a status filter showing none
            # left the card without them).
            shown = f"{self.table.row_count:,} of {plural(whole.total, words.row)} shown"
            failing = failing if whole.failed is None else whole.failed
            text.append(f" · {shown}")
            if failing:
                text.append(f", {plural(failing, 'failure')}", "bold")
        elif total:
            shown = f"{total} {words.row}s" + (" shown" if self.filters else "")
            if self.text_filter:  # the table shows part of what is counted
                shown = f"{self.table.row_count} of {total} {words.row}s shown"
            text.append(f" · {shown}")
            if failing:
                text.append(f", {plural(failing, 'failure')}", "bold")  # failed, timed out
        took = elapsed(group, now) if isinstance(group.started, float) else None
        if took is not None:
            # To the second, as the table's durations are (4m12s, not 4m): the card is one
            # line, redrawn with the clock's tick anyway. Before the kind and the start: an
            # 80-column card cut 'took 4m31s' off.
            said = "took" if group.status.terminal else "running for"
            text.append(f" · {said} {duration(took)}")
        if group.subtitle and not (words.kind_in_name and group.subtitle in name):
            text.append(f" · {clean(group.subtitle, limit=24)}")
        if isinstance(group.started, float):
            text.append(f" · started {clock_time(group.started)}")
        lines = [text]
        short = self.has_class("-short")
        problem = group.problem.text() if group.problem else None
        if problem is None and not short:
            problem = self._newest_problem
        fault = self.poller.freshness("rows").error
        if fault is not None and self.table.row_count:
            lines.append(Text("! " + fault.describe(limit=300), "bold"))
        elif problem:
            lines.append(Text(clean(problem, limit=300), "bold"))
        if not short and len(self._counts) > 1:
            # In a fixed order, what needs a look first (sorted by count, the line reordered
            # itself as counts crossed while it was read).
            kinds = self._kinds
            parts = sorted(self._counts.items(), key=lambda kv: (CARD_ORDER[kinds[kv[0]]], kv[0]))
            lines.append(
                Text(
                    "   "
                    + " · ".join(
                        f"{n} {clean(raw, limit=20).replace('_', ' ')}" for raw, n in parts
                    ),
                    "dim",
                )
            )
        card.display = True
        _update(card, Text("\n", no_wrap=True, overflow="ellipsis").join(lines))

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
                message = with_ellipsis("Loading…")
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
            text = f"Select {self.words.a_row} to see its detail."
            if fresh.error is not None or key:
                text = fresh.error.describe() if fresh.error else with_ellipsis("Loading…")
            self.body.show_message(text)
            return
        error = self.poller.freshness("detail").error
        note = error.describe() if error is not None else self._stall_mark(row.key)
        self.body.show(
            row, self.store.details.get(row.key), self.store.logs.get(row.key), self.clock(), note
        )

    def _tick(self) -> None:
        """Once a second: live durations on screen, freshness clocks, due announcements."""
        now = self.clock()
        if self.table.timeline is not None and self.table.timeline.axis.live:
            self._place_timeline()
        self.table.tick(self.store.rows, now)
        row = self.store.row(self.selected_row) if self.selected_row else None
        if row is not None and not row.status.terminal:
            self._render_detail()
        self._flush_announcements()
        self._render_titles()

    def _render_titles(self) -> None:
        self._render_card()
        words = self.words
        groups = f"{words.groups} ({len(self.store.groups)})"
        _set_border(self.query_one("#groups-pane"), groups, self.poller.describe("groups"))

        title = words.rows
        if self.selected_group:
            group = self.store.groups.get(self.selected_group)
            name = group.title if group and group.title else short_id(self.selected_group)
            if group is not None and group.subtitle and words.kind_in_name:
                name += f" {group.subtitle}"
            title += f" · {words.named(clean(name, limit=30))}"
        if self.filters.status:
            failures = set(self.filters.status) == set(words.failures)
            title += " · status: " + ("failures" if failures else ",".join(self.filters.status))
        if self.filters.action:
            title += f" · action: {clean(','.join(self.filters.action), limit=30)}"
        if self.text_filter:
            title += f" · /{clean(self.text_filter, limit=20)}"
        if self.tailing:
            title += " · following new"
        timeline = self.table.timeline
        if timeline is not None:
            scale = timeline.axis
            span = f"{clock_time(scale.start)} → {clock_time(scale.end)} ({duration(scale.length)})"
            mark = "*" if self.ascii_only else "◆"
            title += f" · timeline {span}" + (" → now" if scale.live else "")
            title += f" · {mark} critical path"
        shown, total = self.table.row_count, len(self.store.rows)
        sub = f"{shown} shown" if shown == total else f"{shown} of {total} shown"
        above = round(self.table.scroll_y)
        if above > 0:  # rows that arrived (or were scrolled) above the screen: said, not hidden
            sub = f"{'^' if self.ascii_only else '↑'}{above} above · {sub}"
        if self.store.note:
            sub += f" · {self.store.note}"
        _set_border(self.query_one("#rows-pane"), title, f"{sub} · {self.poller.describe('rows')}")

        key = self.selected_row
        title, sub = "Detail", ""
        if key is not None:
            title = f"{words.row.capitalize()} {short_id(key)}"
            sub = self.poller.describe("detail")
            error = self.poller.freshness("detail").error
            if not gives_up(error):  # after a 404 or a refused key: not followed
                sub = f"following ({words.follows_with}) · {sub}"
            if self.store.final(key):
                sub = "final · never refetched"
        _set_border(self.query_one("#detail-pane"), title, sub)
        self._render_status_bar()

    def _render_status_bar(self) -> None:
        options = self.options
        bar = Text()
        bar.append(" runwatch ", "reverse")
        if options.production:
            bar.append(" ")
            bar.append(" PRODUCTION ", "bold reverse red")
        profile = f"{clean(options.profile, limit=24)} · " if options.profile else ""
        api = self.source.vocabulary.label or self.source.name
        state = self.poller.connection()
        calm = state == "LIVE"
        if options.playback is not None:
            state, calm = _replay_state(options.playback, state)
        dot = "*" if self.ascii_only else "●"
        shown = f" {dot} {state} "
        hint = "   ? help"
        playback = options.playback
        every = self.poller.interval if playback is None else playback.interval  # as recorded
        ended = playback is not None and playback.finished  # nothing new comes
        tail = hint if ended else f"  every {every:g}s{hint}"
        label = f"  {profile}{api} · "
        # The freshness state is never cut off, and the way to help stays while it can: on a
        # narrow screen the interval goes first, then the server's address is shortened,
        # and the hint goes last (the footer has no room for ? or q at 80 columns).
        room = (self.size.width or 200) - bar.cell_len - len(label) - len(shown) - 2
        where = clean(options.source_label or self.source.base_url)
        if len(where) > room - len(tail):
            tail = hint if room - len(hint) >= MIN_ADDRESS else ""
        bar.append(f"{label}{truncate(where, max(MIN_ADDRESS, room - len(tail)))}  ")
        bar.append(shown, "bold" if calm else "bold reverse")
        bar.append(tail)
        _update(self.query_one("#status-bar", Static), bar)
        self.set_class(self.poller.paused, "-paused")

    def refresh_status(self) -> None:
        """Redraw the titles and the status bar now (a replay was paused or moved)."""
        self._render_titles()

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

    def _pane_name(self) -> str:
        """The focused pane as the layout names it (the detail's own panes, a log, are the
        detail's)."""
        return PANE_NAMES[min(self._current_pane(), len(PANE_NAMES) - 1)]

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
        if isinstance(self.focused, Prompt):
            self._prompt_done(self.focused, None)
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
            found = self.body.next_failure(forward)
            what = f"failed step in this {self.words.row}"
            wrapped = "the first failed step" if forward else "the last failed step"
        elif self.focused is self.groups:  # in the group list: the next group with failures
            # Its failures (the fail column), not only its status: an active run, or a
            # Kernel app version running a call, with failed rows is a place to look at.
            failed_groups = {
                k
                for k, g in self.store.groups.items()
                if g.status.failure or (self._tallied(g).failed or 0) > 0
            }
            found = _cycle_to(self.groups, failed_groups, forward)
            what = f"{self.words.group} with failures listed"
            wrapped = "the top of the list" if forward else "the bottom of the list"
        else:
            # In the order they happened, whichever way the table is sorted: the viewer
            # lands on the first failure, and n goes to the second (up, newest first).
            down = forward != self.newest_first
            found = _cycle_to(self.table, self._failed, down)  # kept row by row
            what = f"failed {self.words.row} shown"
            wrapped = "the first failure" if forward else "the last failure"
            if found is not None:
                self._focus(self.table)
        if found is None:
            self.notify(f"No {what}.", markup=False)
        elif found == "only":
            self.notify(f"No other {what}: this is the only one.", markup=False)
        elif found == "wrapped":
            self.notify(f"Wrapped around to {wrapped}.", markup=False, timeout=2)

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
        # The row kept by a filter before, which hid it, unless the user chose another since.
        row = self._kept_row(group) or self.selected_row
        if group is not None:
            self._select_group(group)
            if row is not None:
                self._keep_row = (group, self.table.user_acts, row)
        self._render_titles()

    def action_failures_only(self) -> None:
        """Toggle the server-side filter to failures only."""
        failures = self.words.failures if self.words.multi_filter else self.words.failures[:1]
        status = () if self.filters.status == failures else failures
        self._set_query(Query(status, self.filters.action))

    def action_pick_status(self) -> None:
        """Pick the statuses to show (server side) from the server's words."""
        from tui.ui.picker import StatusPicker

        def chosen(statuses: tuple[str, ...] | None) -> None:
            if statuses is not None:
                self._set_query(Query(statuses, self.filters.action))

        picker = StatusPicker(
            self.words.statuses,
            self.filters.status,
            several=self.words.multi_filter,
            ascii_only=self.ascii_only,
        )
        self.app.push_screen(picker, chosen)

    def action_cycle_action(self) -> None:
        """Cycle the server-side action filter through the actions known and seen."""
        seen = self._names.get(self.selected_group or "", set())
        names = sorted(set(self.words.actions) | seen, key=str.lower)
        cycle = [(), *((name,) for name in names)]
        index = cycle.index(self.filters.action) if self.filters.action in cycle else 0
        self._set_query(Query(self.filters.status, cycle[(index + 1) % len(cycle)]))

    def action_start_filter(self) -> None:
        """Open the text filter, its text selected (typing replaces it); it takes every
        printable key until esc or enter."""
        self.filter_input.display = True
        self.filter_input.value = self.text_filter
        self.filter_input.selection = Selection(0, len(self.text_filter))
        self._focus(self.filter_input)

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value
        self._render_table()

    def _close_filter(self, *, clear: bool) -> None:
        if clear:
            self.text_filter = ""
            self.filter_input.value = ""
        self.filter_input.display = bool(self.text_filter)
        self._focus(self.table)
        self._render_table()

    # -- zoom, order, jump, failures grouped -------------------------------------------

    def action_zoom(self) -> None:
        """Zoom the focused pane to the full screen, and back."""
        name = self._pane_name()
        zoomed = self.has_class(f"-zoom-{name}")
        for other in PANE_NAMES:
            self.set_class(False, f"-zoom-{other}")
        self.set_class(not zoomed, f"-zoom-{name}")

    @on(events.DescendantFocus)
    def _zoom_follows_focus(self) -> None:
        """While a pane is zoomed, the zoom goes where the focus goes (``h``, ``tab``): the
        focused pane is never one the zoom hides."""
        zoomed = next((name for name in PANE_NAMES if self.has_class(f"-zoom-{name}")), None)
        focused = self._pane_name()
        if zoomed is not None and zoomed != focused:
            self.set_class(False, f"-zoom-{zoomed}")
            self.set_class(True, f"-zoom-{focused}")

    def _newest_key(self) -> str | None:
        keys = self.table.row_keys_in_order
        if not keys:
            return None
        return keys[0] if self.newest_first else keys[-1]

    def action_tail(self) -> None:
        """Follow new rows: the cursor moves to each new row as it arrives (and back off)."""
        self.tailing = not self.tailing
        self._tail_acts = self.table.user_acts
        if self.tailing and self.table.row_count:
            self.table.move_cursor(row=0 if self.newest_first else self.table.row_count - 1)
        self._render_titles()
        word = "following new rows" if self.tailing else "not following new rows (f follows)"
        self.notify(f"{self.words.rows}: {word}", markup=False, timeout=2)

    def _place_timeline(self) -> bool:
        """Put the view's rows on one time axis for the table's bars; True when the axis or
        a span changed."""
        now = self.clock()
        spans = tl.spans(self.store.rows.values(), now)
        scale = tl.axis(spans, now) or tl.Axis(now, now + 1, False)
        timeline = Timeline(
            scale, {span.key: span for span in spans}, frozenset(tl.critical_path(spans))
        )
        changed = timeline != self.table.timeline
        self.table.timeline = timeline
        return changed

    def action_timeline(self) -> None:
        """The rows as a waterfall (queue time dim, run time in the status's colour, now,
        the critical path), and back; the detail still follows the cursor."""
        if self.table.timeline is None:
            self._place_timeline()
        else:
            self.table.timeline = None
        self._render_table(None)
        self._focus(self.table)

    def action_bundle(self) -> None:
        """Write the selected group's incident bundle (Markdown) and say where."""
        if self._no_group_selected():
            return
        self.notify(f"Writing the incident bundle of this {self.words.group}…", timeout=3)
        self.write_bundle(self.selected_group)

    def _no_group_selected(self) -> bool:
        if self.selected_group is None:
            self.notify(f"Select a {self.words.group} first.", markup=False)
        return self.selected_group is None

    @work(group="bundle", exclusive=True, exit_on_error=False)
    async def write_bundle(self, key: str) -> None:
        from tui import bundle

        try:
            evidence = await bundle.collect(
                self.source, key, clock=self.clock, known=dict(self.store.details)
            )
            path = await asyncio.to_thread(bundle.write, bundle.render(evidence), key)
        except (ApiError, OSError) as error:
            self.notify(f"No bundle: {error}", severity="error", markup=False)
            return
        self.notify(_where(path), title="Incident bundle written", markup=False, timeout=10)

    def action_keep(self) -> None:
        """Keep the selected group: a recording of it with every record read for it (its
        rows, their full records, logs), for ``runwatch replay`` anywhere, offline."""
        key = self.selected_group
        if self._no_group_selected() or key is None:
            return
        if not callable(getattr(self.source, "record_to", None)):
            self.notify("This view cannot be recorded (a replay is one already).", markup=False)
            return
        source = cast("RecordingSource", self.source)
        if source.keeping(key):  # beside --record's and another run's, never twice the same
            self.notify(
                f"Already recording this {self.words.group} (a w under way): wait for it to end.",
                markup=False,
            )
            return
        from tui import bundle

        path = Path.cwd() / bundle.file_name(key, ".rwrec")
        try:  # at once, not in the worker: a w typed right after this one finds it recording
            source.record_to(path, self.source.name, focus=key)
        except OSError as error:
            self.notify(f"Not kept: {error}", severity="error", markup=False)
            return
        self.notify(f"Recording this {self.words.group} with all its records…", timeout=3)
        self.keep_group(key, path)

    @work(group="keep", exit_on_error=False)
    async def keep_group(self, key: str, path: Path) -> None:
        from tui import bundle

        try:
            try:
                await bundle.collect(self.source, key, clock=self.clock, every_row=True)
            finally:
                cast("RecordingSource", self.source).stop_recording(path)
        except ApiError as error:
            self.notify(f"Not kept: {error}", severity="error", markup=False)
            return
        self.notify(
            f"{_where(path)}\nreplay it with:\nrunwatch replay {path.name}",
            title="Run kept",
            markup=False,
            timeout=10,
        )

    def action_flip_order(self) -> None:
        """Newest or oldest row first."""
        self.newest_first = not self.newest_first
        self._render_table()
        word = "newest" if self.newest_first else "oldest"
        self.notify(f"{self.words.rows}: {word} first", markup=False, timeout=2)

    def action_start_jump(self) -> None:
        """Open the jump prompt: ``run 121a``, ``inv 5e4d``, ``failed``, or an id's start."""
        self.jump_input.display = True
        self.jump_input.value = ""
        self._focus(self.jump_input)

    def _prompt_done(self, prompt: Prompt, value: str | None) -> None:
        """Enter (``value``) or esc (None) in a prompt: jump, or keep or clear the filter."""
        if prompt is self.filter_input:
            self._close_filter(clear=value is None)
            return
        prompt.display = False
        self._focus(self.table)
        if value is not None:
            self.jump(value)

    def jump(self, where: str, *, wait: bool = True) -> bool:
        """Go where ``where`` says (k9s style); says so when it finds nothing, after the
        rows being read, unless not to ``wait`` for them."""
        word, _, rest = where.strip().lstrip(":").partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("failed", "fail", "failure", "f"):
            failed = self._failed  # kept row by row (a scan per row froze 10,000 rows)
            # The first in the order they happened, as the landing and n take it, whichever
            # way the table is sorted.
            keys = self.table.row_keys_in_order
            first = next(
                (k for k in (keys[::-1] if self.newest_first else keys) if k in failed), None
            )
            if first is not None:
                self._focus(self.table)
                self.table.select_key(first, by_user=True)
                return True
            self.notify(f"No failed {self.words.row} shown.", markup=False)
            return False
        kinds = {"run", "group", "app", self.words.group.split()[0]}
        rows_words = {"inv", "invocation", "row", "call", "tc", self.words.row.split()[0]}
        prefix = rest if word in kinds | rows_words else where.strip().lstrip(":")
        if word not in rows_words and self._jump_group(prefix.lower()):
            return True
        if word not in kinds and self._jump_row(prefix.lower()):
            return True
        if wait and word not in kinds and not self.store.complete and self.selected_group:
            # Typed ahead of the rows (`:121a` then `:5e4d` at once): tried again once the
            # rows are read, and said only if they do not hold it either.
            self._jump_pending = (self.view, where)
            return False
        looked = [
            *([f"the {self.words.groups.lower()} listed"] if word not in rows_words else []),
            *([f"this {self.words.group}'s {self.words.row}s"] if word not in kinds else []),
        ]
        self.notify(
            f"Nothing starts with {clean(prefix, limit=40)!r} in {' or '.join(looked)} (to "
            f"jump to another {self.words.group}'s {self.words.row}, open that "
            f"{self.words.group} first).",
            markup=False,
        )
        return False

    def _kept_row(self, group: str | None) -> str | None:
        """The row a filter change kept for ``group`` (:attr:`_keep_row`), unless the user
        has moved the cursor since."""
        keep = self._keep_row
        return keep[2] if keep is not None and keep[:2] == (group, self.table.user_acts) else None

    def _jump_again(self) -> None:
        """The rows are read (or could not be): the jump typed before them goes where it
        says, or says it found nothing."""
        pending, self._jump_pending = self._jump_pending, None
        if pending is not None and pending[0] == self.view:
            self.jump(pending[1], wait=False)

    def _jump_group(self, prefix: str) -> bool:
        for group in self._ordered_groups():
            if prefix and (
                group.key.lower().startswith(prefix) or group.title.lower().startswith(prefix)
            ):
                self.groups.select_key(group.key)
                self._select_group(group.key)
                self._focus(self.table)
                return True
        return False

    def _jump_row(self, prefix: str) -> bool:
        for key in self.table.row_keys_in_order:
            if prefix and key.lower().startswith(prefix):
                self._focus(self.table)
                self.table.select_key(key, by_user=True)
                return True
        return False

    def action_errors(self) -> None:
        """Failures grouped by fingerprint (each failed row's full record read first)."""
        failed = [row for row in self.store.rows.values() if row.status.failure]
        if not failed:
            self.notify(f"No failed {self.words.row} in this view.", markup=False)
            return
        self.read_causes(failed)

    @work(group="causes", exclusive=True, exit_on_error=False)
    async def read_causes(self, failed: list[Row], *, more: bool = False) -> None:
        """Read the full records of failed rows not read yet, then show the groups: those
        read in full by their failing step, the others by their own error, below them. The
        first ``E`` reads up to :data:`MAX_CAUSES`, and opening it again reads none past
        them; ``E`` in the list (``more``) reads the next :data:`MAX_CAUSES`."""
        view = self.view
        done = sum(row.key in self._full_causes for row in failed)
        room = MAX_CAUSES if more else max(0, MAX_CAUSES - done)
        batch = [row for row in failed if row.key not in self._full_causes][:room]
        details = {row.key: self.store.details.get(row.key) for row in batch}
        missing = [row for row in batch if not _final(details[row.key])]
        if missing:
            self.notify(
                f"Reading {len(missing)} failed {self.words.row}s…", markup=False, timeout=3
            )
        semaphore = asyncio.Semaphore(4)

        async def read(row: Row) -> None:
            async with semaphore:
                with contextlib.suppress(Exception):
                    async for update in self.source.follow(row.key, None):
                        if isinstance(update, Detail):
                            details[row.key] = update  # the store keeps only a few

        await asyncio.gather(*(read(row) for row in missing))
        if view != self.view:
            return  # the user went to another run meanwhile: this list is not about it
        lost = 0
        for row in batch:  # read in full: its final record (a failed read is tried again)
            detail = details[row.key]
            if _final(detail):
                self._full_causes[row.key] = self.source.cause(row, detail)
            else:
                lost += 1
        whole = [
            (row, self._full_causes[row.key]) for row in failed if row.key in self._full_causes
        ]
        unread = [
            (row, self.source.cause(row, None))
            for row in failed
            if row.key not in self._full_causes
        ]
        groups, others = group_failures(whole), group_failures(unread)
        name = self.store.groups.get(self.selected_group or "")
        title = f"Failures in {self.words.named(clean(name.title if name else '', limit=30))}: "
        title += f"{plural(len(failed), self.words.row)}, {plural(len(groups), 'cause')}"
        note = "enter: the first of them · j/k move · esc closes"
        if unread:
            title += f" in the {len(whole):,} read in full"
            note = f"E here reads {min(MAX_CAUSES, len(unread))} more · " + note
        if lost:
            note = f"{lost} could not be read (E tries again) · " + note
        from tui.ui.errors import ErrorsScreen

        def chosen(key: str | None) -> None:
            if key is not None:
                self._focus(self.table)
                self.table.select_key(key)

        def read_more() -> None:
            rows = self.store.rows
            self.read_causes([rows[key] for key in rows if key in self._failed], more=True)

        if missing:
            self.app.clear_notifications()  # "Reading 20…" is done: it would cover the list
        screen = ErrorsScreen(
            groups,
            title,
            note,
            others=others,
            more=read_more if unread else None,
            ascii_only=self.ascii_only,
        )
        self.app.push_screen(screen, chosen)

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
        self._set_interval(next((s for s in INTERVALS if s > interval), INTERVALS[-1]))

    def action_faster(self) -> None:
        """Refresh more often."""
        interval = self.poller.interval
        self._set_interval(next((s for s in INTERVALS[::-1] if s < interval), INTERVALS[0]))

    def _set_interval(self, seconds: float) -> None:
        playback = self.options.playback
        if playback is not None:  # its pace is the recording's: + and - changed nothing shown
            self.notify(
                f"A replay asks as often as the recording did (every {playback.interval:g}s, "
                "recorded time): runwatch replay --speed sets its pace.",
                markup=False,
            )
            return
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


class Prompt(Input):
    """The filter and jump prompts. Enter and esc close one at once, so the keys typed after
    them in the same burst (which the app gave to the prompt, focused as they arrived) go on
    to the pane it hands the focus to, in order, instead of into the closed prompt. The
    input's edit keys (backspace, arrows, home...) act at once too: as bindings they acted
    once the key had bubbled up to the app, after the letters typed behind them in the same
    burst (``a b ⌫ c`` read ``ab``)."""

    EDITS = BindingsMap(Input.BINDINGS).key_to_bindings

    def __init__(self, done: Callable[[Prompt, str | None], None], **options: Any) -> None:
        # Opening a prompt selects its text itself: the input's own select-on-focus ran when
        # its focus event was handled, which can come after the letters typed in the burst
        # that opened it (the app gives them to the focused input as they bubble up), and
        # the next letter replaced them (`:5e71` read `71`).
        super().__init__(select_on_focus=False, **options)
        self.done = done
        """Called with the text on enter, None on esc."""

    async def _on_key(self, event: events.Key) -> None:
        if self.screen.focused is not self:  # typed after it closed: routed again
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
        elif event.key in ("enter", "escape"):  # here, not when it has bubbled up
            event.stop()
            event.prevent_default()
            self.done(self, self.value if event.key == "enter" else None)
        elif not event.is_printable and (edit := self.EDITS.get(event.key)):
            event.stop()
            event.prevent_default()
            await self.run_action(edit[0].action)
        else:
            await super()._on_key(event)

    async def action_submit(self) -> None:
        self.done(self, self.value)


class RecordingSource(Protocol):
    """A source that can record what it reads (an HTTP source; not a replay)."""

    def record_to(self, path: Path, provider: str, focus: str | None = None) -> object: ...

    def keeping(self, focus: str) -> bool: ...

    def stop_recording(self, path: Path) -> None: ...


def _final(detail: Detail | None) -> bool:
    """Whether ``detail`` is a row's final full record."""
    return detail is not None and detail.terminal


def _cycle_to(table: KeyedTable, wanted: set[str], down: bool) -> str | None:
    """Move ``table``'s cursor to the next row below (above) in ``wanted``, wrapping around:
    ``moved``, ``wrapped`` (past the end), ``only`` (the cursor is on the only one), or None
    when it shows none."""
    keys = table.row_keys_in_order
    n, at = len(keys), table.cursor_row
    for step in range(1, n + 1):
        index = (at + step) % n if down else (at - step) % n
        if keys[index] in wanted:
            table.move_cursor(row=index, by_user=True)
            if step == n:
                return "only"
            return "wrapped" if (at + step >= n if down else at - step < 0) else "moved"
    return None


def _haystack(row: Row) -> str:
    """What the text filter searches in a row."""
    problem = row.problem.text() if row.problem else ""
    return " ".join((row.key, row.name or "", row.status.raw, problem, row.note or "")).lower()


def _replay_state(playback: Playback, state: str) -> tuple[str, bool]:
    """The status bar's word for a replay, in place of LIVE: ``REPLAY 10x``, ``REPLAY 10x
    PAUSED`` (the replay's pause or the polling's), ``REPLAY 10x ENDED`` (reversed: the
    recording is over and its clock stopped, paused or not), or a fault it replays after
    it; and whether that is calm (plain) rather than a warning (reversed)."""
    speed = "max" if math.isinf(playback.speed) else f"{playback.speed:g}x"
    if playback.finished:
        ended = f"REPLAY {speed} ENDED"
        return (ended if state == "LIVE" else f"{ended} · {state}"), False
    paused = playback.paused or state == "PAUSED"
    replay = f"REPLAY {speed}" + (" PAUSED" if paused else "")
    if state in ("LIVE", "PAUSED"):
        return replay, not paused
    return f"{replay} · {state}", False


def _where(path: Path) -> str:
    """A file written, as a toast says it: its name on a line of its own (a narrow toast
    broke a whole path in the middle of the name), then its folder."""
    return f"{path.name}\nin {path.parent}"


def _update(widget: Static, text: Text) -> None:
    """Change a line of text only when it reads differently: any update repaints it."""
    if not isinstance(widget.content, Text) or widget.content.plain != text.plain:
        widget.update(text)


def _set_border(widget: Widget, title: str, subtitle: str) -> None:
    """Change a border's title and subtitle only when their text changes: any assignment
    repaints the pane."""
    if str(widget.border_title) != title:
        widget.border_title = Text(title)
    if str(widget.border_subtitle) != subtitle:
        widget.border_subtitle = Text(subtitle)
