"""Crash reports that cannot print the API key.

Textual's crash report is a Rich traceback with every frame's local variables, and any of
them may hold the key. runwatch's report shows no locals at all, and masks the key (in every
form :func:`tui.core.text.secret_forms` lists) in what it does show: exception messages,
notes and syntax-error lines, chained and grouped exceptions included, before anything is
wrapped or truncated, so not even a prefix of the key can reach the screen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import rich
from rich.traceback import Trace, Traceback

from tui.core.text import mask


def redact_trace(trace: Trace, redact: Callable[[str], str] = mask) -> Trace:
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


def redacted_traceback(*, width: int | None = None) -> Traceback:
    """A traceback of the exception being handled, without locals, safe to print."""
    exc_type, exc_value, tb = sys.exc_info()
    if exc_type is None or exc_value is None:
        raise RuntimeError("redacted_traceback() called outside exception handling")
    trace = Traceback.extract(exc_type, exc_value, tb, show_locals=False)
    return Traceback(redact_trace(trace), width=width, show_locals=False, suppress=[rich])
