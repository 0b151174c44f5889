"""A contract mock: the five OpenAPI files served on loopback with generated bodies.

Every response body is drawn from the endpoint's response schema with hypothesis-jsonschema
(``$ref``s inlined, OpenAPI 3.1 ``type: [x, 'null']`` read as JSON Schema, ``format`` ignored
because the schema does not assert it), so each body is valid but otherwise arbitrary:
``"createdAt": "laborum in incididunt"`` is what the contract allows. Three modes:

``schema``  bodies exactly as generated.
``odd``     maximally odd but still valid: every free string is sometimes a non-date
            (``"laborum in incididunt"``, ``""``, control bytes) and sometimes a date in an
            unusual spelling (``+14:00``, nanoseconds, naive, date-only); integers are
            sometimes huge or negative, optional fields dropped, nullable ones null, unknown
            fields added. Every body is checked against the contract before it is sent.
``beyond``  beyond the contract: ``odd`` plus unknown values in enum-typed fields, wrong
            types in optional fields and nulls where none is allowed. Not contract-valid.

Deterministic by seed: the n-th request to an endpoint always gets the same reply. The list
endpoint's ``nextCursor`` chains ``max_pages`` pages, then is null. Fixed replies can be served
instead (:meth:`ContractMock.use_examples`), and error statuses the contract declares can be
mixed in (``statuses={200: 8, 404: 1}``).

    with ContractMock(seed=3, mode="odd") as mock:
        ...  # point a client at mock.url; mock.served lists what was sent

Run alone: ``python -m tests.contract_mock --port 8788 --mode odd``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import random
import re
import socket
import threading
import types
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import uvicorn
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

SPEC_DIR = Path(
    os.environ.get("RUNWATCH_CONTRACT_DIR")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "api" / "openapi"
)
SPEC_FILES = (
    "bctrl-v1-runs-invocations-list",
    "bctrl-v2-invocations-get",
    "bctrl-v1-invocations-wait",
    "bctrl-v1-operations-get",
    "kernel-invocations-get",
)
LIST_PATH = "/v1/runs/{runId}/invocations"
Mode = Literal["schema", "odd", "beyond"]
MODES: tuple[Mode, ...] = ("schema", "odd", "beyond")
Json = Any

# Keywords that are OpenAPI annotations, not JSON Schema; ``format`` is an annotation in
# JSON Schema 2020-12 (not asserted), so any string is valid where it appears.
_DROPPED_KEYWORDS = frozenset({"format", "example", "examples", "nullable", "discriminator"})
_CUT = {"not": {}}  # a recursive ref past the depth limit: a branch no value can take


# -- hypothesis-jsonschema on current hypothesis ------------------------------------------------


class _LegacyMany:
    """hypothesis-jsonschema 0.23 drives ``cu.many`` with ``more()``/``reject()``; hypothesis
    6.170 replaced that with an iterator. This adapter gives the old interface over the new."""

    def __init__(self, data: Any, **sizes: Any) -> None:
        from hypothesis.internal.conjecture import utils as cu

        self._many = cu.many(data, **sizes)
        self._elements: Any = None

    def more(self) -> bool:
        if self._elements is None:
            self._many.__enter__()
            self._elements = iter(self._many)
        try:
            next(self._elements)
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


def _patch_hypothesis_jsonschema() -> None:
    """Make ``from_schema`` work for object schemas (it raises AttributeError otherwise)."""
    from hypothesis.internal.conjecture import utils as cu
    from hypothesis_jsonschema import _from_schema

    if hasattr(cu.many, "more") or isinstance(_from_schema.cu, types.SimpleNamespace):
        return
    shim = types.SimpleNamespace(**{k: getattr(cu, k) for k in dir(cu) if not k.startswith("__")})
    shim.many = _LegacyMany
    _from_schema.cu = shim  # type: ignore[attr-defined]


_patch_hypothesis_jsonschema()


# -- the contract, as JSON Schema ---------------------------------------------------------------


def normalize(schema: Json) -> Json:
    """An OpenAPI schema as plain JSON Schema 2020-12 (``$ref``s kept).

    ``nullable: true`` (an OpenAPI 3.0 keyword the Kernel file still uses) becomes a ``null``
    type, which is what the file means; ``format`` and examples are dropped."""
    if isinstance(schema, list):
        return [normalize(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Json] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: normalize(sub) for name, sub in value.items()}
        else:
            out[key] = normalize(value)
    if schema.get("nullable") is True and "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
    return out


def inline(schema: Json, components: Mapping[str, Json], *, depth: int = 2) -> Json:
    """``schema`` with every ``#/components/schemas/...`` ref replaced by its target.

    A recursive schema is unrolled ``depth`` times, then cut (``{"not": {}}``): bodies drawn
    from the result are a subset of the valid ones."""

    def walk(node: Json, stack: tuple[str, ...]) -> Json:
        if isinstance(node, list):
            return [walk(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = str(node["$ref"]).rsplit("/", 1)[-1]
            if stack.count(name) >= depth:
                return dict(_CUT)
            target = walk(components[name], (*stack, name))
            siblings = {k: v for k, v in node.items() if k not in ("$ref", "description")}
            return {**target, **walk(siblings, stack)} if siblings else target
        out: dict[str, Json] = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: walk(sub, stack) for name, sub in value.items()}
            else:
                out[key] = walk(value, stack)
        return out

    return walk(schema, ())


@dataclass(frozen=True)
class Endpoint:
    """One operation of one contract file, with its response schemas by status."""

    spec: str
    method: str
    path: str
    responses: Mapping[int, Json]  # status -> normalized schema (refs into ``components``)
    components: Mapping[str, Json] = field(repr=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path template as a regex (``{id}`` matches one segment)."""
        return _path_pattern(self.path)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def schema(self, status: int) -> Json:
        """The response schema for ``status`` with refs inlined (for generation and walking)."""
        return _inlined(self.spec, self.path, self.method, status)

    def validator(self, status: int) -> jsonschema.Draft202012Validator:
        """A validator of the contract's response for ``status`` (formats not asserted)."""
        return _validator(self.spec, self.path, self.method, status)


