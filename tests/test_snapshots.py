"""Appearance: snapshots with a frozen clock at 80x24 and 120x40 (pytest-textual-snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bench.screenshots import SIZES, VIEW_PROVIDERS, VIEWS, frozen_app, frozen_gateway
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayServer


@pytest.fixture
def snapshot_gateway() -> Iterator[tuple[GatewayServer, FaultConfig]]:
    faults = FaultConfig()
    server = frozen_gateway(faults)
    try:
        yield server, faults
    finally:
        server.stop()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_snapshot(
    view: str,
    size: str,
    snap_compare: Callable[..., bool],
    snapshot_gateway: tuple[GatewayServer, FaultConfig],
) -> None:
    server, faults = snapshot_gateway
    app = frozen_app(server.url, VIEW_PROVIDERS.get(view, "bctrl"))

    async def run_before(pilot: Any) -> None:
        await VIEWS[view](pilot, faults)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
