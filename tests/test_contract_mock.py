"""The product against the world: every contract-valid body maps, no page loses a row.

The contract mock (``tests/contract_mock.py``) serves bodies drawn from the OpenAPI response
schemas. The first tests check the mock itself (valid, deterministic, terminating); the rest
drive the providers' sources (``Provider.make_source``) and ``runwatch watch`` against it: a
list page through ``source.pager(...).poll()``, v2 and wait through ``source.follow``, Kernel
through ``source.locate``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import given, settings
from hypothesis_jsonschema import from_schema

from tui.core.errors import ApiError, Forbidden, NotFound, Unauthorized
from tui.core.model import Detail, Query, Row, Update
from tui.core.source import Source
from tui.providers import PROVIDERS
from tui.providers.bctrl.models import FULL, V2
from tui.providers.bctrl.source import BctrlSource
from tui.providers.http import RetryPolicy
from tui.providers.kernel.source import KernelSource

from .contract_mock import (
    LIST_PATH,
    SPEC_FILES,
    ContractMock,
    Mode,
    Reply,
    chain_pages,
    contract_errors,
    find_endpoint,
    load_endpoints,
)

RUN_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
REQUESTS = 30  # per endpoint and mode: each a fresh body
SEED = 14
VALID_MODES: tuple[Mode, ...] = ("schema", "odd")
RUNWATCH = Path(sys.executable).with_name("runwatch")


def no_retry() -> RetryPolicy:
    """One request, one body: a rejected body is not hidden by a retry that gets another."""
    return RetryPolicy(max_retries=0)


def source(provider: str, mock: ContractMock) -> Source:
    return PROVIDERS[provider].make_source("x", mock.url, clock=time.time, retry=no_retry())


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[Mode, ContractMock]]:
    """One mock per mode, same seed (the drawn bodies are shared between them)."""
    servers: dict[Mode, ContractMock] = {
        mode: ContractMock(seed=SEED, mode=mode, pool_size=20)
        for mode in ("schema", "odd", "beyond")
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def _fresh(mock: ContractMock, name: str) -> int:
    """How many bodies ``name`` has been sent so far (to find this test's bodies)."""
    return len(mock.sent(name, status=None))


# -- the mock itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", VALID_MODES)
def test_every_body_is_contract_valid(mocks: dict[Mode, ContractMock], mode: Mode) -> None:
    mock = mocks[mode]
    with httpx.Client(base_url=mock.url, timeout=10) as http:
        for endpoint in load_endpoints():
            path = endpoint.path.replace("{runId}", RUN_ID).replace("{id}", "inv_1")
            for _ in range(8):
                response = http.request(endpoint.method, path, json={"timeoutMs": 0})
                assert response.status_code == 200
                problems = contract_errors(endpoint, 200, response.json())
                assert not problems, f"{endpoint.key}: {problems[:3]}"
    assert mock.odd_fallbacks <= 2, "oddify should almost always keep a body valid"


def test_odd_mode_is_odd(mocks: dict[Mode, ContractMock]) -> None:
    mock = mocks["odd"]
    bodies = mock.sample(LIST_PATH, 20)
    created = [row["createdAt"] for body in bodies for row in body["data"]]
    assert any(value.endswith("+14:00") for value in created)
    assert any(value == "laborum in incididunt" or value == "" for value in created)
    rows = [row for body in bodies for row in body["data"]]
    assert any("zzRunwatchUnknownField" in row for row in rows)


def test_beyond_mode_leaves_the_contract(mocks: dict[Mode, ContractMock]) -> None:
    endpoint = find_endpoint(LIST_PATH)
    bodies = mocks["beyond"].sample(LIST_PATH, 10)
    problems = [p for body in bodies for p in contract_errors(endpoint, 200, body)]
    assert any("is not one of" in p for p in problems), "unknown enum values"


def test_same_seed_same_bodies_and_each_request_differs() -> None:
    def bodies(seed: int) -> list[Any]:
        with ContractMock(seed=seed, mode="odd", pool_size=8) as mock, httpx.Client() as http:
            return [http.get(f"{mock.url}/v1/operations/op").json() for _ in range(6)]

    first = bodies(1)
    assert first == bodies(1)
    assert first != bodies(2)
    assert len({json.dumps(b, sort_keys=True) for b in first}) > 1


def test_list_cursor_terminates(mocks: dict[Mode, ContractMock]) -> None:
    mock = mocks["odd"]
    pages = 0
    cursor: str | None = None
    with httpx.Client(base_url=mock.url) as http:
        while True:
            params = {"cursor": cursor} if cursor else {}
            body = http.get(f"/v1/runs/{RUN_ID}/invocations", params=params).json()
            pages += 1
            cursor = body["nextCursor"]
            if cursor is None:
                break
            assert pages < 10
        assert pages == mock.max_pages
        stale = http.get(f"/v1/runs/{RUN_ID}/invocations", params={"cursor": "never-issued"})
        assert stale.json()["nextCursor"] is None


def test_statuses_select_the_declared_errors() -> None:
    statuses = {200: 1.0, 401: 1.0, 403: 1.0, 404: 1.0}
    with ContractMock(seed=3, mode="odd", statuses=statuses, pool_size=6) as mock:
        with httpx.Client(base_url=mock.url) as http:
            listed = {http.get(f"/v1/runs/{RUN_ID}/invocations").status_code for _ in range(30)}
            detail = {http.get("/v2/invocations/i").status_code for _ in range(5)}
        assert listed == {200, 401, 403, 404}
        assert detail == {200}, "v2 declares no error response: only 200"
        endpoint = find_endpoint(LIST_PATH)
        for served in mock.served:
            if served.endpoint == endpoint.key:
                assert not contract_errors(endpoint, served.status, served.body)


def test_examples_are_served_in_order_and_by_cursor() -> None:
    pages = chain_pages([{"data": [], "nextCursor": None}] * 3)
    with ContractMock(seed=0, examples={LIST_PATH: pages}) as mock:
        mock.use_examples("/v1/operations/{id}", [Reply(404, {"code": "x", "error": "y"}), {}])
        with httpx.Client(base_url=mock.url) as http:
            assert http.get("/v1/runs/r/invocations").json()["nextCursor"] == "page-1"
            again = http.get("/v1/runs/r/invocations", params={"cursor": "page-1"})
            assert again.json()["nextCursor"] == "page-2"
            codes = [http.get("/v1/operations/o").status_code for _ in range(3)]
            assert codes == [404, 200, 404]
            assert http.get("/v1/not-in-the-contract").status_code == 404


def test_hypothesis_jsonschema_draws_objects() -> None:
    """hypothesis-jsonschema 0.23 breaks on hypothesis >= 6.170 without the mock's adapter."""
    seen: list[Any] = []

    @settings(max_examples=5, database=None, derandomize=True)
    @given(from_schema({"type": "object", "properties": {"a": {"type": "integer"}}}))
    def draw(value: Any) -> None:
        seen.append(value)

    draw()
    assert all(isinstance(v, dict) for v in seen)


def test_every_contract_file_is_served() -> None:
    assert {e.spec for e in load_endpoints()} == set(SPEC_FILES)


# -- the product: the providers' sources ----------------------------------------------------------


async def _drive(
    mock: ContractMock,
    name: str,
    call: Callable[[], Awaitable[Any]],
    check: Callable[[Any, list[Any]], str | None] | None = None,
) -> None:
    """Call ``REQUESTS`` times; every body must map (and pass ``check`` against the bodies
    this call was sent). Fails listing all the failures."""
    failures: list[str] = []
    for _ in range(REQUESTS):
        start = _fresh(mock, name)
        try:
            mapped = await call()
        except ApiError as error:
            failures.append(f"{type(error).__name__}: {error}")
            continue
        sent = mock.sent(name, status=None)[start:]
        problem = check(mapped, sent) if check else None
        if problem:
            failures.append(problem)
    assert not failures, f"{len(failures)}/{REQUESTS} bodies rejected; first: " + " | ".join(
        dict.fromkeys(failures[:4])
    )


def _every_row(delta: Any, sent: list[Any]) -> str | None:
    """Every row sent is in the view, in order: a row is dropped only when it has no id to be
    known by, or repeats one already listed (the same row, as the view keys rows by id)."""
    ids = list(dict.fromkeys(row["id"] for page in sent for row in page["data"] if row["id"]))
    keys = list(dict.fromkeys(row.key for row in delta.rows))
    if keys != ids:
        return f"{len(ids)} rows sent over {len(sent)} pages, {len(keys)} mapped"
    return None


@pytest.mark.parametrize("mode", [*VALID_MODES, "beyond"])
async def test_list_pages_keep_every_row(mocks: dict[Mode, ContractMock], mode: Mode) -> None:
    mock = mocks[mode]
    api = source("bctrl", mock)
    try:
        await _drive(mock, LIST_PATH, lambda: api.pager(RUN_ID, Query()).poll(), _every_row)
    finally:
        await api.aclose()


async def _first_wait(api: BctrlSource, key: str) -> list[Update]:
    """A follow up to the end of its first long-poll: the v2 record, then the wait's."""
    updates: list[Update] = []
    follow = api.follow(key, None)
    try:
        async for update in follow:
            updates.append(update)
            if isinstance(update, Detail) and update.rank == FULL:
                break
    finally:
        await follow.aclose()
    return updates


def _followed(updates: Any, sent: list[Any]) -> str | None:
    rows = [u for u in updates if isinstance(u, Row)]
    details = [u for u in updates if isinstance(u, Detail)]
    if [r.rank for r in rows] != [V2, FULL] or [d.rank for d in details] != [V2, FULL]:
        return f"updates {[type(u).__name__ for u in updates]}"
    if {r.key for r in rows} != {"inv_1"}:
        return f"a followed row named {[r.key for r in rows]}"
    status = sent[-1]["invocation"]["status"] if sent else None
    if isinstance(status, str) and rows[-1].status.raw != status:
        return f"status {status!r} mapped as {rows[-1].status.raw!r}"
    return None


@pytest.mark.parametrize("mode", [*VALID_MODES, "beyond"])
async def test_v2_and_wait_map_through_follow(mocks: dict[Mode, ContractMock], mode: Mode) -> None:
    mock = mocks[mode]
    api = source("bctrl", mock)
    assert isinstance(api, BctrlSource)
    wait = "/v1/invocations/{id}/wait"
    try:
        await _drive(mock, wait, lambda: _first_wait(api, "inv_1"), _followed)
    finally:
        await api.aclose()
    assert len(mock.sent("/v2/invocations/{id}", status=None)) >= REQUESTS


def _located(found: Any, sent: list[Any]) -> str | None:
    if not isinstance(found, Row) or found.key != "inv_1":
        return f"located {found!r}"
    status = sent[-1].get("status")
    if isinstance(status, str) and found.status.raw != status:
        return f"status {status!r} mapped as {found.status.raw!r}"
    return None


@pytest.mark.parametrize("mode", [*VALID_MODES, "beyond"])
async def test_kernel_invocation_maps_through_locate(
    mocks: dict[Mode, ContractMock], mode: Mode
) -> None:
    mock = mocks[mode]
    api = source("kernel", mock)
    try:
        await _drive(mock, "/invocations/{id}", lambda: api.locate("inv_1"), _located)
    finally:
        await api.aclose()


async def test_declared_error_bodies_become_the_right_errors() -> None:
    expected = {401: Unauthorized, 403: Forbidden, 404: NotFound}
    statuses = {401: 1.0, 403: 1.0, 404: 1.0}
    with ContractMock(seed=SEED, mode="odd", statuses=statuses, pool_size=10) as mock:
        bctrl, kernel = source("bctrl", mock), source("kernel", mock)
        assert isinstance(kernel, KernelSource)
        try:
            calls: list[Callable[[], Awaitable[Any]]] = [
                lambda: bctrl.pager(RUN_ID, Query()).poll()
            ] * 12 + [lambda: kernel.client.invocation("inv_1")] * 8
            for call in calls:
                with pytest.raises(ApiError) as caught:
                    await call()
                status = mock.served[-1].status
                assert type(caught.value) is expected[status], mock.served[-1].body
                assert caught.value.status == status
        finally:
            await bctrl.aclose()
            await kernel.aclose()


# -- the product: ``runwatch watch`` headless -----------------------------------------------------


def _watch(mock: ContractMock, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BCTRL_API_KEY": "x",
        "RUNWATCH_CONFIG_DIR": str(tmp_path),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.pop("BCTRL_BASE_URL", None)
    argv = [str(RUNWATCH), "watch", RUN_ID, *flags, "--base-url", mock.url, "--give-up", "1"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def odd_pages() -> list[Any]:
    """Three chained odd-but-valid list pages (fixed, so a retry sees the same pages)."""
    sampler = ContractMock(seed=SEED + 1, mode="odd", pool_size=20)
    try:
        pages = chain_pages(sampler.sample(LIST_PATH, 3))
    finally:
        sampler.stop()
    assert sum(len(p["data"]) for p in pages) >= 3
    return pages


def _sent_rows(pages: list[Any]) -> list[dict[str, Any]]:
    """The rows a view shows: the first with each id (rows without one cannot be shown)."""
    rows: dict[str, dict[str, Any]] = {}
    for page in pages:
        for row in page["data"]:
            if row["id"]:
                rows.setdefault(row["id"], row)
    return list(rows.values())


def test_watch_json_prints_every_row(odd_pages: list[Any], tmp_path: Path) -> None:
    with ContractMock(seed=SEED, examples={LIST_PATH: odd_pages}) as mock:
        result = _watch(mock, tmp_path, "--json")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-600:]}"
    document = json.loads(result.stdout)
    assert document["rows"] == _sent_rows(odd_pages), "the rows are the server's records"
    assert document["group"] is None  # the contract has no run endpoint


def test_watch_once_shows_every_row(odd_pages: list[Any], tmp_path: Path) -> None:
    with ContractMock(seed=SEED, examples={LIST_PATH: odd_pages}) as mock:
        result = _watch(mock, tmp_path, "--once")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-600:]}"
    total = len(_sent_rows(odd_pages))
    assert f"{total} invocations" in result.stdout
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout


def test_merged_spec_for_prism_keeps_every_path_and_ref(tmp_path: Path) -> None:
    from .merge_openapi import main as merge_main

    out = tmp_path / "openapi.yaml"
    assert merge_main(["--out", str(out)]) == 0
    document = yaml.safe_load(out.read_text())
    assert set(document["paths"]) == {e.path for e in load_endpoints()}
    refs = set(re.findall(r"\$ref: '?#/components/(\w+)/([^'\s]+)", out.read_text()))
    assert refs and all(name in document["components"][kind] for kind, name in refs)
    assert "security" not in document, "Kernel's global security must not reach bctrl's paths"
    assert "nullable" not in out.read_text()
    schema = schemathesis.openapi.from_path(out)
    assert len(list(schema.get_all_operations())) == len(SPEC_FILES)
