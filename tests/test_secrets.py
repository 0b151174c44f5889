"""The API key never reaches the screen, a crash report, an error or a snapshot.

Textual's crash report prints local variables; runwatch's shows none, and masks the key in
the exception's message and notes in every form a careless message could hold it: as is,
quoted with escapes (``repr``, ``ascii``, JSON), as bytes, upper-cased, in a ``Bearer``
header. Each test forces an exception whose message and frames hold the key (in a worker, a
timer and a render) and checks that the real crash report shows none of those forms and no
locals, while a plain Rich traceback of the same exception would have: so the test cannot
pass by accident.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from rich.console import Console
from rich.traceback import Traceback
from textual.widget import Widget

import tui.compat
from tui.core.text import MASK, add_secret, mask
from tui.sim.server import GatewayServer
from tui.ui.app import RunwatchApp
from tui.ui.crash import redacted_traceback

from .viewer_helpers import loaded, make_app, screen_output, screen_text

KEY = "sk-live-0123456789abcdef-SECRET"
ODD_KEY = "sk-live-01234\\5678\"9'éx€-SECRET"  # a backslash, quotes and non-ASCII: escapes differ


def _forms(key: str) -> dict[str, str]:
    """How a key can show up in text: each form a careless message might print."""
    return {
        "as is": key,
        "repr": repr(key)[1:-1],
        "repr of its repr": repr(repr(key)[1:-1])[1:-1],
        "ascii": ascii(key)[1:-1],
        "json": json.dumps(key)[1:-1],
        "bytes": repr(key.encode())[2:-1],
        "upper-cased": key.upper(),
        "bearer": f"Bearer {key}",
    }


def _text(renderable: Any) -> str:
    console = Console(width=200, record=True, color_system=None, force_terminal=True)
    console.print(renderable)
    return console.export_text()


def _leaky(where: str, key: str = KEY) -> None:
    """Fail with the key in locals and, in every form, in the message and a note."""
    api_key = key
    headers = {"Authorization": f"Bearer {api_key}"}
    long_value = "x" * 200 + api_key
    error = RuntimeError(
        f"{where} failed with headers {headers} ({len(long_value)} chars): "
        + " | ".join(f"{name}={form}" for name, form in _forms(api_key).items())
        + f" {[api_key]!r} {api_key.encode()!r} {api_key.upper()}"
    )
    error.add_note(f"note: {api_key!a} {json.dumps(headers)}")
    raise error


class _Broken(Widget):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def render(self) -> str:
        _leaky("render", self.key)
        return ""


async def _crash_report(
    gateway: GatewayServer,
    trigger: Callable[[RunwatchApp], None],
    monkeypatch: pytest.MonkeyPatch,
    key: str = KEY,
) -> str:
    """The crash report the app hands to Textual's exit path, as text."""
    app = make_app(gateway, key=key, source_label="test")
    reports: list[str] = []
    plain: list[str] = []
    hand_over = tui.compat.crash_report

    def capture(crashed: Any, report: Any) -> None:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None and exc is not None
        if not reports:  # the first crash is the one to read (a render fails again)
            plain.append(_text(Traceback.from_exception(exc_type, exc, tb, show_locals=True)))
            reports.append(_text(report))
        hand_over(crashed, report)

    monkeypatch.setattr(tui.compat, "crash_report", capture)
    with pytest.raises(Exception, match="failed with headers"):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.2)
            trigger(app)
            for _ in range(100):  # until the crash report is out (the app is then exiting)
                if reports:
                    break
                await pilot.pause(0.05)
    assert plain and key in plain[0], "the unscrubbed report would have leaked the key"
    assert "locals" in plain[0], "and shown the locals"
    assert reports
    return reports[0]


async def _boom(key: str) -> None:
    _leaky("worker", key)


@pytest.mark.parametrize("key", [KEY, ODD_KEY], ids=["key", "odd-key"])
@pytest.mark.parametrize("where", ["worker", "timer", "render"])
async def test_crash_report_never_prints_the_key(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, where: str, key: str
) -> None:
    def trigger(app: RunwatchApp) -> None:
        if where == "worker":
            app.run_worker(_boom(key), exit_on_error=True)
        elif where == "timer":
            app.set_timer(0.01, lambda: _leaky("timer", key))
        else:
            app.screen.mount(_Broken(key))

    report = await _crash_report(gateway, trigger, monkeypatch, key)
    assert f"{where} failed" in report and "RuntimeError" in report
    assert "note:" in report, "notes are kept, masked"
    shown = {name: form for name, form in _forms(key).items() if form in report}
    assert shown == {}, "the key in these forms reached the crash report"
    folded = report.casefold()
    assert key.casefold() not in folded and ascii(key)[1:-1].casefold() not in folded
    assert key[:12] not in report, "not even a prefix of it"
    assert MASK in report
    assert "locals" not in report, "no local variables at all"


def test_redacted_traceback_outside_handler_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        redacted_traceback()


async def test_key_not_on_screen_or_in_errors(gateway: GatewayServer) -> None:
    app = make_app(gateway, key=KEY, source_label="test")
    assert KEY not in repr(app.source) and KEY not in repr(app.source.__dict__)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "y")
        await pilot.pause(0.2)
        assert KEY not in screen_text(app) and KEY not in screen_output(app)
        assert KEY not in app.export_screenshot()


@pytest.mark.parametrize("key", [KEY, ODD_KEY], ids=["key", "odd-key"])
def test_mask_hides_every_form(key: str) -> None:
    add_secret(key)
    forms = {**_forms(key), "url": quote(key, safe=""), "lower": key.lower()}
    for name, form in forms.items():
        masked = mask(f"<{form}> extra")
        assert masked.endswith("> extra"), name
        assert MASK in masked and key[:12] not in masked, f"{name}: {masked!r}"
    assert mask("nothing secret here") == "nothing secret here"
    add_secret("")  # no key: nothing more to mask
    assert mask("any text") == "any text"
