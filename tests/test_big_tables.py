"""What keeps 100,000 rows instant: cells built only for drawn rows, and the GC policy."""

from __future__ import annotations

import gc

from rich.text import Text
from textual.app import App, ComposeResult

from tui.compat.gc import FREEZE_FROM_ROWS, GcPolicy
from tui.ui.widgets.keyed_table import Cells, KeyedTable

COLUMNS = [("id", "id", 10), ("value", "value", None)]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="t")


async def test_only_drawn_rows_are_built() -> None:
    built: list[str] = []

    def build(key: str) -> Cells:
        built.append(key)
        return (Text(key), Text(f"value of {key}"))

    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        keys = [f"k{i}" for i in range(100_000)]
        table.sync_keys(keys, build, None)
        await pilot.pause(0.1)
        assert table.row_count == 100_000
        assert 0 < len(built) < 40, "only the rows on screen are built"
        built.clear()
        table.focus()
        await pilot.press("end")
        await pilot.pause(0.1)
        assert table.selected_key == "k99999"
        assert str(table.get_cell("k99999", "value")) == "value of k99999"
        assert 0 < len(built) < 40
        # Appending rows and marking a few dirty rebuilds only those that are drawn.
        built.clear()
        table.sync_keys([*keys, "new"], build, {"k5", "k99998"})
        await pilot.pause(0.1)
        assert "k5" not in built and "k99998" in built
        assert table.selected_key == "k99999", "the cursor stays on its row"


def test_gc_policy_freezes_big_tables_and_lets_go() -> None:
    policy = GcPolicy()
    # From nothing frozen: objects an earlier test froze shrink the count as they are freed
    # (another thread of the process may free them at any moment).
    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        policy.rows_loaded(FREEZE_FROM_ROWS - 1)
        assert gc.get_freeze_count() == before, "small tables leave the collector alone"
        keep = [[i] for i in range(1000)]
        policy.rows_loaded(FREEZE_FROM_ROWS)
        assert gc.get_freeze_count() >= before + len(keep)
        policy.released()
        assert not policy.frozen_for_rows
    finally:
        gc.unfreeze()


def test_the_app_uses_one_policy_per_process() -> None:
    from tui.compat.gc import GC_POLICY

    assert isinstance(GC_POLICY, GcPolicy) and not GC_POLICY.frozen_for_rows
