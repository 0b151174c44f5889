"""The API key never reaches the screen, a crash report, an error or a snapshot.

Textual's crash report prints local variables; runwatch scrubs them. Each test forces an
exception whose frames hold the key (in a worker, a timer and a render) and checks that
the real crash report does not show it, while a plain Rich traceback of the same
exception would have: so the test cannot pass by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.traceback import Traceback
from textual.widget import Widget

from tui.api.client import BctrlClient
from tui.app import RunwatchApp
from tui.crash import redacted_traceback
from tui.sim.server import GatewayServer

from .conftest import fast_retry

KEY = "sk-live-0123456789abcdef-SECRET"


def _text(renderable: Any) -> str:
    console = Console(width=200, record=True, color_system=None, force_terminal=True)
    console.print(renderable)
    return console.export_text()


def _leaky(where: str) -> None:
    """Fail with the key in locals, in a dict and in the message, as a careless frame might."""
    api_key = KEY
    headers = {"Authorization": f"Bearer {api_key}"}
    long_value = "x" * 200 + api_key
    raise RuntimeError(f"{where} failed with headers {headers} ({len(long_value)} chars)")


class _Broken(Widget):
    def render(self) -> str:
        _leaky("render")
        return ""


async def _crash_report(gateway: GatewayServer, trigger: Callable[[RunwatchApp], None]) -> str:
    client = BctrlClient(KEY, gateway.url, retry=fast_retry())
    app = RunwatchApp(client, source_label="test")
    reports: list[str] = []
    plain: list[str] = []
    original = app._fatal_error

    def capture() -> None:
        import sys

        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None and exc is not None
        plain.append(_text(Traceback.from_exception(exc_type, exc, tb, show_locals=True)))
        original()
        reports.append(_text(app._exit_renderables[-1]))

    app._fatal_error = capture  # type: ignore[method-assign]
    with pytest.raises(Exception, match="failed with headers"):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.2)
            trigger(app)
            for _ in range(40):
                await pilot.pause(0.05)
    assert plain and KEY in plain[0], "the unscrubbed report would have leaked the key"
    assert reports
    return reports[0]


async def _boom() -> None:
    _leaky("worker")


@pytest.mark.parametrize("where", ["worker", "timer", "render"])
async def test_crash_report_never_prints_the_key(gateway: GatewayServer, where: str) -> None:
    def trigger(app: RunwatchApp) -> None:
        if where == "worker":
            app.run_worker(_boom(), exit_on_error=True)
        elif where == "timer":
            app.set_timer(0.01, lambda: _leaky("timer"))
        else:
            app.screen.mount(_Broken())

    report = await _crash_report(gateway, trigger)
    assert f"{where} failed" in report and "RuntimeError" in report
    assert KEY not in report
    assert KEY[:12] not in report, "not even a prefix of it"
    assert "********" in report


def test_redacted_traceback_outside_handler_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        redacted_traceback(lambda s: s)


async def test_key_not_on_screen_or_in_errors(gateway: GatewayServer) -> None:
    client = BctrlClient(KEY, gateway.url, retry=fast_retry())
    assert KEY not in repr(client) and KEY not in str(client.__dict__)
    app = RunwatchApp(client, source_label="test")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        assert KEY not in app.export_screenshot()
