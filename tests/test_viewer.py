"""Pilot tests of the viewer against the embedded gateway over loopback: keys in, screen out."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World
from tui.ui.app import RunwatchApp

from .conftest import FROZEN_NOW
from .viewer_helpers import (
    cell,
    empty_message,
    loaded,
    make_app,
    pane,
    record_bells,
    record_copies,
    record_toasts,
    region_text,
    rows_loaded,
    rows_where,
    screen_lines,
    screen_output,
    screen_text,
    select_group,
    select_row,
    send_keys,
    status_bar,
    until_text,
    wait_for,
)

MISSING = "00000000-0000-4000-8000-000000000000"
FAILURES = r"(failed|timed out|cancelled)"


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


async def test_selection_flow_run_to_invocation_to_detail(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        runs = screen.groups
        first, second = runs.row_keys_in_order[:2]
        assert f"run {first[:8]}" in pane(app, "rows")
        assert app.focused is runs, "the run list has the focus at start"
        await pilot.press("j")  # the second run
        await wait_for(pilot, lambda: f"run {second[:8]}" in pane(app, "rows"), what="run 2")
        await rows_loaded(pilot, app)
        await pilot.press("enter")
        assert app.focused is screen.table
        await pilot.press("j", "j")
        selected = screen.table.selected_key
        assert selected is not None
        await wait_for(pilot, lambda: f"Invocation {selected[:8]}" in pane(app, "detail"))
        await pilot.press("enter")  # into the detail
        assert app.focused is screen.body.doc
        await until_text(pilot, app, re.escape(selected), what="the full id in the detail")
        assert selected in region_text(app, "#detail-pane")
        for _ in range(2):  # esc collapses an open diagnostic first, then goes back
            if app.focused is not screen.table:
                await pilot.press("escape")
        assert app.focused is screen.table
        await pilot.press("h")
        assert app.focused is runs


async def select_longest_running(pilot: Any, app: RunwatchApp, gateway: GatewayServer) -> str:
    """In the table, the running row with the most of its run to come (seen running while
    selected), selected; its key."""
    await pilot.press("tab")
    await wait_for(pilot, lambda: rows_where(app, "status", "running"), what="a running row")
    world = gateway.world
    running = [k for k in rows_where(app, "status", "running") if world.invocation(k)]
    target = max(running, key=lambda k: world.invocation(k).terminal_at)  # type: ignore[union-attr]
    await select_row(pilot, app, target)
    return target


async def test_follow_running_invocation_until_toast_and_bell(
    fast_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fast_gateway)
    bells = record_bells(app)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        target = await select_longest_running(pilot, app, fast_gateway)  # seen finishing
        # followed while it runs (at 3x speed it may end before the first look)
        await wait_for(
            pilot,
            lambda: re.search(r"following \(long-poll\)|final", pane(app, "detail")),
            what="the follow",
        )
        await wait_for(
            pilot,
            lambda: "final · never refetched" in pane(app, "detail"),
            timeout=40,
            what="the invocation to finish",
        )
        await wait_for(pilot, lambda: bells, what="the bell")
        finished = [t for t in toasts if t.title == "Invocation finished"]
        assert any(target[:8] in t.message for t in finished), toasts
        assert not re.search(r"running", cell(app, target, "status"))
        assert "final · never refetched" in screen_text(app)


async def test_n_lands_on_failure_with_expanded_diagnostic(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")
        for _ in range(10):
            await pilot.press("n")
            key = screen.table.selected_key
            assert key is not None and re.search(FAILURES, cell(app, key, "status"))
            await wait_for(pilot, lambda k=key: f"Invocation {k[:8]}" in pane(app, "detail"))
            await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
            await pilot.press("enter")  # into the detail, on its first failed step
            if "https://docs.bctrl.ai/errors/" in region_text(app, "#detail-pane"):
                break
            await pilot.press("escape", "escape")
            await wait_for(pilot, lambda: app.focused is screen.table)
        else:
            pytest.fail("no failed invocation with a diagnostic found")
        detail = region_text(app, "#detail-pane")
        assert "▾ ✘" in detail, "the first failed step opens expanded"
        assert re.search(r"docs +https://docs\.bctrl\.ai/errors/", detail)
        assert app.focused is screen.body.doc
        await pilot.press("enter")  # collapse it
        await until_text(pilot, app, r"▸ ✘.*\n.*\n(.*hint.*\n)?.*\(enter: diagnostic\)")
        assert "https://docs.bctrl.ai/errors/" not in region_text(app, "#detail-pane")
        await pilot.press("e")  # every failed step's diagnostic
        await until_text(pilot, app, r"▾ ✘")
        assert "▸ ✘" not in region_text(app, "#detail-pane")
        await pilot.press("n")  # in the detail: the next failed step, at the top
        await until_text(pilot, app, r"docs +https://docs\.bctrl\.ai/errors/")


async def test_status_action_and_failure_filters(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab", "F")
        assert "status: failures" in pane(app, "rows")
        await rows_loaded(pilot, app)
        keys = screen.table.row_keys_in_order
        # As n/N: failed and timed out, not cancelled (which is not a failure to debug).
        assert keys and all(re.search("failed|timed out", cell(app, k, "status")) for k in keys)
        await pilot.press("F", "s")  # the status picker: space toggles, enter applies
        await until_text(pilot, app, "Show statuses")
        await until_text(pilot, app, r"now: every status \(none ticked\)")
        await pilot.press("space")  # what applying would show, in words
        await until_text(pilot, app, "now: only queued")
        await pilot.press("enter")
        assert "status: queued" in pane(app, "rows")
        await pilot.press("s")
        await until_text(pilot, app, "Show statuses")
        await pilot.press("space", "j", "j", "j", "j", "space", "enter")
        assert "status: succeeded" in pane(app, "rows")
        await pilot.press("s")
        await until_text(pilot, app, "Show statuses")
        await pilot.press("j", "j", "j", "j", "j", "space", "enter")  # several at once
        assert "status: succeeded,failed" in pane(app, "rows")
        await pilot.press("s")
        await until_text(pilot, app, "Show statuses")
        await pilot.press("j", "j", "j", "j", "j", "space", "enter")
        assert "status: succeeded" in pane(app, "rows")
        await rows_loaded(pilot, app)
        keys = screen.table.row_keys_in_order
        assert keys and {cell(app, k, "status") for k in keys} == {"✔ succeeded"}
        await pilot.press("a")
        assert "action: act" in pane(app, "rows")
        await rows_loaded(pilot, app)
        assert {cell(app, k, "name") for k in screen.table.row_keys_in_order} <= {"act"}
        assert "status: succeeded · action: act" in screen_text(app)


@pytest.mark.parametrize(
    ("no_color", "ascii_only"),
    [(False, False), (True, False), (True, True)],
    ids=["colour", "NO_COLOR", "NO_COLOR-ascii"],
)
async def test_a_ticked_status_differs_from_an_empty_one_by_more_than_colour(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, no_color: bool, ascii_only: bool
) -> None:
    """UX: a status is never told by colour alone (a user trial: in the status picker every
    box read X, ticked or not, one colour apart; under NO_COLOR a shade of grey apart; the
    cursor's option was only bold on a console; under --ascii the boxes read '# #'). Empty
    boxes are empty, ASCII ones are [X] and [ ], the cursor's option is in reverse video."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(frozen_gateway, ascii_only=ascii_only)
    box = r"\[(.)\]" if ascii_only else r"▐(.)▌"
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "s")
        await until_text(pilot, app, "Show statuses")

        def boxes() -> dict[str, str]:
            """Each status's line in the picker: its box's inside, by status word."""
            line = box + r" (\w[\w ]*?)\s*(?:$|│|▊|▎|\|)"
            found = re.findall(line, screen_text(app), re.M)
            return {word.strip(): inside for inside, word in found}

        await wait_for(pilot, lambda: len(boxes()) >= 4, what=f"the boxes: {boxes()}")
        assert set(boxes().values()) == {" "}, boxes()
        await pilot.press("space", "j", "j", "space")  # the first and the third
        ticked = {word for word, inside in boxes().items() if inside == "X"}
        assert len(ticked) == 2 and all(boxes()[w] == " " for w in boxes() if w not in ticked)
        third = list(boxes())[2]
        reversed_words = re.findall(
            r"\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m([^\x1b]*)", screen_output(app)
        )
        assert any(third in text for text in reversed_words), (third, reversed_words)
        await pilot.press("escape")


