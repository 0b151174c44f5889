"""bctrl's current API (``tests/contract/bctrl-current``) mapped into the neutral model.

Runs become groups and tool calls rows; a tool call's detail body holds the call itself, its
result once read, the run's trace spans and the run's events. From those, :func:`span_path`
gives the path from a failed call's span up to the run, and :func:`evidence` the events
joined on ``spanId`` that explain it, nearest first. Every field is read on its own
(:mod:`tui.core.fields`): a value that does not fit costs that field only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tui.core import fields as f
from tui.core.failures import Cause
from tui.core.model import Group, Kind, Problem, Row, Stamp, Status, seconds
from tui.core.text import clean, short_id

STATUS_WORDS: dict[str, Kind] = {
    "queued": Kind.QUEUED,
    "running": Kind.RUNNING,
    "awaiting_input": Kind.WAITING,  # October 2026
    "requires_input": Kind.WAITING,  # August 2026
    "succeeded": Kind.SUCCEEDED,
    "failed": Kind.FAILED,
    "canceled": Kind.CANCELLED,  # October
    "cancelled": Kind.CANCELLED,  # August
    "timed_out": Kind.TIMED_OUT,  # August
    # October: an interrupted call's outcome is not known and never changes again. It did
    # not succeed, so it is a failure the user must see (August called the same "failed").
    "unknown": Kind.FAILED,
}
FILTER_WORDS = (
    "queued",
    "running",
    "awaiting_input",
    "succeeded",
    "failed",
    "canceled",
    "unknown",
)
"""What the status filter offers (October's words; the server maps its own)."""
RUN_WORDS: dict[str, Kind] = {
    "starting": Kind.QUEUED,
    "active": Kind.RUNNING,
    "standby": Kind.WAITING,
    "stopping": Kind.RUNNING,
    "ended": Kind.SUCCEEDED,
    "failed": Kind.FAILED,
}
SPAN_WORDS: dict[str, Kind] = {
    **STATUS_WORDS,
    "unknown": Kind.UNKNOWN,  # a span whose outcome is not known (inside a crashed call)
    "ok": Kind.SUCCEEDED,
    "error": Kind.FAILED,
    "suspended": Kind.WAITING,
}
TOOL_SPAN_WORDS = {**SPAN_WORDS, "unknown": STATUS_WORDS["unknown"]}
"""A tool call's own span reads as the call does in the table (``✘ unknown``: a failure)."""
LIST, ONE = 0, 1
"""Ranks: a list row, and a call read on its own (the same record, read later)."""
EVIDENCE = 12
"""Events shown beside a failed call, at most."""
BAD_OUTCOMES = frozenset({"failed", "error", "denied", "blocked", "timeout", "timed_out"})


def run_group(data: Any, observed: float, rank: int = 0) -> Group | None:
    """A ``Run``; None without an id. A failed run's ``endReason`` is its problem."""
    found = f.keyed(data)
    if found is None:
        return None
    run, key = found
    basics = f.common(run, key, RUN_WORDS, observed, rank, finished="endedAt")
    reason = f.text(run, "endReason")
    return Group(
        **basics,
        problem=Problem(reason, None) if basics["status"].kind is Kind.FAILED and reason else None,
        raw=run,
        title=short_id(key),  # run_uKbwr6Ay: a prefix watch and : accept as it is
        subtitle=f.text(run, "resourceType"),
    )


def call_row(
    data: Any, observed: float, rank: int, group: str = "", *, key: str | None = None
) -> Row | None:
    """A ``ToolCall``; None without an id (``key``: see :func:`~tui.core.fields.keyed`)."""
    found = f.keyed(data, key)
    if found is None:
        return None
    call, key = found
    return Row(
        **f.common(call, key, STATUS_WORDS, observed, rank),
        problem=f.problem(call.get("error")),
        raw=call,
        group=f.text(call, "runId") or group,
        name=f.text(call, "tool"),
        note=f.text(f.obj(call.get("inputRequest")), "prompt"),
    )


# -- spans and events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """One trace span; ``parent`` links the tree."""

    id: str
    parent: str | None
    kind: str
    name: str
    status: Status
    started: Stamp = None
    finished: Stamp = None
    duration: float | None = None
    """Seconds."""
    resource: str | None = None
    """The tool call a ``tool`` span is (``resourceType: tool_call``)."""

    @property
    def failed(self) -> bool:
        return self.status.failure


def span(data: Any) -> Span | None:
    item = f.obj(data)
    key = f.text(item, "id")
    if not key:
        return None
    resource = (
        f.text(item, "resourceId")
        if f.text(item, "resourceType") == "tool_call"
        else f.text(f.obj(item.get("data")), "toolCallId")
    )
    return Span(
        id=key,
        parent=f.text(item, "parentId"),
        kind=f.text(item, "kind") or "?",
        name=f.text(item, "name") or "",
        status=f.status(item.get("status"), TOOL_SPAN_WORDS if resource else SPAN_WORDS),
        started=f.stamp(item, "startedAt"),
        finished=f.stamp(item, "finishedAt"),
        duration=seconds(f.number(item, "durationMs", 0.001)),
        resource=resource,
    )


@dataclass(frozen=True, slots=True)
class Event:
    """One run event: what happened, in which span, and how it went."""

    id: str
    type: str
    category: str
    outcome: str
    span: str | None
    time: Stamp
    summary: str

    @property
    def bad(self) -> bool:
        return self.outcome in BAD_OUTCOMES


def _summary(event: Mapping[str, Any]) -> str:
    """An event's data as one line: a message first when it has one, else ``key=value``s."""
    data = f.obj(event.get("data"))
    for name in ("message", "errorText", "text", "error", "reason"):
        said = f.text(data, name)
        if said:
            extra = [f"{k}={f.text(data, k)}" for k in ("status", "url") if data.get(k) is not None]
            return " ".join([said, *extra])
    return " ".join(f"{k}={f.text(data, k)}" for k in list(data)[:6])


def event(data: Any) -> Event | None:
    item = f.obj(data)
    key = f.text(item, "id")
    if not key:
        return None
    return Event(
        id=key,
        type=f.text(item, "type") or "?",
        category=f.text(item, "category") or "",
        outcome=f.text(item, "outcome") or "",
        span=f.text(item, "spanId"),
        time=f.stamp(item, "time") or f.stamp(item, "timestamp"),
        summary=_summary(item),
    )


# -- the detail body ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputRequest:
    prompt: str
    expires: Stamp = None
    handoff: bool | None = None
    view_url: str | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """A tool call's detail: the call, then (once read) its result, the run's trace and its
    events."""

    tool: str = ""
    caller: str | None = None
    run: str | None = None
    span: str | None = None
    parent: str | None = None
    runtime: str | None = None
    retryable: bool | None = None
    input_request: InputRequest | None = None
    result_available: bool = False
    result: Any = None
    result_read: bool = False
    trace: tuple[Span, ...] | None = None
    """The run's spans; None until read."""
    trace_at: Stamp = None
    """When the trace was read (a finished call's is not read again, while its run goes on)."""
    events: tuple[Event, ...] | None = None
    """The run's events; None until read (read for failed calls)."""

    def failed_inside(self) -> list[Span]:
        """The failed spans under the call's own, in trace order."""
        inside = set(subtree(self.trace or (), self.span)) - {self.span}
        return [s for s in self.trace or () if s.id in inside and s.failed]

    def span_path(self) -> list[Span]:
        """From the deepest failed span under the call (the failure itself), else from the
        call's own span, up to the root."""
        spans = self.trace or ()
        deepest = max(self.failed_inside(), key=lambda s: len(span_path(spans, s.id)), default=None)
        return span_path(spans, deepest.id if deepest is not None else self.span)

    def evidence(self) -> list[Event]:
        return evidence(self.trace or (), self.events or (), self.span)


def body_from_call(data: Any, base: Body | None) -> Body:
    """The call record's part of the body (what was read before is kept)."""
    call = f.obj(data)
    error = f.obj(call.get("error"))
    request = f.obj(call.get("inputRequest"))
    retryable = error.get("retryable")
    handoff = request.get("handoff")
    return replace(
        base or Body(),
        tool=f.text(call, "tool") or "",
        caller=f.text(call, "callerType"),
        run=f.text(call, "runId"),
        span=f.text(call, "spanId"),
        parent=f.text(call, "parentId"),
        runtime=f.text(call, "runtimeId"),
        retryable=retryable if isinstance(retryable, bool) else None,
        input_request=InputRequest(
            f.text(request, "prompt") or "",
            f.stamp(request, "expiresAt"),
            handoff if isinstance(handoff, bool) else None,
            f.text(request, "viewUrl"),
        )
        if request
        else None,
        result_available=call.get("resultAvailable") is True,
    )


def span_path(spans: Iterable[Span], start: str | None) -> list[Span]:
    """From the span ``start`` up through its parents to the root (a loop stops it)."""
    by_id = {s.id: s for s in spans}
    path: list[Span] = []
    seen: set[str] = set()
    current = by_id.get(start or "")
    while current is not None and current.id not in seen:
        seen.add(current.id)
        path.append(current)
        current = by_id.get(current.parent or "")
    return path


def subtree(spans: Iterable[Span], root: str | None) -> list[str]:
    """The ids of ``root`` and every span under it."""
    children: dict[str | None, list[str]] = {}
    for s in spans:
        children.setdefault(s.parent, []).append(s.id)
    found: list[str] = []
    todo = [root] if root else []
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        todo += children.get(current, [])
    return found


def evidence(spans: tuple[Span, ...], events: Iterable[Event], span_id: str | None) -> list[Event]:
    """The events that explain a call: those in its span or under it, bad ones first, then
    newest first (nearest the failure); then bad events of the spans above it (the
    runtime's crash). At most :data:`EVIDENCE`."""
    if not span_id:
        return []
    inside = set(subtree(spans, span_id))
    above = {s.id for s in span_path(spans, span_id)} - inside
    events = list(events)

    def newest(e: Event) -> float:
        return seconds(e.time) or 0.0

    near = sorted((e for e in events if e.span in inside), key=lambda e: (not e.bad, -newest(e)))
    own = next((s for s in spans if s.id == span_id), None)
    began, ended = (seconds(own.started), seconds(own.finished)) if own else (None, None)

    def during(e: Event) -> bool:
        """Within the call's time (a second either side): a crash after it explains nothing."""
        when = seconds(e.time)
        if when is None or began is None:
            return False
        return began - 1 <= when <= (ended if ended is not None else when) + 1

    far = sorted(
        (e for e in events if e.span in above and e.bad and during(e)), key=newest, reverse=True
    )
    return (near + far)[:EVIDENCE]


def merge_spans(known: Iterable[Span], news: Iterable[Span]) -> tuple[Span, ...]:
    """Spans read once, updated by newer views of them (the stream's), with the store's rule:
    a finished span never goes back to live (a stream replaying from its start sends old
    states)."""
    spans = {s.id: s for s in known}
    for new in news:
        old = spans.get(new.id)
        if old is None or not (old.status.terminal and not new.status.terminal):
            spans[new.id] = new
    return tuple(spans.values())


def cause(row: Row, body: Body | None) -> Cause:
    """Why a call failed: its error, where (the deepest failed span under it, else the tool)."""
    problem = row.problem or Problem()
    failed = body.failed_inside() if body is not None else []
    # Said as a fix (E shows it as one): what to do, not only that the error is retryable.
    fix = "Retry the call: the API says it may succeed again" if body and body.retryable else None
    return Cause(problem.code, problem.message, failed[-1].name if failed else row.name, fix)


def explain(row: Row, body: Body | None) -> list[str]:
    """Why a call failed, as plain lines: its error, the span path up to the run, and the
    events beside it."""
    lines = [row.problem.text()] if row.problem is not None and row.problem.text() else []
    if body is not None:
        if body.retryable is not None:
            lines.append("  retryable" if body.retryable else "  not retryable")
        if path := body.span_path():
            shown = " < ".join(f"{s.kind} {s.name} ({s.status.raw or '?'})" for s in path)
            lines.append(f"  path: {shown} < run")
        lines += [
            f"  {e.category or e.type}: {e.type} {e.summary}".rstrip() for e in body.evidence()
        ]
    return [clean(line, limit=2000) for line in lines]
