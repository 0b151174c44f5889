"""The simulated Kernel service: apps, versions and invocations with streaming log lines.

Like :mod:`tui.sim.world`, everything is drawn from a seeded RNG and is a pure function of
world time (the bctrl world's clock is shared, so ``speed`` and frozen clocks apply to both).
Kernel has no runs: invocations belong to an app at a version.
"""

from __future__ import annotations

import json
import random
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.sim.vocab import KERNEL_TERMINAL

if TYPE_CHECKING:
    from tui.sim.world import World

Clock = Callable[[], float]


def iso_ns(t: float) -> str:
    """World seconds as RFC 3339 with nanoseconds, as Kernel writes timestamps."""
    ns = round(t * 1e9)
    seconds, frac = divmod(ns, 1_000_000_000)
    head = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{head}.{frac:09d}Z"


@dataclass(frozen=True)
class AppSpec:
    """One deployed app version and how its invocations behave."""

    name: str
    version: str
    actions: tuple[str, ...]
    spacing: float  # world seconds between invocations
    fail_rate: float
    run_s: tuple[float, float]
    backlog: int  # invocations already finished when the world starts


APPS: tuple[AppSpec, ...] = (
    AppSpec("web-scraper", "1.4.2", ("scrape", "crawl"), 9.0, 0.15, (6.0, 20.0), 24),
    AppSpec("web-scraper", "1.5.0-rc.1", ("scrape", "crawl", "screenshot"), 14.0, 0.3, (5, 16), 10),
    AppSpec("invoice-agent", "0.9.1", ("extract-invoice",), 12.0, 0.2, (8.0, 30.0), 18),
    AppSpec("login-bot", "2.0.0", ("login", "refresh-session"), 20.0, 0.1, (4.0, 12.0), 12),
    AppSpec("price-watch", "3.1.0", ("check-prices",), 30.0, 0.05, (10.0, 40.0), 6),
)

SITES = ("shop.example.com", "news.example.org", "portal.example.net", "docs.example.dev")


@dataclass
class KernelPlan:
    """Everything about one Kernel invocation, decided when it is drawn."""

    id: str
    app: AppSpec
    action: str
    created: float
    queued_s: float
    run_s: float
    outcome: str
    payload: str | None
    output: str | None
    reason: str
    logs: list[tuple[float, str]] = field(default_factory=list)
    """(world offset from the start of running, message), in time order."""

    @property
    def started(self) -> float:
        return self.created + self.queued_s

    @property
    def terminal_at(self) -> float:
        return self.started + self.run_s

    def status(self, t: float) -> str:
        if t < self.started:
            return "queued"
        if t < self.terminal_at:
            return "running"
        return self.outcome

    def log_times(self) -> list[float]:
        return [self.started + offset for offset, _ in self.logs]


