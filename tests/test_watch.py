"""``runwatch watch``: headless modes against the gateway, exit codes, retries."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest
import yaml

from tui.api.client import BctrlClient
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.watch import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    WatchOptions,
    watch,
)

from .conftest import SHARED_API, fast_retry

ANSI = re.compile(r"\x1b\[")
GREEN_RUN, RED_RUN = 0, 1


@pytest.fixture
def ci_gateway() -> Iterator[GatewayServer]:
    """Two runs that finish within ~3 s: one all green, one with a failure."""
    with GatewayServer(GatewayOptions(scenario="ci", speed=10.0)) as server:
        yield server


def _run_id(gateway: GatewayServer, index: int) -> str:
    return gateway.world.runs[index].id


async def _watch(gateway: GatewayServer, key: str = "k", **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    async with BctrlClient(key, gateway.url, retry=fast_retry()) as client:
        code = await watch(client, WatchOptions(**options), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_plain_lines_until_done_green_exits_0(ci_gateway: GatewayServer) -> None:
    run_id = _run_id(ci_gateway, GREEN_RUN)
    code, out, _ = await _watch(ci_gateway, run_id=run_id, exit_status=True, interval=0.3)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert not ANSI.search(out), "no colours when stdout is not a terminal"
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  ", line) for line in lines)
    assert any("-> succeeded" in line for line in lines)
    assert lines[-1].endswith("6 invocations: 6 succeeded")


async def test_jsonl_streams_transitions_and_failure_exits_1(ci_gateway: GatewayServer) -> None:
    run_id = _run_id(ci_gateway, RED_RUN)
    code, out, _ = await _watch(
        ci_gateway, run_id=run_id, mode="jsonl", exit_status=True, interval=0.3
    )
    assert code == EXIT_FAILED
    records = [json.loads(line) for line in out.splitlines()]
    last: dict[str, str] = {}
    for record in records:
        assert record["runId"] == run_id
        assert record["from"] == last.get(record["invocationId"])  # a chain of transitions
        assert record["from"] != record["to"]
        last[record["invocationId"]] = record["to"]
    assert sorted(last.values()) == ["failed"] + ["succeeded"] * 5
    failed = [r for r in records if r["to"] == "failed"]
    assert failed[0]["error"]["message"]


async def test_without_exit_status_a_failed_run_exits_0(ci_gateway: GatewayServer) -> None:
    code, _, _ = await _watch(ci_gateway, run_id=_run_id(ci_gateway, RED_RUN), interval=0.3)
    assert code == EXIT_OK


@cache
def _summary_validator() -> jsonschema.Draft202012Validator:
    spec = yaml.safe_load(
        (SHARED_API / "openapi" / "bctrl-v1-runs-invocations-list.yaml").read_text()
    )
    root = {"components": spec["components"], "$ref": "#/components/schemas/InvocationSummary"}
    return jsonschema.Draft202012Validator(root)


async def test_json_document_validates(gateway: GatewayServer) -> None:
    run_id = gateway.world.runs[2].id  # a stopped run with 40 invocations
    code, out, _ = await _watch(gateway, run_id=run_id, mode="json", exit_status=True)
    document = json.loads(out)
    assert document["run"]["id"] == run_id and len(document["invocations"]) == 40
    for invocation in document["invocations"]:
        errors = list(_summary_validator().iter_errors(invocation))
        assert not errors, errors[0].message
    statuses = {i["status"] for i in document["invocations"]}
    assert code == (EXIT_FAILED if statuses - {"succeeded"} else EXIT_OK)


async def test_once_prints_one_frame(gateway: GatewayServer) -> None:
    run_id = gateway.world.runs[2].id
    code, out, _ = await _watch(gateway, run_id=run_id, mode="once")
    assert code == EXIT_OK
    assert out.startswith(f"run {run_id}") and "status" in out and "40 invocations:" in out
    assert not ANSI.search(out)


async def test_timeout_exits_3(gateway: GatewayServer) -> None:
    active = gateway.world.runs[0].id
    code, _, err = await _watch(gateway, run_id=active, timeout=1.0, interval=0.3)
    assert code == EXIT_TIMEOUT and "--timeout 1s passed" in err


async def test_rejected_key_exits_4() -> None:
    with GatewayServer(GatewayOptions(token="right")) as server:
        code, _, err = await _watch(server, key="wrong", run_id=server.world.runs[0].id)
    assert code == EXIT_AUTH and "rejected" in err and "wrong" not in err


async def test_unknown_run_exits_2(gateway: GatewayServer) -> None:
    code, _, err = await _watch(gateway, run_id="00000000-0000-4000-8000-000000000000")
    assert code == EXIT_USAGE and "not found" in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_api_exits_5() -> None:
    out, err = io.StringIO(), io.StringIO()
    url = f"http://127.0.0.1:{_closed_port()}"
    async with BctrlClient("k", url, retry=fast_retry()) as client:
        options = WatchOptions(run_id="00000000-0000-4000-8000-000000000001", give_up=1.0)
        code = await watch(client, options, out=out, err=err)
    assert code == EXIT_UNREACHABLE
    assert "retrying" in err.getvalue() and "unreachable for 1s" in err.getvalue()


async def test_single_500_is_retried_not_fatal() -> None:
    faults = FaultConfig(rate=0.0)
    with GatewayServer(GatewayOptions(scenario="demo"), faults=faults) as server:
        run_id = server.world.runs[2].id
        faults.force("500", 3, f"/v1/runs/{run_id}/invocations")  # more than the client retries
        code, out, err = await _watch(server, run_id=run_id, mode="json")
    assert code == EXIT_OK and "retrying" in err and "HTTP 500" in err
    assert len(json.loads(out)["invocations"]) == 40


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "RUNWATCH_"))}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_watch_once_against_demo_gateway() -> None:
    from tui.sim.world import World

    run_id = World("ci", seed=7).runs[0].id  # ids are a function of the seed
    result = _cli("watch", "--demo", "--scenario", "ci", "--once", run_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"run {run_id}")


def test_cli_watch_help_documents_exit_codes() -> None:
    result = _cli("watch", "--help")
    assert result.returncode == 0
    for line in ("0  watch ended", "1  with --exit-status", "3  --timeout", "4  API key", "5  "):
        assert line in result.stdout


def test_cli_watch_usage_errors() -> None:
    assert _cli("watch", "not-a-uuid").returncode == 2
    assert _cli("watch").returncode == 2
    missing_key = _cli("watch", "00000000-0000-4000-8000-000000000001")
    assert missing_key.returncode == 4 and "BCTRL_API_KEY" in missing_key.stderr
