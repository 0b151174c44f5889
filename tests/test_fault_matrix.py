"""The fault matrix: each API fault against the gateway, what the user sees, and that
the app keeps running with its last good data on screen."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest

from tui.api.client import BctrlClient
from tui.app import RunwatchApp
from tui.screens.main_screen import MainScreen
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer

from .conftest import fast_retry
from .viewer_helpers import loaded, wait_for

TOKEN = "secret-token-123"


@dataclass(frozen=True)
class Case:
    fault: str
    pane_says: str  # in the invocation pane's subtitle
    status_says: str  # in the status bar's connection state
    retried: bool = True


MATRIX = [
    Case("500", "server · HTTP 500", "RETRYING"),
    Case("503", "server · HTTP 503", "RETRYING"),
    Case("html", "HTTP 502", "RETRYING"),
    Case("malformed", "malformed", "RETRYING"),
    Case("schema", "malformed", "RETRYING"),
    Case("drop", "connection dropped", "RETRYING"),
    Case("slow", "timeout", "RETRYING"),
    Case("429", "rate limited · HTTP 429 · rate_limit.exceeded", "RATE LIMITED"),
    Case("401", "API key rejected · HTTP 401 · auth.unauthorized", "API KEY REJECTED", False),
    Case("403", "not allowed · HTTP 403 · auth.forbidden", "NOT ALLOWED", False),
]


def _app(url: str, **options: object) -> RunwatchApp:
    client = BctrlClient(TOKEN, url, retry=fast_retry(), read_timeout=0.5)
    return RunwatchApp(client, source_label="fault gateway", **options)


def _subtitle(screen: MainScreen) -> str:
    return str(screen.query_one("#invocations-pane").border_subtitle)


@pytest.mark.parametrize("case", MATRIX, ids=[c.fault for c in MATRIX])
async def test_fault_matrix(case: Case) -> None:
    faults = FaultConfig(rate=0.0, retry_after=3.0, slow_seconds=2.0)
    with GatewayServer(GatewayOptions(token=TOKEN), faults=faults) as server:
        app = _app(server.url, interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            rows = screen.table.row_count
            run_id = screen.state.selected_run_id
            path = f"/v1/runs/{run_id}/invocations"
            faults.force(case.fault, 1000, path)
            await wait_for(pilot, lambda: case.status_says in screen.connection_state())
            await wait_for(pilot, lambda: case.pane_says in _subtitle(screen), what=case.pane_says)
            assert screen.table.row_count == rows, "last good data stays on screen"
            assert "updated" in _subtitle(screen), "with its age"
            assert screen.detail.invocation_id is not None or screen.detail.step_items == []
            if case.fault == "429":
                # The countdown is visible, and nothing reaches the server before it ends.
                await wait_for(pilot, lambda: "retry in" in _subtitle(screen))
                hit = [t for t, p in faults.requests if p == path][-1]
                await pilot.pause(1.5)
                later = [t for t, p in faults.requests if p == path and t > hit]
                assert all(t - hit >= 2.9 for t in later), "no request before Retry-After"
            if not case.retried:
                # No retry storm: the loop backs off instead of hammering the server.
                before = len([1 for _, p in faults.requests if p == path])
                await pilot.pause(2.0)
                after = len([1 for _, p in faults.requests if p == path])
                assert after - before <= 3
            if case.fault in ("401", "403"):
                assert "req_fault" in _subtitle(screen), "the request id is shown"
            faults.clear()
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.connection_state() == "LIVE", timeout=20)
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
            await wait_for(pilot, lambda: screen.state.selected_invocation_id == target)
            detail = screen.query_one("#detail-pane")
            await wait_for(
                pilot, lambda: "not found" in str(detail.border_subtitle), what="detail 404"
            )
            assert "not found" not in _subtitle(screen), "the table keeps working"
            polled = len(faults.requests)
            await pilot.pause(1.0)
            assert len(faults.requests) > polled and app.is_running


async def test_server_down_at_start_then_up() -> None:
    probe = GatewayServer()
    port = probe.port
    probe.stop()
    app = _app(f"http://127.0.0.1:{port}", interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: "OFFLINE" in screen.connection_state(), timeout=30)
        assert "showing data from never" in screen.connection_state()
        with GatewayServer(GatewayOptions(port=port)):
            await wait_for(pilot, lambda: screen.connection_state() == "LIVE", timeout=30)
            await wait_for(pilot, lambda: screen.run_list.row_count > 0)
        assert app.is_running


async def test_server_dies_mid_session_and_returns() -> None:
    server = GatewayServer().start()
    port = server.port
    app = _app(server.url, interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        rows = screen.table.row_count
        server.stop()
        await wait_for(pilot, lambda: "OFFLINE" in screen.connection_state(), timeout=30)
        assert "showing data from" in screen.connection_state()
        assert screen.table.row_count == rows
        started = time.monotonic()
        with GatewayServer(GatewayOptions(port=port)):
            await wait_for(pilot, lambda: screen.connection_state() == "LIVE", timeout=40)
        # Recovery within one backoff step (capped at 30 s, here far less).
        assert time.monotonic() - started < 30
        assert app.is_running
    await asyncio.sleep(0)
