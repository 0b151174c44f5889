"""Keeping Python's cycle collector from freezing the screen when a run has 100,000 rows.

A full (generation 2) collection walks every tracked object: with 100,000 invocations loaded
that is well over a million objects and most of a second, during which nothing repaints.
CPython starts one each time the heap grows by a quarter, so a big load triggers several.

runwatch moves objects that will live a long time out of the collector's walk with
:func:`gc.freeze`: the app's own objects once it has started, and a big run's rows as their
pages arrive (after a young-generation collection, so short-lived cycles are still freed).
Frozen objects are still freed by reference counting the moment they are dropped, as rows
are when another run is selected; only a cycle that becomes garbage while frozen would wait,
and :meth:`GcPolicy.released` gives those back to the collector once the big data is gone and
a full collection is cheap again.
"""

from __future__ import annotations

import gc

FREEZE_FROM_ROWS = 2_000
"""Below this many rows a full collection is a few milliseconds: leave the collector alone."""


class GcPolicy:
    """When to freeze; one per app."""

    def __init__(self) -> None:
        self.frozen_for_rows = False

    def started(self) -> None:
        """The app is up: its modules, widgets and styles live for the whole session.

        Only the young generations are collected first: a full collection here would itself
        be the longest pause of the start."""
        gc.collect(1)
        gc.freeze()

    def rows_loaded(self, rows: int) -> None:
        """A page of rows was merged into a table of ``rows`` rows."""
        if rows < FREEZE_FROM_ROWS:
            return
        gc.collect(1)  # young cycles (finished requests, messages) are freed first
        gc.freeze()
        self.frozen_for_rows = True

    def released(self) -> None:
        """A big table's rows were dropped: let the collector see everything again once."""
        if not self.frozen_for_rows:
            return
        self.frozen_for_rows = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()


GC_POLICY = GcPolicy()
"""The process's policy: the collector is one per process, so is what has been frozen."""
