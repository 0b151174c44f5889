"""Every Textual workaround, in one place, applied once at start, each guarded by version.

Each :class:`Patch` names the Textual versions it was checked on; on any other version it is
skipped (and :func:`apply` says so), and ``tests/test_compat.py`` fails until someone looks:
a Textual upgrade is a deliberate step, never a silent stack of stale workarounds.

- the monochrome filter crashing on unstyled segments under ``NO_COLOR`` (:mod:`.monochrome`);
- ``StylesCache.get_inner_outer`` keeping 1,024 widgets alive (:mod:`.leaks`);
- reactive watchers of removed widgets (the footer's keys, the copy menu's text area) kept
  alive forever (:mod:`.leaks`, :mod:`.footer`);
- the private internals the crash report uses (:mod:`.private`);
- the garbage collector's pauses with 100,000 rows (:mod:`.gc`), not a Textual bug but a
  policy applied once at start with the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

from tui.compat import leaks, monochrome, private
from tui.compat.gc import GC_POLICY

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
    since: Version  # first version known to need it (inclusive)
    until: Version  # first version it is not checked against (exclusive)
    install: Callable[[], bool]  # idempotent; False when the code to patch is not as expected

    def applies_to(self, textual: Version) -> bool:
        return self.since <= textual < self.until


PATCHES: tuple[Patch, ...] = (
    Patch(
        "monochrome filter tolerates segments without a style (NO_COLOR)",
        since=(8, 0),
        until=(9,),
        install=monochrome.install,
    ),
    Patch(
        "StylesCache.get_inner_outer caches by colour, not by widget",
        since=(8, 0),
        until=(9,),
        install=leaks.patch_styles_cache,
    ),
    Patch(
        "removed widgets' reactive watchers can be released",
        since=(8, 0),
        until=(9,),
        install=private.watchers_attribute,
    ),
    Patch(
        "the crash report can replace Textual's (no locals, key masked)",
        since=(8, 0),
        until=(9,),
        install=private.crash_report_hooks,
    ),
)

_applied: dict[str, bool] = {}


def apply() -> dict[str, bool]:
    """Apply every patch that fits the installed Textual, once; which are in place, by name."""
    for patch in PATCHES:
        if patch.name not in _applied:
            _applied[patch.name] = patch.applies_to(TEXTUAL_VERSION) and patch.install()
    return dict(_applied)


def app_started() -> None:
    """The app is up: its own objects leave the collector's walk (see :mod:`.gc`)."""
    GC_POLICY.started()


crash_report = private.crash_report
prune_closed_watchers = leaks.prune_closed_watchers
