"""``runwatch watch``: headless modes against the gateway, exit codes, retries, both providers."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tui.core.source import Source
from tui.core.timefmt import iso
from tui.providers import PROVIDERS
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World
from tui.watch import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_TIMEOUT,
    EXIT_UNFINISHED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    WatchOptions,
    list_groups,
    watch,
)

from .conftest import FROZEN_NOW, fast_retry
from .contract_mock import LIST_PATH, contract_errors, find_endpoint

ANSI = re.compile(r"\x1b\[")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  ")
GREEN_RUN, RED_RUN = 0, 1
KERNEL_KEY = "kernel-watch-key-0451"
RECORD_KEYS = {"time", "already", "group", "id", "name", "from", "to", "kind", "durationMs"}


@pytest.fixture
def ci_gateway() -> Iterator[GatewayServer]:
    """Two runs that finish within ~3 s: one all green, one with a failure."""
    with GatewayServer(GatewayOptions(scenario="ci", speed=10.0)) as server:
        yield server


@pytest.fixture(scope="module")
def kernel_gateway() -> Iterator[GatewayServer]:
    """Kernel's world at 20x: an invocation runs for a second or two."""
    with GatewayServer(GatewayOptions(scenario="demo", speed=20.0)) as server:
        yield server


def _source(url: str, key: str = "k-watch-test", provider: str = "bctrl") -> Source:
    return PROVIDERS[provider].make_source(key, url, clock=time.time, retry=fast_retry())


async def _watch(
    url: str, ref: str, *, key: str = "k-watch-test", provider: str = "bctrl", **options: Any
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    source = _source(url, key, provider)
    try:
        code = await watch(source, WatchOptions(ref=ref, **options), out=out, err=err)
    finally:
        await source.aclose()
    return code, out.getvalue(), err.getvalue()


def _run_id(gateway: GatewayServer, index: int) -> str:
    return gateway.world.runs[index].id


def _chain(records: list[dict[str, Any]]) -> dict[str, str]:
    """Check that each row's records form a chain of transitions; its last status per id."""
    last: dict[str, str] = {}
    for record in records:
        assert set(record) >= RECORD_KEYS
        assert record["from"] == last.get(record["id"])  # a chain of transitions
        assert record["from"] != record["to"]
        last[record["id"]] = record["to"]
    return last


def _rows_valid(rows: list[dict[str, Any]]) -> None:
    """The rows are the server's InvocationSummary records, as the contract describes them."""
    problems = contract_errors(find_endpoint(LIST_PATH), 200, {"data": rows, "nextCursor": None})
    assert not problems, problems[:3]


def _kernel_valid(record: dict[str, Any]) -> None:
    problems = contract_errors(find_endpoint("GET /invocations/{id}"), 200, record)
    assert not problems, problems[:3]


# -- bctrl -----------------------------------------------------------------------------


async def test_plain_lines_until_done_green_exits_0(ci_gateway: GatewayServer) -> None:
    run_id = _run_id(ci_gateway, GREEN_RUN)
    code, out, _ = await _watch(
        ci_gateway.url, run_id, exit_status=True, fail_fast=True, interval=0.3
    )
    assert code == EXIT_OK, "nothing failed: --fail-fast never fires"
    lines = out.splitlines()
    assert not ANSI.search(out), "no colours when stdout is not a terminal"
    assert all(STAMP.match(line) for line in lines)
    assert any("-> succeeded" in line for line in lines)
    assert lines[-1].endswith("done: 6 invocations: 6 succeeded")


async def test_jsonl_streams_transitions_and_failure_exits_1(ci_gateway: GatewayServer) -> None:
    run_id = _run_id(ci_gateway, RED_RUN)
    code, out, _ = await _watch(
        ci_gateway.url, run_id, mode="jsonl", exit_status=True, interval=0.3
    )
    assert code == EXIT_FAILED
    lines = [json.loads(line) for line in out.splitlines()]
    assert all(r["group"] == run_id for r in lines)
    assert {r["type"] for r in lines} == {"group", "row"}
    runs = [r for r in lines if r["type"] == "group"]
    assert _chain(runs) == {run_id: runs[-1]["to"]} and runs[-1]["kind"] != "running"
    records = [r for r in lines if r["type"] == "row"]
    last = _chain(records)
    assert sorted(last.values()) == ["failed"] + ["succeeded"] * 5
    failed = [r for r in records if r["to"] == "failed"]
    assert failed[0]["error"]["message"] and failed[0]["kind"] == "failed"
    why = failed[0]["why"]
    assert why[0] == f"{failed[0]['error']['code']} · {failed[0]['error']['message']}"
    assert any(line.startswith("step ") for line in why), "the failing step is named"
    assert all(r["durationMs"] >= 0 for r in records if r["kind"] in ("succeeded", "failed"))


async def test_without_exit_status_a_failed_run_exits_0(ci_gateway: GatewayServer) -> None:
    code, _, _ = await _watch(ci_gateway.url, _run_id(ci_gateway, RED_RUN), interval=0.3)
    assert code == EXIT_OK


async def test_json_document_rows_are_the_servers_records(gateway: GatewayServer) -> None:
    run_id = gateway.world.runs[2].id  # a stopped run with 40 invocations
    code, out, _ = await _watch(gateway.url, run_id, mode="json", exit_status=True)
    document = json.loads(out)
    assert set(document) == {"provider", "ref", "group", "failure", "rows", "why", "fetchedAt"}
    assert document["provider"] == "bctrl" and document["ref"] == run_id
    assert document["group"]["id"] == run_id and document["group"]["status"] == "stopped"
    assert document["failure"] is None
    assert len(document["rows"]) == 40
    _rows_valid(document["rows"])
    statuses = {row["status"] for row in document["rows"]}
    failed = {row["id"] for row in document["rows"] if row["status"] in ("failed", "timed_out")}
    assert set(document["why"]) == failed
    assert code == (EXIT_FAILED if statuses - {"succeeded"} else EXIT_OK)


async def test_once_prints_one_frame(gateway: GatewayServer) -> None:
    run_id = gateway.world.runs[2].id
    code, out, _ = await _watch(gateway.url, run_id, mode="once")
    assert code == EXIT_OK
    assert out.startswith(f"{run_id}  stopped") and "status" in out and "40 invocations:" in out
    assert re.search(r"(?m)^status +action +id ", out), "headed as the viewer's table is"
    assert not ANSI.search(out)


async def test_timeout_exits_3(gateway: GatewayServer) -> None:
    active = gateway.world.runs[0].id
    began = time.monotonic()
    code, _, err = await _watch(gateway.url, active, timeout=1.0, interval=0.3)
    assert code == EXIT_TIMEOUT and "--timeout 1s passed" in err
    assert time.monotonic() - began < 10


async def test_rejected_key_exits_4() -> None:
    key = "wrong-key-0123456789"
    with GatewayServer(GatewayOptions(token="right-key-0123456789")) as server:
        code, _, err = await _watch(server.url, _run_id(server, 0), key=key)
    assert code == EXIT_AUTH and "rejected" in err and key not in err


async def test_unknown_run_exits_2(gateway: GatewayServer) -> None:
    code, _, err = await _watch(gateway.url, "00000000-0000-4000-8000-000000000000")
    assert code == EXIT_USAGE and "not found" in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_api_exits_5() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = await _watch(url, "00000000-0000-4000-8000-000000000001", give_up=1.0)
    assert code == EXIT_UNREACHABLE
    assert "retrying" in err and "unreachable for 1s" in err


async def test_single_500_is_retried_not_fatal() -> None:
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(scenario="demo"), faults=faults) as server:
        run_id = server.world.runs[2].id
        faults.force("500", 3, f"/v1/runs/{run_id}/invocations")  # more than the client retries
        code, out, err = await _watch(server.url, run_id, mode="json")
    assert code == EXIT_OK and "retrying" in err and "HTTP 500" in err
    assert len(json.loads(out)["rows"]) == 40


