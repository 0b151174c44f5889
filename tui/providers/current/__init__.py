"""bctrl's current API: runs, tool calls, trace spans and events (``BCTRL-Version``
2026-10)."""
