"""The detail panel: everything known about the selected invocation."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from tui.api.models import FailedStep, Invocation, InvocationV2, Progress
from tui.format import (
    BADGE_CLASSES,
    age,
    badge_parts,
    clock_time,
    duration,
    json_text,
    raw_value,
    safe,
)
from tui.widgets.step_item import StepItem


class DetailPanel(VerticalScroll, can_focus=True):
    """Status, progress, timing, error, requested steps, step results, metadata and result."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail--label",
        "detail--muted",
        "detail--error",
        "detail--heading",
    } | BADGE_CLASSES

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self._steps_signature: tuple[object, ...] | None = None
        self.invocation_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        yield ProgressBar(total=None, show_eta=False, show_percentage=True, id="detail-progress")
        yield Static(id="detail-progress-text")
        yield Static(id="detail-facts")
        yield Static(id="detail-error")
        yield Static(id="detail-request")
        yield Static("Step results", id="detail-steps-heading", classes="heading")
        yield Vertical(id="detail-steps")
        yield Static(id="detail-metadata")
        yield Static(id="detail-result")

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    @property
    def step_items(self) -> list[StepItem]:
        return list(self.query(StepItem))

    def show_message(self, message: str) -> None:
        """Replace the panel's content with one line (nothing selected, loading, an error)."""
        self.invocation_id = None
        self.query_one("#detail-head", Static).update(Text(message))
        for selector in (
            "#detail-progress-text",
            "#detail-facts",
            "#detail-error",
            "#detail-request",
            "#detail-metadata",
            "#detail-result",
        ):
            self.query_one(selector, Static).update("")
        self.query_one("#detail-progress", ProgressBar).display = False
        self.query_one("#detail-steps-heading").display = False
        self._set_steps(None)

    def show(
        self, v2: InvocationV2 | None, full: Invocation | None, now: float, note: str | None = None
    ) -> None:
        """Render what is known of one invocation; either record may still be missing."""
        record = full or v2
        if record is None:
            self.show_message(note or "Loading…")
            return
        if self.invocation_id != record.id:
            self.invocation_id = record.id
            self.scroll_home(animate=False)
        label, muted = self._style("detail--label"), self._style("detail--muted")
        glyph, word, key = badge_parts(record.status, ascii_only=self.ascii_only)

        head = Text()
        head.append(f" {glyph} {word} ", self._style(f"badge--{key}") + Style(reverse=True))
        action = raw_value(v2.type) if v2 else (raw_value(full.entry_call) if full else "")
        head.append("  " + safe(action, limit=40))
        head.append("  " + safe(record.id), muted)
        if note:
            head.append("\n" + safe(note), self._style("detail--error"))
        self.query_one("#detail-head", Static).update(head)

        progress: Progress | None = (
            full.progress if full and full.progress else v2.progress if v2 else None
        )
        bar = self.query_one("#detail-progress", ProgressBar)
        text = Text()
        if progress is not None and progress.total_steps:
            bar.display = True
            bar.update(total=progress.total_steps, progress=progress.step or 0)
            text.append(f"step {progress.step or 0}/{progress.total_steps}", label)
            if progress.message:
                text.append("  " + safe(progress.message, limit=200))
            if progress.current_call:
                text.append("\ncurrent call ", label)
                text.append(safe(progress.current_call, limit=120))
            if progress.last_event_type:
                text.append("  last event ", label)
                text.append(safe(progress.last_event_type, limit=60))
        else:
            bar.display = False
            if progress is not None and progress.message:
                text.append(safe(progress.message, limit=200))
        self.query_one("#detail-progress-text", Static).update(text)

        facts: list[tuple[str, str]] = []
        started = record.started_at
        finished = record.finished_at
        facts.append(("created", clock_time(record.created_at)))
        facts.append(("started", clock_time(started)))
        facts.append(("finished", clock_time(finished)))
        if record.duration_ms is not None:
            took = duration(record.duration_ms / 1000)
        elif started is not None and finished is None:
            took = duration(now - started.timestamp()) + " (running)"
        else:
            took = "—"
        facts.append(("duration", took))
        if v2 is not None:
            facts.append(("runtime", safe(raw_value(v2.runtime_type), limit=30)))
            facts.append(("artifacts", str(v2.artifact_count)))
        if full is not None:
            if v2 is None:
                facts.append(("runtime", safe(raw_value(full.runtime_kind), limit=30)))
            facts.append(("entry call", safe(full.entry_call, limit=60)))
            facts.append(("mode", safe(raw_value(full.execution_mode), limit=20)))
            facts.append(("sequence", str(full.sequence_no)))
            facts.append(("steps", str(full.step_count)))
            beat = full.last_heartbeat_at
            facts.append(("heartbeat", f"{clock_time(beat)} ({age(beat, now)})" if beat else "—"))
        facts_text = Text()
        for i, (name, value) in enumerate(facts):
            if i:
                facts_text.append("\n" if i % 2 == 0 else "   ")
            facts_text.append(f"{name:<11}", label)
            facts_text.append(f"{value:<22}" if i % 2 == 0 else value)
        self.query_one("#detail-facts", Static).update(facts_text)

        error = record.error
        err_text = Text()
        if error is not None:
            err_text.append("error ", self._style("detail--error"))
            if error.code:
                err_text.append(safe(error.code, limit=80) + "  ", self._style("detail--error"))
            err_text.append(safe(error.message, multiline=True, limit=4000))
            if error.details:
                err_text.append("\n")
                err_text.append_text(json_text(error.details))
            else:
                err_text.append("\n(no error details returned)", muted)
        self.query_one("#detail-error", Static).update(err_text)

        req = Text()
        if full is not None and full.request is not None and full.request.steps:
            req.append("Requested steps", self._style("detail--heading"))
            for i, step in enumerate(full.request.steps[:200]):
                req.append(f"\n  {i + 1}. ", muted)
                req.append(safe(step.call, limit=80))
                if step.ref:
                    req.append(f" ref={safe(step.ref, limit=60)}", muted)
                if step.args:
                    req.append(" " + safe(_short_args(step.args), limit=100), muted)
        self.query_one("#detail-request", Static).update(req)

        self._set_steps(full)

        meta = Text()
        metadata = v2.metadata if v2 is not None else (full.metadata if full else None)
        if metadata:
            meta.append("Metadata\n", self._style("detail--heading"))
            meta.append_text(json_text(metadata))
        self.query_one("#detail-metadata", Static).update(meta)

        result_text = Text()
        if v2 is not None and v2.result is not None:
            result_text.append("Result\n", self._style("detail--heading"))
            result_text.append_text(json_text(v2.result))
        self.query_one("#detail-result", Static).update(result_text)

    def _set_steps(self, full: Invocation | None) -> None:
        heading = self.query_one("#detail-steps-heading", Static)
        container = self.query_one("#detail-steps", Vertical)
        steps = full.result.steps if full is not None and full.result is not None else []
        signature = (full.id if full else None, len(steps), tuple(s.ok for s in steps))
        heading.display = full is not None
        if signature == self._steps_signature:
            return
        self._steps_signature = signature
        container.remove_children()
        if full is None:
            return
        if not steps:
            heading.update(
                Text(
                    "Step results: none yet" if not full.terminal else "Step results: none returned"
                )
            )
            return
        failed = [s for s in steps if isinstance(s, FailedStep)]
        heading.update(Text(f"Step results ({len(steps)}, {len(failed)} failed)"))
        first_failed = True
        items = []
        for step in steps:
            expanded = isinstance(step, FailedStep) and first_failed
            if isinstance(step, FailedStep):
                first_failed = False
            items.append(StepItem(step, ascii_only=self.ascii_only, expanded=expanded))
        container.mount_all(items)

    def expand_all(self) -> None:
        """Expand every failed step's diagnostic."""
        for item in self.step_items:
            if item.failed:
                item.expanded = True

    def focus_failed_step(self, forward: bool = True) -> bool:
        """Focus the next (or previous) failed step after the focused one; False if none."""
        failed = [item for item in self.step_items if item.failed]
        if not failed:
            return False
        items = self.step_items
        focused = self.screen.focused
        index = items.index(focused) if isinstance(focused, StepItem) and focused in items else -1
        ordered = [
            i for i in failed if (items.index(i) > index if forward else items.index(i) < index)
        ]
        if not ordered:
            ordered = failed
        target = ordered[0] if forward else ordered[-1]
        target.focus()
        target.scroll_visible(animate=False)
        return True


def _short_args(args: list[object]) -> str:
    try:
        return json.dumps(args, ensure_ascii=False)[:100]
    except (TypeError, ValueError):
        return str(args)[:100]