# -- headless parity: short ids, never wrapped, why, --fail-fast --------------------------

CRASH = "runtime.crashed · The spreadsheet runtime exited unexpectedly"
ROW_KEYS = {"code", "message", "where", "fix"}


def _crashed(gateway: GatewayServer) -> str:
    """The demo's run whose runtime crashed (ended, so every answer about it is stable)."""
    [run_id] = [run.id for run in gateway.world.runs if run.failure]
    return run_id


def _error_text(row: dict[str, Any]) -> str:
    return f"{row['error']['code']} · {row['error']['message']}"


async def test_short_id_is_resolved_through_the_run_list(gateway: GatewayServer) -> None:
    run_id = _crashed(gateway)
    ids = [run.id for run in gateway.world.runs]
    assert [i for i in ids if i.startswith(run_id[:4])] == [run_id]
    for ref in (run_id[:4], run_id[:8], run_id[:8].upper(), run_id[:13]):
        code, out, err = await _watch(gateway.url, ref, mode="once")
        assert code == EXIT_OK, err
        assert out.startswith(f"{run_id}  failed  {CRASH}"), ref
    code, out, _ = await _watch(gateway.url, run_id[:8], mode="json")
    document = json.loads(out)
    assert document["ref"] == run_id[:8] and document["group"]["id"] == run_id
    assert {row["runId"] for row in document["rows"]} == {run_id}


async def test_ambiguous_short_id_lists_the_candidates_and_exits_2(
    gateway: GatewayServer,
) -> None:
    ids = [run.id for run in gateway.world.runs]
    prefix = next(p for p in "0123456789abcdef" if sum(i.startswith(p) for i in ids) > 1)
    candidates = [i for i in ids if i.startswith(prefix)]
    code, out, err = await _watch(gateway.url, prefix, mode="jsonl", exit_status=True)
    assert code == EXIT_USAGE and out == ""
    assert f"{prefix} is ambiguous: {len(candidates)} runs start with it" in err
    assert all(i in err for i in candidates)
    assert not any(i in err for i in ids if i not in candidates)


async def test_short_id_matching_nothing_exits_2(gateway: GatewayServer) -> None:
    runs = len(gateway.world.runs)
    assert not any(run.id.startswith("fff") for run in gateway.world.runs)
    code, out, err = await _watch(gateway.url, "fff", mode="once", exit_status=True)
    assert code == EXIT_USAGE and out == ""
    assert f"fff not found: no run has this id, and no id among the {runs} runs listed" in err


async def test_output_that_is_not_a_terminal_is_never_wrapped(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped or captured, a row is one line however narrow the terminal says it is."""
    monkeypatch.setenv("COLUMNS", "40")
    run_id = _crashed(gateway)
    _, out, _ = await _watch(gateway.url, run_id, mode="json")
    failed = [row for row in json.loads(out)["rows"] if row.get("error")]
    assert failed
    for mode in ("once", "plain"):
        _, out, _ = await _watch(gateway.url, run_id, mode=mode, interval=0.3)
        lines = out.splitlines()
        assert CRASH in lines[0] and max(len(line) for line in lines) > 80
        for row in failed:
            [line] = [line for line in lines if f"  {row['id'][:8]}  " in line]
            assert line.rstrip().endswith(_error_text(row)), (mode, line)


async def test_runs_failure_and_each_failed_rows_why_in_every_mode(
    gateway: GatewayServer,
) -> None:
    run_id = _crashed(gateway)
    code, out, _ = await _watch(gateway.url, run_id, mode="json", exit_status=True)
    document = json.loads(out)
    assert code == EXIT_FAILED
    code_, message = CRASH.split(" · ")
    assert document["failure"] == {"code": code_, "message": message}
    failed = [row for row in document["rows"] if row["status"] in ("failed", "timed_out")]
    whys = document["why"]
    assert failed and set(whys) == {row["id"] for row in failed}
    for row in failed:
        why = whys[row["id"]]
        assert set(why) == ROW_KEYS | {"lines"} and why["where"] and why["message"]
        assert why["lines"][0] == _error_text(row) and len(why["lines"]) > 1
    fixes = [why["fix"] for why in whys.values() if why["fix"]]
    assert fixes, "the failing steps' fixes are given"

    code, out, _ = await _watch(gateway.url, run_id, mode="jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    [run] = [r for r in records if r["type"] == "group"]
    assert (run["id"], run["to"], run["error"]) == (run_id, "failed", document["failure"])
    causes = {r["id"]: r["cause"] for r in records if "cause" in r}
    assert causes == {key: {k: why[k] for k in ROW_KEYS} for key, why in whys.items()}
    assert all(r["why"] == whys[r["id"]]["lines"] for r in records if r["id"] in whys)

    for mode in ("plain", "once"):
        code, out, _ = await _watch(gateway.url, run_id, mode=mode)
        assert code == EXIT_OK and CRASH in out.splitlines()[0]
        for why in whys.values():  # the failing step, its message and its fix
            for line in why["lines"][1:]:
                assert line.strip() in out, (mode, line)
        assert all(f"fix: {fix}" in out or fix in out for fix in fixes)
        if mode == "once":
            assert all(f"why {row['id'][:8]}" in out for row in failed)


async def test_a_snapshot_is_printed_when_full_records_cannot_be_read() -> None:
    """--json and --once read failed rows' full records as a best effort: when those keep
    failing, each row's why is its own error and the snapshot is printed, exit 0."""
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(scenario="demo"), faults=faults) as server:
        run_id = _crashed(server)
        for path in ("/v2/invocations", "/v1/invocations"):
            faults.force("500", 10_000, path)
        code, out, _ = await _watch(server.url, run_id, mode="json", give_up=30)
        document = json.loads(out)
        code_once, once, _ = await _watch(server.url, run_id, mode="once", give_up=30)
    assert code == code_once == EXIT_OK and document["failure"] and document["why"]
    for row in document["rows"]:
        if row["id"] in document["why"]:
            why = document["why"][row["id"]]
            assert (why["code"], why["message"]) == (row["error"]["code"], row["error"]["message"])
            assert why["where"] is None and why["lines"] == [_error_text(row)]
    assert once.startswith(f"{run_id}  failed  {CRASH}") and "why " not in once


