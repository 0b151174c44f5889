"""Crash reports that cannot print the API key.

Textual's crash report is a Rich traceback with local variables. Each local's repr is
scrubbed of the key *before* it is truncated or wrapped, so neither the whole key nor
a prefix of it can reach the screen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import rich
from rich.pretty import Node
from rich.traceback import Trace, Traceback

MAX_REPR = 120
SCAN_LIMIT = 100_000  # reprs are cut to MAX_REPR after scrubbing, so this bound is never shown


def _scrub(node: Node, redact: Callable[[str], str]) -> None:
    node.key_repr = redact(node.key_repr)
    node.value_repr = redact(node.value_repr)
    if len(node.value_repr) > MAX_REPR:
        node.value_repr = node.value_repr[:MAX_REPR] + "…"
    for child in node.children or ():
        _scrub(child, redact)


def redact_trace(trace: Trace, redact: Callable[[str], str]) -> Trace:
    """Scrub every exception message and local variable repr in ``trace`` (in place)."""
    for stack in trace.stacks:
        stack.exc_value = redact(stack.exc_value)
        stack.notes = [redact(note) for note in stack.notes]
        for group_member in stack.exceptions:
            redact_trace(group_member, redact)
        for frame in stack.frames:
            for node in (frame.locals or {}).values():
                _scrub(node, redact)
    return trace


def redacted_traceback(redact: Callable[[str], str], *, width: int | None = None) -> Traceback:
    """A traceback of the exception being handled, with locals, safe to print."""
    exc_type, exc_value, tb = sys.exc_info()
    if exc_type is None or exc_value is None:
        raise RuntimeError("redacted_traceback() called outside exception handling")
    trace = Traceback.extract(
        exc_type,
        exc_value,
        tb,
        show_locals=True,
        locals_max_length=5,
        locals_max_string=SCAN_LIMIT,
    )
    return Traceback(
        redact_trace(trace, redact),
        width=width,
        show_locals=True,
        locals_max_length=5,
        suppress=[rich],
    )
