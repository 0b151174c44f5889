"""bctrl's records (``shared/api/openapi``) mapped field by field into the neutral model.

Runs become groups, invocation summaries, v2 records and full records (the long-poll's
``invocation``) become rows of increasing rank, and the v2 and full records together make
the detail body: steps with their diagnostics. Every field is read on its own
(:mod:`tui.core.fields`): a value that does not fit costs that field only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tui.core import fields as f
from tui.core.failures import Cause
from tui.core.model import Group, Kind, Progress, Row, Stamp
from tui.core.text import clean, short_id

STATUS_WORDS: dict[str, Kind] = {
    "queued": Kind.QUEUED,
    "dispatching": Kind.QUEUED,
    "running": Kind.RUNNING,
    "cancelling": Kind.RUNNING,
    "succeeded": Kind.SUCCEEDED,
    "failed": Kind.FAILED,
    "cancelled": Kind.CANCELLED,
    "timed_out": Kind.TIMED_OUT,
}
RUN_WORDS: dict[str, Kind] = {
    "active": Kind.RUNNING,
    "stopped": Kind.SUCCEEDED,
    "failed": Kind.FAILED,
}
ACTIONS = ("act", "observe", "extract", "browserUse", "stagehandAgent", "solveCaptcha")
SUMMARY, V2, FULL = 0, 1, 2
"""Ranks: how complete a row's view is."""


def run_group(data: Any, observed: float, rank: int = 0) -> Group | None:
    """A run (``RunSummary`` or ``GET /v1/runs/{id}``); None without an id."""
    found = f.keyed(data)
    if found is None:
        return None
    run, key = found
    return Group(
        **f.common(run, key, RUN_WORDS, observed, rank),
        duration=f.number(run, "durationSeconds"),
        problem=f.problem(run.get("failure")),
        raw=run,
        title=short_id(key),
        subtitle=f.text(run, "runtimeType"),
        total=f.integer(f.obj(run.get("counts")), "invocations"),
    )


def _progress(value: Any) -> Progress | None:
    progress = f.obj(value)
    if not progress:
        return None
    return Progress(
        f.integer(progress, "step"), f.integer(progress, "totalSteps"), f.text(progress, "message")
    )


def invocation_row(
    data: Any, observed: float, rank: int, group: str = "", *, key: str | None = None
) -> Row | None:
    """A summary (rank 0), v2 record (1) or full record (2); None without an id (``key``:
    see :func:`~tui.core.fields.keyed`)."""
    found = f.keyed(data, key)
    if found is None:
        return None
    inv, key = found
    return Row(
        **f.common(inv, key, STATUS_WORDS, observed, rank),
        duration=f.number(inv, "durationMs", 0.001),
        problem=f.problem(inv.get("error")),
        raw=inv if rank == SUMMARY else None,
        group=f.text(inv, "runId") or group,
        # The full record has no action, only its entry call: its name is left to the others.
        name=f.text(inv, "action") or f.text(inv, "type"),
        progress=_progress(inv.get("progress")),
        heartbeat=f.stamp(inv, "lastHeartbeatAt"),
    )


# -- the detail body: steps and their diagnostics -----------------------------------------


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    command: str | None = None
    example: str | None = None

    @property
    def line(self) -> str:
        return self.title + (f" ($ {self.command})" if self.command else "")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Why a step failed, in detail."""

    id: str | None
    category: str | None = None
    code: str | None = None
    call: str | None = None
    driver: str | None = None
    expected: str | None = None
    received: str | None = None
    closest: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()
    docs_url: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step result: ``ok`` True or False, or None when the server's entry was unreadable
    (then ``message`` holds it as sent)."""

    index: int | None
    call: str
    ok: bool | None
    target: str | None = None
    code: str | None = None
    message: str | None = None
    hint: str | None = None
    diagnostic: Diagnostic | None = None

    @property
    def failed(self) -> bool:
        return self.ok is False


@dataclass(frozen=True, slots=True)
class Requested:
    """One step the caller asked for."""

    call: str
    ref: str | None
    arguments: Any = field(default=None, compare=False)
    """The arguments as sent (made text only when shown: a record asks for thousands)."""

    @property
    def args(self) -> str | None:
        return f.compact(self.arguments)[:100] if self.arguments else None


@dataclass(frozen=True, slots=True)
class Body:
    """An invocation's detail, from its v2 record and its full record (when fetched)."""

    action: str = ""
    runtime: str | None = None
    artifacts: int | None = None
    entry_call: str | None = None
    mode: str | None = None
    sequence: int | None = None
    step_count: int | None = None
    heartbeat: Stamp = None
    current_call: str | None = None
    last_event: str | None = None
    error_details: Any = None
    requested: tuple[Requested, ...] = ()
    steps: tuple[Step, ...] | None = None
    """None until the full record has been read."""
    metadata: Any = None
    result: Any = None

    @property
    def failed_steps(self) -> list[Step]:
        return [step for step in self.steps or () if step.failed]


