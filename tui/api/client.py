"""The async client for the bctrl contract, over one :class:`httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from tui.api.errors import (
    ApiError,
    ApiTimeout,
    BadRequest,
    ConfigError,
    ConnectionDropped,
    Forbidden,
    HttpStatusError,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    Unreachable,
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
from tui.api.secret import ApiKey, BearerAuth
from tui.api.text import sanitize, truncate

DEFAULT_BASE_URL = "https://api.bctrl.ai"
DEFAULT_WAIT_MS = 25_000
USER_AGENT = "runwatch/0.1"

M = TypeVar("M", bound=BaseModel)
Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    delta: float = when.timestamp() - time.time()
    return max(0.0, delta)


def normalize_base_url(base_url: str) -> str:
    """Validate and normalise an origin; raises :class:`ConfigError` when unusable."""
    candidate = base_url.strip().rstrip("/")
    try:
        url = httpx.URL(candidate)
    except (httpx.InvalidURL, TypeError, ValueError):
        shown = truncate(sanitize(base_url, multiline=False), 80)
        raise ConfigError(f"invalid base URL: {shown}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            f"invalid base URL (want http:// or https://): "
            f"{truncate(sanitize(base_url, multiline=False), 80)}"
        )
    return candidate


class RetryPolicy:
    """Capped exponential backoff with jitter, as the official SDKs do (250 ms doubling to 2 s)."""

    def __init__(
        self,
        max_retries: int = 2,
        base: float = 0.25,
        cap: float = 2.0,
        max_retry_after: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.base = base
        self.cap = cap
        self.max_retry_after = max_retry_after
        self._rng = rng or random.Random()

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        backoff: float = min(self.cap, self.base * 2.0**attempt)
        jittered: float = backoff * (0.5 + self._rng.random() / 2)
        if retry_after is not None:
            return max(retry_after, jittered)
        return jittered


class BctrlClient:
    """Typed access to the bctrl API. Every failure is an :class:`ApiError`."""

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        subaccount_id: str | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("BCTRL_API_KEY", "")
        self._key = api_key if isinstance(api_key, ApiKey) else ApiKey(api_key)
        self.base_url = normalize_base_url(
            base_url or os.environ.get("BCTRL_BASE_URL") or DEFAULT_BASE_URL
        )
        self.retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._read_timeout = read_timeout
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if subaccount_id:
            headers["BCTRL-Subaccount-Id"] = subaccount_id
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=BearerAuth(self._key),
            headers=headers,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=120.0),
            transport=transport,
            follow_redirects=False,
        )
        self._not_before = 0.0
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"BctrlClient(base_url={self.base_url!r}, api_key=********)"

    def redact(self, text: str) -> str:
        """``text`` with the API key masked (for crash reports and messages)."""
        return self._key.redact(text)

    @property
    def has_key(self) -> bool:
        """Whether a non-empty key is configured."""
        return bool(self._key)

    @property
    def rate_limited_for(self) -> float:
        """Seconds left before the server allows another request (0 when free)."""
        return max(0.0, self._not_before - time.monotonic())

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> BctrlClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

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
        return await self._call("GET", f"/v1/runs/{_seg(run_id)}", Run)

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
            "GET", f"/v1/runs/{_seg(run_id)}/invocations", InvocationPage, params=params
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
            "GET", f"/v2/invocations/{_seg(invocation_id)}", InvocationEnvelope
        )
        return envelope.data

    async def wait_invocation(
        self, invocation_id: str, timeout_ms: int = DEFAULT_WAIT_MS
    ) -> WaitResponse:
        """``POST /v1/invocations/{id}/wait``: long-poll until terminal or ``timeout_ms``."""
        return await self._call(
            "POST",
            f"/v1/invocations/{_seg(invocation_id)}/wait",
            WaitResponse,
            json_body={"timeoutMs": timeout_ms},
            read_timeout=timeout_ms / 1000 + self._read_timeout,
        )

    async def get_operation(self, operation_id: str) -> Operation:
        """``GET /v1/operations/{id}``: a durable operation."""
        return await self._call("GET", f"/v1/operations/{_seg(operation_id)}", Operation)

    # -- plumbing ------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: dict[str, Any] | None = None,
        read_timeout: float | None = None,
    ) -> M:
        """Send an idempotent request with retries and parse the body into ``model``."""
        attempt = 0
        while True:
            wait = self.rate_limited_for
            if wait > 0:
                await self._sleep(wait)
            error = await self._attempt(method, path, params, json_body, read_timeout)
            if not isinstance(error, ApiError):
                return self._parse(error, model, method, path)
            if not error.retryable or attempt >= self.retry.max_retries:
                raise error
            if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
                raise error
            await self._sleep(self.retry.delay(attempt, error.retry_after))
            attempt += 1

    async def _attempt(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None,
        json_body: dict[str, Any] | None,
        read_timeout: float | None,
    ) -> httpx.Response | ApiError:
        """One exchange: the response, or the error it amounts to (never raised here)."""
        query: list[tuple[str, str | int | float | bool | None]] = list(params or [])
        timeout: httpx.Timeout | None = None
        if read_timeout is not None:
            timeout = httpx.Timeout(read_timeout, connect=self._http.timeout.connect)
        where: dict[str, Any] = {"method": method, "path": path}
        self.requests_sent += 1
        try:
            if timeout is None:
                response = await self._http.request(method, path, params=query, json=json_body)
            else:
                response = await self._http.request(
                    method, path, params=query, json=json_body, timeout=timeout
                )
        except httpx.TimeoutException as exc:
            return ApiTimeout(f"request timed out ({type(exc).__name__})", **where)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            return ConfigError(f"cannot request {self.base_url}", **where)
        except httpx.HTTPError as exc:
            detail = self._key.redact(sanitize(str(exc), multiline=False)) or type(exc).__name__
            if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
                return ConnectionDropped(f"connection dropped: {truncate(detail, 160)}", **where)
            return Unreachable(f"cannot reach {self.base_url}: {truncate(detail, 160)}", **where)
        if response.status_code >= 400:
            return self._status_error(response, method, path)
        return response

    def _status_error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        status = response.status_code
        body: ErrorResponse | None = None
        html = _looks_html(response)
        try:
            body = ErrorResponse.model_validate(response.json())
        except (ValueError, ValidationError):
            body = None
        message = body.error if body else (response.reason_phrase or f"HTTP {status}")
        if body is None and html:
            message += " (the server sent an HTML error page)"
        retry_after = parse_retry_after(response.headers.get("retry-after"))

        def clean(value: str | None) -> str | None:
            if value is None:
                return None
            return self._key.redact(truncate(sanitize(value, multiline=False), 500))

        fields: dict[str, Any] = {
            "status": status,
            "code": clean(body.code) if body else None,
            "hint": clean(body.hint) if body else None,
            "reason_class": (clean(body.reason_class.raw) if body and body.reason_class else None),
            "request_id": clean(
                (body.request_id if body else None) or response.headers.get("x-request-id")
            ),
            "retry_after": retry_after,
            "method": method,
            "path": path,
        }
        text = clean(message) or f"HTTP {status}"
        cls: type[HttpStatusError]
        if status == 401:
            cls = Unauthorized
        elif status == 403:
            cls = Forbidden
        elif status == 404:
            cls = NotFound
        elif status == 429:
            cls = RateLimited
            self._not_before = time.monotonic() + (retry_after or 0.0)
        elif status == 408:
            return ApiTimeout(text, **fields)
        elif status >= 500:
            cls = ServerError
        elif status in (400, 422):
            cls = BadRequest
        else:
            cls = HttpStatusError
        return cls(text, **fields)

    def _parse(self, response: httpx.Response, model: type[M], method: str, path: str) -> M:
        request_id = response.headers.get("x-request-id")
        where: dict[str, Any] = {
            "status": response.status_code,
            "request_id": request_id,
            "method": method,
            "path": path,
        }
        problem: str
        try:
            payload = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            problem = (
                "the server sent an HTML page instead of JSON"
                if _looks_html(response)
                else "the response was not valid JSON"
            )
        else:
            try:
                return model.model_validate(payload)
            except ValidationError as exc:
                problem = "the response did not match the contract: " + _summarize(exc)
        raise MalformedResponse(self._key.redact(problem), **where)


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


def _seg(identifier: str) -> str:
    """An id as one path segment, whatever characters it holds."""
    return quote(identifier, safe="")


def _looks_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    head = response.content[:200].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def _summarize(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    text = "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    return truncate(sanitize(text, multiline=False), 300)
