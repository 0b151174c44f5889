"""``runwatch replay FILE --serve``: the replay in a browser, served as ``runwatch serve``
serves the viewer: 127.0.0.1 only, a per-start secret in the printed URL, Host and Origin
checked (see tests/test_serve.py for the server's rules in full)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from tui.providers import PROVIDERS
from tui.providers.http import RetryPolicy
from tui.providers.record import Recorder
from tui.sim.server import GatewayServer
from tui.sim.world import World

from .conftest import FROZEN_NOW
from .test_serve import Served, _free_port, _listeners, serve_env, serving


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's run list, recorded."""
    path = tmp_path_factory.mktemp("served") / "demo run.rwrec"

    async def record() -> None:
        world = World("demo", seed=7, clock=lambda: FROZEN_NOW)
        with (
            GatewayServer(world=world) as gateway,
            Recorder(path, provider="bctrl", base_url=gateway.url) as recorder,
        ):
            source = PROVIDERS["bctrl"].make_source(
                "k",
                gateway.url,
                clock=lambda: FROZEN_NOW,
                retry=RetryPolicy(max_retries=0),
                recorder=recorder,
            )
            await source.groups()
            await source.aclose()

    asyncio.run(record())
    return path


@pytest.fixture(scope="module")
def served(recording: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = _free_port()
    replay = ["replay", recording.name, "--speed", "10", "--serve", "--port", str(port)]
    env = serve_env(tmp_path_factory.mktemp("config"))
    # A relative path, with a space in the name.
    yield from serving(replay, port, env, cwd=recording.parent, banner="runwatch replay: ")


def test_a_served_replay_binds_loopback_only(served: Served) -> None:
    assert _listeners(served.port) == {"0100007F"}, "listening on 127.0.0.1 and nothing else"


def test_the_printed_url_serves_the_page_and_nothing_else_does(served: Served) -> None:
    assert len(served.secret) >= 20, "a per-start secret in the printed URL"
    page = httpx.get(served.url, timeout=10)
    assert page.status_code == 200 and "textual" in page.text.lower()
    assert page.headers.get("referrer-policy") == "no-referrer"
    wrong = "x" * len(served.secret)
    for path in ("/", f"/{wrong}/", "/ws", f"/{wrong}/ws"):
        assert httpx.get(served.origin + path, timeout=10).status_code == 403, path
    foreign = httpx.get(served.url, headers={"Host": f"evil.example:{served.port}"}, timeout=10)
    assert foreign.status_code == 403
    cross = httpx.get(served.url, headers={"Origin": "http://evil.example"}, timeout=10)
    assert cross.status_code == 403


async def _screen(served: Served, origin: str, until: bytes) -> tuple[int | None, bytes]:
    """What the served app writes over its WebSocket until ``until`` shows (or a minute
    passes): (the handshake's refusal status, the bytes)."""
    url = f"ws://127.0.0.1:{served.port}/{served.secret}/ws?width=120&height=40"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                url, origin=origin, timeout=aiohttp.ClientWSTimeout(10)
            ) as ws:
                received = b""
                deadline = time.monotonic() + 60
                while until not in received and time.monotonic() < deadline:
                    message = await ws.receive()
                    if message.type == aiohttp.WSMsgType.BINARY:
                        received += message.data
                    elif message.type == aiohttp.WSMsgType.TEXT:
                        received += message.data.encode()
                    else:
                        break
                return None, received
        except aiohttp.WSServerHandshakeError as error:
            return error.status, b""


def test_the_websocket_drives_the_replay(served: Served) -> None:
    """The page's WebSocket runs the replay (REPLAY and its speed in the status bar), with
    no key in the environment."""
    status, received = asyncio.run(_screen(served, served.origin, b"REPLAY 10x"))
    assert status is None and b"REPLAY 10x" in received
    assert b"LIVE" not in received


def test_a_cross_origin_websocket_is_refused(served: Served) -> None:
    status, received = asyncio.run(_screen(served, "http://evil.example", b"REPLAY"))
    assert status == 403 and received == b""


def _replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "replay", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("port", ["0", "65536"])
def test_serve_rejects_a_bad_port(recording: Path, port: str) -> None:
    result = _replay(str(recording), "--serve", "--port", port)
    assert result.returncode == 2 and "--port" in result.stderr
    assert "http://" not in result.stdout, "nothing served"


def test_serve_refuses_what_is_not_a_recording_before_serving(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.rwrec"
    bogus.write_bytes(b"not zstd at all")
    result = _replay(str(bogus), "--serve", "--port", str(_free_port()))
    assert result.returncode == 2 and "not a runwatch recording" in result.stderr
    assert "http://" not in result.stdout


def test_port_needs_serve(recording: Path) -> None:
    result = _replay(str(recording), "--port", "8000")
    assert result.returncode == 2 and "--serve" in result.stderr
