"""Helpers for Pilot tests of the viewer: build an app, wait on conditions, read the screen.

Viewer tests drive public behaviour: keys in, screen text out. What a test reads comes from
here (the screen as plain text, pane titles, toasts, bells and copies as the app hands them
on), so a refactor of the screen's internals does not rewrite the tests.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from rich.console import Console
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget

from tui.providers import PROVIDERS, load
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions
from tui.ui.viewer import ViewerScreen

from .conftest import fast_retry

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
"""What no text on screen, in a toast or in a copy may hold (tab and newline aside)."""


class Served(Protocol):
    """Anything with an origin: the embedded gateway, the hostile server."""

    @property
    def url(self) -> str: ...


def make_app(
    server: Served | str,
    *,
    provider: str = "bctrl",
    key: str = "test-key",
    clock: Callable[[], float] = time.time,
    read_timeout: float | None = None,
    **options: Any,
) -> RunwatchApp:
    """The viewer over ``provider``'s source at ``server``; ``options`` are ViewerOptions."""
    spec = PROVIDERS[provider]
    url = server if isinstance(server, str) else server.url
    client: dict[str, Any] = {"retry": fast_retry()}
    if read_timeout is not None:
        client["read_timeout"] = read_timeout
    source = spec.make_source(key, url, clock=clock, **client)
    options.setdefault("source_label", "test gateway")
    return RunwatchApp(source, load(spec.detail_body), ViewerOptions(**options), clock=clock)


async def wait_for(
    pilot: Pilot[Any],
    predicate: Callable[[], object],
    timeout: float = 15.0,
    what: str = "condition",
) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.05)


# -- the screen as text -------------------------------------------------------------------


def _full_update(app: App[Any]) -> Any:
    """The whole current screen (modal screens over what they cover), as the terminal
    would get it on a full repaint."""
    return app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)


def screen_text(app: App[Any]) -> str:
    """The screen as plain text, rendered the way ``App.export_screenshot`` does."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(_full_update(app))
    return console.export_text(styles=False)


def screen_output(app: App[Any]) -> str:
    """What a full repaint of the screen writes to the terminal, escape sequences and all."""
    return str(_full_update(app).render_segments(app.console))


def screen_lines(app: App[Any]) -> list[str]:
    return screen_text(app).splitlines()


async def until_text(
    pilot: Pilot[Any],
    app: App[Any],
    pattern: str,
    timeout: float = 15.0,
    what: str | None = None,
) -> re.Match[str]:
    """Wait until the screen shows ``pattern`` (a regex); the match."""
    regex = re.compile(pattern)
    found: list[re.Match[str]] = []

    def seen() -> bool:
        match = regex.search(screen_text(app))
        if match is not None:
            found.append(match)
        return match is not None

    try:
        await wait_for(pilot, seen, timeout, what or f"{pattern!r} on screen")
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- screen ---\n{screen_text(app)}") from None
    return found[-1]


async def until_gone(pilot: Pilot[Any], app: App[Any], pattern: str, timeout: float = 15.0) -> None:
    """Wait until the screen no longer shows ``pattern``."""
    regex = re.compile(pattern)
    await wait_for(pilot, lambda: not regex.search(screen_text(app)), timeout, f"{pattern!r} to go")


# -- panes ----------------------------------------------------------------------------


def viewer(app: RunwatchApp) -> ViewerScreen:
    return app.viewer


def pane(app: RunwatchApp, name: str) -> str:
    """A pane's border title and subtitle (``groups``, ``rows``, ``detail``), whole: the
    screen shows them too, but cut to the pane's width."""
    widget = app.viewer.query_one(f"#{name}-pane", Widget)
    return f"{widget.border_title} | {widget.border_subtitle}"


def status_bar(app: RunwatchApp) -> str:
    """The top line of the screen: connection state, interval, source."""
    return screen_lines(app)[0]


def region_text(app: RunwatchApp, selector: str) -> str:
    """The screen text inside one widget of the viewer (``#detail-pane``, ``#rows-empty``),
    line by line; empty when it is not displayed."""
    widget = app.viewer.query_one(selector, Widget)
    if not widget.display:
        return ""
    region = widget.region
    lines = screen_lines(app)[region.y : region.bottom]
    return "\n".join(line[region.x : region.right].rstrip() for line in lines)


def empty_message(app: RunwatchApp) -> str:
    """What the table's body says when it has no rows ('' while it has rows), on one line."""
    return " ".join(region_text(app, "#rows-empty").split())


def cell(app: RunwatchApp, key: str, column: str) -> str:
    """The text of one cell of the row table."""
    return str(app.viewer.table.get_cell(key, column))


