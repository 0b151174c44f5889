"""pydantic v2 models of the bctrl contract (``shared/api/openapi``) plus the runs endpoints.

Fields follow the contract: required fields are required, nullable fields accept ``None``,
optional fields default to ``None``. Extra fields are kept, never rejected. Enumerated fields
are *open*: a value the contract does not list parses to :class:`UnknownValue`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag
from pydantic.alias_generators import to_camel

from tui.api.enums import (
    OpenAction,
    OpenBindingType,
    OpenCategory,
    OpenExecutionMode,
    OpenReasonClass,
    OpenRunStatus,
    OpenRuntimeKind,
    OpenStatus,
    OpenStepErrorCode,
    is_failure,
    is_terminal,
)

JsonObject = dict[str, Any]


class ApiModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields kept.

    Validators are built on first use (``defer_build``): the first frame needs two models,
    and building all of them at import cost the start about 40 ms."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
        defer_build=True,
    )

    def to_wire(self) -> JsonObject:
        """The model as the server would send it (camelCase, no unset fields)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ErrorResponse(ApiModel):
    """The body of every bctrl error response."""

    code: str
    error: str
    details: JsonObject | None = None
    hint: str | None = None
    reason_class: OpenReasonClass | None = None
    request_id: str | None = None


class InvocationError(ApiModel):
    """An invocation-level error (summary, v2 envelope, full invocation, operation)."""

    message: str
    code: str | None = None
    details: JsonObject | None = None


class Progress(ApiModel):
    """Progress of a live invocation; the full record adds currentCall and lastEventType."""

    message: str | None = None
    step: int | None = None
    total_steps: int | None = None
    current_call: str | None = None
    last_event_type: str | None = None

    @property
    def fraction(self) -> float | None:
        """Completed share in [0, 1], or None when the totals are unknown."""
        if self.step is None or not self.total_steps or self.total_steps <= 0:
            return None
        return max(0.0, min(1.0, self.step / self.total_steps))


class _StatusMixin:
    status: Any

    @property
    def terminal(self) -> bool:
        """True once the status can never change again."""
        return is_terminal(self.status)

    @property
    def failed(self) -> bool:
        """True for failed, cancelled and timed out."""
        return is_failure(self.status)


class InvocationSummary(_StatusMixin, ApiModel):
    """One row of ``GET /v1/runs/{runId}/invocations``."""

    id: str
    run_id: str
    runtime_id: str
    action: OpenAction
    status: OpenStatus
    created_at: datetime
    duration_ms: int | None = None
    error: InvocationError | None = None
    finished_at: datetime | None = None


class InvocationPage(ApiModel):
    """A page of invocation summaries; follow ``next_cursor`` until it is None."""

    data: list[InvocationSummary]
    next_cursor: str | None


class InvocationV2(_StatusMixin, ApiModel):
    """``GET /v2/invocations/{id}`` ``data``: the detail panel's main source."""

    id: str
    run_id: str
    runtime_id: str
    space_id: str
    runtime_type: OpenRuntimeKind
    status: OpenStatus
    type: str
    artifact_count: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    error: InvocationError | None = None
    metadata: JsonObject | None = None
    progress: Progress | None = None
    result: Any = None


class InvocationEnvelope(ApiModel):
    """The v2 response envelope."""

    data: InvocationV2


class StepOptions(ApiModel):
    dry_run: bool | None = None
    timeout_ms: int | None = None


class RequestStep(ApiModel):
    """One step the caller asked for."""

    call: str
    args: list[Any] | None = None
    bind: str | None = None
    ref: str | None = None
    options: StepOptions | None = None


class InvocationRequest(ApiModel):
    """What was asked: ``request`` of the full invocation."""

    runtime_id: str
    steps: list[RequestStep]
    idempotency_key: str | None = None
    mode: str | None = None


class StepBinding(ApiModel):
    alias: str
    id: str
    type: OpenBindingType