async def test_fail_fast_stops_at_the_first_failure_with_its_why(
    ci_gateway: GatewayServer,
) -> None:
    run_id = _run_id(ci_gateway, RED_RUN)
    code, out, err = await _watch(
        ci_gateway.url, run_id, mode="jsonl", fail_fast=True, interval=0.3
    )
    assert code == EXIT_FAILED, "--fail-fast exits 1 without --exit-status"
    assert "--fail-fast: invocation " in err and " failed" in err
    rows = [r for r in map(json.loads, out.splitlines()) if r["type"] == "row"]
    _chain(rows)
    last = rows[-1]
    assert last["to"] == "failed" and last["why"] and last["cause"]["where"]
    assert [r for r in rows if r["kind"] in ("failed", "timed_out")] == [last]


async def test_fail_fast_on_a_finished_run(gateway: GatewayServer) -> None:
    run_id = _crashed(gateway)
    code, out, _ = await _watch(gateway.url, run_id, mode="jsonl", fail_fast=True)
    rows = [r for r in map(json.loads, out.splitlines()) if r["type"] == "row"]
    assert code == EXIT_FAILED and rows[-1]["kind"] in ("failed", "timed_out")
    assert [r for r in rows if r["kind"] in ("failed", "timed_out")] == rows[-1:]
    code, out, _ = await _watch(gateway.url, run_id, fail_fast=True)
    lines = out.splitlines()
    assert code == EXIT_FAILED and "done:" not in out
    assert lines[-1].startswith(" " * 22), "the failed row's why is printed before the exit"
    invocations = [line for line in lines if f"{run_id[:8]}  run " not in line]  # not the run's
    assert sum(bool(re.search(r"  (failed|timed_out)  ", line)) for line in invocations) == 1
    for mode in ("once", "json"):  # a snapshot is printed whole, then the exit code says it
        code, out, err = await _watch(gateway.url, run_id, mode=mode, fail_fast=True)
        assert code == EXIT_FAILED and "--fail-fast" in err and out.strip()
    stopped = gateway.world.runs[2].id
    code, _, _ = await _watch(gateway.url, stopped, mode="once", fail_fast=True)
    document = json.loads((await _watch(gateway.url, stopped, mode="json"))[1])
    assert code == (EXIT_FAILED if document["why"] else EXIT_OK)


async def test_list_groups_kernel_names_app_versions_whole(kernel_gateway: GatewayServer) -> None:
    out, err = io.StringIO(), io.StringIO()
    source = _source(kernel_gateway.url, KERNEL_KEY, "kernel")
    try:
        code = await list_groups(
            source, WatchOptions(ref="", mode="json"), out=out, err=err, how="runwatch watch"
        )
    finally:
        await source.aclose()
    groups = json.loads(out.getvalue())["groups"]
    assert code == EXIT_OK and groups and all(g["short"] == g["id"] for g in groups)
    assert {"web-scraper@1.4.2", "login-bot@2.0.0"} <= {g["id"] for g in groups}
    assert all(isinstance(g["total"], int) for g in groups)
    # As text, no 'short' column saying each id again (bctrl's runs keep theirs).
    source = _source(kernel_gateway.url, KERNEL_KEY, "kernel")
    out = io.StringIO()
    try:
        code = await list_groups(source, WatchOptions(ref=""), out=out, err=err, how="x")
    finally:
        await source.aclose()
    heading = out.getvalue().splitlines()[0].split()
    assert code == EXIT_OK and heading[:3] == ["id", "status", "version"], heading


# -- snapshots of what is not over: --once and --json with --exit-status ----------------


@pytest.fixture
def ci_still() -> Iterator[tuple[GatewayServer, list[float]]]:
    """The ci scenario on a clock the test sets (``now[0]``): its runs hold still."""
    now = [FROZEN_NOW]
    with GatewayServer(world=World("ci", seed=7, clock=lambda: now[0])) as server:
        yield server, now


async def test_plain_lines_keep_two_spaces_after_a_long_name(
    ci_still: tuple[GatewayServer, list[float]],
) -> None:
    """Columns are two spaces apart or more: a 14-character action ran into its status
    ('5bf801f3  stagehandAgent running', where 'act            running' had room)."""
    from tui.sim.vocab import ACTIONS

    server, now = ci_still
    now[0] = FROZEN_NOW + 40  # both runs over: every row printed at once
    names = "|".join(ACTIONS)
    seen: set[str] = set()
    for index in (GREEN_RUN, RED_RUN):
        code, out, err = await _watch(server.url, _run_id(server, index), timeout=30)
        assert code == EXIT_OK, err
        for line in out.splitlines():
            if line.startswith(" ") or "  done: " in line:
                continue  # a why's lines; the summary
            found = re.match(rf"{STAMP.pattern}[0-9a-f]{{8}}  (run browser|{names})  +\w", line)
            assert found, line
            seen.add(found[1])
    assert "stagehandAgent" in seen and len(max(seen, key=len)) >= 14


def _second(stamp: str) -> str:
    """An API time (``2026-09-21T14:13:29.832Z``) as watch writes one, to the second."""
    return iso(datetime.fromisoformat(stamp).timestamp())


def _get(server: GatewayServer, path: str) -> Any:
    response = httpx.get(server.url + path, headers={"Authorization": "Bearer k"})
    response.raise_for_status()
    return response.json()