async def test_pause_stops_polling_and_shows_mark(gateway: GatewayServer) -> None:
    app = make_app(gateway, interval=0.3)

    def polls() -> int:
        return sum(1 for _, path in gateway.faults.requests if path.startswith("/v1/runs"))

    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("p")
        assert "PAUSED" in status_bar(app)
        # Requests in flight finish (a grown run's poll is several pages): wait for quiet.
        before, quiet_since, deadline = polls(), time.monotonic(), time.monotonic() + 15
        while time.monotonic() - quiet_since < 0.8 and time.monotonic() < deadline:
            await pilot.pause(0.1)
            if polls() != before:
                before, quiet_since = polls(), time.monotonic()
        await pilot.pause(1.5)  # five intervals
        assert polls() == before, "nothing is polled while paused"
        await pilot.press("p")
        await wait_for(pilot, lambda: "LIVE" in status_bar(app))
        await wait_for(pilot, lambda: polls() > before + 2, what="polling again")


@pytest.mark.parametrize("width", [80, 100, 160])
async def test_the_status_bar_never_cuts_off_the_freshness_state(
    gateway: GatewayServer, width: int
) -> None:
    """It says which API (the invocation API here) and the server; the interval is dropped
    and a long address shortened before the state is cut, and the way to help stays (at 80
    columns the footer has no room for it)."""
    where = "staging gateway https://bctrl-gateway.internal.staging.example.com:8443/base"
    app = make_app(gateway, source_label=where)
    async with app.run_test(size=(width, 30)) as pilot:
        await loaded(pilot, app)
        bar = status_bar(app).rstrip()
        assert bar.endswith(("● LIVE", "? help")) and "● LIVE" in bar, bar
        assert "bctrl · invocation API · staging gateway" in bar
        assert bar.endswith("? help"), bar
        assert ("every 2s" in bar) == (where in bar) == (width >= 160)


