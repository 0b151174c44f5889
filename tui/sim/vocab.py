"""The gateway's own words: statuses, actions and timestamps, read from the contract.

Nothing here comes from the viewer's models (``tui.api``): the gateway is what the contract
tests hold the client against, so it must be a second opinion, not a copy of the first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# bctrl (shared/api/openapi: InvocationSummaryStatus, InvocationSummaryAction, NOTES.md).
LIVE = frozenset({"queued", "dispatching", "running", "cancelling"})
TERMINAL = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
INVOCATION_STATUSES = LIVE | TERMINAL
ACTIONS = ("act", "observe", "extract", "browserUse", "stagehandAgent", "solveCaptcha")
RUN_STATUSES = frozenset({"active", "stopped", "failed"})

# Kernel (shared/api/openapi/kernel-invocations-get.yaml: Invocation.status).
KERNEL_STATUSES = ("queued", "running", "succeeded", "failed")
KERNEL_TERMINAL = frozenset({"succeeded", "failed"})

_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d)[Tt ](?P<time>\d\d:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d+))?(?P<zone>[Zz]|[+-]\d\d:\d\d)?$"
)


def parse_ns(value: str) -> int | None:
    """An RFC 3339 timestamp (up to nanoseconds; no zone means UTC) as epoch nanoseconds.

    Python's datetime stops at microseconds and Kernel writes nanoseconds, so the fraction is
    kept as digits. None when ``value`` is not such a timestamp.
    """
    match = _RFC3339.match(value.strip())
    if match is None:
        return None
    zone = match["zone"] or "Z"
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        whole = datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError:
        return None
    if whole.tzinfo is None:  # pragma: no cover - the pattern always supplies a zone
        whole = whole.replace(tzinfo=UTC)
    frac = (match["frac"] or "")[:9].ljust(9, "0")
    return int(whole.timestamp()) * 1_000_000_000 + int(frac)
