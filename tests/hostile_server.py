"""A small loopback HTTP server that misbehaves on purpose, for tests of the client and viewer.

The embedded gateway (``tui.sim``) is a well-behaved server with faults bolted on; this one
is raw asyncio so a handler controls every byte: the status line, headers, body chunks,
delays, bodies that never end and connections that break. Every request is logged as it
arrived on the wire (raw path before percent-decoding, query, headers), except the value of
``Authorization``, of which only its presence is kept.

Routes map ``(method, pattern)`` to an async handler ``(request, conn)``. A pattern's
``{name}`` matches one raw path segment (``[^/]+``, so an id the client percent-encodes
still matches), ``{name:path}`` matches the rest; ``*`` as the method matches any. When two
routes match, the one given (or installed) last wins; nothing matched is a bctrl 404
``route.not_found`` (a Kernel 404 for ``/invocations...``).

Usage::

    import httpx
    from tests.hostile_server import HostileServer, gzip_bomb, rate_limited, respond

    with HostileServer({("GET", "/v1/runs/{run_id}/invocations"): gzip_bomb()}) as server:
        with httpx.stream("GET", server.url + "/v1/runs/r%2F1/invocations") as response:
            ...                                   # inflates to more than 1 GB if read
        assert server.log[0].raw_path == "/v1/runs/r%2F1/invocations"
        server.route("GET", "/v1/runs", rate_limited("inf"))      # change it mid-test
        server.route("*", "/{rest:path}", respond(503, b"down"))  # or everything at once

A custom handler writes raw bytes::

    async def promise_and_break(request: Request, conn: Conn) -> None:
        await conn.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 4096\\r\\n\\r\\n{\\"data\\": [")
        await asyncio.sleep(0.1)
        conn.abort()                               # a reset, not a clean end

Canned behaviours (each returns a handler, or a routes dict to spread into ``routes``)::

    gzip_bomb()                        # 1. ~1 MiB gzip that inflates to 1 GiB
    endless_json()                     # 2. '{"data":[' then rows forever (chunked)
    endless_sse_line()                 #    SSE 'data: xxxx...' without a newline, forever
    kernel_log_flood()                 #    Kernel log frames as fast as they can be read
    giant_sse_line()                   #    one 10 MB SSE data: line, then the end
    deep_json()                        # 3. 100,000 levels of [ ... ]
    rate_limited("inf")                # 4. 429 + Retry-After: inf (nan, 999999, -5, ...)
    same_cursor_forever()              # 5. nextCursor never changes
    endless_cursors()                  #    200 new rows and a new cursor on every page
    FlippingStatus().routes()          # 6. running / failed / running ... per request
    echo_key()                         # 7. the client's bearer key in every string
    hostile_ids()                      # 8. ids with . .. ? # / and terminal escapes
    odd_data()                         # 9. valid-but-odd and off-contract field values
    contract_only()                    # 10. no GET /v1/runs[/{id}]: 404 route.not_found
    kernel_without_list()              #     no GET /invocations; Kernel-style ids
    html_error(), html_ok(), huge_json()   # 11. HTML pages, a 50 MB JSON body

Everything is deterministic: no randomness, no clocks in bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import itertools
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

MIB = 1 << 20
CHUNK = 64 * 1024
TERMINAL = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
LIVE = frozenset({"queued", "dispatching", "running", "cancelling"})
KERNEL_TERMINAL = frozenset({"succeeded", "failed"})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})


# -- requests, connections, the server ------------------------------------------------------


@dataclass(frozen=True)
class LoggedRequest:
    """One request as it arrived: everything but the Authorization header's value."""

    method: str
    target: str
    """The request target exactly as sent (path and query, before percent-decoding)."""
    raw_path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    """Header names lower-cased, in order; Authorization and Proxy-Authorization left out."""
    authorization: bool
    """Whether an Authorization header was sent (its value is never recorded)."""
    body: bytes
    at: float
    """``time.monotonic()`` when the request head was read."""
    connection: int
    """Serial number of the TCP connection it came on (1, 2, ...)."""

    @property
    def path(self) -> str:
        """The path percent-decoded."""
        return unquote(self.raw_path)

    @property
    def params(self) -> list[tuple[str, str]]:
        """The query percent-decoded, repeated names kept."""
        return parse_qsl(self.query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        return next((v for k, v in self.params if k == name), None)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (never Authorization)."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)


@dataclass(frozen=True)
class Request(LoggedRequest):
    """What a handler gets: the logged request, the bearer key and the path parameters."""

    bearer: str | None = field(default=None, repr=False)
    """The key after ``Bearer `` in Authorization, for handlers that echo it."""
    path_params: dict[str, str] = field(default_factory=dict)
    """Pattern parameters percent-decoded (``raw_path_params`` keeps them as sent)."""
    raw_path_params: dict[str, str] = field(default_factory=dict)


class Conn:
    """One client connection: write raw bytes, or use the helpers that frame a response."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.closed = False

    async def write(self, data: bytes) -> None:
        """Send ``data`` as is and wait until the client has taken it (backpressure)."""
        if self.closed or self._writer.transport.is_closing():
            raise ConnectionResetError("the client went away")
        self._writer.write(data)
        await self._writer.drain()

    async def head(
        self,
        status: int,
        headers: Iterable[tuple[str, str]] = (),
        reason: str | None = None,
    ) -> None:
        """The status line and headers (nothing is added: no Content-Length, no Date)."""
        lines = [f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Status')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        await self.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def respond(
        self,
        status: int,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        content_type: str = "application/json",
    ) -> None:
        """A complete response with Content-Length; the connection stays open for more."""
        await self.head(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
        )
        await self.write(body)

    async def json(
        self, value: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        """``value`` as a complete JSON response."""
        await self.respond(status, dump(value), headers)

    async def start_chunked(
        self, status: int = 200, content_type: str = "application/json", **extra: str
    ) -> None:
        """The head of a chunked response (``extra`` headers: ``Content_Encoding=...``)."""
        headers = [("Content-Type", content_type), ("Transfer-Encoding", "chunked")]
        headers += [(name.replace("_", "-"), value) for name, value in extra.items()]
        await self.head(status, headers)

    async def chunk(self, data: bytes) -> None:
        """One chunk of a chunked body (empty data is skipped: it would end the body)."""
        if data:
            await self.write(b"%x\r\n%s\r\n" % (len(data), data))

    async def end_chunks(self) -> None:
        """The last chunk: the body ends cleanly."""
        await self.write(b"0\r\n\r\n")

    async def close(self) -> None:
        """Flush and close (a clean FIN): for close-delimited bodies."""
        if not self.closed:
            self.closed = True
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    def abort(self) -> None:
        """Break the connection at once with a TCP reset; unsent bytes are dropped."""
        if self.closed:
            return
        self.closed = True
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST, so the client sees a reset, not an end.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()


Handler = Callable[[Request, Conn], Awaitable[None]]
Routes = Mapping[tuple[str, str], Handler]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _compile(pattern: str) -> re.Pattern[str]:
    """A route pattern as a regex over the raw path."""
    out, last = [], 0
    for match in re.finditer(r"\{(\w+)(:path)?\}", pattern):
        out.append(re.escape(pattern[last : match.start()]))
        out.append(f"(?P<{match[1]}>{'.+' if match[2] else '[^/]+'})")
        last = match.end()
    out.append(re.escape(pattern[last:]))
    return re.compile("".join(out))


class HostileServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, routes: Routes | None = None) -> None:
        self._routes: dict[tuple[str, str], tuple[re.Pattern[str], Handler]] = {}
        for (method, pattern), handler in (routes or {}).items():
            self.route(method, pattern, handler)
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self.errors: list[str] = []
        """Exceptions raised by handlers (not clients going away): a test can assert none."""
        self._connections = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- routes and the log ----------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Install (or replace) the handler for ``method`` and ``pattern``; it wins ties."""
        key = (method.upper(), pattern)
        self._routes.pop(key, None)
        self._routes[key] = (_compile(pattern), handler)

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:43121``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Logged requests, optionally only those whose method / raw path match a pattern."""
        regex = _compile(path) if path is not None else None
        return [
            r
            for r in self.log
            if (method is None or r.method == method.upper())
            and (regex is None or regex.fullmatch(r.raw_path))
        ]

    def quiet(self, seconds: float, **match: str) -> bool:
        """Whether no request (matching ``method=`` / ``path=``) arrives in the next
        ``seconds``: e.g. no retry storm after a 401, no polling after the client gave up."""
        before = len(self.requests(match.get("method"), match.get("path")))
        time.sleep(seconds)
        return len(self.requests(match.get("method"), match.get("path"))) == before

    def clear_log(self) -> None:
        """Forget the requests so far."""
        with self._lock:
            self._log.clear()

    def wait_for(self, count: int, timeout: float = 5.0, **match: str) -> list[LoggedRequest]:
        """Block until ``count`` requests (matching ``method=`` / ``path=``) have arrived."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.requests(match.get("method"), match.get("path"))
            if len(seen) >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.01)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> HostileServer:
        """Listen on a free loopback port and serve in a daemon thread."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="hostile-server", daemon=True)
        self._thread.start()
        ready.wait(5)
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=4 * MIB), loop
        ).result(5)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        """Stop listening, break every open connection (endless bodies too) and join."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(5)
        self._loop = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = Conn(writer)
        serial = next(self._connections)
        try:
            while not conn.closed:
                request = await self._read(reader, serial)
                if request is None:
                    break
                with self._lock:
                    self._log.append(_logged(request))
                await self._dispatch(request, conn)
                if (request.header("connection") or "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away or sent garbage: not the handler's fault
        except asyncio.CancelledError:
            conn.abort()  # shutting down: endless bodies end here
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            conn.abort()
        finally:
            if not conn.closed:
                conn.closed = True
                writer.close()  # flushes what is still buffered, then a clean FIN
            self._tasks.discard(task)

    async def _dispatch(self, request: Request, conn: Conn) -> None:
        for (method, _), (regex, handler) in reversed(list(self._routes.items())):
            if method not in ("*", request.method):
                continue
            match = regex.fullmatch(request.raw_path)
            if match is None:
                continue
            raw = match.groupdict()
            request = _with_params(request, raw)
            await handler(request, conn)
            return
        await not_found()(request, conn)

    async def _read(self, reader: asyncio.StreamReader, serial: int) -> Request | None:
        """The next request on the connection, or None when the client has closed it."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise
            return None
        at = time.monotonic()
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
        body = b""
        length = next((v for k, v in headers if k == "content-length"), None)
        if length is not None:
            body = await reader.readexactly(int(length))
        elif any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
            body = await _read_chunked(reader)
        raw_path, _, query = target.partition("?")
        auth = next((v for k, v in headers if k == "authorization"), None)
        scheme, _, key = (auth or "").partition(" ")
        return Request(
            method=method.upper(),
            target=target,
            raw_path=raw_path,
            query=query,
            headers=tuple((k, v) for k, v in headers if k not in SECRET_HEADERS),
            authorization=auth is not None,
            body=body,
            at=at,
            connection=serial,
            bearer=key.strip() if scheme.lower() == "bearer" else None,
        )


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _logged(request: Request) -> LoggedRequest:
    """The loggable part of a request (no key, no parameters)."""
    return LoggedRequest(
        method=request.method,
        target=request.target,
        raw_path=request.raw_path,
        query=request.query,
        headers=request.headers,
        authorization=request.authorization,
        body=request.body,
        at=request.at,
        connection=request.connection,
    )


def _with_params(request: Request, raw: dict[str, str]) -> Request:
    return Request(
        **{f: getattr(request, f) for f in LoggedRequest.__dataclass_fields__},
        bearer=request.bearer,
        path_params={k: unquote(v) for k, v in raw.items()},
        raw_path_params=raw,
    )


# -- small building blocks ------------------------------------------------------------------


def dump(value: Any) -> bytes:
    """Compact JSON bytes (UTF-8, non-ASCII kept as is, like most servers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sse(data: Mapping[str, Any]) -> bytes:
    """One Server-Sent Events frame whose ``data:`` is ``data`` as JSON."""
    return b"data: " + dump(data) + b"\n\n"


def error_body(code: str, message: str, reason: str = "server", **extra: Any) -> dict[str, Any]:
    """bctrl's ErrorResponse."""
    body = {"code": code, "error": message, "reasonClass": reason, "requestId": "req_h0stile"}
    return body | extra


def kernel_error_body(code: str, message: str) -> dict[str, Any]:
    """Kernel's Error."""
    return {"code": code, "message": message}


def _is_kernel(path: str) -> bool:
    return path == "/invocations" or path.startswith("/invocations/")


def respond(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
) -> Handler:
    """Always the same complete response."""
    extra = tuple(headers)

    async def handler(request: Request, conn: Conn) -> None:
        await conn.respond(status, body, extra, content_type)

    return handler


def json_response(
    value: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Handler:
    """Always ``value`` as JSON."""
    return respond(status, dump(value), headers=headers)


def not_found() -> Handler:
    """404 with bctrl's ``route.not_found`` (Kernel's ``not_found`` under /invocations)."""

    async def handler(request: Request, conn: Conn) -> None:
        if _is_kernel(request.path):
            body = kernel_error_body("not_found", f"no route for {request.raw_path}")
        else:
            body = error_body("route.not_found", f"No route for {request.raw_path}", "not_found")
        await conn.json(body, 404)

    return handler


def delayed(seconds: float, handler: Handler) -> Handler:
    """``handler`` after ``seconds`` of silence (a slow server, not a slow network)."""

    async def wrapped(request: Request, conn: Conn) -> None:
        await asyncio.sleep(seconds)
        await handler(request, conn)

    return wrapped


def hang() -> Handler:
    """Read the request and never answer (until the client gives up or the server stops)."""

    async def handler(request: Request, conn: Conn) -> None:
        await asyncio.Event().wait()

    return handler


def abrupt_close(after: bytes = b"") -> Handler:
    """Send ``after`` (e.g. half a response) and reset the connection."""

    async def handler(request: Request, conn: Conn) -> None:
        if after:
            await conn.write(after)
        conn.abort()

    return handler


# -- 1. the gzip bomb -----------------------------------------------------------------------

BOMB_INFLATED = 1 << 30
"""What the bomb inflates to: 1 GiB of zero bytes (1,073,741,824 > 10**9)."""
_BOMB_SEGMENT = 16 * MIB


@functools.cache
def bomb_bytes() -> bytes:
    """A valid single-member gzip stream of ~1 MiB that inflates to BOMB_INFLATED bytes.

    Compressing 1 GiB would take seconds, so one 16 MiB segment is compressed and ended with
    a full flush (byte-aligned, history reset): every later segment would compress to the
    very same bytes, so they are repeated. The trailer's CRC and size are for the whole.
    """
    zeros = bytes(_BOMB_SEGMENT)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31, 9)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    header, segment = first[:10], first[10:]  # a gzip header is 10 bytes without options
    ending = packer.flush(zlib.Z_FINISH)[:-8]  # the final empty block, without its trailer
    count = BOMB_INFLATED // _BOMB_SEGMENT
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, BOMB_INFLATED & 0xFFFFFFFF)
    return header + segment * count + ending + trailer


def gzip_bomb(status: int = 200, content_type: str = "application/json") -> Handler:
    """``Content-Encoding: gzip`` with ~1 MiB on the wire that inflates to 1 GiB."""

    async def handler(request: Request, conn: Conn) -> None:
        body = bomb_bytes()
        await conn.head(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(body))),
            ],
        )
        for at in range(0, len(body), CHUNK):
            await conn.write(body[at : at + CHUNK])

    return handler