class ResolvedTarget(ApiModel):
    """Where an ok step ran; invocations carry runtimeId, operations sessionId."""

    call: str
    method: str
    target: str
    context_id: str | None
    handle_id: str | None
    page_id: str | None
    ref: str | None
    runtime_id: str | None = None
    session_id: str | None = None


class DiagnosticFix(ApiModel):
    """A suggested fix for a failed step."""

    title: str
    command: str | None = None
    example: str | None = None


class Diagnostic(ApiModel):
    """Why a step failed, in detail."""

    id: str
    category: OpenCategory | None = None
    code: str | None = None
    call: str | None = None
    driver: str | None = None
    expected: str | None = None
    received: str | None = None
    closest: list[str] | None = None
    fixes: list[DiagnosticFix] | None = None
    docs_url: str | None = None


class StepError(ApiModel):
    """The error of a failed step."""

    code: OpenStepErrorCode
    message: str
    hint: str | None = None
    diagnostic: Diagnostic | None = None


class OkStep(ApiModel):
    """A step that succeeded."""

    ok: Literal[True] = True
    call: str
    index: int
    resolved: ResolvedTarget
    result: Any
    binding: StepBinding | None = None


class FailedStep(ApiModel):
    """A step that failed, with its error and diagnostic."""

    ok: Literal[False] = False
    call: str
    index: int
    error: StepError


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "ok" if value.get("ok") is True and "error" not in value else "failed"
    return "ok" if getattr(value, "ok", False) else "failed"


StepResult = Annotated[
    Annotated[OkStep, Tag("ok")] | Annotated[FailedStep, Tag("failed")],
    Discriminator(_step_kind),
]


class StepsResult(ApiModel):
    """What happened: ``result`` of a full invocation or operation."""

    mode: str
    ok: bool
    steps: list[StepResult]
    runtime_id: str | None = None
    runtime: str | None = None

    @property
    def failed_steps(self) -> list[FailedStep]:
        return [s for s in self.steps if isinstance(s, FailedStep)]


class Invocation(_StatusMixin, ApiModel):
    """The full invocation record returned by ``POST /v1/invocations/{id}/wait``."""

    id: str
    run_id: str
    runtime_id: str
    space_id: str
    runtime_kind: OpenRuntimeKind
    status: OpenStatus
    entry_call: str
    execution_mode: OpenExecutionMode
    sequence_no: int
    step_count: int
    artifact_count: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    duration_ms: int | None = None
    connector: str | None = None
    correlation_id: str | None = None
    error: InvocationError | None = None
    metadata: JsonObject | None = None
    progress: Progress | None = None
    request: InvocationRequest | None = None
    result: StepsResult | None = None


class WaitResponse(ApiModel):
    """The long-poll answer: the invocation, and whether the wait ran out first."""

    invocation: Invocation
    timed_out_waiting: bool


class Operation(_StatusMixin, ApiModel):
    """``GET /v1/operations/{id}``: a durable operation."""

    id: str
    runtime: str
    runtime_id: str
    runtime_kind: OpenRuntimeKind
    status: OpenStatus
    workspace_id: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    current_call: str | None = None
    error: InvocationError | None = None
    progress: Progress | None = None
    result: StepsResult | None = None


class RunFailure(ApiModel):
    code: str | None = None
    message: str | None = None


class RunCounts(ApiModel):
    events: int | None = None
    files: int | None = None
    invocations: int | None = None
    tool_calls: int | None = None


class RunSummary(ApiModel):
    """One row of ``GET /v1/runs`` (beyond the contract: read defensively)."""

    id: str
    runtime_id: str
    runtime_type: OpenRuntimeKind | None = None
    space_id: str | None = None
    status: OpenRunStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    failure: RunFailure | None = None
    counts: RunCounts | None = None


class Run(RunSummary):
    """``GET /v1/runs/{runId}``: a run with its counts."""


class RunPage(ApiModel):
    """A page of runs, newest first."""

    data: list[RunSummary]
    next_cursor: str | None = None
