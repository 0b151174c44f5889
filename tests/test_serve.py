"""``runwatch serve``: textual-serve on 127.0.0.1 only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


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


def test_serve_binds_loopback_only() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "RUNWATCH_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "textual" in page.text.lower()
        assert _listeners(port) == {"0100007F"}, "listening on 127.0.0.1 and nothing else"
    finally:
        process.terminate()
        process.wait(10)


def test_serve_rejects_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--port" in result.stderr
