"""API text with escape sequences, markup and bidi controls displays literally and safely."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from tui.api.text import sanitize
from tui.sim.server import GatewayOptions, GatewayServer
from tui.widgets.step_item import StepItem

from .viewer_helpers import loaded, make_app, wait_for

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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
    app = make_app(edge_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        edge_run = next(
            r for r in screen.state.runs if r.runtime_type is not None and not r.runtime_type.known
        )
        screen.run_list.select_key(edge_run.id)
        await wait_for(pilot, lambda: screen.state.selected_run_id == edge_run.id)
        await wait_for(pilot, lambda: screen.state.invocations_complete)
        hostile = next(
            i for i in screen.state.invocations.values() if i.error and "pwned" in i.error.message
        )
        screen.table.select_key(hostile.id)
        await wait_for(pilot, lambda: hostile.id in screen.state.fulls)
        await wait_for(pilot, lambda: bool(screen.detail.step_items))
        item: StepItem = screen.detail.step_items[0]
        rendered = item.render()
        console = Console(record=True, width=120, color_system=None, force_terminal=True)
        console.print(rendered)
        text = console.export_text()
        assert "[bold]not bold[/bold]" in text, "markup-like text shows literally"
        assert ":x:" in text
        assert not CONTROL.search(text)
        cell = str(screen.table.get_cell(hostile.id, "error"))
        assert not CONTROL.search(cell) and "[/red]" in cell
        assert app.is_running
