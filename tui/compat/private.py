"""The few private Textual internals runwatch relies on, each checked before use.

- The crash report: Textual's ``App._fatal_error`` renders a traceback with every local
  variable; runwatch replaces it (see :mod:`tui.ui.crash`) and needs ``_exit_renderables``
  and ``_close_messages_no_wait`` to hand its own report to the exit path.
- Reactive watchers are kept in the attribute ``__watchers`` (see :mod:`tui.compat.leaks`).
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.segment import Segments
from textual.app import App


def crash_report_hooks() -> bool:
    """Whether the App internals the crash report uses are there."""
    return (
        all(hasattr(App, name) for name in ("_fatal_error", "_close_messages_no_wait"))
        and "_exit_renderables" in App.__init__.__code__.co_names
    )


def watchers_attribute() -> bool:
    """Whether Textual still keeps reactive watchers under ``__watchers``."""
    from textual import reactive

    source = reactive._watch.__code__.co_consts  # the attribute name is a constant there
    return "__watchers" in source


def crash_report(app: App[Any], report: RenderableType) -> None:
    """Show ``report`` as the app's crash report and close it (Textual's exit path)."""
    app._exit_renderables.append(Segments(app.console.render(report, app.console.options)))
    app._close_messages_no_wait()
