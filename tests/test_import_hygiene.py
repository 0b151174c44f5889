"""tui.api and tui.sim are headless: importing them must not import Textual."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after_import(module: str) -> list[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def test_api_package_never_imports_textual() -> None:
    modules = _modules_after_import(
        "tui.api, tui.api.client, tui.api.kernel, tui.api.streams, tui.api.pages"
    )
    assert "tui.api.client" in modules and "tui.api.kernel" in modules
    assert not [m for m in modules if m == "textual" or m.startswith("textual.")]


def test_gateway_never_imports_textual() -> None:
    modules = _modules_after_import("tui.sim.server")
    assert "tui.sim.server" in modules
    assert not [m for m in modules if m == "textual" or m.startswith("textual.")]


def test_the_command_line_starts_light() -> None:
    """Parsing arguments (and spawning the demo gateway) comes before the heavy imports:
    the gateway starts up on the other core while the viewer imports Textual."""
    modules = _modules_after_import("tui.cli, tui.sim.child, tui.sim.options")
    heavy = ("textual", "httpx", "pydantic", "uvicorn", "starlette")
    assert not [m for m in modules if m.split(".")[0] in heavy]
