"""The async client for the bctrl contract (plumbing shared with Kernel in :mod:`tui.api.http`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from tui.api.http import (
    ErrorFields,
    HttpApi,
    RetryPolicy,
    normalize_base_url,
    parse_retry_after,
    seg,
)
from tui.api.models import (
    ErrorResponse,
    InvocationEnvelope,
    InvocationPage,
    InvocationSummary,
    InvocationV2,
    Operation,
    Run,
    RunPage,
    WaitResponse,
)
from tui.api.secret import ApiKey

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_WAIT_MS",
    "BctrlClient",
    "RetryPolicy",
    "normalize_base_url",
    "parse_retry_after",
]

DEFAULT_BASE_URL = "https://api.bctrl.ai"
DEFAULT_WAIT_MS = 25_000


class BctrlClient(HttpApi):
    """Typed access to the bctrl API. Every failure is an :class:`ApiError`."""

    provider = "bctrl"
    key_env = "BCTRL_API_KEY"
    url_env = "BCTRL_BASE_URL"
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        subaccount_id: str | None = None,
        **options: Any,
    ) -> None:
        """``options`` are :class:`HttpApi`'s (retry, timeouts, transport, sleep);
        ``subaccount_id`` scopes an organization key (``BCTRL-Subaccount-Id``)."""
        headers = {"BCTRL-Subaccount-Id": subaccount_id} if subaccount_id else None
        super().__init__(api_key, base_url, headers=headers, **options)

    def error_fields(self, payload: Any) -> ErrorFields | None:
        """bctrl's ``ErrorResponse {code, error, hint?, reasonClass?, requestId?}``."""
        try:
            body = ErrorResponse.model_validate(payload)
        except ValidationError:
            return None
        return ErrorFields(
            message=body.error,
            code=body.code,
            hint=body.hint,
            reason_class=body.reason_class.raw if body.reason_class else None,
            request_id=body.request_id,
        )

    # -- endpoints -----------------------------------------------------------------------

    async def list_runs(
        self,
        *,
        status: Sequence[str] = (),
        cursor: str | None = None,
        limit: int | None = None,
    ) -> RunPage:
        """``GET /v1/runs``: runs, newest first."""
        params: list[tuple[str, str]] = [("status", s) for s in status]
        if cursor:
            params.append(("cursor", cursor))
        if limit is not None:
            params.append(("limit", str(limit)))
        return await self._call("GET", "/v1/runs", RunPage, params=params)

    def iter_runs(self, *, status: Sequence[str] = ()) -> AsyncIterator[RunPage]:
        """Every page of ``GET /v1/runs``."""
        return _follow_cursor(lambda cursor: self.list_runs(status=status, cursor=cursor))

    async def get_run(self, run_id: str) -> Run:
        """``GET /v1/runs/{runId}``: one run with its counts."""
        return await self._call("GET", f"/v1/runs/{seg(run_id)}", Run)

    async def list_invocations(
        self,
        run_id: str,
        *,
        status: Sequence[str] = (),
        action: Sequence[str] = (),
        cursor: str | None = None,
        limit: int | None = None,
    ) -> InvocationPage:
        """``GET /v1/runs/{runId}/invocations``: one page."""
        params: list[tuple[str, str]] = [("status", s) for s in status]
        params += [("action", a) for a in action]
        if cursor:
            params.append(("cursor", cursor))
        if limit is not None:
            params.append(("limit", str(limit)))
        return await self._call(
            "GET", f"/v1/runs/{seg(run_id)}/invocations", InvocationPage, params=params
        )

    def iter_invocation_pages(
        self,
        run_id: str,
        *,
        status: Sequence[str] = (),
        action: Sequence[str] = (),
        limit: int | None = None,
    ) -> AsyncIterator[InvocationPage]:
        """Every page of a run's invocations, following ``nextCursor`` until it is null."""
        return _follow_cursor(
            lambda cursor: self.list_invocations(
                run_id, status=status, action=action, cursor=cursor, limit=limit
            )
        )

    async def iter_invocations(
        self,
        run_id: str,
        *,
        status: Sequence[str] = (),
        action: Sequence[str] = (),
        limit: int | None = None,
    ) -> AsyncIterator[InvocationSummary]:
        """Every invocation of a run, across all pages."""
        async for page in self.iter_invocation_pages(
            run_id, status=status, action=action, limit=limit
        ):
            for item in page.data:
                yield item

    async def get_invocation(self, invocation_id: str) -> InvocationV2:
        """``GET /v2/invocations/{id}``: the v2 envelope's ``data``."""
        envelope = await self._call(
            "GET", f"/v2/invocations/{seg(invocation_id)}", InvocationEnvelope
        )
        return envelope.data

    async def wait_invocation(
        self, invocation_id: str, timeout_ms: int = DEFAULT_WAIT_MS
    ) -> WaitResponse:
        """``POST /v1/invocations/{id}/wait``: long-poll until terminal or ``timeout_ms``."""
        return await self._call(
            "POST",
            f"/v1/invocations/{seg(invocation_id)}/wait",
            WaitResponse,
            json_body={"timeoutMs": timeout_ms},
            read_timeout=timeout_ms / 1000 + self._read_timeout,
        )

    async def get_operation(self, operation_id: str) -> Operation:
        """``GET /v1/operations/{id}``: a durable operation."""
        return await self._call("GET", f"/v1/operations/{seg(operation_id)}", Operation)


class _Page(Protocol):
    @property
    def next_cursor(self) -> str | None: ...


P = TypeVar("P", bound=_Page)


async def _follow_cursor(fetch: Callable[[str | None], Awaitable[P]]) -> AsyncIterator[P]:
    """Fetch pages until ``nextCursor`` is null (or repeats, which would loop forever)."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = await fetch(cursor)
        yield page
        if not page.next_cursor or page.next_cursor in seen:
            return
        seen.add(page.next_cursor)
        cursor = page.next_cursor
