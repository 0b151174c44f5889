"""What every provider's client shares: one pooled :class:`httpx.AsyncClient`, retries with
backoff, the Retry-After gate, one error family, and a key that never leaves redacted.

A provider's client subclasses :class:`HttpApi`, names its endpoints, and says how its error
bodies read (:meth:`HttpApi.error_fields`).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Self, TypeVar
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
from tui.api.secret import ApiKey, BearerAuth
from tui.api.text import sanitize, truncate

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


@dataclass(frozen=True)
class ErrorFields:
    """What a provider's error body says, in the shared vocabulary of :class:`ApiError`."""

    message: str
    code: str | None = None
    hint: str | None = None
    reason_class: str | None = None
    request_id: str | None = None


class HttpApi:
    """Typed access to one HTTP API. Every failure is an :class:`ApiError`.

    The key and origin default to the provider's environment variables (``key_env``,
    ``url_env``), then to its public origin."""

    provider = "api"
    key_env = "API_KEY"
    url_env = "API_BASE_URL"
    default_base_url = "https://example.invalid"

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
        headers: dict[str, str] | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get(self.key_env, "")
        self._key = api_key if isinstance(api_key, ApiKey) else ApiKey(api_key)
        self.base_url = normalize_base_url(
            base_url or os.environ.get(self.url_env) or self.default_base_url
        )
        self.retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._read_timeout = read_timeout
        # A plain-http origin (the demo gateway) never uses TLS: skip building a verifying
        # SSL context, which loads the CA bundle and costs ~40 ms of start-up. An https
        # origin always verifies.
        plain = self.base_url.startswith("http://")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            verify=not plain,
            auth=BearerAuth(self._key),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=120.0),
            transport=transport,
            follow_redirects=False,
        )
        self._not_before = 0.0
        self.requests_sent = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=********)"

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

    # -- what differs per provider -------------------------------------------------------

    def error_fields(self, payload: Any) -> ErrorFields | None:
        """Read an error body; None when it is not this provider's error shape."""
        return None

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
        response = await self._request(
            method, path, params=params, json_body=json_body, read_timeout=read_timeout
        )
        return self._parse(response, model, method, path)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: dict[str, Any] | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Send an idempotent request with retries; the successful response."""
        attempt = 0
        while True:
            await self._gate()
            error = await self._attempt(method, path, params, json_body, read_timeout)
            if not isinstance(error, ApiError):
                return error
            await self._backoff(error, attempt)
            attempt += 1

    async def _gate(self) -> None:
        """Before any request: wait out a server's Retry-After, and count the request."""
        wait = self.rate_limited_for
        if wait > 0:
            await self._sleep(wait)
        self.requests_sent += 1

    async def _backoff(self, error: ApiError, attempt: int) -> None:
        """Sleep before retry ``attempt``, or raise ``error`` when it should not be retried."""
        if not error.retryable or attempt >= self.retry.max_retries:
            raise error
        if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
            raise error
        await self._sleep(self.retry.delay(attempt, error.retry_after))

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
        try:
            if timeout is None:
                response = await self._http.request(method, path, params=query, json=json_body)
            else:
                response = await self._http.request(
                    method, path, params=query, json=json_body, timeout=timeout
                )
        except httpx.HTTPError as exc:
            return self.transport_error(exc, method, path)
        if response.status_code >= 400:
            return self._status_error(response, method, path)
        return response

    def transport_error(self, exc: httpx.HTTPError, method: str, path: str) -> ApiError:
        """The :class:`ApiError` an httpx failure amounts to, with the key redacted."""
        where: dict[str, Any] = {"method": method, "path": path}
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeout(f"request timed out ({type(exc).__name__})", **where)
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return ConfigError(f"cannot request {self.base_url}", **where)
        detail = self._key.redact(sanitize(str(exc), multiline=False)) or type(exc).__name__
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return ConnectionDropped(f"connection dropped: {truncate(detail, 160)}", **where)
        return Unreachable(f"cannot reach {self.base_url}: {truncate(detail, 160)}", **where)

    def _status_error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        status = response.status_code
        html = looks_html(response)
        body: ErrorFields | None
        try:
            body = self.error_fields(response.json())
        except (ValueError, ValidationError):
            body = None
        message = body.message if body else (response.reason_phrase or f"HTTP {status}")
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
            "reason_class": clean(body.reason_class) if body else None,
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
        return self.parse_json(response.content, model, response, method, path)

    def parse_json(
        self,
        content: bytes | str,
        model: type[M],
        response: httpx.Response | None,
        method: str,
        path: str,
    ) -> M:
        """``content`` parsed into ``model``, or a :class:`MalformedResponse` saying why not."""
        where: dict[str, Any] = {
            "status": response.status_code if response is not None else None,
            "request_id": response.headers.get("x-request-id") if response is not None else None,
            "method": method,
            "path": path,
        }
        problem: str
        try:
            payload = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            problem = (
                "the server sent an HTML page instead of JSON"
                if response is not None and looks_html(response)
                else "the response was not valid JSON"
            )
        else:
            try:
                return model.model_validate(payload)
            except ValidationError as exc:
                problem = "the response did not match the contract: " + summarize(exc)
        raise MalformedResponse(self._key.redact(problem), **where)


def seg(identifier: str) -> str:
    """An id as one path segment, whatever characters it holds."""
    return quote(identifier, safe="")


def looks_html(response: httpx.Response) -> bool:
    """Whether a response is an HTML page (a proxy's error page, say)."""
    ctype = response.headers.get("content-type", "")
    try:
        head = response.content[:200].lstrip().lower()
    except httpx.ResponseNotRead:
        head = b""
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def summarize(exc: ValidationError) -> str:
    """A validation error in one short display-safe line."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    text = "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    return truncate(sanitize(text, multiline=False), 300)
