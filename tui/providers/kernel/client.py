"""The HTTP client for Kernel's invocations API: list, get, and the event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tui.core import fields as f
from tui.core.errors import ApiError
from tui.providers import PROVIDERS
from tui.providers.http import HttpApi, Params, Reply, SseEvent, seg

MAX_PAGE = 100


class KernelClient(HttpApi):
    """Kernel's endpoints. Every failure is an :class:`~tui.core.errors.ApiError`."""

    key_env = PROVIDERS["kernel"].key_env
    url_env = PROVIDERS["kernel"].url_env
    default_base_url = PROVIDERS["kernel"].default_url

    def error_fields(self, payload: Any) -> ApiError | None:
        """Kernel's ``Error {code, message, details?, inner_error?}``."""
        body = f.obj(payload)
        message = f.text(body, "message")
        if message is None:
            return None
        extra = [*map(f.obj, f.items(body.get("details"))), f.obj(body.get("inner_error"))]
        hint = "; ".join(
            " ".join(p for p in (f.text(d, "code"), f.text(d, "message")) if p) for d in extra if d
        )
        return ApiError(
            message,
            code=f.text(body, "code"),
            hint=hint or None,
            request_id=f.text(body, "request_id"),
        )

    async def invocations(
        self, filters: Params, offset: int | None, limit: int = MAX_PAGE
    ) -> Reply:
        """``GET /invocations``: one page, newest first (paging in X-Has-More/X-Next-Offset)."""
        params = [*filters, ("limit", str(max(1, min(MAX_PAGE, limit))))]
        return await self.page("/invocations", params, offset, "offset")

    @staticmethod
    def invocation_path(invocation_id: str) -> str:
        return f"/invocations/{seg(invocation_id)}"

    async def invocation(self, invocation_id: str) -> Reply:
        """``GET /invocations/{id}``."""
        return await self.request("GET", self.invocation_path(invocation_id))

    def stream(self, invocation_id: str, since: str | None) -> AsyncIterator[SseEvent]:
        """One connection to ``GET /invocations/{id}/events`` from ``since``."""
        params: Params = [("since", since)] if since else []
        return self.events(self.invocation_path(invocation_id) + "/events", params)


def next_offset(reply: Reply) -> int | None:
    """Where the next page starts; None on the last page (``X-Next-Offset`` 0 marks it)."""
    if reply.headers.get("x-has-more", "").strip().lower() != "true":
        return None
    try:
        offset = int(reply.headers.get("x-next-offset", "").strip())
    except ValueError:
        return None
    return offset if offset > 0 else None