# -- 2. bodies and streams that never end ---------------------------------------------------


def endless_json(
    prefix: bytes = b'{"data":[',
    filler: bytes = b'{"id":"00000000-0000-4000-8000-000000000000","status":"running"},',
) -> Handler:
    """A chunked 200 that starts as valid JSON and then repeats ``filler`` forever."""
    block = filler * max(1, CHUNK // len(filler))

    async def handler(request: Request, conn: Conn) -> None:
        await conn.start_chunked()
        await conn.chunk(prefix)
        while True:
            await conn.chunk(block)

    return handler


def endless_sse_line() -> Handler:
    """An event stream that sends ``data: xxxx...`` forever without a single newline."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream", Cache_Control="no-cache")
        await conn.chunk(b"data: ")
        block = b"x" * CHUNK
        while True:
            await conn.chunk(block)

    return handler


def _ns_stamp(n: int) -> str:
    """Deterministic RFC 3339 nanosecond timestamps from 2026-11-20T10:00:00Z, n ns on."""
    seconds, ns = divmod(n, 1_000_000_000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"2026-11-20T{10 + hours % 14:02d}:{minute:02d}:{sec:02d}.{ns:09d}Z"


def kernel_log_flood(invocation_id: str = "inv_fl00dfl00dfl00d") -> Handler:
    """A Kernel event stream: the state, then log frames as fast as the client reads, forever."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream", Cache_Control="no-cache")
        state = kernel_invocation(invocation_id, "running")
        await conn.chunk(
            sse({"event": "invocation_state", "timestamp": _ns_stamp(0), "invocation": state})
        )
        for batch in itertools.count():
            # A few hundred frames per write: the flood is limited by the reader, not by us.
            frames = b"".join(
                sse(
                    {
                        "event": "log",
                        "timestamp": _ns_stamp((batch * 256 + i + 1) * 1000),
                        "message": f"[flood] line {batch * 256 + i + 1}",
                    }
                )
                for i in range(256)
            )
            await conn.chunk(frames)

    return handler