def rows_where(app: RunwatchApp, column: str, pattern: str) -> list[str]:
    """Keys of the table's rows whose ``column`` matches ``pattern`` (a regex), in order."""
    table = app.viewer.table
    regex = re.compile(pattern)
    return [k for k in table.row_keys_in_order if regex.search(str(table.get_cell(k, column)))]


async def loaded(pilot: Pilot[Any], app: RunwatchApp, timeout: float = 20.0) -> ViewerScreen:
    """Wait until the viewer lists groups and the first group's rows are read."""
    await wait_for(pilot, lambda: any(isinstance(s, ViewerScreen) for s in app.screen_stack))
    screen = app.viewer
    await wait_for(pilot, lambda: screen.groups.row_count > 0, timeout, "groups")
    await rows_loaded(pilot, app, timeout)
    return screen


async def rows_loaded(pilot: Pilot[Any], app: RunwatchApp, timeout: float = 20.0) -> None:
    """Wait until the selected group's rows have been read (a poll went through)."""
    await wait_for(
        pilot,
        lambda: "up to date" in str(app.viewer.query_one("#rows-pane").border_subtitle),
        timeout,
        "the rows to load",
    )


async def select_row(pilot: Pilot[Any], app: RunwatchApp, key: str) -> None:
    """Put the table's cursor on ``key`` (the detail follows it) and wait for its detail."""
    screen = app.viewer
    screen.table.focus()
    assert screen.table.select_key(key), f"{key!r} is not in the table"

    def shown() -> bool:
        if screen.table.selected_key != key:
            # The viewer's own landing on a failure (it waits for the rows, which a loaded
            # machine delays) came after this selection: select again, as a user would.
            screen.table.focus()
            screen.table.select_key(key)
            return False
        return screen.selected_row == key and f"Invocation {key[:8]}" in pane(app, "detail")

    await wait_for(pilot, shown, what=f"detail of {key}")
    await pilot.pause()  # the detail is drawn after the selection


async def select_group(pilot: Pilot[Any], app: RunwatchApp, key: str) -> None:
    """Put the group list's cursor on ``key`` and wait for its rows."""
    groups = app.viewer.groups
    assert groups.select_key(key), f"{key!r} is not in the group list"
    await pilot.pause()
    await rows_loaded(pilot, app)


async def open_failed_run(pilot: Pilot[Any], app: RunwatchApp) -> str:
    """Select the listed group whose own status is failed (the demo's run 121a2084) and wait
    for its rows; its key. (``n`` in the list goes to the next group with failures, which
    is another one once the listed runs' failures are counted.)"""
    key = next(k for k, g in app.viewer.store.groups.items() if g.status.failure)
    await select_group(pilot, app, key)
    return key


_CHARACTERS = {
    "question_mark": "?",
    "escape": "\x1b",
    "tab": "\t",
    "enter": "\r",
    "space": " ",
    "colon": ":",
    "slash": "/",
}


def send_keys(app: App[Any], *keys: str) -> None:
    """Type ``keys`` as the terminal driver delivers them, without waiting for the app to
    go idle (``pilot.press`` does): for an app kept busy on purpose, say by a log flood,
    where the test then waits on what the keys did."""
    for key in keys:
        app.post_message(events.Key(key, _CHARACTERS.get(key, key if len(key) == 1 else None)))


# -- what the app says and sends --------------------------------------------------------


@dataclass(frozen=True)
class Toast:
    title: str
    message: str
    severity: str


def record_toasts(monkeypatch: pytest.MonkeyPatch) -> list[Toast]:
    """Every toast shown from now on, as Textual receives it (after the app's own
    cleaning: what the user reads)."""
    shown: list[Toast] = []
    textual_notify = App.notify

    def notify(self: App[Any], message: str, *, title: str = "", **kwargs: Any) -> None:
        shown.append(Toast(title, message, str(kwargs.get("severity", "information"))))
        textual_notify(self, message, title=title, **kwargs)

    monkeypatch.setattr(App, "notify", notify)
    return shown


def record_bells(app: App[Any]) -> list[float]:
    """When the app rang the terminal bell (replacing it: tests make no noise)."""
    bells: list[float] = []
    app.bell = lambda: bells.append(time.monotonic())  # type: ignore[method-assign]
    return bells


def record_copies(app: App[Any]) -> list[str]:
    """Every text the app put on the clipboard (OSC 52), as it went out."""
    copied: list[str] = []
    original = app.copy_to_clipboard

    def copy(text: str) -> None:
        original(text)
        copied.append(app.clipboard)

    app.copy_to_clipboard = copy  # type: ignore[method-assign]
    return copied
