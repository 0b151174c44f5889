"""Deterministic views of the viewer, for the snapshot tests and ``make screenshots``.

A frozen world clock and a frozen app clock make every frame identical run after run. Not
shipped: ``python -m bench.screenshots OUT_DIR`` writes every view at 120x40 and 80x24.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tui.providers import PROVIDERS, load
from tui.providers.http import RetryPolicy
from tui.providers.record import Recorder
from tui.replay_cli import replay_app
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayServer
from tui.sim.world import World
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions
from tui.ui.viewer import ViewerScreen

FROZEN_NOW = 1_790_000_000.0
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
WIDE = {"failed-run": (200, 50), "kernel": (200, 50)}
"""Views also taken wide: the table and the detail side by side under the runs strip."""


def frozen_gateway(faults: FaultConfig | None = None, scenario: str = "demo") -> GatewayServer:
    """A gateway whose world never moves."""
    world = World(scenario, seed=7, clock=lambda: FROZEN_NOW)
    return GatewayServer(world=world, faults=faults).start()


def frozen_app(
    url: str, provider: str = "bctrl", *, recorder: Recorder | None = None, **options: object
) -> RunwatchApp:
    facts = PROVIDERS[provider]
    source = facts.make_source(
        "snapshot-key",
        url,
        clock=lambda: FROZEN_NOW,
        retry=RetryPolicy(max_retries=0),
        recorder=recorder,
    )
    viewer_options = ViewerOptions(source_label="demo gateway", **options)  # type: ignore[arg-type]
    return RunwatchApp(source, load(facts.detail_body), viewer_options, clock=lambda: FROZEN_NOW)


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("view did not settle")
        await pilot.pause(0.05)


async def settled(pilot: Pilot[None]) -> ViewerScreen:
    """The viewer with groups and the selected group's rows loaded."""
    app = pilot.app
    assert isinstance(app, RunwatchApp)
    await until(pilot, lambda: isinstance(app.screen, ViewerScreen))
    viewer = app.viewer

    def ready() -> bool:
        group = viewer.store.groups.get(viewer.selected_group or "")
        described = group is not None and (group.rank > 0 or not viewer.describes_groups)
        loaded = viewer.groups.row_count > 0 and viewer.store.complete and described
        return loaded and not viewer.counting  # the listed runs' failures counted

    await until(pilot, ready)
    return viewer


async def detail_ready(pilot: Pilot[None], viewer: ViewerScreen) -> None:
    """The selected row's full record has arrived and is final."""

    def ready() -> bool:
        key = viewer.selected_row
        return key is not None and key == viewer.table.selected_key and viewer.store.final(key)

    await until(pilot, ready)
    await pilot.pause(0.3)


async def landed(pilot: Pilot[None], viewer: ViewerScreen) -> None:
    """The viewer opened the selected group on its failure, and that row's record is in."""

    def on_failure() -> bool:
        row = viewer.store.rows.get(viewer.selected_row or "")
        return row is not None and row.group == viewer.selected_group and row.status.failure

    await until(pilot, on_failure)
    await detail_ready(pilot, viewer)