@cache
def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


@cache
def _load_spec(spec: str) -> dict[str, Json]:
    data = yaml.safe_load((SPEC_DIR / f"{spec}.yaml").read_text())
    assert isinstance(data, dict)
    return data


@cache
def load_endpoints(specs: tuple[str, ...] = SPEC_FILES) -> tuple[Endpoint, ...]:
    """Every operation of the contract files ``specs``."""
    out: list[Endpoint] = []
    for spec in specs:
        data = _load_spec(spec)
        components = data.get("components", {})
        schemas = {name: normalize(s) for name, s in components.get("schemas", {}).items()}
        shared = components.get("responses", {})
        for path, item in data["paths"].items():
            for method, operation in item.items():
                if method.startswith("x-") or method == "parameters":
                    continue
                responses: dict[int, Json] = {}
                for status, response in operation.get("responses", {}).items():
                    if "$ref" in response:
                        response = shared[str(response["$ref"]).rsplit("/", 1)[-1]]
                    content = response.get("content", {}).get("application/json")
                    if content and status.isdigit():
                        responses[int(status)] = normalize(content["schema"])
                out.append(Endpoint(spec, method.upper(), path, responses, schemas))
    return tuple(out)


def find_endpoint(name: str, endpoints: Iterable[Endpoint] | None = None) -> Endpoint:
    """The endpoint a path template, ``"METHOD path"`` or contract file name names."""
    for endpoint in endpoints if endpoints is not None else load_endpoints():
        if name in (endpoint.path, endpoint.key, endpoint.spec):
            return endpoint
    raise KeyError(name)


def _endpoint(spec: str, path: str, method: str) -> Endpoint:
    return next(
        e for e in load_endpoints((spec,)) if (e.spec, e.path, e.method) == (spec, path, method)
    )


@cache
def _inlined(spec: str, path: str, method: str, status: int) -> Json:
    endpoint = _endpoint(spec, path, method)
    return inline(endpoint.responses[status], endpoint.components)


@cache
def _validator(spec: str, path: str, method: str, status: int) -> jsonschema.Draft202012Validator:
    endpoint = _endpoint(spec, path, method)
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": {"schemas": dict(endpoint.components)},
        **endpoint.responses[status],
    }
    return jsonschema.Draft202012Validator(root)


def contract_errors(endpoint: Endpoint, status: int, body: Json) -> list[str]:
    """Why ``body`` is not a valid ``status`` response of ``endpoint`` (empty when it is)."""
    errors = sorted(endpoint.validator(status).iter_errors(body), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message[:200]}" for e in errors]


