"""Deterministic views of the viewer, for snapshot tests and ``make screenshots``.

A frozen world clock and a frozen app clock make every frame identical run after run.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tui.api.client import BctrlClient, RetryPolicy
from tui.api.http import HttpApi
from tui.api.kernel import KernelClient
from tui.app import RunwatchApp
from tui.screens.kernel_screen import KernelScreen
from tui.screens.main_screen import MainScreen
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayServer
from tui.sim.world import World

FROZEN_NOW = 1_790_000_000.0
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def frozen_gateway(faults: FaultConfig | None = None) -> GatewayServer:
    """A gateway whose world never moves."""
    world = World("demo", seed=7, clock=lambda: FROZEN_NOW)
    return GatewayServer(world=world, faults=faults).start()


def frozen_app(url: str, provider: str = "bctrl") -> RunwatchApp:
    retry = RetryPolicy(max_retries=0)
    client: HttpApi = (
        KernelClient("snapshot-key", url, retry=retry)
        if provider == "kernel"
        else BctrlClient("snapshot-key", url, retry=retry)
    )
    return RunwatchApp(client, source_label="demo gateway", clock=lambda: FROZEN_NOW)


async def _until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("view did not settle")
        await pilot.pause(0.05)


async def _settled(pilot: Pilot[None]) -> MainScreen:
    app = pilot.app
    assert isinstance(app, RunwatchApp)
    await _until(pilot, lambda: isinstance(app.screen, MainScreen))
    screen = app.main_screen
    assert isinstance(screen, MainScreen)
    await _until(pilot, lambda: screen.state.invocations_complete and screen.run_list.row_count > 0)
    return screen


async def _detail_ready(pilot: Pilot[None], screen: MainScreen) -> None:
    def ready() -> bool:
        selected = screen.state.selected_invocation_id
        return (
            selected is not None
            and selected == screen.table.selected_key
            and selected in screen.state.fulls
            and screen.detail.invocation_id == selected
        )

    await _until(pilot, ready)
    await pilot.pause(0.3)


async def view_main(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The main screen as a new user sees it."""
    screen = await _settled(pilot)
    await pilot.press("tab")
    await _detail_ready(pilot, screen)


async def view_failed(pilot: Pilot[None], faults: FaultConfig) -> None:
    """A failed invocation with its diagnostics expanded."""
    screen = await _settled(pilot)
    await pilot.press("tab")
    for _ in range(10):
        await pilot.press("n")
        await _detail_ready(pilot, screen)
        full = screen.state.fulls[screen.state.selected_invocation_id or ""]
        if full.result and any(
            s.error.diagnostic and s.error.diagnostic.closest for s in full.result.failed_steps
        ):
            break
    await pilot.press("enter", "e")
    await pilot.pause(0.3)


async def view_help(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The ? help screen."""
    await _settled(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.3)


async def view_filter(pilot: Pilot[None], faults: FaultConfig) -> None:
    """Failures only plus a text filter."""
    screen = await _settled(pilot)
    await pilot.press("tab", "F")
    await _settled(pilot)
    await pilot.press("slash", *"timeout", "enter")
    await _detail_ready(pilot, screen)


async def view_error(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The invocation pane after the server starts failing: old data kept, error shown."""
    screen = await _settled(pilot)
    await pilot.press("tab")
    await _detail_ready(pilot, screen)
    faults.force("503", 10_000, "/v1/runs/")
    screen.fresh["invocations"].next_retry_at = None
    await pilot.press("r")
    await _until(pilot, lambda: screen.fresh["invocations"].error is not None)
    screen.fresh["invocations"].next_retry_at = FROZEN_NOW + 4
    screen.refresh_titles()
    await pilot.pause(0.2)


async def view_kernel(pilot: Pilot[None], faults: FaultConfig) -> None:
    """Kernel: an app's invocations and a running invocation's streamed log."""
    app = pilot.app
    assert isinstance(app, RunwatchApp)
    await _until(pilot, lambda: isinstance(app.screen, KernelScreen))
    screen = app.main_screen
    assert isinstance(screen, KernelScreen)
    await _until(pilot, lambda: screen.app_list.row_count > 0 and screen.state.complete)
    # The first app version (in list order) with an invocation still running.
    for _ in range(screen.app_list.row_count):
        await _until(pilot, lambda: screen.state.complete)
        if any(not inv.terminal for inv in screen.state.invocations.values()):
            break
        await pilot.press("down")
        await pilot.pause(0.1)
    await pilot.press("tab")
    running = next(k for k, inv in screen.state.invocations.items() if not inv.terminal)
    screen.table.select_key(running)
    await _until(pilot, lambda: screen.state.selected_invocation_id == running)
    await _until(pilot, lambda: len(screen.state.logs.get(running, [])) > 3)
    await pilot.pause(0.5)


VIEWS: dict[str, Callable[[Pilot[None], FaultConfig], Awaitable[None]]] = {
    "main": view_main,
    "failed-diagnostics": view_failed,
    "help": view_help,
    "filter": view_filter,
    "error": view_error,
    "kernel": view_kernel,
}
VIEW_PROVIDERS = {"kernel": "kernel"}


async def _save(view: str, size: tuple[int, int], out: Path) -> Path:
    faults = FaultConfig()
    server = frozen_gateway(faults)
    try:
        app = frozen_app(server.url, VIEW_PROVIDERS.get(view, "bctrl"))
        async with app.run_test(size=size) as pilot:
            await VIEWS[view](pilot, faults)
            path = out / f"{view}-{size[0]}x{size[1]}.svg"
            path.write_text(app.export_screenshot(title=f"runwatch — {view}"))
    finally:
        server.stop()
    return path


def main(argv: list[str]) -> int:
    """``python -m tui.screenshots OUT_DIR``: write every view at 120x40 and 80x24."""
    out = Path(argv[0] if argv else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for view in VIEWS:
        for size in SIZES.values():
            print(asyncio.run(_save(view, size, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
