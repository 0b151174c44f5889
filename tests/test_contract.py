"""Every response the gateway sends validates against the OpenAPI contract (jsonschema)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tui.sim.server import GatewayServer

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