# -- generation -----------------------------------------------------------------------------------


def _stable_seed(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


@cache
def _pool(spec: str, path: str, method: str, status: int, seed: int, size: int) -> tuple[Json, ...]:
    """``size`` bodies drawn by hypothesis-jsonschema, the same for the same arguments."""
    from hypothesis_jsonschema import from_schema

    out: list[Json] = []
    strategy = from_schema(_inlined(spec, path, method, status))

    # The file's name, not its path: the same bodies wherever the repository is cloned.
    @hypothesis_seed(_stable_seed(seed, Path(spec).name, path, method, status))
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(body: Json) -> None:
        out.append(body)

    with _no_local_constants():
        draw()
    return tuple(out)


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Draw without the constants hypothesis finds in the modules loaded so far.

    Hypothesis (6.131+) mixes literals from every local module already imported into what it
    draws, so the same seed gave other bodies depending on which tests had run first in the
    process (under xdist, on which files a worker was given): a test could pass or fail by
    the order. This uses hypothesis internals; if they move, the pools are only less stable.
    """
    from hypothesis.internal.conjecture import providers

    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:
        yield
        return
    providers._get_local_constants = lambda: providers.Constants()
    cache.cache.clear()  # values cached with other modules' constants in them
    try:
        yield
    finally:
        cache.cache.clear()
        providers._get_local_constants = original


def generate(endpoint: Endpoint, status: int = 200, *, seed: int = 0, size: int = 24) -> list[Json]:
    """Bodies drawn from ``endpoint``'s ``status`` schema (copies: mutate freely)."""
    pool = _pool(endpoint.spec, endpoint.path, endpoint.method, status, seed, size)
    return copy.deepcopy(list(pool))


# -- odd but valid, and beyond the contract -------------------------------------------------------

NOT_DATES = (
    "laborum in incididunt",
    "",
    " ",
    "null",
    "0",
    "-1",
    "NaN",
    "yesterday",
    "2026-13-45T25:61:61Z",
    "2026-02-30T10:00:00Z",
    "not-a-uuid",
    "\u202egnp.exe",
    "日本語テキスト",
    "\x1b[31mred\x1b[0m",
    "\x1b]52;c;cHduZWQ=\x07",
    "line\nbreak\ttab",
    "[bold]markup[/bold]",
    "x" * 1000,
)
ODD_DATES = (
    "2026-11-22T10:15:02+14:00",
    "2026-11-22T10:15:02-12:00",
    "2026-11-22T10:15:02.123456789Z",
    "2026-11-22T10:15:02.5+05:45",
    "2026-11-22T10:15:02",
    "2026-11-22",
    "2026-11-22 10:15:02Z",
    "2026-11-22t10:15:02z",
    "2026-11-22T10:15:02+0000",
    "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999999-12:00",
    "2024-05-19T15:30:00.000000000Z07:00",
    "1790000000",
    "20261122T101502Z",
)
ODD_INTEGERS = (0, -1, -(2**31), 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30)
UNKNOWN_ENUM = ("paused", "SOMETHING_NEW", "", "Succeeded", "unknown_value_from_the_future")
ODD_EXTRA = "zzRunwatchUnknownField"


def _kinds(schema: Json) -> set[str]:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind is None:
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def _is_free(schema: Json, kind: str) -> bool:
    """Whether any value of JSON type ``kind`` is valid here (no enum, bounds or pattern)."""
    if not isinstance(schema, dict) or schema.get("not") == {}:
        return False
    constrained = {"enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum"}
    if constrained & schema.keys() or any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        return False
    kinds = _kinds(schema)
    return not kinds or kind in kinds or (kind == "integer" and "number" in kinds)


_VALIDATORS: dict[int, tuple[Json, jsonschema.Draft202012Validator]] = {}


def _is_valid(schema: Json, value: Json) -> bool:
    """``value`` against an inlined sub-schema (validators cached by the schema's identity)."""
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, jsonschema.Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = entry
    return entry[1].is_valid(value)


def _branch(schema: Json, value: Json) -> Json:
    """The ``oneOf``/``anyOf`` branch ``value`` satisfies (``schema`` when there is none)."""
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, ()) if isinstance(schema, dict) else ():
            if _is_valid(option, value):
                return _branch(option, value)
    return schema


