"""Making untrusted API text safe to display: no control byte ever reaches the terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode bidi/format
# controls that can reorder what the user sees (Trojan Source style).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_UNSAFE_SINGLE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ufff9-\ufffb]"
)


def sanitize(text: str, *, multiline: bool = True) -> str:
    """``text`` without control characters; tabs become spaces.

    With ``multiline=False`` newlines are replaced too, for table cells and titles.
    """
    text = text.replace("\t", "    ")
    if multiline:
        return _UNSAFE.sub("", text.replace("\r\n", "\n"))
    return _UNSAFE_SINGLE_LINE.sub(" ", text.replace("\r\n", " "))


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a visible ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def short_id(identifier: str, length: int = 8) -> str:
    """The first characters of an id, as users scan them."""
    return sanitize(identifier, multiline=False)[:length]
