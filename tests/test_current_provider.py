"""bctrl's current API as a provider: the source against the gateway over loopback (no
Textual), the client against the contract's OpenAPI files, the viewer (Pilot), ``watch`` and
the API detection of the command line.

The gateway's ``current`` world runs on a clock the tests hold still (``T0``) or speed up.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import fast_retry
from tests.contract_mock import ContractMock
from tests.test_current_gateway import CONTRACT, RUN_ACTIVE, RUN_FAILED, T0
from tests.viewer_helpers import make_app, pane, region_text, screen_text, status_bar, wait_for
from tui.core.model import Detail, Kind, Query, Row
from tui.core.pages import PageDelta
from tui.core.text import short_id
from tui.providers import PROVIDERS
from tui.providers.current.client import CurrentClient, speaks_current
from tui.providers.current.models import Body, call_row
from tui.providers.current.source import CurrentSource
from tui.providers.current.stream import RunStream
from tui.sim.current_world import CurrentWorld
from tui.sim.faults import FaultConfig
from tui.sim.options import GatewayOptions
from tui.sim.server import GatewayServer
from tui.sim.world import World
from tui.watch import WatchOptions, watch


def _world_gateway(scenario: str, faults: FaultConfig | None = None) -> GatewayServer:
    world = World(scenario, seed=7, clock=lambda: T0)
    server = GatewayServer(world=world, faults=faults).start()
    assert server.current is not None
    server.current.heartbeat_seconds = 0.2
    server.current.poll_seconds = 0.05
    return server


@pytest.fixture(scope="module")
def still() -> Iterator[GatewayServer]:
    """October words, a world that holds still at T0 (faults only when a test forces one)."""
    server = _world_gateway("current", FaultConfig(rate=0.0))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def august() -> Iterator[GatewayServer]:
    server = _world_gateway("current-august")
    yield server
    server.stop()


def _world(server: GatewayServer) -> CurrentWorld:
    assert server.current is not None
    return server.current


def _source(url: str) -> CurrentSource:
    source = PROVIDERS["bctrl-current"].make_source(
        "k-current-test", url, clock=lambda: T0, retry=fast_retry()
    )
    assert isinstance(source, CurrentSource)
    return source


async def _rows(source: CurrentSource, run: str, query: Query | None = None) -> list[Row]:
    delta: PageDelta = await source.pager(run, query or Query()).poll()
    return delta.rows


async def _final(source: CurrentSource, key: str) -> tuple[Row, Detail]:
    """Follow a call to its end: its last row and its final detail."""
    row: Row | None = None
    detail: Detail | None = None
    async for update in source.follow(key, None):
        if isinstance(update, Row):
            row = update
        elif isinstance(update, Detail):
            detail = update
    assert row is not None and detail is not None and detail.terminal
    return row, detail


# -- the source, headless ---------------------------------------------------------------------


async def test_runs_and_tool_calls_map_into_the_model(still: GatewayServer) -> None:
    world = _world(still)
    source = _source(still.url)
    try:
        groups = await source.groups()
        assert {g.key for g in groups} == {run.id for run in world.runs}
        failed = next(g for g in groups if g.key == world.runs[RUN_FAILED].id)
        assert failed.status.kind is Kind.FAILED and failed.problem is not None
        assert failed.problem.code == "browser.crashed"
        rows = await _rows(source, failed.key)
        assert rows and all(r.key.startswith("tc_") and r.group == failed.key for r in rows)
        words = {r.status.raw for r in rows}
        assert "unknown" in words  # the call the crash interrupted: a failure, shown as sent
        assert all(r.status.kind is Kind.FAILED for r in rows if r.status.raw == "unknown")
        # Server-side filters: status (several) and tool.
        only = await _rows(source, failed.key, Query(status=("failed", "unknown")))
        assert only and {r.status.raw for r in only} <= {"failed", "unknown"}
        clicks = await _rows(source, failed.key, Query(action=("browser.click",)))
        assert clicks and {r.name for r in clicks} == {"browser.click"}
    finally:
        await source.aclose()


async def test_august_words_map_and_filters_are_asked_in_the_servers_words(
    august: GatewayServer,
) -> None:
    source = _source(august.url)
    try:
        runs = await source.groups()
        rows = [r for g in runs for r in await _rows(source, g.key)]
        assert {"requires_input", "cancelled"} & {r.status.raw for r in rows}
        assert {r.status.kind for r in rows if r.status.raw == "requires_input"} <= {Kind.WAITING}
        assert all(r.status.kind is Kind.CANCELLED for r in rows if r.status.raw == "cancelled")
        # The viewer's filter says October's "canceled"; this server only knows "cancelled".
        fresh = _source(august.url)  # has not seen a row yet: learns from the 400
        try:
            run = next(r.group for r in rows if r.status.raw == "cancelled")
            found = await _rows(fresh, run, Query(status=("canceled",)))
            assert found and {r.status.raw for r in found} == {"cancelled"}
        finally:
            await fresh.aclose()
    finally:
        await source.aclose()


async def test_a_failed_call_reads_its_span_path_and_the_events_beside_it(
    still: GatewayServer,
) -> None:
    world = _world(still)
    source = _source(still.url)
    try:
        run = world.runs[RUN_FAILED].id
        failed = [r for r in await _rows(source, run) if r.status.raw == "failed"]
        row, detail = await _final(source, failed[0].key)
        body = detail.body
        assert isinstance(body, Body)
        assert row.problem is not None and row.problem.code
        path = body.span_path()
        assert path[-1].kind == "runtime" and path[-1].parent is None  # up to the run
        assert any(s.id == body.span for s in path)  # through the call's own span
        assert path[0].failed  # from the failure itself
        near = body.evidence()
        assert near and near[0].bad, "the nearest evidence is a failure"
        assert {e.category for e in near} & {"console", "network", "page"}
        ids = {s.id for s in body.trace or ()}
        assert all(e.span in ids for e in near)  # joined on spanId
        why = source.explain(row, detail)
        assert why[0] == row.problem.text() and any("path:" in line for line in why)
        # Terminal: following it again asks nothing.
        assert [u async for u in source.follow(row.key, detail)] == []
        # Its curl sends the API version the view asked for (another version of a key may
        # answer differently), and runs as pasted.
        curl = {c.label: c.text for c in source.copies(None, row, detail)}[
            "curl for this tool call"
        ]
        assert "-H 'BCTRL-Version: 2026-10-03'" in curl
        if shutil.which("curl") and shutil.which("bash"):
            env = {**os.environ, "BCTRL_API_KEY": "k-current-test"}
            ran = await asyncio.to_thread(
                subprocess.run, ["bash", "-c", curl], env=env, capture_output=True, timeout=30
            )
            assert ran.returncode == 0 and row.key in ran.stdout.decode(), ran
    finally:
        await source.aclose()


async def test_the_stream_resumes_after_a_cut_with_no_frame_lost_or_repeated(
    still: GatewayServer,
) -> None:
    run = _world(still).runs[RUN_FAILED].id
    path = f"/v1/runs/{run}/stream"
    clean_client = CurrentClient("k", still.url, retry=fast_retry())
    cut_client = CurrentClient("k", still.url, retry=fast_retry())
    clean, cut = RunStream(clean_client, run), RunStream(cut_client, run)
    try:
        clean.start()
        await asyncio.wait_for(_until(lambda: clean.ended), 20)
        faults = still.faults
        assert faults is not None
        faults.cut_after = 40
        faults.force("cut", count=2, path_prefix=path + "$")
        cut.start()
        await asyncio.wait_for(_until(lambda: cut.ended), 30)
        assert cut.connections >= 3, "the stream was cut twice and resumed"
        assert cut.frame_ids == clean.frame_ids, "every frame once, in order"
        assert len(set(cut.frame_ids)) == len(cut.frame_ids)
        assert clean.frame_ids[-1] == cut.last_id
        assert any(s.kind == "tool" for s in cut.spans.values())
    finally:
        for stream in (clean, cut):
            await stream.aclose()
        await clean_client.aclose()
        await cut_client.aclose()


async def _until(predicate: Any) -> None:
    while not predicate():  # noqa: ASYNC110 (the stream has no event for each condition)
        await asyncio.sleep(0.02)


async def test_a_live_run_is_kept_current_by_its_stream_not_by_polling() -> None:
    """At 20x a live run's calls change every few tenths of a second: the table pager asks
    the list again only when the stream says so, and the followed live call ends."""
    with GatewayServer(GatewayOptions(scenario="current", speed=20.0)) as server:
        source = PROVIDERS["bctrl-current"].make_source(
            "k", server.url, clock=time.time, retry=fast_retry()
        )
        assert isinstance(source, CurrentSource)
        try:
            run = next(g for g in await source.groups() if g.status.kind is Kind.RUNNING)
            pager = source.pager(run.key, Query())
            first = await pager.poll()
            assert first.rows
            stream = source.stream(run.key)
            await asyncio.wait_for(_until(lambda: stream.live), 10)
            quiet = 0
            for _ in range(30):
                delta = await pager.poll()
                quiet += not delta.pages_read
                await asyncio.sleep(0.01)
            assert quiet > 0, "some polls cost no request: the stream said nothing changed"
            live = [r for r in first.rows if not r.status.terminal]
            if live:
                row, detail = await asyncio.wait_for(_final(source, live[0].key), 30)
                assert row.status.terminal and detail.terminal
        finally:
            await source.aclose()


# -- the client against the contract's OpenAPI files ------------------------------------------


CURRENT_SPECS = tuple(
    str(CONTRACT / f"bctrl-current-{name}")
    for name in ("runs-list", "tool-calls-list", "tool-calls-get", "runs-trace", "runs-events-list")
)


async def test_the_source_reads_any_answer_the_contract_allows() -> None:
    """Bodies generated from the OpenAPI files (odd but valid): every run and tool call the
    mock sends is mapped, and a failed call's detail is built, whatever the values."""
    with ContractMock(seed=5, mode="odd", specs=CURRENT_SPECS, max_pages=2, pool_size=8) as mock:
        source = _source(mock.url)
        try:
            groups = await source.groups()
            for _ in range(5):  # an empty list is valid too: each request draws another body
                if groups:
                    break
                groups = await source.groups()
            assert groups and all(g.key for g in groups)
            rows = [r for g in groups[:4] for r in await _rows(source, g.key)]
            assert all(r.key for r in rows)
            updates = [u async for u in source.follow("tc_u0000000000000000000000", None)]
            assert any(isinstance(u, Detail) for u in updates)
        finally:
            await source.aclose()
    served = {s.path for s in mock.served}
    assert {"/v1/runs", "/v1/tool-calls", "/v1/tool-calls/tc_u0000000000000000000000"} <= served


