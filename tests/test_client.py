"""bctrl through its source (``Provider.make_source``) against the gateway over real loopback
HTTP: pages, filters, the long-poll, errors, faults, retries and the connection pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest

from tui.core.errors import (
    ApiError,
    ApiTimeout,
    ConfigError,
    ConnectionDropped,
    Forbidden,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    Unreachable,
)
from tui.core.model import Detail, Kind, Query, Row
from tui.providers import PROVIDERS
from tui.providers.bctrl.client import BctrlClient
from tui.providers.bctrl.models import FULL, invocation_row
from tui.providers.bctrl.source import BctrlSource
from tui.providers.http import RetryPolicy, parse_retry_after
from tui.sim.server import GatewayOptions, GatewayServer

from .conftest import fast_retry

MISSING = "00000000-0000-4000-8000-000000000000"
SECRET = "secret-token-123"  # the fault gateway's token


def bctrl(url: str, key: str = "test-key-0123", **options: Any) -> BctrlSource:
    """A bctrl source as the command line builds one."""
    options.setdefault("retry", fast_retry())
    source = PROVIDERS["bctrl"].make_source(key, url, clock=time.time, **options)
    return cast(BctrlSource, source)


@pytest.fixture
async def source(gateway: GatewayServer) -> AsyncIterator[BctrlSource]:
    api = bctrl(gateway.url)
    yield api
    await api.aclose()


@pytest.fixture(scope="module")
def fast_gateway() -> Iterator[GatewayServer]:
    """The demo at 10x: running invocations finish within seconds."""
    with GatewayServer(GatewayOptions(scenario="demo", speed=10.0)) as server:
        yield server


async def _rows(source: BctrlSource, run_id: str, query: Query | None = None) -> list[Row]:
    return (await source.pager(run_id, query or Query()).poll()).rows


# -- pages and filters -------------------------------------------------------------------


async def test_all_pages_of_a_10k_run(big_gateway: GatewayServer) -> None:
    api = bctrl(big_gateway.url)
    try:
        [run] = await api.groups()
        delta = await api.pager(run.key, Query()).poll()
    finally:
        await api.aclose()
    keys = [row.key for row in delta.rows]
    assert len(keys) >= 10_000
    assert len(set(keys)) == len(keys), "no invocation appears twice across pages"
    assert delta.pages_read >= 50 and delta.note is None
    assert all(row.group == run.key for row in delta.rows)


async def test_page_sizes(big_gateway: GatewayServer) -> None:
    """The source asks for 200 rows a page; without a limit the server sends 50."""
    api = bctrl(big_gateway.url)
    try:
        [run] = await api.groups()
        asked = await api.client.invocations(run.key, Query())
        default = await api.client.request("GET", api.client.invocations_path(run.key))
    finally:
        await api.aclose()
    assert len(asked.data["data"]) == 200 and asked.data["nextCursor"]
    assert len(default.data["data"]) == 50 and default.data["nextCursor"]


async def test_filters(source: BctrlSource, gateway: GatewayServer) -> None:
    run_id = gateway.world.runs[0].id
    failed = await _rows(source, run_id, Query(status=("failed", "timed_out")))
    assert failed and {row.status.raw for row in failed} <= {"failed", "timed_out"}
    acts = await _rows(source, run_id, Query(action=("act",)))
    assert acts and {row.name for row in acts} == {"act"}
    both = await _rows(source, run_id, Query(status=("succeeded",), action=("act",)))
    assert {(r.status.raw, r.name) for r in both} == {("succeeded", "act")}


async def test_runs_are_groups_newest_first(source: BctrlSource, gateway: GatewayServer) -> None:
    groups = await source.groups()
    assert [g.key for g in groups] == [
        r.id for r in sorted(gateway.world.runs, key=lambda r: r.created, reverse=True)
    ]
    one = await source.group(groups[0].key)
    assert one.key == groups[0].key and one.rank == 1 and one.total is not None


# -- the long-poll ---------------------------------------------------------------------


def _live(gateway: GatewayServer, at_least: float) -> tuple[str, float]:
    """A running invocation with ``at_least`` real seconds to go, and the seconds it has."""
    world = gateway.world
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = world.advance()
        for run in world.runs:
            for plan in world.visible(run, now):
                left = world.real_seconds(plan.terminal_at - now)
                running = plan.status(now) == "running" and plan.status_override is None
                if running and at_least < left < at_least + 6:
                    return plan.id, left
        time.sleep(0.05)
    raise AssertionError("no running invocation to wait for")


async def test_long_poll_returns_as_soon_as_terminal(fast_gateway: GatewayServer) -> None:
    key, left = _live(fast_gateway, 0.5)
    api = bctrl(fast_gateway.url)
    try:
        started = time.monotonic()
        world = fast_gateway.world
        plan = world.invocation(key)
        assert plan is not None
        left = world.real_seconds(plan.terminal_at - world.advance())  # as the wait starts
        reply = await api.client.wait(key, timeout_ms=60_000)
        waited = time.monotonic() - started
    finally:
        await api.aclose()
    row = invocation_row(reply.data["invocation"], time.time(), FULL, key=key)
    assert row is not None and row.status.terminal
    assert reply.data["timedOutWaiting"] is False
    assert left - 0.5 < waited < left + 2, f"returned after {waited:.1f}s, terminal at {left:.1f}s"


async def test_long_poll_times_out_waiting(fast_gateway: GatewayServer) -> None:
    key, _ = _live(fast_gateway, 2.0)
    api = bctrl(fast_gateway.url)
    try:
        started = time.monotonic()
        reply = await api.client.wait(key, timeout_ms=300)
        waited = time.monotonic() - started
    finally:
        await api.aclose()
    assert reply.data["timedOutWaiting"] is True
    assert reply.data["invocation"]["status"] == "running"
    assert 0.25 <= waited < 3


async def test_terminal_wait_returns_at_once(source: BctrlSource, gateway: GatewayServer) -> None:
    done = next(
        r for r in await _rows(source, gateway.world.runs[2].id) if r.status.raw == "succeeded"
    )
    started = time.monotonic()
    reply = await source.client.wait(done.key, timeout_ms=10_000)
    assert time.monotonic() - started < 5.0, "not a long-poll"
    row = invocation_row(reply.data["invocation"], time.time(), FULL)
    assert row is not None and row.status.kind is Kind.SUCCEEDED


async def test_follow_goes_from_live_to_final(fast_gateway: GatewayServer) -> None:
    key, _ = _live(fast_gateway, 1.0)
    api = bctrl(fast_gateway.url)
    try:
        updates = [update async for update in api.follow(key, None)]
    finally:
        await api.aclose()
    rows = [u for u in updates if isinstance(u, Row)]
    details = [u for u in updates if isinstance(u, Detail)]
    assert rows[0].status.raw == "running" and rows[-1].status.terminal
    assert {row.key for row in rows} == {key}
    assert details[-1].terminal and not any(d.terminal for d in details[:-1])
    assert details[-1].body.steps is not None, "the full record's steps were read"


# -- errors ------------------------------------------------------------------------------


async def test_not_found(source: BctrlSource) -> None:
    with pytest.raises(NotFound) as info:
        await _rows(source, MISSING)
    assert info.value.status == 404
    assert info.value.code == "run.not_found"
    assert info.value.request_id and info.value.request_id.startswith("req_")
    assert info.value.reason_class == "not_found"
    with pytest.raises(NotFound) as run:
        await source.group(MISSING)
    assert run.value.code == "run.not_found"
    with pytest.raises(NotFound) as invocation:
        async for _ in source.follow(MISSING, None):
            pass
    assert invocation.value.code == "invocation.not_found"


async def test_unauthorized_never_shows_the_key(fault_gateway: GatewayServer) -> None:
    key = "sk-live-VERY-SECRET-KEY-42"
    api = bctrl(fault_gateway.url, key)
    try:
        with pytest.raises(Unauthorized) as info:
            await api.groups()
    finally:
        await api.aclose()
    err = info.value
    assert err.status == 401 and err.code == "auth.unauthorized"
    assert err.hint
    for text in (str(err), repr(err), err.message, err.describe(), repr(api.client)):
        assert key not in text


async def test_retry_after_is_respected(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("429", 1)
    api = bctrl(fault_gateway.url, SECRET)
    try:
        started = time.monotonic()
        groups = await api.groups()
        elapsed = time.monotonic() - started
    finally:
        await api.aclose()
    assert groups
    assert elapsed >= 1.0, f"retried after {elapsed:.2f}s, before Retry-After (1s)"


async def test_rate_limit_beyond_retries_is_typed(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("429", 5)
    api = bctrl(fault_gateway.url, SECRET, retry=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(RateLimited) as info:
            await api.groups()
        assert info.value.retry_after == pytest.approx(1.0)
        assert api.rate_limited_for() > 0
    finally:
        await api.aclose()


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        ("500", ServerError),
        ("503", ServerError),
        ("html", ServerError),
        ("malformed", MalformedResponse),
        ("schema", MalformedResponse),
        ("drop", ConnectionDropped),
    ],
)
async def test_fault_classes(
    fault_gateway: GatewayServer, fault: str, error_type: type[ApiError]
) -> None:
    run_id = fault_gateway.world.runs[0].id
    fault_gateway.faults.force(fault, 10)
    api = bctrl(fault_gateway.url, SECRET, retry=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(error_type) as info:
            await _rows(api, run_id)
    finally:
        await api.aclose()
    fault_gateway.faults.clear()
    assert SECRET not in str(info.value) and info.value.retryable
    if fault == "html":
        assert "HTML" in str(info.value)


async def test_server_errors_are_retried(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("500", 2)
    api = bctrl(fault_gateway.url, SECRET)
    try:
        assert await api.groups()
    finally:
        await api.aclose()
    assert fault_gateway.faults.injected == 2


async def test_timeout(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.slow_seconds = 2.0
    fault_gateway.faults.force("slow", 1)
    api = bctrl(fault_gateway.url, SECRET, read_timeout=0.3, retry=RetryPolicy(max_retries=0))
    try:
        started = time.monotonic()
        with pytest.raises(ApiTimeout):
            await api.groups()
        assert time.monotonic() - started < 1.5
    finally:
        await api.aclose()


async def test_unreachable() -> None:
    api = bctrl("http://127.0.0.1:9", retry=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(Unreachable) as info:
            await api.groups()
    finally:
        await api.aclose()
    assert "127.0.0.1:9" in str(info.value)


def test_invalid_base_url() -> None:
    for provider in PROVIDERS.values():
        for url in ("not a url", "ftp://example.com", "http://"):
            with pytest.raises(ConfigError):
                provider.make_source("k", url, clock=time.time)


def test_env_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "from-env-key")
    monkeypatch.setenv("BCTRL_BASE_URL", "http://127.0.0.1:1234/")
    api = BctrlClient()
    assert api.base_url == "http://127.0.0.1:1234"
    assert api.key_text() == "from-env-key" and "from-env-key" not in repr(api)
    asyncio.run(api.aclose())
    monkeypatch.delenv("BCTRL_BASE_URL")
    default = BctrlClient()
    assert default.base_url == "https://api.bctrl.ai"
    asyncio.run(default.aclose())


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None, "in the past"


def test_backoff_is_capped_with_jitter() -> None:
    policy = RetryPolicy(base=0.25, cap=2.0)
    delays = [policy.delay(n) for n in range(8)]
    assert all(0.125 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 1, "jittered"
    assert policy.delay(0, retry_after=5.0) >= 5.0


async def test_keep_alive_reuses_connections(fault_gateway: GatewayServer) -> None:
    api = bctrl(fault_gateway.url, SECRET)
    try:
        for _ in range(5):
            await api.groups()
        await _rows(api, fault_gateway.world.runs[2].id)
    finally:
        await api.aclose()
    assert len(fault_gateway.faults.client_ports) == 1


async def test_forbidden(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("403", 1)
    api = bctrl(fault_gateway.url, SECRET)
    try:
        with pytest.raises(Forbidden) as info:
            await api.groups()
    finally:
        await api.aclose()
    assert info.value.code == "auth.forbidden"
    assert info.value.reason_class == "capability_denied"
    assert not info.value.retryable


def test_a_request_the_transport_cannot_send_is_a_config_error() -> None:
    """httpx's own exceptions never escape the client."""

    async def go() -> None:
        api = bctrl("http://127.0.0.1:9", transport=httpx.MockTransport(_unsupported))
        try:
            with pytest.raises(ConfigError):
                await api.groups()
        finally:
            await api.aclose()

    asyncio.run(go())


def _unsupported(request: httpx.Request) -> httpx.Response:
    raise httpx.UnsupportedProtocol("no")


def test_integers_past_64_bits_keep_every_digit() -> None:
    """orjson reads -9223372036854775809 as a float; the value shown must be the server's."""
    from tui.providers.http import _loads

    body = b'{"a": -9223372036854775809, "b": 18446744073709551616, "c": 1.5, "d": [1]}'
    assert _loads(body) == {
        "a": -9223372036854775809,
        "b": 18446744073709551616,
        "c": 1.5,
        "d": [1],
    }
    assert isinstance(_loads(body)["a"], int)
