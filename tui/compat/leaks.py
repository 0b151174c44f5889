"""Releasing widgets that Textual's reactive watchers would keep alive forever.

``watch(obj, name, callback)`` and ``data_bind`` store ``(watching node, callback)`` on the
watched object, and Textual drops a removed node's entry only when that value next changes.
Values that never change keep every removed watcher alive, with its styles and render caches:

- the footer's ``compact``: ~10 key widgets per focus change (see :mod:`tui.compat.footer`);
- the app's ``theme``, watched by every ``TextArea`` (the copy menu's preview): each copy
  menu ever opened.

The ten-minute soak found both, and a third (:func:`patch_styles_cache`): RSS grew 150 %
in ten minutes of key presses.
"""

from __future__ import annotations

from functools import lru_cache

from textual.color import Color
from textual.dom import DOMNode
from textual.style import Style


def prune_closed_watchers(node: DOMNode) -> int:
    """Drop the watchers of ``node``'s reactives that belong to removed nodes; how many."""
    # Textual keeps them in the attribute "__watchers" (textual.reactive._watch).
    watchers: dict[str, list[tuple[DOMNode, object]]] = getattr(node, "__watchers", {})
    dropped = 0
    for callbacks in watchers.values():
        kept = [(owner, callback) for owner, callback in callbacks if not owner._closing]
        dropped += len(callbacks) - len(kept)
        callbacks[:] = kept
    return dropped


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    return (
        Style(background=base_background + background),
        Style(background=base_background),
    )


def _get_inner_outer(
    self: object, base_background: Color, background: Color
) -> tuple[Style, Style]:
    """Textual's ``StylesCache.get_inner_outer``, cached by the colours only."""
    return _inner_outer(base_background, background)


def patch_styles_cache() -> bool:
    """Stop ``StylesCache.get_inner_outer`` from keeping 1,024 widgets' render caches alive.

    In Textual 8.2.8 it is an ``lru_cache`` without ``@classmethod``, so every widget's
    ``StylesCache`` (with all its rendered lines) is part of a cache key: every widget ever
    drawn stays in memory until 1,024 newer ones push it out. The result only depends on the
    two colours, so the replacement caches on those. Idempotent; False if Textual changed
    and the patch no longer applies.
    """
    from textual._styles_cache import StylesCache

    current = StylesCache.__dict__.get("get_inner_outer")
    if current is _get_inner_outer:
        return True
    if not hasattr(current, "cache_info"):
        return False  # a Textual where this is no longer a cached method: leave it alone
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign,assignment]
    return True