def test_call_rows_survive_odd_fields() -> None:
    row = call_row(
        {"id": "tc_x", "status": "paused_for_review", "createdAt": "yesterday", "error": 7},
        T0,
        0,
    )
    assert row is not None and row.status.kind is Kind.UNKNOWN
    assert row.status.raw == "paused_for_review"
    assert row.problem is None and row.created is not None


# -- detection and the command line ---------------------------------------------------------


async def test_detection_asks_the_server_which_api_it_speaks(
    still: GatewayServer, gateway: GatewayServer
) -> None:
    for server, expected in ((still, True), (gateway, False)):
        client = CurrentClient("k", server.url, retry=fast_retry())
        try:
            assert await speaks_current(client) is expected
        finally:
            await client.aclose()
    client = CurrentClient("k", "http://127.0.0.1:9", retry=fast_retry(), connect_timeout=0.5)
    try:
        assert await speaks_current(client) is None  # cannot tell: the caller says so
    finally:
        await client.aclose()


async def test_watch_reports_the_failed_tool_call_and_exits_1(still: GatewayServer) -> None:
    run = _world(still).runs[RUN_FAILED].id
    source = _source(still.url)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = await watch(
            source, WatchOptions(ref=run, mode="once", exit_status=True), out=out, err=err
        )
    finally:
        await source.aclose()
    said = out.getvalue()
    assert code == 1, err.getvalue()
    assert "browser.crashed" in said  # the run's failure
    assert "browser.element_not_found" in said  # the failing call's error
    assert "tc_" in said


