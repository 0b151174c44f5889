"""What every provider's screen shares: freshness and connection state, the status bar,
backoff between polls, finish notifications, pane focus, pause and interval keys.

A provider's screen (bctrl's :class:`~tui.screens.main_screen.MainScreen`, Kernel's
:class:`~tui.screens.kernel_screen.KernelScreen`) subclasses :class:`LiveScreen`, names its
three panes, and fetches through its own client; nothing here knows which API is behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.api.errors import ApiError, Forbidden, NotFound, RateLimited, Unauthorized
from tui.api.http import HttpApi
from tui.api.text import short_id
from tui.format import clock_time, duration, safe
from tui.leaks import prune_closed_watchers
from tui.messages import FetchFailed, FetchSucceeded
from tui.options import ViewerOptions
from tui.widgets.footer import Footer
from tui.widgets.keyed_table import KeyedTable

if TYPE_CHECKING:
    from tui.config import ViewerMemory
    from tui.screens.copy_screen import CopyChoice

MIN_WIDTH, MIN_HEIGHT = 60, 15
WIDE_WIDTH = 160
SHORT_HEIGHT = 30
Clock = Callable[[], float]


# The keys both viewers share, in footer order; each screen puts its own between them.
HEAD_BINDINGS: list[BindingType] = [
    Binding("tab", "next_pane", "Pane", show=False),
    Binding("shift+tab", "previous_pane", "Pane", show=False),
    Binding("l", "drill", "Open", show=False),
    Binding("escape,h", "back", "Back", show=False),
    Binding("n", "next_failure", "Next fail", key_display="n/N"),
    Binding("N", "previous_failure", "Prev fail", show=False),
    Binding("F", "failures_only", "Failures"),
    Binding("s", "cycle_status", "Status"),
    Binding("a", "cycle_action", "Action"),
    Binding("slash", "start_filter", "Filter", key_display="/"),
]
TAIL_BINDINGS: list[BindingType] = [
    Binding("p", "toggle_pause", "Pause"),
    Binding("plus,equals_sign", "slower", "Interval+", show=False),
    Binding("minus", "faster", "Interval-", show=False),
    Binding("r", "refresh_now", "Refresh"),
]


@dataclass
class LiveState:
    """What every screen's state has: the invocation table's text filter."""

    text_filter: str = ""


@dataclass
class Freshness:
    """When a resource last succeeded and how its latest attempts went."""

    updated_at: float | None = None
    error: ApiError | None = None
    failures: int = 0
    next_retry_at: float | None = None


class LiveScreen(Screen[None]):
    """Three panes polled live; subclasses fetch, this keeps the clocks and the status bar."""

    PROVIDER: ClassVar[str] = "api"
    # Each screen lists all its bindings itself, in the order its footer shows them.
    BINDINGS: ClassVar[list[BindingType]] = []
    HELP_KEYS: ClassVar[list[tuple[str, str]] | None] = None
    """What ``?`` lists (None: the bctrl viewer's keys)."""
    HELP_LEGEND: ClassVar[str | None] = None

    def __init__(
        self,
        client: HttpApi,
        *,
        options: ViewerOptions,
        source_label: str,
        clock: Clock,
        resources: tuple[str, ...] = ("runs", "invocations", "detail"),
    ) -> None:
        super().__init__()
        self.client = client
        self.options = options
        self.source_label = source_label
        self.clock = clock
        self.ascii_only = options.ascii_only
        self.paused = False
        self.interval = options.interval
        self.fresh: dict[str, Freshness] = {name: Freshness() for name in resources}
        self._rng = random.Random()
        self.state: LiveState = LiveState()
        self._footer_mounted = False

    # -- what subclasses provide ---------------------------------------------------------

    def _panes(self) -> list[Widget]:
        """The three panes, left to right / top to bottom."""
        raise NotImplementedError

    @property
    def table(self) -> KeyedTable:
        """The invocation table (the middle pane)."""
        raise NotImplementedError

    def _render_table(self, dirty: set[str] | None = None) -> None:
        """Show the state's invocations in the table (``dirty``: only those rows changed)."""
        raise NotImplementedError

    def _failed_keys(self) -> set[str]:
        """The invocations that failed, for ``n`` / ``N``."""
        raise NotImplementedError

    def copy_choices(self) -> list[CopyChoice]:
        """What ``y`` offers for the current selection."""
        raise NotImplementedError

    def _selected_left(self) -> str | None:
        """The key selected in the left pane (a run, an app version)."""
        raise NotImplementedError

    def _select_left(self, key: str) -> None:
        """Select ``key`` in the left pane: the table follows it."""
        raise NotImplementedError

    def _select_invocation(self, invocation_id: str | None) -> None:
        """Show ``invocation_id`` in the detail (and follow it while it is live)."""
        raise NotImplementedError

    def action_drill(self) -> None:
        """Left pane → table → detail."""
        raise NotImplementedError

    def memory(self) -> ViewerMemory:
        """What to remember for the next session (pins, filters, interval)."""
        raise NotImplementedError

    def _collapse_focused(self) -> bool:
        """Collapse what has focus inside the detail, if anything (True when it did)."""
        return False

    def _render_titles(self) -> None:
        """Redraw pane titles and the status bar from state."""
        self._render_status_bar()

    def refresh_titles(self) -> None:
        """Redraw pane titles, freshness and the status bar from state."""
        self._render_titles()

    # -- layout --------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        width, height = event.size
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")
        self.set_class(width >= WIDE_WIDTH, "-wide")
        self.set_class(height < SHORT_HEIGHT, "-short")

    def ensure_footer(self) -> None:
        """Mount the key footer, once: after the first rows are on screen (or a first
        failure, or a second). Its key widgets cost ~50 ms of styling, which would otherwise
        come before the first frame with data."""
        if self._footer_mounted or not self.is_attached:
            return
        self._footer_mounted = True
        self.mount(Footer())

    def on_mount(self) -> None:
        self.set_timer(1.0, self.ensure_footer)
        self.set_interval(5.0, self._release_closed_widgets)

    def on_unmount(self) -> None:
        remember = getattr(self.app, "remember", None)
        if callable(remember):
            remember(self.memory())

    def _release_closed_widgets(self) -> None:
        """Let removed widgets go that the app's reactives still watch from (the copy
        menu's text area watches the theme): see :mod:`tui.leaks`."""
        prune_closed_watchers(self.app)
        prune_closed_watchers(self)

    def compose_panes(
        self, left: Widget, table: Widget, detail: Widget, filter_hint: str
    ) -> ComposeResult:
        """The layout both viewers share: status bar; the left pane; the table (with its
        text filter) over the detail; the too-small notice."""
        yield Static(id="status-bar")
        with Horizontal(id="panes"):
            with Vertical(id="runs-pane", classes="pane"):
                yield left
            with Vertical(id="right-column"):
                with Vertical(id="invocations-pane", classes="pane"):
                    yield table
                    yield Input(placeholder=filter_hint, id="filter-input")
                with Vertical(id="detail-pane", classes="pane"):
                    yield detail
        yield self.too_small()

    def too_small(self) -> Static:
        """The notice shown instead of the panes in a tiny terminal."""
        return Static(
            Text(f"Terminal too small for runwatch.\nMake it at least {MIN_WIDTH}x{MIN_HEIGHT}."),
            id="too-small",
        )

    # -- polling clocks ------------------------------------------------------------------

    async def _poll(
        self, refresh: asyncio.Event, resource: str, fetch: Callable[[], Awaitable[None]]
    ) -> None:
        """``fetch`` now, then once an interval while not paused (or when ``refresh`` is
        set), backing off while ``resource`` fails. One loop per resource: never overlapping."""
        first = True
        while True:
            if first or not self.paused or refresh.is_set():
                await fetch()
            first = False
            await self._sleep_until_refresh(refresh, resource)

    async def _sleep_until_refresh(self, event: asyncio.Event, resource: str) -> None:
        """Wait one interval, or back off (honouring Retry-After) while ``resource`` fails."""
        fresh = self.fresh[resource]
        delay = self.interval
        if fresh.failures:
            retry_after = fresh.error.retry_after if isinstance(fresh.error, RateLimited) else None
            backoff = min(30.0, self.interval * 2 ** min(fresh.failures - 1, 5))
            delay = max(retry_after or 0.0, backoff * (0.75 + self._rng.random() / 2))
            fresh.next_retry_at = self.clock() + delay
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=delay)
        event.clear()

    async def _detail_failed(self, invocation_id: str, error: ApiError, failures: int) -> bool:
        """Report a failed detail fetch and wait before the next try; False: give up (the
        key was rejected or the invocation is gone, so retrying cannot help)."""
        self.post_message(FetchFailed("detail", invocation_id, error))
        if isinstance(error, NotFound | Unauthorized | Forbidden):
            return False
        await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
        return True

    def _mark_ok(self, resource: str) -> None:
        fresh = self.fresh[resource]
        fresh.updated_at = self.clock()
        fresh.error = None
        fresh.failures = 0
        fresh.next_retry_at = None

    @on(FetchSucceeded)
    def _fetch_succeeded(self, message: FetchSucceeded) -> None:
        self._mark_ok(message.resource)

    def _mark_failed(self, resource: str, error: ApiError) -> None:
        fresh = self.fresh[resource]
        fresh.error = error
        fresh.failures += 1

    def _announce_finish(self, invocation_id: str, status: str, *, failed: bool) -> None:
        self.app.bell()
        self.notify(
            f"Invocation {short_id(invocation_id)} {status.replace('_', ' ')}",
            title="Invocation finished",
            severity="error" if failed else "information",
            markup=False,
        )

    def _freshness(self, resource: str) -> str:
        fresh = self.fresh[resource]
        now = self.clock()
        if fresh.updated_at is None:
            text = "loading…" if fresh.error is None else "no data yet"
        elif (
            fresh.error is None
            and not self.paused
            and now - fresh.updated_at < max(2 * self.interval, self.interval + 3)
        ):
            # Fresh data says so without a ticking number: an idle screen stays still.
            text = "up to date"
        else:
            text = f"updated {duration(now - fresh.updated_at)} ago"
        if fresh.error is not None:
            text += " · " + fresh.error.describe(short=True)
            if fresh.next_retry_at is not None:
                text += f" · retry in {max(0, round(fresh.next_retry_at - now))}s"
        return text

    def connection_state(self) -> str:
        """LIVE, RETRYING (attempt n, next in s) or OFFLINE (showing data from hh:mm:ss)."""
        errors = [f for f in self.fresh.values() if f.error is not None]
        held = self.client.rate_limited_for
        if held > 0 and not any(isinstance(f.error, Unauthorized | Forbidden) for f in errors):
            return f"RATE LIMITED (next request in {max(1, round(held))}s)"
        if not errors:
            return "LIVE"
        worst = max(errors, key=lambda f: f.failures)
        error = worst.error
        if isinstance(error, Unauthorized):
            return "API KEY REJECTED"
        if isinstance(error, Forbidden):
            return "NOT ALLOWED"
        if worst.failures >= 3:
            times = [f.updated_at for f in self.fresh.values() if f.updated_at is not None]
            since = clock_time(_utc(max(times))) if times else "never"
            return f"OFFLINE (showing data from {since})"
        wait = ""
        if worst.next_retry_at is not None:
            wait = f", next in {max(0, round(worst.next_retry_at - self.clock()))}s"
        return f"RETRYING (attempt {worst.failures}{wait})"

    def _rows_subtitle(self, total: int, *, complete: bool, filtered: bool, empty: str = "") -> str:
        """The table pane's subtitle: rows shown (of how many), or why there are none, and
        how fresh they are."""
        shown = self.table.row_count
        sub = f"{shown} shown" if shown == total else f"{shown} of {total} shown"
        if complete and total == 0 and self.fresh["invocations"].error is None:
            sub = "no invocations" + (" match the filters" if filtered else empty)
        return sub + " · " + self._freshness("invocations")

    def _render_detail_titles(self, selected: str | None, *, final: bool, how: str) -> None:
        """The detail pane's title and subtitle: final, or followed ``how`` and how fresh."""
        detail_pane = self.query_one("#detail-pane")
        if selected is None:
            set_title(detail_pane, Text("Detail"))
            set_subtitle(detail_pane, Text(""))
            return
        set_title(detail_pane, Text(f"Invocation {short_id(selected)}"))
        if final:
            set_subtitle(detail_pane, Text("final · never refetched"))
        else:
            set_subtitle(detail_pane, Text(f"following ({how}) · " + self._freshness("detail")))

    def _render_status_bar(self) -> None:
        bar = Text()
        bar.append(" runwatch ", "reverse")
        if self.options.production:
            bar.append(" ")
            bar.append(" PRODUCTION ", "bold reverse red")
        profile = f"{safe(self.options.profile, limit=24)} · " if self.options.profile else ""
        bar.append(f"  {profile}{self.PROVIDER} · {safe(self.source_label, limit=60)}  ")
        connection = self.connection_state()
        bar.append(
            f" {'●' if not self.ascii_only else '*'} {connection} ",
            "bold" if connection == "LIVE" else "bold reverse",
        )
        bar.append(f"  every {self.interval:g}s")
        if self.paused:
            bar.append("   ")
            bar.append(" PAUSED ", "bold reverse")
        bar.append("   ? help")
        status_bar = self.query_one("#status-bar", Static)
        if bar.plain != getattr(status_bar, "_runwatch_plain", None):
            status_bar._runwatch_plain = bar.plain  # type: ignore[attr-defined]
            status_bar.update(bar)
        self.set_class(self.paused, "-paused")

    # -- panes ---------------------------------------------------------------------------

    def _current_pane(self) -> int:
        focused = self.focused
        if focused is None:
            return 0
        for index, pane in enumerate(self._panes()):
            if focused is pane or pane in focused.ancestors:
                return index
        return 1 if getattr(focused, "id", None) == "filter-input" else 2

    def action_next_pane(self) -> None:
        """Focus the next pane."""
        self._focus_pane((self._current_pane() + 1) % 3)

    def action_previous_pane(self) -> None:
        """Focus the previous pane."""
        self._focus_pane((self._current_pane() - 1) % 3)

    def _focus_pane(self, index: int) -> None:
        self._panes()[index].focus()

    # -- selection: the cursor of each table drives the pane to its right -----------------

    @on(KeyedTable.RowHighlighted, "#run-list")
    def _left_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        # A highlight can arrive for a row that a sync has just removed: its key is None.
        if event.row_key and event.row_key != self._selected_left():
            self._select_left(event.row_key)

    @on(KeyedTable.RowSelected, "#run-list")
    def _left_selected(self, event: KeyedTable.RowSelected) -> None:
        self.action_drill()

    @on(KeyedTable.RowHighlighted, "#invocation-table")
    def _invocation_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self._select_invocation(event.row_key)

    @on(KeyedTable.RowSelected, "#invocation-table")
    def _invocation_selected(self, event: KeyedTable.RowSelected) -> None:
        self.action_drill()

    def action_back(self) -> None:
        """Close the filter, collapse what is open, or go back one pane."""
        if self.focused is self.filter_input:
            self._close_filter(clear=True)
            return
        if self._collapse_focused():
            return
        pane = self._current_pane()
        if pane == 2:
            self.table.focus()
        elif pane == 1:
            if self.state.text_filter:
                self._close_filter(clear=True)
            else:
                self._panes()[0].focus()

    # -- failures, the text filter, copying ------------------------------------------------

    def _jump_failure(self, forward: bool) -> None:
        """Move the table's cursor to the next (or previous) failed row, wrapping around."""
        keys = self.table.row_keys_in_order
        failed = self._failed_keys()
        if not keys or not failed:
            self.notify("No failed invocation shown.", markup=False)
            return
        start = self.table.cursor_row
        order = (
            list(range(start + 1, len(keys))) + list(range(0, start + 1))
            if forward
            else list(range(start - 1, -1, -1)) + list(range(len(keys) - 1, start - 1, -1))
        )
        for index in order:
            if keys[index] in failed:
                self.table.focus()
                self.table.move_cursor(row=index, animate=False)
                return

    def action_next_failure(self) -> None:
        """Jump to the next failed invocation (or failed step in the detail)."""
        self._jump_failure(True)

    def action_previous_failure(self) -> None:
        """Jump to the previous failed invocation (or failed step in the detail)."""
        self._jump_failure(False)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def action_start_filter(self) -> None:
        """Open the text filter; it takes every printable key until esc or enter."""
        self.filter_input.display = True
        self.filter_input.value = self.state.text_filter
        self.filter_input.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.state.text_filter = event.value
        self._render_table()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._close_filter(clear=False)

    def _close_filter(self, *, clear: bool) -> None:
        if clear:
            self.state.text_filter = ""
            self.filter_input.value = ""
        self.filter_input.display = bool(self.state.text_filter)
        self.table.focus()
        self._render_table()

    def action_copy_menu(self) -> None:
        """Open the copy menu (OSC 52, with the text selectable on screen as a fallback)."""
        choices = self.copy_choices()
        if not choices:
            self.notify("Nothing selected to copy.", markup=False)
            return
        from tui.screens.copy_screen import CopyScreen

        self.app.push_screen(CopyScreen(choices))

    # -- pause and interval --------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        """Pause or resume polling; data age keeps counting."""
        self.paused = not self.paused
        self._render_titles()

    def action_slower(self) -> None:
        """Refresh less often."""
        self._set_interval(
            min(60.0, self.interval * 2 if self.interval >= 1 else self.interval + 0.5)
        )

    def action_faster(self) -> None:
        """Refresh more often."""
        self._set_interval(max(0.5, self.interval / 2))

    def _set_interval(self, seconds: float) -> None:
        self.interval = seconds
        self.notify(f"Refreshing every {seconds:g}s", markup=False, timeout=2)
        self._render_titles()


def set_title(widget: Widget, title: Text) -> None:
    """Change a border title only when its text changes: any assignment repaints the pane."""
    if str(widget.border_title) != title.plain:
        widget.border_title = title


def set_subtitle(widget: Widget, subtitle: Text) -> None:
    """Change a border subtitle only when its text changes (see :func:`set_title`)."""
    if str(widget.border_subtitle) != subtitle.plain:
        widget.border_subtitle = subtitle


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
