"""Helpers for Pilot tests of the viewer."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from tui.api.client import BctrlClient
from tui.app import RunwatchApp
from tui.screens.main_screen import MainScreen
from tui.sim.server import GatewayServer

from .conftest import fast_retry


def make_app(gateway: GatewayServer, *, key: str = "test-key", **kwargs: object) -> RunwatchApp:
    client = BctrlClient(key, gateway.url, retry=fast_retry())
    kwargs.setdefault("source_label", "test gateway")
    return RunwatchApp(client, **kwargs)  # type: ignore[arg-type]


async def wait_for(
    pilot: Pilot[None],
    predicate: Callable[[], bool],
    timeout: float = 15.0,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def main(app: RunwatchApp) -> MainScreen:
    screen = app.main_screen
    assert isinstance(screen, MainScreen)
    return screen


async def loaded(pilot: Pilot[None], app: RunwatchApp) -> MainScreen:
    """Wait until runs, the first run's invocations and a detail are on screen."""
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="main screen")
    screen = main(app)
    await wait_for(pilot, lambda: screen.run_list.row_count > 0, what="runs")
    await wait_for(pilot, lambda: screen.state.invocations_complete, what="invocations")
    return screen
