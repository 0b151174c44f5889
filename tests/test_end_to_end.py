"""The whole contract walked through the providers' sources against the gateway, as the
viewer and ``watch`` walk it: bctrl runs → a run → all its invocations → live progress → a
failed invocation followed to its steps and diagnostic; Kernel app versions → an app
version's invocations → one invocation → its event stream. Every endpoint is requested."""

from __future__ import annotations

import re
import time
from typing import Any, cast

import httpx

from tui.core.model import Detail, LogLines, Query, Row
from tui.providers import PROVIDERS
from tui.providers.bctrl.models import Body, body_from_full
from tui.providers.bctrl.source import BctrlSource
from tui.providers.http import seg
from tui.providers.kernel.models import Body as KernelBody
from tui.providers.kernel.source import KernelSource
from tui.sim.server import GatewayServer

from .conftest import fast_retry
from .contract_mock import load_endpoints


class Recording(httpx.AsyncHTTPTransport):
    """The real transport, remembering every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await super().handle_async_request(request)


def _templates(sent: list[tuple[str, str]]) -> set[str]:
    """The endpoints requested, as ``METHOD /path/{id}`` templates."""
    out = set()
    for method, path in sent:
        template = re.sub(r"/(runs|invocations|operations)/[^/]+", r"/\1/{id}", path)
        out.add(f"{method} {template}")
    return out


async def test_walk_bctrl(frozen_gateway: GatewayServer) -> None:
    transport = Recording()
    source = cast(
        BctrlSource,
        PROVIDERS["bctrl"].make_source(
            "e2e-key-0123",
            frozen_gateway.url,
            clock=time.time,
            retry=fast_retry(),
            transport=transport,
        ),
    )
    try:
        runs = await source.groups()
        assert [r.created for r in runs] == sorted((r.created for r in runs), reverse=True)
        run = await source.group(runs[0].key)
        assert run.rank == 1 and run.total

        delta = await source.pager(run.key, Query()).poll()
        rows = delta.rows
        assert len(rows) == len({r.key for r in rows}) >= run.total - 2
        live = [r for r in rows if not r.status.terminal]
        refreshed = await source.refresh(rows)
        assert {r.key for r in refreshed} == {r.key for r in live[:20]}
        assert all(r.rank == 1 for r in refreshed)

        failed = next(r for r in rows if r.status.raw == "failed")
        updates = [u async for u in source.follow(failed.key, None)]
        final = [u for u in updates if isinstance(u, Detail)][-1]
        assert final.terminal and isinstance(final.body, Body)
        assert final.body.requested, "what was asked"
        steps = final.body.failed_steps
        assert steps and steps[0].diagnostic is not None and steps[0].code
        why = source.explain(failed, final)
        assert failed.problem is not None and why[0] == failed.problem.text()
        assert any(line.startswith(f"step {(steps[0].index or 0) + 1} ") for line in why)
        assert [u async for u in source.follow(failed.key, final)] == [], "final: never again"

        copies = {c.label: c.text for c in source.copies(None, failed, final)}
        wait_curl = copies["curl to wait for it to finish"]
        assert f"{frozen_gateway.url}/v1/invocations/{seg(failed.key)}/wait" in wait_curl
        assert "$BCTRL_API_KEY" in wait_curl and "e2e-key-0123" not in wait_curl

        # The contract's one endpoint the product does not read: an operation's record maps
        # through the same full-record reader.
        operation = await source.client.request("GET", f"/v1/operations/{seg(failed.key)}")
        body = body_from_full(operation.data, Body())
        assert [s.code for s in body.failed_steps] == [s.code for s in steps]
    finally:
        await source.aclose()
    contract = {e.key.replace("{runId}", "{id}") for e in load_endpoints() if "/v" in e.path}
    assert contract | {"GET /v1/runs", "GET /v1/runs/{id}"} == _templates(transport.sent)


async def test_walk_kernel(frozen_gateway: GatewayServer) -> None:
    transport = Recording()
    source = cast(
        KernelSource,
        PROVIDERS["kernel"].make_source(
            "e2e-kernel-key-0123",
            frozen_gateway.url,
            clock=time.time,
            retry=fast_retry(),
            transport=transport,
        ),
    )
    try:
        groups = await source.groups()
        group = next(g for g in groups if g.key == "web-scraper@1.4.2")
        delta = await source.pager(group.key, Query()).poll()
        rows = delta.rows
        assert len(rows) == group.total and {r.group for r in rows} == {group.key}

        failed = next(r for r in rows if r.status.raw == "failed")
        found = await source.locate(failed.key)
        assert isinstance(found, Row) and found.key == failed.key
        assert found.problem is not None and found.problem.message

        updates = [u async for u in source.follow(failed.key, None)]
        lines = [line for u in updates if isinstance(u, LogLines) for line in u.lines]
        plan = frozen_gateway.kernel.invocation(failed.key)
        assert plan is not None and len(lines) == len(plan.logs)
        final = [u for u in updates if isinstance(u, Detail)][-1]
        assert final.terminal and isinstance(final.body, KernelBody)
        assert final.body.payload is not None
        assert source.explain(failed, final) == [final.body.reason]

        copies: dict[str, Any] = {c.label: c.text for c in source.copies(None, failed, final)}
        stream = copies["curl for its event stream"]
        assert f"/invocations/{seg(failed.key)}/events" in stream
        assert stream.startswith("curl -sS -N "), "a stream unbuffered, as it is read"
        assert "$KERNEL_API_KEY" in copies["curl for this invocation"]
        assert " -N " not in copies["curl for this invocation"]
    finally:
        await source.aclose()
    kernel = {e.key for e in load_endpoints() if not e.path.startswith("/v")}
    assert kernel | {"GET /invocations", "GET /invocations/{id}/events"} == _templates(
        transport.sent
    )
