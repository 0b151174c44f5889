"""Pure formatting helpers shared by the widgets: API values to safe display text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from tui.api.enums import KnownValue, UnknownValue
from tui.api.text import sanitize, truncate

MAX_JSON_CHARS = 200_000

# glyph, word; the style comes from CSS (component class ``badge--<status>``).
BADGES: dict[str, tuple[str, str]] = {
    "queued": ("◷", "queued"),
    "dispatching": ("⇢", "dispatching"),
    "running": ("▶", "running"),
    "cancelling": ("⊘", "cancelling"),
    "succeeded": ("✔", "succeeded"),
    "failed": ("✘", "failed"),
    "cancelled": ("⊖", "cancelled"),
    "timed_out": ("⧗", "timed out"),
    "active": ("▶", "active"),
    "stopped": ("■", "stopped"),
}
ASCII_BADGES: dict[str, tuple[str, str]] = {
    "queued": ("..", "queued"),
    "dispatching": ("->", "dispatching"),
    "running": (">>", "running"),
    "cancelling": ("~x", "cancelling"),
    "succeeded": ("ok", "succeeded"),
    "failed": ("XX", "failed"),
    "cancelled": ("--", "cancelled"),
    "timed_out": ("T!", "timed out"),
    "active": (">>", "active"),
    "stopped": ("[]", "stopped"),
}


BADGE_CLASSES: frozenset[str] = frozenset(
    {f"badge--{name}" for name in BADGES} | {"badge--unknown"}
)
"""The CSS component classes that colour badges (one per status, plus unknown)."""


def raw_value(value: KnownValue | UnknownValue | str | None) -> str:
    """The wire string of an open-enum value."""
    if value is None:
        return ""
    if isinstance(value, KnownValue | UnknownValue):
        return value.raw
    return str(value)


def badge_parts(
    value: KnownValue | UnknownValue | str, *, ascii_only: bool = False
) -> tuple[str, str, str]:
    """``(glyph, word, style_key)``; unknown values get a neutral ``?`` and their raw word."""
    raw = raw_value(value)
    table = ASCII_BADGES if ascii_only else BADGES
    if raw in table and not isinstance(value, UnknownValue):
        glyph, word = table[raw]
        return glyph, word, raw
    return "?", sanitize(raw, multiline=False)[:24] or "unknown", "unknown"


def safe(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """Any API value as display-safe plain text."""
    value = sanitize("" if text is None else str(text), multiline=multiline)
    return truncate(value, limit) if limit else value


def safe_text(
    text: object, style: str = "", *, multiline: bool = False, limit: int | None = None
) -> Text:
    """A Rich Text of API text: never parsed as markup, control characters removed."""
    return Text(safe(text, multiline=multiline, limit=limit), style=style)


def json_text(data: Any) -> Text:
    """Pretty, highlighted JSON as Text (never markup), capped in size."""
    try:
        dumped = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    except (TypeError, ValueError):
        dumped = repr(data)
    dumped = sanitize(dumped)
    if len(dumped) > MAX_JSON_CHARS:
        dumped = dumped[:MAX_JSON_CHARS] + f"\n… ({len(dumped) - MAX_JSON_CHARS:,} more characters)"
    text = Text(dumped, no_wrap=False, overflow="fold")
    JSONHighlighter().highlight(text)
    return text


def duration(seconds: float | None) -> str:
    """Compact human duration: 850ms, 12.3s, 4m05s, 2h03m."""
    if seconds is None:
        return "—"
    if seconds < 0:
        seconds = 0
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    return f"{int(seconds // 86400)}d{int(seconds % 86400 // 3600):02d}h"


def age(then: datetime | None, now: float) -> str:
    """How long ago ``then`` was, e.g. ``12s ago``."""
    if then is None:
        return "—"
    return duration(max(0.0, now - then.timestamp())) + " ago"


def clock_time(then: datetime | None) -> str:
    """``HH:MM:SS`` in UTC."""
    if then is None:
        return "—"
    return then.strftime("%H:%M:%S")


def bar(fraction: float | None, width: int = 10, *, ascii_only: bool = False) -> str:
    """A text progress bar such as ``████▌     ``."""
    if fraction is None:
        return ""
    fraction = max(0.0, min(1.0, fraction))
    if ascii_only:
        filled = round(fraction * width)
        return "#" * filled + "." * (width - filled)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(width)