# -- the viewer ----------------------------------------------------------------------------


async def test_viewer_opens_the_failed_run_on_its_failure_with_path_and_events(
    still: GatewayServer,
) -> None:
    world = _world(still)
    failed_run = world.runs[RUN_FAILED].id
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Runs (5)" in screen_text(app), what="the run list")
        assert "current API" in status_bar(app)
        await pilot.press("G")  # the failed run is the oldest
        await wait_for(pilot, lambda: failed_run[4:12] in pane(app, "rows"), what="the failed run")
        await wait_for(pilot, lambda: "Why it failed" in screen_text(app), what="the landing")
        text = screen_text(app)
        assert re.search(r"status +tool ", text)  # the table names its rows' column
        assert "◀ this call" in text and "↑ run" in text
        assert "Events beside it" in text
        assert "console.error" in text or "network" in text
        # The trace, further down: two levels open, the failed branch open.
        await wait_for(pilot, lambda: "final" in pane(app, "detail"), what="the final record")
        await pilot.press("tab", "tab", "G")  # the detail, to its end
        await wait_for(pilot, lambda: "▸ ✔ tool" in screen_text(app), what="the trace")
        text = screen_text(app)
        assert "▾ ✘ tool     browser.click  failed" in text  # the failed branch, open
        assert "▸ ✔ tool     browser.navigate  succeeded" in text  # the others, folded
        assert "✘ network  GET https://" in text  # three deep: tool, browser, network
        # The call the crash interrupted reads as its row does: a failure, 'unknown' (a
        # user trial: '✘ unknown' in the table, '? tool browser.click unknown' in the tree).
        await pilot.press("shift+tab")  # the table
        await pilot.press("g")  # its newest call: the one the crash interrupted
        await wait_for(pilot, lambda: "✘ unknown" in screen_text(app), what="the unknown call")
        await wait_for(pilot, lambda: "final" in pane(app, "detail"), what="its record")
        await wait_for(pilot, lambda: "Why it failed" in screen_text(app), what="why")
        text = screen_text(app)
        assert re.search(r"✘ tool +browser\.\w+ +unknown", text), text
        assert not re.search(r"\? tool ", text), text


