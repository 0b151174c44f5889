"""The main screen: run list, invocation table and detail panel; owns all viewer state."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget

from tui.api.client import BctrlClient
from tui.api.enums import Action, InvocationStatus, RunStatus, UnknownValue
from tui.api.errors import ApiError, NotFound
from tui.api.models import (
    Invocation,
    InvocationPage,
    InvocationSummary,
    InvocationV2,
    Progress,
    RunSummary,
)
from tui.api.pages import PagedInvocations, PollDelta
from tui.api.text import short_id
from tui.config import ViewerMemory
from tui.format import raw_value, safe
from tui.gc_policy import GC_POLICY
from tui.links import curl_command, open_url
from tui.messages import (
    DetailFetched,
    FetchFailed,
    FetchSucceeded,
    FullFetched,
    InvocationsFetched,
    RunFetched,
    RunsFetched,
)
from tui.options import ViewerOptions
from tui.screens.live_screen import (
    HEAD_BINDINGS,
    TAIL_BINDINGS,
    Clock,
    Freshness,
    LiveScreen,
    LiveState,
    set_subtitle,
    set_title,
)
from tui.widgets.detail_panel import DetailPanel
from tui.widgets.invocation_table import InvocationTable
from tui.widgets.run_list import RunList
from tui.widgets.step_item import StepItem

if TYPE_CHECKING:
    from tui.screens.copy_screen import CopyChoice

STATUS_CYCLE: list[tuple[str, ...]] = [()] + [(s.value,) for s in InvocationStatus]
ACTION_CYCLE: list[tuple[str, ...]] = [()] + [(a.value,) for a in Action]
FAILURES: tuple[str, ...] = ("failed", "timed_out", "cancelled")
WAIT_MS = 5_000
MAX_PROGRESS_FETCHES = 20
PAGE_SIZE = 200


@dataclass
class Query:
    """The server-side filters of the invocation table."""

    status: tuple[str, ...] = ()
    action: tuple[str, ...] = ()

    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.status, self.action)


@dataclass
class ViewerState(LiveState):
    """Everything the screen knows; widgets only ever render from it."""

    runs: list[RunSummary] = field(default_factory=list)
    pinned_runs: dict[str, RunSummary] = field(default_factory=dict)
    runs_supported: bool = True
    selected_run_id: str | None = None
    invocations: dict[str, InvocationSummary] = field(default_factory=dict)
    invocations_complete: bool = False
    progress: dict[str, Progress] = field(default_factory=dict)
    selected_invocation_id: str | None = None
    details: dict[str, InvocationV2] = field(default_factory=dict)
    fulls: dict[str, Invocation] = field(default_factory=dict)
    query: Query = field(default_factory=Query)
    not_found_runs: set[str] = field(default_factory=set)

    def record(self, inv_id: str) -> Invocation | InvocationV2 | InvocationSummary | None:
        """The fullest record known of an invocation."""
        return self.fulls.get(inv_id) or self.details.get(inv_id) or self.invocations.get(inv_id)


class MainScreen(LiveScreen):
    """bctrl: runs, a run's invocations, and one invocation's steps; workers fetch and post
    messages here, and the screen owns one :class:`ViewerState`."""

    PROVIDER = "bctrl"

    BINDINGS: ClassVar[list[BindingType]] = [
        *HEAD_BINDINGS,
        Binding("e", "expand_all", "Expand", show=False),
        Binding("y", "copy_menu", "Copy", show=False),
        Binding("o", "open_docs", "Docs", show=False),
        Binding("P", "toggle_pin", "Pin", show=False),
        *TAIL_BINDINGS,
    ]

    def __init__(
        self,
        client: BctrlClient,
        *,
        options: ViewerOptions,
        source_label: str,
        clock: Clock,
    ) -> None:
        super().__init__(client, options=options, source_label=source_label, clock=clock)
        self.client: BctrlClient = client
        self.pinned = list(dict.fromkeys(options.pinned))
        self.state: ViewerState = ViewerState(
            query=Query(status=tuple(options.status), action=tuple(options.action)),
            text_filter=options.text_filter,
        )
        self._refresh_runs = asyncio.Event()
        self._refresh_invocations = asyncio.Event()
        self._full_refresh = False
        self._told_no_runs = False
        self._debounce_invocations = False

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        table: Widget
        if self.options.naive_baseline:
            from tui.widgets.naive_table import NaiveInvocationTable

            table = NaiveInvocationTable(ascii_only=self.ascii_only, id="invocation-table")
        else:
            table = InvocationTable(ascii_only=self.ascii_only, id="invocation-table")
        yield from self.compose_panes(
            RunList(ascii_only=self.ascii_only, id="run-list"),
            table,
            DetailPanel(ascii_only=self.ascii_only, id="detail-panel"),
            "filter: text in action, id, status or error (esc clears)",
        )

    @property
    def run_list(self) -> RunList:
        return self.query_one(RunList)

    @property
    def table(self) -> InvocationTable:
        # The benchmark's baseline swaps in a DataTable with the same interface.
        return cast(InvocationTable, self.query_one("#invocation-table"))

    @property
    def detail(self) -> DetailPanel:
        return self.query_one(DetailPanel)

    def on_mount(self) -> None:
        self.filter_input.display = bool(self.state.text_filter)
        self.filter_input.value = self.state.text_filter
        self.detail.show_message("Select an invocation to see its detail.")
        for run_id in self.pinned:
            self.state.pinned_runs[run_id] = _placeholder_run(run_id, "loading", self.clock())
        if self.pinned:
            self.state.selected_run_id = self.pinned[0]
        self._render_runs()
        self._render_titles()
        self.run_list.focus()
        self.poll_runs()
        if self.state.selected_run_id:
            self._start_invocations()
        self.set_interval(1.0, self._tick)

    # -- workers: I/O only, results posted as messages ------------------------------------

    @work(group="poll-runs", exclusive=True, exit_on_error=False)
    async def poll_runs(self) -> None:
        """Refresh the run list (and pinned runs) every interval; never overlapping."""
        await self._poll(self._refresh_runs, "runs", self._fetch_runs)

    async def _fetch_runs(self) -> None:
        try:
            runs: list[RunSummary] = []
            async for page in self.client.iter_runs():
                runs.extend(page.data)
            self.post_message(RunsFetched(runs))
        except NotFound:
            self.post_message(RunsFetched([], supported=False))
        except ApiError as error:
            self.post_message(FetchFailed("runs", None, error))
            return
        known = {run.id for run in self.state.runs}
        for run_id in self.pinned:
            if run_id in known or run_id in self.state.not_found_runs:
                continue
            try:
                self.post_message(RunFetched(await self.client.get_run(run_id)))
            except ApiError as error:
                self.post_message(FetchFailed("run", run_id, error))

    @work(group="poll-invocations", exclusive=True, exit_on_error=False)
    async def poll_invocations(self, run_id: str, query: Query) -> None:
        """Poll the run's invocations each interval: re-read only the pages that can have
        changed (see :mod:`tui.api.pages`), plus live progress."""
        if self._debounce_invocations:
            await asyncio.sleep(0.05)  # let fast cursor moves settle before fetching
        self._debounce_invocations = True  # the first run shown is fetched at once
        paged = PagedInvocations()

        async def fetch() -> None:
            full, self._full_refresh = self._full_refresh, False
            full = full or self.options.naive_baseline  # the baseline re-reads every page
            await self._fetch_invocations(run_id, query, paged, full)

        await self._poll(self._refresh_invocations, "invocations", fetch)

    async def _fetch_invocations(
        self, run_id: str, query: Query, paged: PagedInvocations, full: bool
    ) -> None:
        def fetch(cursor: str | None) -> Awaitable[InvocationPage]:
            return self.client.list_invocations(
                run_id, status=query.status, action=query.action, cursor=cursor, limit=PAGE_SIZE
            )

        def on_page(delta: PollDelta) -> None:
            # Each page's rows show as they arrive (a big run's first rows come at once).
            if delta.changed:
                self.post_message(
                    InvocationsFetched(run_id, query.key(), delta.changed, complete=False)
                )

        try:
            delta = await paged.poll(fetch, full=full, on_page=on_page)
        except ApiError as error:
            self.post_message(FetchFailed("invocations", run_id, error))
            return
        self.post_message(
            InvocationsFetched(
                run_id, query.key(), [], True, removed=delta.removed, order=delta.order
            )
        )
        # Progress bars only for live rows the user can see (at most MAX_PROGRESS_FETCHES).
        on_screen = self.table.visible_keys()
        live = [key for key in on_screen if key in paged.items and not paged.items[key].terminal]
        await self._fetch_progress(live[:MAX_PROGRESS_FETCHES])

    async def _fetch_progress(self, invocation_ids: list[str]) -> None:
        semaphore = asyncio.Semaphore(4)

        async def one(invocation_id: str) -> None:
            async with semaphore:
                try:
                    self.post_message(
                        DetailFetched(await self.client.get_invocation(invocation_id))
                    )
                except ApiError:
                    return  # progress is a nicety; the row itself is already shown

        await asyncio.gather(*(one(i) for i in invocation_ids))

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def follow_invocation(self, invocation_id: str) -> None:
        """Load one invocation; follow it with the long-poll wait until it is terminal."""
        full = self.state.fulls.get(invocation_id)
        v2 = self.state.details.get(invocation_id)
        if full is not None and full.terminal and v2 is not None and v2.terminal:
            return  # terminal invocations never change: never fetched again
        await asyncio.sleep(0.08)  # debounce cursor movement
        failures = 0
        while True:
            try:
                if v2 is None or (not v2.terminal and full is None):
                    v2 = await self.client.get_invocation(invocation_id)
                    self.post_message(DetailFetched(v2))
                waited = await self.client.wait_invocation(
                    invocation_id, 0 if v2.terminal else WAIT_MS
                )
                self.post_message(FullFetched(waited.invocation, waited.timed_out_waiting))
                self.post_message(FetchSucceeded("detail"))
                failures = 0
                if waited.invocation.terminal:
                    if not v2.terminal:
                        v2 = await self.client.get_invocation(invocation_id)
                        self.post_message(DetailFetched(v2))
                    return
            except ApiError as error:
                failures += 1
                if not await self._detail_failed(invocation_id, error, failures):
                    return

    # -- messages: the screen owns the state --------------------------------------------

    @on(RunsFetched)
    def _runs_fetched(self, message: RunsFetched) -> None:
        self._mark_ok("runs")
        self.state.runs_supported = message.supported
        if not message.supported and not self._told_no_runs:
            self._told_no_runs = True
            self.notify(
                "This server has no run list (GET /v1/runs → 404): showing the runs "
                "given on the command line only.",
                title="No run list",
                severity="warning",
                markup=False,
            )
        self.state.runs = message.runs
        for run in message.runs:
            if run.id in self.state.pinned_runs:
                self.state.pinned_runs[run.id] = run
        self._render_runs()
        if self.state.selected_run_id is None and self.run_list.row_count:
            key = self.run_list.selected_key
            if key:
                self._select_run(key)

    @on(RunFetched)
    def _run_fetched(self, message: RunFetched) -> None:
        self.state.pinned_runs[message.run.id] = message.run
        self._render_runs()

    @on(InvocationsFetched)
    def _invocations_fetched(self, message: InvocationsFetched) -> None:
        if message.run_id != self.state.selected_run_id or message.query != self.state.query.key():
            return  # a late answer for a selection the user already left
        invocations = self.state.invocations
        for inv in message.invocations:
            invocations[inv.id] = inv
        for key in message.removed:
            invocations.pop(key, None)
        if message.order is not None:
            self.state.invocations = {k: invocations[k] for k in message.order if k in invocations}
        dirty = {inv.id for inv in message.invocations}
        if dirty:
            GC_POLICY.rows_loaded(len(invocations))
        if message.complete:
            self.call_after_refresh(self.ensure_footer)  # the first rows are drawn first
            self._mark_ok("invocations")
            self.state.invocations_complete = True
            if dirty or message.removed:
                rows = self.state.invocations
                self.state.progress = {
                    k: v
                    for k, v in self.state.progress.items()
                    if k in rows and not rows[k].terminal
                }
            self._render_runs()
        structural = bool(message.removed) or message.order is not None
        self._render_table(None if structural else dirty)
        selected = self.state.selected_invocation_id
        if selected and selected in self.state.invocations:
            summary = self.state.invocations[selected]
            known = self.state.fulls.get(selected)
            if summary.terminal and (known is None or not known.terminal):
                self.follow_invocation(selected)
        elif selected is None and self.table.row_count and self.focused is not self.run_list:
            self._select_invocation(self.table.selected_key)

    @on(DetailFetched)
    def _detail_fetched(self, message: DetailFetched) -> None:
        inv = message.invocation
        previous = self.state.details.get(inv.id)
        self.state.details[inv.id] = inv
        if inv.progress is not None and not inv.terminal:
            self.state.progress[inv.id] = inv.progress
        if previous is not None and not previous.terminal and inv.terminal:
            self._announce_finish(inv.id, raw_value(inv.status), failed=inv.failed)
        if inv.id == self.state.selected_invocation_id:
            self._mark_ok("detail")
            self._render_detail()

    @on(FullFetched)
    def _full_fetched(self, message: FullFetched) -> None:
        inv = message.invocation
        previous = self.state.fulls.get(inv.id)
        self.state.fulls[inv.id] = inv
        if inv.progress is not None and not inv.terminal:
            self.state.progress[inv.id] = inv.progress
        was_live = previous is not None and not previous.terminal
        details = self.state.details.get(inv.id)
        if inv.terminal and was_live and (details is None or not details.terminal):
            self._announce_finish(inv.id, raw_value(inv.status), failed=inv.failed)
        summary = self.state.invocations.get(inv.id)
        if summary is not None and raw_value(summary.status) != raw_value(inv.status):
            # The long-poll knows first: show the new status in the table right away.
            self.state.invocations[inv.id] = summary.model_copy(
                update={
                    "status": inv.status,
                    "duration_ms": inv.duration_ms,
                    "finished_at": inv.finished_at,
                    "error": inv.error,
                }
            )
            self._render_table()
        if inv.id == self.state.selected_invocation_id:
            self._render_detail()

    @on(FetchFailed)
    def _fetch_failed(self, message: FetchFailed) -> None:
        self.ensure_footer()
        error = message.error
        if message.resource == "run":
            if isinstance(error, NotFound) and message.subject:
                self.state.not_found_runs.add(message.subject)
                self.state.pinned_runs[message.subject] = _placeholder_run(
                    message.subject, "not found", self.clock()
                )
                self._render_runs()
            return
        self._mark_failed(message.resource, error)
        if message.resource == "invocations" and isinstance(error, NotFound):
            self.state.not_found_runs.add(message.subject or "")
        if message.resource == "detail" and message.subject == self.state.selected_invocation_id:
            self._render_detail()
        self._render_titles()

    # -- selection -----------------------------------------------------------------------

    def _selected_left(self) -> str | None:
        return self.state.selected_run_id

    def _select_left(self, key: str) -> None:
        self._select_run(key)

    def _select_run(self, run_id: str) -> None:
        self.state.selected_run_id = run_id
        self.state.invocations = {}
        self.state.invocations_complete = False
        self.state.selected_invocation_id = None
        self.fresh["invocations"] = Freshness()
        self._render_table()
        self.detail.show_message("Select an invocation to see its detail.")
        self._start_invocations()
        self._render_titles()
        if GC_POLICY.frozen_for_rows:  # the old rows are gone once the old poll stops
            self.set_timer(1.0, GC_POLICY.released)

    def _start_invocations(self) -> None:
        if self.state.selected_run_id:
            self.poll_invocations(self.state.selected_run_id, self.state.query)

    def _select_invocation(self, invocation_id: str | None) -> None:
        if invocation_id is None or invocation_id == self.state.selected_invocation_id:
            return
        self.state.selected_invocation_id = invocation_id
        self.fresh["detail"] = Freshness()
        self._render_detail()
        self.follow_invocation(invocation_id)

    # -- rendering from state ------------------------------------------------------------

    def _ordered_runs(self) -> list[RunSummary]:
        listed = {run.id: run for run in self.state.runs}
        pinned = [listed.get(rid, self.state.pinned_runs.get(rid)) for rid in self.pinned]
        rest = [run for run in self.state.runs if run.id not in self.state.pinned_runs]
        return [run for run in pinned if run is not None] + rest

    def _render_runs(self) -> None:
        counts = {}
        if self.state.selected_run_id and self.state.invocations_complete:
            counts[self.state.selected_run_id] = len(self.state.invocations)
        self.run_list.show(self._ordered_runs(), set(self.pinned), self.clock(), counts)

    def _visible_invocations(self) -> dict[str, InvocationSummary]:
        """The rows the table shows, by id in order (the state's own dict when unfiltered)."""
        needle = self.state.text_filter.lower()
        if not needle:
            return self.state.invocations
        out = {}
        for key, inv in self.state.invocations.items():
            haystack = " ".join(
                (
                    inv.id,
                    raw_value(inv.action),
                    raw_value(inv.status),
                    inv.error.code or "" if inv.error else "",
                    inv.error.message if inv.error else "",
                )
            ).lower()
            if needle in haystack:
                out[key] = inv
        return out

    def _render_table(self, dirty: set[str] | None = None) -> None:
        """Show the visible invocations; ``dirty`` limits the rows rebuilt (None: all)."""
        if self.state.text_filter or self.options.naive_baseline:
            dirty = None  # the filter decides which rows exist: rebuild the order
        self.table.show(self._visible_invocations(), self.state.progress, self.clock(), dirty)
        selected = self.state.selected_invocation_id
        if selected is not None and self.table.row_count and not self.table.shows(selected):
            # A filter hid the selected invocation: the detail follows the cursor's row.
            self._select_invocation(self.table.selected_key)
        self._render_titles()

    def _render_detail(self) -> None:
        inv_id = self.state.selected_invocation_id
        if inv_id is None:
            self.detail.show_message("Select an invocation to see its detail.")
            return
        note = None
        fresh = self.fresh["detail"]
        if fresh.error is not None:
            note = fresh.error.describe()
        self.detail.show(
            self.state.details.get(inv_id), self.state.fulls.get(inv_id), self.clock(), note
        )
        self._render_titles()

    def _tick(self) -> None:
        """Once a second: freshness clocks, ticking durations of live rows."""
        now = self.clock()
        # Only rows on screen tick: an off-screen row is built when it scrolls into view.
        rows = self.state.invocations
        on_screen = (rows.get(key) for key in self.table.visible_keys())
        live = [inv for inv in on_screen if inv is not None and not inv.terminal]
        if live:
            self.table.sync_rows(
                [self.table.row(inv, self.state.progress.get(inv.id), now) for inv in live]
            )
        selected = self.state.selected_invocation_id
        if selected:
            record = self.state.fulls.get(selected) or self.state.details.get(selected)
            if record is not None and not record.terminal:
                self._render_detail()
        self._render_titles()

    def _render_titles(self) -> None:
        state = self.state
        runs_pane = self.query_one("#runs-pane")
        count = len(self._ordered_runs())
        set_title(runs_pane, Text(f"Runs ({count})"))
        set_subtitle(runs_pane, Text(self._freshness("runs")))

        inv_pane = self.query_one("#invocations-pane")
        title = "Invocations"
        if state.selected_run_id:
            title += f" · run {short_id(state.selected_run_id)}"
        if state.query.status:
            label = "failures" if state.query.status == FAILURES else ",".join(state.query.status)
            title += f" · status: {label}"
        if state.query.action:
            title += f" · action: {','.join(state.query.action)}"
        if state.text_filter:
            title += f" · /{safe(state.text_filter, limit=20)}"
        set_title(inv_pane, Text(title))
        if state.selected_run_id in state.not_found_runs:
            sub = "run not found (run.not_found)"
        elif state.selected_run_id is None:
            sub = "no run selected"
        else:
            sub = self._rows_subtitle(
                len(state.invocations),
                complete=state.invocations_complete,
                filtered=bool(state.query.status or state.query.action),
                empty=" in this run",
            )
        set_subtitle(inv_pane, Text(sub))

        selected = state.selected_invocation_id
        record = (state.fulls.get(selected) or state.details.get(selected)) if selected else None
        self._render_detail_titles(
            selected, final=record is not None and record.terminal, how="long-poll"
        )

        self._render_status_bar()

    # -- actions -------------------------------------------------------------------------

    def _panes(self) -> list[Widget]:
        return [self.run_list, self.table, self.detail]

    def _focus_pane(self, index: int) -> None:
        if index == 2:
            items = self.detail.step_items
            failed = [item for item in items if item.failed]
            (failed[0] if failed else self.detail).focus()
        else:
            self._panes()[index].focus()

    def action_drill(self) -> None:
        """Run list → invocation table → detail; on a failed step, expand it."""
        pane = self._current_pane()
        if pane == 0:
            self.table.focus()
        elif pane == 1:
            self._select_invocation(self.table.selected_key)
            self._focus_pane(2)
        elif isinstance(self.focused, StepItem):
            self.focused.action_expand()

    def _collapse_focused(self) -> bool:
        focused = self.focused
        if isinstance(focused, StepItem) and focused.expanded:
            focused.expanded = False
            return True
        return False

    def _jump_failure(self, forward: bool) -> None:
        if self._current_pane() == 2:
            if not self.detail.focus_failed_step(forward):
                self.notify("No failed step in this invocation.", markup=False)
            return
        super()._jump_failure(forward)

    def _failed_keys(self) -> set[str]:
        return {inv.id for inv in self.state.invocations.values() if inv.failed}

    def _set_query(self, query: Query) -> None:
        self.state.query = query
        self.state.invocations = {}
        self.state.invocations_complete = False
        self.fresh["invocations"] = Freshness()
        self._render_table()
        self._start_invocations()

    def action_failures_only(self) -> None:
        """Toggle showing failed, timed out and cancelled invocations only."""
        status = () if self.state.query.status == FAILURES else FAILURES
        self._set_query(Query(status=status, action=self.state.query.action))

    def action_cycle_status(self) -> None:
        """Cycle the server-side status filter."""
        current = self.state.query.status
        index = STATUS_CYCLE.index(current) if current in STATUS_CYCLE else 0
        status = STATUS_CYCLE[(index + 1) % len(STATUS_CYCLE)]
        self._set_query(Query(status=status, action=self.state.query.action))

    def action_cycle_action(self) -> None:
        """Cycle the server-side action filter."""
        current = self.state.query.action
        index = ACTION_CYCLE.index(current) if current in ACTION_CYCLE else 0
        action = ACTION_CYCLE[(index + 1) % len(ACTION_CYCLE)]
        self._set_query(Query(status=self.state.query.status, action=action))

    def action_expand_all(self) -> None:
        """Expand every failed step's diagnostic."""
        self.detail.expand_all()

    def action_copy_id(self) -> None:
        """Copy the selected id to the clipboard (OSC 52: works over SSH and tmux)."""
        value = self._selected_id()
        if not value:
            self.notify("Nothing selected to copy.", markup=False)
            return
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied {value}", title="Copied", markup=False)

    def _selected_id(self) -> str | None:
        if self._current_pane() == 0:
            return self.run_list.selected_key
        return self.state.selected_invocation_id

    def copy_choices(self) -> list[CopyChoice]:
        """What ``y`` offers for the current selection."""
        base = self.client.base_url
        key_env = self.options.key_env
        if self._current_pane() == 0 or self.state.selected_invocation_id is None:
            run_id = self.run_list.selected_key or self.state.selected_run_id
            if not run_id:
                return []
            run = next((r for r in self._ordered_runs() if r.id == run_id), None)
            choices: list[CopyChoice] = [("Run id", run_id)]
            if run is not None:
                choices.append(("Run as JSON", run.model_dump_json(by_alias=True, indent=2)))
            url = f"{base}/v1/runs/{run_id}/invocations"
            choices.append(("curl for this run's invocations", curl_command(url, key_env)))
            return choices
        inv_id = self.state.selected_invocation_id
        record = self.state.record(inv_id)
        choices = [("Invocation id", inv_id)]
        error = self._error_text(inv_id)
        if error:
            choices.append(("Error text", error))
        if record is not None:
            choices.append(("Invocation as JSON", record.model_dump_json(by_alias=True, indent=2)))
        choices.append(
            ("curl for this invocation", curl_command(f"{base}/v2/invocations/{inv_id}", key_env))
        )
        return choices

    def _error_text(self, inv_id: str) -> str:
        record = self.state.record(inv_id)
        lines: list[str] = []
        if record is not None and record.error is not None:
            lines.append(" · ".join(p for p in (record.error.code, record.error.message) if p))
        full = self.state.fulls.get(inv_id)
        if full is not None and full.result is not None:
            for step in full.result.failed_steps:
                lines.append(f"step {step.index} {step.call}: {raw_value(step.error.code)}")
                lines.append(f"  {step.error.message}")
                if step.error.hint:
                    lines.append(f"  hint: {step.error.hint}")
                diag = step.error.diagnostic
                if diag is not None and diag.docs_url:
                    lines.append(f"  docs: {diag.docs_url}")
        return "\n".join(lines)

    def docs_url(self) -> str | None:
        """The docs URL of the focused failed step, else of the first failed step."""
        focused = self.focused
        items = self.detail.step_items
        ordered = ([focused] if isinstance(focused, StepItem) else []) + items
        for item in ordered:
            if isinstance(item, StepItem) and item.docs_url:
                return item.docs_url
        return None

    def action_open_docs(self) -> None:
        """Open a diagnostic's docs URL in a local browser, or show and copy it."""
        url = self.docs_url()
        if url is None:
            self.notify("No docs link in this invocation.", markup=False)
            return
        if open_url(url):
            self.notify(f"Opened {url}", title="Browser", markup=False)
            return
        from tui.screens.copy_screen import CopyScreen

        self.app.push_screen(
            CopyScreen([("Docs URL", url)], title="No local browser: URL copied", copy_first=True)
        )

    def action_toggle_pin(self) -> None:
        """Pin or unpin the selected run (pins are remembered between sessions)."""
        run_id = self.run_list.selected_key or self.state.selected_run_id
        if not run_id:
            return
        if run_id in self.pinned:
            self.pinned.remove(run_id)
            self.state.pinned_runs.pop(run_id, None)
            self.notify(f"Unpinned run {short_id(run_id)}", markup=False, timeout=2)
        else:
            self.pinned.append(run_id)
            run = next((r for r in self.state.runs if r.id == run_id), None)
            if run is not None:
                self.state.pinned_runs[run_id] = run
            self.notify(f"Pinned run {short_id(run_id)}", markup=False, timeout=2)
        self._render_runs()
        self.run_list.select_key(run_id)

    def memory(self) -> ViewerMemory:
        """What to remember for the next session."""
        return ViewerMemory(
            pinned=list(self.pinned),
            status=list(self.state.query.status),
            action=list(self.state.query.action),
            text_filter=self.state.text_filter,
            interval=self.interval,
        )

    def action_refresh_now(self) -> None:
        """Refresh every pane now (also while paused), re-reading every page."""
        self._full_refresh = True
        self._refresh_runs.set()
        self._refresh_invocations.set()
        for fresh in self.fresh.values():
            fresh.next_retry_at = None
        selected = self.state.selected_invocation_id
        if selected and self.fresh["detail"].error is not None:
            self.follow_invocation(selected)


def _placeholder_run(run_id: str, note: str, now: float) -> RunSummary:
    """A row for a pinned run the server has not (yet) described."""
    return RunSummary.model_construct(
        id=run_id,
        runtime_id="",
        runtime_type=None,
        space_id=None,
        status=UnknownValue(note) if note else RunStatus.ACTIVE,
        created_at=datetime.fromtimestamp(now, UTC),
        duration_seconds=None,
        counts=None,
        started_at=None,
        finished_at=None,
        failure=None,
    )
