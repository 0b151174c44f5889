"""Issue 14's headless findings: the providers and ``runwatch watch`` against a server that
misbehaves on purpose (``tests/hostile_server.py``).

Nothing a server sends may take the process's memory, hang it past its deadlines, crash it,
redirect its requests or reveal its key: a gzip bomb, bodies and streams that never end, a
log flood, JSON nested 100,000 deep, absurd Retry-After values, a server that never answers,
paging that never ends, ids that are paths, plain http to another machine, and a server that
echoes the key back in every field.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from tui.core import pages
from tui.core.errors import (
    ApiError,
    ApiTimeout,
    MalformedResponse,
    RateLimited,
    TooLarge,
)
from tui.core.model import Detail, Group, Kind, LogLines, Query, Row, Status
from tui.core.poll import Poller
from tui.core.source import Source
from tui.core.store import MAX_LOG_LINES, Store
from tui.providers import PROVIDERS
from tui.providers import http as http_layer
from tui.providers.bctrl import source as bctrl_source
from tui.providers.bctrl.source import BctrlSource
from tui.providers.http import MAX_RETRY_AFTER, RetryPolicy, cleartext, seg
from tui.providers.kernel.source import KernelSource
from tui.watch import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNREACHABLE,
    WatchOptions,
    watch,
)

from .hostile_server import (
    HOSTILE_INVOCATION_IDS,
    HOSTILE_KERNEL_IDS,
    HOSTILE_RUN_IDS,
    INVOCATION_IDS,
    KERNEL_IDS,
    ODD_RETRY_AFTER,
    RUN_ID,
    Conn,
    HostileServer,
    Request,
    dataset_routes,
    deep_json,
    echo_key,
    echo_key_error,
    endless_cursors,
    endless_json,
    endless_sse_line,
    giant_sse_line,
    gzip_bomb,
    hang,
    hostile_ids,
    json_response,
    kernel_invocation,
    kernel_log_flood,
    kernel_more_forever,
    plausible_dataset,
    rate_limited,
    same_cursor_forever,
    sse,
)

KEY = "sk_live_hostile_api_0123456789"
NO_RETRY = RetryPolicy(max_retries=0)
FAST = RetryPolicy(max_retries=2, base=0.01, cap=0.05)
MEMORY_LIMIT_MB = 200
EVERY_PATH = ("*", "/{rest:path}")
FLOOD_ID = "inv_fl00dfl00dfl00d"


def bctrl(server: HostileServer, **options: Any) -> BctrlSource:
    options.setdefault("retry", NO_RETRY)
    return cast(BctrlSource, _make("bctrl", server.url, **options))


def kernel(server: HostileServer, **options: Any) -> KernelSource:
    options.setdefault("retry", NO_RETRY)
    return cast(KernelSource, _make("kernel", server.url, **options))


def _make(provider: str, url: str, key: str = KEY, **options: Any) -> Source:
    return PROVIDERS[provider].make_source(key, url, clock=time.time, **options)


@contextlib.asynccontextmanager
async def opened(source: Source) -> AsyncIterator[Source]:
    try:
        yield source
    finally:
        await source.aclose()


async def _watch(source: Source, ref: str, **options: Any) -> tuple[int, str, str, float]:
    """Run a watch; its exit code, stdout, stderr and wall time."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("interval", 0.2)
    began = time.monotonic()
    try:
        code = await watch(source, WatchOptions(ref=ref, **options), out=out, err=err)
    finally:
        await source.aclose()
    return code, out.getvalue(), err.getvalue(), time.monotonic() - began


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "KERNEL_", "RUNWATCH_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env={**clean, "RUNWATCH_CONFIG_DIR": "/nonexistent/runwatch-test", "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- memory -------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert match is not None
    return int(match[1])


