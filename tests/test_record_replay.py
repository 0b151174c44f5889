"""The flight recorder and offline replay (issue 16): what the app received is written, the
key never is, and a replay shows the same screens with no key and no network."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import zstandard

from bench.screenshots import detail_ready, landed, settled, until
from tui.core.errors import ApiError, ConnectionDropped, NotFound, RateLimited, ServerError
from tui.core.source import Source
from tui.providers import PROVIDERS, load
from tui.providers.http import HttpSource, RetryPolicy
from tui.providers.kernel.client import KernelClient
from tui.providers.record import (
    Recorder,
    ReplayError,
    load_recording,
    masked_target,
    open_replay,
    public_base_url,
    recorder_for,
)
from tui.replay_cli import ReplayApp, replay_app, run_replay
from tui.sim.server import GatewayOptions, GatewayServer
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions

from .conftest import FROZEN_NOW
from .hostile_server import (
    CLEAR,
    OSC52,
    OSC_TITLE,
    Conn,
    HostileServer,
    Request,
    echo_key,
    error_body,
    hostile_ids,
    rate_limited,
    respond,
)
from .viewer_helpers import (
    CONTROL,
    cell,
    loaded,
    pane,
    record_toasts,
    region_text,
    rows_where,
    screen_output,
    screen_text,
    select_group,
    select_row,
    send_keys,
    status_bar,
    wait_for,
)

FAKE_KEY = "rwk-LEAKCHECK-7f3a9c1e5b2d4680-zz"
NO_RETRY = RetryPolicy(max_retries=0)


def frozen() -> float:
    return FROZEN_NOW


def recorded_app(url: str, recorder: Recorder, provider: str = "bctrl") -> RunwatchApp:
    """The viewer over a live server, every answer recorded; the app's clock frozen."""
    facts = PROVIDERS[provider]
    source = facts.make_source(FAKE_KEY, url, clock=frozen, retry=NO_RETRY, recorder=recorder)
    options = ViewerOptions(source_label="demo gateway")
    return RunwatchApp(source, load(facts.detail_body), options, clock=frozen)


def replayed_app(path: Path, speed: float = math.inf) -> RunwatchApp:
    source, body, controls = open_replay(path, speed, retry=NO_RETRY)
    return RunwatchApp(
        source, load(body), ViewerOptions(source_label="demo gateway"), clock=controls.now
    )


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No connection can be opened, by a socket or by httpx."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replay touched the network")

    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # never taken by a replay
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    yield


def raw(path: Path) -> bytes:
    """A recording's bytes, decompressed."""
    return zstandard.ZstdDecompressor().stream_reader(path.read_bytes()).read()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw(path).splitlines() if line.strip()]


# -- a browse, recorded, then replayed offline ----------------------------------------------


async def browse(app: RunwatchApp) -> list[str]:
    """The active run's failure (where the viewer lands), the next run with failures, its
    first failure, the row after it."""
    screens: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = await settled(pilot)
        await landed(pilot, viewer)
        screens.append(screen_text(app))
        await pilot.press("n")  # the next run with failures (counted: recorded as well)
        await settled(pilot)
        await landed(pilot, viewer)
        screens.append(screen_text(app))
        await pilot.press("tab", "j")  # the next row, its detail
        await detail_ready(pilot, viewer)
        screens.append(screen_text(app))
    return screens


