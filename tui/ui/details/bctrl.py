"""bctrl's detail: progress, facts, the error, the requested steps, and every step result,
a failed one expanding to its diagnostic (expected vs received, did you mean, fixes, docs)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from tui.core.model import Detail, Row
from tui.core.text import clean
from tui.core.timefmt import ago, full_time
from tui.providers.bctrl.models import Body, Step
from tui.ui.details import DetailBody, Fact, facts_block, problem_block, section
from tui.ui.render import bar, fold_arrow, json_text
from tui.ui.widgets.doc_view import Block, Styler

FOLD_REQUESTED = 20
"""More requested steps than this start folded."""


class BctrlBody(DetailBody):
    """An invocation: its steps and their diagnostics."""

    _docs: dict[str, str] = {}

    def blocks(self, row: Row, detail: Detail | None, now: float) -> list[Block]:
        body: Body | None = detail.body if detail is not None else None
        self._docs = _docs_urls(body)
        blocks: list[Block] = []
        if not row.status.terminal and row.progress is not None:
            blocks.append(self._progress(row, body))
        extra: list[Fact] = []
        if body is not None:
            extra += [
                ("runtime", clean(body.runtime or "—", limit=30)),
                ("artifacts", "—" if body.artifacts is None else str(body.artifacts)),
            ]
            if body.steps is not None:
                beat = body.heartbeat
                extra += [
                    ("entry call", clean(body.entry_call or "—", limit=60)),
                    ("mode", clean(body.mode or "—", limit=20)),
                    ("sequence", "—" if body.sequence is None else str(body.sequence)),
                    ("steps", "—" if body.step_count is None else str(body.step_count)),
                    ("heartbeat", f"{full_time(beat)} ({ago(beat, now)})" if beat else "—"),
                ]
        blocks.append(facts_block(row, now, extra))
        details = None
        if row.problem is not None:
            if body is None:  # its full record is not read yet (or could not be)
                details = Text("(error details not read yet)", "italic")
            elif body.error_details:
                details = json_text(body.error_details)
            else:
                details = Text("(no error details returned)", "italic")
        error = problem_block(row, details)
        if error is not None:
            blocks.append(error)
        if body is None:
            return blocks
        if body.requested:
            blocks.append(self._requested(body))
        blocks += self._steps(row, body)
        if body.metadata:
            blocks.append(section("metadata", "Metadata", lambda _: json_text(body.metadata)))
        if body.result is not None:
            blocks.append(section("result", "Result", lambda _: json_text(body.result)))
        return blocks

    def _progress(self, row: Row, body: Body | None) -> Block:
        progress = row.progress
        assert progress is not None

        def build(style: Styler, expanded: bool) -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            if progress.total:
                step = progress.step or 0
                text.append(bar(progress.fraction, 20, ascii_only=self.ascii_only) + " ")
                text.append(f"step {step}/{progress.total}", style("doc--label"))
            if progress.message:
                text.append("  " + clean(progress.message, limit=200))
            if body is not None and (body.current_call or body.last_event):
                text.append("\ncurrent call ", style("doc--label"))
                text.append(clean(body.current_call or "—", limit=120))
                text.append("  last event ", style("doc--label"))
                text.append(clean(body.last_event or "—", limit=60))
            return text

        lines = 1 + (body is not None and bool(body.current_call or body.last_event))
        return Block("progress", build, height=lines)

    def _requested(self, body: Body) -> Block:
        steps = body.requested

        def build(style: Styler, expanded: bool) -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            folded = len(steps) > FOLD_REQUESTED and not expanded
            arrow = fold_arrow(not folded, ascii_only=self.ascii_only)
            text.append(arrow if len(steps) > FOLD_REQUESTED else "")
            text.append(f"Requested steps ({len(steps)})", style("doc--heading"))
            if folded:
                text.append("  (enter: show them)", style("doc--muted"))
            for number, step in enumerate([] if folded else steps, start=1):
                text.append(f"\n  {number}. ", style("doc--muted"))
                text.append(clean(step.call, limit=80))
                if step.ref:
                    text.append(f" ref={clean(step.ref, limit=60)}", style("doc--muted"))
                if step.args:
                    text.append(" " + clean(step.args, limit=100), style("doc--muted"))
            return text

        folds = len(steps) > FOLD_REQUESTED
        return Block(
            "requested",
            build,
            height=1 if folds else len(steps) + 1,
            expandable=folds,
        )

    def _steps(self, row: Row, body: Body) -> list[Block]:
        steps = body.steps
        if steps is None:
            return []
        failed = sum(step.failed for step in steps)
        if steps:
            title = f"Step results ({len(steps)}, {failed} failed)"
        else:
            title = (
                "Step results: none returned" if row.status.terminal else "Step results: none yet"
            )
        blocks = [Block("steps", lambda style, _: Text(title, style("doc--heading")), height=1)]
        first_failed = True
        for number, step in enumerate(steps):
            opened = step.failed and first_failed
            first_failed = first_failed and not step.failed
            blocks.append(self._step(number, step, opened))
        return blocks

    def _step(self, number: int, step: Step, expanded: bool) -> Block:
        ascii_only = self.ascii_only

        def build(style: Styler, expanded: bool) -> RenderableType:
            return step_text(step, style, expanded=expanded, ascii_only=ascii_only)

        if not step.failed:
            return Block(f"step-{number}", build, height=1)
        height = 2 + (step.hint is not None) + (step.diagnostic is not None)
        return Block(
            f"step-{number}", build, height=height, expandable=True, expanded=expanded, failed=True
        )

    def docs_url(self) -> str | None:
        """The docs link of the failed step under the cursor, else of the first failed one."""
        urls = self._docs
        current = self.doc.current
        if current is not None and current.key in urls:
            return urls[current.key]
        return next(iter(urls.values()), None)


def _docs_urls(body: Body | None) -> dict[str, str]:
    urls: dict[str, str] = {}
    for number, step in enumerate(body.steps or () if body is not None else ()):
        diag = step.diagnostic
        url = clean(diag.docs_url or "", limit=300) if diag is not None else ""
        if url.startswith(("https://", "http://")):
            urls[f"step-{number}"] = url
    return urls


def step_text(
    step: Step, style: Styler, *, expanded: bool, ascii_only: bool
) -> Text | RenderableType:
    """A step result: ok steps one line; failed ones code, message and hint, and expanded,
    the whole diagnostic, its fixes first, each field wrapping under its own indent."""
    index = f"#{step.index + 1} " if step.index is not None else "#? "
    if not step.failed:
        out = Text(no_wrap=True, overflow="ellipsis")
        mark = "ok " if ascii_only else "✔ "
        if step.ok is None:
            mark = "?? " if ascii_only else "? "
        out.append("  " + mark, style("doc--ok") if step.ok else style("doc--muted"))
        out.append(index, style("doc--muted"))
        out.append(clean(step.call, limit=80))
        if step.target:
            out.append(f"  → {clean(step.target, limit=60)}", style("doc--muted"))
        if step.message:
            out.append("  " + clean(step.message, limit=200), style("doc--muted"))
        return out
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(fold_arrow(expanded, ascii_only=ascii_only), style("doc--muted"))
    head.append("XX " if ascii_only else "✘ ", style("doc--error"))
    head.append(index, style("doc--muted"))
    head.append(clean(step.call, limit=80))
    head.append("  ")
    head.append(clean(step.code or "failed", limit=40), style("doc--code"))
    diag = step.diagnostic
    if not expanded:
        head.append("\n    " + clean(step.message or "(no message)", limit=2000))
        if step.hint:
            head.append("\n    hint: ", style("doc--label"))
            head.append(clean(step.hint, limit=500), style("doc--hint"))
        if diag is not None:
            head.append("\n    (enter: diagnostic)", style("doc--muted"))
        return head
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3)
    grid.add_column(width=12, style=style("doc--label"), no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")

    def field(label: str, value: Text | str | None) -> None:
        if value:
            grid.add_row(
                "", label, value if isinstance(value, Text) else Text(clean(value, limit=1000))
            )

    field("", Text(clean(step.message or "(no message)", limit=2000)))
    if diag is None:
        if step.hint:
            field("hint", Text(clean(step.hint, limit=500), style("doc--hint")))
        field("", Text("No diagnostic details were returned by the API.", style("doc--muted")))
        return Group(head, grid, Text(""))
    for number, fix in enumerate(diag.fixes[:10], start=1):
        text = Text(clean(fix.title, limit=200))
        if fix.command:
            text.append("\n$ ", style("doc--muted"))
            text.append(clean(fix.command, limit=500), style("doc--command"))
        if fix.example:
            text.append("\ne.g. ", style("doc--muted"))
            text.append(clean(fix.example, limit=500), style("doc--command"))
        field(f"fix {number}" if len(diag.fixes) > 1 else "fix", text)
    if step.hint:
        field("hint", Text(clean(step.hint, limit=500), style("doc--hint")))
    field("expected", diag.expected)
    field("received", diag.received)
    if diag.closest:
        field("did you mean", ", ".join(clean(c, limit=80) for c in diag.closest[:10]))
    field("category", diag.category)
    field("code", diag.code)
    field("call", diag.call)
    field("driver", diag.driver)
    if diag.docs_url:
        url = clean(diag.docs_url, limit=300)
        link = style("doc--link")
        if url.startswith(("https://", "http://")):
            link = link + Style(link=url)
        field("docs", Text(url, link))
    field("diagnostic", diag.id)
    return Group(head, grid, Text(""))
