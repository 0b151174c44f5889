"""The embedded gateway: a real HTTP server that speaks the bctrl contract with live data."""

from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World

__all__ = ["FaultConfig", "GatewayOptions", "GatewayServer", "World"]
