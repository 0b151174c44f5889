"""The layers hold at run time too: the core and the providers never load Textual, the
gateway loads nothing of the product, and the command line starts light.

(``lint-imports`` in ``make test`` checks the same layers statically: pyproject.toml.)
"""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after_import(module: str) -> list[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def _loaded(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if m.split(".")[0] in packages or m in packages]


def test_core_and_providers_never_load_textual_or_the_ui() -> None:
    modules = _modules_after_import(
        "tui.core.store, tui.core.poll, tui.providers.bctrl.source, tui.providers.kernel.source"
    )
    assert "tui.providers.kernel.source" in modules
    assert not _loaded(modules, "textual")
    assert not [m for m in modules if m.startswith("tui.ui")]


def test_the_core_needs_no_http_stack() -> None:
    modules = _modules_after_import("tui.core.store, tui.core.poll, tui.core.pages")
    assert not _loaded(modules, "textual", "httpx", "httpcore")


def test_watch_never_loads_textual() -> None:
    assert not _loaded(_modules_after_import("tui.watch"), "textual")


def test_the_command_line_starts_light() -> None:
    """Parsing arguments (and spawning the demo gateway) comes before the heavy imports:
    the gateway starts up on the other core while the viewer imports Textual."""
    modules = _modules_after_import("tui.cli, tui.sim.child, tui.sim.options")
    assert not _loaded(modules, "textual", "httpx", "pydantic", "uvicorn", "starlette")
