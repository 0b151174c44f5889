"""Kernel through its source (``Provider.make_source``) against the gateway over loopback:
the mapping, paging, filters, errors and the event stream (resume, give up, not found)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest

from tui.core.errors import (
    BadRequest,
    ConnectionDropped,
    NoMatch,
    NotFound,
    RateLimited,
    Unauthorized,
)
from tui.core.model import Alive, Detail, Kind, LogLines, Query, Row, Update
from tui.providers import PROVIDERS
from tui.providers.kernel import client as kernel_client
from tui.providers.kernel.cursor import LogCursor
from tui.providers.kernel.models import Decoded, invocation_row, timestamp_ns, version_status
from tui.providers.kernel.source import KernelSource
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer

from .conftest import fast_retry
from .contract_mock import contract_errors, find_endpoint
from .hostile_server import Conn, HostileServer, Request, kernel_invocation, sse

KEY = "kernel-secret-key-5150"


def kernel(url: str, key: str = KEY, **options: Any) -> KernelSource:
    options.setdefault("retry", fast_retry())
    return cast(KernelSource, PROVIDERS["kernel"].make_source(key, url, clock=time.time, **options))


@pytest.fixture(scope="module")
def kgateway() -> Iterator[GatewayServer]:
    """A fast Kernel world with faults each test forces."""
    with GatewayServer(
        GatewayOptions(scenario="demo", speed=4.0, token=KEY),
        faults=FaultConfig(rate=0.0, retry_after=0.5, cut_after=4),
    ) as server:
        yield server


@pytest.fixture
async def source(kgateway: GatewayServer) -> AsyncIterator[KernelSource]:
    kgateway.faults.clear()
    api = kernel(kgateway.url)
    yield api
    await api.aclose()


class Recording(httpx.AsyncHTTPTransport):
    """The real transport, remembering every URL it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return await super().handle_async_request(request)


# -- the mapping ---------------------------------------------------------------------------

BASE = {
    "id": "rr33xuugxj9h0bkf1rdt2bet",
    "app_name": "my-app",
    "version": "1.0.0",
    "action_name": "analyze",
    "started_at": "2024-05-19T15:30:00.000000000Z",
}


def test_payload_and_output_are_decoded_or_kept_raw() -> None:
    mapped = invocation_row(
        {
            **BASE,
            "status": "succeeded",
            "payload": '{"data":"example input"}',
            "output": "not json {",
        },
        1.0,
    )
    assert mapped is not None
    row, body = mapped
    assert body.payload == Decoded('{"data":"example input"}', True, {"data": "example input"})
    assert body.output == Decoded("not json {", False)
    assert row.status.terminal and not row.status.failure
    assert row.group == "my-app@1.0.0" and row.name == "analyze"
    null = invocation_row({**BASE, "status": "succeeded", "output": "null"}, 1.0)
    assert null is not None and null[1].output == Decoded("null", True, None)
    none = invocation_row({**BASE, "status": "succeeded"}, 1.0)
    assert none is not None and none[1].payload is None and none[1].output is None
    odd = invocation_row({**BASE, "status": "succeeded", "payload": 42}, 1.0)
    assert odd is not None and odd[1].payload == Decoded("42", True, 42)


def test_statuses_are_open_and_unknown_ones_live() -> None:
    for status, kind in [
        ("queued", Kind.QUEUED),
        ("running", Kind.RUNNING),
        ("succeeded", Kind.SUCCEEDED),
        ("failed", Kind.FAILED),
    ]:
        mapped = invocation_row({**BASE, "status": status}, 1.0)
        assert mapped is not None and mapped[0].status.kind is kind
        assert mapped[0].status.terminal == (status in ("succeeded", "failed"))
    odd = invocation_row({**BASE, "status": "paused", "extra_field": 1}, 1.0)
    assert odd is not None and not odd[0].status.terminal
    assert odd[0].status.raw == "paused" and odd[0].status.kind is Kind.UNKNOWN
    failed = invocation_row({**BASE, "status": "failed", "status_reason": "boom"}, 1.0)
    assert failed is not None and failed[0].problem is not None
    assert failed[0].problem.message == "boom" and failed[0].note is None