Visit = Callable[[Json, Json, bool], Json]
_ANY: dict[str, Json] = {}  # the schema of a value the contract says nothing about


def _walk(value: Json, schema: Json, visit: Visit, *, required: bool = True) -> Json:
    """Rebuild ``value`` bottom-up, letting ``visit(value, schema, required)`` replace each."""
    schema = _branch(schema, value)
    if isinstance(value, dict) and isinstance(schema, dict):
        props = schema.get("properties", _ANY)
        extra = schema.get("additionalProperties", _ANY)
        must = set(schema.get("required", ()))
        out: dict[str, Json] = {}
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else _ANY)
            out[key] = _walk(item, sub, visit, required=key in must)
        value = out
    elif isinstance(value, list) and isinstance(schema, dict):
        items = schema.get("items", _ANY)
        value = [_walk(item, items if isinstance(items, dict) else _ANY, visit) for item in value]
    return visit(value, schema, required)


def _allows(schema: Json, value: Json) -> bool:
    return isinstance(schema, dict) and _is_valid(schema, value)


def oddify(body: Json, schema: Json, rng: random.Random) -> Json:
    """``body`` made as odd as ``schema`` (inlined) allows; the result may need validating."""

    def visit(value: Json, sub: Json, required: bool) -> Json:
        if isinstance(value, str) and _is_free(sub, "string"):
            roll = rng.random()
            if roll < 0.35:
                return rng.choice(NOT_DATES)
            if roll < 0.75:
                return rng.choice(ODD_DATES)
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int) and _is_free(sub, "integer") and rng.random() < 0.3:
            return rng.choice(ODD_INTEGERS)
        elif isinstance(value, dict) and isinstance(sub, dict):
            value = _odd_object(value, sub, rng)
        if value is not None and rng.random() < 0.1 and _allows(sub, None):
            return None
        return value

    return _walk(body, schema, visit)


def _odd_object(value: dict[str, Json], schema: Json, rng: random.Random) -> dict[str, Json]:
    must = set(schema.get("required", ()))
    out = {k: v for k, v in value.items() if k in must or rng.random() >= 0.15}
    if schema.get("additionalProperties", True) is not False and rng.random() < 0.3:
        out[ODD_EXTRA] = rng.choice([{"nested": [1, "two", None]}, "extra", 3, None, []])
    return out


def go_beyond(body: Json, schema: Json, rng: random.Random) -> Json:
    """``body`` taken beyond the contract: unknown enum values, wrong-typed optional fields,
    nulls where none is allowed. The result is *not* contract-valid."""

    def visit(value: Json, sub: Json, required: bool) -> Json:
        if isinstance(sub, dict) and isinstance(value, str) and "enum" in sub:
            return rng.choice(UNKNOWN_ENUM) if rng.random() < 0.6 else value
        if required or rng.random() >= 0.25:
            return value
        if isinstance(value, str):
            return rng.choice([12345, True, ["a"], {"s": value}, None])
        if isinstance(value, bool):
            return rng.choice(["true", 1, None])
        if isinstance(value, int | float):
            return rng.choice([str(value), "12.5", None, {"n": value}])
        if isinstance(value, dict):
            return rng.choice(["[object Object]", [value], 0, None])
        if isinstance(value, list):
            return rng.choice([{"0": value}, "a,b", None])
        return value

    return _walk(oddify(body, schema, rng), schema, visit)


