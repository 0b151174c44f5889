"""The embedded gateway's current bctrl API (``--scenario current``) against its contract.

Every response validates against ``tests/contract/bctrl-current/*.yaml``; filters and cursors
page exactly; the result long-poll answers when the call ends; both SSE streams carry ids,
resume after ``Last-Event-ID`` with nothing lost or repeated (also after a ``cut`` fault),
send ``run.ended`` and stay open. Worlds run on clocks the tests hold still or move by hand.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tui.sim.current_world import CurrentWorld, RunPlan
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayServer
from tui.sim.world import World

CONTRACT = Path(__file__).resolve().parent / "contract" / "bctrl-current"
HEADERS = {"Authorization": "Bearer current-test"}
T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z
OCTOBER = {"queued", "running", "awaiting_input", "succeeded", "failed", "canceled", "unknown"}
AUGUST = {"queued", "running", "requires_input", "succeeded", "failed", "cancelled", "timed_out"}
RUN_ACTIVE, RUN_API, RUN_ENDED, RUN_FAILED, RUN_SHORT = range(5)  # current_world.RUN_SPECS


# -- contract --------------------------------------------------------------------------------


@cache
def _spec(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CONTRACT / f"bctrl-current-{name}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _validator(schema: dict[str, Any], spec: str) -> jsonschema.Draft202012Validator:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": _spec(spec)["components"],
        **schema,
    }
    return jsonschema.Draft202012Validator(root)


def _response(spec: str, status: str, media: str = "application/json") -> Any:
    doc = _spec(spec)
    (operations,) = doc["paths"].values()
    return operations["get"]["responses"][status]["content"][media]


def response_validator(spec: str, status: str = "200") -> jsonschema.Draft202012Validator:
    return _validator(_response(spec, status)["schema"], spec)


def frame_validator(spec: str) -> jsonschema.Draft202012Validator:
    """The schema of one SSE frame's ``data:`` JSON."""
    return _validator(_response(spec, "200", "text/event-stream")["x-sse-frame"], spec)


def error_validator() -> jsonschema.Draft202012Validator:
    return _validator({"$ref": "#/components/schemas/ErrorResponse"}, "runs-list")


def check(validator: jsonschema.Draft202012Validator, body: Any) -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_contract_files_are_openapi_31_one_endpoint_each() -> None:
    files = sorted(CONTRACT.glob("*.yaml"))
    assert len(files) == 9
    for path in files:
        doc = yaml.safe_load(path.read_text())
        assert doc["openapi"] == "3.1.0" and len(doc["paths"]) == 1
        jsonschema.Draft202012Validator.check_schema({"components": doc["components"]})
    assert (CONTRACT / "SOURCES.md").is_file()


# -- gateways and SSE ------------------------------------------------------------------------


@dataclass
class Gateway:
    """A gateway on a clock the test moves (``clock[0]`` is world time)."""

    server: GatewayServer
    clock: list[float]
    http: httpx.Client

    @property
    def current(self) -> CurrentWorld:
        assert self.server.current is not None
        return self.server.current

    def run(self, index: int) -> RunPlan:
        return self.current.runs[index]


def _gateway(scenario: str, faults: FaultConfig | None = None) -> Iterator[Gateway]:
    clock = [T0]
    world = World(scenario, seed=7, clock=lambda: clock[0])
    with GatewayServer(world=world, faults=faults) as server:
        assert server.current is not None
        server.current.heartbeat_seconds = 0.1
        server.current.poll_seconds = 0.05
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=10) as http:
            yield Gateway(server, clock, http)


@pytest.fixture(scope="module")
def still() -> Iterator[Gateway]:
    """October words; the clock stays at T0 (faults only when a test forces one)."""
    yield from _gateway("current", FaultConfig(rate=0.0))


@pytest.fixture(scope="module")
def august() -> Iterator[Gateway]:
    yield from _gateway("current-august")


@pytest.fixture
def live() -> Iterator[Gateway]:
    """A gateway of its own, whose clock the test moves."""
    yield from _gateway("current")


