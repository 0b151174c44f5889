"""`make bench` cannot rot: a quick run with small sizes prints every figure and writes JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_bench_quick_smoke(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--no-baseline", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    from bench.run import TARGETS

    for what, _, _ in TARGETS.values():
        assert what in result.stdout
    data = json.loads((tmp_path / "quick.json").read_text())
    assert set(TARGETS) <= set(data["runwatch"]), set(TARGETS) - set(data["runwatch"])
    assert data["machine"]["cores"]
    from bench.run import markdown

    table = markdown({**data, "naive": {k: v * 3 for k, v in data["runwatch"].items()}})
    for what, _, _ in TARGETS.values():
        assert f"| {what} |" in table
    assert "3.0x" in table
