"""Pilot tests of the viewer against the embedded gateway over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui.api.enums import UnknownValue
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.widgets.step_item import StepItem

from .viewer_helpers import loaded, make_app, wait_for

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def fast_gateway() -> Iterator[GatewayServer]:
    """Demo world at 3x speed: running invocations finish within seconds, yet not before
    the viewer has seen them live, even on a loaded machine."""
    with GatewayServer(GatewayOptions(scenario="demo", speed=3.0)) as server:
        yield server


@pytest.fixture
def edge_gateway() -> Iterator[GatewayServer]:
    with GatewayServer(GatewayOptions(scenario="edge")) as server:
        yield server


def _title(screen: object, selector: str) -> str:
    widget = screen.query_one(selector)  # type: ignore[attr-defined]
    return f"{widget.border_title} | {widget.border_subtitle}"


async def test_selection_flow_run_to_invocation_to_detail(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        runs = screen.run_list
        assert screen.state.selected_run_id == runs.selected_key
        await pilot.press("j")  # second run
        await wait_for(pilot, lambda: screen.state.selected_run_id == runs.row_keys_in_order[1])
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        await pilot.press("enter")
        assert screen.focused is screen.table
        await pilot.press("j", "j")
        await pilot.press("enter")
        selected = screen.table.selected_key
        assert screen.state.selected_invocation_id == selected
        await wait_for(pilot, lambda: screen.detail.invocation_id == selected, what="detail")
        assert selected is not None and selected in str(
            screen.detail.query_one("#detail-head").render()
        )
        await pilot.press("escape")
        assert screen.focused is screen.table
        await pilot.press("h")
        assert screen.focused is screen.run_list


async def test_follow_running_invocation_until_toast_and_bell(fast_gateway: GatewayServer) -> None:
    app = make_app(fast_gateway)
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")
        await wait_for(
            pilot, lambda: any(not i.terminal for i in screen.state.invocations.values())
        )
        running = [
            k for k in screen.table.row_keys_in_order if not screen.state.invocations[k].terminal
        ]
        screen.table.select_key(running[-1])
        await wait_for(pilot, lambda: screen.state.selected_invocation_id == running[-1])
        target = running[-1]
        await wait_for(pilot, lambda: target in screen.state.fulls, what="long-poll started")
        await wait_for(
            pilot,
            lambda: screen.state.fulls[target].terminal,
            timeout=30,
            what="invocation to finish",
        )
        await wait_for(pilot, lambda: bool(bells), what="bell")
        messages = [n.message for n in app._notifications]
        assert any(target[:8] in m for m in messages)
        assert "final" in _title(screen, "#detail-pane")


async def test_n_lands_on_failure_with_expanded_diagnostic(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")
        for _ in range(8):
            await pilot.press("n")
            key = screen.table.selected_key
            assert key is not None and screen.state.invocations[key].failed
            await wait_for(pilot, lambda k=key: k in screen.state.fulls, what="full record")
            full = screen.state.fulls[key]
            if full.result and any(s.error.diagnostic for s in full.result.failed_steps):
                break
        else:
            pytest.fail("no failed invocation with a diagnostic found")
        await wait_for(pilot, lambda: bool(screen.detail.step_items))
        failed_items = [item for item in screen.detail.step_items if item.failed]
        assert failed_items[0].expanded, "the first failed step opens expanded"
        rendered = str(failed_items[0].render())
        assert "docs" in rendered and "https://docs.bctrl.ai/errors/" in rendered
        await pilot.press("enter")  # into the detail: focus the failed step
        assert isinstance(screen.focused, StepItem)
        await pilot.press("enter")
        assert not screen.focused.expanded
        await pilot.press("e")
        assert all(item.expanded for item in screen.detail.step_items if item.failed)


async def test_status_action_and_failure_filters(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab", "F")
        assert screen.state.query.status == ("failed", "timed_out", "cancelled")
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        assert screen.state.invocations
        assert all(i.failed for i in screen.state.invocations.values())
        assert "status: failures" in _title(screen, "#invocations-pane")
        await pilot.press("F", "s")
        assert screen.state.query.status == ("queued",)
        assert "status: queued" in _title(screen, "#invocations-pane")
        await pilot.press("s", "s", "s", "s")
        assert screen.state.query.status == ("succeeded",)
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        assert {i.status.raw for i in screen.state.invocations.values()} == {"succeeded"}
        await pilot.press("a")
        assert screen.state.query.action == ("act",)
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        assert {i.action.raw for i in screen.state.invocations.values()} <= {"act"}
        assert "action: act" in _title(screen, "#invocations-pane")


async def test_pause_stops_polling_and_shows_mark(gateway: GatewayServer) -> None:
    app = make_app(gateway, interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("p")
        assert screen.paused
        assert "PAUSED" in str(screen.query_one("#status-bar").render())
        await pilot.pause(0.8)  # let in-flight requests finish
        before = app.client.requests_sent
        await pilot.pause(1.5)
        assert app.client.requests_sent - before <= 2  # at most the detail's long-poll
        await pilot.press("p")
        assert not screen.paused
        await wait_for(pilot, lambda: app.client.requests_sent > before + 2, what="polling")


async def test_interval_changes_at_run_time(gateway: GatewayServer) -> None:
    app = make_app(gateway, interval=2.0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("plus")
        assert screen.interval == 4.0
        await pilot.press("minus", "minus")
        assert screen.interval == 1.0
        assert "every 1s" in str(screen.query_one("#status-bar").render())


async def test_slash_filter_captures_q(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab", "slash")
        await pilot.press("q", "u", "e", "u", "e", "d")
        assert app.is_running
        assert screen.filter_input.value == "queued"
        assert screen.state.text_filter == "queued"
        shown = screen.table.row_keys_in_order
        assert all(
            screen.state.invocations[k].status.raw == "queued" or "queued" in k for k in shown
        )
        await pilot.press("escape")
        assert screen.state.text_filter == ""
        assert screen.table.row_count == len(screen.state.invocations)


async def test_unknown_status_shows_raw_word(edge_gateway: GatewayServer) -> None:
    app = make_app(edge_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        edge_run = next(r for r in screen.state.runs if isinstance(r.runtime_type, UnknownValue))
        screen.run_list.select_key(edge_run.id)
        await wait_for(pilot, lambda: screen.state.selected_run_id == edge_run.id)
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        odd = [i for i in screen.state.invocations.values() if isinstance(i.status, UnknownValue)]
        assert odd
        cell = screen.table.get_cell(odd[0].id, "status")
        assert str(cell) == "? paused_for_review"


async def test_empty_run(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        empty = screen.state.runs[-1]
        screen.run_list.select_key(empty.id)
        await wait_for(pilot, lambda: screen.state.selected_run_id == empty.id)
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        assert screen.table.row_count == 0
        assert "no invocations in this run" in _title(screen, "#invocations-pane")


async def test_pinned_run_not_found(gateway: GatewayServer) -> None:
    app = make_app(gateway, pinned=[MISSING])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MainScreen")
        screen = app.main_screen
        assert screen.run_list.row_keys_in_order[0] == MISSING
        assert screen.state.selected_run_id == MISSING
        await wait_for(pilot, lambda: "run not found" in _title(screen, "#invocations-pane"))
        await wait_for(
            pilot, lambda: "not found" in str(screen.run_list.get_cell(MISSING, "status"))
        )
        await wait_for(pilot, lambda: screen.run_list.row_count > 1, what="other runs")


async def test_no_run_list_endpoint_works_with_pinned_runs() -> None:
    faults = FaultConfig()
    with GatewayServer(faults=faults) as server:
        faults.force("404", 1000, "/v1/runs$")
        run_id = server.world.runs[0].id
        app = make_app(server, pinned=[run_id])
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MainScreen")
            screen = app.main_screen
            await wait_for(pilot, lambda: not screen.state.runs_supported)
            await wait_for(pilot, lambda: screen.state.invocations_complete)
            assert screen.run_list.row_keys_in_order == [run_id]
            assert screen.table.row_count > 0
            await pilot.pause(0.5)
            told = [n for n in app._notifications if "no run list" in n.message]
            assert len(told) == 1


async def test_error_state_keeps_data(fault_gateway: GatewayServer) -> None:
    app = make_app(fault_gateway, key="secret-token-123", interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        rows = screen.table.row_count
        fault_gateway.faults.force("500", 200, "/v1/runs/")
        await wait_for(pilot, lambda: screen.fresh["invocations"].error is not None)
        assert screen.table.row_count == rows
        assert "server" in _title(screen, "#invocations-pane")
        assert "RETRYING" in screen.connection_state() or "OFFLINE" in screen.connection_state()
        fault_gateway.faults.clear()
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.connection_state() == "LIVE", timeout=20)


async def test_help_and_quit(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "MainScreen"
        await pilot.press("q")
        assert not app.is_running


async def test_too_small_terminal(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(50, 12)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MainScreen")
        await pilot.pause(0.2)
        assert app.screen.has_class("-too-small")
        assert app.screen.query_one("#too-small").display


async def test_copy_id(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: copied == [screen.state.selected_run_id])
