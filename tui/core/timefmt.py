"""Times and durations as people read them, in one display zone (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.core.model import Raw, Stamp
from tui.core.text import clean


def duration(seconds: float | None) -> str:
    """Compact human duration: 850ms, 12.3s, 4m05s, 2h03m, 3d04h; ``—`` when unknown."""
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    # Rounded, not cut: two stamps 376 ms apart differ by 0.37599… in floating point.
    if round(seconds * 1000) < 1000:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    return f"{int(seconds // 86400)}d{int(seconds % 86400 // 3600):02d}h"


def age(seconds: float) -> str:
    """How old something is, to the minute once it is a minute old (12s, 4m, 2h03m, 3d04h):
    a list of ages then changes once a minute, not every second."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return duration(seconds)


def _utc(epoch: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def clock_time(value: Stamp) -> str:
    """``HH:MM:SS`` in the display zone; a raw value shown as sent, marked with ``?``."""
    if isinstance(value, Raw):
        return "?" + clean(value.text, limit=24)
    when = _utc(value) if value is not None else None
    return when.strftime("%H:%M:%S") if when is not None else "—"


def full_time(value: Stamp) -> str:
    """``YYYY-MM-DD HH:MM:SS.mmm UTC``; a raw value shown as sent, marked."""
    if isinstance(value, Raw):
        return "? " + clean(value.text, limit=80) + " (not a time)"
    when = _utc(value) if value is not None else None
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC" if when is not None else "—"


def iso(value: float) -> str:
    """RFC 3339 in UTC, to the second (for logs and JSON lines)."""
    when = _utc(value)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else ""


def ago(value: Stamp, now: float) -> str:
    """How long ago ``value`` was, e.g. ``12s ago``."""
    if not isinstance(value, float):
        return "—"
    return duration(now - value) + " ago"
