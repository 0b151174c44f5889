"""Kernel's panes: apps (grouped by version), an app's invocations, and one invocation's
detail with its live log."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Log, Static

from tui.api.kernel_models import Decoded, KernelInvocation
from tui.api.text import sanitize
from tui.format import BADGE_CLASSES, badge_parts, clock_time, duration, json_text, raw_value, safe
from tui.widgets.keyed_table import Cells, KeyedTable, RowSpec

MAX_LOG_LINES = 20_000
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def group_key(app: str, version: str) -> str:
    """The run-list key of an (app, version) group."""
    return f"{app}\x1f{version}"


def split_group(key: str) -> tuple[str, str]:
    app, _, version = key.partition("\x1f")
    return app, version


@dataclass
class AppGroup:
    """One app at one version, summarised from the invocations seen."""

    app: str
    version: str
    total: int = 0
    live: int = 0
    failed: int = 0
    newest: float = 0.0

    @property
    def key(self) -> str:
        return group_key(self.app, self.version)

    @property
    def state(self) -> str:
        """The badge: running while any is live, else failed if any failed, else succeeded."""
        if self.live:
            return "running"
        return "failed" if self.failed else "succeeded"


def summarise(invocations: Iterable[KernelInvocation]) -> dict[str, AppGroup]:
    """Groups by (app, version), in order of their newest invocation."""
    groups: dict[str, AppGroup] = {}
    for inv in invocations:
        key = group_key(inv.app_name, inv.version)
        group = groups.get(key)
        if group is None:
            group = groups[key] = AppGroup(inv.app_name, inv.version)
        group.total += 1
        group.live += not inv.terminal
        group.failed += inv.failed
        group.newest = max(group.newest, inv.started_at.timestamp())
    return dict(sorted(groups.items(), key=lambda kv: (kv[1].app, kv[1].version)))


APP_COLUMNS = [
    ("state", "status", 11),
    ("app", "app", 15),
    ("version", "version", 11),
    ("inv", "count", 4),
    ("fail", "failed", 4),
]


class AppList(KeyedTable):
    """Kernel has no runs: one row per app and version, with live and failed counts."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(APP_COLUMNS, ascii_only=ascii_only, id=id)

    def show(self, groups: Iterable[AppGroup], pinned: Sequence[str] = ()) -> None:
        """Pinned app versions first (in pin order, even before the API has named them),
        then the rest."""
        by_key = {group.key: group for group in groups}
        marks = set(pinned)
        first = [by_key.get(key) or AppGroup(*split_group(key)) for key in pinned]
        rest = [group for key, group in by_key.items() if key not in marks]
        self.sync([self._row(group, group.key in marks) for group in [*first, *rest]])

    def _row(self, group: AppGroup, pinned: bool) -> RowSpec:
        mark = ("* " if self.ascii_only else "◆ ") if pinned else ""
        return (
            group.key,
            (
                self.badge(group.state),
                Text(mark + safe(group.app, limit=15), no_wrap=True),
                Text(safe(group.version, limit=11), no_wrap=True),
                Text(str(group.total), justify="right"),
                Text(
                    str(group.failed) if group.failed else "",
                    justify="right",
                    style=self.style_for("keyed-table--error"),
                ),
            ),
        )


KERNEL_COLUMNS = [
    ("status", "status", 12),
    ("app", "app", 13),
    ("action", "action", 15),
    ("version", "version", 10),
    ("started", "started", 8),
    ("took", "duration", 7),
    ("reason", "status_reason", None),
]


def took(inv: KernelInvocation, now: float) -> str:
    """How long it ran (so far, while live)."""
    start = inv.started_at.timestamp()
    if inv.finished_at is not None:
        return duration(inv.finished_at.timestamp() - start)
    if inv.terminal:
        return "—"
    return duration(now - start)


