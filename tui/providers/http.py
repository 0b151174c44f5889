"""What every provider's client shares: one pooled :class:`httpx.AsyncClient`, retries with
backoff, the Retry-After gate, one error family, limits no server can talk past, and a key
that never leaves redacted.

Nothing a server sends is trusted: bodies are read with a cap on the wire and after
decompression (a gzip bomb stops at the cap), every request has an overall deadline (a
server trickling bytes forever times out), Server-Sent Events lines are capped, JSON nesting
that breaks the parser is a malformed response, and Retry-After is clamped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import os
import random
import re
import shlex
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import quote

import httpx
import orjson

from tui.core.errors import (
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
    TooLarge,
    Unauthorized,
    Unreachable,
)
from tui.core.text import add_secret, clean, mask, mask_bytes

if TYPE_CHECKING:
    from pathlib import Path

    from tui.providers.record import Exchanges, Recorder

USER_AGENT = "runwatch/0.2"
MAX_BODY = 32 * 1024 * 1024
"""Bytes of a body after decompression (the largest real record is ~10 MB)."""
MAX_LINE = 1024 * 1024
"""Bytes of one Server-Sent Events line or event."""
MAX_RETRY_AFTER = 300.0
"""Retry-After is obeyed up to five minutes; a server asking for days is not."""
REQUEST_DEADLINE = 30.0
"""Seconds for a whole exchange (connect, headers and body) on top of any long-poll wait."""
STREAM_IDLE = 45.0
"""Seconds a stream may stay silent (servers send heartbeats well within this)."""

Sleep = Callable[[float], Awaitable[None]]
Params = list[tuple[str, str]]


class ApiKey:
    """An API key whose repr and str are masked; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        add_secret(value)

    def reveal(self) -> str:
        """The key itself: call only where a request header is built."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "ApiKey('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[ApiKey], tuple[str]]:
        raise TypeError("ApiKey cannot be pickled")


def parse_retry_after(
    value: str | None, *, now: float | None = None, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds from a Retry-After header (delta-seconds, or an HTTP date counted from ``now``,
    by default the time it is), clamped to ``cap``; None when absent, negative or not a
    finite number."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            date = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, OverflowError):
            return None
        seconds = date - (time.time() if now is None else now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def normalize_base_url(base_url: str) -> str:
    """Validate and normalise an origin; raises :class:`ConfigError` when unusable."""
    candidate = base_url.strip().rstrip("/")
    try:
        url = httpx.URL(candidate)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ConfigError(f"invalid base URL: {clean(base_url, limit=80)}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            f"invalid base URL (want http:// or https://): {clean(base_url, limit=80)}"
        )
    return candidate


def cleartext(base_url: str) -> bool:
    """Whether requests to ``base_url`` would carry the key in clear text over a network
    (plain http to a host that is not this machine)."""
    url = httpx.URL(base_url)
    if url.scheme != "http":
        return False
    host = url.host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def seg(identifier: str) -> str:
    """An id as one path segment, whatever it holds: ``/``, ``?``, ``#`` and dots are
    encoded, so ``..`` or ``a?b`` can never change which path a request goes to."""
    return quote(identifier, safe="").replace(".", "%2E")


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, as the official SDKs do (250 ms doubling to 2 s)."""

    max_retries: int = 2
    base: float = 0.25
    cap: float = 2.0
    max_retry_after: float = 10.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        backoff: float = min(self.cap, self.base * 2.0**attempt)
        jittered: float = backoff * (0.5 + self.rng.random() / 2)
        return max(retry_after, jittered) if retry_after is not None else jittered


@dataclass(frozen=True)
class Reply:
    """A successful exchange: the parsed JSON, the body as received (key masked), headers."""

    data: Any
    body: bytes
    headers: httpx.Headers
    status: int = 200


@dataclass(frozen=True)
class SseEvent:
    """One Server-Sent Event; ``event == "comment"`` for a comment line (a heartbeat)."""

    event: str
    data: str
    id: str | None = None


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: ApiTimeout,
    422: BadRequest,
    429: RateLimited,
}
"""The error each status amounts to; any other is a :class:`ServerError` from 500 up, else a
plain :class:`HttpStatusError`."""


