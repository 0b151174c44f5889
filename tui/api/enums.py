"""Open enums: contract values parse to enum members, anything else keeps its raw string."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema


class KnownValue(StrEnum):
    """Base for the contract's enums; every member is known."""

    @property
    def known(self) -> bool:
        """Whether the contract lists this value (always true for members)."""
        return True

    @property
    def raw(self) -> str:
        """The value exactly as the server sent it."""
        return str(self.value)


class UnknownValue:
    """A value the contract does not list, kept verbatim so it can still be shown."""

    __slots__ = ("raw",)
    known: Final = False

    def __init__(self, raw: str) -> None:
        self.raw = raw

    @property
    def value(self) -> str:
        """The raw string, so callers can treat known and unknown alike."""
        return self.raw

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return f"UnknownValue({self.raw!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnknownValue):
            return self.raw == other.raw
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("unknown", self.raw))


class InvocationStatus(KnownValue):
    QUEUED = "queued"
    DISPATCHING = "dispatching"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def terminal(self) -> bool:
        """A terminal invocation never changes again."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: Final = frozenset(
    {
        InvocationStatus.SUCCEEDED,
        InvocationStatus.FAILED,
        InvocationStatus.CANCELLED,
        InvocationStatus.TIMED_OUT,
    }
)
FAILURE_STATUSES: Final = frozenset(
    {InvocationStatus.FAILED, InvocationStatus.CANCELLED, InvocationStatus.TIMED_OUT}
)


class Action(KnownValue):
    ACT = "act"
    OBSERVE = "observe"
    EXTRACT = "extract"
    BROWSER_USE = "browserUse"
    STAGEHAND_AGENT = "stagehandAgent"
    SOLVE_CAPTCHA = "solveCaptcha"


class RuntimeKind(KnownValue):
    BROWSER = "browser"
    DESKTOP = "desktop"
    SPREADSHEET = "spreadsheet"


class RunStatus(KnownValue):
    ACTIVE = "active"
    STOPPED = "stopped"
    FAILED = "failed"


class ExecutionMode(KnownValue):
    INLINE = "inline"
    DURABLE = "durable"


class BindingType(KnownValue):
    PAGE = "page"
    CONTEXT = "context"
    HANDLE = "handle"
    SUBSCRIPTION = "subscription"


class DiagnosticCategory(KnownValue):
    ARG_SHAPE = "arg-shape"
    SEMANTIC = "semantic"
    RUNTIME = "runtime"


class StepErrorCode(KnownValue):
    UNKNOWN_CALL = "UNKNOWN_CALL"
    UNKNOWN_REF = "UNKNOWN_REF"
    INVALID_ARGS = "INVALID_ARGS"
    CAPABILITY_NOT_AVAILABLE = "CAPABILITY_NOT_AVAILABLE"
    TIMEOUT = "TIMEOUT"
    RUNTIME_NOT_FOUND = "RUNTIME_NOT_FOUND"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    DRIVER_NOT_CONNECTED = "DRIVER_NOT_CONNECTED"
    SUBSCRIPTION_CURSOR_CONFLICT = "SUBSCRIPTION_CURSOR_CONFLICT"
    SUBSCRIPTION_GONE = "SUBSCRIPTION_GONE"


class ReasonClass(KnownValue):
    INVALID_INPUT = "invalid_input"
    UNAUTHORIZED = "unauthorized"
    CAPABILITY_DENIED = "capability_denied"
    CAPABILITY_LIMIT_EXCEEDED = "capability_limit_exceeded"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UPSTREAM = "upstream"
    SERVER = "server"


E = TypeVar("E", bound=KnownValue)


def parse_open(enum_cls: type[E], value: Any) -> E | UnknownValue:
    """Parse ``value`` into a member of ``enum_cls``, or an :class:`UnknownValue`."""
    if isinstance(value, enum_cls | UnknownValue):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    try:
        return enum_cls(value)
    except ValueError:
        return UnknownValue(value)


def _serialize(value: KnownValue | UnknownValue) -> str:
    return value.raw


def open_enum(enum_cls: type[E]) -> tuple[PlainValidator, PlainSerializer, WithJsonSchema]:
    """The pydantic annotations that make a field an open ``enum_cls`` (see module doc)."""
    return (
        PlainValidator(lambda v: parse_open(enum_cls, v)),
        PlainSerializer(_serialize, return_type=str),
        WithJsonSchema({"type": "string"}),
    )


OpenStatus = Annotated[InvocationStatus | UnknownValue, *open_enum(InvocationStatus)]
OpenAction = Annotated[Action | UnknownValue, *open_enum(Action)]
OpenRuntimeKind = Annotated[RuntimeKind | UnknownValue, *open_enum(RuntimeKind)]
OpenRunStatus = Annotated[RunStatus | UnknownValue, *open_enum(RunStatus)]
OpenExecutionMode = Annotated[ExecutionMode | UnknownValue, *open_enum(ExecutionMode)]
OpenBindingType = Annotated[BindingType | UnknownValue, *open_enum(BindingType)]
OpenCategory = Annotated[DiagnosticCategory | UnknownValue, *open_enum(DiagnosticCategory)]
OpenStepErrorCode = Annotated[StepErrorCode | UnknownValue, *open_enum(StepErrorCode)]
OpenReasonClass = Annotated[ReasonClass | UnknownValue, *open_enum(ReasonClass)]


def is_terminal(status: InvocationStatus | UnknownValue) -> bool:
    """Terminal statuses never change; unknown ones are treated as live (keep watching)."""
    return isinstance(status, InvocationStatus) and status.terminal


def is_failure(status: InvocationStatus | UnknownValue) -> bool:
    """Failed, cancelled and timed out invocations count as failures."""
    return isinstance(status, InvocationStatus) and status in FAILURE_STATUSES
