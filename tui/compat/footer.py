"""Textual's key footer, releasing its old key widgets after each recompose.

Each time the bindings change (every focus change) Textual's ``Footer`` recomposes: it
removes its key widgets and binds new ones to its ``compact`` reactive, which never changes,
so without :func:`~tui.compat.leaks.prune_closed_watchers` every removed key stays alive.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

from tui.compat.leaks import prune_closed_watchers


class Footer(TextualFooter):
    """The footer, without the leak."""

    async def recompose(self) -> None:
        await super().recompose()
        prune_closed_watchers(self)