async def test_what_was_already_so_is_stamped_when_it_became_so(
    ci_still: tuple[GatewayServer, list[float]],
) -> None:
    """Rows that had finished before the watch started were stamped with its start, as if
    they had just finished. What the first reading finds is ``"already": true`` and stamped
    with when it entered its status where the record says it (a finished row's end, a run's
    start); what changes later is stamped when the watch saw it."""
    server, now = ci_still
    now[0] = FROZEN_NOW + 10  # some invocations over, some running, the run active
    run_id = _run_id(server, GREEN_RUN)
    run = _get(server, f"/v1/runs/{run_id}")
    listed = {row["id"]: row for row in _get(server, f"/v1/runs/{run_id}/invocations")["data"]}
    assert {row["status"] for row in listed.values()} == {"running", "succeeded"}
    began = iso(time.time())
    task = asyncio.create_task(_watch(server.url, run_id, mode="jsonl", interval=0.2, timeout=60))
    await asyncio.sleep(1.0)
    seen = iso(time.time())
    now[0] = FROZEN_NOW + 40  # everything over
    code, out, err = await task
    assert code == EXIT_OK, err
    records = [json.loads(line) for line in out.splitlines()]
    first = [record for record in records if record["already"]]
    assert [record["id"] for record in first] == [run_id, *listed], "the first reading"
    assert all(record["from"] is None for record in first)
    assert first[0]["to"] == "active" and first[0]["time"] == _second(run["startedAt"])
    for record in first[1:]:
        row = listed[record["id"]]
        if row["finishedAt"] is not None:
            assert record["time"] == _second(row["finishedAt"]) < began, record
        else:  # running, and the list does not say since when: when the watch saw it
            assert began <= record["time"] <= seen, record
    later = records[len(first) :]
    assert later and not any(record["already"] for record in later)
    assert all(record["from"] is not None and record["time"] >= seen for record in later)
    # Plain lines say the same times.
    finished = _get(server, f"/v1/runs/{run_id}/invocations")["data"]
    _, out, _ = await _watch(server.url, run_id, timeout=30)
    stamps = [line.split("  ")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert stamps[1:-1] == [_second(row["finishedAt"]) for row in finished]


async def test_a_followed_row_already_over_is_stamped_when_it_ended(
    current_still: GatewayServer,
) -> None:
    """One row (a tool call), as one run's rows: its end, or its start while it runs."""
    assert current_still.current is not None
    calls = [c for run in current_still.current.runs for c in _current_calls(current_still, run.id)]
    for status, when in (("failed", "finishedAt"), ("running", "startedAt")):
        call = next(c for c in calls if c["status"] == status and c[when])
        _, out, _ = await _watch(
            current_still.url, call["id"], mode="jsonl", provider="bctrl-current", timeout=2
        )
        record = json.loads(out.splitlines()[0])
        assert record["already"] and record["time"] == _second(call[when]), record


async def test_snapshot_of_an_unfinished_run_with_exit_status_exits_3(
    ci_still: tuple[GatewayServer, list[float]], frozen_gateway: GatewayServer
) -> None:
    """--once and --json print the run as it is now: with --exit-status, a run that has not
    finished is not a pass (it exited 0, and a CI gate read that as 'all succeeded'); what
    follows until done (plain, --jsonl) is unchanged."""
    server, now = ci_still
    green, red = _run_id(server, GREEN_RUN), _run_id(server, RED_RUN)
    for mode in ("once", "json"):  # no invocation yet, the run active: follow would wait
        code, out, err = await _watch(server.url, green, mode=mode, exit_status=True)
        assert code == EXIT_UNFINISHED and out.strip(), (mode, err)
        assert err == "runwatch: --exit-status: not finished: the run is active\n"
    now[0] = FROZEN_NOW + 10  # running and succeeded invocations, nothing failed yet
    _, out, _ = await _watch(server.url, green, mode="json")
    statuses = [row["status"] for row in json.loads(out)["rows"]]
    live = sum(s not in ("succeeded", "failed", "timed_out", "cancelled") for s in statuses)
    assert live and "succeeded" in statuses and not {"failed", "timed_out"} & set(statuses)
    for mode in ("once", "json"):
        code, out, err = await _watch(server.url, green, mode=mode, exit_status=True)
        assert code == EXIT_UNFINISHED and out.strip(), (mode, err)
        assert f"not finished: {live} invocations still live, the run is active" in err
        code, _, err = await _watch(server.url, green, mode=mode)
        assert code == EXIT_OK and err == "", "without --exit-status the exit says nothing"
    now[0] = FROZEN_NOW + 40  # both over: one all green, one failed
    for mode in ("once", "json"):
        assert (await _watch(server.url, green, mode=mode, exit_status=True))[0] == EXIT_OK
        assert (await _watch(server.url, red, mode=mode, exit_status=True))[0] == EXIT_FAILED
    # A failure is known for good: exit 1 even while other invocations still run.
    active = frozen_gateway.world.runs[0].id
    for mode in ("once", "json"):
        code, _, err = await _watch(frozen_gateway.url, active, mode=mode, exit_status=True)
        assert code == EXIT_FAILED and "not finished" not in err


@pytest.fixture(scope="module")
def current_still() -> Iterator[GatewayServer]:
    """The current API's world, holding still at the tests' T0."""
    from .test_current_gateway import T0

    with GatewayServer(world=World("current", seed=7, clock=lambda: T0)) as server:
        yield server


def _current_calls(server: GatewayServer, run_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        server.url + "/v1/tool-calls",
        params={"runId": run_id, "limit": "200"},
        headers={"Authorization": "Bearer k"},
    )
    response.raise_for_status()
    calls: list[dict[str, Any]] = response.json()["data"]
    return calls


async def test_current_api_snapshot_of_live_tool_calls_exits_3(
    current_still: GatewayServer,
) -> None:
    """The user's trial: ``watch tc_… --once --exit-status`` on a running tool call exited 0
    (the call failed a second later); a run with a running call likewise."""
    assert current_still.current is not None
    runs = [run.id for run in current_still.current.runs]
    calls = {run: _current_calls(current_still, run) for run in runs}
    [(run, live)] = [  # the run with a live call and no failure
        (run, [c for c in rows if c["status"] == "running"])
        for run, rows in calls.items()
        if any(c["status"] == "running" for c in rows)
        and not any(c["status"] in ("failed", "unknown") for c in rows)
    ]
    [call] = live
    options: dict[str, Any] = {"provider": "bctrl-current", "exit_status": True}
    for mode in ("once", "json"):
        code, out, err = await _watch(current_still.url, call["id"], mode=mode, **options)
        assert code == EXIT_UNFINISHED, (mode, err)
        assert "not finished: 1 tool call still live" in err
        code, out, err = await _watch(current_still.url, run, mode=mode, **options)
        assert code == EXIT_UNFINISHED and "1 tool call still live, the run is active" in err
    code, out, _ = await _watch(current_still.url, call["id"], mode="once", **options)
    assert "1 tool call: 1 running" in out, "the snapshot is printed all the same"
    code, _, _ = await _watch(current_still.url, call["id"], mode="once", provider="bctrl-current")
    assert code == EXIT_OK
    failed = next(c for rows in calls.values() for c in rows if c["status"] == "failed")
    code, _, _ = await _watch(current_still.url, failed["id"], mode="json", **options)
    assert code == EXIT_FAILED


def test_cli_snapshot_of_a_running_tool_call_exits_3(current_still: GatewayServer) -> None:
    assert current_still.current is not None
    run = current_still.current.runs[-1].id
    [call] = [c for c in _current_calls(current_still, run) if c["status"] == "running"]
    base = ("watch", "--base-url", current_still.url, "--api", "current", call["id"][:11])
    result = _cli(*base, "--once", "--exit-status", BCTRL_API_KEY="k")
    assert result.returncode == EXIT_UNFINISHED, result.stderr
    assert "1 tool call: 1 running" in result.stdout and "not finished" in result.stderr
    assert _cli(*base, "--once", BCTRL_API_KEY="k").returncode == EXIT_OK


async def test_kernel_app_version_snapshot_with_a_failure_exits_1(
    frozen_gateway: GatewayServer,
) -> None:
    ref = "web-scraper@1.4.2"
    _, out, _ = await _kwatch(frozen_gateway, ref, mode="json")
    statuses = {row["status"] for row in json.loads(out)["rows"]}
    assert "running" in statuses and "failed" in statuses
    for mode in ("once", "json"):
        code, _, err = await _kwatch(frozen_gateway, ref, mode=mode, exit_status=True)
        assert code == EXIT_FAILED and "not finished" not in err


# -- no REF: the list, its counts ------------------------------------------------------

FAILURE_WORDS = ("failed", "timed_out", "unknown")
LIVE_WORDS = ("queued", "dispatching", "running", "cancelling", "awaiting_input")


async def _list(source: Source, mode: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = await list_groups(
            source, WatchOptions(ref="", mode=mode), out=out, err=err, how="runwatch watch"
        )
    finally:
        await source.aclose()
    assert err.getvalue() == ""
    return code, out.getvalue()


def _invocations(gateway: GatewayServer, run_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{gateway.url}/v1/runs/{run_id}/invocations",
        params={"limit": "200"},
        headers={"Authorization": "Bearer k"},
    )
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def _counts(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    statuses = [row["status"] for row in rows]
    failed = sum(s in FAILURE_WORDS for s in statuses)
    return len(statuses), failed, sum(s in LIVE_WORDS for s in statuses)


async def test_list_counts_each_runs_failed_and_live_invocations(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bctrl's run records count invocations but not failed or live ones: the list showed
    '—' for every run, even the crashed run's five failures. It counts them from each run's
    failed and live invocations: one filtered request a run (none for an empty run)."""
    source = _source(frozen_gateway.url)
    asked: list[tuple[str, tuple[str, ...]]] = []
    invocations = source.client.invocations  # type: ignore[attr-defined]

    async def counting(run_id: str, query: Any, *args: Any, **options: Any) -> Any:
        asked.append((run_id, query.status))
        return await invocations(run_id, query, *args, **options)

    monkeypatch.setattr(source.client, "invocations", counting)  # type: ignore[attr-defined]
    code, out = await _list(source, "json")
    groups = {g["id"]: g for g in json.loads(out)["groups"]}
    runs = frozen_gateway.world.runs
    assert code == EXIT_OK and set(groups) == {run.id for run in runs}
    for run in runs:
        total, failed, live = _counts(_invocations(frozen_gateway, run.id))
        group = groups[run.id]
        assert (group["total"], group["failed"], group["live"]) == (total, failed, live)
    assert groups[_crashed(frozen_gateway)]["failed"] == 5
    busy = [run.id for run in runs if groups[run.id]["total"]]
    assert sorted(run for run, _ in asked) == sorted(busy), "one request a run, none if empty"
    assert all(set(words) == {"failed", "timed_out", *LIVE_WORDS[:4]} for _, words in asked)

    code, out = await _list(_source(frozen_gateway.url), "plain")
    assert "—" not in out and "not known" not in out
    line = next(line for line in out.splitlines() if line.startswith(_crashed(frozen_gateway)))
    assert re.search(r"  failed  +\w+  +spreadsheet  +18  +5  +0  +runtime\.crashed", line)


async def test_list_leaves_a_count_it_cannot_make_cheaply_unknown_and_says_why(
    big_gateway: GatewayServer,
) -> None:
    """A run with more failed and live invocations than a few pages hold is not counted
    (that would be a request per 200): its counts stay '—', and the table says what the dash
    means, once."""
    code, out = await _list(_source(big_gateway.url), "json")
    [group] = json.loads(out)["groups"]
    assert code == EXIT_OK and group["total"] >= 10_000
    assert group["failed"] is None and group["live"] is None
    code, out = await _list(_source(big_gateway.url), "plain")
    lines = out.splitlines()
    assert re.search(r"  \d{5}  +—  +—", lines[1]), lines[1]
    [legend] = [line for line in lines if line.startswith("—: not known")]
    assert "the server does not count these" in legend and "newest 20 runs" in legend
    assert "(runwatch watch ID --once counts one)" in legend


async def test_list_counts_the_current_apis_runs_without_opening_streams(
    current_still: GatewayServer,
) -> None:
    """The current API's run records count nothing: each run's tool calls are read (one
    page here) and counted, and no event stream is opened for it."""
    assert current_still.current is not None
    source = _source(current_still.url, provider="bctrl-current")
    out, err = io.StringIO(), io.StringIO()
    try:
        code = await list_groups(
            source, WatchOptions(ref="", mode="json"), out=out, err=err, how="runwatch watch"
        )
        assert not source._streams  # type: ignore[attr-defined]
    finally:
        await source.aclose()
    groups = {g["id"]: g for g in json.loads(out.getvalue())["groups"]}
    assert code == EXIT_OK and len(groups) == len(current_still.current.runs)
    for run in current_still.current.runs:
        total, failed, live = _counts(_current_calls(current_still, run.id))
        assert (groups[run.id]["total"], groups[run.id]["failed"]) == (total, failed)
        assert groups[run.id]["live"] == live and total > 0


# -- Kernel: one invocation, and an app version ----------------------------------------


def _kernel_list(gateway: GatewayServer, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(
        gateway.url + "/invocations",
        params={"limit": "100", **params},
        headers={"Authorization": f"Bearer {KERNEL_KEY}"},
    )
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()
    return rows


def _running(gateway: GatewayServer) -> dict[str, Any]:
    """A running invocation with at least a second and a half of its run still to come."""
    world = gateway.kernel
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = world.advance()
        for plan in world.visible(now):
            if plan.status(now) == "running" and world.real_seconds(plan.terminal_at - now) > 1.5:
                return world.invocation_json(plan, now)
        time.sleep(0.05)
    raise AssertionError("no running invocation in the Kernel world")


async def _kwatch(gateway: GatewayServer, ref: str, **options: Any) -> tuple[int, str, str]:
    return await _watch(
        gateway.url, ref, key=KERNEL_KEY, provider="kernel", interval=0.2, **options
    )


async def test_kernel_invocation_is_followed_until_it_ends(kernel_gateway: GatewayServer) -> None:
    live = _running(kernel_gateway)
    code, out, err = await _kwatch(kernel_gateway, live["id"], exit_status=True, timeout=30)
    final = next(r for r in _kernel_list(kernel_gateway, query=live["id"]))
    assert final["status"] in ("succeeded", "failed"), err
    assert code == (EXIT_OK if final["status"] == "succeeded" else EXIT_FAILED)
    lines = out.splitlines()
    assert all(STAMP.match(line) for line in lines) and not ANSI.search(out)
    assert f"  {live['action_name']}" in lines[0] and lines[0].endswith("running")
    assert any(f"running -> {final['status']}  (" in line for line in lines)
    assert lines[-1].endswith(f"done: 1 invocation: 1 {final['status']}")


async def test_kernel_invocation_jsonl_is_a_chain_with_why(kernel_gateway: GatewayServer) -> None:
    live = _running(kernel_gateway)
    code, out, _ = await _kwatch(kernel_gateway, live["id"], mode="jsonl", timeout=30)
    assert code == EXIT_OK  # without --exit-status
    records = [json.loads(line) for line in out.splitlines()]
    last = _chain(records)
    assert list(last) == [live["id"]] and records[0]["from"] is None
    assert records[0]["group"] == f"{live['app_name']}@{live['version']}"
    assert records[-1]["kind"] in ("succeeded", "failed") and records[-1]["durationMs"] >= 0
    failed = next(r for r in _kernel_list(kernel_gateway, status="failed"))
    code, out, _ = await _kwatch(kernel_gateway, failed["id"], mode="jsonl", exit_status=True)
    [record] = [json.loads(line) for line in out.splitlines()]
    assert code == EXIT_FAILED and record["to"] == "failed"
    assert record["why"] == [failed["status_reason"]]


async def test_kernel_invocation_json_and_once(kernel_gateway: GatewayServer) -> None:
    done = next(r for r in _kernel_list(kernel_gateway, status="succeeded"))
    code, out, _ = await _kwatch(kernel_gateway, done["id"], mode="json", exit_status=True)
    document = json.loads(out)
    assert code == EXIT_OK and document["provider"] == "kernel" and document["group"] is None
    assert document["rows"] == [done], "the row is the server's record"
    _kernel_valid(document["rows"][0])
    code, out, _ = await _kwatch(kernel_gateway, done["id"], mode="once")
    assert code == EXIT_OK and out.startswith(done["id"])
    assert done["action_name"] in out and "1 invocation: 1 succeeded" in out


async def test_kernel_live_invocation_json_and_once_are_a_snapshot(
    frozen_gateway: GatewayServer,
) -> None:
    """--json and --once print the invocation as it is now, as they do for a run (the frozen
    world's live invocations never end: following one would never return)."""
    [live] = _kernel_list(frozen_gateway, status="running", limit="1")
    code, out, err = await _kwatch(
        frozen_gateway, live["id"], mode="json", exit_status=True, timeout=5
    )
    [row] = json.loads(out)["rows"]
    assert code == EXIT_UNFINISHED and row == live, "with --exit-status: not finished yet"
    assert "not finished: 1 invocation still live" in err
    _kernel_valid(row)
    code, out, err = await _kwatch(frozen_gateway, live["id"], mode="once", timeout=5)
    assert code == EXIT_OK and "1 invocation: 1 running" in out and err == ""
    code, out, _ = await _kwatch(
        frozen_gateway, live["id"], mode="once", exit_status=True, timeout=5
    )
    assert code == EXIT_UNFINISHED and "1 invocation: 1 running" in out


async def test_kernel_app_version_until_quiet(kernel_gateway: GatewayServer) -> None:
    ref = "login-bot@2.0.0"  # short invocations far apart: quiet moments come often
    code, out, _ = await _kwatch(kernel_gateway, ref, timeout=30)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert all(STAMP.match(line) for line in lines)
    assert re.search(r"done: \d+ invocations: ", lines[-1])
    code, out, _ = await _kwatch(kernel_gateway, ref, mode="jsonl", timeout=30)
    assert code == EXIT_OK
    records = [json.loads(line) for line in out.splitlines()]
    _chain(records)
    assert records and {r["group"] for r in records} == {ref}


async def test_kernel_app_version_json_once_and_timeout(kernel_gateway: GatewayServer) -> None:
    ref = "web-scraper@1.4.2"
    code, out, _ = await _kwatch(kernel_gateway, ref, mode="json")
    document = json.loads(out)
    assert code == EXIT_OK and document["ref"] == ref and document["group"] is None
    assert len(document["rows"]) >= 20
    for row in document["rows"]:
        _kernel_valid(row)
        assert (row["app_name"], row["version"]) == ("web-scraper", "1.4.2")
    created = [row["started_at"] for row in document["rows"]]
    assert created == sorted(created), "oldest first, as bctrl's and the current API's"
    code, out, _ = await _kwatch(kernel_gateway, ref, mode="once")
    assert code == EXIT_OK and out.startswith(ref) and "invocations:" in out
    times = re.findall(r"^\w+ +\S+ +[0-9a-z]{8}  (\d\d:\d\d:\d\d) ", out, re.M)
    assert len(times) >= 20 and times == sorted(times), out


async def test_kernel_unknown_ref_exits_2(kernel_gateway: GatewayServer) -> None:
    """Neither an invocation nor an app with invocations: a typo must not pass a CI gate."""
    for ref in ("no-such-app@0.0.0", "inv_does_not_exist", "web-scraper@9.9.9"):
        code, out, err = await _kwatch(kernel_gateway, ref, exit_status=True)
        assert code == EXIT_USAGE and out == "", ref
        # An id-like ref was looked for as a short id too, and says so.
        assert "not found" in err or "most recent invocations starts with it" in err, err


async def test_kernel_takes_the_start_of_an_app_name_or_app_version(
    kernel_gateway: GatewayServer,
) -> None:
    """A new user's try: the list says 'any unique start of an id will do', but `price`,
    `web` and `invoice-agent@0.9` were 'not found'. The start of an app's name watches the
    app, every version, as its whole name does; the start of APP@VERSION that version."""
    cases = {
        "price": ("price-watch", None),
        "web": ("web-scraper", None),  # one app, two versions: the app
        "invoice-agent@0.9": ("invoice-agent", "0.9.1"),
        "web-scraper@1.5": ("web-scraper", "1.5.0-rc.1"),
    }
    for ref, (app, version) in cases.items():
        code, out, err = await _kwatch(kernel_gateway, ref, mode="json", exit_status=False)
        assert code == EXIT_OK, (ref, err)
        document = json.loads(out)
        assert document["ref"] == ref and document["rows"], ref
        assert {row["app_name"] for row in document["rows"]} == {app}, ref
        versions = {row["version"] for row in document["rows"]}
        listed = {r["version"] for r in _kernel_list(kernel_gateway, app_name=app)}
        assert versions == ({version} if version else listed), ref
    assert len(listed) == 2, "web-scraper has two versions: web named both"
    code, out, err = await _kwatch(kernel_gateway, "price", mode="once")
    assert code == EXIT_OK and out.startswith("price-watch  (as of "), err


async def test_kernel_ambiguous_start_of_an_app_version_lists_them_and_exits_2(
    kernel_gateway: GatewayServer,
) -> None:
    """As a run's ambiguous short id: the candidates, and a usage error."""
    code, out, err = await _kwatch(kernel_gateway, "web-scraper@1", exit_status=True)
    assert code == EXIT_USAGE and out == ""
    assert "web-scraper@1 is ambiguous: 2 app versions start with it:" in err, err
    assert "web-scraper@1.4.2" in err and "web-scraper@1.5.0-rc.1" in err
    assert "give more of the id" in err and "price-watch" not in err


async def test_kernel_start_of_no_app_name_exits_2_and_says_where_it_looked(
    kernel_gateway: GatewayServer,
) -> None:
    for ref in ("pricey", "web-scraper@2", "qq"):
        code, out, err = await _kwatch(kernel_gateway, ref, mode="once")
        assert code == EXIT_USAGE and out == "", ref
        assert f"{ref} not found: no app version has this id, and no id among the" in err, err
        assert f"no invocation, and no app with invocations, named {ref}" in err, err


async def test_kernel_app_version_still_live_at_timeout_exits_3(
    frozen_gateway: GatewayServer,
) -> None:
    """The frozen world's live invocations never end."""
    ref = "web-scraper@1.4.2"
    code, out, err = await _kwatch(frozen_gateway, ref, mode="jsonl", timeout=1.0)
    assert code == EXIT_TIMEOUT and "--timeout 1s passed" in err and "still live" in err
    records = [json.loads(line) for line in out.splitlines()]
    assert all(r["from"] is None for r in records) and len(records) == len(_chain(records))
    assert {r["kind"] for r in records} >= {"running", "succeeded"}


async def test_kernel_rejected_key_and_unreachable() -> None:
    with GatewayServer(GatewayOptions(token="right-key-0123456789")) as server:
        key = "wrong-kernel-key-0123456789"
        code, _, err = await _watch(server.url, "web-scraper", key=key, provider="kernel")
    assert code == EXIT_AUTH and "rejected" in err and key not in err
    url = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = await _watch(url, "inv_abc", provider="kernel", give_up=1.0)
    assert code == EXIT_UNREACHABLE and "unreachable for 1s" in err


# -- the command line ------------------------------------------------------------------


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "KERNEL_", "RUNWATCH_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env={**clean, "RUNWATCH_CONFIG_DIR": "/nonexistent/runwatch-test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_watch_once_against_demo_gateway() -> None:
    from tui.sim.world import World

    run_id = World("ci", seed=7).runs[0].id  # ids are a function of the seed
    result = _cli("watch", "--demo", "--scenario", "ci", "--once", run_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{run_id}  active")
    assert re.search(r"^\d+ invocations?: ", result.stdout, re.M)


def test_cli_watch_kernel_app_version_once_against_demo_gateway() -> None:
    result = _cli("watch", "--demo", "--provider", "kernel", "--json", "price-watch@3.1.0")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["provider"] == "kernel" and document["rows"]


def test_cli_watch_kernel_list_hint_is_true() -> None:
    """The list ends 'watch one: … invoice-agent@0.9.1  (any unique start of an id will
    do)': a start of it does."""
    listed = _cli("watch", "--demo", "--provider", "kernel")
    how = "watch one: runwatch watch --demo --provider kernel "
    hint = re.search(rf"^{how}(\S+)  \(any unique start of an id will do\)$", listed.stdout, re.M)
    assert listed.returncode == 0 and hint, listed.stdout
    app = hint[1].partition("@")[0]
    result = _cli("watch", "--demo", "--provider", "kernel", "--json", app[:5])
    assert result.returncode == 0, result.stderr
    assert {row["app_name"] for row in json.loads(result.stdout)["rows"]} == {app}


def test_cli_watch_help_documents_exit_codes() -> None:
    result = _cli("watch", "--help")
    assert result.returncode == 0
    for line in ("0  watch ended", "1  with --exit-status", "3  not finished", "4  API key"):
        assert line in result.stdout
    assert "5  the API stayed unreachable" in result.stdout
    said = " ".join(result.stdout.split())
    assert "--timeout passed before everything finished" in said
    assert "with --once or --json and --exit-status, something was still live" in said
    assert "--provider kernel" in result.stdout
    assert "--fail-fast" in result.stdout and "with --fail-fast: something failed" in result.stdout
    assert "141  stdout was closed" in result.stdout


async def test_cli_watch_help_names_the_json_documents_keys(gateway: GatewayServer) -> None:
    """--help says what --json prints, key by key, as the document has them (the README
    said 'the run, its invocations' of a document whose keys are group and rows)."""
    result = _cli("watch", "--help")
    help_text = result.stdout
    section = help_text[
        help_text.index("--json prints one object:") : help_text.index("exit codes:")
    ]
    named = re.findall(r"^  (\w+)  ", section, re.M)
    for ref in (_crashed(gateway), gateway.world.runs[2].id[:8]):
        _, out, _ = await _watch(gateway.url, ref, mode="json")
        assert named == list(json.loads(out)), "the same keys, in the same order"
    said = " ".join(section.split())
    listed = json.loads((await _list(_source(gateway.url), "json"))[1])
    assert "without REF: {" + ", ".join(listed) + "}" in said
    assert "each group {" + ", ".join(listed["groups"][0]) + "}" in said
    assert "(group)" in help_text and "(rows)" in help_text, "--json's own help names them"


def test_cli_watch_demo_without_ref_lists_the_runs() -> None:
    from tui.sim.world import World

    ids = [run.id for run in World("demo", seed=7).runs]  # ids are a function of the seed
    result = _cli("watch", "--demo")
    assert result.returncode == 0, result.stderr
    for run_id in ids:
        assert re.search(rf"^{run_id}  +\S+  +{run_id[:8]}  +\S+  +\d+ ", result.stdout, re.M)
    assert re.search(rf"^{ids[3]}  +failed .*{CRASH}", result.stdout, re.M)
    # Its failures counted (the run record does not count them: it showed '—').
    assert re.search(
        rf"^{ids[3]}  +failed  +{ids[3][:8]}  +spreadsheet  +18  +5  +0  ", result.stdout, re.M
    )
    assert "—" not in result.stdout
    assert f"watch one: runwatch watch --demo {ids[0][:8]}" in result.stdout
    result = _cli("watch", "--demo", "--api", "current")  # the hint says --api, as typed
    assert "watch one: runwatch watch --demo --api current run_" in result.stdout
    assert "--scenario" not in result.stdout
    result = _cli("watch", "--demo", "--api", "invocations", "--scenario", "edge")
    hint = "watch one: runwatch watch --demo --api invocations --scenario edge "
    assert hint in result.stdout, "--scenario kept: --api invocations does not pick it"
    result = _cli("watch", "--demo", "--provider", "bctrl-current")
    assert result.returncode == 0, result.stderr
    hint = "watch one: runwatch watch --demo --provider bctrl-current run_"
    assert hint in result.stdout and "--scenario" not in result.stdout, "its own demo"
    assert re.search(r"^run_\S+  +active  +run_\S+  +browser  +\d+ ", result.stdout, re.M)
    short = re.search(r"bctrl-current (run_\S+)", result.stdout)
    assert short is not None
    result = _cli("watch", "--demo", "--provider", "bctrl-current", "--json", short[1])
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["provider"] == "bctrl-current" and document["rows"], "its tool calls"
    assert all(row["id"].startswith("tc_") for row in document["rows"])
    result = _cli("watch", "--demo", "--json", "--scenario", "ci")
    document = json.loads(result.stdout)
    assert [g["id"] for g in document["groups"]] == [run.id for run in World("ci", seed=7).runs]
    no_ref = _cli("watch", BCTRL_API_KEY="k")
    assert no_ref.returncode == 2 and "REF is required (or --demo alone" in no_ref.stderr


def test_cli_watch_short_id_piped_and_narrow() -> None:
    from tui.sim.world import World

    run_id = World("demo", seed=7).runs[3].id
    result = _cli("watch", "--demo", "--once", run_id[:4], COLUMNS="40")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{run_id}  failed  {CRASH}  (as of ")
    # Short ids pass the command line's check (and then ask for a key, as a full id does).
    for ref in (run_id[:4], run_id[:8], run_id[:13], "run_u7Hq2x", run_id):
        result = _cli("watch", ref)
        assert result.returncode == EXIT_AUTH and "BCTRL_API_KEY" in result.stderr, ref
    for ref in ("not-a-uuid", "121a 2084", "web-scraper@1.4.2"):
        assert _cli("watch", ref).returncode == EXIT_USAGE, ref


@pytest.mark.parametrize("mode", ["--jsonl", "--exit-status"])
def test_cli_watch_exits_quietly_when_the_pipe_closes(mode: str) -> None:
    """``runwatch watch ... | head -1``, JSON lines and plain lines (Rich writes those): no
    traceback, no "Exception ignored", exit 141. The big run's 10,000 invocations are far
    more than a pipe holds, so the watch is still writing when head has gone."""
    from tui.sim.world import World

    run_id = World("big", seed=7).runs[0].id
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "KERNEL_", "RUNWATCH_"))
    }
    command = [sys.executable, "-m", "tui", "watch", "--demo", "--scenario", "big", run_id, mode]
    watcher = subprocess.Popen(
        command,
        env={**clean, "RUNWATCH_CONFIG_DIR": "/nonexistent/runwatch-test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    head = subprocess.Popen(["head", "-1"], stdin=watcher.stdout, stdout=subprocess.PIPE)
    assert watcher.stdout is not None
    watcher.stdout.close()  # head holds the only reading end
    first, _ = head.communicate(timeout=120)
    _, err = watcher.communicate(timeout=120)
    assert first.count(b"\n") == 1 and run_id[:8].encode() in first
    assert watcher.returncode == EXIT_PIPE, err
    assert err == b""


def test_cli_watch_usage_errors() -> None:
    assert _cli("watch", "not-a-uuid").returncode == 2
    assert _cli("watch").returncode == 2
    assert _cli("watch", "--once", "--json", "00000000-0000-4000-8000-000000000001").returncode == 2
    assert _cli("watch", "--timeout", "0", "00000000-0000-4000-8000-000000000001").returncode == 2
    for bad in (["--timeout", "nan"], ["--give-up", "0"], ["--give-up", "nan"]):
        result = _cli("watch", *bad, "00000000-0000-4000-8000-000000000001", BCTRL_API_KEY="k")
        assert result.returncode == 2 and "positive number of seconds" in result.stderr
    missing_key = _cli("watch", "00000000-0000-4000-8000-000000000001")
    assert missing_key.returncode == 4 and "BCTRL_API_KEY" in missing_key.stderr
    kernel_key = _cli("watch", "--provider", "kernel", "web-scraper@1.4.2")
    assert kernel_key.returncode == 4 and "KERNEL_API_KEY" in kernel_key.stderr
    bad_ref = _cli("watch", "--provider", "kernel", "has space", KERNEL_API_KEY="k")
    assert bad_ref.returncode == 2 and "not a kernel reference" in bad_ref.stderr


async def test_kernel_takes_the_short_invocation_id_watch_prints(
    kernel_gateway: GatewayServer,
) -> None:
    """Kernel's table and watch show an invocation's first eight characters: watch takes them
    back (it said 'no invocation, and no app with invocations, named …')."""
    failed = next(r for r in _kernel_list(kernel_gateway, status="failed"))
    code, out, err = await _kwatch(kernel_gateway, failed["id"][:8], exit_status=True)
    assert code == EXIT_FAILED, err
    assert failed["id"][:8] in out and "failed" in out
    code, _, err = await _kwatch(kernel_gateway, "zzzzzzzz")
    assert code != EXIT_OK
    assert "no app with invocations, named zzzzzzzz" in err
    assert "most recent invocations starts with it" in err
