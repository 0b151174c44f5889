"""Each provider's adapter with no server and no Textual: mapping wire records into the
neutral model, paging, following, and the shared HTTP layer's limits (an in-memory
transport stands in for the network)."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tui.core.errors import MalformedResponse, NotFound, RateLimited, TooLarge, Unsupported
from tui.core.model import Alive, Detail, Kind, LogLines, Query, Raw, Row, Status
from tui.providers import PROVIDERS
from tui.providers.bctrl.client import BctrlClient
from tui.providers.bctrl.models import Body, body_from_full, explain, invocation_row, run_group
from tui.providers.bctrl.source import BctrlSource
from tui.providers.http import RetryPolicy, parse_retry_after, seg
from tui.providers.kernel.client import KernelClient
from tui.providers.kernel.models import invocation_row as kernel_row
from tui.providers.kernel.models import summarise
from tui.providers.kernel.source import KernelSource

Handler = Callable[[httpx.Request], httpx.Response]
NO_RETRY = RetryPolicy(max_retries=0)


class Streamed(httpx.AsyncByteStream):
    """A body that arrives in chunks, as over a network (not read in advance)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.content), 65536):
            yield self.content[start : start + 65536]


def reply(
    status: int = 200,
    json_body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A response the way the network delivers one: streamed, not yet read."""
    body = content if content is not None else json.dumps(json_body).encode()
    return httpx.Response(status, headers=headers, stream=Streamed(body))


def bctrl(handler: Handler, key: str = "k-test-key") -> BctrlSource:
    client = BctrlClient(
        key, "http://api.test", retry=NO_RETRY, transport=httpx.MockTransport(handler)
    )
    return BctrlSource(client, clock=time.time)


def kernel(handler: Handler) -> KernelSource:
    retry = RetryPolicy(max_retries=2, base=0.001, cap=0.002)
    client = KernelClient(
        "k", "http://api.test", retry=retry, transport=httpx.MockTransport(handler)
    )
    return KernelSource(client, clock=time.time)


def summary(key: str, status: str = "running", **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "runId": "run-1",
        "runtimeId": "rt",
        "action": "act",
        "status": status,
        "createdAt": "2026-11-20T10:00:00Z",
        **extra,
    }


# -- bctrl mapping ---------------------------------------------------------------------


def test_a_bad_field_costs_that_field_only() -> None:
    row = invocation_row(
        summary("a", "paused_for_review", createdAt="laborum in incididunt", durationMs="x"),
        observed=1.0,
        rank=0,
    )
    assert row is not None
    assert row.created == Raw("laborum in incididunt") and row.duration == Raw("x")
    assert row.status.kind is Kind.UNKNOWN and row.status.raw == "paused_for_review"
    assert row.name == "act" and row.group == "run-1"
    assert invocation_row({"status": "running"}, 1.0, 0) is None, "no id: no row"
    assert invocation_row("not an object", 1.0, 0) is None


def test_offsets_and_null_fields() -> None:
    row = invocation_row(
        summary("a", "timed_out", createdAt="2026-11-20T10:00:00+14:00", durationMs=None),
        1.0,
        0,
    )
    assert row is not None and row.created == datetime(2026, 11, 19, 20, tzinfo=UTC).timestamp()
    assert row.finished is None and row.duration is None


def test_run_groups() -> None:
    group = run_group(
        {
            "id": "6f1c0000-0000-4000-8000-000000000001",
            "status": "failed",
            "runtimeType": "spreadsheet",
            "createdAt": "2026-11-20T10:00:00Z",
            "failure": {"code": "runtime.crashed", "message": "The runtime exited"},
            "counts": {"invocations": 18},
        },
        1.0,
    )
    assert group is not None and group.status.kind is Kind.FAILED
    assert (
        group.problem is not None and group.problem.text() == "runtime.crashed · The runtime exited"
    )
    assert group.total == 18 and group.title == "6f1c0000" and group.subtitle == "spreadsheet"


def test_steps_and_why_a_step_failed() -> None:
    full = {
        "id": "a",
        "status": "failed",
        "entryCall": "page.goto",
        "result": {
            "mode": "fail-fast",
            "ok": False,
            "steps": [
                {"ok": True, "call": "page.goto", "index": 0, "resolved": {"target": "page"}},
                "garbage",
                {
                    "ok": False,
                    "call": "page.click",
                    "index": 2,
                    "error": {
                        "code": "UNKNOWN_REF",
                        "message": "Reference '@x' is not bound",
                        "hint": "Bind it first",
                        "diagnostic": {
                            "id": "d1",
                            "expected": "a bound ref",
                            "received": "@x",
                            "closest": ["@y", 7],
                            "fixes": [{"title": "Use @y", "command": "bctrl fix"}],
                            "docsUrl": "https://docs.bctrl.ai/errors/UNKNOWN_REF",
                        },
                    },
                },
            ],
        },
    }
    body = body_from_full(full, Body())
    assert body.steps is not None and [s.ok for s in body.steps] == [True, None, False]
    assert body.steps[2].diagnostic is not None and body.steps[2].diagnostic.closest == ("@y", "7")
    row = invocation_row(full, 1.0, 2)
    assert row is not None
    lines = explain(row, body)
    assert "step 3 page.click: UNKNOWN_REF" in lines
    assert "  expected a bound ref, received @x" in lines
    assert "  fix: Use @y ($ bctrl fix)" in lines
    assert "  docs: https://docs.bctrl.ai/errors/UNKNOWN_REF" in lines


# -- bctrl through an in-memory transport --------------------------------------------------


async def test_pages_follow_next_cursor_and_a_page_without_data_is_malformed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return reply(200, {"data": [summary("a"), summary("b")], "nextCursor": "c2"})
        if cursor == "c2":
            return reply(200, {"data": [summary("c", "failed")], "nextCursor": None})
        return reply(200, {"nextCursor": None})

    source = bctrl(handler)
    delta = await source.pager("run-1", Query()).poll()
    assert [r.key for r in delta.rows] == ["a", "b", "c"]
    broken = bctrl(lambda request: reply(200, {"data": "nope"}))
    with pytest.raises(MalformedResponse):
        await broken.pager("run-1", Query()).poll()


async def test_filters_reach_the_server() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return reply(200, {"data": [], "nextCursor": None})

    await bctrl(handler).pager("run-1", Query(("failed", "timed_out"), ("act",))).poll()
    params = seen[0].params
    assert params.get_list("status") == ["failed", "timed_out"] and params.get_list("action") == [
        "act"
    ]


async def test_a_run_endpoint_that_is_absent_is_unsupported_but_a_missing_run_is_not_found() -> (
    None
):
    def absent(request: httpx.Request) -> httpx.Response:
        return reply(404, {"code": "route.not_found", "error": "No route"})

    def missing(request: httpx.Request) -> httpx.Response:
        return reply(404, {"code": "run.not_found", "error": "Run not found"})

    with pytest.raises(Unsupported):
        await bctrl(absent).group("r")
    with pytest.raises(Unsupported):
        await bctrl(absent).groups()
    with pytest.raises(NotFound):
        await bctrl(missing).group("r")


async def test_following_an_invocation_until_it_is_final() -> None:
    calls: list[str] = []
    state = {"waits": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method + " " + request.url.path)
        if request.method == "POST":
            state["waits"] += 1
        finished = state["waits"] >= 2
        status = "failed" if finished else "running"
        if request.method == "GET":
            data = {
                **summary("a", status),
                "type": "act",
                "runtimeType": "browser",
                "artifactCount": 1,
            }
            return reply(200, {"data": data})
        full = {
            **summary("a", status),
            "entryCall": "page.goto",
            "result": {"steps": []} if finished else None,
        }
        return reply(200, {"invocation": full, "timedOutWaiting": not finished})

    updates = [u async for u in bctrl(handler).follow("a", None)]
    assert calls == [
        "GET /v2/invocations/a",
        "POST /v1/invocations/a/wait",
        "POST /v1/invocations/a/wait",
        "GET /v2/invocations/a",
    ]
    details = [u for u in updates if isinstance(u, Detail)]
    assert details[-1].terminal and not any(d.terminal for d in details[:-1])
    assert [u.status.raw for u in updates if isinstance(u, Row)][-1] == "failed"
    final = details[-1]
    assert [u async for u in bctrl(handler).follow("a", final)] == [], "never fetched again"


# -- Kernel --------------------------------------------------------------------------------


def kernel_record(key: str, status: str = "running", **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "app_name": "web-scraper",
        "version": "1.4.2",
        "action_name": "scrape",
        "started_at": "2026-11-20T10:00:00.123456789Z",
        "status": status,
        **extra,
    }


def test_kernel_rows_bodies_and_groups() -> None:
    mapped = kernel_row(
        kernel_record(
            "i1", "failed", payload='{"url": "x"}', output="not json", status_reason="boom"
        ),
        1.0,
    )
    assert mapped is not None
    row, body = mapped
    assert (
        row.group == "web-scraper@1.4.2"
        and row.problem is not None
        and row.problem.message == "boom"
    )
    assert body.payload is not None and body.payload.ok and body.payload.value == {"url": "x"}
    assert body.output is not None and not body.output.ok
    live = kernel_row(kernel_record("i2"), 1.0)
    assert live is not None
    [group] = summarise([row, live[0]], 1.0)
    assert (
        group.key == "web-scraper@1.4.2"
        and group.total == 2
        and group.failed == 1
        and group.live == 1
    )
    assert group.status.kind is Kind.RUNNING


async def test_kernel_pages_by_offset_and_a_missing_list_is_unsupported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        assert (
            request.url.params["app_name"] == "web-scraper"
            and request.url.params["version"] == "1.4.2"
        )
        more = offset == 0
        headers = {
            "X-Has-More": "true" if more else "false",
            "X-Next-Offset": "100" if more else "0",
        }
        return reply(200, [kernel_record(f"i{offset}")], headers=headers)

    delta = await kernel(handler).pager("web-scraper@1.4.2", Query()).poll()
    assert [r.key for r in delta.rows] == ["i0", "i100"]
    gone = kernel(lambda request: reply(404, {"code": "not_found", "message": "no"}))
    with pytest.raises(Unsupported):
        await gone.pager("web-scraper", Query()).poll()


def sse(*frames: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(frame).encode() + b"\n\n" for frame in frames)


async def test_kernel_follow_resumes_after_a_drop_without_loss_or_repeats() -> None:
    t = "2026-11-20T10:00:0{}.000000001Z"
    first = sse(
        {"event": "invocation_state", "timestamp": t.format(0), "invocation": kernel_record("i")},
        {"event": "log", "timestamp": t.format(1), "message": "one"},
        {"event": "log", "timestamp": t.format(2), "message": "two"},
    )
    second = sse(
        {"event": "log", "timestamp": t.format(2), "message": "two"},  # `since` is inclusive
        {"event": "log", "timestamp": t.format(3), "message": "\x1b[31mthree\x1b[0m"},
        {"event": "sse_heartbeat", "timestamp": t.format(3)},
        {
            "event": "invocation_state",
            "timestamp": t.format(4),
            "invocation": kernel_record("i", "succeeded"),
        },
    )
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/events"):
            return reply(200, kernel_record("i"))  # asked after the first stream ended early
        asked.append(request.url.params.get("since"))
        body = first if len(asked) == 1 else second
        return reply(200, content=body, headers={"content-type": "text/event-stream"})

    updates = [u async for u in kernel(handler).follow("i", None)]
    lines = [line for u in updates if isinstance(u, LogLines) for line in u.lines]
    assert [line.split("  ", 1)[1] for line in lines] == ["one", "two", "three"]
    assert (
        asked[0] is None and asked[1] == t.format(2) and any(isinstance(u, Alive) for u in updates)
    )
    last = updates[-1]
    assert isinstance(last, LogLines) and last.complete


# -- the HTTP layer's limits ------------------------------------------------------------


async def test_a_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(200, content=bomb, headers={"content-encoding": "gzip"})

    with pytest.raises(TooLarge):
        await bctrl(handler).group("r")


async def test_deep_nesting_is_malformed_not_a_crash() -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(MalformedResponse):
        await bctrl(lambda request: reply(200, content=body)).group("r")


def test_retry_after_is_clamped_and_non_finite_values_ignored() -> None:
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None
    assert parse_retry_after("-5") is None and parse_retry_after("999999") == 300.0
    assert parse_retry_after("2") == 2.0


async def test_rate_limit_with_an_absurd_retry_after_waits_five_minutes_at_most() -> None:
    source = bctrl(
        lambda request: reply(
            429, {"code": "rl", "error": "slow"}, headers={"retry-after": "999999"}
        )
    )
    with pytest.raises(RateLimited) as caught:
        await source.group("r")
    assert caught.value.retry_after == 300.0 and 299 < source.rate_limited_for() <= 300


async def test_ids_cannot_change_the_request_path() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return reply(200, {"data": {"id": "x", "status": "queued"}})

    source = bctrl(handler)
    for ref in ("..", ".", "a?b#c", "a/../../v1/runs"):
        await source.client.invocation(ref)
    assert seen[0] == b"/v2/invocations/%2E%2E" and seen[1] == b"/v2/invocations/%2E"
    assert seen[2] == b"/v2/invocations/a%3Fb%23c" and seen[3].startswith(b"/v2/invocations/a%2F")
    assert seg("..") == "%2E%2E"


async def test_a_key_echoed_by_the_server_never_reaches_the_model() -> None:
    key = "sk-echo-0123456789"

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(
            200, {"data": [summary("a", error={"message": f"bad key {key}"})], "nextCursor": None}
        )

    delta = await bctrl(handler, key=key).pager("run-1", Query()).poll()
    problem = delta.rows[0].problem
    assert (
        problem is not None
        and key not in (problem.message or "")
        and "********" in (problem.message or "")
    )


def test_the_registry_is_the_only_place_provider_facts_live() -> None:
    assert set(PROVIDERS) == {"bctrl", "bctrl-current", "kernel"}
    for provider in PROVIDERS.values():
        source = provider.make_source("k", "http://api.test", clock=time.time)
        assert source.name == provider.name and source.base_url == "http://api.test"
    assert PROVIDERS["bctrl"].valid_ref("6f1c0000-0000-4000-8000-000000000001")
    assert not PROVIDERS["bctrl"].valid_ref("not a uuid")
    assert PROVIDERS["kernel"].valid_ref("inv_8f3k2") and PROVIDERS["kernel"].valid_ref("app@1.2.3")


def test_a_rows_json_copy_is_never_older_than_the_row() -> None:
    """A live full record read before the row finished is not what is copied: the row that
    says it is over is; a final full record is, and so is a live one while the row runs."""
    source = bctrl(lambda request: reply(404, {}))
    done = Row(
        key="i1",
        status=Status(Kind.FAILED, "failed"),
        observed=10.0,
        raw={"id": "i1", "status": "failed"},
    )

    def copied(detail: Detail, row: Row = done) -> Any:
        texts = {c.label: c.text for c in source.copies(None, row, detail)}
        return json.loads(texts["Invocation as JSON"])

    live = b'{"id": "i1", "status": "running", "steps": []}'
    assert copied(Detail("i1", None, terminal=False, observed=5.0, raw=live))["status"] == "failed"
    # A running row's list entry is newer than its full record all the time, and thinner.
    running = replace(done, status=Status(Kind.RUNNING, "running"), observed=20.0)
    assert "steps" in copied(Detail("i1", None, terminal=False, observed=5.0, raw=live), running)
    final = b'{"id": "i1", "status": "failed", "steps": [{"index": 0}]}'
    assert copied(Detail("i1", None, terminal=True, observed=5.0, raw=final))["steps"]
