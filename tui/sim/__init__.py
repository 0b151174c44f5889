"""The embedded gateway: a real HTTP server that speaks the bctrl contract with live data.

Import the submodules directly (``tui.sim.server``, ``tui.sim.world``, ...): this package
imports nothing, so naming a scenario does not load the HTTP stack.
"""
