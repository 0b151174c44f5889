"""Property: every text field the viewer shows, filled with generated hostile strings,
renders with no control byte, no bidi override and no markup interpretation.

Real wire payloads from the gateway's world (a failed invocation with a diagnostic, its
run, summary, v2 and full records) have every string value replaced by a hostile one,
then go through the same message handlers the workers use, and the full frame is read.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.api.client import BctrlClient
from tui.api.models import Invocation, InvocationSummary, InvocationV2, RunSummary
from tui.app import RunwatchApp
from tui.messages import DetailFetched, FullFetched, InvocationsFetched, RunsFetched
from tui.screens.main_screen import MainScreen
from tui.sim.world import World

from .conftest import FROZEN_NOW, fast_retry

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
KEEP = {"id", "runId", "runtimeId", "spaceId", "ok", "index"}
ATTACKS = [
    "\x1b]0;pwned\x07",  # OSC: set the window title
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b[2J\x1b[H",  # CSI clear and home
    "\x9b2J",  # C1 CSI
    "\x1b]8;;https://evil/\x07link\x1b]8;;\x07",  # a hyperlink
    "[bold]not bold[/bold] [/x] [link=https://evil]x[/link] :x:",
    "\u202egnp.exe\u202c",  # right-to-left override
    "e\u0301\u0301\u0301 zalgo",  # combining marks
    "مرحبا שלום",  # right-to-left scripts
    "a\rb\x08c\x00d\x7f",
    "long " * 400,
]
MARKUP = "[bold]lit[/bold]"

hostile = st.one_of(
    st.sampled_from(ATTACKS),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
        min_size=1,
        max_size=80,
    ),
).map(lambda s: MARKUP + s)


def _poison(value: Any, text: str, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _poison(v, text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, text, key) for v in value]
    if isinstance(value, str) and key not in KEEP and not key.endswith("At"):
        return text
    return value


WORLD = World("demo", seed=7, clock=lambda: FROZEN_NOW)
RUN = WORLD.runs[2]
FAILED = next(p for p in RUN.invocations if p.outcome == "failed")


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _show(
    app: RunwatchApp,
    run: RunSummary,
    summary: InvocationSummary,
    v2: InvocationV2,
    full: Invocation | None = None,
) -> MainScreen:
    """Put one run and invocation on screen through the handlers the workers feed."""
    screen = app.main_screen
    screen._runs_fetched(RunsFetched([run]))
    screen._select_run(run.id)
    screen._invocations_fetched(
        InvocationsFetched(run.id, screen.state.query.key(), [summary], True)
    )
    screen._select_invocation(summary.id)
    screen._detail_fetched(DetailFetched(v2))
    if full is not None:
        screen._full_fetched(FullFetched(full, False))
    return screen


def _frame(app: RunwatchApp) -> str:
    update = app.screen._compositor.render_full_update()
    lines = []
    for line in update.strips:
        lines.append("".join(seg.text for strip in line for seg in strip if not seg.control))
    return "\n".join(lines)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile)
async def test_every_rendered_field_is_safe(text: str) -> None:
    now = FROZEN_NOW
    run = RunSummary.model_validate(_poison(WORLD.run_summary(RUN, now), text))
    summary = InvocationSummary.model_validate(_poison(WORLD.summary(FAILED, now), text))
    v2 = InvocationV2.model_validate(_poison(WORLD.v2(FAILED, now)["data"], text))
    full = Invocation.model_validate(_poison(WORLD.full(FAILED, now), text))
    assert full.result is not None and full.result.failed_steps

    client = BctrlClient("k", _closed_url(), retry=fast_retry())
    app = RunwatchApp(client, source_label=text, clock=lambda: now, interval=60)
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.pause(0.1)
        screen = _show(app, run, summary, v2, full)
        screen.detail.expand_all()
        await pilot.pause(0.2)
        frame = _frame(app)
        assert not CONTROL.search(frame), repr(CONTROL.search(frame))
        assert MARKUP in frame, "markup-like text shows literally"
        assert app.is_running


async def test_megabyte_result_is_capped_and_app_stays_responsive() -> None:
    now = FROZEN_NOW
    ok = next(p for p in RUN.invocations if p.outcome == "succeeded")
    wire = WORLD.v2(ok, now)["data"]
    wire["result"] = {"blob": "x" * 1_500_000, "rows": list(range(20_000))}
    v2 = InvocationV2.model_validate(wire)
    summary = InvocationSummary.model_validate(WORLD.summary(ok, now))
    run = RunSummary.model_validate(WORLD.run_summary(RUN, now))
    client = BctrlClient("k", _closed_url(), retry=fast_retry())
    app = RunwatchApp(client, source_label="big", clock=lambda: now, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        screen = _show(app, run, summary, v2)
        await pilot.pause(0.2)
        shown = str(screen.detail.query_one("#detail-result").render())
        assert "more characters)" in shown and len(shown) < 250_000
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen", "keys still answered"
