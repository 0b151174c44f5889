"""Headless access to the bctrl and Kernel APIs: models, clients, errors, streams.
Never imports Textual."""

from tui.api.client import DEFAULT_BASE_URL, BctrlClient, RetryPolicy
from tui.api.enums import (
    Action,
    DiagnosticCategory,
    InvocationStatus,
    RunStatus,
    RuntimeKind,
    StepErrorCode,
    UnknownValue,
    is_failure,
    is_terminal,
)
from tui.api.errors import (
    ApiError,
    ApiTimeout,
    BadRequest,
    ConfigError,
    ConnectionDropped,
    Forbidden,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    Unreachable,
)
from tui.api.kernel import KERNEL_DEFAULT_BASE_URL, KernelClient
from tui.api.secret import ApiKey
from tui.api.streams import LogCursor

__all__ = [
    "DEFAULT_BASE_URL",
    "KERNEL_DEFAULT_BASE_URL",
    "Action",
    "ApiError",
    "ApiKey",
    "ApiTimeout",
    "BadRequest",
    "BctrlClient",
    "ConfigError",
    "ConnectionDropped",
    "DiagnosticCategory",
    "Forbidden",
    "InvocationStatus",
    "KernelClient",
    "LogCursor",
    "MalformedResponse",
    "NotFound",
    "RateLimited",
    "RetryPolicy",
    "RunStatus",
    "RuntimeKind",
    "ServerError",
    "StepErrorCode",
    "Unauthorized",
    "UnknownValue",
    "Unreachable",
    "is_failure",
    "is_terminal",
]
