"""Appearance: snapshots with a frozen clock at 80x24 and 120x40 (pytest-textual-snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench.screenshots import (
    SIZES,
    VIEW_PROVIDERS,
    VIEW_SCENARIOS,
    VIEWS,
    frozen_app,
    frozen_gateway,
)
from tui.sim.faults import FaultConfig


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_snapshot(
    view: str,
    size: str,
    snap_compare: Callable[..., bool],
) -> None:
    faults = FaultConfig()
    server = frozen_gateway(faults, VIEW_SCENARIOS.get(view, "demo"))
    try:
        app = frozen_app(server.url, VIEW_PROVIDERS.get(view, "bctrl"))

        async def run_before(pilot: Any) -> None:
            await VIEWS[view](pilot, faults)

        assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
    finally:
        server.stop()