def test_nanosecond_timestamps_order_lines_in_the_same_microsecond() -> None:
    a = timestamp_ns("2024-05-19T15:30:00.000000001Z")
    b = timestamp_ns("2024-05-19T15:30:00.000000002+00:00")
    assert a is not None and b is not None and b - a == 1
    assert a == 1716132600_000000001
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


async def test_event_frames_by_kind() -> None:
    """Each kind of frame becomes its update; unknown kinds and broken frames are skipped."""
    stamp = "2024-05-19T15:30:00.000000001Z"
    frames = [
        sse({"event": "invocation_state", "timestamp": stamp, "invocation": _inv("running")}),
        sse({"event": "log", "timestamp": stamp, "message": "\x1b[31mhello\x1b[0m"}),
        b": keep-alive\n\n",
        sse({"event": "sse_heartbeat", "timestamp": stamp}),
        sse({"event": "error", "timestamp": stamp, "error": {"code": "c", "message": "boom"}}),
        sse({"event": "brand_new_kind", "timestamp": stamp}),
        b"data: {not json\n\n",
        sse({"event": "invocation_state", "timestamp": stamp, "invocation": _inv("succeeded")}),
    ]

    async def events(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream")
        for frame in frames:
            await conn.chunk(frame)
        await conn.end_chunks()

    with HostileServer({("GET", "/invocations/{invocation_id}/events"): events}) as server:
        api = kernel(server.url)
        try:
            updates = [update async for update in api.follow("inv_1", None)]
        finally:
            await api.aclose()
    kinds = [type(u).__name__ for u in updates]
    state, line, alive = ["Row", "Detail"], ["LogLines"], ["Alive"]
    assert kinds == [*state, *line, *alive, *alive, *line, *state, *line]
    assert cast(LogLines, updates[2]).lines == ("15:30:00.000  hello",)
    assert cast(LogLines, updates[5]).lines[0].endswith("[stream error] c · boom")
    assert cast(Row, updates[6]).status.raw == "succeeded" and cast(Detail, updates[7]).terminal
    last = cast(LogLines, updates[-1])
    assert last.complete and last.lines == ()
    assert api._cursors["inv_1"].bad_frames == 1


def _inv(status: str) -> dict[str, Any]:
    return kernel_invocation("inv_1", status)


# -- the gateway against the contract -------------------------------------------------------


def _check(name: str, status: int, body: Any) -> None:
    problems = contract_errors(find_endpoint(name), status, body)
    assert not problems, problems[:5]


def test_gateway_kernel_responses_validate_against_the_contract(kgateway: GatewayServer) -> None:
    one = "GET /invocations/{id}"
    with httpx.Client(base_url=kgateway.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        listed = http.get("/invocations", params={"limit": 100})
        assert listed.status_code == 200
        rows = listed.json()
        assert isinstance(rows, list) and rows
        statuses = set()
        for row in rows:
            _check(one, 200, row)
            statuses.add(row["status"])
            got = http.get(f"/invocations/{row['id']}")
            assert got.status_code == 200
            _check(one, 200, got.json())
        assert {"running", "succeeded"} <= statuses
        missing = http.get("/invocations/does-not-exist")
        assert missing.status_code == 404
        _check(one, 404, missing.json())
        bad = http.get("/invocations", params={"status": "exploded"})
        assert bad.status_code == 400
        _check(one, 404, bad.json())  # the same Error shape
    anonymous = httpx.get(f"{kgateway.url}/invocations/x")
    assert anonymous.status_code == 401
    _check(one, 401, anonymous.json())


# -- the source: lists and filters ----------------------------------------------------------


async def test_offset_pagination_reads_every_page_once(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kernel_client, "MAX_PAGE", 4)
    transport = Recording()
    api = kernel(frozen_gateway.url, transport=transport)
    try:
        delta = await api.pager("web-scraper@1.5.0-rc.1", Query()).poll()
    finally:
        await api.aclose()
    offsets = [url.params.get("offset") for url in transport.urls]
    limits = {url.params.get("limit") for url in transport.urls}
    assert limits == {"4"} and offsets[0] is None
    assert offsets[1:] == [str(4 * n) for n in range(1, len(offsets))], "each page once, in order"
    keys = [row.key for row in delta.rows]
    assert len(keys) == len(set(keys)) and delta.pages_read == len(offsets) >= 3
    assert 4 * (len(offsets) - 1) < len(keys) <= 4 * len(offsets), "the last page ends it"
    assert {row.group for row in delta.rows} == {"web-scraper@1.5.0-rc.1"}


async def test_groups_are_app_versions(frozen_gateway: GatewayServer) -> None:
    api = kernel(frozen_gateway.url)
    try:
        groups = await api.groups()
        keys = {group.key for group in groups}
        assert {"web-scraper@1.4.2", "web-scraper@1.5.0-rc.1", "login-bot@2.0.0"} <= keys
        for group in groups:
            assert group.title and group.subtitle and group.total and group.counted
            assert group.live is not None and group.failed is not None
            table = (await api.pager(group.key, Query()).poll()).rows  # what its card counts
            assert group.total == len(table) and group.failed == sum(
                r.status.failure for r in table
            )
            assert group.status == version_status(table)
    finally:
        await api.aclose()


async def test_filters_reach_the_server(source: KernelSource) -> None:
    rows = (await source.pager("web-scraper@1.4.2", Query()).poll()).rows
    assert rows and {row.group for row in rows} == {"web-scraper@1.4.2"}
    every = (await source.pager("web-scraper", Query()).poll()).rows
    assert {row.group for row in every} == {"web-scraper@1.4.2", "web-scraper@1.5.0-rc.1"}
    done = (await source.pager("web-scraper", Query(status=("succeeded",))).poll()).rows
    assert done and {row.status.raw for row in done} == {"succeeded"}
    login = (await source.pager("login-bot", Query(action=("login",))).poll()).rows
    assert login and {row.name for row in login} == {"login"}
    newest = cast(dict[str, Any], done[0].raw)
    since = await source.client.invocations([("since", newest["started_at"])], None)
    assert all(item["started_at"] >= newest["started_at"] for item in since.data)
    found = await source.client.invocations([("query", newest["id"])], None)
    assert [item["id"] for item in found.data] == [newest["id"]]
    with pytest.raises(BadRequest) as caught:
        await source.pager("web-scraper", Query(status=("exploded",))).poll()
    assert caught.value.code == "bad_request" and "status is one of" in (caught.value.hint or "")


async def test_locate_names_an_invocation_or_an_app(source: KernelSource) -> None:
    rows = (await source.pager("login-bot@2.0.0", Query()).poll()).rows
    found = await source.locate(rows[0].key)
    assert isinstance(found, Row) and found.key == rows[0].key
    group = await source.locate("login-bot@2.0.0")
    assert not isinstance(group, Row) and group.key == "login-bot@2.0.0"
    app = await source.locate("login-bot")
    assert not isinstance(app, Row) and app.subtitle == "every version"
    with pytest.raises(NotFound) as missing:
        await source.locate("nope-not-an-app")
    # Not the last word: watch looks for the start of an app's name among the versions.
    assert not isinstance(missing.value, NoMatch)


async def test_errors_are_the_shared_family_and_never_show_the_key(
    kgateway: GatewayServer, source: KernelSource
) -> None:
    with pytest.raises(NotFound) as missing:
        await source.client.invocation("nope")
    assert missing.value.code == "not_found" and missing.value.request_id
    wrong = kernel(kgateway.url, "wrong-" + KEY)
    try:
        with pytest.raises(Unauthorized) as rejected:
            await wrong.groups()
    finally:
        await wrong.aclose()
    assert KEY not in str(rejected.value) and KEY not in repr(wrong.client)
    assert KEY not in rejected.value.describe()
    kgateway.faults.force("429", 1, "/invocations")
    assert await source.groups()  # retried after Retry-After
    kgateway.faults.force("429", 5, "/invocations")
    with pytest.raises(RateLimited) as limited:
        await source.groups()
    assert limited.value.retry_after == 0.5
    kgateway.faults.clear()


# -- the event stream -----------------------------------------------------------------------


def _live(gateway: GatewayServer, at_least: float = 1.5) -> str:
    """A running invocation with at least ``at_least`` real seconds of its run to come."""
    world = gateway.kernel
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = world.advance()
        for plan in world.visible(now):
            if plan.status(now) == "running" and world.real_seconds(plan.terminal_at - now) > (
                at_least
            ):
                return plan.id
        time.sleep(0.05)
    raise AssertionError("no running invocation in the Kernel world")


def _lines(updates: list[Update]) -> list[str]:
    return [line for u in updates if isinstance(u, LogLines) for line in u.lines]


async def test_stream_of_a_finished_invocation_replays_its_log_and_ends(
    kgateway: GatewayServer, source: KernelSource
) -> None:
    [failed] = (
        await source.client.invocations(
            [("status", "failed"), ("app_name", "web-scraper")], None, 1
        )
    ).data
    updates = [update async for update in source.follow(failed["id"], None)]
    plan = kgateway.kernel.invocation(failed["id"])
    assert plan is not None
    assert len(_lines(updates)) == len(plan.logs)
    details = [u for u in updates if isinstance(u, Detail)]
    assert details and details[-1].terminal
    assert [u.status.raw for u in updates if isinstance(u, Row)][-1] == "failed"
    last = updates[-1]
    assert isinstance(last, LogLines) and last.complete and last.resumed == 0
    again = [update async for update in source.follow(failed["id"], details[-1])]
    assert _lines(again) == [], "a finished log is read once"


async def test_stream_resumes_after_a_forced_disconnect_without_loss_or_repeats(
    kgateway: GatewayServer, source: KernelSource
) -> None:
    live = _live(kgateway)
    path = f"/invocations/{live}/events"
    kgateway.faults.force("cut", 2, path + "$")  # two drops mid-stream, each after 4 frames
    began = len(kgateway.faults.requests)
    updates = [update async for update in source.follow(live, None)]
    last = updates[-1]
    assert isinstance(last, LogLines) and last.complete
    assert last.resumed == 2, "the stream was never cut: the test proves nothing"
    connections = [p for _, p in list(kgateway.faults.requests)[began:] if p == path]
    assert len(connections) == 3
    got = _lines(updates)
    # The whole log, read again in one piece now that the invocation is finished.
    fresh = kernel(kgateway.url)
    try:
        whole = _lines([update async for update in fresh.follow(live, None)])
    finally:
        await fresh.aclose()
    assert got == whole
    assert len(whole) > 8 and len(set(whole)) >= len(whole) - 1  # one instant may log twice


async def test_stream_gives_up_when_every_reconnect_fails(
    kgateway: GatewayServer, source: KernelSource
) -> None:
    live = _live(kgateway)
    kgateway.faults.force("cut", 10, f"/invocations/{live}/events$")
    kgateway.faults.cut_after = 1
    try:
        with pytest.raises(ConnectionDropped):
            async for _ in source.follow(live, None):
                pass
    finally:
        kgateway.faults.cut_after = 4
        kgateway.faults.clear()


async def test_stream_of_an_unknown_invocation_is_not_found(source: KernelSource) -> None:
    with pytest.raises(NotFound):
        async for _ in source.follow("missing", None):
            pass


async def test_a_live_stream_sends_heartbeats(kgateway: GatewayServer) -> None:
    """Quiet streams stay fresh: heartbeats arrive as Alive (the gateway beats every 5 s;
    here every 0.2 s)."""
    kgateway.kernel.heartbeat_seconds = 0.2
    api = kernel(kgateway.url)
    alive = 0
    try:
        live = _live(kgateway, 1.0)
        async with asyncio.timeout(10):
            async for update in api.follow(live, None):
                alive += isinstance(update, Alive)
    finally:
        kgateway.kernel.heartbeat_seconds = 5.0
        await api.aclose()
    assert alive >= 1