def giant_sse_line(
    size: int = 10 * 1000 * 1000, invocation_id: str = "inv_g1antl1ne0000"
) -> Handler:
    """A Kernel event stream with one ``data:`` line of ``size`` bytes, then a clean end."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.start_chunked(content_type="text/event-stream", Cache_Control="no-cache")
        running = kernel_invocation(invocation_id, "running")
        await conn.chunk(
            sse({"event": "invocation_state", "timestamp": _ns_stamp(0), "invocation": running})
        )
        head = b'data: {"event":"log","timestamp":"' + _ns_stamp(1000).encode() + b'","message":"'
        tail = b'"}\n\n'
        left = size - len(head) - len(tail)
        await conn.chunk(head)
        block = b"A" * CHUNK
        while left > 0:
            await conn.chunk(block[: min(CHUNK, left)])
            left -= CHUNK
        await conn.chunk(tail)
        done = kernel_invocation(invocation_id, "succeeded")
        await conn.chunk(
            sse({"event": "invocation_state", "timestamp": _ns_stamp(2000), "invocation": done})
        )
        await conn.end_chunks()

    return handler


# -- 3. pathological JSON -------------------------------------------------------------------


def deep_json(depth: int = 100_000) -> Handler:
    """Valid JSON nested ``depth`` levels deep: ``[[[...]]]``."""
    return respond(200, b"[" * depth + b"]" * depth)


# -- 4. odd Retry-After ---------------------------------------------------------------------

ODD_RETRY_AFTER = ("inf", "nan", "999999", "-5")


def rate_limited(retry_after: str, kernel: bool | None = None) -> Handler:
    """429 with ``Retry-After: <retry_after>`` verbatim (bctrl or Kernel error body by path)."""

    async def handler(request: Request, conn: Conn) -> None:
        as_kernel = _is_kernel(request.path) if kernel is None else kernel
        body = (
            kernel_error_body("rate_limited", "Too many requests")
            if as_kernel
            else error_body("rate_limit.exceeded", "Too many requests", "rate_limited")
        )
        await conn.json(body, 429, [("Retry-After", retry_after)])

    return handler


# -- plausible data (the contract's shapes) -------------------------------------------------


def uid(kind: int, n: int) -> str:
    """A deterministic UUID (version 4 layout) for object ``n`` of ``kind``."""
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


RUN_ID = uid(0xA, 1)
RUNTIME_ID = uid(0xB, 1)
SPACE_ID = uid(0xC, 1)
T0 = "2026-11-20T10:00:00.000Z"


def _stamp(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60)
    return f"2026-11-20T10:{int(minutes):02d}:{sec:06.3f}Z"


def run_summary(run_id: str = RUN_ID, status: str = "active", n: int = 0) -> dict[str, Any]:
    """A RunSummary (``GET /v1/runs`` row)."""
    out: dict[str, Any] = {
        "id": run_id,
        "runtimeId": RUNTIME_ID,
        "runtimeType": "browser",
        "spaceId": SPACE_ID,
        "status": status,
        "createdAt": _stamp(n * 60),
        "startedAt": _stamp(n * 60 + 0.5),
    }
    if status != "active":
        out["finishedAt"] = _stamp(n * 60 + 50)
        out["durationSeconds"] = 49.5
    if status == "failed":
        out["failure"] = {"code": "invocation.failed", "message": "An invocation failed"}
    return out


_STEPS: list[dict[str, Any]] = [
    {"call": "page.goto", "args": ["https://shop.example.com/cart"], "bind": "@page"},
    {"call": "page.click", "ref": "#checkout"},
    {"call": "page.waitForSelector", "args": ["#order-summary"], "options": {"timeoutMs": 30000}},
]
_STEP_ERROR: dict[str, Any] = {
    "code": "TIMEOUT",
    "message": "page.waitForSelector timed out after 30000 ms waiting for '#order-summary'",
    "hint": "Raise options.timeoutMs, or wait for a visible element first.",
    "diagnostic": {
        "id": "diag_timeout",
        "category": "runtime",
        "code": "step.timeout",
        "call": "page.waitForSelector",
        "driver": "playwright@1.49",
        "expected": "'#order-summary' visible within 30000 ms",
        "received": "no matching element after 30000 ms",
        "closest": ["#order-summary-v2"],
        "fixes": [{"title": "Increase the step timeout", "command": "bctrl steps lint"}],
        "docsUrl": "https://docs.bctrl.ai/errors/TIMEOUT",
    },
}


@dataclass
class Record:
    """One bctrl invocation in its three shapes: list row, v2 ``data`` and the wait record."""

    summary: dict[str, Any]
    v2: dict[str, Any]
    full: dict[str, Any]

    @property
    def status(self) -> Any:
        return self.full.get("status")


def invocation_record(
    inv_id: str,
    run_id: str = RUN_ID,
    seq: int = 1,
    status: str = "succeeded",
    action: str = "act",
    message: str | None = None,
) -> Record:
    """A consistent invocation in the contract's shapes (a failed one has a diagnostic)."""
    created = seq * 10.0
    terminal = status in TERMINAL
    started = None if status == "queued" else _stamp(created + 1)
    finished = _stamp(created + 5) if terminal else None
    duration = 4000 if terminal else None
    error = None
    if status == "failed":
        error = {
            "code": "invocation.step_failed",
            "message": message or "Step 3 (page.waitForSelector) failed",
            "details": {"stepIndex": 2},
        }
    progress: dict[str, Any] = {
        "message": message or ("Completed" if terminal else "Waiting for the page to settle"),
        "step": 3 if terminal else 2,
        "totalSteps": 3,
    }
    summary = {
        "id": inv_id,
        "runId": run_id,
        "runtimeId": RUNTIME_ID,
        "action": action,
        "status": status,
        "createdAt": _stamp(created),
        "durationMs": duration,
        "finishedAt": finished,
        "error": error,
    }
    v2: dict[str, Any] = {
        "id": inv_id,
        "runId": run_id,
        "runtimeId": RUNTIME_ID,
        "spaceId": SPACE_ID,
        "runtimeType": "browser",
        "status": status,
        "type": action,
        "artifactCount": 1,
        "createdAt": _stamp(created),
        "startedAt": started,
        "finishedAt": finished,
        "durationMs": duration,
        "error": error,
        "metadata": {"source": "sdk-python"},
        "progress": progress,
    }
    if status == "succeeded":
        v2["result"] = {"ok": True}
    results: dict[str, Any] | None = None
    if terminal:
        steps: list[dict[str, Any]] = [
            {
                "ok": True,
                "call": step["call"],
                "index": i,
                "resolved": {
                    "call": step["call"],
                    "method": step["call"].split(".")[-1],
                    "target": "page",
                    "contextId": "ctx_1",
                    "handleId": None,
                    "pageId": "page_1",
                    "ref": step.get("ref"),
                    "runtimeId": RUNTIME_ID,
                },
                "result": {"durationMs": 120 + 37 * i},
            }
            for i, step in enumerate(_STEPS)
        ]
        if status == "failed":
            failed = copy.deepcopy(_STEP_ERROR)
            if message:
                failed["message"] = message
            steps[2] = {"ok": False, "call": _STEPS[2]["call"], "index": 2, "error": failed}
        results = {
            "mode": "fail-fast",
            "ok": status == "succeeded",
            "steps": steps,
            "runtimeId": RUNTIME_ID,
        }
    full: dict[str, Any] = {
        "id": inv_id,
        "runId": run_id,
        "runtimeId": RUNTIME_ID,
        "spaceId": SPACE_ID,
        "runtimeKind": "browser",
        "status": status,
        "entryCall": "page.goto",
        "executionMode": "durable",
        "sequenceNo": seq,
        "stepCount": 3,
        "artifactCount": 1,
        "createdAt": _stamp(created),
        "startedAt": started,
        "finishedAt": finished,
        "durationMs": duration,
        "cancelRequestedAt": None,
        "lastHeartbeatAt": finished or started,
        "connector": None,
        "correlationId": f"corr_{seq:04d}",
        "error": error,
        "metadata": {"source": "sdk-python"},
        "progress": {
            **progress,
            "currentCall": _STEPS[progress["step"] - 1]["call"],
            "lastEventType": "step.started",
        },
        "request": {
            "runtimeId": RUNTIME_ID,
            "steps": copy.deepcopy(_STEPS),
            "mode": "fail-fast",
            "idempotencyKey": f"idem_{seq:04d}",
        },
        "result": results,
    }
    return Record(summary, v2, full)


