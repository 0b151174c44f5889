"""The client against the gateway over real loopback HTTP: pages, filters, long-poll, errors."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tui.api import (
    ApiError,
    ApiTimeout,
    BctrlClient,
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
from tui.api.client import RetryPolicy, parse_retry_after
from tui.api.enums import InvocationStatus
from tui.sim.server import GatewayServer

from .conftest import fast_retry

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_all_pages_of_a_10k_run(big_gateway: GatewayServer) -> None:
    async with BctrlClient("k", big_gateway.url, retry=fast_retry()) as api:
        run = (await api.list_runs()).data[0]
        pages = 0
        ids: list[str] = []
        async for page in api.iter_invocation_pages(run.id, limit=500):
            pages += 1
            ids += [i.id for i in page.data]
        assert len(ids) >= 10_000
        assert len(set(ids)) == len(ids), "no invocation appears twice across pages"
        assert pages >= 20


async def test_default_limit_is_50(client: BctrlClient) -> None:
    run = (await client.list_runs()).data[0]
    page = await client.list_invocations(run.id)
    assert len(page.data) == 50 and page.next_cursor


async def test_filters(client: BctrlClient) -> None:
    run = (await client.list_runs()).data[0]
    failed = [i async for i in client.iter_invocations(run.id, status=["failed", "timed_out"])]
    assert failed
    assert {i.status.raw for i in failed} <= {"failed", "timed_out"}
    acts = [i async for i in client.iter_invocations(run.id, action=["act"])]
    assert acts and {i.action.raw for i in acts} == {"act"}


async def test_long_poll_returns_as_soon_as_terminal(client: BctrlClient) -> None:
    run = (await client.list_runs()).data[0]
    running = (await client.list_invocations(run.id, status=["running"])).data
    assert running, "the demo always has running invocations"
    started = time.monotonic()
    waited = await client.wait_invocation(running[-1].id, timeout_ms=60_000)
    elapsed = time.monotonic() - started
    assert waited.invocation.terminal
    assert not waited.timed_out_waiting
    assert elapsed < 40


async def test_long_poll_times_out_waiting(client: BctrlClient) -> None:
    run = (await client.list_runs()).data[0]
    live = (await client.list_invocations(run.id, status=["queued", "running"])).data
    target = live[-1]
    started = time.monotonic()
    waited = await client.wait_invocation(target.id, timeout_ms=300)
    elapsed = time.monotonic() - started
    if not waited.invocation.terminal:
        assert waited.timed_out_waiting
        assert 0.25 <= elapsed < 3


async def test_terminal_wait_returns_at_once(client: BctrlClient) -> None:
    run = (await client.list_runs()).data[0]
    done = (await client.list_invocations(run.id, status=["succeeded"], limit=1)).data[0]
    started = time.monotonic()
    waited = await client.wait_invocation(done.id, timeout_ms=10_000)
    assert time.monotonic() - started < 1.0
    assert waited.invocation.status is InvocationStatus.SUCCEEDED


async def test_not_found(client: BctrlClient) -> None:
    with pytest.raises(NotFound) as info:
        await client.list_invocations(MISSING)
    assert info.value.status == 404
    assert info.value.code == "run.not_found"
    assert info.value.request_id and info.value.request_id.startswith("req_")
    assert info.value.reason_class == "not_found"


async def test_unauthorized_never_shows_the_key(fault_gateway: GatewayServer) -> None:
    key = "sk-live-VERY-SECRET-KEY-42"
    async with BctrlClient(key, fault_gateway.url, retry=fast_retry()) as api:
        with pytest.raises(Unauthorized) as info:
            await api.list_runs()
    err = info.value
    assert err.status == 401 and err.code == "auth.unauthorized"
    assert err.hint
    for text in (str(err), repr(err), err.message, repr(api)):
        assert key not in text


async def test_retry_after_is_respected(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("429", 1)
    async with BctrlClient("secret-token-123", fault_gateway.url, retry=fast_retry()) as api:
        started = time.monotonic()
        page = await api.list_runs()
        elapsed = time.monotonic() - started
    assert page.data
    assert elapsed >= 1.0, f"retried after {elapsed:.2f}s, before Retry-After (1s)"


async def test_rate_limit_beyond_retries_is_typed(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("429", 5)
    retry = RetryPolicy(max_retries=0)
    async with BctrlClient("secret-token-123", fault_gateway.url, retry=retry) as api:
        with pytest.raises(RateLimited) as info:
            await api.list_runs()
    assert info.value.retry_after == pytest.approx(1.0)
    assert api.rate_limited_for > 0


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
    fault_gateway.faults.force(fault, 10)
    async with BctrlClient(
        "secret-token-123", fault_gateway.url, retry=RetryPolicy(max_retries=0)
    ) as api:
        with pytest.raises(error_type) as info:
            await api.list_runs()
    fault_gateway.faults.clear()
    assert "secret-token-123" not in str(info.value)
    if fault == "html":
        assert "HTML" in str(info.value)


async def test_server_errors_are_retried(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("500", 2)
    async with BctrlClient("secret-token-123", fault_gateway.url, retry=fast_retry()) as api:
        page = await api.list_runs()
    assert page.data


async def test_timeout(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.slow_seconds = 2.0
    fault_gateway.faults.force("slow", 1)
    async with BctrlClient(
        "secret-token-123", fault_gateway.url, read_timeout=0.3, retry=RetryPolicy(max_retries=0)
    ) as api:
        with pytest.raises(ApiTimeout):
            await api.list_runs()


async def test_unreachable() -> None:
    async with BctrlClient("k", "http://127.0.0.1:9", retry=RetryPolicy(max_retries=0)) as api:
        with pytest.raises(Unreachable) as info:
            await api.list_runs()
    assert "127.0.0.1:9" in str(info.value)


def test_invalid_base_url() -> None:
    with pytest.raises(ConfigError):
        BctrlClient("k", "not a url")
    with pytest.raises(ConfigError):
        BctrlClient("k", "ftp://example.com")


def test_env_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "from-env-key")
    monkeypatch.setenv("BCTRL_BASE_URL", "http://127.0.0.1:1234/")
    api = BctrlClient()
    assert api.base_url == "http://127.0.0.1:1234"
    assert api.has_key and "from-env-key" not in repr(api)
    asyncio.run(api.aclose())


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_backoff_is_capped_with_jitter() -> None:
    policy = RetryPolicy(base=0.25, cap=2.0)
    delays = [policy.delay(n) for n in range(8)]
    assert all(0.125 <= d <= 2.0 for d in delays)
    assert policy.delay(0, retry_after=5.0) >= 5.0


async def test_keep_alive_reuses_connections(gateway: GatewayServer) -> None:
    opened = 0

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await super().handle_async_request(request)

    transport = Counting()
    original = transport._pool._connections

    async with BctrlClient("k", gateway.url, transport=transport) as api:
        for _ in range(5):
            await api.list_runs()
        opened = len(original)
    assert opened == 1


async def test_forbidden(fault_gateway: GatewayServer) -> None:
    fault_gateway.faults.force("403", 1)
    async with BctrlClient("secret-token-123", fault_gateway.url, retry=fast_retry()) as api:
        with pytest.raises(Forbidden) as info:
            await api.list_runs()
    assert info.value.code == "auth.forbidden"
    assert info.value.reason_class == "capability_denied"