async def test_the_run_list_counts_a_visited_runs_calls_but_not_under_a_filter(
    still: GatewayServer,
) -> None:
    """Runs carry no counts here: the run list counts a run's calls and failures once they
    were all read; a filter's rows are a part, and leave the counts as they were."""
    failed_run = _world(still).runs[RUN_FAILED].id
    source = _source(still.url)
    try:
        calls = await _rows(source, failed_run)
    finally:
        await source.aclose()
    failing = sum(1 for call in calls if call.status.failure)
    assert 0 < failing < len(calls)
    counted = rf"{re.escape(short_id(failed_run))} .* {len(calls)} +{failing} *│"
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Runs (5)" in screen_text(app), what="the run list")
        assert not re.search(counted, screen_text(app))
        await pilot.press("G")  # the failed run is the oldest
        await wait_for(pilot, lambda: failed_run[4:12] in pane(app, "rows"), what="the failed run")
        await wait_for(pilot, lambda: re.search(counted, screen_text(app)), what="its counts")
        await pilot.press("tab", "F")
        await wait_for(pilot, lambda: "status: failures" in pane(app, "rows"))
        await wait_for(pilot, lambda: "up to date" in pane(app, "rows"), what="the failures")
        await pilot.pause(0.3)
        assert re.search(counted, screen_text(app))


async def test_viewer_follows_a_live_tool_call_to_its_end() -> None:
    with GatewayServer(GatewayOptions(scenario="current", speed=10.0)) as server:
        app = make_app(server, provider="bctrl-current", interval=0.5)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "Runs (5)" in screen_text(app), what="the run list")
            screen = app.viewer
            await wait_for(pilot, lambda: screen.table.row_count > 0, what="tool calls")
            await pilot.press("tab")

            def running() -> str | None:
                for key in screen.table.row_keys_in_order:
                    row = screen.store.rows.get(key)
                    if row is not None and row.status.kind is Kind.RUNNING:
                        return key
                return None

            await wait_for(pilot, lambda: running() is not None, 20, "a running call")
            key = running()
            assert key is not None
            assert screen.table.select_key(key)
            await wait_for(
                pilot,
                lambda: (r := screen.store.rows.get(key)) is not None and r.status.terminal,
                30,
                "the call to end",
            )
            await wait_for(pilot, lambda: "final" in pane(app, "detail"), 15, "the final record")
            assert key[:8] in pane(app, "detail")


def test_the_registry_and_the_gateway_agree_on_ids() -> None:
    current = PROVIDERS["bctrl-current"]
    assert current.valid_ref("run_uAAAAAAAAAAAAAAAAAAAAAA")
    assert current.valid_ref("tc_uAAAAAAAAAAAAAAAAAAAAAA")
    assert not current.valid_ref("00000000-0000-4000-8000-000000000001")
    assert RUN_ACTIVE == 0