def kernel_invocation(inv_id: str, status: str = "succeeded", n: int = 0) -> dict[str, Any]:
    """A Kernel Invocation."""
    out: dict[str, Any] = {
        "id": inv_id,
        "app_name": "web-scraper",
        "version": "1.4.2",
        "action_name": "scrape",
        "payload": '{"url":"https://shop.example.com/scrape","retries":2}',
        "started_at": _ns_stamp(n * 10 * 1_000_000_000 + 123_456_789),
        "status": status,
    }
    if status in KERNEL_TERMINAL:
        out["finished_at"] = _ns_stamp(n * 10 * 1_000_000_000 + 5_987_654_321)
        out["status_reason"] = (
            "Invocation completed successfully"
            if status == "succeeded"
            else "Error: TimeoutError: locator('#checkout') not visible after 30000ms"
        )
        if status == "succeeded":
            out["output"] = '{"ok":true,"items":12}'
    else:
        out["finished_at"] = None
        out["status_reason"] = "Running"
    return out


KERNEL_IDS = ("inv_8f3k2m9q4x7w1z5c", "inv_2b7d9e0a1c4f6h8j", "inv_0q9w8e7r6t5y4u3i")
"""Kernel-style ids (not UUIDs) of :func:`kernel_without_list`'s invocations."""