def _diagnostic(value: Any) -> Diagnostic | None:
    diag = f.obj(value)
    if not diag:
        return None
    fixes = tuple(
        Fix(
            f.text(fix, "title") or "(untitled fix)", f.text(fix, "command"), f.text(fix, "example")
        )
        for fix in map(f.obj, f.items(diag.get("fixes")))
        if fix
    )
    closest = tuple(c if isinstance(c, str) else f.compact(c) for c in f.items(diag.get("closest")))
    said = ("id", "category", "code", "call", "driver", "expected", "received")
    return Diagnostic(
        **{name: f.text(diag, name) for name in said},
        closest=closest,
        fixes=fixes,
        docs_url=f.text(diag, "docsUrl"),
    )


def _step(value: Any) -> Step:
    step = f.obj(value)
    if not step:
        return Step(None, "(unreadable step)", None, message=f.compact(value))
    error = f.obj(step.get("error"))
    ok = step.get("ok")
    failed = ok is False or (ok is not True and bool(error))
    resolved = f.obj(step.get("resolved"))
    return Step(
        index=f.integer(step, "index"),
        call=f.text(step, "call") or "",
        ok=not failed,
        target=f.text(resolved, "target"),
        code=f.text(error, "code"),
        message=f.text(error, "message"),
        hint=f.text(error, "hint"),
        diagnostic=_diagnostic(error.get("diagnostic")),
    )


def _requested(value: Any) -> Requested:
    step = f.obj(value)
    args = step.get("args")
    return Requested(f.text(step, "call") or "", f.text(step, "ref"), args)


def body_from_v2(data: Any, base: Body | None) -> Body:
    """The v2 record's part of the body."""
    inv = f.obj(data)
    error = f.obj(inv.get("error"))
    return replace(
        base or Body(),
        action=f.text(inv, "type") or (base.action if base else ""),
        runtime=f.text(inv, "runtimeType"),
        artifacts=f.integer(inv, "artifactCount"),
        error_details=error.get("details"),
        metadata=inv.get("metadata"),
        result=inv.get("result"),
    )


def body_from_full(data: Any, base: Body | None) -> Body:
    """The full record's part of the body: what was asked and what happened, step by step."""
    inv = f.obj(data)
    progress = f.obj(inv.get("progress"))
    request = f.obj(inv.get("request"))
    result = f.obj(inv.get("result"))
    error = f.obj(inv.get("error"))
    base = base or Body(
        action=f.text(inv, "entryCall") or "",
        runtime=f.text(inv, "runtimeKind"),
        metadata=inv.get("metadata"),
    )
    return replace(
        base,
        artifacts=base.artifacts if base.artifacts is not None else f.integer(inv, "artifactCount"),
        entry_call=f.text(inv, "entryCall"),
        mode=f.text(inv, "executionMode"),
        sequence=f.integer(inv, "sequenceNo"),
        step_count=f.integer(inv, "stepCount"),
        heartbeat=f.stamp(inv, "lastHeartbeatAt"),
        current_call=f.text(progress, "currentCall"),
        last_event=f.text(progress, "lastEventType"),
        error_details=base.error_details
        if base.error_details is not None
        else error.get("details"),
        requested=tuple(_requested(s) for s in f.items(request.get("steps"))),
        steps=tuple(_step(s) for s in f.items(result.get("steps"))),
    )


def cause(row: Row, body: Body | None) -> Cause:
    """Why an invocation failed: its first failed step (code, call, message, first fix),
    else its own error."""
    step = next(iter(body.failed_steps), None) if body is not None else None
    if step is None:
        problem = row.problem
        return Cause(problem.code if problem else None, problem.message if problem else None)
    fixes = step.diagnostic.fixes if step.diagnostic is not None else ()
    return Cause(step.code, step.message, step.call, fixes[0].line if fixes else step.hint)


def explain(row: Row, body: Body | None) -> list[str]:
    """Why an invocation failed, as plain lines: its error, then each failed step with its
    message, expected vs received, the first fix and the docs link."""
    lines: list[str] = []
    if row.problem is not None and row.problem.text():
        lines.append(row.problem.text())
    for step in body.failed_steps if body is not None else []:
        where = f"step {step.index + 1}" if step.index is not None else "step"
        lines.append(f"{where} {step.call}: {step.code or 'failed'}")
        if step.message:
            lines.append(f"  {step.message}")
        if step.hint:
            lines.append(f"  hint: {step.hint}")
        diag = step.diagnostic
        if diag is None:
            continue
        if diag.expected or diag.received:
            lines.append(f"  expected {diag.expected or '—'}, received {diag.received or '—'}")
        if diag.fixes:
            lines.append(f"  fix: {diag.fixes[0].line}")
        if diag.docs_url:
            lines.append(f"  docs: {diag.docs_url}")
    return [clean(line, limit=2000) for line in lines]
