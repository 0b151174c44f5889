"""The flight recorder and offline replay.

:class:`Recorder` writes every answer the app receives (method, path and query with secret
values masked, status, the headers that matter, the body, each stream frame with its arrival
time, and transport failures) to a zstandard-compressed JSON-lines file. Request headers are
never written, and the API key is masked wherever it appears (every form :func:`mask` knows,
plus base64). The first line is a header: provider, base URL (no credentials), runwatch
version, start time. Several recorders can record at once (``--record``'s, each ``w``'s):
the client begins every request in each of them (:class:`Exchanges`).

:func:`open_replay` builds the recorded provider's own source over a :class:`ReplayTransport`
that answers each request from the recording (by method, path and query, in recorded order)
at the recorded moment scaled by a speed factor, under :class:`ReplayControls` (pause, step,
jump to the end). No key, no network. Recorded faults replay as the same status or the same
transport error; a request never recorded gets a 404.

The app still waits in real seconds (its poll interval, its backoff), so the replay keeps it
in step with the recording's clock: an answer the replay has moved past is skipped for the
latest one it has reached, a ``Retry-After`` is given in the replay's seconds, and
:meth:`ReplayControls.poll_interval` is the recorded app's interval at the replay's speed.

File format (one JSON object a line; ``t`` is seconds since the start, monotonic; ``wall``
is the recorder's wall clock; ``id`` ties lines of one exchange)::

    {"kind": "header", "format": "runwatch-recording", "format_version": 1, "provider": ...,
     "base_url": ..., "runwatch": ..., "started_at": ..., "started_at_iso": ...,
     "focus"?: the group kept with w, "made_by"?: "watch" for runwatch watch --record}
    {"kind": "response", "id", "t0", "t", "wall", "method", "target", "status", "headers",
     "body" | "body_b64"}
    {"kind": "fault", "id", "t0", "t", "wall", "method", "target", "error", "message",
     "status"?, "headers"?, "path"?}
    {"kind": "stream", "id", "t0", "t", "wall", "method", "target", "status", "headers"}
    {"kind": "frame", "id", "t", "wall", "data" | "data_b64"}
    {"kind": "end", "id", "t", "wall", "error"?, "message"?}
    {"kind": "pending", "id", "t0", "method", "target"}   (still unanswered at the end)
    {"kind": "close", "t", "wall"}
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import functools
import itertools
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import orjson
import zstandard

from tui.core import errors as core_errors
from tui.core.text import MASK, MIN_SECRET, add_secret, mask, mask_bytes
from tui.providers.http import parse_retry_after

if TYPE_CHECKING:
    from tui.core.source import Source

FORMAT = "runwatch-recording"
FORMAT_VERSION = 1
MAX_FRAME = 1024 * 1024
"""Bytes a stream frame may hold unterminated before it is written anyway."""
SECRET_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "token",
        "access_token",
        "auth",
        "authorization",
        "password",
        "secret",
        "signature",
        "sig",
        "client_secret",
        "refresh_token",
        "id_token",
        "session",
        "x-api-key",
    }
)
"""Query parameters whose values are masked in a recording (and in replay's matching)."""
KEPT_HEADERS = (
    "content-type",
    "retry-after",
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-trace-id",
)
KEPT_PREFIXES = ("x-ratelimit-", "ratelimit-")
ANSWERS = frozenset({"response", "fault"})
"""Recorded kinds that are one whole answer (not a stream, not a request left pending)."""
DEFAULT_INTERVAL = 2.0
ROUND_GAP = 0.5
"""Answers recorded less than this apart (and less than half the interval) are one moment:
one poll round's answers, which ``.`` steps over together."""
SHORTEST_POLL = 0.5
"""The viewer polls no more often (its ``+``): one target asked again sooner was read again
within a round (a retry, a stream's reconnect, a ``w``'s reads), not polled (a current API
``w`` recording said ``every 0.1s``)."""
MIN_POLL = 0.2
"""Real seconds a replayed viewer waits between polls at the least (at a high speed)."""


class ReplayError(Exception):
    """A recording that cannot be replayed (missing, unreadable, not a recording)."""


def runwatch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("runwatch")
    except PackageNotFoundError:
        return "unknown"


def masked_target(raw_path: str) -> str:
    """A request's path and query as recorded and matched: values of secret-named query
    parameters and any registered secret replaced by the mask."""
    path, sep, query = raw_path.partition("?")
    if sep:
        parts = []
        for item in query.split("&"):
            name, eq, _ = item.partition("=")
            if eq and unquote(name.replace("+", " ")).strip().lower() in SECRET_PARAMS:
                item = f"{name}={MASK}"
            parts.append(item)
        path = f"{path}?{'&'.join(parts)}"
    return mask(path)


def public_base_url(base_url: str) -> str:
    """``base_url`` without user, password, query or fragment."""
    parts = urlsplit(base_url.strip())
    host = parts.netloc.rpartition("@")[2]
    return mask(urlunsplit((parts.scheme, host, parts.path, "", "")))


def _base64_forms(secret: str) -> list[str]:
    """The parts of ``secret``'s base64 (standard and URL-safe) that do not depend on
    what surrounds it, at each of the three alignments."""
    data = secret.encode()
    forms: set[str] = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + data).decode()
        start = math.ceil(pad * 8 / 6)
        end = (pad + len(data)) * 8 // 6
        core = encoded[start:end]
        if len(core) >= MIN_SECRET:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    return sorted(forms, key=len, reverse=True)


