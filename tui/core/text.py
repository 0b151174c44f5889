"""Making untrusted text safe to show or copy: no control byte, no secret, bounded length.

Every string that came from the network passes through :func:`clean` before it reaches the
screen, a toast, the clipboard or a file. The API key is registered once with
:func:`add_secret`; :func:`mask` then hides it in any text, whatever field a server echoed it
into.
"""

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
# A whole escape sequence goes, not only its ESC byte: "\x1b]2;title\x07" must not leave
# "]2;title" behind.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|P[^\x1b]*(?:\x1b\\)?|[@-Z\\-_])"
    r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
MASK = "********"
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None


def add_secret(value: str) -> None:
    """Hide ``value`` (an API key) in every text :func:`mask` and :func:`clean` see."""
    global _secret_pattern
    if len(value) < 4 or value in _secrets:
        return
    _secrets.add(value)
    forms = sorted(_secrets, key=len, reverse=True)
    _secret_pattern = re.compile("|".join(re.escape(s) for s in forms), re.IGNORECASE)


def mask(text: str) -> str:
    """``text`` with every registered secret replaced (case-insensitively)."""
    if _secret_pattern is None:
        return text
    return _secret_pattern.sub(MASK, text)


def mask_bytes(data: bytes) -> bytes:
    """``data`` with every registered secret replaced, before it is even parsed."""
    for secret in _secrets:
        data = data.replace(secret.encode(), MASK.encode())
    return data


def sanitize(text: str, *, multiline: bool = True) -> str:
    """``text`` without escape sequences or control characters; tabs become spaces.

    With ``multiline=False`` newlines are replaced too, for table cells and titles.
    """
    text = _ESCAPES.sub("", text).replace("\t", "    ")
    if multiline:
        return _UNSAFE.sub("", text.replace("\r\n", "\n"))
    return _UNSAFE_SINGLE_LINE.sub(" ", text.replace("\r\n", " "))


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a visible ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def clean(value: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """Any untrusted value as text that is safe to show or copy: sanitised, secrets masked."""
    text = mask(sanitize("" if value is None else str(value), multiline=multiline))
    return truncate(text, limit) if limit else text


def short_id(identifier: str, length: int = 8) -> str:
    """The first characters of an id, as users scan them (a prefix like ``run_`` is kept)."""
    text = clean(identifier)
    head, sep, rest = text.partition("_")
    if sep and head.isalpha() and len(head) <= 5 and rest:
        return f"{head}_{rest[:length]}"
    return text[:length]