class HttpApi:
    """Typed access to one HTTP API. Every failure is an :class:`ApiError`.

    The key and origin default to the provider's environment variables (``key_env``,
    ``url_env``), then to its public origin."""

    key_env = "API_KEY"
    url_env = "API_BASE_URL"
    default_base_url = "https://example.invalid"
    api_headers: ClassVar[dict[str, str]] = {}
    """Headers that say which API is asked (a version) beside the key: sent with every
    request, and written into every copied curl command so it gets the view's answer."""

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        deadline: float = REQUEST_DEADLINE,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        headers: dict[str, str] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        """``recorder`` (see :mod:`tui.providers.record`) gets every answer, stream frame
        and transport failure; never a request header."""
        self.recorders: list[Recorder] = [recorder] if recorder is not None else []
        """Every recording under way (``--record``'s, each ``w``'s): each gets every answer."""
        if api_key is None:
            api_key = os.environ.get(self.key_env, "")
        self._key = api_key if isinstance(api_key, ApiKey) else ApiKey(api_key)
        self.base_url = normalize_base_url(
            base_url or os.environ.get(self.url_env) or self.default_base_url
        )
        self.retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._read_timeout = read_timeout
        self._deadline = deadline
        # A plain-http origin (the demo gateway) never uses TLS: skip building a verifying
        # SSL context, which loads the CA bundle and costs ~40 ms of start-up.
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            verify=not self.base_url.startswith("http://"),
            auth=self._authorize,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                # Decoded here, with a cap: br and zstd are not asked for.
                "Accept-Encoding": "gzip, deflate",
                **self.api_headers,
                **(headers or {}),
            },
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=120.0),
            transport=transport,
            follow_redirects=False,
        )
        self._not_before = 0.0

    def _authorize(self, request: httpx.Request) -> httpx.Request:
        """``Authorization: Bearer <key>``, added at send time: the key stays in its ApiKey."""
        if self._key:
            request.headers["Authorization"] = "Bearer " + self._key.reveal()
        return request

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=********)"

    def key_text(self) -> str:
        """The key itself: only for a recorder, which masks it wherever it appears."""
        return self._key.reveal()

    def rate_limited_for(self) -> float:
        """Seconds left before the server allows another request (0 when free)."""
        return max(0.0, self._not_before - time.monotonic())

    async def aclose(self) -> None:
        await self._http.aclose()

    def error_fields(self, payload: Any) -> ApiError | None:
        """Read an error body (its message, code, hint, reason class and request id, the rest
        filled in from the answer); None when it is not this provider's error shape."""
        return None

    # -- requests ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: dict[str, Any] | None = None,
        wait: float = 0.0,
    ) -> Reply:
        """Send an idempotent request with retries; the parsed reply. ``wait`` is how long
        the server may hold it (a long-poll), added to the read timeout and the deadline."""
        timeout = httpx.Timeout(self._read_timeout + wait, connect=self._http.timeout.connect)
        deadline = self._deadline + wait
        attempt = 0
        while True:
            await self._gate()
            exchange = self._exchange(method, path, params)
            error: ApiError
            try:
                async with asyncio.timeout(deadline):
                    async with self._http.stream(
                        method, path, params=list(params or []), json=json_body, timeout=timeout
                    ) as response:
                        body = await _read_body(response, method, path)
            except (TimeoutError, ApiError, httpx.HTTPError) as exc:
                if exchange is not None:
                    exchange.failed(exc)
                late = f"no complete answer within {deadline:g}s"
                error = self.transport_error(exc, method, path, late)
            else:
                if exchange is not None:
                    exchange.answered(response, body)
                if response.status_code < 400:
                    data = self._parse(body, response, method, path)
                    return Reply(data, body, response.headers, response.status_code)
                error = self._status_error(response, body, method, path)
            await self.backoff(error, attempt)
            attempt += 1

    async def page(
        self, path: str, params: Params, cursor: str | int | None, name: str = "cursor"
    ) -> Reply:
        """``GET path``: one page of a list, from ``cursor`` (sent as ``name``) when given."""
        if cursor:
            params = [*params, (name, str(cursor))]
        return await self.request("GET", path, params=params)

    async def _gate(self) -> None:
        """Before any request: wait out a server's Retry-After."""
        wait = self.rate_limited_for()
        if wait > 0:
            await self._sleep(wait)

    async def backoff(self, error: ApiError, attempt: int) -> None:
        """Sleep before retry ``attempt``, or raise ``error`` when it should not be retried."""
        if not error.retryable or attempt >= self.retry.max_retries:
            raise error
        if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
            raise error
        await self._sleep(self.retry.delay(attempt, error.retry_after))

    def _exchange(self, method: str, path: str, params: Params | None) -> Exchanges | None:
        """Each recording's record of a request about to go out (None when not recording)."""
        if not self.recorders:
            return None
        try:
            url = self._http.build_request(method, path, params=list(params or [])).url
        except (httpx.InvalidURL, httpx.HTTPError, ValueError):
            return None  # the request itself will fail, and say why
        from tui.providers.record import Exchanges

        return Exchanges.begin(self.recorders, method, url)

    def _parse(self, body: bytes, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return _loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            if isinstance(exc, RecursionError) or "depth limit" in str(exc):
                problem = "the response nests too deeply to read"
            elif looks_html(response, body):
                problem = "the server sent an HTML page instead of JSON"
            else:
                problem = "the response was not valid JSON"
            raise MalformedResponse(
                problem,
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                method=method,
                path=path,
            ) from None

    def transport_error(self, exc: Exception, method: str, path: str, late: str) -> ApiError:
        """The :class:`ApiError` a failure amounts to, with the key masked (``late``: what
        running out of time meant)."""
        where: dict[str, Any] = {"method": method, "path": path}
        if isinstance(exc, ApiError):
            return exc
        if isinstance(exc, TimeoutError):
            return ApiTimeout(late, **where)
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeout(f"request timed out ({type(exc).__name__})", **where)
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return ConfigError(f"cannot request {self.base_url}", **where)
        detail = clean(exc, limit=160) or type(exc).__name__
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return ConnectionDropped(f"connection dropped: {detail}", **where)
        if isinstance(exc, httpx.DecodingError):
            return MalformedResponse(f"the body could not be decoded: {detail}", **where)
        return Unreachable(f"cannot reach {self.base_url}: {detail}", **where)

    def _status_error(
        self, response: httpx.Response, body: bytes, method: str, path: str
    ) -> ApiError:
        status = response.status_code
        fields: ApiError | None
        try:
            fields = self.error_fields(json.loads(body))
        except (ValueError, UnicodeDecodeError, RecursionError):
            fields = None
        if fields is None:
            message = response.reason_phrase or f"HTTP {status}"
            if looks_html(response, body):
                message += " (the server sent an HTML error page)"
            fields = ApiError(message)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        cls = _STATUS_ERRORS.get(status, ServerError if status >= 500 else HttpStatusError)
        if cls is RateLimited:
            self._not_before = time.monotonic() + (retry_after or 0.0)

        def shown(value: str | None) -> str | None:
            return clean(value, limit=500) if value is not None else None

        return cls(
            shown(fields.message) or f"HTTP {status}",
            status=status,
            code=shown(fields.code),
            hint=shown(fields.hint),
            reason_class=shown(fields.reason_class),
            request_id=shown(fields.request_id or response.headers.get("x-request-id")),
            retry_after=retry_after,
            method=method,
            path=path,
        )

    # -- Server-Sent Events ---------------------------------------------------------------

    async def events(
        self, path: str, params: Params | None = None, headers: dict[str, str] | None = None
    ) -> AsyncIterator[SseEvent]:
        """One connection to an event stream; ends when the server closes it. Raises an
        :class:`ApiError` when it cannot connect, is refused, goes silent or breaks."""
        await self._gate()
        timeout = httpx.Timeout(STREAM_IDLE, connect=self._http.timeout.connect)
        exchange = self._exchange("GET", path, params)
        try:
            async with self._http.stream(
                "GET",
                path,
                params=list(params or []),
                headers={"Accept": "text/event-stream", **(headers or {})},
                timeout=timeout,
            ) as response:
                if response.status_code >= 400:
                    async with asyncio.timeout(self._deadline):
                        body = await _read_body(response, "GET", path)
                    if exchange is not None:
                        exchange.answered(response, body)
                    raise self._status_error(response, body, "GET", path)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    if exchange is not None:
                        exchange.answered(response, b"")
                    raise MalformedResponse(
                        "the event stream was not text/event-stream", method="GET", path=path
                    )
                chunks = _decoded(response, "GET", path)
                if exchange is not None:
                    chunks = exchange.stream(response, chunks)
                async for event in _parse_events(chunks, path):
                    yield event
        except (TimeoutError, httpx.HTTPError) as exc:
            if exchange is not None:
                exchange.failed(exc)
            late = "the stream's error body never ended"
            raise self.transport_error(exc, "GET", path, late) from None


ClientT = TypeVar("ClientT", bound=HttpApi)


class HttpSource(Generic[ClientT]):
    """What every provider's source shares: its client, its clock, and the key's variable
    (named, never valued, in the curl commands it offers)."""

    def __init__(
        self, client: ClientT, *, clock: Callable[[], float], key_env: str | None = None
    ) -> None:
        self.client = client
        self.clock = clock
        self.key_env = key_env or client.key_env

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def record_to(self, path: Path, provider: str, focus: str | None = None) -> Recorder:
        """Record every answer from now on to ``path`` (``w``: the group ``focus`` kept with
        all that is read for it), beside any recording under way (``--record``'s, another
        ``w``'s), which goes on getting everything too; :meth:`stop_recording` ends it. The
        key never reaches the file."""
        from tui.providers.record import recorder_for

        key = self.client.key_text()
        recorder = recorder_for(path, provider, self.client.base_url, key, focus)
        self.client.recorders.append(recorder)
        return recorder

    def keeping(self, focus: str) -> bool:
        """Whether a recording made for the group ``focus`` (a ``w``) is under way."""
        return any(recorder.focus == focus for recorder in self.client.recorders)

    def stop_recording(self, path: Path) -> None:
        """End the recording :meth:`record_to` began to ``path``; any other goes on."""
        recorders = self.client.recorders
        for recorder in [r for r in recorders if r.path == path]:
            recorders.remove(recorder)
            recorder.close()

    def rate_limited_for(self) -> float:
        return self.client.rate_limited_for()

    async def aclose(self) -> None:
        await self.client.aclose()


def _decoder(encoding: str, method: str, path: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise MalformedResponse(
        f"unsupported content encoding {clean(encoding, limit=30)!r}", method=method, path=path
    )


async def _decoded(response: httpx.Response, method: str, path: str) -> AsyncIterator[bytes]:
    """The body's bytes, decompressed here in bounded steps (never all at once)."""
    decoder = _decoder(response.headers.get("content-encoding", ""), method, path)
    async for chunk in response.aiter_raw():
        if decoder is None:
            yield chunk
            continue
        try:
            data = decoder.decompress(chunk, MAX_LINE)
            while data:
                yield data
                data = decoder.decompress(decoder.unconsumed_tail, MAX_LINE)
        except zlib.error:
            raise MalformedResponse(
                "the compressed body is corrupt", method=method, path=path
            ) from None


async def _read_body(response: httpx.Response, method: str, path: str) -> bytes:
    """The whole body, decompressed, key masked; :class:`TooLarge` past :data:`MAX_BODY`."""
    out = bytearray()
    async for chunk in _decoded(response, method, path):
        out += chunk
        if len(out) > MAX_BODY:
            raise TooLarge(
                f"the response passed {MAX_BODY // (1024 * 1024)} MB and was cut off",
                status=response.status_code,
                method=method,
                path=path,
            )
    return mask_bytes(bytes(out))


async def _parse_events(chunks: AsyncIterator[bytes], path: str) -> AsyncIterator[SseEvent]:
    """Server-Sent Events from a byte stream, with every line and event capped."""
    buffer = b""
    data: list[str] = []
    size = 0
    event = ""
    event_id: str | None = None
    async for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = mask(raw.rstrip(b"\r").decode("utf-8", "replace"))
            if not line:
                if data or event:
                    yield SseEvent(event or "message", "\n".join(data), event_id)
                data, size, event = [], 0, ""
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                yield SseEvent("comment", value, event_id)
            elif name == "data":
                size += len(value)
                if size > MAX_LINE:
                    raise TooLarge("an event passed 1 MB", method="GET", path=path)
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                event_id = value
        if len(buffer) > MAX_LINE:
            raise TooLarge("an event stream line passed 1 MB", method="GET", path=path)


_LONG_NUMBER = re.compile(rb"\d{19}")
"""A run of digits orjson might read as a float (an integer past 64 bits loses digits)."""


def _loads(body: bytes) -> Any:
    """JSON from bytes: orjson (a 9 MB record in a tenth of the time), falling back to the
    standard parser for what orjson refuses but the world sends (NaN, huge integers). A body
    with an integer of 19 digits or more goes to the standard parser at once: orjson turns
    one past 64 bits into a float, and the value shown or copied would not be the server's."""
    if _LONG_NUMBER.search(body) is not None:
        return json.loads(body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise
    return json.loads(body)


def looks_html(response: httpx.Response, body: bytes) -> bool:
    """Whether a response is an HTML page (a proxy's error page, say)."""
    head = body[:200].lstrip().lower()
    return "html" in response.headers.get("content-type", "") or head.startswith(
        (b"<!doctype html", b"<html")
    )


def curl_command(
    url: str,
    key_env: str,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    stream: bool = False,
) -> str:
    """A copy-pasteable request for ``url``, with the ``headers`` runwatch sends too (an API
    version: the same answer as the view's); the key is a ``$VARIABLE``, never its value.
    ``stream``: unbuffered (``-N``), as an event stream is read. An option a line, continued
    with ``\\``: a narrow screen wraps the preview between options (pasted, it still runs),
    not in the middle of a JSON body."""
    auth = f'-H "Authorization: Bearer ${key_env}"'
    curl = "curl -sS -N" if stream else "curl -sS"
    lines = [f"{curl} {auth}"]
    if method != "GET":
        json_type = "-H " + shlex.quote("Content-Type: application/json")
        lines = [f"{curl} -X {method}", json_type, auth]
    lines += ["-H " + shlex.quote(f"{name}: {value}") for name, value in headers]
    if body is not None:
        lines.append("-d " + shlex.quote(body))
    return " \\\n  ".join([*lines, shlex.quote(url)])


def pretty_json(body: bytes | None, fallback: Any = None, limit: int = 2_000_000) -> str:
    """A body (or a value) as indented JSON for copying, capped in size."""
    try:
        value = json.loads(body) if body is not None else fallback
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError):
        text = (body or b"").decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "\n… (cut)"
