"""One poll loop, one backoff and one freshness state, for the viewer and ``watch`` alike.

Each resource (the group list, the table, the detail) is fetched by its own loop, never
overlapping: the next fetch is armed when the last one finished. A failing resource backs
off exponentially with jitter, honouring the server's Retry-After. Any exception a fetch
raises, expected or not, becomes that resource's fault state, and the loop goes on: a bug in
one response can cost a poll, never the polling. An answer that asking again cannot change
(a rejected key, a refusal, "no such thing") stops the loop until ``r`` wakes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tui.core.errors import ApiError, Forbidden, NotFound, RateLimited, Unauthorized, Unexpected
from tui.core.text import clean
from tui.core.timefmt import clock_time, duration

Fetch = Callable[[], Awaitable[None]]
MAX_BACKOFF = 30.0
OFFLINE_AFTER = 3
"""Failed attempts in a row after which a resource counts as offline."""
GIVE_UP = (Unauthorized, Forbidden, NotFound)
"""Answers that asking again cannot change: fetching stops until the user asks (``r``)."""


def gives_up(error: ApiError | None) -> bool:
    """Whether fetching should stop after ``error``, until the user asks again."""
    return isinstance(error, GIVE_UP)


@dataclass
class Freshness:
    """When a resource last succeeded and how its latest attempts went."""

    updated_at: float | None = None
    error: ApiError | None = None
    failures: int = 0
    streak: int = 0
    """Failures since the backoff was last reset (by success or by ``r``)."""
    failing_since: float | None = None
    next_retry_at: float | None = None


class Poller:
    """The clocks of every resource: fetch, back off, say how fresh the data is."""

    def __init__(
        self,
        *,
        interval: float,
        clock: Callable[[], float],
        rate_limited_for: Callable[[], float] = lambda: 0.0,
        rng: random.Random | None = None,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.timer = timer or clock
        """What the waits before a retry are counted on: the clock, unless it is not the real
        time the waits take (a replay's, which runs at its speed and stops at its end)."""
        self.rate_limited_for = rate_limited_for
        self.paused = False
        self.fresh: dict[str, Freshness] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._rng = rng or random.Random()

    def freshness(self, resource: str) -> Freshness:
        return self.fresh.setdefault(resource, Freshness())

    def reset(self, resource: str) -> None:
        """Forget a resource's state (its subject changed: another group, another row)."""
        self.fresh[resource] = Freshness()

    # -- results -------------------------------------------------------------------------

    def ok(self, resource: str) -> None:
        self.fresh[resource] = Freshness(updated_at=self.clock())

    def failed(self, resource: str, error: BaseException) -> ApiError:
        """Record a failure (any exception becomes an :class:`ApiError`); returns it."""
        if not isinstance(error, ApiError):
            error = Unexpected(clean(f"{type(error).__name__}: {error}", limit=300))
        fresh = self.freshness(resource)
        fresh.error = error
        fresh.failures += 1
        fresh.streak += 1
        if fresh.failing_since is None:
            fresh.failing_since = self.clock()
        # No retry is due after an answer asking again cannot change: until `r`.
        fresh.next_retry_at = None if gives_up(error) else self.timer() + self.delay(resource)
        return error

    async def attempt(self, resource: str, fetch: Fetch) -> ApiError | None:
        """Run ``fetch`` once and record how it went; the error, or None on success."""
        try:
            await fetch()
        except Exception as exc:  # every failure is a fault state, never the end of polling
            return self.failed(resource, exc)
        self.ok(resource)
        return None

    # -- timing --------------------------------------------------------------------------

    def delay(self, resource: str) -> float:
        """Seconds until the next fetch: the interval, or the backoff while failing."""
        fresh = self.freshness(resource)
        if not fresh.streak:
            return self.interval
        backoff: float = min(MAX_BACKOFF, self.interval * 2.0 ** min(fresh.streak - 1, 5))
        jittered = backoff * (0.75 + self._rng.random() / 2)
        retry_after = fresh.error.retry_after if isinstance(fresh.error, RateLimited) else None
        return max(retry_after or 0.0, jittered)

    def wake_event(self, resource: str) -> asyncio.Event:
        return self._wake.setdefault(resource, asyncio.Event())

    async def wait(self, resource: str) -> bool:
        """Sleep until the next fetch is due (none after a failure that :func:`gives_up`:
        until woken); True when woken early (``refresh_now``)."""
        event = self.wake_event(resource)
        fresh = self.freshness(resource)
        timeout = None if fresh.error and fresh.next_retry_at is None else self.delay(resource)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=timeout)
        woken = event.is_set()
        event.clear()
        return woken

    async def loop(self, resource: str, fetch: Fetch) -> None:
        """Fetch now, then once per interval while not paused (or when woken), forever."""
        woken = True
        while True:
            if woken or not self.paused:
                await self.attempt(resource, fetch)
            woken = await self.wait(resource)

    def refresh_now(self) -> None:
        """Fetch every resource now (also while paused), with the backoff reset."""
        for resource, fresh in self.fresh.items():
            fresh.streak = 0
            fresh.next_retry_at = None
            self.wake_event(resource).set()

    # -- what to tell the user ---------------------------------------------------------

    def failing_for(self, resource: str) -> float:
        """Seconds a resource has been failing without a success (0 when fine)."""
        since = self.freshness(resource).failing_since
        return 0.0 if since is None else self.clock() - since

    def connection(self) -> str:
        """PAUSED, LIVE, RATE LIMITED, RETRYING, OFFLINE, API KEY REJECTED or NOT ALLOWED."""
        errors = [f for f in self.fresh.values() if f.error is not None]
        if any(isinstance(f.error, Unauthorized) for f in errors):
            return "API KEY REJECTED"
        if any(isinstance(f.error, Forbidden) for f in errors):
            return "NOT ALLOWED"
        if self.paused:
            return "PAUSED"
        # Rate limited while the server's Retry-After holds, and after a 429 whose
        # Retry-After gave no delay to obey (inf, nan, -5): no gate holds, yet the server
        # said so, and the countdown is the backoff's.
        held = self.rate_limited_for()
        limited = [
            f for f in errors if isinstance(f.error, RateLimited) and f.error.retry_after is None
        ]
        if held > 0 or limited:
            now = self.timer()
            due = [f.next_retry_at - now for f in limited if f.next_retry_at is not None]
            return f"RATE LIMITED (next request in {max(1, round(max([held, *due])))}s)"
        # A server that answers "no such thing" (404, 400) is reachable: the pane that asked
        # says so, and the connection is neither retrying nor offline.
        faults = [f for f in errors if f.error is not None and f.error.retryable]
        if not faults:
            return "LIVE"
        worst = max(faults, key=lambda f: f.failures)
        if worst.failures >= OFFLINE_AFTER:
            times = [f.updated_at for f in self.fresh.values() if f.updated_at is not None]
            if not times:
                return "OFFLINE (no data yet)"
            return f"OFFLINE (showing data from {clock_time(max(times))})"
        wait = ""
        if worst.next_retry_at is not None:
            wait = f", next in {max(0, round(worst.next_retry_at - self.timer()))}s"
        return f"RETRYING (attempt {worst.failures}{wait})"

    def describe(self, resource: str) -> str:
        """How fresh a resource's data is, and why its last request failed."""
        fresh = self.freshness(resource)
        now = self.clock()
        if fresh.updated_at is None:
            text = "loading…" if fresh.error is None else "no data yet"
        elif (
            fresh.error is None
            and not self.paused
            and now - fresh.updated_at < max(2 * self.interval, self.interval + 3)
        ):
            text = "up to date"  # no ticking number: an idle screen stays still
        else:
            text = f"updated {duration(now - fresh.updated_at)} ago"
        if fresh.error is not None:
            text += " · " + fresh.error.describe(short=True)
            if fresh.next_retry_at is not None:
                text += f" · retry in {max(0, round(fresh.next_retry_at - self.timer()))}s"
            elif gives_up(fresh.error):
                text += " · r asks again"
        return text