def test_the_command_line_picks_the_api_by_flag_reference_or_asking(
    still: GatewayServer, gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.cli import _bctrl_api, main
    from tui.config import Settings

    def picked(server: GatewayServer, api: str, refs: list[str]) -> str:
        args = argparse.Namespace(api=api)
        settings = Settings(
            profile=None,
            provider="bctrl",
            base_url=server.url,
            key="k",
            key_source="test",
            key_env="X",
            interval=2.0,
            status=(),
            action=(),
            production=False,
            theme=None,
        )
        return _bctrl_api(args, PROVIDERS["bctrl"], settings, refs).name

    assert picked(still, "auto", []) == "bctrl-current"  # asked: it lists tool calls
    assert picked(gateway, "auto", []) == "bctrl"  # asked: no such endpoint
    assert picked(gateway, "current", []) == "bctrl-current"  # pinned
    assert picked(still, "invocations", []) == "bctrl"  # pinned
    assert picked(gateway, "auto", ["run_uAAAAAAAAAAAAAAAAAAAAAA"]) == "bctrl-current"
    run = _world(still).runs[RUN_FAILED].id
    monkeypatch.setenv("BCTRL_API_KEY", "k-cli")
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent-runwatch-config")
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    code = main(["watch", "--base-url", still.url, run, "--once", "--exit-status"])
    assert code == 1 and "browser.crashed" in out.getvalue()
    # The short id the viewer shows in its run list (run_ and eight more) will do.
    assert main(["watch", "--base-url", still.url, run[:12], "--once", "--exit-status"]) == 1
    assert main(["watch", "--base-url", still.url, "--api", "invocations", run]) == 2


async def test_watch_follows_one_tool_call_by_its_tc_id(still: GatewayServer) -> None:
    world = _world(still)
    source = _source(still.url)
    try:
        run = world.runs[RUN_FAILED].id
        failed = next(r for r in await _rows(source, run) if r.status.raw == "failed")
        out, err = io.StringIO(), io.StringIO()
        code = await watch(
            source, WatchOptions(ref=failed.key, mode="jsonl", exit_status=True), out=out, err=err
        )
    finally:
        await source.aclose()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1, err.getvalue()
    assert [line["id"] for line in lines if line["type"] == "row"] == [failed.key]
    row = next(line for line in lines if line["type"] == "row")
    assert failed.problem is not None
    assert row["to"] == "failed" and row["error"]["code"] == failed.problem.code
    assert any("path:" in why for why in row["why"])


def test_watch_finds_a_tool_call_by_the_short_id_the_viewer_shows(
    still: GatewayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``tc_`` and eight more, as the table shows it, names one call; a shorter start that
    several calls share, or one none has, is a usage error that says which."""
    from tui.cli import main

    async def first_failed() -> Row:
        source = _source(still.url)
        try:
            run = _world(still).runs[RUN_FAILED].id
            return next(r for r in await _rows(source, run) if r.status.raw == "failed")
        finally:
            await source.aclose()

    failed = asyncio.run(first_failed())
    monkeypatch.setenv("BCTRL_API_KEY", "k-cli")
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent-runwatch-config")
    short = short_id(failed.key)
    assert short != failed.key
    assert main(["watch", "--base-url", still.url, short, "--once", "--exit-status"]) == 1
    assert failed.key in capsys.readouterr().out
    assert main(["watch", "--base-url", still.url, "tc_u", "--once"]) == 2
    assert re.search(r"tc_u is ambiguous: \d+ tool calls start with it", capsys.readouterr().err)
    assert main(["watch", "--base-url", still.url, "tc_zzzz", "--once"]) == 2
    assert "no tool call has the id tc_zzzz" in capsys.readouterr().err


def test_a_queued_calls_duration_is_not_called_running() -> None:
    from rich.style import Style

    from tui.core.model import Status
    from tui.ui.details import facts_block

    def said(kind: Kind) -> str:
        row = Row(key="tc_x", status=Status(kind, kind.value), created=T0 - 2)
        return facts_block(row, T0, []).build(lambda _: Style(), False).plain  # type: ignore[union-attr]

    assert "2.0s (so far)" in said(Kind.QUEUED)
    assert "2.0s (running)" in said(Kind.RUNNING)
    assert "(running)" not in said(Kind.SUCCEEDED) and "(so far)" not in said(Kind.SUCCEEDED)


async def open_failed_run(pilot: Any, app: Any, still: GatewayServer) -> None:
    """From the run list, the failed run (the oldest), its calls on screen."""
    failed_run = _world(still).runs[RUN_FAILED].id
    await wait_for(pilot, lambda: "Runs (5)" in screen_text(app), what="the run list")
    await pilot.press("G")
    await wait_for(pilot, lambda: failed_run[4:12] in pane(app, "rows"), what="the failed run")


async def test_e_shows_each_causes_count_and_times_whatever_its_title(still: GatewayServer) -> None:
    """A cause titled by a span with a URL is cut before its count and its first and last
    times are: they are never pushed off the line (a user trial: 'last 11:4…')."""
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, interval=0.5)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_failed_run(pilot, app, still)
        await pilot.press("E")
        await wait_for(pilot, lambda: "Failures in" in screen_text(app), what="the failures")
        heads = [line for line in screen_text(app).splitlines() if "\u00d7" in line]
        assert any("https://" in line for line in heads), heads
        for line in heads:
            # `x2  failed 11:43:29 to 11:44:02` or `x1  failed 11:43:29`: the times whole
            assert re.search(r"\u00d7\d+  failed \d\d:\d\d:\d\d( to \d\d:\d\d:\d\d)?  ", line), line


async def test_tool_call_ids_are_shown_whole(still: GatewayServer) -> None:
    """The table shows a tool call's short id as the detail, watch and the README do
    (tc_uVEUd_jk, not tc_uVEUd…), and a long tool name whole when there is room."""
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_failed_run(pilot, app, still)
        await wait_for(pilot, lambda: "tc_" in region_text(app, "#rows-pane"), what="the calls")
        table = region_text(app, "#rows-pane")
        ids = re.findall(r" (tc_\S+) ", table)
        assert ids and all(len(i) == len("tc_") + 8 and "…" not in i for i in ids), ids
        assert "browser.navigate " in table or "browser.screenshot " in table, table


async def test_a_short_tool_call_id_pinned_is_not_taken_for_a_run(
    still: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``runwatch --api current tc_uVEUd_jk`` names a tool call: the run list's arrival does
    not call it a run no listed id starts with (the call is found, its run opened)."""
    from tests.viewer_helpers import record_toasts

    toasts = record_toasts(monkeypatch)
    world = _world(still)
    call = world.calls(T0, world.runs[RUN_FAILED])[0]
    short = short_id(call.id)
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, pinned=[short])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: f"Tool call {short}" in pane(app, "detail"), what="it")
        await pilot.pause(0.5)
        assert not [t for t in toasts if "starts with" in t.message], toasts


