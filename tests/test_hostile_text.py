"""API text with escape sequences, markup and bidi controls displays literally and safely."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui.core.text import sanitize
from tui.sim.server import GatewayOptions, GatewayServer

from .viewer_helpers import (
    CONTROL,
    cell,
    loaded,
    pane,
    region_text,
    rows_where,
    screen_output,
    screen_text,
    select_group,
    until_text,
    wait_for,
)
from .viewer_helpers import make_app as make_viewer


@pytest.fixture
def edge_gateway() -> Iterator[GatewayServer]:
    with GatewayServer(GatewayOptions(scenario="edge")) as server:
        yield server


@pytest.mark.parametrize(
    "attack",
    [
        "\x1b]0;pwned\x07",
        "\x1b[31mred",
        "\x9b2J",
        "\x1b]52;c;ZXZpbA==\x07",
        "\u202egnp.exe",
        "a\rb",
        "\x00\x08\x7f",
    ],
)
def test_sanitize_removes_every_control(attack: str) -> None:
    assert not CONTROL.search(sanitize(attack))
    assert not CONTROL.search(sanitize(attack, multiline=False))


async def test_hostile_step_message_renders_literally(edge_gateway: GatewayServer) -> None:
    app = make_viewer(edge_gateway)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await loaded(pilot, app)
        runs = screen.groups
        edge = next(k for k in runs.row_keys_in_order if "quantum" in str(runs.get_cell(k, "kind")))
        await select_group(pilot, app, edge)
        hostile = rows_where(app, "problem", r"\[/red\]")
        assert hostile, "the hostile message is in the table"
        shown = cell(app, hostile[0], "problem")
        assert not CONTROL.search(shown) and "pwned" not in shown
        await pilot.press("tab")
        screen.table.select_key(hostile[0])
        await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
        await pilot.press("enter")  # into the detail, on the failed step
        await until_text(pilot, app, r"\[bold\]not bold\[/bold\]")
        detail = region_text(app, "#detail-pane")
        assert "[bold]not bold[/bold]" in detail, "markup-like text shows literally"
        assert ":x:" in detail and "red[/red]" in detail
        assert "pwned" not in detail, "an escape sequence goes whole, not only its ESC"
        text = screen_text(app)
        assert not CONTROL.search(text)
        assert "\x1b]0;" not in screen_output(app) and "\x9b" not in screen_output(app)
        assert app.is_running
