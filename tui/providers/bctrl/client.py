"""The HTTP client for bctrl's invocation API (the contract in ``shared/api/openapi``), plus
the run endpoints beyond it. Answers come back as :class:`~tui.providers.http.Reply`; the
source maps them."""

from __future__ import annotations

from typing import Any

from tui.core import fields as f
from tui.core.errors import ApiError
from tui.core.model import Query
from tui.providers import PROVIDERS
from tui.providers.http import HttpApi, Params, Reply, seg

WAIT_MS = 5_000


class BctrlClient(HttpApi):
    """bctrl's endpoints. Every failure is an :class:`~tui.core.errors.ApiError`."""

    key_env = PROVIDERS["bctrl"].key_env
    url_env = PROVIDERS["bctrl"].url_env
    default_base_url = PROVIDERS["bctrl"].default_url

    def __init__(
        self,
        api_key: Any = None,
        base_url: str | None = None,
        *,
        subaccount_id: str | None = None,
        **options: Any,
    ) -> None:
        """``options`` are :class:`HttpApi`'s; ``subaccount_id`` scopes an organization key."""
        headers = {"BCTRL-Subaccount-Id": subaccount_id} if subaccount_id else None
        super().__init__(api_key, base_url, headers=headers, **options)

    def error_fields(self, payload: Any) -> ApiError | None:
        """bctrl's ``ErrorResponse {code, error, hint?, reasonClass?, requestId?}``."""
        body = f.obj(payload)
        message = f.text(body, "error") or f.text(body, "message")
        if message is None:
            return None
        return ApiError(
            message,
            code=f.text(body, "code"),
            hint=f.text(body, "hint"),
            reason_class=f.text(body, "reasonClass"),
            request_id=f.text(body, "requestId"),
        )

    async def runs(self, cursor: str | None = None, limit: int = 100) -> Reply:
        """``GET /v1/runs``: a page of runs, newest first (beyond the contract)."""
        return await self.page("/v1/runs", [("limit", str(limit))], cursor)

    async def run(self, run_id: str) -> Reply:
        """``GET /v1/runs/{runId}`` (beyond the contract)."""
        return await self.request("GET", f"/v1/runs/{seg(run_id)}")

    async def invocations(
        self, run_id: str, query: Query, cursor: str | None = None, limit: int = 200
    ) -> Reply:
        """``GET /v1/runs/{runId}/invocations``: one page, oldest first."""
        params: Params = [("status", s) for s in query.status]
        params += [("action", a) for a in query.action]
        return await self.page(
            self.invocations_path(run_id), [*params, ("limit", str(limit))], cursor
        )

    @staticmethod
    def invocations_path(run_id: str) -> str:
        return f"/v1/runs/{seg(run_id)}/invocations"

    @staticmethod
    def invocation_path(invocation_id: str) -> str:
        return f"/v2/invocations/{seg(invocation_id)}"

    async def invocation(self, invocation_id: str) -> Reply:
        """``GET /v2/invocations/{id}``: the v2 envelope."""
        return await self.request("GET", self.invocation_path(invocation_id))

    async def wait(self, invocation_id: str, timeout_ms: int = WAIT_MS) -> Reply:
        """``POST /v1/invocations/{id}/wait``: long-poll until terminal or ``timeout_ms``."""
        return await self.request(
            "POST",
            f"/v1/invocations/{seg(invocation_id)}/wait",
            json_body={"timeoutMs": timeout_ms},
            wait=timeout_ms / 1000,
        )
