"""Styles ship in the wheel and are found from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tui.paths import styles_dir, stylesheets

REPO = Path(__file__).resolve().parent.parent


def test_styles_found_from_checkout() -> None:
    assert styles_dir() == REPO / "styles"
    assert any(p.name == "app.tcss" for p in stylesheets())


def test_no_colours_in_python() -> None:
    """All styling lives in styles/*.tcss: no DEFAULT_CSS and no colour names in widgets."""
    for path in (REPO / "tui").rglob("*.py"):
        text = path.read_text()
        assert "DEFAULT_CSS" not in text, path
        if path.parent.name in ("widgets", "screens"):
            for colour in ('"red', '"green', '"yellow', '"blue', "#ff", "rgb("):
                assert colour not in text, (path, colour)


def test_wheel_ships_styles_and_runs_from_elsewhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
    )
    wheel = next(dist.glob("runwatch-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "tui/styles/app.tcss" in names
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    code = "import tui.paths, tui.ui.app; print(tui.paths.styles_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(site / "tui" / "styles")
    shipped = {p.relative_to(site).as_posix() for p in site.rglob("*.py")}
    assert "tui/sim/server.py" in shipped, "the gateway is --demo: it ships"
    development = [
        p for p in shipped if p.startswith("bench/") or "screenshot" in p or "naive" in p
    ]
    assert not development, f"development-only code in the wheel: {development}"
    helped = subprocess.run(
        [sys.executable, "-m", "tui", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert helped.returncode == 0 and "runwatch" in helped.stdout
    assert (site / "bin" / "runwatch").exists()
