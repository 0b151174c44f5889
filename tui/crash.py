"""Crash reports that cannot print the API key.

Textual's crash report is a Rich traceback with every frame's local variables, and any of
them may hold the key. runwatch's report shows no locals at all, and masks the key in what
it does show (the exception messages, notes and syntax-error lines, chained and grouped
exceptions included) before anything is wrapped or truncated, so not even a prefix of the
key can reach the screen.

A message can hold the key in more forms than the key itself: inside the ``repr`` of a
string, a dict or a list (quotes and backslashes escaped, non-ASCII as ``\\x``/``\\u``
escapes), as JSON, as bytes (``b'...'``), upper-cased, URL-quoted, or escaped twice (the
repr of a repr). :func:`key_forms` lists them; :class:`KeyRedactor` masks every one, in any
letter case.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import rich
from rich.traceback import Trace, Traceback

MASK = "********"
MIN_KEY_LENGTH = 4  # shorter "keys" would mask ordinary words; ApiKey.redact skips them too
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


def key_forms(key: str) -> list[str]:
    """Every form of ``key`` a message could print, longest first (empty for a short key)."""
    if len(key) < MIN_KEY_LENGTH:
        return []
    forms = {key, key.upper(), key.lower(), key.casefold()}
    for _ in range(ESCAPE_DEPTH):
        forms |= {escaped for form in forms for escaped in _escaped(form)}
    return sorted((f for f in forms if len(f) >= MIN_KEY_LENGTH), key=len, reverse=True)


class KeyRedactor:
    """A callable masking every form of a key (any letter case), then applying ``also``."""

    __slots__ = ("_also", "_pattern")

    def __init__(self, key: str, also: Callable[[str], str] | None = None) -> None:
        forms = key_forms(key)
        self._pattern = (
            re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)
            if forms
            else None
        )
        self._also = also

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return self._also(text) if self._also is not None else text

    def __repr__(self) -> str:
        return f"KeyRedactor({MASK})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("KeyRedactor cannot be pickled")


def redact_trace(trace: Trace, redact: Callable[[str], str]) -> Trace:
    """Drop every frame's locals and mask the key in every text ``trace`` shows (in place)."""
    for stack in trace.stacks:
        stack.exc_value = redact(stack.exc_value)
        stack.notes = [redact(note) for note in stack.notes]
        if stack.syntax_error is not None:
            stack.syntax_error.msg = redact(stack.syntax_error.msg)
            stack.syntax_error.line = redact(stack.syntax_error.line)
            stack.syntax_error.notes = [redact(note) for note in stack.syntax_error.notes]
        for group_member in stack.exceptions:
            redact_trace(group_member, redact)
        for frame in stack.frames:
            frame.locals = None
            frame.line = redact(frame.line)
    return trace


def redacted_traceback(redact: Callable[[str], str], *, width: int | None = None) -> Traceback:
    """A traceback of the exception being handled, without locals, safe to print."""
    exc_type, exc_value, tb = sys.exc_info()
    if exc_type is None or exc_value is None:
        raise RuntimeError("redacted_traceback() called outside exception handling")
    trace = Traceback.extract(exc_type, exc_value, tb, show_locals=False)
    return Traceback(redact_trace(trace, redact), width=width, show_locals=False, suppress=[rich])
