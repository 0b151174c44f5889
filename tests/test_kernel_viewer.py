"""The Kernel flow in the viewer, driven with Pilot against the gateway over loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tui.api.kernel import KernelClient
from tui.api.kernel_models import KernelInvocation, LogEvent
from tui.app import RunwatchApp
from tui.screens.kernel_screen import KernelScreen
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.widgets.kernel_widgets import LogPane, log_line, split_group

from .conftest import fast_retry
from .viewer_helpers import wait_for

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


@pytest.fixture
def kgateway() -> Iterator[GatewayServer]:
    with GatewayServer(
        GatewayOptions(scenario="demo", speed=3.0, token="kernel-key"),
        faults=FaultConfig(rate=0.0, retry_after=1.0, cut_after=5),
    ) as server:
        yield server


def kernel_app(gateway: GatewayServer, key: str = "kernel-key") -> RunwatchApp:
    client = KernelClient(key, gateway.url, retry=fast_retry())
    return RunwatchApp(client, source_label="test gateway", interval=0.5)


def _frame(app: RunwatchApp) -> str:
    update = app.screen._compositor.render_full_update()
    return "\n".join(
        "".join(seg.text for strip in line for seg in strip if not seg.control)
        for line in update.strips
    )


async def whole_log(gateway: GatewayServer, invocation_id: str) -> list[str]:
    """A finished invocation's whole log, read again in one piece, as the viewer shows it."""
    async with KernelClient("kernel-key", gateway.url) as api:
        return [
            log_line(e.timestamp, e.message)
            async for e in api.follow_events(invocation_id)
            if isinstance(e, LogEvent)
        ]


async def loaded(pilot: Pilot[None], app: RunwatchApp) -> KernelScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, KernelScreen), what="kernel screen")
    screen = app.main_screen
    assert isinstance(screen, KernelScreen)
    await wait_for(pilot, lambda: screen.app_list.row_count > 0, what="apps")
    await wait_for(pilot, lambda: screen.state.complete, what="invocations")
    return screen


async def pick_group_with_live(pilot: Pilot[None], screen: KernelScreen) -> str:
    """Move down the app list to a version with a running invocation; its newest live id."""
    for _ in range(40):
        await wait_for(pilot, lambda: screen.state.complete, what="group rows")
        live = [k for k, inv in screen.state.invocations.items() if not inv.terminal]
        if live:
            return live[0]
        await pilot.press("down" if screen.app_list.cursor_row + 1 < 5 else "home")
        await pilot.pause(0.3)
    raise AssertionError("no app version with a live invocation")


