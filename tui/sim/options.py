"""How to start the gateway (a module of its own: the command line reads it cheaply)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GatewayOptions:
    """How to start the gateway."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    scenario: str = "demo"
    invocations: int = 10_000
    seed: int = 7
    speed: float = 1.0
    faults: bool = False
    fault_rate: float = 0.15
    frozen: bool = False  # the world clock stands still: nothing ever changes
