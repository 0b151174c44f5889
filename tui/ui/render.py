"""Neutral values as Rich text: badges, JSON, bars. API text is never parsed as markup."""

from __future__ import annotations

import json
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from tui.core.model import Kind, Raw, Status
from tui.core.text import clean

MAX_JSON_CHARS = 200_000

GLYPHS: dict[Kind, str] = {
    Kind.QUEUED: "◷",
    Kind.RUNNING: "▶",
    Kind.WAITING: "⏸",
    Kind.SUCCEEDED: "✔",
    Kind.FAILED: "✘",
    Kind.TIMED_OUT: "⧗",
    Kind.CANCELLED: "⊖",
    Kind.UNKNOWN: "?",
}
ASCII_GLYPHS: dict[Kind, str] = {
    Kind.QUEUED: "..",
    Kind.RUNNING: ">>",
    Kind.WAITING: "||",
    Kind.SUCCEEDED: "ok",
    Kind.FAILED: "XX",
    Kind.TIMED_OUT: "T!",
    Kind.CANCELLED: "--",
    Kind.UNKNOWN: "?",
}
BADGE_CLASSES: frozenset[str] = frozenset(f"badge--{kind.value}" for kind in Kind)
"""The CSS component classes that colour badges, one per kind."""


def badge_parts(status: Status, *, ascii_only: bool = False) -> tuple[str, str, str]:
    """``(glyph, word, component class)``: the word is the server's, whole."""
    glyph = (ASCII_GLYPHS if ascii_only else GLYPHS)[status.kind]
    word = clean(status.raw).replace("_", " ") or "—"
    return glyph, word, f"badge--{status.kind.value}"


def fold_arrow(expanded: bool, *, ascii_only: bool = False) -> str:
    """What an expandable block starts with: open (``▾``) or folded (``▸``)."""
    return ("v " if expanded else "> ") if ascii_only else ("▾ " if expanded else "▸ ")


def legend(*, ascii_only: bool = False) -> str:
    """What each badge glyph means (the help shows the glyphs the table uses)."""
    glyphs = ASCII_GLYPHS if ascii_only else GLYPHS
    return "  ".join(f"{glyphs[kind]} {kind.value.replace('_', ' ')}" for kind in Kind)


def shown(value: object, *, limit: int | None = None, multiline: bool = False) -> Text:
    """Untrusted text as a Rich Text (cleaned; a Raw value marked as not fitting its field)."""
    if isinstance(value, Raw):
        return Text("?" + clean(value.text, limit=limit), style="italic")
    return Text(clean(value, multiline=multiline, limit=limit))


def json_text(data: Any) -> Text:
    """Pretty, highlighted JSON as Text (never markup), capped in size."""
    try:
        dumped = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        dumped = repr(data)
    dumped = clean(dumped, multiline=True)
    if len(dumped) > MAX_JSON_CHARS:
        dumped = dumped[:MAX_JSON_CHARS] + f"\n… ({len(dumped) - MAX_JSON_CHARS:,} more characters)"
    text = Text(dumped, no_wrap=False, overflow="fold")
    JSONHighlighter().highlight(text)
    return text


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
