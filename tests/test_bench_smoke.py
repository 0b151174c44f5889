"""`make bench` cannot rot: its modules import against the current code, and its report and
the README table carry every figure (the measuring itself runs in `make bench`, and a quick
run of it in `make bench-quick`)."""

from __future__ import annotations

import pytest

from bench.run import TARGETS, Sizes, markdown, report


def _figures(scale: float) -> dict[str, float]:
    return {key: target * scale for key, (_, target, _) in TARGETS.items()}


def test_report_and_readme_table_carry_every_figure() -> None:
    ours, naive = _figures(0.5), _figures(1.5)
    text = report(ours, naive, Sizes())
    for what, _, _ in TARGETS.values():
        assert what in text
    table = markdown(
        {
            "runwatch": ours,
            "naive": naive,
            "when": "2026-11-23T00:00:00+00:00",
            "sizes": Sizes().__dict__,
            "machine": {"cores": 2, "cpu": "test", "python": "3.11"},
        }
    )
    for what, _, _ in TARGETS.values():
        assert f"| {what} |" in table
    assert "3.0x" in table and "**no**" not in table
    assert "**no**" in markdown(
        {
            "runwatch": _figures(2.0),
            "naive": None,
            "when": "x",
            "sizes": Sizes().__dict__,
            "machine": {"cores": 2, "cpu": "test", "python": "3.11"},
        }
    )


def test_the_baseline_and_the_screenshot_views_import() -> None:
    from bench import naive, screenshots

    assert naive.NaiveViewer.row_table is not None
    assert set(screenshots.VIEWS) >= {"main", "failed-diagnostics", "help", "kernel"}


async def test_the_naive_baseline_viewer_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``make bench`` measures the viewer beside its naive baseline: the baseline must keep
    up with the viewer's interface (it broke once when the viewer's table grew a timeline)."""
    import tui.ui.app
    from bench.run import make_app
    from bench.screenshots import frozen_gateway
    from tests.viewer_helpers import screen_text, wait_for

    # The baseline is installed by swapping the app's screen class: put it back after.
    monkeypatch.setattr(tui.ui.app, "ViewerScreen", tui.ui.app.ViewerScreen)
    server = frozen_gateway()
    try:
        app = make_app(server.url, naive=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: " shown · " in screen_text(app), what="rows")
            await pilot.press("tab", "j", "j", "k")
            assert app.is_running
    finally:
        server.stop()
