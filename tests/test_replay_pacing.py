"""A replay in the viewer (issue 16's leftovers): the status bar says REPLAY, not LIVE.

The recording here is a run list polled every 2 recorded seconds, one more run every tenth
answer."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import pytest

from tui.providers import PROVIDERS, load
from tui.providers.http import RetryPolicy
from tui.providers.record import Recorder
from tui.replay_cli import ReplayApp, replay_app
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions

from .conftest import FROZEN_NOW
from .hostile_server import Conn, HostileServer, Request
from .viewer_helpers import screen_text, wait_for

ANSWERS = 300
GAP = 2.0
"""Recorded seconds between two polls of the run list."""


def runs(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"{i:08x}-0000-4000-8000-000000000000",
            "runtimeId": f"{i:08x}-1111-4000-8000-000000000000",
            "runtimeType": "browser",
            "spaceId": "5f46ea54-c866-46e3-a6c3-d83062a3ebbc",
            "status": "active",
            "createdAt": "2026-09-21T12:00:00.000Z",
            "startedAt": "2026-09-21T12:00:00.500Z",
        }
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording of the run list asked every 2 recorded seconds, growing as it goes."""
    path = tmp_path_factory.mktemp("replay") / "polled.rwrec"
    served = [0]

    async def run_list(request: Request, conn: Conn) -> None:
        served[0] += 1
        await conn.json({"data": runs(1 + (served[0] - 1) // 10), "nextCursor": None})

    async def record() -> None:
        now = [0.0]
        with (
            HostileServer({("GET", "/v1/runs"): run_list}) as server,
            Recorder(
                path,
                provider="bctrl",
                base_url=server.url,
                clock=lambda: FROZEN_NOW + now[0],
                monotonic=lambda: now[0],
            ) as recorder,
        ):
            source = PROVIDERS["bctrl"].make_source(
                "k",
                server.url,
                clock=lambda: FROZEN_NOW + now[0],
                retry=RetryPolicy(max_retries=0),
                recorder=recorder,
            )
            for _ in range(ANSWERS):
                await source.groups()
                now[0] += GAP
            await source.aclose()

    asyncio.run(record())
    return path


def status_bar(app: ReplayApp) -> str:
    return screen_text(app).splitlines()[0]


# -- the status bar -----------------------------------------------------------------------


async def test_the_status_bar_says_replay_and_its_speed_not_live(polled: Path) -> None:
    app = replay_app(polled, 10.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "REPLAY 10x" in status_bar(app), what="REPLAY")
        assert "LIVE" not in screen_text(app) and "PAUSED" not in status_bar(app)
        await pilot.press("space")  # the replay's pause
        await wait_for(pilot, lambda: "REPLAY 10x PAUSED" in status_bar(app), what="PAUSED")
        assert "LIVE" not in screen_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: "PAUSED" not in status_bar(app), what="resumed")
        assert "REPLAY 10x" in status_bar(app)
        await pilot.press("p")  # the viewer's own pause (polling) says so too
        await wait_for(pilot, lambda: "REPLAY 10x PAUSED" in status_bar(app), what="p")
        assert "LIVE" not in screen_text(app)


async def test_a_replay_at_max_speed_says_so(polled: Path) -> None:
    app = replay_app(polled, math.inf, paused=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "REPLAY max PAUSED" in status_bar(app), what="max")
        assert "LIVE" not in screen_text(app)


async def test_a_live_viewer_still_says_live(polled: Path) -> None:
    """The REPLAY word comes from the replay alone: the same viewer over a live source."""
    with HostileServer({("GET", "/v1/runs"): _one_run}) as server:
        source = PROVIDERS["bctrl"].make_source(
            "k", server.url, clock=time.time, retry=RetryPolicy(max_retries=0)
        )
        app = RunwatchApp(source, load(PROVIDERS["bctrl"].detail_body), ViewerOptions())
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "LIVE" in status_bar(app), what="LIVE")
            assert "REPLAY" not in screen_text(app)


async def _one_run(request: Request, conn: Conn) -> None:
    await conn.json({"data": runs(1), "nextCursor": None})
