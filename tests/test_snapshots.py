"""Appearance: snapshots with a frozen clock at 80x24 and 120x40, and the wide layout at
200x50 (pytest-textual-snapshot)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.screenshots import (
    REPLAYED,
    SIZES,
    VIEW_PROVIDERS,
    VIEW_SCENARIOS,
    VIEWS,
    WIDE,
    frozen_app,
    frozen_gateway,
    view_app,
)
from tui.sim.faults import FaultConfig


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_snapshot(
    view: str,
    size: str,
    snap_compare: Callable[..., bool],
    tmp_path: Path,
) -> None:
    take(view, SIZES[size], snap_compare, tmp_path)


@pytest.mark.parametrize("view", list(WIDE))
def test_wide_snapshot(view: str, snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """At 200 columns the detail sits beside a table as wide as at 120x40."""
    take(view, WIDE[view], snap_compare, tmp_path)


def take(
    view: str, size: tuple[int, int], snap_compare: Callable[..., bool], tmp_path: Path
) -> None:
    faults = FaultConfig()
    server = frozen_gateway(faults, VIEW_SCENARIOS.get(view, "demo"))
    try:
        if view in REPLAYED:  # runwatch replay over a recording of the same frozen gateway
            app = asyncio.run(view_app(view, server.url, tmp_path, size))
        else:
            app = frozen_app(server.url, VIEW_PROVIDERS.get(view, "bctrl"))

        async def run_before(pilot: Any) -> None:
            await VIEWS[view](pilot, faults)

        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        server.stop()
