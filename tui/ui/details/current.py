"""bctrl's current API in the detail: the tool call, why it failed (its span path up to the
run, and the events joined on ``spanId``, nearest first), what it waits for, its result, and
the run's trace as a tree: two levels open, failed branches and this call's branch open."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from tui.core.model import Detail, Row
from tui.core.text import clean, plural
from tui.core.timefmt import clock_time, duration, full_time
from tui.providers.current.models import Body, Event, Span, subtree
from tui.ui.details import DetailBody, Fact, facts_block, problem_block, section
from tui.ui.render import badge_parts, fold_arrow, json_text
from tui.ui.widgets.doc_view import Block, Styler

MAX_TOP = 500
"""Second-level spans shown (each one line when folded); a bigger trace says how many more."""


class CurrentBody(DetailBody):
    """A tool call with its trace and evidence."""

    def blocks(self, row: Row, detail: Detail | None, now: float) -> list[Block]:
        body: Body | None = detail.body if detail is not None else None
        extra: list[Fact] = []
        if body is not None:
            extra += [
                ("tool", clean(body.tool or "—", limit=60)),
                ("caller", clean(body.caller or "—", limit=20)),
                ("run", clean(body.run or "—", limit=60)),
                ("span", clean(body.span or "—", limit=60)),
                ("runtime", clean(body.runtime or "—", limit=60)),
            ]
            if body.parent:
                extra.append(("parent call", clean(body.parent, limit=60)))
        blocks = [facts_block(row, now, extra)]
        retry = None
        if body is not None and body.retryable is not None and row.problem is not None:
            retry = Text("retryable" if body.retryable else "not retryable", "italic")
        error = problem_block(row, retry)
        if error is not None:
            blocks.append(error)
        if body is None:
            return blocks
        if body.input_request is not None and not row.status.terminal:
            blocks.append(self._input(body))
        if row.status.failure and body.trace is not None:
            blocks.append(self._why(body))
        if body.result_read:
            blocks.append(section("result", "Result", lambda _: json_text(body.result)))
        if body.trace is not None:
            blocks += self._trace(body)
        return blocks

    def _input(self, body: Body) -> Block:
        request = body.input_request
        assert request is not None

        def build(style: Styler, expanded: bool) -> Text:
            text = Text("Waiting for input\n", style("doc--heading"))
            text.append(clean(request.prompt or "(no prompt)", multiline=True, limit=2000))
            if request.expires is not None:
                text.append("\n  expires ", style("doc--label"))
                text.append(full_time(request.expires))
            if request.handoff:
                text.append("\n  a person takes over in the live view", style("doc--hint"))
            if request.view_url:
                text.append("\n  view ", style("doc--label"))
                text.append(clean(request.view_url, limit=300), style("doc--link"))
            text.append("\n")
            return text

        return Block("input", build)

    def _why(self, body: Body) -> Block:
        path = body.span_path()
        found = body.evidence()
        ascii_only = self.ascii_only

        def build(style: Styler, expanded: bool) -> Text:
            text = Text("Why it failed\n", style("doc--heading"), no_wrap=True, overflow="ellipsis")
            if not path:
                text.append("  (the call's span is not in the run's trace)\n", style("doc--muted"))
            for depth, span in enumerate(path):
                text.append("  " + "  " * depth + ("^ " if depth and ascii_only else ""))
                if depth and not ascii_only:
                    text.append("↑ ", style("doc--muted"))
                text.append_text(_span_line(span, style, ascii_only))
                if span.id == body.span:
                    text.append("  < this call" if ascii_only else "  ◀ this call", "bold")
                text.append("\n")
            if path:
                text.append("  " + "  " * len(path) + ("^ " if ascii_only else "↑ "))
                text.append("run", style("doc--muted"))
                text.append("\n")
            if not found:
                text.append("  no events were recorded in its spans\n", style("doc--muted"))
            else:
                text.append(
                    f"Events beside it ({len(found)}, nearest first)\n", style("doc--label")
                )
            for item in found:
                text.append_text(_event_line(item, style))
                text.append("\n")
            return text

        return Block("why", build, failed=True, expandable=False)

    def _trace(self, body: Body) -> list[Block]:
        spans = body.trace or ()
        ascii_only = self.ascii_only
        children: dict[str | None, list[Span]] = {}
        ids = {s.id for s in spans}
        for s in spans:
            parent = s.parent if s.parent in ids else None
            children.setdefault(parent, []).append(s)
        for kids in children.values():
            kids.sort(key=lambda s: s.started if isinstance(s.started, float) else 0.0)
        mine = set(subtree(spans, body.span)) | {s.id for s in body.span_path()}
        failed_under: dict[str, bool] = {}

        def has_failure(span: Span) -> bool:
            if span.id not in failed_under:
                failed_under[span.id] = False  # a loop in the tree stops here
                failed_under[span.id] = span.failed or any(
                    has_failure(k) for k in children.get(span.id, [])
                )
            return failed_under[span.id]

        title = f"Trace ({plural(len(spans), 'span')})" if spans else "Trace: no spans"
        if any(not s.status.terminal for s in spans) and body.trace_at is not None:
            title += f", as of {clock_time(body.trace_at)}"  # the run went on after this read
        blocks = [Block("trace", lambda style, _: Text(title, style("doc--heading")), height=1)]
        for root in children.get(None, []):
            blocks.append(
                Block(
                    f"span-{root.id}",
                    _line_block(root, 0, ascii_only),
                    height=1,
                    failed=root.failed,
                )
            )
            for top in children.get(root.id, [])[:MAX_TOP]:
                kids = children.get(top.id, [])
                opened = bool(kids) and (has_failure(top) or top.id in mine)

                def build(
                    style: Styler, expanded: bool, top: Span = top, kids: list[Span] = kids
                ) -> Text:
                    text = Text(no_wrap=True, overflow="ellipsis")
                    arrow = fold_arrow(expanded, ascii_only=ascii_only)
                    text.append("  " + (arrow if kids else "  "), style("doc--muted"))
                    text.append_text(_span_line(top, style, ascii_only))
                    if top.id == body.span:
                        text.append("  ◀ this call" if not ascii_only else "  < this call", "bold")
                    if kids and not expanded:
                        text.append(f"  (+{_count(top.id, children)})", style("doc--muted"))
                    if expanded:
                        for line in _branch(top.id, children, 2, style, ascii_only):
                            text.append("\n")
                            text.append_text(line)
                    return text

                blocks.append(
                    Block(
                        f"span-{top.id}",
                        build,
                        height=1,
                        expandable=bool(kids),
                        expanded=opened,
                        failed=top.failed and top.id == body.span,
                    )
                )
            more = len(children.get(root.id, [])) - MAX_TOP
            if more > 0:
                said = f"    … {more:,} more spans"
                blocks.append(Block(f"more-{root.id}", _muted(said), height=1))
        return blocks


def _muted(said: str) -> Callable[[Styler, bool], Text]:
    return lambda style, _: Text(said, style("doc--muted"))


def _count(span_id: str, children: dict[str | None, list[Span]]) -> int:
    """How many spans are under ``span_id``."""
    total, todo, seen = 0, [span_id], {span_id}
    while todo:
        for kid in children.get(todo.pop(), []):
            if kid.id not in seen:
                seen.add(kid.id)
                total += 1
                todo.append(kid.id)
    return total


def _branch(
    span_id: str,
    children: dict[str | None, list[Span]],
    depth: int,
    style: Styler,
    ascii_only: bool,
    seen: set[str] | None = None,
) -> list[Text]:
    seen = seen if seen is not None else {span_id}
    lines: list[Text] = []
    for kid in children.get(span_id, []):
        if kid.id in seen:
            continue
        seen.add(kid.id)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("  " * depth + "  ")
        text.append_text(_span_line(kid, style, ascii_only))
        lines.append(text)
        lines += _branch(kid.id, children, depth + 1, style, ascii_only, seen)
    return lines


def _line_block(span: Span, depth: int, ascii_only: bool) -> Callable[[Styler, bool], Text]:
    def build(style: Styler, expanded: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("  " * depth)
        text.append_text(_span_line(span, style, ascii_only))
        return text

    return build


def _span_line(span: Span, style: Styler, ascii_only: bool) -> Text:
    """``✘ tool  browser.click  failed  376ms``."""
    glyph, _, component = badge_parts(span.status, ascii_only=ascii_only)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(glyph + " ", style(component))
    text.append(f"{clean(span.kind, limit=8):<8} ", style("doc--label"))
    text.append(clean(span.name, limit=80))
    text.append("  " + clean(span.status.raw or "?", limit=24), style(component))
    if span.duration is not None:
        text.append("  " + duration(span.duration), style("doc--muted"))
    return text


def _event_line(item: Event, style: Styler) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"  {clock_time(item.time)}  ", style("doc--muted"))
    text.append(
        clean(item.type, limit=40) + "  ", style("doc--error") if item.bad else style("doc--label")
    )
    text.append(clean(item.summary, limit=400))
    return text