class KernelWorld:
    """All Kernel apps and invocations, advanced lazily to the current world time."""

    def __init__(self, world: World) -> None:
        """A Kernel world beside bctrl's ``world``: same clock (speed, frozen) and seed."""
        self.now: Clock = world.now
        self.real_seconds = world.real_seconds
        self.heartbeat_seconds = 5.0  # real seconds between sse_heartbeat frames
        self._lock = threading.Lock()
        self._rng = random.Random(world.seed * 31 + 5)
        self._by_id: dict[str, KernelPlan] = {}
        self.plans: list[KernelPlan] = []
        self._next: dict[AppSpec, float] = {}
        self._rngs: dict[AppSpec, random.Random] = {}
        now = world.now()
        for index, app in enumerate(APPS):
            rng = random.Random(self._rng.getrandbits(64))
            self._rngs[app] = rng
            # The backlog ends just before now; the newest few are still live at start.
            self._next[app] = now - app.backlog * app.spacing - index * 1.7
        self.advance()

    def advance(self) -> float:
        """Draw the invocations every app has started by now; returns now."""
        now = self.now()
        with self._lock:
            for app in APPS:
                while self._next[app] <= now:
                    plan = self._draw(app, self._next[app])
                    self.plans.append(plan)
                    self._by_id[plan.id] = plan
                    rng = self._rngs[app]
                    self._next[app] += app.spacing * rng.uniform(0.6, 1.4)
        return now

    def invocation(self, invocation_id: str) -> KernelPlan | None:
        return self._by_id.get(invocation_id)

    def visible(self, now: float) -> list[KernelPlan]:
        """Invocations that exist at ``now``, newest first (as the list endpoint orders)."""
        with self._lock:
            return sorted(
                (p for p in self.plans if p.created <= now), key=lambda p: p.created, reverse=True
            )

    # -- drawing -------------------------------------------------------------------------

    def _draw(self, app: AppSpec, created: float) -> KernelPlan:
        rng = self._rngs[app]
        ident = "".join(rng.choices(string.ascii_lowercase + string.digits, k=24))
        action = rng.choice(app.actions)
        run_s = rng.uniform(*app.run_s)
        outcome = "failed" if rng.random() < app.fail_rate else "succeeded"
        site = rng.choice(SITES)
        payload_value: dict[str, Any] = {"url": f"https://{site}/{action}", "retries": 2}
        if action == "extract-invoice":
            payload_value = {"document": f"s3://invoices/{rng.randrange(10**6):06d}.pdf"}
        elif action in ("login", "refresh-session"):
            payload_value = {"site": site, "profile": rng.choice(["alice", "ops-bot", "qa"])}
        payload: str | None = json.dumps(payload_value, separators=(",", ":"))
        roll = rng.random()
        if roll < 0.04:
            payload = "url=https://" + site + "&retries=2"  # not JSON: shown raw
        elif roll < 0.07:
            payload = None
        logs = self._logs(rng, action, site, run_s, outcome)
        if outcome == "succeeded":
            output_value: Any = {
                "ok": True,
                "items": rng.randrange(1, 400),
                "elapsed_ms": int(run_s * 1000),
            }
            if action == "screenshot":
                output_value = f"https://cdn.example.com/shots/{ident}.png"
            output: str | None = json.dumps(output_value)
            reason = "Invocation completed successfully"
        else:
            output = None
            reason = rng.choice(
                [
                    "Error: TimeoutError: locator('#checkout') not visible after 30000ms",
                    "Error: net::ERR_NAME_NOT_RESOLVED at https://" + site,
                    "Error: action threw: [login] password field missing (selector changed?)",
                ]
            )
        return KernelPlan(
            id=ident,
            app=app,
            action=action,
            created=created,
            queued_s=rng.uniform(0.3, 2.5),
            run_s=run_s,
            outcome=outcome,
            payload=payload,
            output=output,
            reason=reason,
            logs=logs,
        )

    def _logs(
        self, rng: random.Random, action: str, site: str, run_s: float, outcome: str
    ) -> list[tuple[float, str]]:
        lines = [
            "starting browser (chromium, headless)",
            f"navigating to https://{site}/",
            f"page loaded in {rng.randrange(200, 2400)}ms",
        ]
        count = max(4, int(run_s * rng.uniform(0.8, 1.6)))
        verbs = ("clicking", "waiting for", "reading", "scrolling to", "typing into")
        for i in range(count):
            target = rng.choice(("'Sign in'", "#results", ".price", "table.invoice", "nav a"))
            lines.append(f"[{action}] {rng.choice(verbs)} {target} (step {i + 1}/{count})")
        if rng.random() < 0.3:
            lines.append("\x1b[33mwarn\x1b[0m slow response from upstream (3.2s)")
        if outcome == "failed":
            lines.append("Error: step failed, see status_reason")
        else:
            lines.append("done: output written")
        offsets = sorted(rng.uniform(0.05, run_s * 0.97) for _ in lines)
        out = list(zip(offsets, lines, strict=True))
        # Two lines logged in the same instant, as real loggers do: resume must keep both.
        if len(out) > 4:
            at = out[3][0]
            out.insert(4, (at, "flushing buffered output"))
        return out

    # -- wire shapes ---------------------------------------------------------------------

    def invocation_json(self, plan: KernelPlan, now: float) -> dict[str, Any]:
        """The contract's ``Invocation`` for ``plan`` at ``now``."""
        status = plan.status(now)
        body: dict[str, Any] = {
            "id": plan.id,
            "app_name": plan.app.name,
            "version": plan.app.version,
            "action_name": plan.action,
            "started_at": iso_ns(plan.created),
            "status": status,
        }
        if plan.payload is not None:
            body["payload"] = plan.payload
        if status in KERNEL_TERMINAL:
            body["finished_at"] = iso_ns(plan.terminal_at)
            if plan.outcome == "succeeded" and plan.output is not None:
                body["output"] = plan.output
            body["status_reason"] = plan.reason
        else:
            body["finished_at"] = None
            body["status_reason"] = (
                "Waiting for an available worker" if status == "queued" else "Running"
            )
        return body
