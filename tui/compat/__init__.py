"""Workarounds for bugs in Textual, each applied once and only to the versions it was checked on.

Every patch names the range of Textual versions it is known to be needed and safe for; on any
other version it is skipped (and reported by :func:`apply`), so upgrading Textual can never
silently stack a stale workaround on top of a fixed or restructured internals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

from tui.compat import monochrome

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """The numeric release part of a version string (``"8.2.8"`` -> ``(8, 2, 8)``)."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() < len(piece):
            break  # "0rc1": a pre-release of the number it starts with
    return tuple(parts)


TEXTUAL_VERSION = parse_version(version("textual"))


@dataclass(frozen=True)
class Patch:
    """One workaround: what it fixes, for which Textual versions, and how to apply it."""

    name: str
    since: Version  # first version known to have the bug (inclusive)
    until: Version  # first version it is not checked against (exclusive)
    install: Callable[[], bool]  # idempotent; False when the code to patch is not as expected

    def applies_to(self, textual: Version) -> bool:
        """Whether ``textual`` is in the range this patch was checked against."""
        return self.since <= textual < self.until


PATCHES: tuple[Patch, ...] = (
    Patch(
        "monochrome filter tolerates segments without a style (NO_COLOR)",
        since=(8, 0),  # checked on 8.2.8; the code is unchanged across 8.x
        until=(9,),
        install=monochrome.install,
    ),
)

_applied: dict[str, bool] = {}


def apply() -> dict[str, bool]:
    """Apply every patch that fits the installed Textual, once; which are in place, by name."""
    for patch in PATCHES:
        if patch.name not in _applied:
            _applied[patch.name] = patch.applies_to(TEXTUAL_VERSION) and patch.install()
    return dict(_applied)
