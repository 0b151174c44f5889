"""Where runwatch's shipped files live, from a checkout or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """The folder holding the ``.tcss`` files (``tui/styles`` in a wheel, ``styles/`` in a
    checkout)."""
    for candidate in (PACKAGE_DIR / "styles", PACKAGE_DIR.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError("runwatch styles not found (expected styles/app.tcss)")


def stylesheets() -> list[Path]:
    """Every stylesheet, in load order."""
    return sorted(styles_dir().glob("*.tcss"), key=lambda p: (p.name != "app.tcss", p.name))