async def test_a_tool_call_id_pinned_that_names_nothing_is_said_once_and_goes(
    still: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``runwatch --api current tc_zzzz`` listed an empty run called tc_zzzz, said nothing,
    and asked for it every round: a tool call's id is not a run's, so the run list's
    arrival passed it by. The server knows nothing by it: that is said once, the pin goes."""
    from tests.viewer_helpers import record_toasts

    toasts = record_toasts(monkeypatch)
    said = lambda: [t.message for t in toasts if "tc_zzzz" in t.message]  # noqa: E731
    app = make_app(still, provider="bctrl-current", clock=lambda: T0, pinned=["tc_zzzz"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, said, what="said")
        assert "no tool call has the id tc_zzzz" in said()[0], said()
        await wait_for(pilot, lambda: "tc_zzzz" not in screen_text(app), what="the pin gone")
        assert "tc_zzzz" not in app.viewer.groups.row_keys_in_order
        await pilot.press("r")
        await pilot.pause(0.5)
        assert len(said()) == 1, said()


def test_a_retryable_calls_fix_says_what_to_do() -> None:
    """A user trial: E's `fix:` read "retryable: the same call may succeed again", which is
    no fix. A retryable error's fix says to retry the call; another's has none."""
    from tui.core.model import Problem, Status
    from tui.providers.current.models import cause

    row = Row("tc_1", Status(Kind.FAILED, "failed"), name="browser.click", problem=Problem("x"))
    assert (cause(row, Body(retryable=True)).fix or "").startswith("Retry the call")
    assert cause(row, Body(retryable=False)).fix is None
