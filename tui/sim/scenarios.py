"""The gateway's scenario names (a module of its own so the CLI can name them cheaply)."""

SCENARIOS = ("demo", "big", "edge", "ci")