@contextlib.contextmanager
def rss_growth() -> Iterator[list[float]]:
    """The peak growth of this process's resident memory over the block, in MB (set in the
    one-item list on exit): the kernel's high-water mark, reset on entry where Linux allows,
    and a sampler as well."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux /proc")
    result = [0.0]
    base = _status_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        high_water = True
    except OSError:
        high_water = False
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.002):
            peak[0] = max(peak[0], _status_kb("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        stop.set()
        sampler.join()
        top = max(peak[0], _status_kb("VmRSS"), _status_kb("VmHWM") if high_water else 0)
        result[0] = (top - base) / 1024


# -- 1. a gzip bomb -----------------------------------------------------------------------


async def test_a_gzip_bomb_is_too_large_and_memory_stays_bounded() -> None:
    routes = {EVERY_PATH: gzip_bomb()}
    with HostileServer(routes) as server:
        async with opened(bctrl(server)) as source, opened(kernel(server)) as other:
            calls = [
                lambda: source.pager(RUN_ID, Query()).poll(),
                lambda: source.group(RUN_ID),
                lambda: other.groups(),
            ]
            for call in calls:
                began = time.monotonic()
                with rss_growth() as growth, pytest.raises(TooLarge) as caught:
                    await call()
                assert growth[0] < MEMORY_LIMIT_MB, f"RSS grew {growth[0]:.0f} MB"
                assert time.monotonic() - began < 10
                assert "too large" in caught.value.describe() and caught.value.retryable
    assert server.errors == []


async def test_a_gzip_bomb_is_reported_and_retried_never_live_data() -> None:
    with HostileServer({EVERY_PATH: gzip_bomb()}) as server:
        source = bctrl(server, retry=FAST)
        poller = Poller(interval=1.0, clock=time.monotonic)
        error = await poller.attempt("table", source.pager(RUN_ID, Query()).poll)
        assert isinstance(error, TooLarge) and poller.connection().startswith("RETRYING")
        code, out, err, _ = await _watch(source, RUN_ID, give_up=1.5)
    assert code == EXIT_UNREACHABLE and out == ""
    assert err.count("retrying in") >= 2 and "response too large" in err
    assert "Traceback" not in err


# -- 2. bodies and streams that never end --------------------------------------------------


async def test_an_endless_body_fails_within_the_deadline_with_bounded_memory() -> None:
    with HostileServer({EVERY_PATH: endless_json()}) as server:
        async with opened(bctrl(server, deadline=5.0)) as source:
            began = time.monotonic()
            with rss_growth() as growth, pytest.raises((TooLarge, ApiTimeout)):
                await source.pager(RUN_ID, Query()).poll()
    assert time.monotonic() - began < 5.5
    assert growth[0] < MEMORY_LIMIT_MB, f"RSS grew {growth[0]:.0f} MB"


async def test_a_trickling_body_times_out_at_the_request_deadline() -> None:
    """A byte every 50 ms never trips the read timeout; the whole-exchange deadline ends it."""

    async def trickle(request: Request, conn: Conn) -> None:
        await conn.start_chunked()
        await conn.chunk(b'{"data":[')
        while True:
            await asyncio.sleep(0.05)
            await conn.chunk(b" ")

    with HostileServer({EVERY_PATH: trickle}) as server:
        async with opened(bctrl(server, deadline=1.0, read_timeout=0.5)) as source:
            began = time.monotonic()
            with pytest.raises(ApiTimeout):
                await source.group(RUN_ID)
    assert 0.9 < time.monotonic() - began < 3


@pytest.mark.parametrize("handler", [endless_sse_line, giant_sse_line], ids=["endless", "10MB"])
async def test_an_event_line_past_the_cap_is_too_large(handler: Any) -> None:
    routes = {
        ("GET", "/invocations/{invocation_id}"): json_response(
            kernel_invocation(FLOOD_ID, "running")
        ),
        ("GET", "/invocations/{invocation_id}/events"): handler(),
    }
    with HostileServer(routes) as server:
        async with opened(kernel(server, retry=FAST)) as source:
            began = time.monotonic()
            with rss_growth() as growth, pytest.raises(TooLarge) as caught:
                async for _ in source.follow(FLOOD_ID, None):
                    pass
    assert "1 MB" in str(caught.value) and time.monotonic() - began < 10
    assert growth[0] < MEMORY_LIMIT_MB, f"RSS grew {growth[0]:.0f} MB"


async def test_a_log_flood_keeps_flowing_and_the_source_keeps_no_backlog() -> None:
    with HostileServer({("GET", "/invocations/{id}/events"): kernel_log_flood(FLOOD_ID)}) as s:
        source = kernel(s)
        store = Store()
        lines = 0
        with rss_growth() as growth:
            async with opened(source):
                async with asyncio.timeout(30):
                    async for update in source.follow(FLOOD_ID, None):
                        if isinstance(update, LogLines):
                            lines += len(update.lines)
                            store.add_log(update)
                        if lines >= 60_000:
                            break
        cursor = source._cursors[FLOOD_ID]
    assert lines >= 60_000 and cursor.lines == lines, "every line was yielded"
    assert len(cursor._seen_at_newest) <= 1 and not cursor._replayed_at_newest
    log = store.logs[FLOOD_ID]
    assert len(log.lines) == MAX_LOG_LINES and log.dropped == lines - MAX_LOG_LINES
    assert growth[0] < 100, f"RSS grew {growth[0]:.0f} MB"


# -- 3. JSON nested too deeply ---------------------------------------------------------------


async def test_deep_json_is_a_malformed_response_never_a_recursion_error() -> None:
    routes = {
        EVERY_PATH: deep_json(),
        ("GET", "/invocations/{invocation_id}/events"): deep_sse_state(),
    }
    with HostileServer(routes) as server:
        async with opened(bctrl(server)) as source, opened(kernel(server)) as other:
            for call in (
                lambda: source.pager(RUN_ID, Query()).poll(),
                lambda: source.group(RUN_ID),
                lambda: source.groups(),
                lambda: _drain(source.follow("i", None)),
                lambda: other.groups(),
                lambda: other.locate("inv_x"),
                lambda: other.pager("app@1", Query()).poll(),
            ):
                with pytest.raises(MalformedResponse) as caught:
                    await call()
                assert "nests too deeply" in str(caught.value)
            # A frame nested too deeply is skipped and counted, as any unreadable frame.
            other.client.retry = FAST
            with pytest.raises(ApiError):
                await _drain(other.follow("inv_deep", None))
            assert other._cursors["inv_deep"].bad_frames >= 1


def deep_sse_state() -> Any:
    async def handler(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream")
        await conn.chunk(b"data: " + b"[" * 50_000 + b"]" * 50_000 + b"\n\n")
        await conn.end_chunks()

    return handler


async def _drain(updates: AsyncIterator[Any]) -> None:
    async for _ in updates:
        pass


async def test_deep_json_watch_retries_until_give_up() -> None:
    with HostileServer({EVERY_PATH: deep_json()}) as server:
        code, out, err, took = await _watch(bctrl(server, retry=FAST), RUN_ID, give_up=1.5)
        kcode, _, kerr, _ = await _watch(kernel(server, retry=FAST), "app@1", give_up=1.0)
    assert code == EXIT_UNREACHABLE and out == "" and took < 5
    assert "nests too deeply" in err and err.count("retrying in") >= 2
    assert kcode == EXIT_UNREACHABLE and "nests too deeply" in kerr


def test_deep_json_cli_watch_exits_5_without_a_traceback() -> None:
    with HostileServer({EVERY_PATH: deep_json()}) as server:
        result = _cli(
            "watch", RUN_ID, "--base-url", server.url, "--give-up", "1", BCTRL_API_KEY=KEY
        )
    assert result.returncode == EXIT_UNREACHABLE, result.stderr[-1500:]
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert "nests too deeply" in result.stderr


# -- 4. Retry-After: infinite, not a number, negative, absurd -----------------------------------


class Sleeps:
    """A sleep that records what it was asked for and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@pytest.mark.parametrize("value", [*ODD_RETRY_AFTER, "1e400", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_odd_retry_after_is_ignored_or_clamped(value: str) -> None:
    sleeps = Sleeps()
    retry = RetryPolicy(max_retries=3, base=0.01, cap=0.05, max_retry_after=1e9)
    with HostileServer({EVERY_PATH: rate_limited(value)}) as server:
        async with opened(bctrl(server, retry=retry, sleep=sleeps)) as source:
            with pytest.raises(RateLimited) as caught:
                await source.group(RUN_ID)
            with pytest.raises(RateLimited):
                await source.group(RUN_ID)  # waits out the server's (clamped) ask first
            held = source.rate_limited_for()
        requests = len(server.log)
    clamped = value not in ("inf", "nan", "-5", "1e400")
    assert caught.value.retry_after == (MAX_RETRY_AFTER if clamped else None)
    assert 0 <= held <= MAX_RETRY_AFTER and (held > 250) == clamped
    assert sleeps.asked and max(sleeps.asked) <= MAX_RETRY_AFTER
    assert requests == 8, "every retry was sent: none waited for days, none crashed"
    poller = Poller(interval=2.0, clock=time.monotonic)
    poller.failed("table", caught.value)
    assert poller.delay("table") <= MAX_RETRY_AFTER
    assert http_layer.parse_retry_after(value) == (MAX_RETRY_AFTER if clamped else None)


async def test_watch_under_an_absurd_retry_after_still_gives_up_on_time() -> None:
    with HostileServer({EVERY_PATH: rate_limited("999999")}) as server:
        code, out, err, took = await _watch(bctrl(server), RUN_ID, give_up=1.0)
    assert code == EXIT_UNREACHABLE and took < 4 and out == ""
    assert "rate limited" in err and "OverflowError" not in err


# -- 5. deadlines around every wait ---------------------------------------------------------


async def test_watch_timeout_ends_a_request_that_never_answers() -> None:
    with HostileServer({EVERY_PATH: hang()}) as server:
        code, _, err, took = await _watch(bctrl(server), RUN_ID, timeout=2.0)
        assert server.log, "the request was sent"
    assert code == EXIT_TIMEOUT and "--timeout 2s passed" in err
    assert 1.8 < took < 4, f"took {took:.1f}s"


async def test_watch_give_up_ends_a_request_that_never_answers() -> None:
    with HostileServer({EVERY_PATH: hang()}) as server:
        code, _, err, took = await _watch(kernel(server), "inv_x", give_up=2.0)
    assert code == EXIT_UNREACHABLE and "unreachable for 2s" in err
    assert 1.8 < took < 4, f"took {took:.1f}s"


async def test_watch_give_up_ends_a_stream_that_goes_silent() -> None:
    """The stream delivers, then nothing at all: give-up counts from its last frame."""

    async def state_then_silence(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream")
        invocation = kernel_invocation(KERNEL_IDS[2], "running")
        await conn.chunk(sse({"event": "invocation_state", "invocation": invocation}))
        await asyncio.Event().wait()

    routes = {
        ("GET", "/invocations/{invocation_id}"): json_response(
            kernel_invocation(KERNEL_IDS[2], "running")
        ),
        ("GET", "/invocations/{invocation_id}/events"): state_then_silence,
    }
    with HostileServer(routes) as server:
        code, out, _, took = await _watch(kernel(server), KERNEL_IDS[2], give_up=2.0)
    assert code == EXIT_UNREACHABLE and out.rstrip().endswith("running")
    assert 1.8 < took < 4.5, f"took {took:.1f}s"


async def test_a_healthy_stream_outlives_give_up() -> None:
    """A live invocation whose stream keeps delivering (heartbeats) is not 'unreachable'."""
    with HostileServer(dataset_routes(plausible_dataset())) as server:
        code, _, err, took = await _watch(kernel(server), KERNEL_IDS[2], give_up=1.0, timeout=2.5)
    assert code == EXIT_TIMEOUT and "--timeout 2.5s passed" in err, err
    assert "1 invocation still live" in err and 2.3 < took < 4.5


def test_cli_watch_timeout_around_a_hanging_server() -> None:
    with HostileServer({EVERY_PATH: hang()}) as server:
        began = time.monotonic()
        result = _cli(
            "watch", RUN_ID, "--base-url", server.url, "--timeout", "2", BCTRL_API_KEY=KEY
        )
        took = time.monotonic() - began
    assert result.returncode == EXIT_TIMEOUT, result.stderr
    assert took < 8, f"took {took:.1f}s"  # 2 s, plus starting Python


# -- 6. paging that never ends ---------------------------------------------------------------


async def test_a_repeated_cursor_stops_after_the_repeat_with_a_note() -> None:
    with HostileServer({("GET", "/v1/runs/{run_id}/invocations"): same_cursor_forever()}) as s:
        async with opened(bctrl(s)) as source:
            delta = await source.pager(RUN_ID, Query()).poll()
        assert delta.pages_read == 2 and len(s.log) == 2
    assert len(delta.rows) == 50 and delta.note is not None and "repeated" in delta.note


async def test_a_repeated_offset_stops_with_a_note() -> None:
    async def same_offset(request: Request, conn: Conn) -> None:
        rows = [kernel_invocation(f"inv_same{i:04d}", "succeeded") for i in range(5)]
        await conn.json(rows, headers=[("X-Has-More", "true"), ("X-Next-Offset", "5")])

    with HostileServer({("GET", "/invocations"): same_offset}) as server:
        async with opened(kernel(server)) as source:
            delta = await source.pager("web-scraper@1.4.2", Query()).poll()
    assert delta.note is not None and "repeated" in delta.note and len(delta.rows) == 5


async def test_endless_cursors_stop_at_the_row_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        bctrl_source, "AppendPager", functools.partial(pages.AppendPager, max_rows=1000)
    )
    routes = {("GET", "/v1/runs/{run_id}/invocations"): endless_cursors(rows=200)}
    with HostileServer(routes) as server:
        async with opened(bctrl(server)) as source:
            delta = await source.pager(RUN_ID, Query()).poll()
        assert len(server.log) == 5
        code, out, err, _ = await _watch(bctrl(server), RUN_ID, mode="jsonl")
    assert len(delta.rows) == 1000 and delta.pages_read == 5
    assert delta.note == "showing the first 1,000 rows; the list goes on"
    assert code == EXIT_OK and len(out.splitlines()) == 1000
    assert err.count("showing the first 1,000 rows") == 1


async def test_kernel_offsets_that_never_end_stop_at_the_pages_read() -> None:
    with HostileServer({("GET", "/invocations"): kernel_more_forever()}) as server:
        async with opened(kernel(server)) as source:
            delta = await source.pager("web-scraper@1.4.2", Query()).poll()
            groups = await source.groups()
            again = await source.groups()
        offsets = [request.param("offset") for request in server.log]
    assert len(delta.rows) == 500 and offsets[:5] == [None, "100", "200", "300", "400"]
    # The app list: the newest 300, the version's own list as its table reads it (the first
    # time only: its older invocations have ended), then the newest 300 again.
    assert offsets[5:] == [None, "100", "200", *offsets[:5], None, "100", "200"]
    assert groups[0].total == again[0].total == len(delta.rows)


# -- 6b. a long-poll that is not one -------------------------------------------------------------


async def test_a_long_poll_answered_at_once_is_paced_not_a_request_storm() -> None:
    live = INVOCATION_IDS[4]  # running, for ever
    with HostileServer(dataset_routes(plausible_dataset(), wait_cap=0.0)) as server:
        async with opened(bctrl(server)) as source:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.5):
                    await _drain(source.follow(live, None))
        waits = server.requests("POST")
    assert 2 <= len(waits) <= 4, f"{len(waits)} long-polls in 2.5 s"


async def test_a_wait_that_contradicts_a_terminal_record_ends_the_follow() -> None:
    """The v2 record says failed, the wait says running: terminal never goes back to live."""
    data = plausible_dataset()
    failed = data.records[INVOCATION_IDS[1]]
    routes = dataset_routes(data)

    async def says_running(request: Request, conn: Conn) -> None:
        body = {"invocation": {**failed.full, "status": "running"}, "timedOutWaiting": True}
        await conn.json(body)

    routes[("POST", "/v1/invocations/{invocation_id}/wait")] = says_running
    with HostileServer(routes) as server:
        async with opened(bctrl(server)) as source:
            async with asyncio.timeout(5):
                updates = [u async for u in source.follow(INVOCATION_IDS[1], None)]
        assert len(server.log) == 2, "one v2 record, one long-poll"
    final = [u for u in updates if isinstance(u, Detail)][-1]
    assert final.terminal and final.body.failed_steps


# -- 7. ids that are paths ---------------------------------------------------------------------


async def test_hostile_ids_stay_on_their_endpoint_and_in_the_copied_commands() -> None:
    with HostileServer(hostile_ids()) as server:
        async with opened(bctrl(server)) as source:
            for run_id in HOSTILE_RUN_IDS:
                server.clear_log()
                rows = (await source.pager(run_id, Query()).poll()).rows
                assert rows and {row.group for row in rows} == {run_id}, "the run was found"
                [logged] = server.log
                assert logged.raw_path == f"/v1/runs/{seg(run_id)}/invocations"
                group = Group(key=run_id, status=Status(Kind.RUNNING, "active"))
                curl = source.copies(group, None, None)[-1].text
                assert f"{server.url}/v1/runs/{seg(run_id)}/invocations" in curl
            for invocation_id in HOSTILE_INVOCATION_IDS:
                server.clear_log()
                updates = await _until_waited(source, invocation_id)
                assert {u.key for u in updates if isinstance(u, Row)} == {invocation_id}
                paths = {request.raw_path for request in server.log}
                assert paths == {
                    f"/v2/invocations/{seg(invocation_id)}",
                    f"/v1/invocations/{seg(invocation_id)}/wait",
                }, paths
                row = next(u for u in updates if isinstance(u, Row))
                texts = {c.label: c.text for c in source.copies(None, row, None)}
                base = server.url
                assert texts["curl for this invocation"].endswith(
                    f" {base}/v2/invocations/{seg(invocation_id)}"
                )
                assert texts["curl to wait for it to finish"].endswith(
                    f" {base}/v1/invocations/{seg(invocation_id)}/wait"
                )
        async with opened(kernel(server)) as other:
            for invocation_id in HOSTILE_KERNEL_IDS:
                server.clear_log()
                found = await other.locate(invocation_id)
                assert isinstance(found, Row) and found.key == invocation_id
                updates = [u async for u in other.follow(invocation_id, None)]
                assert [u for u in updates if isinstance(u, LogLines) and u.lines]
                paths = {request.raw_path for request in server.log}
                one = f"/invocations/{seg(invocation_id)}"
                assert paths == {one, one + "/events"}, paths
                texts = {c.label: c.text for c in other.copies(None, found, None)}
                assert texts["curl for its event stream"].endswith(f" {server.url}{one}/events")
            app = Group(key="a&status=failed#x@1?y", status=Status(Kind.RUNNING, "running"))
            curl = other.copies(app, None, None)[-1].text
            assert "/invocations?app_name=a%26status%3Dfailed%23x&version=1%3Fy" in curl
    assert server.errors == []


async def _until_waited(source: BctrlSource, key: str) -> list[Any]:
    """A follow's updates up to its first long-poll answer (a live one never ends here)."""
    updates: list[Any] = []
    follow = source.follow(key, None)
    try:
        async for update in follow:
            updates.append(update)
            if isinstance(update, Row) and update.rank == 2:
                break
    finally:
        await follow.aclose()
    return updates


# -- 8. plain http to another machine --------------------------------------------------------


def test_cleartext_is_plain_http_to_another_host() -> None:
    assert cleartext("http://10.255.255.1:9") and cleartext("http://api.example.com")
    for url in ("https://api.bctrl.ai", "http://127.0.0.1:8787", "http://localhost:1"):
        assert not cleartext(url), url
    assert not cleartext("http://[::1]:8787") and not cleartext("http://app.localhost")


def test_plain_http_to_another_host_warns_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI warns before any request (the watch itself is stubbed: nothing leaves this
    machine); loopback is not warned about."""
    import tui.watch
    from tui.cli import main

    watched: list[str] = []

    async def no_network(source: Source, options: WatchOptions, **_: Any) -> int:
        watched.append(source.base_url)
        return EXIT_UNREACHABLE

    monkeypatch.setattr(tui.watch, "watch", no_network)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("KERNEL_API_KEY", KEY)
    run = "00000000-0000-4000-8000-000000000001"
    argv = ["watch", run, "--base-url", "http://10.255.255.1:9", "--once", "--give-up", "1"]
    assert main(argv) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err.count("travels in clear text") == 1 and KEY not in err
    assert "http://10.255.255.1:9 is plain http to another machine" in err
    urls_after_the_first = ["https://api.example.com", "http://localhost:9"]
    for url in ("http://127.0.0.1:9", *urls_after_the_first):
        assert main(["watch", "--provider", "kernel", "x", "--base-url", url]) == 5
        assert "clear text" not in capsys.readouterr().err
    assert watched == ["http://10.255.255.1:9", "http://127.0.0.1:9", *urls_after_the_first]


# -- 9. the key echoed back in every field ----------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "jsonl", "json", "once"])
async def test_an_echoed_key_never_reaches_watch_output(mode: str) -> None:
    with HostileServer(echo_key()) as server:
        results = [
            await _watch(bctrl(server, retry=FAST), RUN_ID, mode=mode, timeout=1.5),
            await _watch(kernel(server, retry=FAST), KERNEL_IDS[1], mode=mode, timeout=1.5),
            await _watch(kernel(server, retry=FAST), "web-scraper", mode=mode, timeout=1.5),
        ]
    for code, out, err, _ in results:
        assert code in (EXIT_OK, EXIT_TIMEOUT), err
        assert out and KEY not in out and KEY not in err
        assert "********" in out, "the echoed key was there, masked"
        if mode in ("json", "jsonl"):
            [json.loads(line) for line in out.splitlines()] if mode == "jsonl" else json.loads(out)


async def test_an_echoed_key_never_reaches_the_copied_texts() -> None:
    with HostileServer(echo_key()) as server:
        async with opened(bctrl(server)) as source, opened(kernel(server)) as other:
            [run] = await source.groups()
            assert run.key == f"{RUN_ID} ********", "the echoed id: masked"
            rows = (await source.pager(RUN_ID, Query()).poll()).rows
            failed = next(r for r in rows if r.status.raw.startswith("failed"))
            texts = [c.text for c in source.copies(run, None, None)]
            texts += [c.text for c in source.copies(run, failed, None)]
            found = await other.locate(KERNEL_IDS[1])
            assert isinstance(found, Row)
            texts += [c.text for c in other.copies(None, found, None)]
    joined = "\n".join(texts)
    assert KEY not in joined and "********" in joined
    assert "$BCTRL_API_KEY" in joined and "$KERNEL_API_KEY" in joined


async def test_a_key_echoed_in_an_error_never_reaches_stderr() -> None:
    with HostileServer({EVERY_PATH: echo_key_error()}) as server:
        code, out, err, _ = await _watch(bctrl(server), RUN_ID)
        kcode, _, kerr, _ = await _watch(kernel(server), "inv_x")
    assert code == kcode == EXIT_AUTH and out == ""
    assert "rejected" in err and KEY not in err + kerr and "********" in err + kerr
