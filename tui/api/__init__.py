"""Headless access to the bctrl API: models, client, errors. Never imports Textual."""

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
from tui.api.secret import ApiKey

__all__ = [
    "DEFAULT_BASE_URL",
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
