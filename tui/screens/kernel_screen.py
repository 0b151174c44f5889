"""Kernel in the viewer: apps (by version) in the left pane, the app's invocations in the
table, and the selected invocation's fields with its live log from the event stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget

from tui.api.errors import ApiError
from tui.api.kernel import KernelClient
from tui.api.kernel_models import (
    ErrorEvent,
    HeartbeatEvent,
    KernelInvocation,
    KernelStatus,
    LogEvent,
    StateEvent,
)
from tui.api.streams import LogCursor
from tui.config import ViewerMemory
from tui.format import raw_value, safe
from tui.links import curl_command
from tui.messages import (
    FetchFailed,
    FetchSucceeded,
    KernelGroupsFetched,
    KernelRowsFetched,
    KernelStateFetched,
    LogLinesFetched,
)
from tui.options import ViewerOptions
from tui.screens.copy_screen import CopyChoice
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
from tui.widgets.kernel_widgets import (
    AppGroup,
    AppList,
    KernelDetail,
    KernelTable,
    LogPane,
    log_line,
    split_group,
    summarise,
)

PAGE = 100
GROUP_PAGES = 3  # the newest 300 invocations name the apps and their versions
TABLE_PAGES = 5  # up to 500 invocations of one app version
STATUS_CYCLE: list[str] = [""] + [s.value for s in KernelStatus]


@dataclass
class KernelState(LiveState):
    """Everything the Kernel screen knows; widgets only ever render from it."""

    groups: dict[str, AppGroup] = field(default_factory=dict)
    selected_group: str | None = None
    invocations: dict[str, KernelInvocation] = field(default_factory=dict)
    complete: bool = False
    selected_invocation_id: str | None = None
    status: str = ""
    action: str = ""
    records: dict[str, KernelInvocation] = field(default_factory=dict)
    """The newest record of each invocation seen (list rows or stream states)."""
    logs: dict[str, list[str]] = field(default_factory=dict)
    cursors: dict[str, LogCursor] = field(default_factory=dict)
    logs_complete: set[str] = field(default_factory=set)
    actions: dict[str, set[str]] = field(default_factory=dict)
    """Actions seen per group, for the action filter."""

    @property
    def query(self) -> tuple[str, str]:
        return (self.status, self.action)


class KernelScreen(LiveScreen):
    """Kernel: apps by version, their invocations, and one invocation's live log."""

    PROVIDER = "kernel"
    BINDINGS: ClassVar[list[BindingType]] = [
        *HEAD_BINDINGS,
        Binding("y", "copy_menu", "Copy", show=False),
        Binding("P", "toggle_pin", "Pin", show=False),
        Binding("G", "follow_log", "Follow log", show=False),
        *TAIL_BINDINGS,
    ]

    HELP_KEYS: ClassVar[list[tuple[str, str]] | None] = [
        ("j / k, ↓ / ↑", "move the cursor (in the log: scroll)"),
        ("tab / shift+tab", "next / previous pane"),
        ("enter / l", "drill in: app → invocations → log"),
        ("esc / h", "back"),
        ("g / G", "top / bottom (G in the log: follow new lines again)"),
        ("n / N", "next / previous failed invocation"),
        ("F", "failed only"),
        ("s", "cycle the status filter (server side)"),
        ("a", "cycle the action filter through this app's actions (server side)"),
        ("/", "filter the table by text (esc clears)"),
        ("y", "copy menu: id, reason, JSON, log, curl (OSC 52 + selectable)"),
        ("P", "pin / unpin the selected app version at the top (remembered)"),
        ("p", "pause / resume polling (an open log keeps streaming)"),
        ("+ / -", "longer / shorter refresh interval"),
        ("r", "refresh now"),
        ("ctrl+p", "command palette: every action"),
        ("?", "this help"),
        ("q", "quit"),
    ]
    HELP_LEGEND: ClassVar[str | None] = (
        "Status badges: ◷ queued  ▶ running  ✔ succeeded  ✘ failed  ? unknown. "
        "Apps: ▶ while any invocation runs, else ✘ if any failed."
    )

    def __init__(
        self,
        client: KernelClient,
        *,
        options: ViewerOptions,
        source_label: str,
        clock: Clock,
    ) -> None:
        super().__init__(
            client,
            options=options,
            source_label=source_label,
            clock=clock,
            resources=("apps", "invocations", "detail"),
        )
        self.client: KernelClient = client
        # A remembered or profile filter may name a bctrl status: Kernel's are fewer.
        status = next((v for v in options.status if v in STATUS_CYCLE), "")
        self.state: KernelState = KernelState(
            status=status,
            action=options.action[0] if options.action else "",
            text_filter=options.text_filter,
        )
        self._refresh_groups = asyncio.Event()
        self._refresh_rows = asyncio.Event()
        # Pins are "app<US>version" keys (bctrl's run ids in the same memory are not).
        self.pinned = [key for key in dict.fromkeys(options.pinned) if "\x1f" in key]

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_panes(
            AppList(ascii_only=self.ascii_only, id="run-list"),
            KernelTable(ascii_only=self.ascii_only, id="invocation-table"),
            KernelDetail(ascii_only=self.ascii_only, id="kernel-detail"),
            "filter: text in action, id, status or reason (esc clears)",
        )

    @property
    def app_list(self) -> AppList:
        return self.query_one(AppList)

    @property
    def table(self) -> KernelTable:
        return self.query_one(KernelTable)

    @property
    def detail(self) -> KernelDetail:
        return self.query_one(KernelDetail)

    @property
    def log_pane(self) -> LogPane:
        return self.query_one(LogPane)

    def _panes(self) -> list[Widget]:
        return [self.app_list, self.table, self.log_pane]

    def _current_pane(self) -> int:
        if self.focused is not None and self.detail in self.focused.ancestors_with_self:
            return 2
        return super()._current_pane()

    def on_mount(self) -> None:
        self.filter_input.display = bool(self.state.text_filter)
        self.filter_input.value = self.state.text_filter
        self.detail.show_message("Select an invocation to see its detail and log.")
        self._render_titles()
        self.app_list.focus()
        self.poll_groups()
        self.set_interval(1.0, self._tick)

    def memory(self) -> ViewerMemory:
        """What to remember for the next session."""
        return ViewerMemory(
            pinned=list(self.pinned),
            status=[self.state.status] if self.state.status else [],
            action=[self.state.action] if self.state.action else [],
            text_filter=self.state.text_filter,
            interval=self.interval,
        )

    # -- workers: I/O only, results posted as messages ------------------------------------

    async def _pages(self, pages: int, **filters: str) -> list[KernelInvocation]:
        """Up to ``pages`` pages, each invocation once (offset pages shift as rows arrive)."""
        rows: dict[str, KernelInvocation] = {}
        read = 0
        async for page in self.client.iter_pages(limit=PAGE, **filters):
            read += 1
            for inv in page.data:
                rows.setdefault(inv.id, inv)
            if read >= pages:
                break
        return list(rows.values())

    @work(group="poll-runs", exclusive=True, exit_on_error=False)
    async def poll_groups(self) -> None:
        """Refresh the app list every interval from the newest invocations."""

        async def fetch() -> None:
            try:
                self.post_message(KernelGroupsFetched(await self._pages(GROUP_PAGES)))
            except ApiError as error:
                self.post_message(FetchFailed("apps", None, error))

        await self._poll(self._refresh_groups, "apps", fetch)

    @work(group="poll-invocations", exclusive=True, exit_on_error=False)
    async def poll_invocations(self, group: str, query: tuple[str, str]) -> None:
        """Poll one app version's invocations (with the status and action filters)."""
        await asyncio.sleep(0.05)  # let fast cursor moves settle before fetching
        app, version = split_group(group)
        status, action = query
        filters = {"app_name": app, "version": version}
        if status:
            filters["status"] = status
        if action:
            filters["action_name"] = action

        async def fetch() -> None:
            try:
                rows = await self._pages(TABLE_PAGES, **filters)
                self.post_message(KernelRowsFetched(group, query, rows))
            except ApiError as error:
                self.post_message(FetchFailed("invocations", group, error))

        await self._poll(self._refresh_rows, "invocations", fetch)

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def follow_invocation(self, invocation_id: str) -> None:
        """Stream the invocation's events: its log (resuming where the last stream of it got
        to, so nothing shows twice) and its state, until it is terminal."""
        if invocation_id in self.state.logs_complete:
            return  # a finished invocation's whole log is already here: never fetched again
        cursor = self.state.cursors.setdefault(invocation_id, LogCursor())
        await asyncio.sleep(0.08)  # debounce cursor movement
        failures = 0
        while True:
            try:
                async for event in self.client.follow_events(invocation_id, cursor):
                    failures = 0
                    if isinstance(event, LogEvent):
                        line = log_line(event.timestamp, event.message)
                        self.post_message(LogLinesFetched(invocation_id, [line]))
                    elif isinstance(event, StateEvent):
                        self.post_message(KernelStateFetched(event.invocation))
                    elif isinstance(event, ErrorEvent):
                        text = " · ".join(p for p in (event.error.code, event.error.message) if p)
                        line = log_line(event.timestamp, f"[stream error] {text}")
                        self.post_message(LogLinesFetched(invocation_id, [line]))
                    elif isinstance(event, HeartbeatEvent):
                        self.post_message(FetchSucceeded("detail"))
                self.post_message(LogLinesFetched(invocation_id, [], complete=True))
                return
            except ApiError as error:
                failures += 1
                if not await self._detail_failed(invocation_id, error, failures):
                    return

    # -- messages: the screen owns the state --------------------------------------------

    @on(KernelGroupsFetched)
    def _groups_fetched(self, message: KernelGroupsFetched) -> None:
        self._mark_ok("apps")
        fresh = summarise(message.invocations)
        for inv in message.invocations:
            self._remember(inv)
        groups = dict(self.state.groups)
        groups.update(fresh)
        selected = self.state.selected_group
        if selected and self.state.complete and not self.state.status and not self.state.action:
            groups[selected] = self._selected_summary(groups.get(selected))
        self.state.groups = dict(sorted(groups.items(), key=lambda kv: (kv[1].app, kv[1].version)))
        self.app_list.show(self.state.groups.values(), self.pinned)
        if self.state.selected_group is None and self.app_list.row_count:
            key = self.app_list.selected_key
            if key:
                self._select_group(key)
        self._render_titles()

    def _selected_summary(self, group: AppGroup | None) -> AppGroup:
        app, version = split_group(self.state.selected_group or "")
        summary = summarise(self.state.invocations.values()).get(
            self.state.selected_group or "", AppGroup(app, version)
        )
        if group is not None:
            summary.newest = max(summary.newest, group.newest)
        return summary

    @on(KernelRowsFetched)
    def _rows_fetched(self, message: KernelRowsFetched) -> None:
        if message.group != self.state.selected_group or message.query != self.state.query:
            return  # a late answer for a selection the user already left
        self._mark_ok("invocations")
        self.call_after_refresh(self.ensure_footer)  # the first rows are drawn first
        old = self.state.invocations
        rows = {inv.id: inv for inv in message.invocations}
        for inv in message.invocations:
            self._remember(inv)
        # Stream states may be newer than a list row: keep whichever is further along.
        for key, inv in rows.items():
            known = self.state.records.get(key)
            if known is not None and known.terminal and not inv.terminal:
                rows[key] = known
        dirty = {k for k, inv in rows.items() if old.get(k) != inv}
        structural = list(rows) != [k for k in old if k in rows] or len(rows) != len(old)
        self.state.invocations = rows
        self.state.complete = True
        self.state.actions.setdefault(message.group, set()).update(
            inv.action_name for inv in rows.values()
        )
        if not self.state.status and not self.state.action:
            self.state.groups[message.group] = self._selected_summary(
                self.state.groups.get(message.group)
            )
            self.app_list.show(self.state.groups.values(), self.pinned)
        self._render_table(None if structural else dirty)
        selected = self.state.selected_invocation_id
        if selected is None and self.table.row_count and self.focused is not self.app_list:
            self._select_invocation(self.table.selected_key)
        elif selected is not None and selected in dirty:
            self._render_detail()

    @on(KernelStateFetched)
    def _state_fetched(self, message: KernelStateFetched) -> None:
        inv = message.invocation
        self._remember(inv)
        self._mark_ok("detail")
        if inv.id in self.state.invocations and self.state.invocations[inv.id] != inv:
            self.state.invocations[inv.id] = inv
            self._render_table({inv.id})
        if inv.id == self.state.selected_invocation_id:
            self._render_detail()

    @on(LogLinesFetched)
    def _log_lines(self, message: LogLinesFetched) -> None:
        inv_id = message.invocation_id
        lines = self.state.logs.setdefault(inv_id, [])
        lines.extend(message.lines)
        if message.complete:
            self.state.logs_complete.add(inv_id)
        if inv_id == self.state.selected_invocation_id:
            pane = self.log_pane
            if pane.shown_for != inv_id:
                pane.reset(inv_id, lines)
            else:
                pane.append(message.lines)
            self._render_log_title()
            if message.complete:
                self._render_titles()

    @on(FetchFailed)
    def _fetch_failed(self, message: FetchFailed) -> None:
        self.ensure_footer()
        self._mark_failed(message.resource, message.error)
        if message.resource == "detail" and message.subject == self.state.selected_invocation_id:
            self._render_detail()
        self._render_titles()

    def _remember(self, inv: KernelInvocation) -> None:
        """Keep the newest record; a live-to-finished change rings (once: a terminal record
        is never replaced by a live one)."""
        previous = self.state.records.get(inv.id)
        if previous is not None and previous.terminal and not inv.terminal:
            return  # a stale list row: terminal never goes back
        self.state.records[inv.id] = inv
        finished = previous is not None and not previous.terminal and inv.terminal
        group = self.state.selected_group
        watched = inv.id == self.state.selected_invocation_id or (
            group is not None and inv.group == split_group(group)
        )
        if finished and watched:
            self._announce_finish(inv.id, raw_value(inv.status), failed=inv.failed)

    # -- selection -----------------------------------------------------------------------

    def _selected_left(self) -> str | None:
        return self.state.selected_group

    def _select_left(self, key: str) -> None:
        self._select_group(key)

    def _select_group(self, group: str) -> None:
        self.state.selected_group = group
        self._reset_rows()

    def _reset_rows(self) -> None:
        self.state.invocations = {}
        self.state.complete = False
        self.state.selected_invocation_id = None
        self.fresh["invocations"] = Freshness()
        self._render_table()
        self.detail.show_message("Select an invocation to see its detail and log.")
        if self.state.selected_group:
            self.poll_invocations(self.state.selected_group, self.state.query)
        self._render_titles()

    def _select_invocation(self, invocation_id: str | None) -> None:
        if invocation_id is None or invocation_id == self.state.selected_invocation_id:
            return
        self.state.selected_invocation_id = invocation_id
        self.fresh["detail"] = Freshness()
        self.log_pane.reset(invocation_id, self.state.logs.get(invocation_id, []))
        self._render_detail()
        self.follow_invocation(invocation_id)

    # -- rendering from state ------------------------------------------------------------

    def _visible(self) -> list[KernelInvocation]:
        needle = self.state.text_filter.lower()
        rows = list(self.state.invocations.values())
        if not needle:
            return rows
        return [
            inv
            for inv in rows
            if needle
            in " ".join(
                (inv.id, inv.action_name, raw_value(inv.status), inv.status_reason or "")
            ).lower()
        ]

    def _render_table(self, dirty: set[str] | None = None) -> None:
        if self.state.text_filter:
            dirty = None
        self.table.show(self._visible(), self.clock(), dirty)
        selected = self.state.selected_invocation_id
        if selected is not None and self.table.row_count and not self.table.shows(selected):
            self._select_invocation(self.table.selected_key)
        self._render_titles()

    def _render_detail(self) -> None:
        inv_id = self.state.selected_invocation_id
        record = self.state.records.get(inv_id) if inv_id else None
        if record is None:
            self.detail.show_message("Select an invocation to see its detail and log.")
            return
        fresh = self.fresh["detail"]
        note = fresh.error.describe() if fresh.error is not None else None
        self.detail.show(record, self.clock(), note)
        self._render_log_title()
        self._render_titles()

    def _render_log_title(self) -> None:
        inv_id = self.state.selected_invocation_id
        pane = self.log_pane
        if inv_id is None:
            set_title(pane, Text("log"))
            return
        count = len(self.state.logs.get(inv_id, []))
        cursor = self.state.cursors.get(inv_id)
        if inv_id in self.state.logs_complete:
            where = "complete"
        elif pane.is_vertical_scroll_end or not pane.max_scroll_y:
            where = "following"
        else:
            where = "scrolled back · G follows"
        reconnects = f" · resumed x{cursor.reconnects}" if cursor and cursor.reconnects else ""
        set_title(pane, Text(f"log · {count} line{'s' * (count != 1)} · {where}{reconnects}"))

    def _tick(self) -> None:
        """Once a second: ticking durations of live rows, freshness clocks."""
        now = self.clock()
        # Only rows on screen tick: an off-screen row is built when it scrolls into view.
        rows = self.state.invocations
        on_screen = (rows.get(key) for key in self.table.visible_keys())
        live = [inv for inv in on_screen if inv is not None and not inv.terminal]
        if live:
            self.table.sync_rows([self.table.row(inv, now) for inv in live])
        selected = self.state.selected_invocation_id
        record = self.state.records.get(selected) if selected else None
        if record is not None and not record.terminal:
            self._render_detail()
        elif selected:
            self._render_log_title()
        self._render_titles()

    def _render_titles(self) -> None:
        state = self.state
        runs_pane = self.query_one("#runs-pane")
        set_title(runs_pane, Text(f"Apps ({len(state.groups)})"))
        set_subtitle(runs_pane, Text(self._freshness("apps")))

        inv_pane = self.query_one("#invocations-pane")
        title = "Invocations"
        if state.selected_group:
            app, version = split_group(state.selected_group)
            title += f" · {safe(app, limit=24)} {safe(version, limit=16)}"
        if state.status:
            title += f" · status: {state.status}"
        if state.action:
            title += f" · action: {safe(state.action, limit=20)}"
        if state.text_filter:
            title += f" · /{safe(state.text_filter, limit=20)}"
        set_title(inv_pane, Text(title))
        if state.selected_group is None:
            sub = "no app selected"
        else:
            sub = self._rows_subtitle(
                len(state.invocations),
                complete=state.complete,
                filtered=bool(state.status or state.action),
            )
        set_subtitle(inv_pane, Text(sub))

        selected = state.selected_invocation_id
        self._render_detail_titles(
            selected, final=selected in state.logs_complete, how="event stream"
        )
        self._render_status_bar()

    # -- actions -------------------------------------------------------------------------

    def action_drill(self) -> None:
        """App list → invocation table → log."""
        pane = self._current_pane()
        if pane == 0:
            self.table.focus()
        elif pane == 1:
            self._select_invocation(self.table.selected_key)
            self.log_pane.focus()

    def _failed_keys(self) -> set[str]:
        return {k for k, inv in self.state.invocations.items() if inv.failed}

    def _set_query(self, status: str, action: str) -> None:
        self.state.status, self.state.action = status, action
        self._reset_rows()

    def action_failures_only(self) -> None:
        """Toggle showing failed invocations only."""
        self._set_query("" if self.state.status == "failed" else "failed", self.state.action)

    def action_cycle_status(self) -> None:
        """Cycle the server-side status filter."""
        current = self.state.status if self.state.status in STATUS_CYCLE else ""
        status = STATUS_CYCLE[(STATUS_CYCLE.index(current) + 1) % len(STATUS_CYCLE)]
        self._set_query(status, self.state.action)

    def action_cycle_action(self) -> None:
        """Cycle the server-side action filter through the actions this app has run."""
        seen = sorted(self.state.actions.get(self.state.selected_group or "", set()))
        cycle = ["", *seen]
        current = self.state.action if self.state.action in cycle else ""
        self._set_query(self.state.status, cycle[(cycle.index(current) + 1) % len(cycle)])

    def action_toggle_pin(self) -> None:
        """Pin or unpin the selected app version (pins are remembered between sessions)."""
        key = self.app_list.selected_key or self.state.selected_group
        if not key:
            return
        app, version = split_group(key)
        label = f"{safe(app, limit=30)} {safe(version, limit=20)}"
        if key in self.pinned:
            self.pinned.remove(key)
            self.notify(f"Unpinned {label}", markup=False, timeout=2)
        else:
            self.pinned.append(key)
            self.notify(f"Pinned {label}", markup=False, timeout=2)
        self.app_list.show(self.state.groups.values(), self.pinned)
        self.app_list.select_key(key)

    def action_follow_log(self) -> None:
        """Jump to the end of the log and stick to it again."""
        self.log_pane.scroll_end(animate=False)
        self._render_log_title()

    def copy_choices(self) -> list[CopyChoice]:
        """What ``y`` offers for the selected invocation."""
        inv_id = self.state.selected_invocation_id
        if inv_id is None:
            return []
        record = self.state.records.get(inv_id)
        url = f"{self.client.base_url}/invocations/{inv_id}"
        choices: list[CopyChoice] = [("Invocation id", inv_id)]
        if record is not None and record.status_reason:
            choices.append(("Status reason", safe(record.status_reason)))
        if record is not None:
            choices.append(("Invocation as JSON", record.model_dump_json(indent=2)))
        lines = self.state.logs.get(inv_id)
        if lines:
            choices.append((f"Log ({len(lines)} lines)", "\n".join(lines)))
        choices.append(("curl for this invocation", curl_command(url, self.options.key_env)))
        choices.append(
            ("curl for its event stream", curl_command(url + "/events", self.options.key_env))
        )
        return choices

    def action_refresh_now(self) -> None:
        """Refresh every pane now (also while paused)."""
        self._refresh_groups.set()
        self._refresh_rows.set()
        for fresh in self.fresh.values():
            fresh.next_retry_at = None
        selected = self.state.selected_invocation_id
        if selected and self.fresh["detail"].error is not None:
            self.follow_invocation(selected)
