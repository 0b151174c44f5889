"""Shared fixtures: the embedded gateway on loopback, clients, a frozen clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.providers.http import RetryPolicy
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World

# pytest-xdist's workers say COLUMNS=80 and LINES=24: every process the tests start would
# inherit a size the serial run does not have (a pty's own size, a pipe's width).
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

REPO = Path(__file__).resolve().parent.parent
SHARED_API = REPO.parent / "shared" / "api"
FROZEN_NOW = 1_790_000_000.0  # 2026-09-21T14:13:20Z


def fast_retry() -> RetryPolicy:
    """Retries that do not slow the suite down."""
    return RetryPolicy(max_retries=2, base=0.01, cap=0.05)


@pytest.fixture(scope="session")
def gateway() -> Iterator[GatewayServer]:
    """The demo scenario, live, shared by read-only tests."""
    with GatewayServer(GatewayOptions(scenario="demo", speed=1.0)) as server:
        yield server


@pytest.fixture(scope="session")
def big_gateway() -> Iterator[GatewayServer]:
    """One run with 10,000 invocations."""
    with GatewayServer(GatewayOptions(scenario="big", invocations=10_000)) as server:
        yield server


@pytest.fixture
def fault_gateway() -> Iterator[GatewayServer]:
    """A gateway whose faults each test forces explicitly."""
    with GatewayServer(
        GatewayOptions(scenario="demo", token="secret-token-123"),
        faults=FaultConfig(rate=0.0, retry_after=1.0),
    ) as server:
        yield server


@pytest.fixture
def frozen_gateway() -> Iterator[GatewayServer]:
    """A gateway whose world clock never moves: identical answers every time."""
    world = World("demo", seed=7, clock=lambda: FROZEN_NOW)
    with GatewayServer(world=world) as server:
        yield server
