"""Fault injection for the gateway: 5xx, 429, slow answers, bad bodies and dropped connections."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.sim.kernel_app import is_kernel_path

FAULT_KINDS = ("500", "503", "429", "slow", "malformed", "html", "drop", "schema", "cut")
"""``cut`` passes a response through and breaks the connection after a few body chunks:
for a Server-Sent Events stream, a drop in the middle of the stream."""


@dataclass
class FaultConfig:
    """Which faults to inject and how often; ``force`` queues exact faults for tests."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: float = 2.0
    slow_seconds: float = 3.0
    seed: int = 11
    cut_after: int = 4
    """Body chunks (SSE frames) a ``cut`` response sends before the connection breaks."""
    _forced: deque[tuple[str, str]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    injected: int = 0
    requests: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=100_000))
    """Every request seen (monotonic time, path): tests count retries with it."""
    client_ports: set[int] = field(default_factory=set)
    """Client ports seen: one per TCP connection (the benchmark checks reuse with it)."""

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def force(self, kind: str, count: int = 1, path_prefix: str = "/") -> None:
        """Make the next ``count`` requests under ``path_prefix`` fail with ``kind``
        (a prefix ending in ``$`` matches that exact path only)."""
        if kind not in FAULT_KINDS and not kind.isdigit():
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            for _ in range(count):
                self._forced.append((kind, path_prefix))

    def clear(self) -> None:
        with self._lock:
            self._forced.clear()

    def pick(self, path: str) -> str | None:
        """The fault for a request to ``path``, if any."""
        with self._lock:
            self.requests.append((time.monotonic(), path))
            for i, (kind, prefix) in enumerate(self._forced):
                exact = prefix.endswith("$")
                if (path == prefix[:-1]) if exact else path.startswith(prefix):
                    del self._forced[i]
                    self.injected += 1
                    return kind
            if self.rate > 0 and self._rng.random() < self.rate:
                self.injected += 1
                return self._rng.choice(self.kinds)
        return None


class FaultMiddleware:
    """ASGI middleware that replaces a response with a fault, as a flaky network would."""

    def __init__(self, app: ASGIApp, config: FaultConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if client:
            self.config.client_ports.add(int(client[1]))
        path = str(scope.get("path", "/"))
        kind = self.config.pick(path)
        if kind is None:
            await self.app(scope, receive, send)
            return
        if kind == "slow":
            await asyncio.sleep(self.config.slow_seconds)
            await self.app(scope, receive, send)
            return
        if kind == "schema":
            await self.app(scope, receive, _break_schema(send))
            return
        if kind == "cut":
            await _cut(self.app, scope, receive, send, self.config.cut_after)
            return
        await _send_fault(
            kind, send, self.config.retry_after, kernel=is_kernel_path(str(scope.get("path", "")))
        )


class _Cut(Exception):
    """Raised into the server to break the connection mid-response."""


async def _cut(app: ASGIApp, scope: Scope, receive: Receive, send: Send, after: int) -> None:
    """Serve normally, then break the connection after ``after`` body chunks."""
    chunks = 0

    async def counting(message: Message) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body" and message.get("body"):
            if chunks >= after:
                raise _Cut
            chunks += 1
        await send(message)

    try:
        await app(scope, receive, counting)
    except _Cut:
        # Re-raised so the server aborts the connection (an incomplete chunked body) instead
        # of ending the response cleanly: the client must see a drop, not an end.
        raise RuntimeError("fault injection: connection cut mid-stream") from None


def _break_schema(send: Send) -> Send:
    """Pass the real response through, but with a body that no longer fits the contract."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"content-length"]
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body":
            message = {
                **message,
                "body": b'{"data": "not what the contract says"}',
                "more_body": False,
            }
        await send(message)

    return wrapped


async def _send_fault(kind: str, send: Send, retry_after: float, *, kernel: bool) -> None:
    headers: list[tuple[bytes, bytes]] = []
    status = 500
    body: bytes
    if kind != "429" and kind.isdigit():
        status = int(kind)
        code, message, reason = {
            401: ("auth.unauthorized", "The API key is missing or invalid.", "unauthorized"),
            403: (
                "auth.forbidden",
                "The API key cannot access this resource.",
                "capability_denied",
            ),
            404: ("route.not_found", "Not served here", "not_found"),
        }.get(status, ("server.unavailable", "Injected server error", "server"))
        fields = {"code": code, "error": message, "reasonClass": reason, "requestId": "req_fault"}
        if kernel:
            fields = {"code": code.rsplit(".", 1)[-1], "message": message}
        body = json.dumps(fields).encode()
        headers.append((b"content-type", b"application/json"))
    elif kind == "429" and kernel:
        status = 429
        body = b'{"code": "rate_limited", "message": "Too many requests"}'
        headers += [
            (b"content-type", b"application/json"),
            (b"retry-after", str(retry_after).encode()),
        ]
    elif kind == "429":
        status = 429
        body = (
            b'{"code": "rate_limit.exceeded", "error": "Too many requests",'
            b' "hint": "retry after the Retry-After delay", "reasonClass": "rate_limited",'
            b' "requestId": "req_fault"}'
        )
        headers += [
            (b"content-type", b"application/json"),
            (b"retry-after", str(retry_after).encode()),
        ]
    elif kind == "malformed":
        status = 200
        body = b'{"data": [ {"id": "trunc'
        headers.append((b"content-type", b"application/json"))
    elif kind == "html":
        status = 502
        body = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
        headers.append((b"content-type", b"text/html"))
    else:  # drop: promise a body and close the connection before sending it
        start: dict[str, Any] = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                *headers,
                (b"content-type", b"application/json"),
                (b"content-length", b"4096"),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b'{"data": [', "more_body": False})
        return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
