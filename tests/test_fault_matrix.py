"""The fault matrix: each API fault against the gateway, what the user sees, and that
the app keeps running with its last good data on screen."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass

import pytest

from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.ui.app import RunwatchApp

from .viewer_helpers import (
    loaded,
    make_app,
    pane,
    region_text,
    screen_text,
    select_row,
    status_bar,
    wait_for,
)

TOKEN = "secret-token-123"
MISSING = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Case:
    fault: str
    pane_says: str  # in the invocation pane's subtitle
    status_says: str  # in the status bar's connection state
    retried: bool = True


MATRIX = [
    Case("500", "server · HTTP 500 · server.unavailable", "RETRYING"),
    Case("503", "server · HTTP 503", "RETRYING"),
    Case("html", "server · HTTP 502", "RETRYING"),
    Case("malformed", "malformed", "RETRYING"),
    Case("schema", "malformed", "RETRYING"),
    Case("drop", "connection dropped", "RETRYING"),
    Case("slow", "timeout", "RETRYING"),
    Case("429", "rate limited · HTTP 429 · rate_limit.exceeded", "RATE LIMITED"),
    Case("401", "API key rejected · HTTP 401 · auth.unauthorized", "API KEY REJECTED", False),
    Case("403", "not allowed · HTTP 403 · auth.forbidden", "NOT ALLOWED", False),
]


def _app(url: str, **options: object) -> RunwatchApp:
    return make_app(url, key=TOKEN, read_timeout=0.5, source_label="fault gateway", **options)


def _rows(app: RunwatchApp) -> str:
    return pane(app, "rows")


@pytest.mark.parametrize("case", MATRIX, ids=[c.fault for c in MATRIX])
async def test_fault_matrix(case: Case) -> None:
    faults = FaultConfig(rate=0.0, retry_after=3.0, slow_seconds=2.0)
    with GatewayServer(GatewayOptions(token=TOKEN), faults=faults) as server:
        app = _app(server.url, interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            rows = set(screen.table.row_keys_in_order)  # a poll in flight may add one
            run_id = screen.groups.selected_key
            path = f"/v1/runs/{run_id}/invocations"
            faults.force(case.fault, 1000, path)
            await wait_for(pilot, lambda: case.status_says in status_bar(app), what="the state")
            await wait_for(pilot, lambda: case.pane_says in _rows(app), what=case.pane_says)
            assert rows <= set(screen.table.row_keys_in_order), "last good data stays"
            assert re.search(r"updated \S+ ago", _rows(app)), "with its age"
            assert TOKEN not in screen_text(app)
            if case.fault == "429":
                # The countdown is visible, and nothing reaches the server before it ends.
                assert re.search(r"RATE LIMITED \(next request in [1-3]s\)", status_bar(app))
                await wait_for(pilot, lambda: "retry in" in _rows(app))
                hit = [t for t, p in faults.requests if p == path][-1]
                await pilot.pause(1.5)
                later = [t for t, p in faults.requests if p == path and t > hit]
                assert all(t - hit >= 2.9 for t in later), "no request before Retry-After"
            if not case.retried:
                # No retry storm: the loop backs off instead of hammering the server.
                before = sum(p == path for _, p in faults.requests)
                await pilot.pause(2.0)
                assert sum(p == path for _, p in faults.requests) - before <= 3
                assert "request req_fault" in _rows(app), "the request id is shown"
            faults.clear()
            await pilot.press("r")
            await wait_for(pilot, lambda: "LIVE" in status_bar(app), timeout=20)
            await wait_for(pilot, lambda: "up to date" in _rows(app))
            assert app.is_running


async def test_invocation_404_is_said_in_the_detail_only() -> None:
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(token=TOKEN), faults=faults) as server:
        app = _app(server.url, interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            await pilot.press("tab")
            target = screen.table.row_keys_in_order[-1]
            faults.force("404", 50, f"/v2/invocations/{target}")
            faults.force("404", 50, f"/v1/invocations/{target}")
            screen.table.select_key(target)
            await wait_for(
                pilot,
                lambda: (
                    f"Invocation {target[:8]}" in pane(app, "detail")
                    and "not found · HTTP 404" in pane(app, "detail")
                ),
                what="the detail's 404",
            )
            assert "not found" not in _rows(app), "the table keeps working"
            assert "not found · HTTP 404 · route.not_found" in screen_text(app)
            assert "retry in" not in pane(app, "detail"), "no retry is due: r asks again"
            assert "LIVE" in status_bar(app), "a 404 is an answer: the server is reachable"
            polled = len(faults.requests)
            await wait_for(pilot, lambda: len(faults.requests) > polled, what="more polls")
            assert app.is_running


async def test_a_failure_whose_record_is_not_read_never_says_it_has_no_details() -> None:
    """A failed row's error, from its list row, while its full record cannot be read: the
    details are 'not read yet', never 'no error details returned' (a paused replay said so
    of a row whose details came a moment later)."""
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(token=TOKEN), faults=faults) as server:
        world = server.world
        run = world.runs[0]
        now = world.advance()
        target = next(p.id for p in world.visible(run, now) if p.status(now) == "failed")
        for path in (f"/v2/invocations/{target}", f"/v1/invocations/{target}"):
            faults.force("404", 1000, path)
        app = _app(server.url, interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot, app)
            await pilot.press("tab")
            await select_row(pilot, app, target)
            await wait_for(pilot, lambda: "HTTP 404" in pane(app, "detail"), what="the 404")
            detail = region_text(app, "#detail-pane")
            assert "(error details not read yet)" in detail, detail
            assert "no error details returned" not in detail


async def test_a_run_the_server_does_not_know_is_asked_for_again_only_on_r() -> None:
    """A pinned run id the server answers 404 for is said, and not asked for again every
    few seconds (a typo stays a typo): r asks again."""
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(token=TOKEN), faults=faults) as server:
        app = _app(server.url, interval=0.2, pinned=[MISSING])
        path = f"/v1/runs/{MISSING}/invocations"
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "HTTP 404" in _rows(app), what="the 404")
            assert "r asks again" in _rows(app) and "retry in" not in _rows(app)
            asked = sum(p == path for _, p in faults.requests)
            await pilot.pause(2.0)  # ten intervals, and more than the first backoffs
            assert sum(p == path for _, p in faults.requests) == asked
            assert "LIVE" in status_bar(app), "a 404 is an answer: the server is reachable"
            await pilot.press("r")
            await wait_for(
                pilot, lambda: sum(p == path for _, p in faults.requests) > asked, what="asked"
            )
            await wait_for(pilot, lambda: "r asks again" in _rows(app), what="said again")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_server_down_at_start_then_up() -> None:
    port = _free_port()
    app = _app(f"http://127.0.0.1:{port}", interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "OFFLINE" in status_bar(app), timeout=30)
        assert "OFFLINE (no data yet)" in status_bar(app)
        assert "cannot reach" in screen_text(app) or "unreachable" in screen_text(app)
        with GatewayServer(GatewayOptions(port=port)):
            await wait_for(pilot, lambda: "LIVE" in status_bar(app), timeout=30)
            await wait_for(pilot, lambda: app.viewer.groups.row_count > 0)
        assert app.is_running


async def test_server_dies_mid_session_and_returns() -> None:
    server = GatewayServer().start()
    port = server.port
    app = _app(server.url, interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        rows = set(screen.table.row_keys_in_order)
        server.stop()
        await wait_for(pilot, lambda: "OFFLINE" in status_bar(app), timeout=30)
        assert re.search(r"OFFLINE \(showing data from \d\d:\d\d:\d\d\)", status_bar(app))
        assert rows <= set(screen.table.row_keys_in_order)
        started = time.monotonic()
        with GatewayServer(GatewayOptions(port=port)):
            await wait_for(pilot, lambda: "LIVE" in status_bar(app), timeout=40)
        # Recovery within one backoff step (capped at 30 s, here far less).
        assert time.monotonic() - started < 30
        assert app.is_running
