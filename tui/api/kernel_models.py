"""pydantic v2 models of the Kernel invocations API (``shared/api/openapi/kernel-*.yaml``).

Kernel speaks snake_case on the wire. ``payload`` and ``output`` arrive as JSON *encoded as
strings*: :class:`Decoded` holds the parsed value, or the raw string when it is not JSON.
Statuses are open, like bctrl's: a status Kernel adds later displays, it does not crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, RootModel, Tag

from tui.api.enums import KnownValue, UnknownValue, open_enum


class KernelStatus(KnownValue):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


KERNEL_TERMINAL = frozenset({KernelStatus.SUCCEEDED, KernelStatus.FAILED})
OpenKernelStatus = Annotated[KernelStatus | UnknownValue, *open_enum(KernelStatus)]


class KernelModel(BaseModel):
    """Base: snake_case on the wire and in Python, unknown fields kept, immutable."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


_NANOS = re.compile(r"^(?P<head>[^.]+)(?:\.(?P<frac>\d+))?(?P<zone>Z|[+-]\d\d:\d\d)?$")


def timestamp_ns(value: str) -> int | None:
    """An RFC 3339 timestamp with up to nanosecond precision as integer epoch nanoseconds.

    Python's datetime keeps microseconds only; log lines can share a microsecond, so the
    stream's resume logic orders them by this instead. None when ``value`` is not a timestamp.
    """
    match = _NANOS.match(value.strip())
    if match is None:
        return None
    zone = match["zone"] or "Z"
    try:
        head = datetime.fromisoformat(match["head"] + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    if head.tzinfo is None:
        head = head.replace(tzinfo=UTC)
    frac = (match["frac"] or "")[:9].ljust(9, "0")
    return int(head.timestamp()) * 1_000_000_000 + int(frac)


@dataclass(frozen=True)
class Decoded:
    """A JSON-encoded string field: ``value`` when it parsed, else the ``raw`` text."""

    raw: str
    ok: bool
    value: Any = None

    @classmethod
    def of(cls, raw: str | None) -> Decoded | None:
        """Decode ``raw``; None when the field was absent."""
        if raw is None:
            return None
        try:
            return cls(raw, True, json.loads(raw))
        except (ValueError, RecursionError):
            return cls(raw, False)


class KernelInvocation(KernelModel):
    """``Invocation`` from ``GET /invocations/{id}`` and the list endpoint."""

    id: str
    app_name: str
    version: str
    action_name: str
    started_at: datetime
    status: OpenKernelStatus
    payload: str | None = None
    output: str | None = None
    finished_at: datetime | None = None
    status_reason: str | None = None

    @property
    def terminal(self) -> bool:
        """A succeeded or failed invocation never changes again (unknown statuses: live)."""
        return isinstance(self.status, KernelStatus) and self.status in KERNEL_TERMINAL

    @property
    def failed(self) -> bool:
        return self.status == KernelStatus.FAILED

    @property
    def decoded_payload(self) -> Decoded | None:
        return Decoded.of(self.payload)

    @property
    def decoded_output(self) -> Decoded | None:
        return Decoded.of(self.output)

    @property
    def group(self) -> tuple[str, str]:
        """The run-list group this invocation belongs to: (app, version)."""
        return (self.app_name, self.version)


class KernelInvocationList(RootModel[list[KernelInvocation]]):
    """``GET /invocations``: a bare JSON array."""


@dataclass(frozen=True)
class KernelPage:
    """One page of ``GET /invocations`` with its paging headers read."""

    data: list[KernelInvocation]
    has_more: bool
    next_offset: int | None
    """Where the next page starts; None on the last page (the server sends 0 there)."""


class KernelErrorDetail(KernelModel):
    code: str | None = None
    message: str | None = None


class KernelError(KernelModel):
    """Kernel's error body: ``{code, message, details?, inner_error?}``."""

    code: str
    message: str
    details: list[KernelErrorDetail] | None = None
    inner_error: KernelErrorDetail | None = None

    def hint(self) -> str | None:
        """The details and inner error as one line, for the error's hint."""
        parts = [
            " ".join(p for p in (d.code, d.message) if p)
            for d in [*(self.details or []), *([self.inner_error] if self.inner_error else [])]
        ]
        parts = [p for p in parts if p]
        return "; ".join(parts) or None


# -- Server-Sent Events frames (GET /invocations/{id}/events) --------------------------------


class EventKind(StrEnum):
    LOG = "log"
    INVOCATION_STATE = "invocation_state"
    ERROR = "error"
    HEARTBEAT = "sse_heartbeat"


class LogEvent(KernelModel):
    event: Literal["log"]
    timestamp: str
    message: str

    @property
    def ns(self) -> int | None:
        return timestamp_ns(self.timestamp)


class StateEvent(KernelModel):
    event: Literal["invocation_state"]
    timestamp: str
    invocation: KernelInvocation


class ErrorEvent(KernelModel):
    event: Literal["error"]
    timestamp: str
    error: KernelErrorDetail


class HeartbeatEvent(KernelModel):
    event: Literal["sse_heartbeat"]
    timestamp: str | None = None


class UnknownEvent(KernelModel):
    """A frame whose ``event`` this build does not know; kept so it can be shown or skipped."""

    event: str = ""
    timestamp: str | None = None


EVENT_KINDS = frozenset(kind.value for kind in EventKind)


def _event_tag(value: Any) -> str:
    kind = value.get("event") if isinstance(value, dict) else getattr(value, "event", None)
    return kind if kind in EVENT_KINDS else "unknown"


AnyEvent = LogEvent | StateEvent | ErrorEvent | HeartbeatEvent | UnknownEvent
"""Any frame of the event stream, parsed."""

KernelEvent = Annotated[
    Annotated[LogEvent, Tag("log")]
    | Annotated[StateEvent, Tag("invocation_state")]
    | Annotated[ErrorEvent, Tag("error")]
    | Annotated[HeartbeatEvent, Tag("sse_heartbeat")]
    | Annotated[UnknownEvent, Tag("unknown")],
    Discriminator(_event_tag),
]


class KernelEventFrame(RootModel[KernelEvent]):
    """One SSE frame's ``data:`` JSON."""
