"""Headless access to the bctrl and Kernel APIs: models, clients, errors, streams.
Never imports Textual.

Names are imported on first use (PEP 562), so ``from tui.api.errors import ...`` does not
load the HTTP and pydantic stacks: the command line starts faster.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "Action": "tui.api.enums",
    "ApiError": "tui.api.errors",
    "ApiKey": "tui.api.secret",
    "ApiTimeout": "tui.api.errors",
    "BadRequest": "tui.api.errors",
    "BctrlClient": "tui.api.client",
    "ConfigError": "tui.api.errors",
    "ConnectionDropped": "tui.api.errors",
    "DEFAULT_BASE_URL": "tui.api.client",
    "DiagnosticCategory": "tui.api.enums",
    "Forbidden": "tui.api.errors",
    "InvocationStatus": "tui.api.enums",
    "KERNEL_DEFAULT_BASE_URL": "tui.api.kernel",
    "KernelClient": "tui.api.kernel",
    "LogCursor": "tui.api.streams",
    "MalformedResponse": "tui.api.errors",
    "NotFound": "tui.api.errors",
    "RateLimited": "tui.api.errors",
    "RetryPolicy": "tui.api.client",
    "RunStatus": "tui.api.enums",
    "RuntimeKind": "tui.api.enums",
    "ServerError": "tui.api.errors",
    "StepErrorCode": "tui.api.enums",
    "Unauthorized": "tui.api.errors",
    "UnknownValue": "tui.api.enums",
    "Unreachable": "tui.api.errors",
    "is_failure": "tui.api.enums",
    "is_terminal": "tui.api.enums",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tui.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