@dataclass
class Dataset:
    """What the data-serving routes answer from: runs, invocations and Kernel invocations."""

    runs: list[dict[str, Any]]
    records: dict[str, Record]
    """By invocation id, in run order, oldest first."""
    kernel: dict[str, dict[str, Any]] = field(default_factory=dict)
    kernel_logs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Kernel invocation id -> (timestamp, message) lines."""

    def run_records(self, run_id: str) -> list[Record]:
        return [r for r in self.records.values() if r.summary.get("runId") == run_id]


INVOCATION_IDS = tuple(uid(0xD, n) for n in range(1, 7))
"""The plausible dataset's invocation ids (in RUN_ID), oldest first."""
_PLAUSIBLE = (
    ("succeeded", "act"),
    ("failed", "extract"),
    ("succeeded", "observe"),
    ("timed_out", "browserUse"),
    ("running", "act"),
    ("queued", "solveCaptcha"),
)


def plausible_dataset() -> Dataset:
    """One active run (RUN_ID) with six invocations, and three Kernel invocations."""
    records = {
        inv_id: invocation_record(inv_id, RUN_ID, seq, status, action)
        for seq, (inv_id, (status, action)) in enumerate(
            zip(INVOCATION_IDS, _PLAUSIBLE, strict=True), start=1
        )
    }
    kernel = {
        ident: kernel_invocation(ident, status, n)
        for n, (ident, status) in enumerate(
            zip(KERNEL_IDS, ("succeeded", "failed", "running"), strict=True)
        )
    }
    logs = {
        ident: [
            (_ns_stamp(n * 10_000_000_000 + k * 250_000_000), f"step {k + 1}: working")
            for k in range(5)
        ]
        for n, ident in enumerate(KERNEL_IDS)
    }
    return Dataset([run_summary(RUN_ID)], records, kernel, logs)


Transform = Callable[[Any, Request], Any]