async def view_main(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The viewer as a new user sees it: on the active run's first failure."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)
    await pilot.press("tab")


async def view_failed(pilot: Pilot[None], faults: FaultConfig) -> None:
    """A failed invocation, its failing step's diagnostic open."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)  # the view opens on its first failure before any key
    await pilot.press("tab")
    for _ in range(10):
        await pilot.press("n")
        await detail_ready(pilot, viewer)
        detail = viewer.store.details.get(viewer.selected_row or "")
        steps = getattr(detail.body, "failed_steps", []) if detail is not None else []
        if any(step.diagnostic and step.diagnostic.closest for step in steps):
            break
    await pilot.press("enter")
    await refreshed(pilot, viewer)
    await pilot.pause(0.3)


async def refreshed(pilot: Pilot[None], viewer: ViewerScreen) -> None:
    """The live rows on screen have their own records (their start time: the list has only
    their creation), so their durations do not depend on whether that refresh came first."""

    def ready() -> bool:
        rows = (viewer.store.rows.get(key) for key in viewer.table.visible_keys())
        return all(row.rank > 0 for row in rows if row is not None and not row.status.terminal)

    await until(pilot, ready)


async def view_help(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The ? help."""
    await settled(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.3)


async def view_filter(pilot: Pilot[None], faults: FaultConfig) -> None:
    """Failures only plus a text filter."""
    viewer = await settled(pilot)
    await pilot.press("tab", "F")
    await settled(pilot)
    await pilot.press("slash", *"timeout", "enter")
    await detail_ready(pilot, viewer)


async def view_error(pilot: Pilot[None], faults: FaultConfig) -> None:
    """The rows pane after the server starts failing: old data kept, the error shown."""
    viewer = await settled(pilot)
    await pilot.press("tab")
    await detail_ready(pilot, viewer)
    faults.force("503", 10_000, "/v1/runs/")
    await pilot.press("r")
    await until(pilot, lambda: viewer.poller.freshness("rows").error is not None)
    viewer.poller.freshness("rows").next_retry_at = FROZEN_NOW + 4  # a still countdown
    await pilot.pause(1.2)


async def view_kernel(pilot: Pilot[None], faults: FaultConfig) -> None:
    """Kernel: an app version's invocations and a running invocation's streamed log."""
    viewer = await settled(pilot)
    for _ in range(viewer.groups.row_count):  # the first app version with a live invocation
        await until(pilot, lambda: viewer.store.complete)
        if any(not row.status.terminal for row in viewer.store.rows.values()):
            break
        await pilot.press("down")
        await pilot.pause(0.1)
    await pilot.press("tab")
    running = next(k for k, row in viewer.store.rows.items() if not row.status.terminal)
    viewer.table.select_key(running)
    await until(pilot, lambda: viewer.selected_row == running)
    log = viewer.store.logs
    await until(pilot, lambda: running in log and len(log[running].lines) > 3)
    await pilot.pause(0.5)


async def view_kernel_failed(pilot: Pilot[None], faults: FaultConfig) -> None:
    """Kernel as a new user sees it, no key pressed: on the first app version's failed
    invocation, its reason leading the detail, its whole log read below."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)
    key = viewer.selected_row or ""
    log = viewer.store.logs
    await until(pilot, lambda: key in log and log[key].complete)
    await pilot.pause(0.5)


async def view_failed_run(pilot: Pilot[None], faults: FaultConfig) -> None:
    """A failed run opened from the list (one key): its card says why, the cursor is on
    its first failed invocation, the detail on the failing step."""
    viewer = await settled(pilot)
    failed = next(k for k, g in viewer.store.groups.items() if g.status.failure)
    while viewer.groups.selected_key != failed:
        await pilot.press("j")
    await settled(pilot)
    await landed(pilot, viewer)


async def view_errors(pilot: Pilot[None], faults: FaultConfig) -> None:
    """E: the active run's failures grouped by cause."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)
    await pilot.press("E")
    await pilot.pause(0.5)


async def view_copy(pilot: Pilot[None], faults: FaultConfig) -> None:
    """y on the active run's first failure: the copy menu, its cursor on the second choice."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)
    await pilot.press("tab", "y", "j")
    await pilot.pause(0.3)


async def view_timeline(pilot: Pilot[None], faults: FaultConfig) -> None:
    """t on the active run: its invocations as a live waterfall."""
    viewer = await settled(pilot)
    await landed(pilot, viewer)
    await pilot.press("t")
    await pilot.pause(0.3)


async def view_timeline_finished(pilot: Pilot[None], faults: FaultConfig) -> None:
    """t on the failed run: a finished waterfall with its critical path."""
    viewer = await settled(pilot)
    failed = next(k for k, g in viewer.store.groups.items() if g.status.failure)
    while viewer.groups.selected_key != failed:
        await pilot.press("j")
    await settled(pilot)
    await landed(pilot, viewer)
    await pilot.press("t")
    await pilot.pause(0.3)


async def view_current(pilot: Pilot[None], faults: FaultConfig) -> None:
    """bctrl's current API: the failed run (the oldest), on its failed tool call, with the
    span path and the events beside it."""
    viewer = await settled(pilot)
    await pilot.press("G")
    await until(pilot, lambda: (viewer.selected_group or "") == viewer.groups.selected_key)
    await landed(pilot, viewer)


async def view_replay(pilot: Pilot[None], faults: FaultConfig) -> None:
    """runwatch replay at 10x: the failed run as it was recorded (see :func:`replay_of`)."""
    await view_failed_run(pilot, faults)


async def replay_of(url: str, directory: Path, size: tuple[int, int]) -> RunwatchApp:
    """``runwatch replay demo.rwrec --speed 10`` over a recording of the failed-run view
    (at ``size``: the replay asks what the recorded viewer asked).

    The recording's clock and the replay's are stopped (every answer at its first moment,
    the app's time the frozen world's), so the frame is the same every time. The recording
    closes a minute on: the replay, at its first moment, is playing, not at its end."""
    path = directory / "demo.rwrec"
    recorded = [0.0]
    with Recorder(
        path,
        provider="bctrl",
        base_url=url,
        clock=lambda: FROZEN_NOW,
        monotonic=lambda: recorded[0],
    ) as recorder:
        app = frozen_app(url, recorder=recorder)
        async with app.run_test(size=size) as pilot:
            await view_failed_run(pilot, FaultConfig())
        recorded[0] = 60.0
    return replay_app(path, 10.0, monotonic=lambda: 0.0, retry=RetryPolicy(max_retries=0))


async def view_app(
    view: str, url: str, directory: Path, size: tuple[int, int] = SIZES["120x40"]
) -> RunwatchApp:
    """The app a view is taken of at ``size``: the viewer over the frozen gateway, or a
    replay of it (its recording written in ``directory``)."""
    if view in REPLAYED:
        return await replay_of(url, directory, size)
    return frozen_app(url, VIEW_PROVIDERS.get(view, "bctrl"))


VIEWS: dict[str, Callable[[Pilot[None], FaultConfig], Awaitable[None]]] = {
    "main": view_main,
    "failed-run": view_failed_run,
    "errors": view_errors,
    "copy": view_copy,
    "timeline": view_timeline,
    "timeline-finished": view_timeline_finished,
    "failed-diagnostics": view_failed,
    "help": view_help,
    "filter": view_filter,
    "error": view_error,
    "kernel": view_kernel,
    "kernel-failed": view_kernel_failed,
    "current": view_current,
    "replay": view_replay,
}
VIEW_PROVIDERS = {"kernel": "kernel", "kernel-failed": "kernel", "current": "bctrl-current"}
VIEW_SCENARIOS = {"current": "current"}
REPLAYED = frozenset({"replay"})
"""Views of ``runwatch replay`` over a recording of the frozen gateway."""


async def save(view: str, size: tuple[int, int], out: Path) -> Path:
    faults = FaultConfig()
    server = frozen_gateway(faults, VIEW_SCENARIOS.get(view, "demo"))
    try:
        with tempfile.TemporaryDirectory() as directory:
            app = await view_app(view, server.url, Path(directory), size)
        async with app.run_test(size=size) as pilot:
            await VIEWS[view](pilot, faults)
            path = out / f"{view}-{size[0]}x{size[1]}.svg"
            path.write_text(app.export_screenshot(title=f"runwatch — {view}"))
    finally:
        server.stop()
    return path


def main(argv: list[str]) -> int:
    """``python -m bench.screenshots OUT_DIR [VIEW ...]``: every view (or those named) at
    120x40 and 80x24, and those in :data:`WIDE` at their wide size."""
    out = Path(argv[0] if argv else "screenshots")
    views = argv[1:] or list(VIEWS)
    unknown = [view for view in views if view not in VIEWS]
    if unknown:
        print(f"unknown views: {', '.join(unknown)} (one of: {', '.join(VIEWS)})")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for view in views:
        for size in [*SIZES.values(), *([WIDE[view]] if view in WIDE else [])]:
            print(asyncio.run(save(view, size, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
