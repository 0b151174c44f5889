"""Kernel's API layer against the embedded gateway: models, paging, errors and the SSE stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tui.api.errors import BadRequest, ConnectionDropped, NotFound, RateLimited, Unauthorized
from tui.api.kernel import KernelClient
from tui.api.kernel_models import (
    Decoded,
    ErrorEvent,
    HeartbeatEvent,
    KernelEventFrame,
    KernelInvocation,
    KernelStatus,
    LogEvent,
    StateEvent,
    UnknownEvent,
    timestamp_ns,
)
from tui.api.streams import LogCursor
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer

from .conftest import SHARED_API, fast_retry

KEY = "kernel-secret-key-5150"


@cache
def _spec() -> dict[str, Any]:
    data = yaml.safe_load((SHARED_API / "openapi" / "kernel-invocations-get.yaml").read_text())
    assert isinstance(data, dict)
    return _nullable(data)


def _nullable(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` (which the contract uses) as JSON Schema understands it."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


def _validator(ref: str) -> jsonschema.Draft202012Validator:
    root = {"components": _spec()["components"], "$ref": f"#/components/schemas/{ref}"}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def _check(ref: str, body: Any) -> None:
    errors = list(_validator(ref).iter_errors(body))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="module")
def kgateway() -> Iterator[GatewayServer]:
    """A fast Kernel world with faults each test forces."""
    with GatewayServer(
        GatewayOptions(scenario="demo", speed=4.0, token=KEY),
        faults=FaultConfig(rate=0.0, retry_after=0.5, cut_after=4),
    ) as server:
        yield server


@pytest.fixture
async def kclient(kgateway: GatewayServer) -> AsyncIterator[KernelClient]:
    kgateway.faults.clear()
    async with KernelClient(KEY, kgateway.url, retry=fast_retry()) as api:
        yield api


# -- models -------------------------------------------------------------------------------


def test_payload_and_output_are_decoded_or_kept_raw() -> None:
    inv = KernelInvocation.model_validate(
        {
            "id": "rr33xuugxj9h0bkf1rdt2bet",
            "app_name": "my-app",
            "version": "1.0.0",
            "action_name": "analyze",
            "started_at": "2024-05-19T15:30:00.000000000Z",
            "status": "succeeded",
            "payload": '{"data":"example input"}',
            "output": "not json {",
        }
    )
    assert inv.decoded_payload == Decoded(
        '{"data":"example input"}', True, {"data": "example input"}
    )
    assert inv.decoded_output == Decoded("not json {", False)
    assert inv.terminal and not inv.failed
    assert KernelInvocation.model_validate({**inv.model_dump(), "output": "null"}).decoded_output
    assert inv.model_copy(update={"payload": None}).decoded_payload is None


def test_statuses_are_open_and_unknown_ones_are_live() -> None:
    base = {
        "id": "x",
        "app_name": "a",
        "version": "1",
        "action_name": "b",
        "started_at": "2024-05-19T15:30:00Z",
    }
    for status in KernelStatus:
        inv = KernelInvocation.model_validate({**base, "status": status.value})
        assert inv.terminal == (status.value in ("succeeded", "failed"))
    odd = KernelInvocation.model_validate({**base, "status": "paused", "extra_field": 1})
    assert not odd.terminal and odd.status.raw == "paused"


def test_event_frames_parse_by_kind() -> None:
    def parse(data: dict[str, Any]) -> Any:
        return KernelEventFrame.model_validate(data).root

    log = parse({"event": "log", "timestamp": "2024-05-19T15:30:00.000000001Z", "message": "m"})
    assert isinstance(log, LogEvent) and log.ns == 1716132600_000000001
    state = parse(
        {
            "event": "invocation_state",
            "timestamp": "2024-05-19T15:30:00Z",
            "invocation": {
                "id": "x",
                "app_name": "a",
                "version": "1",
                "action_name": "b",
                "started_at": "2024-05-19T15:30:00Z",
                "status": "running",
            },
        }
    )
    assert isinstance(state, StateEvent) and not state.invocation.terminal
    err = parse({"event": "error", "timestamp": "t", "error": {"code": "c", "message": "boom"}})
    assert isinstance(err, ErrorEvent) and err.error.message == "boom"
    assert isinstance(parse({"event": "sse_heartbeat", "timestamp": "t"}), HeartbeatEvent)
    assert isinstance(parse({"event": "brand_new_kind"}), UnknownEvent)


def test_nanosecond_timestamps_order_lines_in_the_same_microsecond() -> None:
    a = timestamp_ns("2024-05-19T15:30:00.000000001Z")
    b = timestamp_ns("2024-05-19T15:30:00.000000002+00:00")
    assert a is not None and b is not None and b - a == 1
    assert timestamp_ns("2024-05-19T17:30:00+02:00") == timestamp_ns("2024-05-19T15:30:00Z")
    assert timestamp_ns("yesterday") is None


def test_log_cursor_drops_repeats_after_resume_but_keeps_equal_new_lines() -> None:
    cursor = LogCursor()
    assert cursor.accept("t1", 1, "a")
    assert cursor.accept("t2", 2, "b")
    assert cursor.accept("t2", 2, "b")  # logged twice in the same instant: both kept
    cursor.resume()
    assert not cursor.accept("t1", 1, "a")  # the server went back further than asked
    assert not cursor.accept("t2", 2, "b")
    assert not cursor.accept("t2", 2, "b")
    assert cursor.accept("t2", 2, "c")  # new at the resume instant
    assert cursor.accept("t3", 3, "d")
    assert cursor.lines == 5 and cursor.since == "t3" and cursor.reconnects == 1


# -- the gateway against the contract -------------------------------------------------------


def test_gateway_kernel_responses_validate_against_the_contract(kgateway: GatewayServer) -> None:
    http = httpx.Client(base_url=kgateway.url, headers={"Authorization": f"Bearer {KEY}"})
    listed = http.get("/invocations", params={"limit": 100})
    assert listed.status_code == 200
    rows = listed.json()
    assert isinstance(rows, list) and rows
    statuses = set()
    for row in rows:
        _check("Invocation", row)
        statuses.add(row["status"])
        one = http.get(f"/invocations/{row['id']}")
        assert one.status_code == 200
        _check("Invocation", one.json())
    assert {"running", "succeeded"} <= statuses
    missing = http.get("/invocations/does-not-exist")
    assert missing.status_code == 404
    _check("Error", missing.json())
    anonymous = httpx.get(f"{kgateway.url}/invocations")
    assert anonymous.status_code == 401
    _check("Error", anonymous.json())
    bad = http.get("/invocations", params={"status": "exploded"})
    assert bad.status_code == 400
    _check("Error", bad.json())


# -- client --------------------------------------------------------------------------------


async def test_offset_pagination_reads_every_page_once(kclient: KernelClient) -> None:
    pages = [page async for page in kclient.iter_pages(limit=7)]
    assert len(pages) >= 3
    assert all(page.has_more for page in pages[:-1])
    assert not pages[-1].has_more and pages[-1].next_offset is None
    ids = [inv.id for page in pages for inv in page.data]
    assert len(ids) == len(set(ids)) and len(ids) >= 15
    assert sum(len(page.data) for page in pages[:-1]) == 7 * (len(pages) - 1)


async def test_filters_reach_the_server(kclient: KernelClient) -> None:
    page = await kclient.list_invocations(app_name="web-scraper", version="1.4.2", limit=100)
    assert page.data and {(i.app_name, i.version) for i in page.data} == {("web-scraper", "1.4.2")}
    done = await kclient.list_invocations(status="succeeded", limit=100)
    assert done.data and all(i.status == KernelStatus.SUCCEEDED for i in done.data)
    action = await kclient.list_invocations(action_name="login", limit=100)
    assert action.data and all(i.action_name == "login" for i in action.data)
    newest = done.data[0]
    since = await kclient.list_invocations(since=newest.started_at.isoformat(), limit=100)
    assert all(i.started_at >= newest.started_at for i in since.data)
    found = await kclient.list_invocations(query=newest.id, limit=100)
    assert [i.id for i in found.data] == [newest.id]
    with pytest.raises(BadRequest) as caught:
        await kclient.list_invocations(status="exploded")
    assert caught.value.code == "bad_request" and "status is one of" in (caught.value.hint or "")


async def test_errors_are_the_shared_family_and_never_show_the_key(
    kgateway: GatewayServer, kclient: KernelClient
) -> None:
    with pytest.raises(NotFound) as missing:
        await kclient.get_invocation("nope")
    assert missing.value.code == "not_found" and missing.value.request_id
    async with KernelClient("wrong-" + KEY, kgateway.url, retry=fast_retry()) as wrong:
        with pytest.raises(Unauthorized) as rejected:
            await wrong.get_invocation("nope")
    assert KEY not in str(rejected.value) and KEY not in repr(wrong)
    kgateway.faults.force("429", 1, "/invocations")
    page = await kclient.list_invocations(limit=3)  # retried after Retry-After
    assert len(page.data) == 3
    kgateway.faults.force("429", 5, "/invocations")
    with pytest.raises(RateLimited) as limited:
        await kclient.list_invocations(limit=3)
    assert limited.value.retry_after == 0.5
    kgateway.faults.clear()


async def _live_invocation(kclient: KernelClient) -> KernelInvocation:
    for _ in range(100):
        page = await kclient.list_invocations(status="running", limit=100)
        if page.data:
            return page.data[0]  # newest first: the one with the most log still to come
        await asyncio.sleep(0.2)
    raise AssertionError("no running invocation in the Kernel world")


async def test_stream_of_a_finished_invocation_replays_its_log_and_ends(
    kclient: KernelClient,
) -> None:
    page = await kclient.list_invocations(status="failed", limit=1)
    cursor = LogCursor()
    events = [event async for event in kclient.follow_events(page.data[0].id, cursor)]
    logs = [e for e in events if isinstance(e, LogEvent)]
    assert logs and cursor.terminal and cursor.lines == len(logs)
    assert isinstance(events[-1], StateEvent) and events[-1].invocation.failed


async def test_stream_resumes_after_a_forced_disconnect_without_loss_or_repeats(
    kgateway: GatewayServer, kclient: KernelClient
) -> None:
    live = await _live_invocation(kclient)
    path = f"/invocations/{live.id}/events"
    kgateway.faults.force("cut", 2, path + "$")  # two drops mid-stream, each after 4 frames
    cursor = LogCursor()
    got = [
        (e.timestamp, e.message)
        async for e in kclient.follow_events(live.id, cursor)
        if isinstance(e, LogEvent)
    ]
    assert cursor.terminal
    assert cursor.reconnects == 2, "the stream was never cut: the test proves nothing"
    sinces = [p for _, p in kgateway.faults.requests if p == path]
    assert len(sinces) == 3
    # The whole log, read again in one piece now that the invocation is finished.
    whole = [
        (e.timestamp, e.message)
        async for e in kclient.follow_events(live.id, LogCursor())
        if isinstance(e, LogEvent)
    ]
    assert got == whole
    assert len(whole) > 8


async def test_stream_gives_up_with_a_connection_error_when_every_reconnect_fails(
    kgateway: GatewayServer, kclient: KernelClient
) -> None:
    live = await _live_invocation(kclient)
    kgateway.faults.force("cut", 10, f"/invocations/{live.id}/events$")
    kgateway.faults.cut_after = 1
    try:
        with pytest.raises(ConnectionDropped):
            async for _ in kclient.follow_events(live.id, LogCursor()):
                pass
    finally:
        kgateway.faults.cut_after = 4
        kgateway.faults.clear()


async def test_stream_of_an_unknown_invocation_is_not_found(kclient: KernelClient) -> None:
    with pytest.raises(NotFound):
        async for _ in kclient.follow_events("missing", LogCursor()):
            pass