async def test_interval_changes_at_run_time(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(frozen_gateway, interval=2.0)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        assert "every 2s" in status_bar(app)
        await pilot.press("plus")
        assert "every 4s" in status_bar(app)
        await pilot.press("minus", "minus")
        assert "every 1s" in status_bar(app)
        assert [t.message for t in toasts][-3:] == [
            "Refreshing every 4s",
            "Refreshing every 2s",
            "Refreshing every 1s",
        ]
        await pilot.press(*["plus"] * 7)  # up to the longest, and back: - undoes +
        assert "every 60s" in status_bar(app)
        await pilot.press(*["minus"] * 5)
        assert "every 2s" in status_bar(app)


async def test_slash_filter_captures_q(frozen_gateway: GatewayServer) -> None:
    app = make_app(frozen_gateway)  # a still world: the row count cannot move under the test
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        total = screen.table.row_count
        await pilot.press("tab", "slash")
        await pilot.press("q", "u", "e", "u", "e", "d")
        assert app.is_running, "q went into the filter"
        assert screen.filter_input.value == "queued"
        assert "· /queued" in pane(app, "rows")
        shown = screen.table.row_keys_in_order
        assert len(shown) < total
        for key in shown:
            cells = " ".join(cell(app, key, c) for c in ("status", "name", "id", "problem"))
            assert "queued" in cells.lower() or "queued" in key
        if shown:
            assert f"{len(shown)} of {total} shown" in pane(app, "rows")
        await pilot.press("escape")
        assert "/queued" not in pane(app, "rows")
        assert screen.table.row_count == total
        assert f"{total} shown" in pane(app, "rows")


async def test_unknown_status_shows_raw_word(edge_gateway: GatewayServer) -> None:
    app = make_app(edge_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        runs = screen.groups
        edge = next(k for k in runs.row_keys_in_order if "quantum" in str(runs.get_cell(k, "kind")))
        assert str(runs.get_cell(edge, "status")) == "? paused", "an unknown run status, whole"
        await select_group(pilot, app, edge)
        odd = rows_where(app, "status", r"^\? ")
        assert odd
        assert cell(app, odd[0], "status") == "? paused for review"
        assert "? paused for review" in screen_text(app)


@pytest.mark.parametrize("width", [80, 120])
async def test_the_status_column_fits_every_known_status_before_it_appears(
    frozen_gateway: GatewayServer, width: int
) -> None:
    """The status column is as wide as bctrl's longest status word from the start, at 80
    columns too: a row turning 'dispatching' (or a run that has one) never shifts every
    column."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await loaded(pilot, app)
        offsets = set()
        for key in screen.groups.row_keys_in_order[:4]:
            await select_group(pilot, app, key)
            await rows_loaded(pilot, app)
            heading = next(line for line in screen_lines(app) if " action " in line)
            status_at = heading.index("status")
            offsets.add(heading.index("action") - status_at)
        assert len(offsets) == 1, offsets
        assert offsets.pop() >= len("◐ dispatching "), "dispatching would widen the column"


async def test_the_run_lists_counts_of_a_run_left_keep_up_with_its_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live run once selected (its record read: 103 invocations) and then left: its rows
    and failures in the list are counted again as it goes on, both of them (its rows stayed
    at 103 while its failures rose from 22 to 50 of 205)."""
    import tui.ui.viewer

    monkeypatch.setattr(tui.ui.viewer, "RECOUNT_EVERY", 0.3)
    now = [FROZEN_NOW]
    world = World("demo", seed=7, clock=lambda: now[0])
    with GatewayServer(world=world) as server:
        app = make_app(server, interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            first = screen.groups.row_keys_in_order[0]
            run = world.run(first)
            assert run is not None and world.run_status(run, now[0]) == "active"
            await rows_loaded(pilot, app)  # selected: its own record read, with its count
            await pilot.press("j")  # another run
            await wait_for(pilot, lambda: screen.selected_group != first, what="another run")
            now[0] += 300  # five minutes on: the first run has more invocations
            visible = world.visible(run, world.advance())
            failed = sum(p.status(now[0]) in ("failed", "timed_out") for p in visible)
            total = len(visible)
            assert total > len(world.visible(run, FROZEN_NOW))

            def listed() -> str:
                return next(line for line in screen_lines(app) if first[:8] in line)

            await wait_for(
                pilot,
                lambda: re.search(rf"\b{total}\s+{failed}\b", listed()) is not None,
                what=f"{total} rows and {failed} failures",
            )


async def test_the_progress_column_stays_while_the_run_is_live() -> None:
    """The progress column comes with the first row in progress (it waited for the table's
    next full redraw), and a live run with a moment when none of its rows is in progress
    keeps it: the reason column does not move sideways and back (a new user's try)."""
    now = [FROZEN_NOW]
    world = World("demo", seed=7, clock=lambda: now[0])
    with GatewayServer(world=world) as server:
        app = make_app(server, interval=0.2, clock=lambda: now[0])
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            second = screen.groups.row_keys_in_order[1]  # none of its rows runs at +7.5 s
            await select_group(pilot, app, second)
            await rows_loaded(pilot, app)

            def heading() -> str:
                return next(line for line in screen_lines(app) if " action " in line)

            await pilot.press("tab", "g")  # the newest rows, the running ones among them

            async def redrawn() -> bool:
                await pilot.press("O", "O")  # the table drawn again, oldest first and back
                return "progress" in heading()

            await wait_for(
                pilot, lambda: "step " in region_text(app, "#detail-pane"), what="its progress"
            )
            await wait_for(pilot, lambda: "progress" in heading(), what="the progress column")
            now[0] += 8
            world.advance()
            await wait_for(
                pilot, lambda: not rows_where(app, "status", "running"), what="no row running"
            )
            assert await redrawn(), "none in progress now, but the run is live"


async def test_empty_run_says_so_in_the_table(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        empty = screen.groups.row_keys_in_order[-1]
        await select_group(pilot, app, empty)
        assert screen.table.row_count == 0
        assert empty_message(app) == "No invocations in this run."
        assert "0 shown" in pane(app, "rows")


async def test_pinned_run_not_found_shows_the_servers_error(gateway: GatewayServer) -> None:
    """No invented "run not found": the table says what the invocations request got."""
    app = make_app(gateway, pinned=[MISSING])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.viewer
        await wait_for(pilot, lambda: screen.groups.row_count > 1, what="the other runs")
        assert screen.groups.row_keys_in_order[0] == MISSING
        assert "◆ 00000000" in str(screen.groups.get_cell(MISSING, "name"))
        assert f"run {MISSING[:8]}" in pane(app, "rows")
        await wait_for(pilot, lambda: "HTTP 404" in empty_message(app), what="the error")
        said = empty_message(app)
        assert re.search(r"not found · HTTP 404 · run\.not_found · Run not found", said), said
        assert re.search(r"request req_\d+", said), "with the request id"
        assert screen.table.row_count == 0
        assert "LIVE" in status_bar(app), "the server answered: it is reachable"


async def test_no_run_list_endpoint_works_with_pinned_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = FaultConfig()
    with GatewayServer(faults=faults) as server:
        faults.force("404", 1000, "/v1/runs$")
        run_id = server.world.runs[0].id
        app = make_app(server, pinned=[run_id], interval=0.3)
        toasts = record_toasts(monkeypatch)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.viewer
            await wait_for(pilot, lambda: any("no run list" in t.message for t in toasts))
            await rows_loaded(pilot, app)
            assert screen.groups.row_keys_in_order == [run_id]
            assert screen.table.row_count > 0
            path = f"/v1/runs/{run_id}/invocations"
            await wait_for(
                pilot,
                lambda: sum(p == path for _, p in faults.requests) >= 4,
                what="more polls",
            )
            await pilot.pause(0.3)
            told = [t for t in toasts if "no run list" in t.message]
            assert len(told) == 1, "said once"
            assert told[0].severity == "warning"


async def test_error_state_keeps_data_and_r_recovers(fault_gateway: GatewayServer) -> None:
    app = make_app(fault_gateway, key="secret-token-123", interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        rows = set(screen.table.row_keys_in_order)
        fault_gateway.faults.force("500", 200, "/v1/runs/")
        await wait_for(pilot, lambda: "server · HTTP 500" in pane(app, "rows"))
        assert rows <= set(screen.table.row_keys_in_order), "the last rows stay on screen"
        assert re.search(r"updated .* ago", pane(app, "rows")), "with their age"
        assert re.search(r"RETRYING|OFFLINE", status_bar(app))
        assert "secret-token-123" not in screen_text(app)
        fault_gateway.faults.clear()
        await pilot.press("r")
        await wait_for(pilot, lambda: "LIVE" in status_bar(app), timeout=20)
        await wait_for(pilot, lambda: "up to date" in pane(app, "rows"))


async def test_help_and_quit(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await until_text(pilot, app, "runwatch — keys")
        assert "failures only (server side)" in screen_text(app)
        await pilot.press(*"j" * 5, "G")  # the help scrolls (j/k, page keys, g/G)
        await until_text(pilot, app, r"esc, q or \? closes this help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "runwatch — keys" not in screen_text(app))
        assert app.screen is app.viewer
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to quit")


async def test_too_small_terminal(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(50, 12)) as pilot:
        await until_text(pilot, app, "Terminal too small for runwatch")
        assert "Make it at least 60x15." in screen_text(app)
        assert "Invocations" not in screen_text(app)


async def test_below_80x24_the_viewer_runs_and_says_the_terminal_is_too_small(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UX: it works at 80x24 and says "terminal too small" below that (a user trial: at
    79x24 and 60x15 it said nothing while columns were cut and the detail pane was gone).
    Between 60x15 and 80x24 it still runs, and says so once each time it gets there."""
    toasts = record_toasts(monkeypatch)
    app = make_app(frozen_gateway)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot, app)
        assert not [t for t in toasts if "too small" in t.message]
        await pilot.resize_terminal(79, 24)
        await until_text(pilot, app, "Terminal too small: 79x24")
        await pilot.resize_terminal(70, 20)  # still small: not said again
        await pilot.resize_terminal(100, 30)
        await pilot.resize_terminal(80, 23)
        await wait_for(pilot, lambda: "too small: 80x23" in toasts[-1].message)
        said = [t.message for t in toasts if "too small" in t.message]
        assert len(said) == 2 and "laid out for 80x24 or more" in said[0], said
        assert "Runs (" in screen_text(app), "the viewer still runs"


async def test_copy_id(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    copied = record_copies(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: copied == [screen.groups.selected_key])


async def test_keys_typed_in_one_burst_act_on_the_pane_the_keys_before_reached(
    frozen_gateway: GatewayServer,
) -> None:
    """Over SSH, or while the app is busy, keys arrive together: tab tab is two panes on."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        send_keys(app, "tab", "tab")
        await wait_for(pilot, lambda: app.focused is screen.body.doc, what="the detail")
        send_keys(app, "shift+tab", "shift+tab")
        await wait_for(pilot, lambda: app.focused is screen.groups, what="the run list")
        start = screen.table.cursor_row  # on the run's first failure (the viewer opened on it)
        send_keys(app, "l", "k", "l")  # into the table, up one, into the detail
        await wait_for(pilot, lambda: app.focused is screen.body.doc, what="the detail")
        assert screen.table.cursor_row == start - 1


async def test_a_prompt_typed_in_one_burst_gets_its_letters_and_the_keys_after_it(
    frozen_gateway: GatewayServer,
) -> None:
    """``:`` and the letters after it arrive together (over SSH, or typed ahead of a busy
    app) and all go to the pane focused as they arrive: the letters belong to the prompt
    ``:`` opens, and the keys after enter to the table, in order. Before, the letters were
    lost and the jump never happened (the benchmark's keys measured nothing for it)."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")
        order = screen.table.row_keys_in_order
        target, after = order[10], order[11]
        send_keys(app, "colon", *target[:6], "enter", "j")
        await wait_for(
            pilot,
            lambda: f"Invocation {after[:8]}" in pane(app, "detail"),
            what="the row after the one jumped to",
        )
        assert "jump: run" not in screen_text(app), "the prompt closed"

        # The same with the filter, the keys sent while the table has focus...
        send_keys(app, "slash", *"succeeded", "enter", "j")
        await wait_for(pilot, lambda: "/succeeded" in pane(app, "rows"), what="the filter")
        await pilot.pause(0.2)
        assert re.search(r"/succeeded\b", pane(app, "rows")), pane(app, "rows")
        assert app.focused is screen.table
        # ...and while the prompt has it: enter closes it at once, g goes to the table.
        await pilot.press("slash", *"failed")  # opening it selects the text: typing replaces it
        await wait_for(pilot, lambda: "/failed" in pane(app, "rows"), what="the new filter")
        assert screen.table.cursor_row > 0
        send_keys(app, "enter", "g")
        await wait_for(pilot, lambda: screen.table.cursor_row == 0, what="g in the table")
        assert re.search(r"/failed\b", pane(app, "rows")), pane(app, "rows")
        await pilot.press("slash")
        send_keys(app, "escape", "k")  # esc clears the filter, k moves in the table
        await wait_for(pilot, lambda: "/failed" not in pane(app, "rows"), what="cleared")
        assert app.focused is screen.table


async def test_a_prompts_focus_arriving_after_its_letters_keeps_them(
    frozen_gateway: GatewayServer,
) -> None:
    """The letters typed in the burst that opens a prompt can reach it before its focus
    event does (they bubble up to the app, which puts them in the focused input). The
    input's own select-on-focus then selected them, and the next letter replaced them:
    ``:5e71`` read ``71``, over SSH, about one time in two after a jump."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")
        target = screen.table.row_keys_in_order[10]
        send_keys(app, "colon", *target[:3])
        await wait_for(pilot, lambda: screen.jump_input.value == target[:3], what="3 letters")
        screen.jump_input.post_message(events.Focus())  # as it comes, late, over SSH
        send_keys(app, *target[3:6], "enter")
        await wait_for(
            pilot,
            lambda: f"Invocation {target[:8]}" in pane(app, "detail"),
            what="the row whose first six characters were typed",
        )

        # The filter still opens with its text selected: typing replaces it.
        await pilot.press("slash", *"failed", "enter")
        await wait_for(pilot, lambda: "/failed" in pane(app, "rows"), what="the filter")
        await pilot.press("slash", *"succeeded")
        await wait_for(pilot, lambda: "/succeeded" in pane(app, "rows"), what="replaced")
        assert "failedsucceeded" not in pane(app, "rows")


async def test_a_jump_typed_before_a_groups_rows_are_read_waits_for_them(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``:121a`` enter ``:aca5`` enter, typed at once: the second jump came before run
    121a's rows were read and said "Nothing starts with 'aca5'". It now goes there once
    they are read; a start nothing has is said then."""
    toasts = record_toasts(monkeypatch)
    world = frozen_gateway.world
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        other = screen.groups.row_keys_in_order[3]
        plan = world.run(other)
        assert plan is not None
        shown = world.visible(plan, FROZEN_NOW)
        target = shown[len(shown) // 2].id
        send_keys(app, "colon", *other[:6], "enter", "colon", *target[:6], "enter")
        await wait_for(
            pilot,
            lambda: f"Invocation {target[:8]}" in pane(app, "detail"),
            what="the row of the run jumped to just before",
        )
        await pilot.pause(0.3)  # the first full load no longer moves it to a failure
        assert f"Invocation {target[:8]}" in pane(app, "detail")
        assert not [t for t in toasts if "Nothing starts" in t.message]

        first = screen.groups.row_keys_in_order[0]
        send_keys(app, "colon", *first[:6], "enter", "colon", *"ffffff", "enter")
        await wait_for(
            pilot,
            lambda: any("Nothing starts with 'ffffff'" in t.message for t in toasts),
            what="a start nothing has, said once the rows are read",
        )
        assert f"run {first[:8]}" in pane(app, "rows")


async def test_edit_keys_typed_in_a_burst_act_where_they_were_typed(
    frozen_gateway: GatewayServer,
) -> None:
    """In an open prompt, backspace and the arrows typed in one burst with letters act in
    their place (a new user's try over tmux: 'a b ⌫ c' read 'ab', ':121b⌫a' jumped nowhere)."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "slash")
        await wait_for(pilot, lambda: isinstance(app.focused, Input), what="the prompt")
        send_keys(app, "a", "b", "backspace", "c", "left", "x", "end", "d", "enter")
        await wait_for(pilot, lambda: "/axcd" in pane(app, "rows"), what="the filter")
        await pilot.press("slash")
        send_keys(app, "escape")
        await wait_for(pilot, lambda: "/axcd" not in pane(app, "rows"), what="cleared")
        await pilot.press("h", "colon")  # in the run list: jump to a run
        await wait_for(pilot, lambda: isinstance(app.focused, Input), what="the jump prompt")
        send_keys(app, "c", "7", "1", "b", "backspace", "c", "enter")
        await wait_for(pilot, lambda: "run c71c4149" in pane(app, "rows"), what="the run")


async def test_a_jump_typed_while_the_table_reloads_keeps_every_letter(
    frozen_gateway: GatewayServer,
) -> None:
    """A run switch and ':run 121a' in one burst (the table reloading as the letters come):
    every letter reaches the prompt, none is taken by a pane's binding (r, n)."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        for _ in range(3):
            send_keys(app, "j", "colon", *"run", "space", *"121a", "enter")
            await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"), what="121a")
            await pilot.press("h", "g")  # back to the top of the run list
            await wait_for(pilot, lambda: screen.groups.cursor_row == 0, what="the top")


@pytest.mark.parametrize("width", [120, 160, 199, 200, 240])
async def test_the_table_is_never_narrower_than_at_120_columns(
    frozen_gateway: GatewayServer, width: int
) -> None:
    """The detail moves beside the table only where the table keeps 120 columns; below, the
    panes are stacked and the table's error column is as wide as the screen allows."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(width, 48)) as pilot:
        await loaded(pilot, app)
        table = app.viewer.query_one("#rows-pane").region
        detail = app.viewer.query_one("#detail-pane").region
        assert table.width >= 120, (width, table)
        beside = detail.x >= table.right
        assert beside == (width >= 200), (width, table, detail)
        assert beside or table.width == width
        header = next(
            line for line in region_text(app, "#rows-pane").splitlines() if "took" in line
        )
        assert "error / reason" in header


def unique_prefix(ids: list[str], full: str) -> str:
    """The shortest start of ``full`` (four characters at least) no other id starts with."""
    return next(
        full[:n] for n in range(4, len(full)) if sum(i.startswith(full[:n]) for i in ids) == 1
    )


async def test_a_run_named_by_the_start_of_its_id_is_that_run(gateway: GatewayServer) -> None:
    """``runwatch 121a``: the short id the tables show pins and opens the one listed run whose
    id starts with it; no group named ``121a`` is left in the list."""
    ids = [run.id for run in gateway.world.runs]
    full = ids[-2]
    ref = unique_prefix(ids, full)
    app = make_app(gateway, pinned=[ref])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: f"run {full[:8]}" in pane(app, "rows"), what="the run")
        await rows_loaded(pilot, app)
        groups = region_text(app, "#groups-pane")
        assert f"Runs ({len(ids)})" in groups
        pinned = [line for line in groups.splitlines() if "◆" in line]
        assert len(pinned) == 1 and full[:8] in pinned[0], groups
        assert not re.search(rf"◆ {ref}\s", groups), groups
        assert "not found" not in screen_text(app)


async def test_a_short_id_that_names_several_runs_or_none_is_said(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [run.id for run in gateway.world.runs]
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    candidates = [i[:8] for i in ids if i.startswith(shared)]
    toasts = record_toasts(monkeypatch)
    app = make_app(gateway, pinned=[shared, "fedcba9"])
    async with app.run_test(size=(120, 40)) as pilot:
        said = lambda: " | ".join(t.message for t in toasts)  # noqa: E731
        await wait_for(pilot, lambda: "is ambiguous" in said() and "No run id" in said())
        assert f"{shared} is ambiguous: {len(candidates)} runs start with it" in said()
        assert all(c in said() for c in candidates)
        assert f"No run id among the {len(ids)} listed starts with fedcba9" in said()
        # Neither stays pinned (a user trial: a run '6' was listed and asked for, and not
        # found, on every round); the run list's first run is shown.
        await wait_for(pilot, lambda: f"Runs ({len(ids)})" in pane(app, "groups"))
        await rows_loaded(pilot, app)
        assert f"run {ids[0][:8]}" in pane(app, "rows"), pane(app, "rows")
        asked = len(gateway.faults.requests)
        await pilot.pause(1.0)
        paths = [path for _, path in list(gateway.faults.requests)[asked:]]
        asked = re.compile(rf"^/v1/runs/({shared}|fedcba9)(/|\?|$)")  # as ids, not starts
        assert not [p for p in paths if asked.match(p)], paths


async def test_a_filter_that_hides_every_row_leaves_no_detail_of_a_hidden_one(
    frozen_gateway: GatewayServer,
) -> None:
    """With no row shown, the detail does not go on showing the row the filter hid (a user
    trial: ``0 of 16 shown`` above, a hidden invocation's detail below)."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: "Invocation " in pane(app, "detail"), what="a detail")
        shown = re.search(r"Invocation (\w+)", pane(app, "detail"))
        assert shown is not None
        await pilot.press("tab", "slash", *"zzqqxx", "enter")
        await wait_for(pilot, lambda: "No invocations match" in region_text(app, "#rows-pane"))
        await wait_for(pilot, lambda: shown[1] not in region_text(app, "#detail-pane"))
        assert "Select an invocation" in region_text(app, "#detail-pane")
        await pilot.press("escape")  # the filter cleared: the cursor's row, and its detail
        await wait_for(pilot, lambda: "Invocation " in pane(app, "detail"))


async def test_a_filter_that_hides_the_followed_row_stops_its_follow(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The running row being followed is hidden by a filter that shows nothing: its long-polls
    stop (nothing on screen needs them). Once the filter is cleared the cursor is back on
    that row (it went to whichever row the cursor's index fell on) and follows it again."""
    monkeypatch.setattr("tui.providers.bctrl.source.WAIT_MS", 200)  # a long-poll a beat
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        target = await select_longest_running(pilot, app, gateway)
        await wait_for(pilot, lambda: "following (long-poll)" in pane(app, "detail"))

        def polls() -> int:
            return sum(1 for _, path in gateway.faults.requests if path.endswith(f"{target}/wait"))

        await wait_for(pilot, lambda: polls() >= 2, what="the follow's long-polls")
        await pilot.press("slash", *"zzqqxx", "enter")
        await wait_for(pilot, lambda: "No invocations match" in region_text(app, "#rows-pane"))
        await pilot.pause(0.3)  # a long-poll on its way is cancelled or answered
        hidden = polls()
        await pilot.pause(1.5)  # seven long-polls' time
        assert polls() == hidden
        await pilot.press("escape")  # the filter cleared: back on the row, followed again
        await wait_for(pilot, lambda: f"Invocation {target[:8]}" in pane(app, "detail"))
        await wait_for(
            pilot,
            lambda: polls() > hidden or "final" in pane(app, "detail"),
            what="the follow again",
        )


async def test_toasts_sit_at_the_top_right_never_over_the_footer(
    frozen_gateway: GatewayServer,
) -> None:
    """Textual docks toasts at the bottom, where they covered the footer's keys and the
    log's last lines (a user trial); they sit in the run list's top right."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: "q Quit" in screen_text(app).splitlines()[-1])
        footer = screen_text(app).splitlines()[-1]
        await pilot.press("P")  # a toast: "Pinned run …"
        await wait_for(pilot, lambda: "Pinned run" in screen_text(app), what="the toast")
        lines = screen_text(app).splitlines()
        assert lines[-1] == footer
        at = next(i for i, line in enumerate(lines) if "Pinned run" in line)
        assert at < 12, (at, lines[: at + 1])


async def test_a_short_pin_that_names_no_listed_run_is_never_asked_for_as_an_id() -> None:
    """The start of an id is looked up in the run list, not asked for as a run: a server may
    answer that with a 400, and the group poll must not fail (and back off) on every round."""
    from .hostile_server import HostileServer, dataset_routes, plausible_dataset, respond

    with HostileServer(dataset_routes(plausible_dataset())) as server:
        server.route("GET", "/v1/runs/abcd", respond(400, b'{"error": "not a run id"}'))
        app = make_app(server, pinned=["abcd"], interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            # The listed run; the pin 'abcd' names none, and goes.
            await wait_for(pilot, lambda: "Runs (1)" in pane(app, "groups"), what="the list")
            await pilot.pause(2.0)  # several rounds of the group poll
            assert "LIVE" in status_bar(app), status_bar(app)
            assert "up to date" in pane(app, "groups"), pane(app, "groups")
            assert len(server.requests("GET", "/v1/runs/abcd")) <= 1  # the selection's own


@pytest.mark.parametrize("size", [(120, 40), (100, 30)])
async def test_a_run_list_that_fits_does_not_grow_when_focused(
    frozen_gateway: GatewayServer, size: tuple[int, int]
) -> None:
    """A user trial: the run list grew by 4 blank lines while focused, and every pane below
    jumped at each tab and esc. A list whose rows fit its pane stays as it is; z still gives
    it the screen."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)

        def rows_pane_at() -> int:
            return next(i for i, line in enumerate(screen_lines(app)) if "Invocations ·" in line)

        assert app.focused is app.viewer.groups
        focused = rows_pane_at()
        await pilot.press("tab")
        await pilot.pause()
        assert rows_pane_at() == focused == 1 + 5 + 3, screen_text(app)
        await pilot.press("escape", "z")
        await wait_for(pilot, lambda: "Invocations ·" not in screen_text(app), what="zoomed")
