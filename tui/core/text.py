"""Making untrusted text safe to show or copy: no control byte, no secret, bounded length.

Every string that came from the network passes through :func:`clean` before it reaches the
screen, a toast, the clipboard or a file. The API key is registered once with
:func:`add_secret`; :func:`mask` then hides it in any text, whatever field a server echoed it
into.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode bidi/format
# controls that can reorder what the user sees (Trojan Source style).
_FORMAT = "\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_FORMAT}]")
_UNSAFE_SINGLE_LINE = re.compile(f"[\x00-\x1f\u2028\u2029{_FORMAT}]")
# A whole escape sequence goes, not only its ESC byte: "\x1b]2;title\x07" must not leave
# "]2;title" behind.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|P[^\x1b]*(?:\x1b\\)?|[@-Z\\-_])"
    r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
MASK = "********"
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None


MIN_SECRET = 8  # shorter "keys" (the demo's) would mask ordinary words
ESCAPE_DEPTH = 2  # a repr of a container holding a repr: deeper nesting is not seen in practice


def _escaped(text: str) -> Iterator[str]:
    """``text`` as one level of quoting or encoding would show it."""
    yield repr(text)[1:-1]  # Python's own choice of quotes for the string alone
    yield repr(text + "'\"")[1:-4]  # inside a longer repr that must escape single quotes
    yield ascii(text)[1:-1]
    yield text.encode("unicode_escape").decode("ascii")
    yield json.dumps(text)[1:-1]
    yield json.dumps(text, ensure_ascii=False)[1:-1]
    encoded = text.encode("utf-8", "backslashreplace")
    yield repr(encoded)[2:-1]
    yield repr(encoded + b"'\"")[2:-4]
    yield quote(text, safe="")
    yield quote_plus(text, safe="")


def secret_forms(secret: str) -> list[str]:
    """Every form of ``secret`` a text could carry: as is, in a repr (quotes, backslashes
    and non-ASCII escaped), as JSON, as bytes, URL-quoted, escaped twice; longest first."""
    if len(secret) < MIN_SECRET:
        return []
    forms = {secret, secret.upper(), secret.lower(), secret.casefold()}
    for _ in range(ESCAPE_DEPTH):
        forms |= {escaped for form in forms for escaped in _escaped(form)}
    return sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)


def add_secret(value: str) -> None:
    """Hide ``value`` (an API key), in every form it can take, in every text :func:`mask`
    and :func:`clean` see (any letter case)."""
    global _secret_pattern
    if len(value) < MIN_SECRET or value in _secrets:
        return
    _secrets.add(value)
    forms = sorted({f for s in _secrets for f in secret_forms(s)}, key=len, reverse=True)
    _secret_pattern = re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE)


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


ELLIPSIS = ["…"]
"""What marks cut text: ``...`` where only ASCII can be drawn (see :func:`ascii_ellipsis`)."""


def ascii_ellipsis() -> None:
    """Mark cut text with ``...`` from now on (``--ascii``)."""
    ELLIPSIS[0] = "..."


def with_ellipsis(text: str) -> str:
    """``text``'s own ``…`` (``Loading…``, ``Copy…``) written as :data:`ELLIPSIS` says:
    ``...`` under ``--ascii``, whose filter would draw a lone ``…`` as ``~``, its cut mark."""
    return text if ELLIPSIS[0] == "…" else text.replace("…", ELLIPSIS[0])


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a visible ellipsis."""
    if len(text) <= limit:
        return text
    mark = ELLIPSIS[0]
    return text[: max(0, limit - len(mark))] + mark


def clean(value: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """Any untrusted value as text that is safe to show or copy: sanitised, secrets masked."""
    text = mask(sanitize("" if value is None else str(value), multiline=multiline))
    return truncate(text, limit) if limit else text


SHORT_ID = re.compile(
    r"^(?:[0-9a-fA-F]{1,8}(?:-[0-9a-fA-F-]{0,27})?|[a-z]{2,5}_[A-Za-z0-9_-]{1,64})$"
)
"""An id or the start of one, as the viewer shows them: hex with a UUID's dashes
(``121a2084``), or a prefixed id (``run_u7Hq``)."""


def looks_like_id(ref: str) -> bool:
    """Whether ``ref`` is an id, or the start of one, that can be looked up by prefix."""
    return bool(SHORT_ID.match(ref))


def id_kind(identifier: str) -> str:
    """The kind of id its prefix says (``run`` of ``run_u7Hq``, ``tc`` of ``tc_…``); empty
    for an id without one (a UUID)."""
    head, sep, rest = identifier.partition("_")
    return head if sep and head.isalpha() and len(head) <= 5 and rest else ""


def short_id(identifier: str, length: int = 8) -> str:
    """The first characters of an id, as users scan them (a prefix like ``run_`` is kept)."""
    text = clean(identifier)
    if kind := id_kind(text):
        return text[: len(kind) + 1 + length]
    return text[:length]


def plural(count: int, noun: str) -> str:
    """``1 tool call``, ``3 tool calls``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