async def test_apps_are_grouped_by_version_and_the_table_shows_one_group(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        keys = screen.app_list.row_keys_in_order
        pairs = [split_group(k) for k in keys]
        assert ("web-scraper", "1.4.2") in pairs and ("web-scraper", "1.5.0-rc.1") in pairs
        assert len(pairs) == len(set(pairs)) == 5
        for index in (0, 3):
            screen.app_list.move_cursor(row=index)
            wanted = pairs[index]
            await wait_for(pilot, lambda w=wanted: screen.state.selected_group is not None)
            await wait_for(
                pilot,
                lambda w=wanted: (
                    screen.state.complete
                    and all(i.group == w for i in screen.state.invocations.values())
                    and bool(screen.state.invocations)
                ),
                what=f"rows of {wanted}",
            )
            first = screen.table.row_keys_in_order[0]
            assert str(screen.table.get_cell(first, "app")) == wanted[0]
            assert str(screen.table.get_cell(first, "version")) == wanted[1]
        frame = _frame(app)
        for header in ("status", "app", "action", "version", "started", "took", "reason"):
            assert header in frame
        assert "kernel ·" in frame and "LIVE" in frame


async def test_a_running_invocations_log_streams_and_finishes_with_a_toast(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await loaded(pilot, app)
        live = await pick_group_with_live(pilot, screen)
        await pilot.press("tab")
        screen.table.select_key(live)
        await pilot.press("enter")
        assert isinstance(app.focused, LogPane), "enter on a row opens its log"
        await wait_for(pilot, lambda: screen.state.selected_invocation_id == live)
        await wait_for(pilot, lambda: len(screen.state.logs.get(live, [])) >= 2, what="lines")
        seen = len(screen.state.logs[live])
        assert "following" in str(screen.log_pane.border_title)
        await wait_for(
            pilot, lambda: live in screen.state.logs_complete, timeout=40, what="the end"
        )
        lines = screen.state.logs[live]
        assert len(lines) > seen, "lines arrived while following"
        assert screen.log_pane.total == len(lines) == screen.log_pane.line_count
        title = str(screen.log_pane.border_title)
        assert f"{len(lines)} lines" in title and "complete" in title
        record = screen.state.records[live]
        assert record.terminal
        await wait_for(pilot, lambda: bool(bells), what="the bell")
        assert any("Invocation finished" in (n.title or "") for n in app._notifications)
        frame = _frame(app)
        assert "final · never refetched" in frame
        assert raw_status_word(record) in frame


def raw_status_word(inv: KernelInvocation) -> str:
    return inv.status.raw


async def test_the_log_sticks_to_the_bottom_until_scrolled_back(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(100, 28)) as pilot:
        screen = await loaded(pilot, app)
        live = await pick_group_with_live(pilot, screen)
        await pilot.press("tab")
        screen.table.select_key(live)
        await pilot.press("enter")
        pane = screen.log_pane
        await wait_for(pilot, lambda: pane.max_scroll_y > 0, timeout=40, what="a full pane")
        await wait_for(pilot, lambda: pane.is_vertical_scroll_end, what="stuck to the bottom")
        assert "following" in str(pane.border_title)
        await pilot.press("home")
        await pilot.pause(0.2)
        assert pane.scroll_y == 0
        before = pane.line_count
        await wait_for(
            pilot,
            lambda: pane.line_count > before or live in screen.state.logs_complete,
            timeout=40,
            what="more lines",
        )
        await pilot.pause(1.1)
        assert pane.scroll_y == 0, "scrollback is kept while new lines arrive"
        title = str(pane.border_title)
        assert "scrolled back" in title or "complete" in title
        await pilot.press("G")
        await pilot.pause(0.2)
        assert pane.is_vertical_scroll_end


async def test_finished_logs_are_never_streamed_again_and_live_ones_resume_without_repeats(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        live = await pick_group_with_live(pilot, screen)
        done = next(k for k, inv in screen.state.invocations.items() if inv.terminal)
        await pilot.press("tab")
        screen.table.select_key(done)
        await wait_for(pilot, lambda: done in screen.state.logs_complete, what="finished log")
        screen.table.select_key(live)
        await wait_for(pilot, lambda: len(screen.state.logs.get(live, [])) >= 1)
        screen.table.select_key(done)
        await pilot.pause(0.5)
        screen.table.select_key(live)
        await wait_for(pilot, lambda: live in screen.state.logs_complete, timeout=40)
        events = [p for _, p in kgateway.faults.requests if p == f"/invocations/{done}/events"]
        assert len(events) == 1, "a finished invocation's log is read once"
        assert screen.log_pane.line_count == len(screen.state.logs[live])
        # The whole log once more, straight from the API: the viewer's copy is identical.
        whole = await whole_log(kgateway, live)
        assert screen.state.logs[live] == whole


async def test_a_cut_stream_resumes_in_the_viewer_without_losing_or_repeating_lines(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        live = await pick_group_with_live(pilot, screen)
        kgateway.faults.force("cut", 1, f"/invocations/{live}/events$")
        await pilot.press("tab")
        screen.table.select_key(live)
        await wait_for(pilot, lambda: live in screen.state.logs_complete, timeout=40)
        assert screen.state.cursors[live].reconnects == 1
        assert "resumed x1" in str(screen.log_pane.border_title)
        whole = await whole_log(kgateway, live)
        assert screen.state.logs[live] == whole


async def test_faults_keep_rows_and_say_so_then_recover(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        rows = screen.table.row_count
        kgateway.faults.force("503", 12, "/invocations$")
        await wait_for(
            pilot,
            lambda: screen.fresh["invocations"].failures >= 1,
            timeout=20,
            what="a failed poll",
        )
        assert screen.connection_state().startswith(("RETRYING", "OFFLINE"))
        assert screen.table.row_count == rows, "the last rows stay on screen"
        assert "503" in _frame(app)
        kgateway.faults.clear()
        await wait_for(pilot, lambda: screen.connection_state() == "LIVE", timeout=40)


async def test_a_rejected_key_is_said_plainly(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway, key="wrong-kernel-key-777")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, KernelScreen))
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.connection_state() == "API KEY REJECTED")
        frame = _frame(app)
        assert "API KEY REJECTED" in frame and "wrong-kernel-key-777" not in frame


async def test_hostile_kernel_text_displays_literally(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        hostile = KernelInvocation.model_validate(
            {
                "id": "hostile-1",
                "app_name": "[bold]app[/bold]",
                "version": "\x1b]0;pwned\x07v1",
                "action_name": "act\u202eexe",
                "started_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
                "status": "exploded",
                "payload": "{not json [red]x[/red]",
                "output": '{"html": "<b>[i]x[/i]</b>", "n": 1}',
                "status_reason": "\x9b2J[link=http://evil]click[/link]",
            }
        )
        screen.state.records[hostile.id] = hostile
        screen.state.selected_invocation_id = hostile.id
        screen.log_pane.reset(hostile.id, [log_line("2026-01-01T00:00:00.5Z", "\x1b[31mred")])
        screen.detail.show(hostile, screen.clock())
        await pilot.pause(0.3)
        frame = _frame(app)
        blocks = "\n".join(
            str(screen.query_one(f"#kernel-{part}", Static).content)
            for part in ("head", "fields", "payload", "output")
        )
        assert "[bold]app[/bold]" in frame and "[link=http://evil]click[/link]" in frame
        assert "not JSON, shown as sent" in blocks and "{not json [red]x[/red]" in blocks
        assert "[i]x[/i]" in blocks and not CONTROL.search(blocks)
        assert "? exploded" in frame, "an unknown status gets the neutral badge"
        assert "00:00:00.5" in frame and "red" in frame and "[31m" not in frame
        assert not CONTROL.search(frame)


def test_log_lines_drop_escapes_and_keep_the_clock() -> None:
    line = log_line("2026-01-01T12:34:56.789123456Z", "\x1b[33mwarn\x1b[0m slow\x07 \x1b]0;t\x07ok")
    assert line == "12:34:56.789  warn slow  ok"  # the bell became a space
    assert log_line("not a time", "m") == "not a time  m"


async def test_pinning_an_app_version_moves_it_first_and_is_remembered(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        last = screen.app_list.row_keys_in_order[-1]
        screen.app_list.select_key(last)
        await pilot.press("P")
        await pilot.pause(0.1)
        assert screen.app_list.row_keys_in_order[0] == last
        assert str(screen.app_list.get_cell(last, "app")).startswith("◆ ")
        assert screen.app_list.selected_key == last, "the cursor stays on the pinned row"
        await wait_for(pilot, lambda: screen.state.complete)
        await app.action_quit()
    assert app.final_memory is not None and app.final_memory.pinned == [last]
