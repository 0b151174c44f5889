"""``runwatch serve``: textual-serve on 127.0.0.1 only, for this machine's browser only.

The served viewer holds the API key, so no other website may reach it: every request must
carry the per-start secret printed at start (in the URL's path), name 127.0.0.1 or localhost
as its Host (a DNS-rebinding page names its own), and come from no Origin or the viewer's own
(a WebSocket opened by another site says where it comes from).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _listeners(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                found.add(address)
    return found


@dataclass
class Served:
    """A running ``runwatch serve --demo``: its port, the URL it printed, and its output."""

    port: int
    url: str  # with the secret
    process: subprocess.Popen[str]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def secret(self) -> str:
        return self.url.removeprefix(self.origin).strip("/")


def serve_env(config: Path) -> dict[str, str]:
    """No key, no profile of the user's: the served app gets its own config directory."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "KERNEL_", "RUNWATCH_"))
    }
    env["RUNWATCH_CONFIG_DIR"] = str(config)
    return env


def serving(
    args: list[str], port: int, env: dict[str, str], *, cwd: Path | None = None, banner: str = ""
) -> Iterator[Served]:
    """``python -m tui ARGS`` serving on ``port``: its printed URL (its first line, starting
    with ``banner``), once the server answers; stopped after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(banner), first
        match = re.search(rf"http://127\.0\.0\.1:{port}\S*", first)
        assert match, f"no URL in {first!r}"
        served = Served(port, match.group(0), process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(served.origin, timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = _free_port()
    env = serve_env(tmp_path_factory.mktemp("config"))
    yield from serving(["serve", "--demo", "--port", str(port)], port, env)


def test_serve_binds_loopback_only(served: Served) -> None:
    assert _listeners(served.port) == {"0100007F"}, "listening on 127.0.0.1 and nothing else"


def test_the_printed_url_serves_the_viewer(served: Served) -> None:
    assert len(served.secret) >= 20, "a per-start secret in the printed URL"
    page = httpx.get(served.url, timeout=10)
    assert page.status_code == 200 and "textual" in page.text.lower()
    assert page.headers.get("referrer-policy") == "no-referrer", "the secret stays off Referer"
    socket_url = re.search(r'data-session-websocket-url="([^"]+)"', page.text)
    assert socket_url and socket_url.group(1) == f"ws://127.0.0.1:{served.port}/{served.secret}/ws"
    static = re.search(r'<script src="([^"]+)"', page.text)
    assert static and served.secret in static.group(1)
    assert httpx.get(static.group(1), timeout=10).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ws",
        "/static/js/textual.js",
        "/download/x",
        "/{wrong}/",
        "/{wrong}/static/js/textual.js",
    ],
)
def test_without_the_secret_403(served: Served, path: str) -> None:
    wrong = "x" * len(served.secret)
    response = httpx.get(served.origin + path.format(wrong=wrong), timeout=10)
    assert response.status_code == 403
    assert served.secret not in response.text


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "127.0.0.1"]
)
def test_a_foreign_host_is_refused(served: Served, host: str) -> None:
    """DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1."""
    response = httpx.get(served.url, headers={"Host": host.format(port=served.port)}, timeout=10)
    assert response.status_code == 403


def test_localhost_is_a_name_for_the_same_viewer(served: Served) -> None:
    url = served.url.replace("127.0.0.1", "localhost")
    assert httpx.get(url, timeout=10).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_a_cross_origin_request_is_refused(served: Served, origin: str) -> None:
    response = httpx.get(served.url, headers={"Origin": origin}, timeout=10)
    assert response.status_code == 403


async def _websocket(served: Served, origin: str | None) -> tuple[int | None, bytes]:
    """Open the viewer's WebSocket from ``origin``: (handshake refusal status, first bytes)."""
    url = f"ws://127.0.0.1:{served.port}/{served.secret}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                url, origin=origin, timeout=aiohttp.ClientWSTimeout(10)
            ) as ws:
                received = b""
                deadline = time.monotonic() + 60
                while b"runwatch" not in received and time.monotonic() < deadline:
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


def test_the_websocket_with_the_secret_drives_the_viewer(served: Served) -> None:
    status, received = asyncio.run(_websocket(served, served.origin))
    assert status is None and b"runwatch" in received


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example"])
def test_a_cross_origin_websocket_is_refused(served: Served, origin: str) -> None:
    status, received = asyncio.run(_websocket(served, origin))
    assert status == 403 and received == b""


def test_serve_rejects_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--port" in result.stderr


def test_serve_passes_the_api_and_provider_to_each_viewer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each browser's viewer is started with the flags ``serve`` was given."""
    import tui.serve
    from tui.cli import run_serve

    started: list[list[str]] = []
    monkeypatch.setattr(tui.serve, "serve_runwatch", lambda args, **_: started.append(list(args)))
    assert run_serve(["--demo", "--api", "current", "--port", "8123"]) == 0
    assert run_serve(["--provider", "kernel", "--profile", "ci"]) == 0
    assert started == [["--demo", "--api", "current"], ["--profile", "ci", "--provider", "kernel"]]