class KernelTable(KeyedTable):
    """A group's invocations, newest first; live rows tick."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(KERNEL_COLUMNS, ascii_only=ascii_only, id=id)

    def show(
        self, invocations: Sequence[KernelInvocation], now: float, dirty: set[str] | None = None
    ) -> None:
        lookup = {inv.id: inv for inv in invocations}

        def build(key: str) -> Cells:
            return self.row(lookup[key], now)[1]

        self.sync_keys(list(lookup), build, dirty)

    def row(self, inv: KernelInvocation, now: float) -> RowSpec:
        style = self.style_for("keyed-table--error") if inv.failed else Style()
        return (
            inv.id,
            (
                self.badge(inv.status),
                Text(safe(inv.app_name, limit=13), no_wrap=True),
                Text(safe(inv.action_name, limit=15), no_wrap=True),
                Text(safe(inv.version, limit=10), no_wrap=True),
                Text(clock_time(inv.started_at), no_wrap=True),
                Text(took(inv, now), no_wrap=True, justify="right"),
                Text(safe(inv.status_reason or "", limit=120), no_wrap=True, style=style),
            ),
        )


def log_line(timestamp: str, message: str) -> str:
    """A log line as shown: ``HH:MM:SS.mmm message``, escapes and control bytes removed."""
    clock = timestamp[11:23] if len(timestamp) >= 23 and timestamp[10] == "T" else timestamp
    text = sanitize(_ANSI.sub("", message), multiline=False)
    return f"{sanitize(clock, multiline=False)}  {text}"


class LogPane(Log):
    """The invocation's log: sticks to the bottom while you are there, keeps the scrollback
    when you scroll up, and counts its lines in the title."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LOG_LINES, auto_scroll=True, id=id)
        self.shown_for: str | None = None
        self.total = 0

    def reset(self, invocation_id: str | None, lines: Sequence[str]) -> None:
        """Show another invocation's log from its start."""
        self.clear()
        self.shown_for = invocation_id
        self.total = 0
        self.append(lines)
        # Start at the newest line, sticking there: scroll once the new size is laid out.
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def append(self, lines: Sequence[str]) -> None:
        if lines:
            self.total += len(lines)
            self.write_lines(lines)


class KernelDetail(Vertical):
    """App, version, action, status, reason, payload and output; the live log below."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"detail--label", "detail--muted"} | BADGE_CLASSES

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self._shown: tuple[KernelInvocation, str | None] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="kernel-facts", can_focus=True):
            yield Static(id="kernel-head")
            yield Static(id="kernel-fields")
            yield Static(id="kernel-payload")
            yield Static(id="kernel-output")
        yield LogPane(id="kernel-log")

    @property
    def log_pane(self) -> LogPane:
        return self.query_one(LogPane)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def show_message(self, message: str) -> None:
        self.query_one("#kernel-head", Static).update(Text(message))
        for selector in ("#kernel-fields", "#kernel-payload", "#kernel-output"):
            self.query_one(selector, Static).update("")
        self.log_pane.reset(None, [])
        self._shown = None

    def show(self, inv: KernelInvocation, now: float, note: str | None = None) -> None:
        """Show ``inv``; shown again unchanged (each second while it runs), only its ticking
        fields are redrawn, not the pretty-printed payload and output."""
        self._show_fields(inv, now)
        shown = self._shown
        if shown is not None and shown[0] is inv and shown[1] == note:
            return
        self._shown = (inv, note)
        glyph, word, key = badge_parts(inv.status, ascii_only=self.ascii_only)
        head = Text()
        head.append(f" {glyph} {word} ", self._style(f"badge--{key}") + Style(reverse=True))
        head.append("  ")
        head.append(safe(inv.app_name, limit=40), "bold")
        head.append(f" {safe(inv.version, limit=24)} · ")
        head.append(safe(inv.action_name, limit=40), "bold")
        if note:
            head.append("\n")
            head.append(safe(note, limit=300), self._style("detail--muted"))
        self.query_one("#kernel-head", Static).update(head)
        label = self._style("detail--label")
        self.query_one("#kernel-payload", Static).update(
            _json_block("payload", inv.decoded_payload, label)
        )
        self.query_one("#kernel-output", Static).update(
            _json_block(
                "output", inv.decoded_output, label, pending=not inv.terminal and not inv.output
            )
        )

    def _show_fields(self, inv: KernelInvocation, now: float) -> None:
        label = self._style("detail--label")
        fields = Text()
        rows = [
            ("id", safe(inv.id)),
            ("status", raw_value(inv.status)),
            ("reason", safe(inv.status_reason or "—", multiline=False, limit=2000)),
            ("started", inv.started_at.isoformat(timespec="milliseconds")),
            (
                "finished",
                inv.finished_at.isoformat(timespec="milliseconds") if inv.finished_at else "—",
            ),
            ("duration", took(inv, now)),
        ]
        for name, value in rows:
            fields.append(f"{name:>9}  ", label)
            fields.append(value + "\n")
        self.query_one("#kernel-fields", Static).update(fields)


def _json_block(name: str, value: Decoded | None, label: Style, *, pending: bool = False) -> Text:
    out = Text()
    out.append(name, label + Style(bold=True))
    if value is None:
        out.append("  (none yet)" if pending else "  (none)", label)
        return out
    if not value.ok:
        out.append("  not JSON, shown as sent:\n", label)
        out.append(safe(value.raw, multiline=True, limit=20_000))
        return out
    out.append("\n")
    out.append_text(json_text(value.value))
    return out
