"""Every response the gateway sends validates against the OpenAPI contract (jsonschema)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tui.sim.server import GatewayServer
from tui.sim.world import World

from .conftest import SHARED_API

HEADERS = {"Authorization": "Bearer contract-test"}


@cache
def _spec(name: str) -> dict[str, Any]:
    data = yaml.safe_load((SHARED_API / "openapi" / f"{name}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _validator(name: str, path: str, method: str, status: str) -> jsonschema.Draft202012Validator:
    spec = _spec(name)
    responses = spec["paths"][path][method]["responses"]
    schema = responses[status]["content"]["application/json"]["schema"]
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
        **schema,
    }
    return jsonschema.Draft202012Validator(root)


def _error_validator() -> jsonschema.Draft202012Validator:
    spec = _spec("bctrl-v1-runs-invocations-list")
    root = {"components": spec["components"], "$ref": "#/components/schemas/ErrorResponse"}
    return jsonschema.Draft202012Validator(root)


def _check(validator: jsonschema.Draft202012Validator, body: Any) -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="module")
def http(gateway: GatewayServer) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers=HEADERS, timeout=30)


def _all_invocations(http: httpx.Client) -> list[dict[str, Any]]:
    out = []
    for run in http.get("/v1/runs").json()["data"]:
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = http.get(f"/v1/runs/{run['id']}/invocations", params=params).json()
            out += page["data"]
            cursor = page["nextCursor"]
            if not cursor:
                break
    return out


def test_list_pages_validate(http: httpx.Client) -> None:
    validator = _validator(
        "bctrl-v1-runs-invocations-list", "/v1/runs/{runId}/invocations", "get", "200"
    )
    statuses = set()
    for run in http.get("/v1/runs").json()["data"]:
        for params in ({}, {"status": ["failed", "running"]}, {"action": "act", "limit": 3}):
            response = http.get(f"/v1/runs/{run['id']}/invocations", params=params)
            assert response.status_code == 200
            _check(validator, response.json())
            statuses |= {i["status"] for i in response.json()["data"]}
    assert {"succeeded", "failed"} <= statuses


def test_every_invocation_in_every_shape_validates(http: httpx.Client) -> None:
    v2 = _validator("bctrl-v2-invocations-get", "/v2/invocations/{id}", "get", "200")
    wait = _validator("bctrl-v1-invocations-wait", "/v1/invocations/{id}/wait", "post", "200")
    operation = _validator("bctrl-v1-operations-get", "/v1/operations/{id}", "get", "200")
    seen: set[str] = set()
    invocations = _all_invocations(http)
    assert len(invocations) > 100
    for inv in invocations:
        _check(v2, http.get(f"/v2/invocations/{inv['id']}").json())
        waited = http.post(f"/v1/invocations/{inv['id']}/wait", json={"timeoutMs": 0}).json()
        _check(wait, waited)
        _check(operation, http.get(f"/v1/operations/{inv['id']}").json())
        seen.add(waited["invocation"]["status"])
    assert {"succeeded", "failed", "timed_out", "cancelled"} <= seen
    assert seen & {"queued", "dispatching", "running", "cancelling"}


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/runs/00000000-0000-4000-8000-000000000000", "GET"),
        ("/v1/runs/00000000-0000-4000-8000-000000000000/invocations", "GET"),
        ("/v2/invocations/nope", "GET"),
        ("/v1/invocations/nope/wait", "POST"),
        ("/v1/operations/nope", "GET"),
        ("/v1/nowhere", "GET"),
    ],
)
def test_not_found_is_an_error_response(http: httpx.Client, path: str, method: str) -> None:
    response = http.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 404
    _check(_error_validator(), response.json())
    assert response.json()["reasonClass"] == "not_found"
    assert response.headers["x-request-id"]


def test_specific_not_found_codes(http: httpx.Client) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert http.get(f"/v1/runs/{missing}/invocations").json()["code"] == "run.not_found"
    assert http.get(f"/v2/invocations/{missing}").json()["code"] == "invocation.not_found"
    assert http.get(f"/v1/operations/{missing}").json()["code"] == "operation.not_found"


def test_missing_auth_is_401(gateway: GatewayServer) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        response = httpx.get(gateway.url + "/v1/runs", headers=headers)
        assert response.status_code == 401
        _check(_error_validator(), response.json())
        assert response.json()["code"] == "auth.unauthorized"


def test_bad_filters_are_invalid_input(http: httpx.Client) -> None:
    run = http.get("/v1/runs").json()["data"][0]["id"]
    response = http.get(f"/v1/runs/{run}/invocations", params={"status": "bogus"})
    assert response.status_code == 400
    _check(_error_validator(), response.json())
    assert response.json()["reasonClass"] == "invalid_input"


_IMPORT_EVERY_SIM_MODULE = """
import importlib, json, pkgutil, sys
import tui.sim
names = sorted(m.name for m in pkgutil.iter_modules(tui.sim.__path__, "tui.sim."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_the_gateway_imports_nothing_from_the_product() -> None:
    """The gateway is the contract tests' second opinion: it must not share the viewer's
    models, enums or parsers, or a mistake in them would pass on both sides."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_SIM_MODULE],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    assert {"tui.sim.app", "tui.sim.server", "tui.sim.world", "tui.sim.vocab"} <= set(
        report["imported"]
    )
    product = [
        m
        for m in report["loaded"]
        if m.startswith("tui.") and not (m == "tui.sim" or m.startswith("tui.sim."))
    ]
    assert not product, f"tui.sim loaded product modules: {product}"


HUGE_START = 1_790_000_000.0


@pytest.fixture(scope="module")
def huge() -> Iterator[tuple[GatewayServer, list[float]]]:
    """The huge scenario on a clock the test moves (``clock[0]`` is world time)."""
    clock = [HUGE_START]
    world = World("huge", seed=7, clock=lambda: clock[0])
    with GatewayServer(world=world) as server:
        yield server, clock


def _huge_ids(server: GatewayServer) -> dict[str, str]:
    """The big invocations' ids by how they end."""
    plans = [p for p in server.world.runs[0].invocations if p.huge_seed is not None]
    return {"failed": plans[0].id, "succeeded": plans[1].id, "running": plans[2].id}


def test_huge_wait_body_validates(huge: tuple[GatewayServer, list[float]]) -> None:
    server, _ = huge
    ids = _huge_ids(server)
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        response = http.post(f"/v1/invocations/{ids['failed']}/wait", json={"timeoutMs": 0})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert 8_000_000 < len(response.content) < 10_500_000
    body = response.json()
    wait = _validator("bctrl-v1-invocations-wait", "/v1/invocations/{id}/wait", "post", "200")
    _check(wait, body)  # once: 9 MB take a couple of seconds to validate
    inv = body["invocation"]
    assert inv["status"] == "failed" and not body["timedOutWaiting"]
    assert inv["stepCount"] == len(inv["request"]["steps"]) == 5000
    steps = inv["result"]["steps"]
    assert [s["index"] for s in steps] == list(range(5000))
    failed = [s for s in steps if not s["ok"]]
    assert len(failed) == 6 and all(s["error"]["diagnostic"]["id"] for s in failed)
    assert failed[-1]["index"] - failed[0]["index"] > 3000  # spread through the crawl
    assert inv["error"]["details"]["failedSteps"] == [s["index"] for s in failed]


def test_huge_other_shapes_validate(huge: tuple[GatewayServer, list[float]]) -> None:
    server, _ = huge
    ids = _huge_ids(server)
    v2 = _validator("bctrl-v2-invocations-get", "/v2/invocations/{id}", "get", "200")
    page = _validator(
        "bctrl-v1-runs-invocations-list", "/v1/runs/{runId}/invocations", "get", "200"
    )
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        run = http.get("/v1/runs").json()["data"][0]
        assert run["status"] == "active"
        listed = http.get(f"/v1/runs/{run['id']}/invocations", params={"limit": 200}).json()
        _check(page, listed)
        assert 30 < len(listed["data"]) < 60 and set(ids.values()) <= {
            i["id"] for i in listed["data"]
        }
        for ident in ids.values():
            _check(v2, http.get(f"/v2/invocations/{ident}").json())
        ok = http.post(f"/v1/invocations/{ids['succeeded']}/wait", json={"timeoutMs": 0}).json()
        assert ok["invocation"]["status"] == "succeeded"
        assert all(s["ok"] for s in ok["invocation"]["result"]["steps"])
        assert len(ok["invocation"]["result"]["steps"]) == 5000
        operation = http.get(f"/v1/operations/{ids['failed']}")
        assert operation.status_code == 200 and len(operation.json()["result"]["steps"]) == 5000


def test_huge_running_invocation_finishes_after_30_s(
    huge: tuple[GatewayServer, list[float]],
) -> None:
    server, clock = huge
    running = _huge_ids(server)["running"]
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:
        live = http.post(f"/v1/invocations/{running}/wait", json={"timeoutMs": 0}).json()
        assert live["timedOutWaiting"] and live["invocation"]["status"] == "running"
        assert live["invocation"]["result"] is None
        assert len(live["invocation"]["request"]["steps"]) == 5000
        assert 0 < live["invocation"]["progress"]["step"] < 5000
        clock[0] = HUGE_START + 29.0
        assert http.get(f"/v2/invocations/{running}").json()["data"]["status"] == "running"
        clock[0] = HUGE_START + 30.5
        done = http.post(f"/v1/invocations/{running}/wait", json={"timeoutMs": 0}).json()
    assert not done["timedOutWaiting"] and done["invocation"]["status"] == "failed"
    assert len(done["invocation"]["result"]["steps"]) == 5000


def test_huge_is_deterministic_and_built_once() -> None:
    def bodies(seed: int) -> list[bytes]:
        world = World("huge", seed=seed, clock=lambda: HUGE_START)
        plans = [p for p in world.runs[0].invocations if p.huge_seed is not None]
        first = [world.wait_body(p, HUGE_START) for p in plans]
        # A terminal body is served from the cache: the very same bytes object.
        assert world.wait_body(plans[0], HUGE_START) is first[0]
        return first

    assert bodies(7) == bodies(7)
    assert bodies(7)[0] != bodies(8)[0]