# -- recording ---------------------------------------------------------------------------


class Recorder:
    """Writes a recording to ``path``. Thread-safe; a write that fails (a full disk) stops
    the recording, never the app (:attr:`error` says why). Close it when done."""

    def __init__(
        self,
        path: str | Path,
        *,
        provider: str,
        base_url: str,
        key: str | None = None,
        focus: str | None = None,
        made_by: str | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.focus = focus
        """The group the recording is made for (``w``, ``watch RUN``); None for a session's."""
        self.clock = clock
        self.monotonic = monotonic
        self.error: str | None = None
        self._extra: list[str] = []
        if key:
            add_secret(key)
            if len(key) >= MIN_SECRET:
                self._extra = [key, *_base64_forms(key)]
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, tuple[float, str, str]] = {}
        self._start = monotonic()
        self._file: IO[bytes] | None = self.path.open("wb")
        self._writer: Any = zstandard.ZstdCompressor(level=3).stream_writer(
            self._file, closefd=False
        )
        started = clock()
        self._write(
            {
                "kind": "header",
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "provider": provider,
                "base_url": public_base_url(base_url),
                "runwatch": runwatch_version(),
                "started_at": started,
                "started_at_iso": datetime.fromtimestamp(started, UTC).isoformat(),
                **({"focus": focus} if focus else {}),  # the group kept (``w``): replay opens it
                **({"made_by": made_by} if made_by else {}),  # watch: no record beyond its own
            }
        )

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r})"

    def now(self) -> float:
        """Seconds since the recording started."""
        return round(self.monotonic() - self._start, 6)

    def mask_text(self, text: str) -> str:
        text = mask(text)
        for form in self._extra:
            text = text.replace(form, MASK)
        return text

    def payload(self, data: bytes, name: str) -> dict[str, str]:
        """``data`` as ``{name: text}``, or ``{name_b64: ...}`` when it is not UTF-8."""
        try:
            return {name: self.mask_text(data.decode("utf-8"))}
        except UnicodeDecodeError:
            data = mask_bytes(data)
        for form in self._extra:
            data = data.replace(form.encode(), MASK.encode())
        return {f"{name}_b64": base64.b64encode(data).decode()}

    def begin(self, method: str, url: httpx.URL) -> Exchange:
        """A request about to be sent; its :class:`Exchange` records what comes back."""
        target = masked_target(url.raw_path.decode("ascii", "replace"))
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            t0 = self.now()
            self._pending[ident] = (t0, method, target)
        return Exchange(self, ident, method, target, t0)

    def settle(self, ident: int) -> None:
        with self._lock:
            self._pending.pop(ident, None)

    def write(self, entry: dict[str, Any]) -> None:
        """Append one entry (``t`` and ``wall`` added), flushed as a block."""
        entry.setdefault("t", self.now())
        entry.setdefault("wall", self.clock())
        self._write(entry)

    def _write(self, entry: dict[str, Any] | None, flush: int = zstandard.FLUSH_BLOCK) -> None:
        with self._lock:
            if self._file is None:
                return
            try:
                if entry is not None:
                    self._writer.write(orjson.dumps(entry) + b"\n")
                self._writer.flush(flush)
            except (OSError, zstandard.ZstdError) as exc:
                self.error = mask(str(exc))
                self._shut()

    def close(self) -> None:
        """Write what is still unanswered and the end marker, and close the file."""
        with self._lock:
            pending = sorted(self._pending.items())
            self._pending.clear()
        for ident, (t0, method, target) in pending:
            self._write(
                {"kind": "pending", "id": ident, "t0": t0, "method": method, "target": target}
            )
        self.write({"kind": "close"})
        self._write(None, zstandard.FLUSH_FRAME)
        with self._lock:
            self._shut()

    def _shut(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


@dataclass
class Exchange:
    """One request's answer as one recording records it: a response, a fault, or a stream."""

    recorder: Recorder
    id: int
    method: str
    target: str
    t0: float
    done: bool = False
    unframed: bytes = b""
    """A stream's bytes since its last complete line."""

    def _base(self, kind: str, response: httpx.Response | None = None) -> dict[str, Any]:
        self.done = True
        self.recorder.settle(self.id)
        entry = {
            "kind": kind,
            "id": self.id,
            "t0": self.t0,
            "t": self.recorder.now(),
            "wall": self.recorder.clock(),
            "method": self.method,
            "target": self.target,
        }
        if response is not None:
            headers = {
                name: mask(value)
                for name, value in response.headers.items()
                if name in KEPT_HEADERS or name.startswith(KEPT_PREFIXES)
            }
            entry |= {"status": response.status_code, "headers": headers}
        return entry

    def answered(self, response: httpx.Response, body: bytes) -> None:
        """A whole answer (any status) and its decoded body."""
        if self.done:
            return
        entry = self._base("response", response) | self.recorder.payload(body, "body")
        self.recorder.write(entry)

    def failed(self, error: BaseException) -> None:
        """No usable answer: a timeout, a transport failure, or a body that could not be
        read (too large, corrupt)."""
        if self.done:
            return
        entry = self._base("fault") | _describe(error, self.recorder)
        if isinstance(error, core_errors.ApiError):
            entry |= {"status": error.status, "path": self.recorder.mask_text(error.path or "")}
        self.recorder.write(entry)

    def opened(self, response: httpx.Response) -> None:
        """The answer is a stream: its frames follow (:meth:`received`)."""
        self.recorder.write(self._base("stream", response))

    def received(self, chunk: bytes) -> None:
        """A chunk of the stream: each complete line it ends is recorded (masked) as a
        frame, with its arrival time."""
        pending = self.unframed + chunk
        cut = pending.rfind(b"\n") + 1
        if cut == 0 and len(pending) > MAX_FRAME:
            cut = len(pending)
        if cut:
            self._frame(pending[:cut])
            pending = pending[cut:]
        self.unframed = pending

    def closed(self, *, ended: bool, error: BaseException | None = None) -> None:
        """The stream is no longer read: what was left of a line, then its end or how it
        broke (``error``); neither when the app stopped reading (the stream stays open)."""
        if self.unframed:
            self._frame(self.unframed)
            self.unframed = b""
        if ended or error is not None:
            how = _describe(error, self.recorder) if error is not None else {}
            self.recorder.write({"kind": "end", "id": self.id, **how})

    def _frame(self, data: bytes) -> None:
        self.recorder.write({"kind": "frame", "id": self.id, **self.recorder.payload(data, "data")})


@dataclass
class Exchanges:
    """One request as every recording under way records it (``--record``'s and each
    ``w``'s): each has its own ids, clock and masking."""

    each: list[Exchange]

    @classmethod
    def begin(cls, recorders: Sequence[Recorder], method: str, url: httpx.URL) -> Exchanges:
        """A request about to be sent, begun in each of ``recorders``."""
        return cls([recorder.begin(method, url) for recorder in recorders])

    def answered(self, response: httpx.Response, body: bytes) -> None:
        """A whole answer (any status) and its decoded body."""
        for exchange in self.each:
            exchange.answered(response, body)

    def failed(self, error: BaseException) -> None:
        """No usable answer (see :meth:`Exchange.failed`)."""
        for exchange in self.each:
            exchange.failed(error)

    async def stream(
        self, response: httpx.Response, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        """``chunks`` passed on unchanged while every recording records each complete line
        as a frame; the stream's end, or how it broke, too."""
        for exchange in self.each:
            exchange.opened(response)
        ended = False
        error: BaseException | None = None
        try:
            async for chunk in chunks:
                for exchange in self.each:
                    exchange.received(chunk)
                yield chunk
            ended = True
        except (TimeoutError, core_errors.ApiError, httpx.HTTPError) as exc:
            error = exc
            raise
        finally:
            for exchange in self.each:
                exchange.closed(ended=ended, error=error)


def _describe(error: BaseException, recorder: Recorder) -> dict[str, Any]:
    name = f"httpx:{type(error).__name__}" if isinstance(error, httpx.HTTPError) else "timeout"
    message = str(error)
    if isinstance(error, core_errors.ApiError):
        name, message = f"api:{type(error).__name__}", error.message
    return {"error": name, "message": recorder.mask_text(message)}


def recorder_for(
    path: str | Path,
    provider_name: str,
    base_url: str,
    key: str,
    focus: str | None = None,
    made_by: str | None = None,
) -> Recorder:
    """The recorder the command line's ``--record FILE`` makes: pass it to ``make_source``
    as ``recorder=``, and :meth:`Recorder.close` it when the app or ``watch`` ends. ``focus``
    names the group it was made for (``w``), which a replay opens on; ``made_by`` the
    command, when it reads less than the viewer does (``watch``)."""
    return Recorder(
        path, provider=provider_name, base_url=base_url, key=key, focus=focus, made_by=made_by
    )


# -- reading -----------------------------------------------------------------------------


@dataclass
class Recorded:
    """One recorded exchange, as replay answers it."""

    kind: str  # response, fault, stream, pending
    t0: float
    t: float
    entry: dict[str, Any]
    frames: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None


@dataclass
class Recording:
    header: dict[str, Any]
    exchanges: dict[tuple[str, str], list[Recorded]]
    times: list[float]
    walls: list[tuple[float, float]]
    end: float

    @functools.cached_property
    def interval(self) -> float:
        """How often the recorded app asked again for the same thing (its poll interval):
        the median gap between two requests for one target, in recorded seconds to a
        tenth (a fetch's own time aside; gaps under :data:`SHORTEST_POLL` are no polls); 2
        (the viewer's default) when nothing was asked twice."""
        gaps = sorted(
            later.t0 - earlier.t0
            for queue in self.exchanges.values()
            for earlier, later in itertools.pairwise(queue)
            if earlier.kind in ANSWERS
            and later.kind in ANSWERS
            and later.t0 - earlier.t0 >= SHORTEST_POLL
        )
        return round(gaps[len(gaps) // 2], 1) if gaps else DEFAULT_INTERVAL

    @functools.cached_property
    def moments(self) -> list[float]:
        """When each recorded moment ended: the times of answers (and stream frames), those
        within :data:`ROUND_GAP` of the one before taken together (a live viewer's poll
        round is a burst of answers: stepping one answer at a time barely moved)."""
        gap = min(ROUND_GAP, self.interval / 2)
        times = self.times
        return [t for t, later in itertools.pairwise([*times, math.inf]) if later - t >= gap]

    @property
    def provider(self) -> str:
        return str(self.header.get("provider", ""))

    @property
    def base_url(self) -> str:
        return str(self.header.get("base_url", ""))

    @property
    def focus(self) -> str | None:
        """The group the recording was kept for (``w``); None for a whole session's."""
        focus = self.header.get("focus")
        return focus if isinstance(focus, str) and focus else None


def _lines(path: Path) -> Iterator[bytes]:
    """Decompressed lines; a file cut short (a crash mid-write) yields what was whole."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ReplayError(f"cannot open {path}: {exc.strerror or exc}") from None
    with raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        buffer = b""
        seen = False
        while True:
            try:
                chunk = reader.read(1 << 20)
            except zstandard.ZstdError as exc:
                if not seen:
                    raise ReplayError(f"{path} is not a runwatch recording ({exc})") from None
                break
            if not chunk:
                break
            seen = True
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            yield from lines
        if buffer:
            yield buffer


def load_recording(path: str | Path) -> Recording:
    """Read a recording; :class:`ReplayError` when it is not one."""
    path = Path(path)
    header: dict[str, Any] | None = None
    by_id: dict[int, Recorded] = {}
    exchanges: dict[tuple[str, str], list[Recorded]] = {}
    walls: list[tuple[float, float]] = []
    end = 0.0
    for line in _lines(path):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line cut short, or empty
        if not isinstance(entry, dict):
            continue
        kind = entry.get("kind")
        if header is None:
            if kind != "header" or entry.get("format") != FORMAT:
                raise ReplayError(f"{path} is not a runwatch recording")
            header = entry
            walls.append((0.0, float(entry.get("started_at", 0.0))))
            continue
        t = float(entry.get("t", 0.0))
        end = max(end, t)
        if "wall" in entry:
            walls.append((t, float(entry["wall"])))
        ident = int(entry.get("id", 0))
        if kind in ("response", "fault", "stream", "pending"):
            recorded = Recorded(kind, float(entry.get("t0", t)), t, entry)
            by_id[ident] = recorded
            key = (str(entry.get("method")), str(entry.get("target")))
            exchanges.setdefault(key, []).append(recorded)
        elif kind == "frame" and ident in by_id:
            by_id[ident].frames.append(entry)
        elif kind == "end" and ident in by_id:
            by_id[ident].end = entry
    if header is None:
        raise ReplayError(f"{path} is empty")
    for queue in exchanges.values():
        queue.sort(key=lambda r: r.t0)  # matched in the order the requests were sent
    times = sorted(
        {r.t for queue in exchanges.values() for r in queue}
        | {float(f["t"]) for r in by_id.values() for f in r.frames}
    )
    walls.sort()
    return Recording(header, exchanges, times, walls, end)


# -- replay ------------------------------------------------------------------------------


class ReplayControls:
    """The replay's clock: where in the recording it is (``position``, seconds since the
    recording started), what wall time that was (:meth:`now`, the source's and the app's
    clock), and the controls (pause, step, jump to the end, speed).

    The clock stops at the recording's end (:attr:`finished`): nothing was recorded after
    it, so every duration and age on screen stays as it was when the recording stopped."""

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        *,
        paused: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.recording = recording
        self.speed = speed
        self.paused = paused
        self._monotonic = monotonic
        self._base_pos = 0.0
        self._base_mono = monotonic()
        self._changed: asyncio.Event | None = None

    def position(self) -> float:
        """Seconds since the recording started, never past its end. Playing at max speed
        (inf) it is the end: no time passes between two recorded moments, so the replay is
        at its last one at once (as ``>`` puts it), whatever the app has asked for yet."""
        if self.paused:
            return min(self._base_pos, self.recording.end)
        if math.isinf(self.speed):
            return self.recording.end
        played = (self._monotonic() - self._base_mono) * self.speed
        return min(self._base_pos + played, self.recording.end)

    def now(self) -> float:
        """The wall time the recording had at :meth:`position`."""
        pos = self.position()
        walls = self.recording.walls
        i = bisect.bisect_right(walls, (pos, math.inf)) - 1
        t, wall = walls[max(i, 0)]
        return wall + (pos - t)

    @property
    def finished(self) -> bool:
        """Whether the replay has reached the recording's end (its clock stopped there)."""
        return self.position() >= self.recording.end

    def _seek(self, position: float) -> None:
        self._base_pos = position
        self._base_mono = self._monotonic()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def pause(self, paused: bool = True) -> None:
        self._seek(self.position())
        self.paused = paused
        self._notify()

    def resume(self) -> None:
        self.pause(False)

    def toggle_pause(self) -> bool:
        """Pause or resume; whether it is now paused."""
        self.pause(not self.paused)
        return self.paused

    def step(self) -> float:
        """Move to the next recorded moment (releasing what arrived then), the recording's
        end after the last one; the position."""
        moments = self.recording.moments
        i = bisect.bisect_right(moments, self.position())
        self._seek(moments[i] if i < len(moments) else self.recording.end)
        self._notify()
        return self.position()

    def jump_to_end(self) -> None:
        """Release everything recorded at once."""
        self._seek(max(self.position(), self.recording.end))
        self._notify()

    def real_seconds(self, recorded: float) -> float:
        """How long ``recorded`` seconds of the recording last at this speed."""
        return recorded / self.speed if math.isfinite(self.speed) else 0.0

    @property
    def interval(self) -> float:
        """The recorded app's poll interval, in recorded seconds (what the status bar says)."""
        return self.recording.interval

    def poll_interval(self) -> float:
        """Real seconds a replayed viewer should wait between polls: the recording's own
        interval at this speed (never below :data:`MIN_POLL`), so that at ``--speed 10`` it
        asks ten times as often and keeps up with the recording's clock."""
        return max(MIN_POLL, round(self.real_seconds(self.recording.interval), 2))

    def describe(self) -> str:
        state = "ended" if self.finished else "paused" if self.paused else "playing"
        speed = "max" if math.isinf(self.speed) else f"{self.speed:g}x"
        return f"replay {state} at {speed}: {self.position():.1f}s of {self.recording.end:.1f}s"

    async def until(self, t: float) -> None:
        """Wait until the replay reaches ``t`` (seconds since the recording started; the
        recording's end at the latest)."""
        t = min(t, self.recording.end)
        while (position := self.position()) < t:
            if self._changed is None:
                self._changed = asyncio.Event()
            changed = self._changed
            timeout = None if self.paused else (t - position) / self.speed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of recorded time (a retry's backoff), scaled by the speed."""
        await asyncio.sleep(max(0.0, self.real_seconds(seconds)))


class _Body(httpx.AsyncByteStream):
    """A replayed body, read as ``chunks`` (an async generator) gives it."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks


async def _frames(
    recorded: Recorded | None, controls: ReplayControls, request: httpx.Request
) -> AsyncIterator[bytes]:
    """A recorded stream's body: each frame at its moment, then its end (or its break). Past
    the recording (None) or still open when it stopped, the stream stays open, silent."""
    frames, end = (recorded.frames, recorded.end) if recorded is not None else ([], None)
    for frame in frames:
        await controls.until(float(frame.get("t", 0.0)))
        yield _payload(frame, "data")
    if end is None:
        await asyncio.Event().wait()
        return
    await controls.until(float(end.get("t", 0.0)))
    if end.get("error"):
        raise _error(end, request)


async def _raising(error: BaseException) -> AsyncIterator[bytes]:
    raise error
    yield b""  # pragma: no cover  (an async generator)


def _payload(entry: dict[str, Any], name: str) -> bytes:
    if f"{name}_b64" in entry:
        return base64.b64decode(str(entry[f"{name}_b64"]))
    return str(entry.get(name, "")).encode()


def _error(entry: dict[str, Any], request: httpx.Request) -> BaseException:
    """The exception a recorded failure is replayed as."""
    name = str(entry.get("error", ""))
    message = str(entry.get("message", ""))
    family, _, cls_name = name.partition(":")
    if family == "httpx":
        cls = getattr(httpx, cls_name, None)
        if isinstance(cls, type) and issubclass(cls, httpx.RequestError):
            return cls(message, request=request)
        return httpx.ReadError(message, request=request)
    if family == "api":
        api = getattr(core_errors, cls_name, None)
        if not (isinstance(api, type) and issubclass(api, core_errors.ApiError)):
            api = core_errors.MalformedResponse
        status = entry.get("status")
        return api(
            message,
            status=status if isinstance(status, int) else None,
            method=request.method,
            path=str(entry.get("path") or request.url.path),
        )
    return TimeoutError(message)


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers every request from a recording; nothing goes to the network."""

    def __init__(self, recording: Recording, controls: ReplayControls) -> None:
        self.recording = recording
        self.controls = controls
        self._next: dict[tuple[str, str], int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = masked_target(request.url.raw_path.decode("ascii", "replace"))
        key = (request.method, target)
        queue = self.recording.exchanges.get(key)
        if not queue:
            message = f"not in the recording: {request.method} {target}"
            if self.recording.header.get("made_by") == "watch":  # it never reads a detail
                message += " (runwatch watch records the rows, and why each failed, only)"
            body = {"error": message, "message": message, "code": core_errors.NOT_RECORDED}
            return httpx.Response(
                404,
                headers={"content-type": "application/json"},
                stream=httpx.ByteStream(orjson.dumps(body)),
                request=request,
            )
        index = self._caught_up(queue, self._next.get(key, 0))
        self._next[key] = index + 1
        if index < len(queue):
            recorded = queue[index]
            if recorded.kind != "pending":
                await self.controls.until(recorded.t)
                later = self._caught_up(queue, index)  # the replay jumped while it waited
                self._next[key] = max(self._next[key], later + 1)
                recorded = queue[later]
            return self._answer(recorded, request, again=False)
        # Past what was recorded for this request: the last answer again (a stream with
        # nothing new), never faster than one a tick so a follow loop cannot spin.
        await asyncio.sleep(0.01)
        return self._answer(queue[-1], request, again=True)

    def _caught_up(self, queue: list[Recorded], index: int) -> int:
        """The answer to give from ``index`` on: the latest one the replay has reached.

        An app that asks less often than the recorded one did (it polls in real seconds,
        the recording plays faster; or the replay jumped ahead) gets the answer of the
        moment the replay is at, not the next of those it missed, so what it shows keeps up
        with the replay's clock. Whole answers only: a stream is never skipped."""
        position = self.controls.position()
        while (
            index + 1 < len(queue)
            and queue[index].kind in ANSWERS
            and queue[index + 1].kind in ANSWERS
            and queue[index + 1].t <= position
        ):
            index += 1
        return index

    def _paced(self, headers: dict[str, str], entry: dict[str, Any]) -> dict[str, str]:
        """``headers`` with a recorded ``Retry-After`` in the replay's seconds (a tenth at
        ``--speed 10``, none at max speed): the app waits it out in real time. An HTTP date
        counts from when the answer was recorded."""
        value = headers.get("retry-after")
        wall = float(entry.get("wall", 0))
        seconds = (
            parse_retry_after(value, now=wall, cap=math.inf) if isinstance(value, str) else None
        )
        if seconds is None:
            return headers  # read by the app as it was live
        return {**headers, "retry-after": f"{self.controls.real_seconds(seconds):.3f}"}

    def _answer(self, recorded: Recorded, request: httpx.Request, *, again: bool) -> httpx.Response:
        entry = recorded.entry
        stream: httpx.AsyncByteStream
        if recorded.kind == "pending":
            return httpx.Response(200, stream=_Body(_frames(None, self.controls, request)))
        if recorded.kind == "response":
            stream = httpx.ByteStream(_payload(entry, "body"))
        elif recorded.kind == "stream":
            stream = _Body(_frames(None if again else recorded, self.controls, request))
        elif isinstance(error := _error(entry, request), core_errors.ApiError):
            stream = _Body(_raising(error))
        else:
            raise error
        headers = self._paced(dict(entry.get("headers") or {}), entry)
        status = int(entry.get("status") or 200)
        return httpx.Response(status, headers=headers, stream=stream, request=request)


def replayable(path: str | Path) -> Recording:
    """The recording at ``path`` if it can be replayed; :class:`ReplayError` saying why not."""
    from tui.providers import PROVIDERS

    recording = load_recording(path)
    if recording.provider not in PROVIDERS:
        raise ReplayError(f"{path} was recorded from an unknown provider {recording.provider!r}")
    return recording


def open_replay(
    path: str | Path,
    speed: float = 1.0,
    *,
    paused: bool = False,
    monotonic: Callable[[], float] = time.monotonic,
    **client_options: Any,
) -> tuple[Source, str, ReplayControls]:
    """The recorded provider's source over ``path``, offline: ``(source, the import path of
    its detail body, the controls)``. Give the app ``clock=controls.now``."""
    from tui.providers import PROVIDERS

    recording = replayable(path)
    provider = PROVIDERS[recording.provider]
    controls = ReplayControls(recording, speed, paused=paused, monotonic=monotonic)
    client_options.setdefault("sleep", controls.sleep)
    source = provider.make_source(
        "",
        recording.base_url or provider.default_url,
        clock=controls.now,
        transport=ReplayTransport(recording, controls),
        **client_options,
    )
    return source, provider.detail_body, controls