@dataclass
class Item:
    """One SSE frame, or a comment (``comment`` set, the rest None)."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    comment: str | None = None

    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


def read_sse(response: httpx.Response, until: Callable[[list[Item]], bool]) -> list[Item]:
    """Frames and comments in order, until ``until`` holds (or the stream ends)."""
    items: list[Item] = []
    block: dict[str, str] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            items.append(Item(comment=line[1:].strip()))
        elif line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            block[name] = block[name] + "\n" + value if name in block else value
            continue
        elif block:
            items.append(Item(block.get("id"), block.get("event"), block.get("data")))
            block = {}
        else:
            continue
        if until(items):
            return items
    return items


def frames(items: list[Item]) -> list[Item]:
    return [i for i in items if i.comment is None]


def ended(items: list[Item]) -> bool:
    return bool(items) and items[-1].event == "run.ended"


def comments(count: int) -> Callable[[list[Item]], bool]:
    return lambda items: sum(i.comment is not None for i in items) >= count


def comments_after_end(count: int) -> Callable[[list[Item]], bool]:
    def done(items: list[Item]) -> bool:
        types = [i.event for i in items]
        if "run.ended" not in types:
            return False
        tail = items[types.index("run.ended") :]
        return sum(i.comment is not None for i in tail) >= count

    return done


def stream(
    gw: Gateway,
    path: str,
    until: Callable[[list[Item]], bool],
    *,
    params: dict[str, Any] | None = None,
    last_event_id: str | None = None,
) -> list[Item]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    with gw.http.stream("GET", path, params=params, headers=headers, timeout=5) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return read_sse(response, until)


def pages(gw: Gateway, path: str, params: dict[str, Any], limit: int = 200) -> list[Any]:
    """Every row of a list endpoint, following nextCursor."""
    rows: list[Any] = []
    cursor = None
    for _ in range(1000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = gw.http.get(path, params=query).json()
        rows += body["data"]
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            return rows
        cursor = body["nextCursor"]
    raise AssertionError("paging never ended")


# -- every endpoint against its contract ------------------------------------------------------


def test_every_endpoint_validates(still: Gateway) -> None:
    gw = still
    runs = gw.http.get("/v1/runs").json()
    check(response_validator("runs-list"), runs)
    assert [r["status"] for r in runs["data"]] == ["active", "active", "active", "ended", "failed"]
    get_run = response_validator("runs-get")
    calls_page = response_validator("tool-calls-list")
    get_call = response_validator("tool-calls-get")
    result_pending = response_validator("tool-calls-result", "202")
    trace = response_validator("runs-trace")
    events = response_validator("runs-events-list")
    seen: set[str] = set()
    for run in runs["data"]:
        check(get_run, gw.http.get(f"/v1/runs/{run['id']}").json())
        page = gw.http.get("/v1/tool-calls", params={"runId": run["id"], "limit": 200}).json()
        check(calls_page, page)
        for call in page["data"]:
            check(get_call, gw.http.get(f"/v1/tool-calls/{call['id']}").json())
            result = gw.http.get(f"/v1/tool-calls/{call['id']}/result")
            if call["status"] == "succeeded":
                assert result.status_code == 200 and result.json() is not None
            else:
                assert result.status_code == 202
                check(result_pending, result.json())
                assert result.json()["status"] == call["status"]
            seen.add(call["status"])
        check(trace, gw.http.get(f"/v1/runs/{run['id']}/trace", params={"limit": 200}).json())
        check(events, gw.http.get(f"/v1/runs/{run['id']}/events", params={"limit": 200}).json())
    assert {"running", "awaiting_input", "succeeded", "failed", "canceled", "unknown"} <= seen
    assert seen <= OCTOBER


def test_ids_are_prefixed(still: Gateway) -> None:
    run = still.run(RUN_ACTIVE)
    call = still.http.get("/v1/tool-calls", params={"runId": run.id, "limit": 1}).json()["data"]
    event = still.http.get(f"/v1/runs/{run.id}/events", params={"limit": 1}).json()["data"]
    assert run.id.startswith("run_u") and len(run.id) == 27
    assert call[0]["id"].startswith("tc_u") and call[0]["spanId"].startswith("span_u")
    assert call[0]["runtimeId"].startswith("br_u") and event[0]["id"].startswith("evt_u")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/runs/run_uAAAAAAAAAAAAAAAAAAAAAA",
        "/v1/runs/run_uAAAAAAAAAAAAAAAAAAAAAA/trace",
        "/v1/runs/run_uAAAAAAAAAAAAAAAAAAAAAA/events",
        "/v1/runs/run_uAAAAAAAAAAAAAAAAAAAAAA/stream",
        "/v1/runs/run_uAAAAAAAAAAAAAAAAAAAAAA/events/stream",
        "/v1/tool-calls/tc_uAAAAAAAAAAAAAAAAAAAAAA",
        "/v1/tool-calls/tc_uAAAAAAAAAAAAAAAAAAAAAA/result",
        "/v1/nowhere",
    ],
)
def test_not_found_is_an_error_response(still: Gateway, path: str) -> None:
    response = still.http.get(path)
    assert response.status_code == 404
    check(error_validator(), response.json())
    code = response.json()["code"]
    expected = "tool_call" if "tool-calls" in path else "route" if "nowhere" in path else "run"
    assert code == f"{expected}.not_found" and response.json()["requestId"]


def test_invocation_api_is_absent_and_elsewhere_unchanged(
    still: Gateway, gateway: GatewayServer
) -> None:
    """How a client tells the two APIs apart: 404 on invocations, 200 on tool calls."""
    run = still.run(RUN_ACTIVE).id
    absent = still.http.get(f"/v1/runs/{run}/invocations")
    assert absent.status_code == 404 and absent.json()["code"] == "route.not_found"
    for path in ("/v2/invocations/x", "/v1/operations/x"):
        assert still.http.get(path).status_code == 404
    assert still.http.post("/v1/invocations/x/wait", json={}).status_code == 404
    assert still.http.get("/v1/tool-calls").status_code == 200
    # The demo scenario still speaks invocations only.
    with httpx.Client(base_url=gateway.url, headers=HEADERS, timeout=10) as demo:
        demo_run = demo.get("/v1/runs").json()["data"][0]["id"]
        assert demo.get(f"/v1/runs/{demo_run}/invocations").status_code == 200
        assert demo.get("/v1/tool-calls").json()["code"] == "route.not_found"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/runs", {"status": "stopped"}),
        ("/v1/runs", {"limit": 0}),
        ("/v1/runs", {"limit": 201}),
        ("/v1/runs", {"order": "newest"}),
        ("/v1/runs", {"cursor": "not-a-cursor"}),
        ("/v1/runs", {"from": "yesterday"}),
        ("/v1/tool-calls", {"status": "cancelled"}),  # an August word on an October server
        ("/v1/tool-calls", {"limit": "ten"}),
        ("/v1/tool-calls/{call}", {"wait": 61}),
        ("/v1/tool-calls/{call}/result", {"wait": -1}),
        ("/v1/runs/{run}", {"wait": "x"}),
        ("/v1/runs/{run}/trace", {"kind": "dom"}),
        ("/v1/runs/{run}/events", {"category": "noise"}),
        ("/v1/runs/{run}/stream", {"include": "logs"}),
        ("/v1/runs/{run}/stream", {"after": "evt_1"}),
        ("/v1/runs/{run}/events/stream", {"after": "frm_00000001"}),
    ],
)
def test_bad_input_is_400(still: Gateway, path: str, params: dict[str, Any]) -> None:
    run = still.run(RUN_ENDED)
    path = path.format(run=run.id, call=run.calls[0].id)
    response = still.http.get(path, params=params)
    assert response.status_code == 400
    check(error_validator(), response.json())
    assert response.json()["reasonClass"] == "invalid_input"


# -- filters and paging -----------------------------------------------------------------------


def test_tool_call_paging_is_exact_and_filters_apply(still: Gateway) -> None:
    gw = still
    run = gw.run(RUN_ACTIVE).id
    everything = pages(gw, "/v1/tool-calls", {"runId": run})
    assert len(everything) == len(gw.current.calls(T0, gw.run(RUN_ACTIVE))) > 50
    small = pages(gw, "/v1/tool-calls", {"runId": run}, limit=7)
    assert [c["id"] for c in small] == [c["id"] for c in everything]
    keys = [(c["createdAt"], c["id"]) for c in everything]
    assert keys == sorted(keys, reverse=True)  # newest first by default
    oldest = pages(gw, "/v1/tool-calls", {"runId": run, "order": "asc"}, limit=9)
    assert [c["id"] for c in oldest] == [c["id"] for c in reversed(everything)]
    failed = pages(gw, "/v1/tool-calls", {"runId": run, "status": "failed"})
    assert failed and all(c["status"] == "failed" for c in failed)
    assert {c["id"] for c in failed} == {c["id"] for c in everything if c["status"] == "failed"}
    clicks = pages(gw, "/v1/tool-calls", {"runId": run, "tool": "browser.click"})
    assert clicks and all(c["tool"] == "browser.click" for c in clicks)
    across = pages(gw, "/v1/tool-calls", {}, limit=50)
    assert len(across) == len(gw.current.calls(T0)) and len({c["id"] for c in across}) == len(
        across
    )
    assert gw.http.get("/v1/tool-calls", params={"runId": "run_unknown"}).json()["data"] == []
    waiting = gw.http.get("/v1/tool-calls", params={"status": "awaiting_input"}).json()["data"]
    assert waiting and all(c["inputRequest"]["prompt"] for c in waiting)


def test_run_and_trace_filters(still: Gateway) -> None:
    gw = still
    done = gw.http.get("/v1/runs?status=ended&status=failed").json()["data"]
    assert sorted(r["status"] for r in done) == ["ended", "failed"]
    assert len(pages(gw, "/v1/runs", {}, limit=2)) == 5
    recent = gw.http.get("/v1/runs", params={"from": "2026-09-21T13:56:40Z"}).json()["data"]
    assert len(recent) == 3  # created in the 1000 s before T0
    run = gw.run(RUN_ENDED).id
    spans = pages(gw, f"/v1/runs/{run}/trace", {}, limit=13)
    assert len({s["id"] for s in spans}) == len(spans) == len(gw.current.spans(gw.run(2), T0))
    network = pages(gw, f"/v1/runs/{run}/trace", {"kind": "network"})
    assert network and all(s["kind"] == "network" for s in network)
    root = next(s for s in spans if s["parentId"] is None)
    children = pages(gw, f"/v1/runs/{run}/trace", {"parentId": root["id"]})
    assert {s["kind"] for s in children} <= {"tool", "agent"} and len(children) == 14
    tools = pages(gw, f"/v1/runs/{run}/trace", {"resourceType": "tool_call"})
    assert {s["id"] for s in tools} == {s["id"] for s in children}
    failed = pages(gw, f"/v1/runs/{run}/trace", {"status": ["failed"], "kind": "tool,agent"})
    assert failed and all(s["status"] == "failed" for s in failed)
    console = pages(gw, f"/v1/runs/{run}/events", {"category": "console"}, limit=3)
    assert console and all(e["category"] == "console" for e in console)
    first = pages(gw, f"/v1/runs/{run}/events", {"order": "asc"})[:5]
    window = {"from": first[1]["time"], "to": first[3]["time"], "order": "asc"}
    assert [e["id"] for e in pages(gw, f"/v1/runs/{run}/events", window)] == [
        e["id"] for e in first[1:4]
    ]


def _depth(spans: dict[str, Any], span_id: str) -> int:
    parent = spans[span_id]["parentId"]
    return 1 if parent is None else 1 + _depth(spans, parent)


def test_span_tree_links_tool_calls_and_evidence(still: Gateway) -> None:
    """Each tool call has its span; a failed call's subtree holds the errors near it."""
    gw = still
    for index in (RUN_ACTIVE, RUN_ENDED, RUN_FAILED):
        run = gw.run(index).id
        spans = {s["id"]: s for s in pages(gw, f"/v1/runs/{run}/trace", {})}
        events = pages(gw, f"/v1/runs/{run}/events", {"order": "asc"})
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert max(_depth(spans, s) for s in spans) >= 4  # runtime > tool/agent > browser > network
        assert {s["kind"] for s in spans.values()} >= {"runtime", "tool", "browser", "network"}
        for call in pages(gw, "/v1/tool-calls", {"runId": run}):
            if call["startedAt"] is None:
                continue
            span = spans[call["spanId"]]
            assert span["resourceType"] == "tool_call" and span["resourceId"] == call["id"]
            subtree = {call["spanId"]}
            for _ in range(4):
                subtree |= {s for s, v in spans.items() if v["parentId"] in subtree}
            near = [e for e in events if e["spanId"] in subtree and e["outcome"] == "failed"]
            if call["status"] == "failed" and call["error"]["code"] != "tool_call.input_expired":
                kinds = {e["category"] for e in near}
                assert kinds & {"console", "network", "page"}, call
                assert all(call["startedAt"] <= e["time"] <= call["finishedAt"] for e in near)
            if call["status"] == "succeeded":
                assert not [e for e in near if e["category"] in ("console", "network")]


