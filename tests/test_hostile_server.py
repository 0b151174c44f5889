"""The hostile test server does what it says: checked with plain httpx and raw sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import pytest

from .hostile_server import (
    BOMB_INFLATED,
    ESCAPES,
    HOSTILE_ACTIONS,
    HOSTILE_INVOCATION_IDS,
    HOSTILE_KERNEL_IDS,
    HOSTILE_RUN_IDS,
    INVOCATION_IDS,
    KERNEL_IDS,
    ODD_IDS,
    ODD_RETRY_AFTER,
    OSC52,
    RUN_ID,
    Conn,
    FlippingStatus,
    HostileServer,
    Request,
    abrupt_close,
    bomb_bytes,
    contract_only,
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
    html_error,
    html_ok,
    huge_json,
    json_response,
    kernel_log_flood,
    kernel_more_forever,
    kernel_without_list,
    odd_data,
    rate_limited,
    respond,
    same_cursor_forever,
)
from .test_contract import _check, _error_validator, _spec, _validator

KEY = "sk_live_hostile_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(headers=AUTH, timeout=5) as client:
        yield client


def _read_at_least(response: httpx.Response | Iterator[bytes], size: int) -> bytes:
    """The first ``size`` bytes (or more) of a streamed body, as sent (not decoded)."""
    parts, got = [], 0
    chunks = response.iter_raw() if isinstance(response, httpx.Response) else response
    for part in chunks:
        parts.append(part)
        got += len(part)
        if got >= size:
            break
    return b"".join(parts)


def _frames(raw: bytes) -> list[dict[str, Any]]:
    """The JSON of each complete ``data:`` frame in ``raw``."""
    frames = raw.split(b"\n\n")[:-1]
    return [json.loads(f.removeprefix(b"data: ")) for f in frames]


# -- the server itself ------------------------------------------------------------------------


def test_starts_fast_and_stops_with_an_endless_body_in_flight() -> None:
    began = time.monotonic()
    server = HostileServer({("GET", "/forever"): endless_json()}).start()
    assert time.monotonic() - began < 0.5
    with httpx.stream("GET", server.url + "/forever", timeout=5) as response:
        chunks = response.iter_raw()
        assert len(_read_at_least(chunks, 100_000)) >= 100_000
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 1.0
        with pytest.raises(httpx.TransportError):  # the body breaks off: it never "ends"
            for _ in chunks:
                pass
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/forever", timeout=1)
    assert server.errors == []


def test_log_keeps_the_raw_wire_form_but_never_the_key() -> None:
    with HostileServer({("GET", "/v2/invocations/{invocation_id}"): json_response({})}) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"GET /v2/invocations/a%2Fb%2E%2E?status=failed&status=running&q=%20x HTTP/1.1\r\n"
                b"Host: h\r\nAuthorization: Bearer " + KEY.encode() + b"\r\nX-Trace: 1\r\n"
                b"Connection: close\r\n\r\n"
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        [logged] = server.wait_for(1)
    assert logged.method == "GET"
    assert logged.raw_path == "/v2/invocations/a%2Fb%2E%2E"
    assert logged.path == "/v2/invocations/a/b.."
    assert logged.query == "status=failed&status=running&q=%20x"
    assert logged.params == [("status", "failed"), ("status", "running"), ("q", " x")]
    assert logged.authorization and logged.header("x-trace") == "1"
    assert logged.header("authorization") is None
    assert KEY not in repr(server.log)


def test_request_log_counts_connections_and_filters(http: httpx.Client) -> None:
    routes = {("*", "/{rest:path}"): json_response({"ok": True})}
    with HostileServer(routes) as server:
        for path in ("/v1/runs", "/v1/runs/x%3Fy/invocations", "/invocations"):
            assert http.get(server.url + path).status_code == 200
        http.post(server.url + "/v1/invocations/i/wait", json={"timeoutMs": 5})
        assert len(server.requests("GET")) == 3
        assert [r.raw_path for r in server.requests(path="/v1/runs/{run_id}/invocations")] == [
            "/v1/runs/x%3Fy/invocations"
        ]
        assert server.requests("POST")[0].body == b'{"timeoutMs":5}'
        assert {r.connection for r in server.log} == {1}  # keep-alive works
        assert server.quiet(0.05) and server.quiet(0.05, method="GET", path="/v1/runs")
        server.clear_log()
        assert server.log == []


def test_routes_latest_wins_and_unmatched_is_route_not_found(http: httpx.Client) -> None:
    with HostileServer({("GET", "/v1/runs"): respond(500, b"{}")}) as server:
        assert http.get(server.url + "/v1/runs").status_code == 500
        server.route("*", "/v1/{rest:path}", respond(503, b"{}"))
        assert http.get(server.url + "/v1/runs").status_code == 503
        server.route("GET", "/v1/runs", respond(200, b"{}"))
        assert http.get(server.url + "/v1/runs").status_code == 200
        missing = http.get(server.url + "/nowhere/at/all")
        assert missing.status_code == 404
        _check(_error_validator(), missing.json())
        assert missing.json()["code"] == "route.not_found"
        kernel = http.get(server.url + "/invocations/x/y/z")
        assert kernel.status_code == 404 and kernel.json()["code"] == "not_found"


def test_custom_handlers_write_raw_bytes_and_break_connections(http: httpx.Client) -> None:
    async def half_then_reset(request: Request, conn: Conn) -> None:
        await conn.write(b'HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n{"data": [')
        await asyncio.sleep(0.05)
        conn.abort()

    async def half_then_close(request: Request, conn: Conn) -> None:
        await conn.write(b'HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n{"data": [')
        await conn.close()

    async def close_delimited(request: Request, conn: Conn) -> None:
        await conn.head(200, [("Content-Type", "application/json")])
        await conn.write(b'{"data": [],')
        await conn.write(b' "nextCursor": null}')
        await conn.close()

    routes = {
        ("GET", "/reset"): half_then_reset,
        ("GET", "/half"): half_then_close,
        ("GET", "/close"): close_delimited,
        ("GET", "/nothing"): abrupt_close(),
        ("GET", "/hang"): hang(),
    }
    with HostileServer(routes) as server:
        with pytest.raises(httpx.RemoteProtocolError):  # a clean close, body incomplete
            http.get(server.url + "/half")
        with pytest.raises(httpx.ReadError):  # a reset
            http.get(server.url + "/reset")
        assert http.get(server.url + "/close").json() == {"data": [], "nextCursor": None}
        with pytest.raises(httpx.TransportError):
            http.get(server.url + "/nothing")
        with pytest.raises(httpx.ReadTimeout):
            http.get(server.url + "/hang", timeout=0.2)
    assert server.errors == []


# -- 1. the gzip bomb -------------------------------------------------------------------------


def test_gzip_bomb_is_small_on_the_wire_and_inflates_past_a_gigabyte() -> None:
    with (
        HostileServer({("GET", "/v1/runs/{run_id}/invocations"): gzip_bomb()}) as server,
        httpx.stream("GET", server.url + f"/v1/runs/{RUN_ID}/invocations", headers=AUTH) as r,
    ):
        assert r.headers["content-encoding"] == "gzip"
        wire = b"".join(r.iter_raw())
    assert wire == bomb_bytes()
    assert 1_000_000 < len(wire) < 1.1 * (1 << 20)
    # The trailer says 1 GiB (the inflated size modulo 2**32) ...
    assert struct.unpack("<I", wire[-4:])[0] == BOMB_INFLATED % (1 << 32) and BOMB_INFLATED > 1e9
    # ... and the first 32 KiB alone inflate to ~32 MiB: a thousand times their size.
    inflater = zlib.decompressobj(31)
    inflated, data = 0, wire[: 32 * 1024]
    while data:
        inflated += len(inflater.decompress(data, 16 << 20))
        data = inflater.unconsumed_tail
    assert inflated > 30 * (1 << 20)


# -- 2. endless bodies and streams ------------------------------------------------------------


def test_endless_json_keeps_coming() -> None:
    with (
        HostileServer({("GET", "/v1/runs"): endless_json()}) as server,
        httpx.stream("GET", server.url + "/v1/runs", headers=AUTH) as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        body = _read_at_least(response, 6 * 1000 * 1000)
    assert body.startswith(b'{"data":[{"id":"') and len(body) > 5_000_000
    assert not body.rstrip(b",").endswith(b"]}")


def test_endless_sse_line_has_no_newline() -> None:
    with (
        HostileServer({("GET", "/invocations/{invocation_id}/events"): endless_sse_line()}) as s,
        httpx.stream("GET", s.url + "/invocations/inv_1/events", headers=AUTH) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        body = _read_at_least(response, 6 * 1000 * 1000)
    assert body.startswith(b"data: xxx") and len(body) > 5_000_000
    assert b"\n" not in body and b"\r" not in body


def test_kernel_log_flood_never_stops() -> None:
    route = ("GET", "/invocations/{invocation_id}/events")
    with (
        HostileServer({route: kernel_log_flood()}) as server,
        httpx.stream("GET", server.url + "/invocations/inv_1/events", headers=AUTH) as response,
    ):
        body = _read_at_least(response, 3 * 1000 * 1000)
    frames = _frames(body)
    assert frames[0]["event"] == "invocation_state"
    assert frames[0]["invocation"]["status"] == "running"
    logs = frames[1:]
    assert len(logs) > 20_000 and {f["event"] for f in logs} == {"log"}
    stamps = [f["timestamp"] for f in logs]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_giant_sse_line_is_one_ten_megabyte_line() -> None:
    route = ("GET", "/invocations/{invocation_id}/events")
    with HostileServer({route: giant_sse_line()}) as server:
        response = httpx.get(server.url + "/invocations/inv_1/events", headers=AUTH, timeout=10)
    lines = response.content.split(b"\n")
    longest = max(lines, key=len)
    assert len(longest) >= 9_999_000 and longest.startswith(b"data: {")
    frames = _frames(response.content)
    assert [f["event"] for f in frames] == ["invocation_state", "log", "invocation_state"]
    assert frames[-1]["invocation"]["status"] == "succeeded"


# -- 3. deep JSON -----------------------------------------------------------------------------


def test_deep_json_is_valid_but_pathological(http: httpx.Client) -> None:
    with HostileServer({("GET", "/v2/invocations/{invocation_id}"): deep_json()}) as server:
        body = http.get(server.url + "/v2/invocations/x").content
    assert body == b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(body)


# -- 4. Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ODD_RETRY_AFTER)
def test_rate_limited_sends_retry_after_verbatim(http: httpx.Client, value: str) -> None:
    routes = {
        ("GET", "/v1/runs"): rate_limited(value),
        ("GET", "/invocations"): rate_limited(value),
    }
    with HostileServer(routes) as server:
        bctrl = http.get(server.url + "/v1/runs")
        kernel = http.get(server.url + "/invocations")
    assert bctrl.status_code == kernel.status_code == 429
    assert bctrl.headers["retry-after"] == kernel.headers["retry-after"] == value
    _check(_error_validator(), bctrl.json())
    assert bctrl.json()["reasonClass"] == "rate_limited"
    assert kernel.json() == {"code": "rate_limited", "message": "Too many requests"}


# -- 5. endless paging ------------------------------------------------------------------------


def test_same_cursor_forever(http: httpx.Client) -> None:
    route = ("GET", "/v1/runs/{run_id}/invocations")
    with HostileServer({route: same_cursor_forever()}) as server:
        url = server.url + f"/v1/runs/{RUN_ID}/invocations"
        first = http.get(url).json()
        second = http.get(url, params={"cursor": first["nextCursor"]}).json()
    assert first == second and first["nextCursor"] == "c_again" and len(first["data"]) == 50


def test_endless_cursors_bring_new_rows_every_page(http: httpx.Client) -> None:
    route = ("GET", "/v1/runs/{run_id}/invocations")
    page = _validator(
        "bctrl-v1-runs-invocations-list", "/v1/runs/{runId}/invocations", "get", "200"
    )
    with HostileServer({route: endless_cursors()}) as server:
        url = server.url + f"/v1/runs/{RUN_ID}/invocations"
        cursor, cursors, ids = None, [], set()
        for _ in range(4):
            body = http.get(url, params={"cursor": cursor} if cursor else {}).json()
            _check(page, body)
            assert len(body["data"]) == 200
            ids |= {row["id"] for row in body["data"]}
            cursor = body["nextCursor"]
            cursors.append(cursor)
    assert len(ids) == 800 and len(set(cursors)) == 4


def test_kernel_more_forever(http: httpx.Client) -> None:
    with HostileServer({("GET", "/invocations"): kernel_more_forever()}) as server:
        first = http.get(server.url + "/invocations")
        second = http.get(server.url + "/invocations", params={"offset": 100})
    assert first.headers["x-has-more"] == second.headers["x-has-more"] == "true"
    assert second.headers["x-next-offset"] == "200"
    assert {r["id"] for r in first.json()}.isdisjoint(r["id"] for r in second.json())


# -- 6. a flipping status ---------------------------------------------------------------------


def test_status_flips_on_every_request(http: httpx.Client) -> None:
    flip = FlippingStatus()
    target = INVOCATION_IDS[1]
    with HostileServer(flip.routes()) as server:
        seen = [
            http.get(server.url + f"/v2/invocations/{target}").json()["data"]["status"],
            http.get(server.url + f"/v2/invocations/{target}").json()["data"]["status"],
            http.post(server.url + f"/v1/invocations/{target}/wait", json={"timeoutMs": 0}).json()[
                "invocation"
            ]["status"],
            next(
                row["status"]
                for row in http.get(server.url + f"/v1/runs/{RUN_ID}/invocations").json()["data"]
                if row["id"] == target
            ),
        ]
        kernel = [
            http.get(server.url + f"/invocations/{KERNEL_IDS[0]}").json()["status"]
            for _ in range(3)
        ]
    assert seen == ["running", "failed", "running", "failed"]
    assert kernel == ["running", "failed", "running"]


# -- 7. the key echoed back -------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_echo_key_puts_the_key_in_every_string(http: httpx.Client) -> None:
    with HostileServer(echo_key()) as server:
        runs = http.get(server.url + "/v1/runs").json()
        run_id = runs["data"][0]["id"]
        assert run_id == f"{RUN_ID} {KEY}"
        rows = http.get(server.url + f"/v1/runs/{quote(run_id, safe='')}/invocations").json()
        echoed = rows["data"][1]["id"]
        v2 = http.get(server.url + f"/v2/invocations/{quote(echoed, safe='')}").json()
        waited = http.post(
            server.url + f"/v1/invocations/{quote(echoed, safe='')}/wait", json={"timeoutMs": 0}
        ).json()
        kernel = http.get(server.url + f"/invocations/{KERNEL_IDS[1]}").json()
        events = http.get(server.url + f"/invocations/{KERNEL_IDS[1]}/events").content
    for body in (runs, rows, v2, waited["invocation"], kernel, *_frames(events)):
        strings = list(_strings(body))
        assert strings and all(KEY in s for s in strings)
    assert waited["invocation"]["progress"]["message"].endswith(KEY)
    assert waited["invocation"]["error"]["message"].endswith(KEY)


def test_echo_key_errors(http: httpx.Client) -> None:
    routes = {("GET", "/v1/runs"): echo_key_error(), ("GET", "/invocations"): echo_key_error(401)}
    with HostileServer(routes) as server:
        bctrl = http.get(server.url + "/v1/runs")
        kernel = http.get(server.url + "/invocations")
    assert bctrl.status_code == kernel.status_code == 401
    _check(_error_validator(), bctrl.json())
    assert all(KEY in bctrl.json()[f] for f in ("error", "hint", "requestId"))
    assert KEY in kernel.json()["message"] and KEY in kernel.json()["details"][0]["message"]
    assert KEY not in repr(server.log)


# -- 8. hostile ids ---------------------------------------------------------------------------


def _encoded(ident: str) -> str:
    """An id as one path segment: dots too, or httpx would normalise '..' away."""
    return quote(ident, safe="").replace(".", "%2E")


def test_hostile_ids_are_served_and_found_when_encoded(http: httpx.Client) -> None:
    with HostileServer(hostile_ids()) as server:
        runs = http.get(server.url + "/v1/runs").json()["data"]
        assert [r["id"] for r in runs] == list(HOSTILE_RUN_IDS)
        rows = http.get(server.url + f"/v1/runs/{_encoded('..')}/invocations").json()["data"]
        assert [r["id"] for r in rows] == list(HOSTILE_INVOCATION_IDS)
        assert {r["action"] for r in rows} == set(HOSTILE_ACTIONS)
        for ident in HOSTILE_INVOCATION_IDS:
            data = http.get(server.url + f"/v2/invocations/{_encoded(ident)}").json()["data"]
            assert data["id"] == ident
        waited = http.post(
            server.url + f"/v1/invocations/{_encoded('inv?x=1#y')}/wait", json={"timeoutMs": 0}
        ).json()
        for ident in HOSTILE_KERNEL_IDS:
            assert http.get(server.url + f"/invocations/{_encoded(ident)}").json()["id"] == ident
        server.clear_log()
        # Sent unencoded, ids break the path: the log shows exactly what went on the wire.
        http.get(server.url + "/v2/invocations/a#b")
        http.get(server.url + "/v2/invocations/inv/../../../v1/runs")
        http.get(server.url + "/v2/invocations/inv?x=1")
        raw = [(r.raw_path, r.query) for r in server.log]
    assert raw == [
        ("/v2/invocations/a", ""),  # the fragment never left the client
        ("/v1/runs", ""),  # httpx resolved the dot segments
        ("/v2/invocations/inv", "x=1"),
    ]
    message = waited["invocation"]["result"]["steps"][2]["error"]["message"]
    assert all(escape in message for escape in ESCAPES)
    assert any(OSC52 in r["action"] for r in rows)


# -- 9. odd data ------------------------------------------------------------------------------


def test_odd_data_has_each_oddity(http: httpx.Client) -> None:
    with HostileServer(odd_data()) as server:
        rows = {
            r["id"]: r
            for r in http.get(server.url + f"/v1/runs/{RUN_ID}/invocations").json()["data"]
        }
        full = {
            name: http.post(
                server.url + f"/v1/invocations/{ident}/wait", json={"timeoutMs": 0}
            ).json()["invocation"]
            for name, ident in ODD_IDS.items()
        }
        runs = http.get(server.url + "/v1/runs").json()["data"]
        kernel = {
            i: http.get(server.url + f"/invocations/{i}").json()
            for i in ("inv_odd_offset", "inv_odd_types", "inv_odd_missing")
        }
    assert rows[ODD_IDS["free_text_time"]]["createdAt"] == "laborum in incididunt"
    assert full["offsets"]["createdAt"] == "2026-11-20T10:00:00+14:00"
    nulls = full["timed_out_nulls"]
    assert nulls["status"] == "timed_out" and nulls["durationMs"] is None
    assert nulls["finishedAt"] is None
    assert full["unknown_enums"]["status"] == "paused_for_review"
    assert rows[ODD_IDS["unknown_enums"]]["action"] == "summarize"
    assert (
        full["unknown_enums"]["result"]["steps"][2]["error"]["diagnostic"]["category"] == "cosmic"
    )
    assert "result" not in full["missing"] and "durationMs" not in rows[ODD_IDS["missing"]]
    assert full["wrong_types"]["durationMs"] == "4000"
    assert full["wrong_types"]["progress"]["message"] == 7
    assert full["extra"]["futureField"]["version"] == 3
    assert {r["status"] for r in runs} >= {"archived"}
    assert kernel["inv_odd_offset"]["started_at"].endswith("+14:00")
    assert kernel["inv_odd_types"]["payload"] == 42
    assert set(kernel["inv_odd_missing"]) == {
        "id",
        "app_name",
        "version",
        "action_name",
        "started_at",
        "status",
    }


# -- 10. only the contract's endpoints --------------------------------------------------------


def test_contract_only_has_no_runs_list_but_valid_contract_answers(http: httpx.Client) -> None:
    page = _validator(
        "bctrl-v1-runs-invocations-list", "/v1/runs/{runId}/invocations", "get", "200"
    )
    v2 = _validator("bctrl-v2-invocations-get", "/v2/invocations/{id}", "get", "200")
    wait = _validator("bctrl-v1-invocations-wait", "/v1/invocations/{id}/wait", "post", "200")
    with HostileServer(contract_only()) as server:
        for path in ("/v1/runs", f"/v1/runs/{RUN_ID}"):
            gone = http.get(server.url + path)
            assert gone.status_code == 404 and gone.json()["code"] == "route.not_found"
            _check(_error_validator(), gone.json())
        listed = http.get(server.url + f"/v1/runs/{RUN_ID}/invocations").json()
        _check(page, listed)
        assert [r["id"] for r in listed["data"]] == list(INVOCATION_IDS)
        for ident in INVOCATION_IDS:
            _check(v2, http.get(server.url + f"/v2/invocations/{ident}").json())
            answer = http.post(
                server.url + f"/v1/invocations/{ident}/wait", json={"timeoutMs": 10}
            ).json()
            _check(wait, answer)
    statuses = {r["status"] for r in listed["data"]}
    assert {"succeeded", "failed", "running", "queued"} <= statuses


def test_kernel_without_list(http: httpx.Client) -> None:
    spec = _spec("kernel-invocations-get")
    invocation = jsonschema.Draft202012Validator(
        {"components": spec["components"], "$ref": "#/components/schemas/Invocation"}
    )
    with HostileServer(kernel_without_list()) as server:
        gone = http.get(server.url + "/invocations")
        assert gone.status_code == 404 and set(gone.json()) == {"code", "message"}
        for ident in KERNEL_IDS[:2]:
            body = http.get(server.url + f"/invocations/{ident}").json()
            assert body["id"] == ident and not body["id"].count("-")
            # finished_at is nullable in the contract (OpenAPI 3.0 style): drop a null first.
            _check(invocation, {k: v for k, v in body.items() if v is not None})
        events = _frames(http.get(server.url + f"/invocations/{KERNEL_IDS[0]}/events").content)
    assert events[0]["event"] == events[-1]["event"] == "invocation_state"
    assert [f["event"] for f in events[1:-1]] == ["log"] * 5


def test_live_kernel_stream_heartbeats_until_the_client_leaves() -> None:
    with (
        HostileServer(kernel_without_list()) as server,
        httpx.stream("GET", server.url + f"/invocations/{KERNEL_IDS[2]}/events", headers=AUTH) as r,
    ):
        seen = b""
        for part in r.iter_raw():
            seen += part
            if b"sse_heartbeat" in seen:
                break
    assert b"sse_heartbeat" in seen
    assert server.errors == []


# -- 11. HTML and a huge body -----------------------------------------------------------------


def test_html_pages(http: httpx.Client) -> None:
    with HostileServer(
        {("GET", "/v1/runs"): html_error(), ("GET", "/invocations"): html_ok()}
    ) as s:
        error = http.get(s.url + "/v1/runs")
        ok = http.get(s.url + "/invocations")
    assert error.status_code == 502 and error.headers["content-type"] == "text/html"
    assert error.text.startswith("<!DOCTYPE html>")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        ok.json()


def test_huge_json_is_fifty_megabytes() -> None:
    with (
        HostileServer({("GET", "/v1/runs/{run_id}/invocations"): huge_json()}) as server,
        httpx.stream("GET", server.url + f"/v1/runs/{RUN_ID}/invocations", headers=AUTH) as r,
    ):
        size, first, last = 0, b"", b""
        for part in r.iter_raw():
            size += len(part)
            first = first if len(first) >= 100 else first + part
            last = (last + part)[-100:]
        assert int(r.headers["content-length"]) == size
    assert 49_000_000 < size <= 50_000_000
    assert first.startswith(b'{"data":[{"id":"') and last.endswith(b'}],"nextCursor":null}')


def test_huge_json_is_valid_json_of_distinct_rows(http: httpx.Client) -> None:
    """The same body as above, smaller: parsing 50 MB would only slow the suite down."""
    route = ("GET", "/v1/runs/{run_id}/invocations")
    with HostileServer({route: huge_json(3_000_000)}) as server:
        response = http.get(server.url + f"/v1/runs/{RUN_ID}/invocations")
    assert 2_900_000 < len(response.content) <= 3_000_000
    data = response.json()
    assert data["nextCursor"] is None and len(data["data"]) > 10_000
    assert len({row["id"] for row in data["data"]}) == len(data["data"])


def test_huge_kernel_json_is_an_array() -> None:
    with HostileServer({("GET", "/invocations"): huge_json(2_000_000, kernel=True)}) as server:
        response = httpx.get(server.url + "/invocations", headers=AUTH)
    assert 1_900_000 < len(response.content) <= 2_000_000
    assert response.headers["x-has-more"] == "false"
    rows = response.json()
    assert isinstance(rows, list) and rows[0]["id"].startswith("inv_huge")
