"""The demo gateway in its own process: serves at once, stops with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tui.sim.child import spawn
from tui.sim.options import GatewayOptions


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


def test_child_gateway_serves_and_stops() -> None:
    child = spawn(GatewayOptions(scenario="ci"))
    try:
        # The socket listens before the child has even imported its HTTP stack.
        response = httpx.get(
            child.url + "/v1/runs", headers={"Authorization": "Bearer x"}, timeout=60
        )
        assert response.status_code == 200 and len(response.json()["data"]) == 2
        kernel = httpx.get(
            child.url + "/invocations", headers={"Authorization": "Bearer x"}, timeout=60
        )
        assert kernel.status_code == 200 and kernel.headers["x-has-more"] in ("true", "false")
    finally:
        child.stop()
    assert child.process.poll() is not None


def test_child_gateway_exits_when_its_parent_is_killed() -> None:
    code = (
        "from tui.sim.child import spawn; from tui.sim.options import GatewayOptions; "
        "import time; c = spawn(GatewayOptions()); print(c.process.pid, flush=True); "
        "time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    assert _alive(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait(5)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "an orphaned gateway must not keep running"