async def test_a_replay_shows_what_was_seen_with_no_key_and_no_network(
    frozen_gateway: GatewayServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "session.rwrec"
    recorder = Recorder(path, provider="bctrl", base_url=frozen_gateway.url, clock=frozen)
    try:
        seen = await browse(recorded_app(frozen_gateway.url, recorder))
    finally:
        recorder.close()
    assert recorder.error is None
    request.getfixturevalue("offline")
    replayed = await browse(replayed_app(path))
    assert len(replayed) == len(seen) == 3
    for before, after in zip(seen, replayed, strict=True):
        assert after == before


async def test_a_replay_at_a_finite_speed_and_under_the_controls(
    frozen_gateway: GatewayServer, tmp_path: Path, offline_later: Callable[[], None]
) -> None:
    path = tmp_path / "session.rwrec"
    with Recorder(path, provider="bctrl", base_url=frozen_gateway.url, clock=frozen) as recorder:
        source = PROVIDERS["bctrl"].make_source(
            FAKE_KEY, frozen_gateway.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        groups = await source.groups()
        await source.aclose()
    offline_later()
    source, body, controls = open_replay(path, speed=1000.0, paused=True)
    assert body == PROVIDERS["bctrl"].detail_body
    assert controls.paused and controls.now() == FROZEN_NOW
    controls.jump_to_end()
    assert controls.finished
    controls.resume()
    assert [g.key for g in await source.groups()] == [g.key for g in groups]
    # Past the recording: the last answer again, and nothing recorded is a clear 404.
    assert [g.key for g in await source.groups()] == [g.key for g in groups]
    with pytest.raises(NotFound, match="not in the recording"):
        await source.client.request("GET", "/v1/runs/unknown")  # type: ignore[attr-defined]
    with pytest.raises(ApiError):  # the source's own reading of that 404
        await source.group("00000000-0000-0000-0000-000000000000")
    await source.aclose()


@pytest.fixture
def offline_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call to cut the network from then on."""

    def cut() -> None:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("replay touched the network")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)

    return cut


async def test_step_releases_one_recorded_moment_at_a_time(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    path = tmp_path / "session.rwrec"
    ticks = iter(range(100))
    with Recorder(
        path,
        provider="bctrl",
        base_url=frozen_gateway.url,
        clock=frozen,
        monotonic=lambda: float(next(ticks)),
    ) as recorder:
        source = PROVIDERS["bctrl"].make_source(
            FAKE_KEY, frozen_gateway.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        await source.groups()
        await source.aclose()
    source, _, controls = open_replay(path, speed=1.0, paused=True)
    assert load_recording(path).times  # moments to step through
    first = controls.step()
    assert first > 0 and controls.position() == first
    assert [g.key for g in await source.groups()]  # released by the step, while paused
    assert controls.paused
    await source.aclose()


async def browse_kernel(app: RunwatchApp) -> tuple[list[str], str]:
    """Kernel: the first app version with a running invocation, that invocation's
    streamed log; the log's lines and the screen."""
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = await settled(pilot)
        for _ in range(viewer.groups.row_count):
            await until(pilot, lambda: viewer.store.complete)
            if any(not row.status.terminal for row in viewer.store.rows.values()):
                break
            await pilot.press("down")
            await pilot.pause(0.1)
        await pilot.press("tab")
        running = next(k for k, row in viewer.store.rows.items() if not row.status.terminal)
        viewer.table.select_key(running)
        await until(pilot, lambda: viewer.selected_row == running)
        logs = viewer.store.logs
        await until(pilot, lambda: running in logs and len(logs[running].lines) > 3)
        await pilot.pause(0.5)
        return [str(line) for line in logs[running].lines], screen_text(app)


async def test_a_replayed_event_stream_shows_the_same_log(
    frozen_gateway: GatewayServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "kernel.rwrec"
    recorder = Recorder(path, provider="kernel", base_url=frozen_gateway.url, clock=frozen)
    try:
        seen = await browse_kernel(recorded_app(frozen_gateway.url, recorder, "kernel"))
    finally:
        recorder.close()
    kinds = [entry["kind"] for entry in lines(path)]
    assert "stream" in kinds and kinds.count("frame") > 3
    request.getfixturevalue("offline")
    assert await browse_kernel(replayed_app(path)) == seen


# -- the key never reaches the file -----------------------------------------------------


def key_forms(key: str) -> list[bytes]:
    data = key.encode()
    forms = [
        data,
        key.lower().encode(),
        key.upper().encode(),
        quote(key, safe="").encode(),
        quote_plus(key).encode(),
        json.dumps(key).encode()[1:-1],
        data[4:20],  # a good part of it
    ]
    for text in (data, b"Bearer " + data, b":" + data, b"x:" + data):
        encoded = base64.b64encode(text)
        forms += [encoded, base64.urlsafe_b64encode(text)]
    for pad in range(3):  # the stable part of its base64 at any alignment
        encoded = base64.b64encode(b"\0" * pad + data)
        forms.append(encoded[(pad * 8 + 5) // 6 + 1 : (pad + len(data)) * 8 // 6 - 1])
    return forms


@pytest.mark.parametrize("provider", ["bctrl", "kernel"])
async def test_the_key_never_reaches_a_recording(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server echoing the key into every string, an error carrying it, a query naming it:
    not one form of it is in the file, compressed or not."""
    path = tmp_path / "leak.rwrec"
    with HostileServer(echo_key()) as server:
        recorder = recorder_for(
            path, provider, f"http://user:{FAKE_KEY}@{server.url[7:]}", FAKE_KEY
        )
        app = recorded_app(server.url, recorder, provider)
        async with app.run_test(size=(120, 40)) as pilot:
            viewer = app.viewer
            await wait_for(pilot, lambda: viewer.groups.row_count > 0, what="groups")
            await pilot.press("tab", "j", "j")
            await pilot.pause(0.5)
        client = PROVIDERS[provider].make_source(
            FAKE_KEY, server.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        http = client.client  # type: ignore[attr-defined]
        with pytest.raises(ApiError):
            await http.request("GET", "/nothing", params=[("token", FAKE_KEY), ("q", FAKE_KEY)])
        await client.aclose()
        recorder.close()
    data = raw(path)
    assert b'"kind":"response"' in data and data.count(b"********") > 5
    for blob in (data, path.read_bytes()):
        for form in key_forms(FAKE_KEY):
            assert form not in blob, form
    assert b"Authorization" not in data and b"authorization" not in data
    header = lines(path)[0]
    assert header["provider"] == provider and "user" not in header["base_url"]


def test_secret_query_values_and_credentials_are_masked() -> None:
    assert masked_target("/a?token=abc&limit=5&api_key=x%20y") == (
        "/a?token=********&limit=5&api_key=********"
    )
    assert public_base_url("https://me:pw@api.example.com/v1?k=1#x") == (
        "https://api.example.com/v1"
    )


# -- hostile data and faults replay as they were --------------------------------------


async def test_a_recording_of_hostile_data_replays_safely(tmp_path: Path) -> None:
    path = tmp_path / "hostile.rwrec"
    with HostileServer(hostile_ids()) as server:
        recorder = Recorder(path, provider="bctrl", base_url=server.url, key=FAKE_KEY)
        app = recorded_app(server.url, recorder)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await loaded(pilot, app)
            for key in screen.groups.row_keys_in_order[:3]:
                await select_group(pilot, app, key)
                await pilot.press("tab", "j")
                await pilot.pause(0.2)
                await pilot.press("shift+tab")
        recorder.close()
    assert any("\x1b" in json.dumps(e) or "\\u001b" in json.dumps(e) for e in lines(path))
    app = replayed_app(path)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        for key in screen.groups.row_keys_in_order[:3]:
            await select_group(pilot, app, key)
            await pilot.press("tab", "j")
            await pilot.pause(0.2)
            assert not CONTROL.search(screen_text(app))
            output = screen_output(app)
            assert all(bad not in output for bad in (OSC52, OSC_TITLE, CLEAR, "pwned"))
            await pilot.press("shift+tab")


async def _drop(request: Request, conn: Conn) -> None:
    await conn.write(b'HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n{"data": [')
    conn.abort()


async def _stream_then_drop(request: Request, conn: Conn) -> None:
    await conn.head(200, [("Content-Type", "text/event-stream"), ("Connection", "close")])
    frame = {"event": "log", "timestamp": "2026-01-01T00:00:00Z", "message": "hello"}
    await conn.write(b"event: log\ndata: " + json.dumps(frame).encode() + b"\nid: 1\n\n")
    await conn.write(b": ping\n\n")
    conn.abort()


async def _faults(source: Source, kernel: KernelClient) -> list[Any]:
    """What each faulty endpoint amounts to: the error's kind, status, retry-after,
    message; a stream's events before it broke and how it broke."""
    out: list[Any] = []
    for call in (source.groups, lambda: source.group("11111111-1111-1111-1111-111111111111")):
        try:
            await call()
        except ApiError as error:
            out.append((type(error), error.status, error.retry_after, error.message))
    try:
        await source.group("22222222-2222-2222-2222-222222222222")
    except ApiError as error:
        out.append((type(error), error.status))
    events: list[Any] = []
    try:
        async for event in kernel.stream("inv1", None):
            events.append(event)
    except ApiError as error:
        out.append((events, type(error)))
    return out


async def test_recorded_faults_replay_as_the_same_faults(tmp_path: Path) -> None:
    path = tmp_path / "faults.rwrec"
    routes = {
        ("GET", "/v1/runs"): rate_limited("7"),
        ("GET", "/v1/runs/11111111-1111-1111-1111-111111111111"): respond(
            503,
            json.dumps(error_body("upstream.down", "try later")).encode(),
            headers=[("X-Request-Id", "req_503")],
        ),
        ("GET", "/v1/runs/22222222-2222-2222-2222-222222222222"): _drop,
        ("GET", "/invocations/inv1/events"): _stream_then_drop,
    }
    with HostileServer(routes) as server:
        recorder = Recorder(path, provider="bctrl", base_url=server.url, key=FAKE_KEY)
        source = PROVIDERS["bctrl"].make_source(
            FAKE_KEY, server.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        kernel = KernelClient(FAKE_KEY, server.url, retry=NO_RETRY, recorder=recorder)
        live = await _faults(source, kernel)
        await source.aclose()
        await kernel.aclose()
        recorder.close()
    assert live[0][:3] == (RateLimited, 429, 7.0)
    assert live[1][:2] == (ServerError, 503)
    assert live[2][0] is ConnectionDropped
    assert len(live[3][0]) == 2 and live[3][1] is ConnectionDropped
    source, _, _ = open_replay(path, speed=1.0, retry=NO_RETRY)
    http = source.client  # type: ignore[attr-defined]
    kernel = KernelClient("", http.base_url, retry=NO_RETRY, transport=http._http._transport)
    assert await _faults(source, kernel) == live
    await source.aclose()
    await kernel.aclose()
    # Faster, the server's Retry-After is the replay's seconds: the app waits a tenth of it
    # out at 10x (in real time, as it waits everything), and nothing at max speed.
    for speed, retry_after in ((10.0, 0.7), (math.inf, 0.0)):
        fast, _, _ = open_replay(path, speed=speed, retry=NO_RETRY)
        with pytest.raises(RateLimited) as limited:
            await fast.groups()
        assert limited.value.retry_after == pytest.approx(retry_after)
        await fast.aclose()


async def test_recordings_at_once_each_hold_what_was_read_while_they_ran(
    tmp_path: Path,
) -> None:
    """A recording begun (``w``) while another goes on (``--record``) gets every answer from
    then on, faults and a stream's frames and break included, until it is stopped; the other
    gets them too, and goes on. Each replays them as they were."""
    session, kept = tmp_path / "session.rwrec", tmp_path / "kept.rwrec"
    failing, dropped = (
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    )
    routes = {
        ("GET", f"/v1/runs/{dropped}"): _drop,
        ("GET", f"/v1/runs/{failing}"): respond(503, json.dumps(error_body("down", "x")).encode()),
        ("GET", "/invocations/inv1/events"): _stream_then_drop,
    }

    async def read(source: HttpSource[Any]) -> list[Any]:
        """The failing run's error, the dropped one's; the stream's events."""
        out: list[Any] = []
        with pytest.raises(ServerError) as failed:
            await source.group(failing)
        out.append((failed.value.status, failed.value.message))
        with pytest.raises(ConnectionDropped):
            await source.group(dropped)
        events: list[Any] = []
        with pytest.raises(ConnectionDropped):
            async for event in source.client.events("/invocations/inv1/events"):
                events.append(event)
        return [*out, events]

    with HostileServer(routes) as server:
        recorder = Recorder(session, provider="bctrl", base_url=server.url, key=FAKE_KEY)
        source = PROVIDERS["bctrl"].make_source(
            FAKE_KEY, server.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        assert isinstance(source, HttpSource)
        with pytest.raises(NotFound):
            await source.client.request("GET", "/v1/elsewhere")  # before w: --record's alone
        source.record_to(kept, "bctrl", focus=failing)
        assert source.keeping(failing) and not source.keeping("another")
        live = await read(source)
        source.stop_recording(kept)
        assert not source.keeping(failing)
        with pytest.raises(NotFound):
            await source.client.request("GET", "/v1/elsewhere")  # after w: --record's alone
        await source.aclose()
        recorder.close()
    assert live[1], "the stream's event before it broke"
    kinds = {path: [e["kind"] for e in lines(path)] for path in (session, kept)}
    for path in (session, kept):
        assert {"stream", "frame", "end", "fault", "response"} <= set(kinds[path]), path.name
        assert FAKE_KEY.encode() not in raw(path)
    targets = {
        path: [e.get("target") for e in lines(path) if "t0" in e] for path in (session, kept)
    }
    assert targets[session] == ["/v1/elsewhere", *targets[kept], "/v1/elsewhere"]
    assert load_recording(kept).focus == failing
    for path in (session, kept):
        replayed, _, _ = open_replay(path, speed=math.inf, retry=NO_RETRY)
        assert isinstance(replayed, HttpSource)
        assert await read(replayed) == live, path.name
        await replayed.aclose()


# -- the command line ---------------------------------------------------------------


def test_replay_cli_refuses_what_is_not_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.rwrec"
    bogus.write_bytes(b"not zstd at all")
    assert run_replay([str(bogus)]) == 2
    assert "not a runwatch recording" in capsys.readouterr().err
    assert run_replay([str(tmp_path / "missing.rwrec")]) == 2
    with pytest.raises(ReplayError):
        open_replay(bogus)


async def test_replay_app_keys_pause_step_and_jump(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    path = tmp_path / "session.rwrec"
    with Recorder(path, provider="bctrl", base_url=frozen_gateway.url, clock=frozen) as recorder:
        source = PROVIDERS["bctrl"].make_source(
            FAKE_KEY, frozen_gateway.url, clock=frozen, retry=NO_RETRY, recorder=recorder
        )
        await source.groups()
        await source.aclose()
    source, body, controls = open_replay(path, speed=1.0, retry=NO_RETRY)
    app = ReplayApp(source, load(body), ViewerOptions(), controls=controls)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        assert controls.paused
        await pilot.press("greater_than_sign")
        assert controls.finished
        await pilot.press("space")
        assert not controls.paused
        await wait_for(pilot, lambda: app.viewer.groups.row_count > 0, what="groups")


# -- the end of a replay: its clock stops there ---------------------------------------------


async def record_demo(url: str, directory: Path) -> Path:
    """A recording of the demo as a new user makes it (``runwatch --demo --record FILE``):
    the viewer lands on the active run's failure, and closes with the run still running."""
    path = directory / "demo.rwrec"
    with Recorder(path, provider="bctrl", base_url=url, clock=frozen) as recorder:
        app = recorded_app(url, recorder)
        async with app.run_test(size=(120, 40)) as pilot:
            await landed(pilot, await settled(pilot))
    return path


async def replay_to_the_end(pilot: Any, app: ReplayApp, ended: str) -> str:
    """The replay's screen once its status bar says ``ended``, the viewer on the active
    run's failure."""
    await landed(pilot, await settled(pilot))
    await wait_for(pilot, lambda: ended in status_bar(app), what=ended)
    return screen_text(app)


async def test_at_the_end_of_a_replay_its_clock_stops(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    """A new user's try: at 1000x the recording (under a second) is over at once, yet the
    replay's clock ran on, and the active run's 'running for 3m' grew a minute every 60 ms.
    The clock stops at the recording's last moment: every duration, age and 'running for'
    stays as it was when the recording stopped."""
    path = await record_demo(frozen_gateway.url, tmp_path)
    app = replay_app(path, 1000.0, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        await landed(pilot, await settled(pilot))
        at_the_end = screen_text(app)
        assert "running for 3m" in at_the_end  # as recorded: the run had run for 3 minutes
        await pilot.pause(2.5)  # 2500 recorded seconds at 1000x, two ticks of the durations
        assert screen_text(app) == at_the_end
        assert "REPLAY 1000x ENDED" in status_bar(app)
        assert "every" not in status_bar(app)  # no poll brings anything new after the end


async def test_the_replay_keys_at_the_end_leave_it_ended(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the end, space, . and > say the replay ended (not 'playing' or 'paused' at a
    clock that no longer moves), and the status bar still says ENDED, paused or not."""
    path = await record_demo(frozen_gateway.url, tmp_path)
    toasts = record_toasts(monkeypatch)
    app = replay_app(path, 1000.0, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_to_the_end(pilot, app, "REPLAY 1000x ENDED")
        for key in ("space", "full_stop", "greater_than_sign", "space", "space"):
            await pilot.press(key)
            assert toasts[-1].message.startswith("replay ended at 1000x:"), toasts[-1]
            assert "REPLAY 1000x ENDED" in status_bar(app)
            assert "running for 3m" in screen_text(app)


async def test_the_replays_own_keys_are_in_its_help_and_its_palette(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    """? lists space, . and > in a replay (it listed the viewer's keys only), and the
    command palette offers them."""
    path = await record_demo(frozen_gateway.url, tmp_path)
    app = replay_app(path, 1000.0, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        await landed(pilot, await settled(pilot))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "runwatch — keys" in screen_text(app), what="the help")
        said = " ".join(screen_text(app).split())
        for line in ("space pause or resume the replay", ". step to the next recorded moment"):
            assert line in said, line
        assert "> jump to the recording's end" in said
        await pilot.press("escape", "ctrl+p")
        await pilot.press(*"recording's end")
        await wait_for(
            pilot, lambda: "Jump to the recording's end (>)" in screen_text(app), what="palette"
        )


async def test_stepping_past_the_last_recorded_moment_ends_the_replay(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    """Paused, . walks the recorded moments; after the last one, the recording's end."""
    path = await record_demo(frozen_gateway.url, tmp_path)
    app = replay_app(path, 1.0, paused=True, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in load_recording(path).moments:
            await pilot.press("full_stop")
        await landed(pilot, await settled(pilot))
        assert "REPLAY 1x PAUSED" in status_bar(app)  # the last answer, not yet the end
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: "REPLAY 1x ENDED" in status_bar(app), what="ENDED")
        assert "running for 3m" in screen_text(app)


async def test_at_max_speed_a_replay_is_at_its_end_and_holds_still(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    path = await record_demo(frozen_gateway.url, tmp_path)
    app = replay_app(path, math.inf, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        at_the_end = await replay_to_the_end(pilot, app, "REPLAY max ENDED")
        assert "running for 3m" in at_the_end
        assert "every" not in status_bar(app)  # was 'every 0.2s', the real poll of nothing new
        await pilot.pause(1.5)
        assert screen_text(app) == at_the_end


TERMINAL = re.compile(r"succeeded|failed|cancelled|timed out")
"""A status cell that says the row is over."""


@asynccontextmanager
async def recording_live(provider: str, path: Path) -> AsyncIterator[tuple[Any, RunwatchApp]]:
    """The viewer over a live demo gateway (its world at 10x: rows start, run and end within
    seconds), landed on its failure, every answer recorded to ``path`` as ``runwatch --record``
    does until the block is left."""
    with (
        GatewayServer(GatewayOptions(scenario="demo", speed=10.0)) as gateway,
        Recorder(path, provider=provider, base_url=gateway.url) as recorder,
    ):
        facts = PROVIDERS[provider]
        source = facts.make_source(
            FAKE_KEY, gateway.url, clock=time.time, retry=NO_RETRY, recorder=recorder
        )
        app = RunwatchApp(source, load(facts.detail_body), ViewerOptions(source_label="demo"))
        async with app.run_test(size=(120, 40)) as pilot:
            await landed(pilot, await settled(pilot))
            yield pilot, app


async def follow_a_running_row(pilot: Any, app: RunwatchApp) -> tuple[str, str]:
    """Select a running row (its detail is followed: bctrl's long-poll, Kernel's event
    stream) and wait until it ends; its key and its final status cell."""
    running = lambda: rows_where(app, "status", "running")  # noqa: E731
    await wait_for(pilot, running, timeout=20, what="a running row")
    followed = running()[0]
    await select_row(pilot, app, followed)
    ended = lambda: TERMINAL.search(cell(app, followed, "status"))  # noqa: E731
    await wait_for(pilot, ended, timeout=30, what="the followed row to end")
    return followed, cell(app, followed, "status")


def ended_rows(path: Path, rows_list: str) -> dict[str, str]:
    """The rows the last recorded answer of the row list (targets matching ``rows_list``)
    says are over, and their status as the table words it."""
    recording = load_recording(path)
    answers = [
        answer
        for (_, target), queue in recording.exchanges.items()
        if re.search(rows_list, target)
        for answer in queue
        if answer.kind == "response"
    ]
    body = json.loads(max(answers, key=lambda answer: answer.t).entry["body"])
    rows = body["data"] if isinstance(body, dict) else body
    words = {row["id"]: row["status"].replace("_", " ") for row in rows}
    return {key: word for key, word in words.items() if TERMINAL.fullmatch(word)}


async def max_speed_reaches_the_end(path: Path, rows_list: str, followed: str, final: str) -> None:
    """Replayed at max speed: ENDED at once, with the recording's final states on screen
    (every row its last list answer says is over, and the followed row as it ended)."""
    ended = ended_rows(path, rows_list)
    assert ended
    app = replay_app(path, math.inf, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: "REPLAY max ENDED" in status_bar(app), timeout=10, what="ENDED"
        )
        await landed(pilot, await settled(pilot))
        shown = lambda: {key: cell(app, key, "status") for key in ended}  # noqa: E731
        await wait_for(
            pilot,
            lambda: all(word in shown()[key] for key, word in ended.items()),
            timeout=10,
            what="the final states of the rows",
        )
        await select_row(pilot, app, followed)
        await wait_for(
            pilot, lambda: cell(app, followed, "status") == final, timeout=10, what=final
        )
        assert "REPLAY max ENDED" in status_bar(app)


async def test_at_max_speed_a_live_recording_goes_straight_to_its_end(
    tmp_path: Path,
) -> None:
    """A new user's try: a recording of a live gateway (rows moving, a row followed by
    long-poll) replayed with --speed inf never said ENDED, and its rows stayed as they were
    mid-recording. Max speed is the recording's end at once."""
    path = tmp_path / "live.rwrec"
    async with recording_live("bctrl", path) as (pilot, app):
        followed, final = await follow_a_running_row(pilot, app)
        run = app.viewer.selected_group
    targets = {target for _, target in load_recording(path).exchanges}
    assert f"/v1/invocations/{followed}/wait" in targets  # the long-poll is in it
    # The run's own list (not the other runs' counts, which ask for some statuses only).
    rows_list = rf"^/v1/runs/{run}/invocations\?(?!.*status=)"
    await max_speed_reaches_the_end(path, rows_list, followed, final)


async def test_at_max_speed_a_live_kernel_recording_goes_straight_to_its_end(
    tmp_path: Path,
) -> None:
    """The same for Kernel, whose followed row's log is an event stream."""
    path = tmp_path / "live.rwrec"
    async with recording_live("kernel", path) as (pilot, app):
        followed, final = await follow_a_running_row(pilot, app)
        log = app.viewer.body.log_view  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "complete" in str(log.border_title), what="its log")
    targets = {target for _, target in load_recording(path).exchanges}
    assert any(t.startswith(f"/invocations/{followed}/events") for t in targets)
    await max_speed_reaches_the_end(path, r"^/invocations\?app_name=", followed, final)


async def test_a_recording_cut_short_by_a_crash_still_replays(
    frozen_gateway: GatewayServer, tmp_path: Path
) -> None:
    """Every entry is flushed as it is written: the file as a crash leaves it (no end
    marker, no final frame) replays what it holds."""
    path = tmp_path / "crash.rwrec"
    recorder = Recorder(path, provider="bctrl", base_url=frozen_gateway.url, clock=frozen)
    source = PROVIDERS["bctrl"].make_source(
        FAKE_KEY, frozen_gateway.url, clock=frozen, retry=NO_RETRY, recorder=recorder
    )
    groups = await source.groups()
    await source.aclose()
    cut = tmp_path / "cut.rwrec"
    cut.write_bytes(path.read_bytes())  # before close(): what a crash leaves
    recorder.close()
    replayed, _, _ = open_replay(cut, math.inf)
    assert [g.key for g in await replayed.groups()] == [g.key for g in groups]
    await replayed.aclose()


# -- w: keep a run ---------------------------------------------------------------------------


async def test_w_keeps_a_run_that_replays_offline(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """w records the selected run with every record read for it; the recording opens in the
    viewer offline, on the same run, its failure and its rows' details there."""
    monkeypatch.chdir(tmp_path)
    app = frozen_app(frozen_gateway.url)
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = await settled(pilot)
        await select_group(pilot, app, frozen_gateway.world.runs[3].id)  # the failed run
        await settled(pilot)
        await landed(pilot, viewer)
        await keep(pilot, app)
    kept_file = the_kept_file(tmp_path)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the replay of a kept run touched the network")

    with monkeypatch.context() as blocked:
        blocked.setattr(socket.socket, "connect", refuse)
        blocked.setattr(socket, "create_connection", refuse)
        blocked.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)
        replay = replay_app(kept_file, math.inf, retry=NO_RETRY)  # as runwatch replay does
        async with replay.run_test(size=(120, 40)) as pilot:
            viewer = replay.viewer
            # It opens on the kept run (the list is the server's, and its first run is not
            # in the recording), pinned at the top of the list.
            await wait_for(pilot, lambda: "run 121a2084" in pane(replay, "rows"))
            await settled(pilot)
            await landed(pilot, viewer)
            text = screen_text(replay)
            assert "runtime.crashed" in text and "▾ ✘ #1 page.goto" in text


async def test_w_names_the_recording_by_the_runs_short_id(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``runwatch-121a2084-<time>.rwrec``: the id as the tables show it, as ``b``'s bundle."""
    monkeypatch.chdir(tmp_path)
    app = frozen_app(frozen_gateway.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await select_group(pilot, app, frozen_gateway.world.runs[3].id)  # 121a2084, failed
        await settled(pilot)
        await keep(pilot, app)
    name = only_recording(tmp_path).name
    assert re.fullmatch(r"runwatch-121a2084-\d{8}-\d{6}\.rwrec", name), name


async def test_w_keeps_a_run_each_time_it_is_pressed(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second w, on another run, keeps that run too; a w while one is under way says so
    and waits for nothing (a user trial: every w after the first wrote a header and nothing
    else, and said the run was kept: the second stopped the first, which stopped it)."""
    monkeypatch.chdir(tmp_path)
    toasts = record_toasts(monkeypatch)
    app = frozen_app(frozen_gateway.url)
    runs = frozen_gateway.world.runs
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        for run in (runs[3], runs[2]):
            await select_group(pilot, app, run.id)
            await settled(pilot)
            send_keys(app, "w")  # and again at once, below
            await keep(pilot, app)
    assert sum("Already recording" in t.message for t in toasts) == 2
    for run in (runs[3], runs[2]):
        kept = only_recording(tmp_path, run.id[:8])
        targets = {entry.get("target", "") for entry in lines(kept)}
        read = {t for t in targets if "/v2/invocations/" in t}
        assert len(read) >= 10, (kept.name, sorted(targets)[:10])


async def test_a_kept_runs_file_name_is_whole_in_its_toast_at_80_columns(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The toast said 'runwatch-4d6cc587-20261207-230700.rw' and 'rec' on the next line."""
    monkeypatch.chdir(tmp_path)
    app = frozen_app(frozen_gateway.url)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settled(pilot)
        await keep(pilot, app)
        name = only_recording(tmp_path).name
        await wait_for(pilot, lambda: name in screen_text(app), what=f"{name} on one line")


async def test_w_keeps_a_run_while_record_goes_on(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``--record``, w keeps the run all the same (it said 'Already recording' for the
    whole session: --record never ends); --record's file goes on, and gets what w read too.
    A second w on the run while the first is under way says so. Both files replay."""
    monkeypatch.chdir(tmp_path)
    toasts = record_toasts(monkeypatch)
    session = tmp_path / "session.rwrec"
    recorder = recorder_for(session, "bctrl", frozen_gateway.url, FAKE_KEY)  # as --record
    app = recorded_app(frozen_gateway.url, recorder)
    runs = frozen_gateway.world.runs
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = await settled(pilot)
        await select_group(pilot, app, runs[3].id)  # the failed run
        await settled(pilot)
        await landed(pilot, viewer)
        toasts.clear()
        send_keys(app, "w", "w")
        await wait_for(pilot, lambda: len(toasts) >= 2, what="what the two w's say")
        first, second = toasts[:2]
        assert first.message.startswith("Recording this run"), first
        assert second.message.startswith("Already recording this run (a w under way)"), second
        await wait_for(pilot, lambda: any(t.title == "Run kept" for t in toasts), timeout=30)
        assert viewer.source.client.recorders == [recorder]  # type: ignore[attr-defined]
        await select_group(pilot, app, runs[2].id)  # read after w: --record's alone
        await settled(pilot)
        await landed(pilot, viewer)
        after = viewer.selected_row
        assert after is not None
    recorder.close()
    assert recorder.error is None
    kept = the_kept_file(tmp_path)
    assert load_recording(kept).focus == runs[3].id
    kept_targets = {entry.get("target", "") for entry in lines(kept)}
    session_targets = {entry.get("target", "") for entry in lines(session)}
    assert kept_targets <= session_targets, sorted(kept_targets - session_targets)[:5]
    assert any(after in t for t in session_targets)
    assert not any(after in t for t in kept_targets)
    assert load_recording(session).focus is None
    assert FAKE_KEY.encode() not in raw(session)
    for path in (kept, session):  # as runwatch replay opens them
        await replays_the_failed_run(path, runs[3].id)


async def test_w_on_another_run_while_one_is_kept_keeps_that_one_too(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A w on a second run while the first run's keep is still reading keeps the second
    run as well (it said 'Already recording'); each file has all of its own run."""
    from tui import bundle

    monkeypatch.chdir(tmp_path)
    toasts = record_toasts(monkeypatch)
    first, second = frozen_gateway.world.runs[3], frozen_gateway.world.runs[2]
    release = asyncio.Event()
    collect = bundle.collect

    async def held(source: Source, key: str, **options: Any) -> Any:
        if key == first.id:  # the first keep stays under way until the second has begun
            await release.wait()
        return await collect(source, key, **options)

    monkeypatch.setattr(bundle, "collect", held)
    app = frozen_app(frozen_gateway.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await select_group(pilot, app, first.id)
        await pilot.press("w")
        await select_group(pilot, app, second.id)
        await pilot.press("w")
        release.set()
        kept = lambda: sum(t.title == "Run kept" for t in toasts)  # noqa: E731
        await wait_for(pilot, lambda: kept() == 2 or "Already" in str(toasts), timeout=30)
    said = [t.message for t in toasts if "ecording" in t.message]
    assert said == ["Recording this run with all its records…"] * 2, said
    for run in (first, second):
        path = only_recording(tmp_path, run.id[:8])
        assert load_recording(path).focus == run.id
        targets = " ".join(str(e.get("target", "")) for e in lines(path))
        unread = [p.id for p in run.invocations if f"/v2/invocations/{p.id}" not in targets]
        assert run.invocations and not unread, (path.name, unread[:3])


async def replays_the_failed_run(path: Path, run: str) -> None:
    """``path`` opens in ``runwatch replay``, and shows ``run``'s failure."""
    replay = replay_app(path, math.inf, retry=NO_RETRY)
    async with replay.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: replay.viewer.groups.row_count > 0, what="runs")
        await select_group(pilot, replay, run)
        await settled(pilot)
        await landed(pilot, replay.viewer)
        text = screen_text(replay)
        assert "runtime.crashed" in text and "▾ ✘ #1 page.goto" in text, path.name


def frozen_app(url: str) -> RunwatchApp:
    """The viewer over bctrl at ``url``, on the frozen clock, as a user keeps runs with w."""
    facts = PROVIDERS["bctrl"]
    source = facts.make_source(FAKE_KEY, url, clock=frozen, retry=NO_RETRY)
    return RunwatchApp(source, load(facts.detail_body), ViewerOptions(), clock=frozen)


async def keep(pilot: Any, app: RunwatchApp) -> None:
    """Press w and wait for the toast that says the run was kept."""
    kept: list[str] = []
    said = app.notify

    def notify(message: str, **kw: Any) -> None:
        kept.append(str(kw.get("title", "")))
        said(message, **kw)

    app.notify = notify  # type: ignore[method-assign]
    await pilot.press("w")
    await wait_for(pilot, lambda: "Run kept" in kept, timeout=30, what="the kept run")


def the_kept_file(directory: Path) -> Path:
    """The one recording ``w`` wrote: every row's record in it, never the key."""
    recordings = list(directory.glob("runwatch-121a2084*.rwrec"))
    assert len(recordings) == 1
    assert FAKE_KEY.encode() not in raw(recordings[0])
    targets = {entry.get("target", "") for entry in lines(recordings[0])}
    read = {t for t in targets if "/v2/invocations/" in t or t.endswith("/wait")}
    assert len(read) >= 18, f"every row's record read: {sorted(targets)[:20]}"
    return recordings[0]


async def test_w_keeps_the_logs_kernel_already_read(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kernel: the viewer opens on a failed invocation and reads its whole log before w; the
    kept recording still has that log (a finished log's cursor answered from memory, so the
    recording had none and its replay said 'not in the recording')."""
    monkeypatch.chdir(tmp_path)
    facts = PROVIDERS["kernel"]
    source = facts.make_source(FAKE_KEY, frozen_gateway.url, clock=frozen, retry=NO_RETRY)
    app = RunwatchApp(source, load(facts.detail_body), ViewerOptions(), clock=frozen)
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = await settled(pilot)
        await landed(pilot, viewer)
        failed = viewer.selected_row
        assert failed is not None
        await wait_for(pilot, lambda: "complete" in str(viewer.body.log_view.border_title))
        await keep(pilot, app)
    kept_file = only_recording(tmp_path)
    targets = {entry.get("target", "") for entry in lines(kept_file)}
    assert any(t.startswith(f"/invocations/{failed}/events") for t in targets), targets
    replay = replay_app(kept_file, math.inf, retry=NO_RETRY)
    async with replay.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: replay.viewer.selected_row == failed, what="the failure")
        log = replay.viewer.body.log_view
        await wait_for(pilot, lambda: "complete" in str(log.border_title), what="its log")
        assert log.count > 0


def only_recording(directory: Path, start: str = "") -> Path:
    (path,) = directory.glob(f"runwatch-{start}*.rwrec")
    return path


async def test_a_watch_recording_says_which_records_it_does_not_hold(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``runwatch watch --record`` reads the rows, and why each failed, not every row's record.
    Replayed, a failed row's detail is whole; another row's says the recording was made by
    watch, and the detail is not said to be followed (a new user's try: 'following
    (long-poll) · not found · HTTP 404', with no word of why)."""
    from tui.cli import main

    monkeypatch.setenv("BCTRL_API_KEY", FAKE_KEY)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    path = tmp_path / "watch.rwrec"
    args = ["watch", "121a", "--once", "--base-url", frozen_gateway.url, "--record", str(path)]
    assert await asyncio.to_thread(main, args) == 0  # it runs a loop of its own
    assert load_recording(path).header.get("made_by") == "watch"
    app = replay_app(path, math.inf, retry=NO_RETRY)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"), what="the run")
        await landed(pilot, await settled(pilot))  # on its first failure: read by watch
        assert "▾ ✘ #1 page.goto" in region_text(app, "#detail-pane")
        succeeded = rows_where(app, "status", "succeeded")
        assert succeeded
        await select_row(pilot, app, succeeded[0])
        said = lambda: " ".join(region_text(app, "#detail-pane").split())  # noqa: E731
        await wait_for(pilot, lambda: "runwatch watch records the rows" in said(), what="why")
        border = pane(app, "detail")
        assert "not found" in border and "following" not in border, border


async def test_a_kernel_watch_recording_says_it_holds_no_list_not_the_server(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay of ``watch --provider kernel web --record`` opens on the app watch read,
    every version, counted (it showed '? —'); another app version's invocations are not in
    it, and the screen says so in the replay's words (it said 'this server has no
    invocation list', of a server that had one)."""
    from tui.cli import main

    monkeypatch.setenv("KERNEL_API_KEY", FAKE_KEY)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    path = tmp_path / "watch.rwrec"
    url = frozen_gateway.url
    args = ["watch", "--provider", "kernel", "web", "--once", "--base-url", url, "--record"]
    assert await asyncio.to_thread(main, [*args, str(path)]) in (0, 1)
    app = replay_app(path, math.inf, retry=NO_RETRY)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: "app version web-scraper" in pane(app, "rows"))
        assert re.search(r"[▶✘✔] \w+ +◆ web-scraper +all ", screen_text(app))
        assert "not in the recording" not in screen_text(app), "all it shows was recorded"
        await pilot.press("j")  # another app version: not read by watch
        await wait_for(pilot, lambda: "not in the recording" in screen_text(app), what="said")
        assert "has no invocation list" not in screen_text(app)
