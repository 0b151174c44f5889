"""The gateway's scenario names (a module of its own so the CLI can name them cheaply)."""

from __future__ import annotations

SCENARIOS = ("demo", "big", "edge", "ci", "huge", "current", "current-august")

CURRENT = "current"
CURRENT_AUGUST = "current-august"
CURRENT_SCENARIOS = frozenset({CURRENT, CURRENT_AUGUST})
"""Scenarios that serve bctrl's current API (runs, tool calls, trace spans, events) instead of
the invocation API: ``/v1/runs/{id}/invocations`` is a 404 there, ``/v1/tool-calls`` a 200."""

SCENARIO_NOTES = {
    "demo": "five runs (active, stopped, failed, empty) with live invocations",
    "big": "one active run with --invocations invocations (default 10000)",
    "edge": "demo plus a run with unknown statuses, actions and hostile text",
    "ci": "two short runs that finish within a minute (for `runwatch watch`)",
    "huge": (
        "one active run with three 5,000-step invocations (wait bodies of ~9 MB): one failed"
        " with six failed steps, one succeeded, one running that fails 30 s after the start"
    ),
    "current": (
        "bctrl's current API instead of invocations: five runs (two active, one ending within"
        " a minute, one ended, one failed) with live tool calls, trace spans, events and SSE"
        " streams; tool call statuses in October 2026 words"
    ),
    "current-august": "current, with the August 2026 status words (requires_input, cancelled,"
    " timed_out)",
}

SCENARIO_HELP = "default demo. " + "; ".join(
    f"{name}: {SCENARIO_NOTES[name]}" for name in SCENARIOS
)
"""``--scenario``'s help text for ``runwatch gateway``: what each scenario serves."""