# -- the run stream ---------------------------------------------------------------------------


def test_run_stream_frames_validate_and_resume_exactly(still: Gateway) -> None:
    gw = still
    run = gw.run(RUN_ENDED).id
    path = f"/v1/runs/{run}/stream"
    full = frames(stream(gw, path, ended))
    validator = frame_validator("runs-stream")
    for item in full:
        data = item.json()
        check(validator, data)
        assert item.id == data["id"] and item.event == data["type"] and data["runId"] == run
    assert [i.id for i in full] == sorted({i.id for i in full if i.id})  # ordered, no repeats
    assert {i.event for i in full} == {
        "span.started",
        "span.updated",
        "span.completed",
        "runtime.event",
        "run.ended",
    }
    assert full[-1].json()["status"] == "ended"
    for k in (1, 17, len(full) // 2, len(full) - 1):
        resumed = frames(stream(gw, path, ended, last_event_id=full[k - 1].id))
        assert [(i.id, i.data) for i in resumed] == [(i.id, i.data) for i in full[k:]]
    after = frames(stream(gw, path, ended, params={"after": full[40].id}))
    assert [i.id for i in after] == [i.id for i in full[41:]]
    trace = frames(stream(gw, path, ended, params={"include": "trace"}))
    assert [i.id for i in trace] == [i.id for i in full if i.event != "runtime.event"]


def test_run_stream_stays_open_after_run_ended(still: Gateway) -> None:
    gw = still
    items = stream(gw, f"/v1/runs/{gw.run(RUN_FAILED).id}/stream", comments_after_end(3))
    end = [i.event for i in items].index("run.ended")
    assert items[end].json()["status"] == "failed"
    late = [i.json()["event"]["type"] for i in frames(items[end + 1 :])]
    assert late == ["artifact.persisted"]  # a late event, then heartbeats: still open
    assert all(i.comment == "heartbeat" for i in items[end + 1 :] if i.comment is not None)


def test_cut_fault_breaks_the_stream_and_resuming_recovers_everything(still: Gateway) -> None:
    gw = still
    path = f"/v1/runs/{gw.run(RUN_FAILED).id}/stream"
    full = frames(stream(gw, path, ended))
    faults = gw.server.faults
    faults.cut_after = 30
    faults.force("cut", path_prefix=path + "$")
    got: list[Item] = []
    with pytest.raises(httpx.HTTPError):  # the connection breaks mid-body
        stream(gw, path, lambda items: (got.extend(items[len(got) :]), False)[1])
    assert 0 < len(got) < len(full)
    rest = frames(stream(gw, path, ended, last_event_id=got[-1].id))
    assert [(i.id, i.data) for i in got + rest] == [(i.id, i.data) for i in full]
    faults.force("503", path_prefix=path + "$")
    refused = gw.http.get(path)
    assert refused.status_code == 503
    check(error_validator(), refused.json())


def test_live_stream_follows_the_world_and_matches_a_replay(live: Gateway) -> None:
    gw = live
    short = gw.run(RUN_SHORT)
    assert short.ended_at is not None and T0 < short.ended_at < T0 + 60
    path = f"/v1/runs/{short.id}/stream"
    calls_at_start = len(pages(gw, "/v1/tool-calls", {"runId": short.id}))
    got: list[Item] = []
    beats = 0

    def until(items: list[Item]) -> bool:
        nonlocal beats
        got.extend(items[len(got) :])
        if got[-1].comment is None:
            return False
        beats += 1
        # After each heartbeat (the world has nothing new): move the clock on.
        if gw.clock[0] < short.ended_at + 5:
            gw.clock[0] = min(gw.clock[0] + 7.0, short.ended_at + 5)
            return False
        return beats > 2 and "run.ended" in [i.event for i in got]

    stream(gw, path, until)
    live_frames = frames(got)
    assert live_frames[-1].json()["event"]["type"] == "artifact.persisted"
    assert len(pages(gw, "/v1/tool-calls", {"runId": short.id})) > calls_at_start
    replay = frames(stream(gw, path, lambda items: len(frames(items)) == len(live_frames)))
    assert [(i.id, i.data) for i in replay] == [(i.id, i.data) for i in live_frames]
    statuses = [
        f.json()["span"]["status"] for f in live_frames if f.event and f.event.startswith("span")
    ]
    assert {"running", "succeeded", "failed"} <= set(statuses)


# -- the events stream ------------------------------------------------------------------------


def test_events_stream_validates_resumes_and_stays_open(still: Gateway) -> None:
    gw = still
    run = gw.run(RUN_ENDED)
    path = f"/v1/runs/{run.id}/events/stream"
    listed = pages(gw, f"/v1/runs/{run.id}/events", {"order": "asc"})

    def after_last(items: list[Item]) -> bool:
        """The last event (artifact.persisted, after run.ended) then a heartbeat."""
        seen = frames(items)
        return bool(seen) and seen[-1].id == listed[-1]["id"] and items[-1].comment is not None

    items = stream(gw, path, after_last)
    full = frames(items)
    validator = frame_validator("runs-events-stream")
    for item in full:
        check(validator, item.json())
        assert item.id == item.json()["id"] and item.event is None
    assert [i.json() for i in full] == listed  # the stream replays the list, in seq order
    assert full[-1].json()["type"] == "artifact.persisted"  # after run.ended: still open
    for k in (1, len(full) // 3, len(full) - 1):
        rest = frames(stream(gw, path, after_last, last_event_id=full[k - 1].id))
        assert [i.id for i in rest] == [i.id for i in full[k:]]
    console = frames(stream(gw, path, comments(1), params={"category": "console"}))
    assert console and {i.json()["category"] for i in console} == {"console"}


# -- long-polls -------------------------------------------------------------------------------


def _in_thread(fn: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        started = time.monotonic()
        response = fn()
        out.append((response, time.monotonic() - started))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_result_long_poll_returns_as_soon_as_the_call_is_terminal(live: Gateway) -> None:
    gw = live
    # A queued call and a wait that runs out: the call's state, after the wait.
    queued = next(c for c in gw.run(RUN_SHORT).calls if c.created > T0)
    gw.clock[0] = queued.created + 0.001
    started = time.monotonic()
    timed_out = gw.http.get(f"/v1/tool-calls/{queued.id}/result", params={"wait": 1})
    assert 0.9 < time.monotonic() - started < 4.0
    assert timed_out.status_code == 202 and timed_out.json()["status"] == "queued"
    # A call waiting for input: held until it is done, answered at once when it is.
    waiting = next(c for c in gw.run(RUN_ACTIVE).calls if c.state(T0) == "awaiting_input")
    path = f"/v1/tool-calls/{waiting.id}"
    body = gw.http.get(path).json()
    assert body["status"] == "awaiting_input" and body["inputRequest"]["expiresAt"]
    thread, out = _in_thread(lambda: gw.http.get(path + "/result", params={"wait": 30}))
    time.sleep(0.3)
    assert not out  # still held: the call is not done
    gw.clock[0] = waiting.finished + 0.01
    moved = time.monotonic()
    thread.join(5)
    response, _ = out[0]
    assert time.monotonic() - moved < 2.0
    assert response.status_code == 200 and response.json() == waiting.result
    # A terminal call without a result answers at once.
    failed = next(c for c in gw.run(RUN_ENDED).calls if c.outcome == "failed")
    started = time.monotonic()
    done = gw.http.get(f"/v1/tool-calls/{failed.id}/result", params={"wait": 30})
    assert time.monotonic() - started < 2.0
    assert done.status_code == 202 and done.json()["error"]["code"]


def test_get_long_polls_answer_on_a_status_change(live: Gateway) -> None:
    gw = live
    short = gw.run(RUN_SHORT)
    call = next(c for c in short.calls if c.created > T0)
    gw.clock[0] = call.created + 0.001
    thread, out = _in_thread(lambda: gw.http.get(f"/v1/tool-calls/{call.id}", params={"wait": 30}))
    time.sleep(0.3)
    assert not out
    gw.clock[0] = call.started + 0.001
    thread.join(5)
    assert out[0][0].json()["status"] == "running"
    assert short.ended_at is not None
    thread, out = _in_thread(lambda: gw.http.get(f"/v1/runs/{short.id}", params={"wait": 30}))
    time.sleep(0.3)
    assert not out
    gw.clock[0] = short.ended_at - 1.0  # stopping
    thread.join(5)
    response, elapsed = out[0]
    assert response.json()["status"] == "stopping" and elapsed < 5


# -- dialect and determinism ------------------------------------------------------------------


def test_august_words(august: Gateway) -> None:
    gw = august
    statuses = {c["status"] for c in pages(gw, "/v1/tool-calls", {})}
    assert {"requires_input", "cancelled", "timed_out", "succeeded", "failed"} <= statuses
    assert statuses <= AUGUST
    check(response_validator("tool-calls-list"), gw.http.get("/v1/tool-calls").json())
    bad = gw.http.get("/v1/tool-calls", params={"status": "awaiting_input"})
    assert bad.status_code == 400 and "requires_input" in bad.json()["hint"]
    waiting = gw.http.get("/v1/tool-calls", params={"status": "requires_input"}).json()["data"]
    assert waiting and all(c["inputRequest"] for c in waiting)


def _everything(world: CurrentWorld, now: float) -> str:
    out = []
    for run in world.runs:
        out.append(world.run_json(run, now))
        out += [world.call_json(c, now) for c in world.calls(now, run)]
        out += [world.span_json(s, now) for s in world.spans(run, now)]
        out += [world.frame_json(run, i, f) for i, f in world.frames_from(run, 0, now)]
    return json.dumps(out)


def test_the_world_is_a_pure_function_of_seed_and_time() -> None:
    def world(seed: int, clock: list[float]) -> CurrentWorld:
        return CurrentWorld(World("current", seed=seed, clock=lambda: clock[0]))

    a_clock, b_clock = [T0], [T0]
    a, b = world(7, a_clock), world(7, b_clock)
    assert _everything(a, T0) == _everything(b, T0)
    # b looks often on the way, a once: the same world either way.
    for step in range(1, 40):
        b_clock[0] = T0 + step * 3.0
        b.advance()
    a_clock[0] = b_clock[0]
    a.advance()
    assert _everything(a, a_clock[0]) == _everything(b, b_clock[0])
    assert world(8, [T0]).runs[0].id != a.runs[0].id
