"""The gateway's scenario names (a module of its own so the CLI can name them cheaply)."""

from __future__ import annotations

SCENARIOS = ("demo", "big", "edge", "ci", "huge")

SCENARIO_NOTES = {
    "demo": "five runs (active, stopped, failed, empty) with live invocations",
    "big": "one active run with --invocations invocations (default 10000)",
    "edge": "demo plus a run with unknown statuses, actions and hostile text",
    "ci": "two short runs that finish within a minute (for `runwatch watch`)",
    "huge": (
        "one active run with three 5,000-step invocations (wait bodies of ~9 MB): one failed"
        " with six failed steps, one succeeded, one running that fails 30 s after the start"
    ),
}

SCENARIO_HELP = "default demo. " + "; ".join(
    f"{name}: {SCENARIO_NOTES[name]}" for name in SCENARIOS
)
"""``--scenario``'s help text for ``runwatch gateway``: what each scenario serves."""