def dataset_routes(
    data: Dataset,
    *,
    transform: Transform | None = None,
    lookup: Callable[[str, Request], str] | None = None,
    runs_list: bool = True,
    run_get: bool = True,
    kernel_list: bool = True,
    wait_cap: float = 0.5,
    heartbeat: float = 0.25,
) -> dict[tuple[str, str], Handler]:
    """Routes serving ``data`` on every contract path (and the bctrl/Kernel lists).

    ``transform(body, request)`` rewrites each JSON body (and each SSE frame) just before it
    is sent; ``lookup(id, request)`` maps an id from a path back to the dataset's. Without
    ``runs_list`` / ``run_get`` / ``kernel_list`` those paths answer 404 route.not_found.
    A wait on a live invocation long-polls ``min(timeoutMs, wait_cap)`` seconds; a live
    Kernel invocation's events stream sends ``sse_heartbeat`` every ``heartbeat`` seconds.
    """

    def out(body: Any, request: Request) -> Any:
        return transform(copy.deepcopy(body), request) if transform else body

    def find(raw: str, request: Request) -> str:
        return lookup(raw, request) if lookup else raw

    def page(rows: list[dict[str, Any]], request: Request) -> dict[str, Any]:
        try:
            limit = int(request.param("limit") or 50)
            start = int((request.param("cursor") or "c0")[1:])
        except ValueError:
            limit, start = 50, 0
        chunk = rows[start : start + limit]
        more = start + limit < len(rows)
        return {"data": chunk, "nextCursor": f"c{start + limit}" if more else None}

    async def list_runs(request: Request, conn: Conn) -> None:
        await conn.json(out(page(data.runs, request), request))

    async def get_run(request: Request, conn: Conn) -> None:
        run_id = find(request.path_params["run_id"], request)
        run = next((r for r in data.runs if r["id"] == run_id), None)
        if run is None:
            await conn.json(error_body("run.not_found", "Run not found", "not_found"), 404)
            return
        n = len(data.run_records(run_id))
        detail = {
            **run,
            "counts": {"events": n * 6, "files": n // 3, "invocations": n, "toolCalls": n * 2},
        }
        await conn.json(out(detail, request))

    async def list_invocations(request: Request, conn: Conn) -> None:
        run_id = find(request.path_params["run_id"], request)
        if not any(r["id"] == run_id for r in data.runs):
            await conn.json(error_body("run.not_found", "Run not found", "not_found"), 404)
            return
        rows = [r.summary for r in data.run_records(run_id)]
        statuses = {s for k, v in request.params if k == "status" for s in v.split(",")}
        actions = {a for k, v in request.params if k == "action" for a in v.split(",")}
        rows = [r for r in rows if (not statuses or r.get("status") in statuses)]
        rows = [r for r in rows if (not actions or r.get("action") in actions)]
        await conn.json(out(page(rows, request), request))

    def record(request: Request) -> Record | None:
        return data.records.get(find(request.path_params["invocation_id"], request))

    async def missing(conn: Conn) -> None:
        await conn.json(
            error_body("invocation.not_found", "Invocation not found", "not_found"), 404
        )

    async def get_v2(request: Request, conn: Conn) -> None:
        rec = record(request)
        if rec is None:
            await missing(conn)
            return
        await conn.json(out({"data": rec.v2}, request))

    async def wait(request: Request, conn: Conn) -> None:
        rec = record(request)
        if rec is None:
            await missing(conn)
            return
        try:
            timeout_ms = int(json.loads(request.body or b"{}").get("timeoutMs", 30_000))
        except (ValueError, TypeError, AttributeError):
            timeout_ms = 30_000
        if rec.status not in TERMINAL:
            await asyncio.sleep(max(0.0, min(timeout_ms / 1000, wait_cap)))
        body = out({"invocation": rec.full, "timedOutWaiting": rec.status not in TERMINAL}, request)
        inv = body.get("invocation") if isinstance(body, dict) else None
        if isinstance(inv, dict) and inv.get("status") in TERMINAL | LIVE:
            body["timedOutWaiting"] = inv["status"] not in TERMINAL  # a transform flipped it
        await conn.json(body)

    async def kernel_list_invocations(request: Request, conn: Conn) -> None:
        rows = list(reversed(data.kernel.values()))  # newest first
        try:
            limit = int(request.param("limit") or 20)
            offset = int(request.param("offset") or 0)
        except ValueError:
            await conn.json(
                kernel_error_body("bad_request", "limit and offset must be integers"), 400
            )
            return
        chunk = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        headers = [
            ("X-Has-More", "true" if more else "false"),
            ("X-Next-Offset", str(offset + limit if more else 0)),
        ]
        await conn.json(out(chunk, request), headers=headers)

    def kernel_plan(request: Request) -> str | None:
        ident = find(request.path_params["invocation_id"], request)
        return ident if ident in data.kernel else None

    async def kernel_get(request: Request, conn: Conn) -> None:
        ident = kernel_plan(request)
        if ident is None:
            await conn.json(kernel_error_body("not_found", "invocation not found"), 404)
            return
        await conn.json(out(data.kernel[ident], request))

    async def kernel_events(request: Request, conn: Conn) -> None:
        ident = kernel_plan(request)
        if ident is None:
            await conn.json(kernel_error_body("not_found", "invocation not found"), 404)
            return
        inv = data.kernel[ident]
        since = request.param("since") or ""
        await conn.start_chunked(content_type="text/event-stream", Cache_Control="no-cache")
        stamp = inv.get("started_at") if isinstance(inv.get("started_at"), str) else _ns_stamp(0)
        await conn.chunk(
            sse(out({"event": "invocation_state", "timestamp": stamp, "invocation": inv}, request))
        )
        for at, message in data.kernel_logs.get(ident, []):
            if at >= since:  # same-format UTC stamps order as strings
                await conn.chunk(
                    sse(out({"event": "log", "timestamp": at, "message": message}, request))
                )
        if inv.get("status") not in KERNEL_TERMINAL:
            # Live: heartbeats until the client goes away (or the server stops).
            for n in itertools.count(1):
                await asyncio.sleep(heartbeat)
                beat = {
                    "event": "sse_heartbeat",
                    "timestamp": _ns_stamp(round(n * heartbeat * 1e9)),
                }
                await conn.chunk(sse(beat))
        await conn.chunk(
            sse(out({"event": "invocation_state", "timestamp": stamp, "invocation": inv}, request))
        )
        await conn.end_chunks()

    gone = not_found()
    return {
        ("GET", "/v1/runs"): list_runs if runs_list else gone,
        ("GET", "/v1/runs/{run_id}"): get_run if run_get else gone,
        ("GET", "/v1/runs/{run_id}/invocations"): list_invocations,
        ("GET", "/v2/invocations/{invocation_id}"): get_v2,
        ("POST", "/v1/invocations/{invocation_id}/wait"): wait,
        ("GET", "/invocations"): kernel_list_invocations if kernel_list else gone,
        ("GET", "/invocations/{invocation_id}"): kernel_get,
        ("GET", "/invocations/{invocation_id}/events"): kernel_events,
    }


# -- 5. endless paging ----------------------------------------------------------------------


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` distinct plausible InvocationSummary rows, numbered from ``start``."""
    return [
        invocation_record(uid(0xE, n), RUN_ID, n + 1, "succeeded", "act").summary
        for n in range(start, start + count)
    ]


def same_cursor_forever(rows: int = 50, cursor: str = "c_again") -> Handler:
    """Every page has the same rows and ``nextCursor`` ``cursor``: paging never ends."""
    body = dump({"data": _rows(0, rows), "nextCursor": cursor})
    return respond(200, body)


def endless_cursors(rows: int = 200) -> Handler:
    """Page n (cursor ``p<n>``) has ``rows`` new rows and points at page n+1, forever."""

    async def handler(request: Request, conn: Conn) -> None:
        cursor = request.param("cursor") or "p0"
        n = int(cursor[1:]) if cursor[1:].isdigit() else 0
        await conn.json({"data": _rows(n * rows, rows), "nextCursor": f"p{n + 1}"})

    return handler


def kernel_more_forever(rows: int = 100) -> Handler:
    """Kernel's list with ``X-Has-More: true`` and a growing ``X-Next-Offset``, forever."""

    async def handler(request: Request, conn: Conn) -> None:
        offset = int(request.param("offset") or 0)
        body = [
            kernel_invocation(f"inv_more{offset + i:012d}", "succeeded", i) for i in range(rows)
        ]
        headers = [("X-Has-More", "true"), ("X-Next-Offset", str(offset + rows))]
        await conn.json(body, headers=headers)

    return handler


# -- 6. a status that flips -----------------------------------------------------------------


class FlippingStatus:
    """Each request touching an invocation flips its status: running, failed, running, ..."""

    def __init__(self, data: Dataset | None = None) -> None:
        self.data = data or plausible_dataset()
        self.seen: dict[str, int] = {}
        """How many times each invocation id has been served."""

    def status_for(self, ident: str) -> str:
        """The status the next mention of ``ident`` gets (and count it)."""
        self.seen[ident] = self.seen.get(ident, 0) + 1
        return "running" if self.seen[ident] % 2 else "failed"

    def _flip(self, body: Any, request: Request) -> Any:
        if isinstance(body, list):
            return [self._flip(item, request) for item in body]
        if not isinstance(body, dict):
            return body
        ident = body.get("id")
        if (
            isinstance(ident, str)
            and "status" in body
            and (ident in self.data.records or ident in self.data.kernel)
        ):
            body["status"] = self.status_for(ident)
        return {k: self._flip(v, request) for k, v in body.items()}

    def routes(self) -> dict[tuple[str, str], Handler]:
        """Every contract path, with flipping statuses."""
        return dataset_routes(self.data, transform=self._flip)


# -- 7. the key echoed back -----------------------------------------------------------------


def _echo(body: Any, key: str, only: frozenset[str] | None, name: str | None = None) -> Any:
    if isinstance(body, list):
        return [_echo(item, key, only, name) for item in body]
    if isinstance(body, dict):
        return {k: _echo(v, key, only, k) for k, v in body.items()}
    if isinstance(body, str) and (only is None or name in only):
        return f"{body} {key}"
    return body


def echo_key(only: Iterable[str] | None = None) -> dict[tuple[str, str], Handler]:
    """Every contract path with the client's bearer key appended to every string value
    (ids, statuses, messages, timestamps ...), or only to fields named in ``only``.

    An id in a path is looked up with the key (as `` <key>``) removed, so a client that
    follows the echoed ids keeps getting answers.
    """
    names = frozenset(only) if only is not None else None

    def transform(body: Any, request: Request) -> Any:
        return _echo(body, request.bearer or "", names)

    def lookup(ident: str, request: Request) -> str:
        return ident.removesuffix(f" {request.bearer}") if request.bearer else ident

    return dataset_routes(plausible_dataset(), transform=transform, lookup=lookup)


def echo_key_error(status: int = 401) -> Handler:
    """An error whose message, hint and request id carry the client's key."""

    async def handler(request: Request, conn: Conn) -> None:
        key = request.bearer or ""
        if _is_kernel(request.path):
            body: dict[str, Any] = kernel_error_body("unauthorized", f"invalid api key {key}")
            body["details"] = [{"code": "invalid_token", "message": f"token {key} was revoked"}]
        else:
            body = error_body(
                "auth.unauthorized",
                f"API key {key} is not valid",
                "unauthorized",
                hint=f"Check that {key} is the key for this space",
                details={"key": key},
            )
            body["requestId"] = f"req_{key}"
        await conn.json(body, status)

    return handler


# -- 8. hostile ids and text ----------------------------------------------------------------

OSC52 = "\x1b]52;c;aGk=\x07"
"""Writes "hi" to the clipboard of a terminal that renders it."""
OSC_TITLE = "\x1b]2;pwned\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b"
ESCAPES = (OSC52, OSC_TITLE, CLEAR, C1_CSI)
HOSTILE_RUN_IDS = ("..", "run/../../v1/runs", "run?status=failed", "run#frag", "." + OSC52)
HOSTILE_INVOCATION_IDS = (
    "..",
    ".",
    "inv/../../../v1/runs",
    "inv?x=1#y",
    "a#b",
    f"inv{OSC_TITLE}",
    f"inv{CLEAR}{C1_CSI}1m",
)
HOSTILE_ACTIONS = (f"act{OSC52}", f"{OSC_TITLE}extract", f"observe{C1_CSI}2J", "../act")
HOSTILE_MESSAGE = f"Step failed {OSC52}{OSC_TITLE}{CLEAR}{C1_CSI}31m red /../?#"
HOSTILE_KERNEL_IDS = ("..", "inv/../x", f"inv_{OSC52}", "inv?q#f")


def hostile_dataset() -> Dataset:
    """Runs and invocations whose ids, actions and messages are hostile."""
    runs = [run_summary(run_id, "active", n) for n, run_id in enumerate(HOSTILE_RUN_IDS)]
    records: dict[str, Record] = {}
    seq = 0
    for run_id in HOSTILE_RUN_IDS:
        for k, inv_id in enumerate(HOSTILE_INVOCATION_IDS):
            seq += 1
            ident = inv_id if run_id == HOSTILE_RUN_IDS[0] else f"{inv_id}~{seq}"
            status = ("failed", "running", "succeeded")[k % 3]
            action = HOSTILE_ACTIONS[k % len(HOSTILE_ACTIONS)]
            records[ident] = invocation_record(ident, run_id, seq, status, action, HOSTILE_MESSAGE)
    kernel: dict[str, dict[str, Any]] = {}
    logs: dict[str, list[tuple[str, str]]] = {}
    for n, ident in enumerate(HOSTILE_KERNEL_IDS):
        inv = kernel_invocation(ident, ("failed", "succeeded")[n % 2], n)
        inv["action_name"] = HOSTILE_ACTIONS[n % len(HOSTILE_ACTIONS)]
        inv["app_name"] = f"app{OSC_TITLE}"
        inv["status_reason"] = HOSTILE_MESSAGE
        kernel[ident] = inv
        logs[ident] = [(_ns_stamp(n * 10**9 + k), f"{HOSTILE_MESSAGE} {k}") for k in range(3)]
    return Dataset(runs, records, kernel, logs)


def hostile_ids() -> dict[tuple[str, str], Handler]:
    """Every contract path serving :func:`hostile_dataset` (look ups decode the path)."""
    return dataset_routes(hostile_dataset())


# -- 9. odd-but-valid (and off-contract) values ---------------------------------------------

ODD_IDS = {
    name: uid(0xF, n)
    for n, name in enumerate(
        (
            "free_text_time",
            "offsets",
            "timed_out_nulls",
            "unknown_enums",
            "missing",
            "wrong_types",
            "extra",
        ),
        start=1,
    )
}
"""The odd dataset's invocation ids (all in RUN_ID), by what is odd about them."""


def odd_dataset() -> Dataset:
    """One invocation per oddity (see ODD_IDS); runs and Kernel invocations likewise."""
    rec = {
        name: invocation_record(ident, RUN_ID, n, "succeeded", "act")
        for n, (name, ident) in enumerate(ODD_IDS.items(), 1)
    }

    def each(r: Record) -> list[dict[str, Any]]:
        return [r.summary, r.v2, r.full]

    # Timestamps are plain strings in the contract: free text is valid.
    for shape in each(rec["free_text_time"]):
        shape["createdAt"] = "laborum in incididunt"
        shape["finishedAt"] = "ullamco"
    for shape in each(rec["offsets"]):
        shape["createdAt"] = "2026-11-20T10:00:00+14:00"
        shape["finishedAt"] = "2026-11-19T20:00:05.5-09:30"
        if "startedAt" in shape:
            shape["startedAt"] = "2026-11-19T20:00:01-09:30"
    timed_out = invocation_record(ODD_IDS["timed_out_nulls"], RUN_ID, 3, "timed_out", "browserUse")
    for shape in each(timed_out):
        shape["durationMs"] = None
        shape["finishedAt"] = None
    rec["timed_out_nulls"] = timed_out
    unknown = invocation_record(ODD_IDS["unknown_enums"], RUN_ID, 4, "failed", "act")
    for shape in each(unknown):
        shape["status"] = "paused_for_review"
    unknown.summary["action"] = unknown.v2["type"] = "summarize"
    unknown.v2["runtimeType"] = unknown.full["runtimeKind"] = "quantum"
    unknown.full["executionMode"] = "eventual"
    failed = unknown.full["result"]["steps"][2]
    failed["error"]["code"] = "QUANTUM_DECOHERENCE"
    failed["error"]["diagnostic"]["category"] = "cosmic"
    unknown.full["result"]["steps"][0]["binding"] = {"alias": "@w", "id": "w1", "type": "wormhole"}
    rec["unknown_enums"] = unknown
    missing = rec["missing"]
    for optional in ("durationMs", "finishedAt", "error"):
        missing.summary.pop(optional)
    for optional in (
        "startedAt",
        "finishedAt",
        "durationMs",
        "error",
        "metadata",
        "progress",
        "result",
    ):
        missing.v2.pop(optional, None)
    for optional in (
        "startedAt",
        "finishedAt",
        "durationMs",
        "cancelRequestedAt",
        "lastHeartbeatAt",
        "connector",
        "correlationId",
        "error",
        "metadata",
        "progress",
        "request",
        "result",
    ):
        missing.full.pop(optional, None)
    wrong = invocation_record(ODD_IDS["wrong_types"], RUN_ID, 6, "failed", "act")
    for shape in each(wrong):
        shape["durationMs"] = "4000"
        shape["finishedAt"] = 1_790_000_000
        shape["error"] = {"message": "Step 3 failed", "code": 42, "details": "not an object"}
    for shape in (wrong.v2, wrong.full):
        shape["startedAt"] = 17
        shape["metadata"] = "not an object"
        shape["progress"] = {"message": 7, "step": "2", "totalSteps": None}
    wrong.full["lastHeartbeatAt"] = True
    wrong.full["correlationId"] = 12345
    wrong_step = wrong.full["result"]["steps"][2]["error"]
    wrong_step["hint"] = 42
    wrong_step["diagnostic"]["closest"] = "not a list"
    wrong_step["diagnostic"]["docsUrl"] = 404
    rec["wrong_types"] = wrong
    extra = rec["extra"]
    for shape in [
        *each(extra),
        extra.full["result"],
        *extra.full["result"]["steps"],
        extra.full["progress"],
    ]:
        shape["futureField"] = {"nested": [1, "two", None], "version": 3}
        shape["x-vendor"] = "beta"
    runs = [
        run_summary(RUN_ID, "active") | {"createdAt": "laborum in incididunt", "labels": ["extra"]},
        {"id": uid(0xA, 2), "status": "archived", "createdAt": "2026-11-20T10:00:00+14:00"},
        run_summary(uid(0xA, 3), "stopped") | {"durationSeconds": "49.5", "finishedAt": None},
    ]
    kernel = {
        "inv_odd_offset": kernel_invocation("inv_odd_offset", "succeeded")
        | {"started_at": "2026-11-20T10:00:00.123456789+14:00"},
        "inv_odd_null_finish": kernel_invocation("inv_odd_null_finish", "failed")
        | {"finished_at": None},
        "inv_odd_status": kernel_invocation("inv_odd_status", "cancelled")
        | {"status_reason": None},
        "inv_odd_types": kernel_invocation("inv_odd_types", "succeeded")
        | {"payload": 42, "output": "not json {", "finished_at": 5},
        "inv_odd_extra": kernel_invocation("inv_odd_extra", "running")
        | {"region": "eu-west", "retries": [1, 2]},
    }
    kernel["inv_odd_missing"] = {
        k: v
        for k, v in kernel_invocation("inv_odd_missing").items()
        if k in ("id", "app_name", "version", "action_name", "started_at", "status")
    }
    logs = {ident: [(_ns_stamp(k * 1000), f"line {k}") for k in range(3)] for ident in kernel}
    return Dataset(runs, {r.summary["id"]: r for r in rec.values()}, kernel, logs)


def odd_data() -> dict[tuple[str, str], Handler]:
    """Every contract path serving :func:`odd_dataset`."""
    return dataset_routes(odd_dataset())


# -- 10. only the contract's endpoints ------------------------------------------------------


def contract_only() -> dict[tuple[str, str], Handler]:
    """bctrl without ``GET /v1/runs`` and ``GET /v1/runs/{id}`` (404 ``route.not_found``);
    the contract's endpoints serve :func:`plausible_dataset` (pin RUN_ID to see it)."""
    return dataset_routes(plausible_dataset(), runs_list=False, run_get=False)


def kernel_without_list() -> dict[tuple[str, str], Handler]:
    """Kernel without ``GET /invocations`` (404); KERNEL_IDS and their events work."""
    return dataset_routes(plausible_dataset(), kernel_list=False)


# -- 11. HTML and a huge body ---------------------------------------------------------------

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


def html_error(status: int = 502) -> Handler:
    """An nginx-style HTML error page."""
    return respond(status, HTML_PAGE, "text/html")


def html_ok(content_type: str = "text/html; charset=utf-8") -> Handler:
    """A 200 whose body is an HTML page (a captive portal, a login wall)."""
    page = b"<!DOCTYPE html><html><body><h1>Sign in to continue</h1><form></form></body></html>"
    return respond(200, page, content_type)


def _huge_parts(size: int, kernel: bool) -> tuple[bytes, Callable[[int], bytes], bytes, int]:
    """(prefix, row(i), suffix, row count) of a JSON list body of at most ``size`` bytes.

    Rows differ only in a fixed-width id, so every row has the same length and the body's
    length is known before it is written.
    """
    mark = "@@ID@@"
    if kernel:
        template = dump(kernel_invocation(mark, "succeeded"))
        prefix, suffix = b"[", b"]"

        def ident(i: int) -> bytes:
            return f"inv_huge{i:012d}".encode()
    else:
        template = dump(invocation_record(mark, RUN_ID, 1, "succeeded").summary)
        prefix, suffix = b'{"data":[', b'],"nextCursor":null}'

        def ident(i: int) -> bytes:
            return uid(0x1, i).encode()

    before, after = template.split(mark.encode())

    def row(i: int) -> bytes:
        return before + ident(i) + after

    width = len(row(0))
    rows = max(1, (size - len(prefix) - len(suffix) + 1) // (width + 1))
    return prefix, row, suffix, rows


def huge_json(size: int = 50 * 1000 * 1000, kernel: bool = False) -> Handler:
    """A finite, valid JSON list of ``size`` bytes (at most): a bctrl page of summaries, or
    (``kernel=True``) a Kernel array; streamed with Content-Length, never held whole."""
    prefix, row, suffix, rows = _huge_parts(size, kernel)
    width = len(row(0))
    length = len(prefix) + rows * width + (rows - 1) + len(suffix)

    async def body() -> AsyncIterator[bytes]:
        yield prefix
        batch = 2000  # rows per write: ~0.5 MB
        for start in range(0, rows, batch):
            chunk = b",".join(row(i) for i in range(start, min(rows, start + batch)))
            yield chunk if start == 0 else b"," + chunk
        yield suffix

    headers = [("Content-Type", "application/json"), ("Content-Length", str(length))]
    if kernel:
        headers += [("X-Has-More", "false"), ("X-Next-Offset", "0")]

    async def handler(request: Request, conn: Conn) -> None:
        await conn.head(200, headers)
        async for part in body():
            await conn.write(part)

    return handler
