"""Soak: the viewer against a faulty gateway, driven by keys: a few seconds in `make test`,
ten minutes in `make soak` (which also checks that memory grows by less than 10 %).

The gateway runs in its own process so the memory figures are the viewer's alone.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator

import pytest
from textual.message import Message
from textual.worker import Worker, WorkerState

from bench.harness import gateway

from .viewer_helpers import make_app, screen_text, wait_for

KEYS = [
    "j", "j", "k", "tab", "n", "enter", "e", "escape", "N", "F", "j", "F", "s", "s",
    "a", "tab", "G", "g", "r", "p", "p", "plus", "minus", "y", "escape", "o", "escape",
    "question_mark", "escape", "shift+tab", "j", "P", "P", "z", "slash", "q", "escape",
]  # fmt: skip


@pytest.fixture
def faulty_gateway_url() -> Iterator[str]:
    with gateway("--faults", "--speed", "2") as url:
        yield url


def _rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _soak(url: str, seconds: float, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    monkeypatch.setenv("SSH_CONNECTION", "soak")  # `o` must never start a browser
    failures: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state == WorkerState.ERROR:
            failures.append(f"{message.worker.name}: {message.worker.error!r}")

    app = make_app(url, interval=0.5)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: "shown" in screen_text(app), what="rows")
        started = time.monotonic()
        baseline_at = started + min(60.0, seconds / 5)
        keys = itertools.cycle(KEYS)
        while time.monotonic() - started < seconds:
            await pilot.press(next(keys))
            await pilot.pause(0.2)
            if "baseline" not in figures and time.monotonic() >= baseline_at:
                figures["baseline"] = _rss_kib()
            assert app.is_running, "no key sequence quits or crashes the viewer"
            assert not failures, failures
        await pilot.press("escape", "escape", "r")
        if "Invocations" not in screen_text(app):
            await pilot.press("z")  # the keys stopped on a zoomed pane: back to all three
        # After all that, against a gateway that fails one request in seven, the viewer
        # still shows its data and says how fresh it is.
        await wait_for(pilot, lambda: " shown · " in screen_text(app), timeout=30, what="rows")
        figures["end"] = _rss_kib()
    assert not failures, failures
    return figures


async def test_soak(faulty_gateway_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seconds = float(os.environ.get("RUNWATCH_SOAK_SECONDS", "12"))
    figures = await _soak(faulty_gateway_url, seconds, monkeypatch)
    assert figures["end"] > figures["baseline"] * 0.5, "the process is the one measured"


@pytest.mark.slow
async def test_soak_ten_minutes_memory(
    faulty_gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds = float(os.environ.get("RUNWATCH_LONG_SOAK_SECONDS", "600"))
    figures = await _soak(faulty_gateway_url, seconds, monkeypatch)
    growth = (figures["end"] - figures["baseline"]) / figures["baseline"]
    print(
        f"\nsoak {seconds:.0f}s: RSS {figures['baseline'] / 1024:.1f} MiB -> "
        f"{figures['end'] / 1024:.1f} MiB ({growth:+.1%})"
    )
    assert growth < 0.10