# -- the server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One canned answer: a status and a JSON body."""

    status: int
    body: Json
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Served:
    """One request the mock answered, and what it sent."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    endpoint: str | None  # ``"METHOD /template"``; None for a path outside the contract
    status: int
    body: Json


def chain_pages(pages: Sequence[Json], prefix: str = "page") -> list[Json]:
    """List pages whose ``nextCursor`` links each to the next (the last one null)."""
    out = [copy.deepcopy(page) for page in pages]
    for index, page in enumerate(out):
        page["nextCursor"] = f"{prefix}-{index + 1}" if index + 1 < len(out) else None
    return out


class ContractMock:
    """The contract on a loopback socket, served by uvicorn in its own thread."""

    def __init__(
        self,
        *,
        seed: int = 0,
        mode: Mode = "odd",
        statuses: Mapping[int, float] | None = None,
        pool_size: int = 24,
        max_pages: int = 3,
        specs: Sequence[str] = SPEC_FILES,
        examples: Mapping[str, Sequence[Reply | Json]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """``statuses`` weighs the status codes to answer with (only those an endpoint
        declares are used; default all 200); ``examples`` maps an endpoint (path template,
        ``"METHOD path"`` or file name) to fixed replies served instead of generated ones."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.seed = seed
        self.mode: Mode = mode
        self.statuses = dict(statuses or {200: 1.0})
        self.pool_size = pool_size
        self.max_pages = max(1, max_pages)
        self.endpoints = load_endpoints(tuple(specs))
        self.served: list[Served] = []
        self.odd_fallbacks = 0  # odd bodies that broke the contract and were sent plain
        self._examples: dict[str, list[Reply]] = {}
        self._counters: dict[str, int] = {}
        self._cursors: dict[str, int] = {}
        self._lock = threading.Lock()
        for name, replies in (examples or {}).items():
            self.use_examples(name, replies)
        self._host = host
        self._sock = listening_socket(host, port)
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(self, log_level="critical", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The origin to point a client (or ``runwatch --base-url``) at."""
        return f"http://{self._host}:{self.port}"

    def use_examples(self, name: str, replies: Sequence[Reply | Json]) -> None:
        """Serve ``replies`` (bodies are 200s) for an endpoint, in order and cycling; the list
        endpoint serves the page after the one whose ``nextCursor`` the request carries."""
        endpoint = find_endpoint(name, self.endpoints)
        self._examples[endpoint.key] = [
            r if isinstance(r, Reply) else Reply(200, copy.deepcopy(r)) for r in replies
        ]

    def warm(self) -> ContractMock:
        """Draw every pool now (they are otherwise drawn on first use)."""
        for endpoint in self.endpoints:
            for status in self._choices(endpoint):
                _pool(
                    endpoint.spec, endpoint.path, endpoint.method, status, self.seed, self.pool_size
                )
        return self

    def sample(self, name: str, n: int, status: int = 200) -> list[Json]:
        """``n`` bodies for an endpoint in this mock's mode, without serving them (a fixed
        sequence for the seed, apart from what requests draw)."""
        endpoint = find_endpoint(name, self.endpoints)
        rng = random.Random(f"sample/{self.seed}/{endpoint.key}/{status}")
        return [self._body(endpoint, status, rng) for _ in range(n)]

    # -- answering ------------------------------------------------------------------------

    def _choices(self, endpoint: Endpoint) -> list[int]:
        chosen = [s for s in self.statuses if s in endpoint.responses and self.statuses[s] > 0]
        return chosen or [200]

    def _body(self, endpoint: Endpoint, status: int, rng: random.Random) -> Json:
        pool = _pool(
            endpoint.spec, endpoint.path, endpoint.method, status, self.seed, self.pool_size
        )
        body = copy.deepcopy(rng.choice(pool))
        if endpoint.path == LIST_PATH and status == 200:
            # Generated pages are short (0-2 rows); a page of several drawn pages' rows is
            # still valid and exercises more rows per request.
            body["data"] = [row for page in rng.choices(pool, k=3) for row in page["data"]]
            body["data"] = copy.deepcopy(body["data"])
        if self.mode == "schema":
            return body
        schema = endpoint.schema(status)
        if self.mode == "beyond":
            return go_beyond(body, schema, rng)
        for _ in range(3):
            odd = oddify(copy.deepcopy(body), schema, rng)
            if not contract_errors(endpoint, status, odd):
                return odd
        self.odd_fallbacks += 1
        return body

    def reply(self, method: str, path: str, query: Sequence[tuple[str, str]] = ()) -> Reply:
        """The answer to one request (what the server sends); recorded in :attr:`served`."""
        with self._lock:
            endpoint = next(
                (e for e in self.endpoints if e.method == method and e.pattern.match(path)), None
            )
            if endpoint is None:
                reply = self._outside(method, path)
            elif endpoint.key in self._examples:
                reply = self._example(endpoint, dict(query).get("cursor"))
            else:
                reply = self._generated(endpoint, dict(query).get("cursor"))
            self.served.append(
                Served(
                    method,
                    path,
                    tuple(query),
                    endpoint.key if endpoint else None,
                    reply.status,
                    copy.deepcopy(reply.body),
                )
            )
            return reply

    def _outside(self, method: str, path: str) -> Reply:
        known = any(e.pattern.match(path) for e in self.endpoints)
        status, code = (405, "request.method_not_allowed") if known else (404, "route.not_found")
        body = {"code": code, "error": f"not in the contract: {method} {path}"}
        return Reply(
            status, {**body, "reasonClass": "not_found" if status == 404 else "invalid_input"}
        )

    def _example(self, endpoint: Endpoint, cursor: str | None) -> Reply:
        replies = self._examples[endpoint.key]
        if endpoint.path == LIST_PATH:
            index = 0
            if cursor:
                after = [i for i, r in enumerate(replies) if _next_cursor(r.body) == cursor]
                index = after[0] + 1 if after and after[0] + 1 < len(replies) else len(replies) - 1
            return replies[index]
        count = self._counters.get(endpoint.key, 0)
        self._counters[endpoint.key] = count + 1
        return replies[count % len(replies)]

    def _generated(self, endpoint: Endpoint, cursor: str | None) -> Reply:
        count = self._counters.get(endpoint.key, 0)
        self._counters[endpoint.key] = count + 1
        rng = random.Random(f"{self.seed}/{endpoint.key}/{count}")
        choices = self._choices(endpoint)
        status = rng.choices(choices, weights=[self.statuses.get(s, 1.0) for s in choices])[0]
        body = self._body(endpoint, status, rng)
        if endpoint.path == LIST_PATH and status == 200 and isinstance(body, dict):
            page = 1 if not cursor else self._cursors.get(cursor, self.max_pages)
            body["nextCursor"] = self._cursor(page + 1, rng) if page < self.max_pages else None
        return Reply(status, body)

    def _cursor(self, page: int, rng: random.Random) -> str:
        """A fresh cursor naming ``page``: in odd modes, one that needs URL-encoding."""
        stem = "cursor" if self.mode == "schema" else rng.choice(["c/ /?&=+#%", "é≠☃", "a" * 300])
        token = f"{stem}-{len(self._cursors)}"
        self._cursors[token] = page
        return token

    # -- ASGI and the thread --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        await request.body()
        reply = self.reply(request.method, request.url.path, request.query_params.multi_items())
        content = json.dumps(reply.body, ensure_ascii=False, allow_nan=False)
        headers = {"x-request-id": f"mock_{len(self.served):06d}", **reply.headers}
        response = Response(content, reply.status, headers, media_type="application/json")
        await response(scope, receive, send)

    def start(self) -> ContractMock:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        started = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def serve() -> None:
                task = asyncio.ensure_future(self._server.serve(sockets=[self._sock]))
                while not self._server.started and not task.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                started.set()
                await task

            try:
                loop.run_until_complete(serve())
            finally:
                started.set()
                loop.close()

        self._thread = threading.Thread(target=run, name="contract-mock", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> ContractMock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sent(self, name: str, status: int | None = 200) -> list[Json]:
        """The bodies sent so far for an endpoint (with ``status``; None: any)."""
        key = find_endpoint(name, self.endpoints).key
        return [s.body for s in self.served if s.endpoint == key and status in (None, s.status)]


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening loopback socket (port 0: a free one)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
    sock.bind((host, port))
    sock.listen(128)
    return sock


def _next_cursor(body: Json) -> Json:
    return body.get("nextCursor") if isinstance(body, dict) else None


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the contract mock in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.contract_mock", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="odd")
    parser.add_argument("--pages", type=int, default=3, help="list pages before nextCursor null")
    parser.add_argument(
        "--status", action="append", default=[], metavar="CODE[:WEIGHT]", help="e.g. 200:9 404:1"
    )
    args = parser.parse_args(argv)
    statuses = {
        int(s.split(":")[0]): float(s.split(":")[1]) if ":" in s else 1.0 for s in args.status
    }
    mock = ContractMock(
        seed=args.seed,
        mode=args.mode,
        statuses=statuses or None,
        max_pages=args.pages,
        host=args.host,
        port=args.port,
    )
    print("drawing bodies from the contract...", flush=True)
    mock.warm()
    print(
        f"contract mock ({args.mode}, seed {args.seed}): runwatch --base-url {mock.url}", flush=True
    )
    mock.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        mock.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
