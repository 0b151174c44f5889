"""A run's event stream (``GET /v1/runs/{id}/stream``), kept open while the run is live.

Frames update the run's spans and events and say which tool calls changed; whoever reads
the run (the table's pager, a followed call) is woken. A dropped connection is resumed with
``Last-Event-ID`` from the last frame read, and a frame seen before is never applied twice.
The stream ends on ``run.ended``, not when the connection closes (an ended run's stream stays
open for late events). A server without the endpoint makes it :attr:`RunStream.absent`, and
its readers poll instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from tui.core import fields as f
from tui.core.errors import ApiError, BadRequest, NotFound
from tui.providers.current.client import CurrentClient
from tui.providers.current.models import Event, Span, event, span
from tui.providers.http import SseEvent

RETRY_FIRST, RETRY_MOST = 0.5, 15.0
MAX_FRAMES = 100_000
"""Frame ids remembered (to drop repeats): a longer stream forgets the oldest."""


class RunStream:
    """One run's stream, read by a task of its own until the run ends or it is closed."""

    def __init__(self, client: CurrentClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id
        self.spans: dict[str, Span] = {}
        self.events: dict[str, Event] = {}
        self.frame_ids: list[str] = []
        """Every frame applied, in order (once each)."""
        self.last_id: str | None = None
        self.connected = False
        self.ended = False
        self.absent = False
        self.connections = 0
        self._seen: set[str] = set()
        self._touched: set[str] = set()
        self._grew = False
        self.version = 0
        """Bumped by every change a reader may want (see :meth:`changed`)."""
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- what readers use ------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """Whether the stream is what keeps the run current (else its readers poll)."""
        return self.connected and not self.absent

    def start(self) -> None:
        if self._task is None and not self.ended:
            self._task = asyncio.get_running_loop().create_task(self._read())

    def take_touched(self) -> tuple[set[str], bool]:
        """The tool calls changed since the last look, and whether calls may have appeared
        (or the run ended): then the list is read again."""
        touched, grew = self._touched, self._grew
        self._touched, self._grew = set(), False
        return touched, grew

    async def changed(self, since: int, timeout: float) -> bool:
        """Wait until the stream brings anything after ``since`` (a :attr:`version`)."""
        if self.version > since:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        return self.version > since

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        delay = RETRY_FIRST
        while not self.ended:
            try:
                self.connections += 1
                async for frame in self.client.stream(self.run_id, self.last_id):
                    if frame.event == "comment":
                        if not self.connected:
                            self.connected = True
                            self._notify()
                        continue
                    self.connected = True
                    delay = RETRY_FIRST
                    self.apply(frame)
                    if self.ended:
                        return
            except NotFound:
                self.absent = True
            except BadRequest:  # the server refuses to resume there: start over
                self.last_id = None
            except ApiError:
                pass  # a drop, a refusal, a silence: readers poll until it is back
            # The connection ended or broke before run.ended: readers poll until it is back
            # (for good when the server has no stream).
            self.connected = False
            self._notify()
            if self.absent:
                return
            await asyncio.sleep(delay)
            delay = min(RETRY_MOST, delay * 2)

    def apply(self, frame: SseEvent) -> None:
        """One frame: applied once, whatever the server repeats."""
        if frame.id is not None:
            if frame.id in self._seen:
                return
            self._seen.add(frame.id)
            self.frame_ids.append(frame.id)
            if len(self.frame_ids) > MAX_FRAMES:
                self._seen.discard(self.frame_ids.pop(0))
            self.last_id = frame.id
        try:
            data: Any = json.loads(frame.data) if frame.data else {}
        except (ValueError, RecursionError):
            return  # an unreadable frame costs itself
        body = f.obj(data)
        kind = f.text(body, "type") or frame.event
        if kind.startswith("span."):
            found = span(body.get("span"))
            if found is not None:
                self.spans[found.id] = found
                if found.resource:
                    if kind == "span.started":
                        self._grew = True
                    self._touched.add(found.resource)
                elif found.kind == "tool":
                    self._grew = True
        elif kind == "runtime.event":
            item = event(body.get("event"))
            if item is not None:
                self.events[item.id] = item
                target = f.obj(f.obj(body.get("event")).get("target"))
                if f.text(target, "kind") == "tool_call" and f.text(target, "id"):
                    self._touched.add(f.text(target, "id") or "")
        elif kind == "run.ended":
            self.ended = True
            self._grew = True
        else:
            return
        self._notify()

    def _notify(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()
