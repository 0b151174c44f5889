"""The simulated bctrl service: runs and invocations whose state is a pure function of time.

Every plan is drawn from a seeded RNG, so the same seed gives the same world; what a client
sees depends only on how much world time has passed. Active runs keep adding invocations.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.sim import catalog
from tui.sim.scenarios import CURRENT_SCENARIOS, SCENARIOS
from tui.sim.vocab import ACTIONS, TERMINAL

Clock = Callable[[], float]

HUGE_STEPS = 5_000
HUGE_RUN_AGE = 240.0  # world seconds the huge scenario's run has been going at the start
HUGE_SPACING = 6.0
HUGE_FINISHES_IN = 30.0  # world seconds until the running huge invocation ends
HUGE_PLANS = {3: ("failed", "extract"), 10: ("succeeded", "act"), 29: ("running", "extract")}
"""Sequence number -> (outcome, action) of the huge scenario's big invocations. Seq 29 is
created about 70 s before the world starts, so it is mid-way when a client first looks."""


def iso(t: float) -> str:
    """World seconds as an RFC 3339 UTC timestamp."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class InvocationPlan:
    """Everything about one invocation, decided when it is drawn."""

    id: str
    run: RunPlan
    seq: int
    action: str
    execution_mode: str
    steps: list[dict[str, Any]]
    outcome: str
    fail_index: int | None
    fail_kind: str | None
    created: float
    queued_s: float
    dispatch_s: float
    run_s: float
    result_value: Any
    metadata: dict[str, Any]
    status_override: str | None = None
    message_override: str | None = None
    huge_seed: int | None = None
    """Set on the huge scenario's big invocations: seeds their step results."""
    failed_steps: tuple[tuple[int, str], ...] = ()
    """(step index, failure kind) of steps that failed without stopping the invocation."""

    @property
    def started(self) -> float:
        return self.created + self.queued_s + self.dispatch_s

    @property
    def terminal_at(self) -> float:
        return self.started + self.run_s

    @property
    def cancel_requested(self) -> float:
        return self.terminal_at - min(1.5, self.run_s / 3)

    def status(self, t: float) -> str:
        if self.status_override:
            return self.status_override
        if t < self.created + self.queued_s:
            return "queued"
        if t < self.started:
            return "dispatching"
        if t >= self.terminal_at:
            return self.outcome
        if self.outcome == "cancelled" and t >= self.cancel_requested:
            return "cancelling"
        return "running"

    def steps_done(self, t: float) -> int:
        """How many steps have finished by ``t`` (the failing step never finishes)."""
        last = self.fail_index if self.fail_index is not None else len(self.steps)
        if t < self.started:
            return 0
        if t >= self.terminal_at:
            if self.outcome == "cancelled":
                return min(last, int(len(self.steps) * 0.6))
            return last
        per_step = self.run_s / max(1, last + (1 if self.fail_index is not None else 0))
        return min(last, int((t - self.started) / per_step))


@dataclass
class RunPlan:
    """A run and the rules for its invocations."""

    index: int
    id: str
    runtime_id: str
    runtime_type: str
    space_id: str
    created: float
    spacing: float
    final_status: str
    count: int | None
    rng: random.Random
    failure: dict[str, str] | None = None
    speed_class: float = 1.0
    invocations: list[InvocationPlan] = field(default_factory=list)
    edge: bool = False
    outcomes: tuple[str, ...] = ()  # forced outcome per sequence number (1-based), if given
    huge: bool = False  # some invocations have thousands of steps (HUGE_PLANS)

    @property
    def active(self) -> bool:
        return self.count is None

    def finished(self) -> float | None:
        if self.active or not self.invocations:
            return None if self.active else self.created + 1
        return max(p.terminal_at for p in self.invocations) + 1.0


class World:
    """All runs and invocations, advanced lazily to the current world time."""

    def __init__(
        self,
        scenario: str = "demo",
        *,
        seed: int = 7,
        invocations: int = 10_000,
        speed: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._clock = clock
        self._lock = threading.Lock()
        self.runs: list[RunPlan] = []
        self._by_id: dict[str, InvocationPlan] = {}
        self._bodies: dict[tuple[str, str], bytes] = {}
        now = self.now()
        self.started_at = now
        root = random.Random(seed)
        if scenario == "big":
            self._add_run(
                root,
                "browser",
                now - invocations * 0.5 - 5,
                0.5,
                "active",
                None,
                backlog=invocations,
            )
        elif scenario == "ci":
            # Two short runs that finish within a minute of world time: one all green,
            # one with a failure. For `runwatch watch` demos and exit-status tests.
            self._add_run(
                root, "browser", now - 0.5, 0.5, "stopped", 6, outcomes=("succeeded",) * 6
            )
            self._add_run(
                root,
                "browser",
                now - 0.5,
                0.5,
                "failed",
                6,
                outcomes=("succeeded", "succeeded", "failed") + ("succeeded",) * 3,
                failure={"code": "invocation.failed", "message": "An invocation failed"},
            )
        elif scenario == "huge":
            # One active run, like demo's first, with three invocations of HUGE_STEPS steps
            # among ordinary ones: failed, succeeded, and one that ends HUGE_FINISHES_IN later.
            self._add_run(
                root, "browser", now - HUGE_RUN_AGE, HUGE_SPACING, "active", None, huge=True
            )
        elif scenario in ("demo", "edge"):
            self._add_run(root, "browser", now - 240, 2.5, "active", None)
            self._add_run(root, "desktop", now - 600, 6.0, "active", None)
            self._add_run(root, "browser", now - 3900, 20.0, "stopped", 40)
            self._add_run(
                root,
                "spreadsheet",
                now - 7200,
                15.0,
                "failed",
                18,
                failure={
                    "code": "runtime.crashed",
                    "message": "The spreadsheet runtime exited unexpectedly",
                },
            )
            self._add_run(root, "browser", now - 10800, 30.0, "stopped", 0)
            if scenario == "edge":
                self._add_run(root, "quantum", now - 120, 3.0, "paused", 6, edge=True)
        elif scenario in CURRENT_SCENARIOS:
            pass  # no invocations: tui.sim.current_world serves these on this world's clock
        else:
            raise ValueError(f"unknown scenario {scenario!r} ({', '.join(SCENARIOS)})")
        self.advance()

    # -- time ----------------------------------------------------------------------------

    def now(self) -> float:
        """World time in epoch seconds (scaled by ``speed``)."""
        if self._clock is not None:
            return self._clock()
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed

    def real_seconds(self, world_seconds: float) -> float:
        """How long ``world_seconds`` of world time take in real time."""
        return world_seconds / self.speed if self.speed > 0 else world_seconds

    # -- building ------------------------------------------------------------------------

    def _add_run(
        self,
        root: random.Random,
        runtime_type: str,
        created: float,
        spacing: float,
        status: str,
        count: int | None,
        failure: dict[str, str] | None = None,
        backlog: int = 0,
        edge: bool = False,
        outcomes: tuple[str, ...] = (),
        huge: bool = False,
    ) -> None:
        rng = random.Random(root.getrandbits(64))
        run = RunPlan(
            index=len(self.runs),
            id=_uuid(rng),
            runtime_id=_uuid(rng),
            runtime_type=runtime_type,
            space_id=_uuid(rng),
            created=created,
            spacing=spacing,
            final_status=status,
            count=count,
            rng=rng,
            failure=failure,
            edge=edge,
            outcomes=outcomes,
            huge=huge,
        )
        self.runs.append(run)
        if count is not None:
            for _ in range(count):
                self._draw(run)
        for _ in range(backlog):
            self._draw(run)

    def _draw(self, run: RunPlan) -> InvocationPlan:
        rng = run.rng
        seq = len(run.invocations) + 1
        created = run.created + 1.0 + (seq - 1) * run.spacing + rng.uniform(0, run.spacing * 0.4)
        action = rng.choices(ACTIONS, weights=(8, 3, 4, 2, 2, 1))[0]
        steps = catalog.request_steps(action, rng)
        roll = rng.random()
        outcome = (
            "succeeded"
            if roll < 0.72
            else "failed"
            if roll < 0.86
            else "timed_out"
            if roll < 0.93
            else "cancelled"
        )
        if seq <= len(run.outcomes):
            outcome = run.outcomes[seq - 1]
        fail_index: int | None = None
        fail_kind: str | None = None
        if outcome == "failed":
            fail_index = rng.randrange(len(steps))
            fail_kind = rng.choice(catalog.FAILURE_KINDS)
        elif outcome == "timed_out":
            fail_index = rng.randrange(len(steps))
            fail_kind = "TIMEOUT"
        plan = InvocationPlan(
            id=_uuid(rng),
            run=run,
            seq=seq,
            action=action,
            execution_mode="durable" if rng.random() < 0.8 else "inline",
            steps=steps,
            outcome=outcome,
            fail_index=fail_index,
            fail_kind=fail_kind,
            created=created,
            queued_s=rng.uniform(0.3, 2.0),
            dispatch_s=rng.uniform(0.2, 0.8),
            run_s=rng.uniform(3.0, 16.0)
            * (1.8 if action in ("browserUse", "stagehandAgent") else 1.0),
            result_value=catalog.success_result(action, rng),
            metadata={
                "source": rng.choice(["sdk-python", "sdk-ts", "cli"]),
                "attempt": 1 + (rng.random() < 0.1),
            },
        )
        if run.edge:
            self._make_edge(plan, seq)
        if run.huge and seq in HUGE_PLANS:
            self._make_huge(plan, *HUGE_PLANS[seq])
        run.invocations.append(plan)
        self._by_id[plan.id] = plan
        return plan

    def _make_edge(self, plan: InvocationPlan, seq: int) -> None:
        """Values the contract does not list and hostile text, for robustness tests."""
        if seq == 1:
            plan.status_override = "paused_for_review"
        elif seq == 2:
            plan.action = "summarize"
        elif seq == 3:
            plan.outcome = "failed"
            plan.fail_index = 0
            plan.fail_kind = "UNKNOWN_CALL"
            plan.message_override = (
                "\x1b]0;pwned\x07\x1b[31mred[/red] [bold]not bold[/bold] :x: \x9b2J"
                "\u202egnp.exe\u202c " + "long " * 200
            )

    def _make_huge(self, plan: InvocationPlan, outcome: str, action: str) -> None:
        """Turn ``plan`` into a crawl of HUGE_STEPS steps (its wait body is ~9 MB)."""
        seed = plan.run.rng.getrandbits(64)
        rng = random.Random(seed)
        plan.huge_seed = seed
        plan.action = action
        plan.steps = catalog.crawl_steps(rng, HUGE_STEPS)
        plan.fail_index = plan.fail_kind = None
        plan.result_value = {
            "pagesVisited": HUGE_STEPS // 5,
            "itemsExtracted": HUGE_STEPS // 5 * 24,
        }
        plan.run_s = 100.0
        if outcome == "running":
            # Started a while ago; ends a fixed world time after the world starts.
            plan.run_s = self.started_at + HUGE_FINISHES_IN - plan.started
            outcome = "failed"
        plan.outcome = outcome
        if outcome == "failed":
            # Failures spread through the crawl, each in its own part of it.
            count = 6
            span = HUGE_STEPS // count
            plan.failed_steps = tuple(
                (k * span + rng.randrange(span), rng.choice(catalog.DIAGNOSED_KINDS))
                for k in range(count)
            )

    def advance(self) -> float:
        """Draw the invocations that active runs have created by now; returns now."""
        now = self.now()
        with self._lock:
            for run in self.runs:
                if not run.active:
                    continue
                while True:
                    nxt = run.created + 1.0 + len(run.invocations) * run.spacing
                    if nxt > now:
                        break
                    self._draw(run)
        return now

    # -- lookups -------------------------------------------------------------------------

    def run(self, run_id: str) -> RunPlan | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def invocation(self, invocation_id: str) -> InvocationPlan | None:
        return self._by_id.get(invocation_id)

    def visible(self, run: RunPlan, now: float) -> list[InvocationPlan]:
        """A run's invocations that exist at ``now``, oldest first."""
        return [p for p in run.invocations if p.created <= now]

    # -- wire shapes ---------------------------------------------------------------------

    def run_status(self, run: RunPlan, now: float) -> str:
        finished = run.finished()
        if run.active or finished is None or now < finished:
            return "active" if run.final_status != "paused" else "paused"
        return run.final_status

    def run_summary(self, run: RunPlan, now: float) -> dict[str, Any]:
        status = self.run_status(run, now)
        out: dict[str, Any] = {
            "id": run.id,
            "runtimeId": run.runtime_id,
            "runtimeType": run.runtime_type,
            "spaceId": run.space_id,
            "status": status,
            "createdAt": iso(run.created),
            "startedAt": iso(run.created + 0.5),
        }
        finished = run.finished()
        if status not in ("active", "paused") and finished is not None:
            out["finishedAt"] = iso(finished)
            out["durationSeconds"] = round(finished - run.created, 1)
        if run.failure and status == "failed":
            out["failure"] = dict(run.failure)
        return out

    def run_detail(self, run: RunPlan, now: float) -> dict[str, Any]:
        out = self.run_summary(run, now)
        n = len(self.visible(run, now))
        out["counts"] = {"events": n * 6, "files": n // 3, "invocations": n, "toolCalls": n * 2}
        return out

    def _error(self, plan: InvocationPlan, status: str) -> dict[str, Any] | None:
        if status == "failed" and plan.failed_steps:
            first = plan.failed_steps[0][0]
            call = plan.steps[first]["call"]
            return {
                "code": "invocation.step_failed",
                "message": f"{len(plan.failed_steps)} of {len(plan.steps)} steps failed"
                f" (first: step {first + 1}, {call})",
                "details": {
                    "stepIndex": first,
                    "call": call,
                    "failedSteps": [index for index, _ in plan.failed_steps],
                },
            }
        if status == "failed":
            assert plan.fail_index is not None
            call = plan.steps[plan.fail_index]["call"]
            msg = plan.message_override or f"Step {plan.fail_index + 1} ({call}) failed"
            return {
                "code": "invocation.step_failed",
                "message": msg,
                "details": {"stepIndex": plan.fail_index, "call": call},
            }
        if status == "timed_out":
            return {
                "code": "invocation.timeout",
                "message": "Invocation exceeded the maximum allowed duration.",
                "details": {"timeoutSeconds": 30},
            }
        if status == "cancelled":
            return {
                "code": "invocation.cancelled",
                "message": "Cancelled by request",
                "details": {"requestedBy": "api"},
            }
        return None

    def _progress(
        self, plan: InvocationPlan, status: str, now: float, full: bool
    ) -> dict[str, Any] | None:
        if status in ("queued",):
            return None
        total = len(plan.steps)
        done = plan.steps_done(now)
        current = plan.steps[min(done, total - 1)]["call"]
        if status == "dispatching":
            msg = "Dispatching to the runtime"
        elif status in TERMINAL:
            msg = {
                "succeeded": "Completed",
                "failed": "Failed",
                "timed_out": "Timed out",
                "cancelled": "Cancelled",
            }[status]
        elif status == "cancelling":
            msg = "Cancelling"
        else:
            msg = catalog.step_message(current)
        out: dict[str, Any] = {"message": msg, "step": done, "totalSteps": total}
        if full:
            out["currentCall"] = current
            out["lastEventType"] = "step.started" if status == "running" else f"invocation.{status}"
        return out

    def _timestamps(self, plan: InvocationPlan, status: str, now: float) -> dict[str, Any]:
        terminal = status in TERMINAL
        started = plan.started if now >= plan.started else None
        finished = plan.terminal_at if terminal and not plan.status_override else None
        duration = None
        if finished is not None and started is not None:
            duration = int((finished - started) * 1000)
        return {
            "createdAt": iso(plan.created),
            "startedAt": iso(started) if started is not None else None,
            "finishedAt": iso(finished) if finished is not None else None,
            "durationMs": duration,
        }

    def summary(self, plan: InvocationPlan, now: float) -> dict[str, Any]:
        status = plan.status(now)
        ts = self._timestamps(plan, status, now)
        out: dict[str, Any] = {
            "id": plan.id,
            "runId": plan.run.id,
            "runtimeId": plan.run.runtime_id,
            "action": plan.action,
            "status": status,
            "createdAt": ts["createdAt"],
            "durationMs": ts["durationMs"],
            "finishedAt": ts["finishedAt"],
            "error": None,
        }
        err = self._error(plan, status)
        if err is not None:
            out["error"] = err
        return out

    def v2(self, plan: InvocationPlan, now: float) -> dict[str, Any]:
        status = plan.status(now)
        ts = self._timestamps(plan, status, now)
        data: dict[str, Any] = {
            "id": plan.id,
            "runId": plan.run.id,
            "runtimeId": plan.run.runtime_id,
            "spaceId": plan.run.space_id,
            "runtimeType": plan.run.runtime_type,
            "status": status,
            "type": plan.action,
            "artifactCount": plan.steps_done(now) // 2,
            **ts,
            "error": self._error(plan, status),
            "metadata": dict(plan.metadata),
            "progress": self._progress(plan, status, now, full=False),
        }
        if status == "succeeded":
            # The contract's ``result`` is oneOf(any-or-null, null): a literal null matches both
            # branches and can never validate, so a result that does not exist is omitted.
            data["result"] = plan.result_value
        return {"data": data}

    def _step_results(
        self, plan: InvocationPlan, status: str, now: float, operation: bool
    ) -> dict[str, Any] | None:
        if status not in TERMINAL:
            return None
        results: list[dict[str, Any]] = []
        failed = dict(plan.failed_steps)
        # Fresh from the seed on every build, so a step's result never depends on the caller.
        rng = random.Random(plan.huge_seed) if plan.huge_seed is not None else None
        for i in range(plan.steps_done(now)):
            step = plan.steps[i]
            value = catalog.crawl_result(step, i, rng) if rng else {"durationMs": 120 + i * 37}
            if i in failed:
                results.append(self._failed_step(plan, i, failed[i], operation))
                continue
            resolved: dict[str, Any] = {
                "call": step["call"],
                "method": step["call"].split(".")[-1],
                "target": step.get("ref") or (step.get("args") or ["page"])[0]
                if isinstance((step.get("args") or ["page"])[0], str)
                else "page",
                "contextId": "ctx_" + plan.run.runtime_id[:8],
                "handleId": None,
                "pageId": "page_" + plan.id[:8],
                "ref": step.get("ref"),
            }
            resolved["sessionId" if operation else "runtimeId"] = plan.run.runtime_id
            ok: dict[str, Any] = {
                "ok": True,
                "call": step["call"],
                "index": i,
                "resolved": resolved,
                "result": value,
            }
            if "bind" in step:
                ok["binding"] = {"alias": step["bind"], "id": "page_" + plan.id[:8], "type": "page"}
            results.append(ok)
        if plan.fail_index is not None and plan.fail_kind and status in ("failed", "timed_out"):
            results.append(self._failed_step(plan, plan.fail_index, plan.fail_kind, operation))
        out: dict[str, Any] = {"mode": "fail-fast", "ok": status == "succeeded", "steps": results}
        if operation:
            out["runtime"] = plan.run.runtime_type + "-" + plan.run.runtime_id[:8]
        else:
            out["runtimeId"] = plan.run.runtime_id
        return out

    @staticmethod
    def _failed_step(
        plan: InvocationPlan, index: int, kind: str, operation: bool
    ) -> dict[str, Any]:
        """A step result with ``ok: false`` and the catalogue's error for ``kind``."""
        call = plan.steps[index]["call"]
        shown_call, error = catalog.step_failure(kind, call, plan.run.runtime_type)
        if plan.message_override:
            error = {**error, "message": plan.message_override}
        if operation and error["code"] == "RUNTIME_NOT_FOUND":
            error = {**error, "code": "SESSION_NOT_FOUND"}
        return {"ok": False, "call": shown_call, "index": index, "error": error}

    @staticmethod
    def _cancel_requested_at(plan: InvocationPlan, status: str) -> str | None:
        if plan.outcome == "cancelled" and status in ("cancelling", "cancelled"):
            return iso(plan.cancel_requested)
        return None

    def _heartbeat(self, plan: InvocationPlan, status: str, now: float) -> str | None:
        if now < plan.started:
            return None
        if status in TERMINAL:
            return iso(plan.terminal_at)
        return iso(plan.started + ((now - plan.started) // 2) * 2)

    def _full_head(self, plan: InvocationPlan, status: str, now: float) -> dict[str, Any]:
        """The wait body's invocation without ``request`` and ``result`` (its big parts)."""
        ts = self._timestamps(plan, status, now)
        return {
            "id": plan.id,
            "runId": plan.run.id,
            "runtimeId": plan.run.runtime_id,
            "spaceId": plan.run.space_id,
            "runtimeKind": plan.run.runtime_type,
            "status": status,
            "entryCall": plan.steps[0]["call"],
            "executionMode": plan.execution_mode,
            "sequenceNo": plan.seq,
            "stepCount": len(plan.steps),
            "artifactCount": plan.steps_done(now) // 2,
            **ts,
            "cancelRequestedAt": self._cancel_requested_at(plan, status),
            "lastHeartbeatAt": self._heartbeat(plan, status, now),
            "connector": None,
            "correlationId": "corr_" + plan.id[:12],
            "error": self._error(plan, status),
            "metadata": dict(plan.metadata),
            "progress": self._progress(plan, status, now, full=True),
        }

    @staticmethod
    def _request(plan: InvocationPlan) -> dict[str, Any]:
        """What the caller asked for (never changes)."""
        return {
            "runtimeId": plan.run.runtime_id,
            "steps": [dict(s) for s in plan.steps],
            "mode": "fail-fast",
            "idempotencyKey": "idem_" + plan.id[:12],
        }

    def full(self, plan: InvocationPlan, now: float) -> dict[str, Any]:
        """The full invocation record, as ``POST /v1/invocations/{id}/wait`` returns it."""
        status = plan.status(now)
        return {
            **self._full_head(plan, status, now),
            "request": self._request(plan),
            "result": self._step_results(plan, status, now, operation=False),
        }

    def _operation_head(self, plan: InvocationPlan, status: str, now: float) -> dict[str, Any]:
        """The operation record without ``result``."""
        ts = self._timestamps(plan, status, now)
        progress = self._progress(plan, status, now, full=True)
        return {
            "id": plan.id,
            "runtime": plan.run.runtime_type + "-" + plan.run.runtime_id[:8],
            "runtimeId": plan.run.runtime_id,
            "runtimeKind": plan.run.runtime_type,
            "status": status,
            "workspaceId": plan.run.space_id,
            "createdAt": ts["createdAt"],
            "startedAt": ts["startedAt"],
            "finishedAt": ts["finishedAt"],
            "cancelRequestedAt": self._cancel_requested_at(plan, status),
            "lastHeartbeatAt": self._heartbeat(plan, status, now),
            "currentCall": progress.get("currentCall") if progress else None,
            "error": self._error(plan, status),
            "progress": progress,
        }

    def operation(self, plan: InvocationPlan, now: float) -> dict[str, Any]:
        """The durable operation, as ``GET /v1/operations/{id}`` returns it."""
        status = plan.status(now)
        return {
            **self._operation_head(plan, status, now),
            "result": self._step_results(plan, status, now, operation=True),
        }

    # -- bodies as bytes (the huge scenario's are built once) ----------------------------

    def wait_body(self, plan: InvocationPlan, now: float) -> bytes:
        """``POST /v1/invocations/{id}/wait``'s JSON body for ``plan`` at ``now``."""
        status = plan.status(now)
        terminal = status in TERMINAL
        if plan.huge_seed is None:
            return dumps({"invocation": self.full(plan, now), "timedOutWaiting": not terminal})
        key = (plan.id, "wait")
        cached = self._bodies.get(key)
        if cached is not None:
            return cached
        # A terminal invocation never changes: its 9 MB are serialized once. A live one
        # re-serializes only its small head; the request's steps are serialized once.
        invocation = splice(
            self._full_head(plan, status, now),
            request=self._cached(plan, "request", lambda: dumps(self._request(plan))),
            result=dumps(self._step_results(plan, status, now, operation=False)),
        )
        body = b'{"invocation":' + invocation + b',"timedOutWaiting":'
        body += b"false}" if terminal else b"true}"
        if terminal:
            self._bodies[key] = body
        return body

    def operation_body(self, plan: InvocationPlan, now: float) -> bytes:
        """``GET /v1/operations/{id}``'s JSON body for ``plan`` at ``now``."""
        status = plan.status(now)
        if plan.huge_seed is None or status not in TERMINAL:
            return dumps(self.operation(plan, now))
        return self._cached(plan, "operation", lambda: dumps(self.operation(plan, now)))

    def _cached(self, plan: InvocationPlan, part: str, build: Callable[[], bytes]) -> bytes:
        """``build()``'s bytes for ``plan``'s ``part``, built on first use only."""
        key = (plan.id, part)
        cached = self._bodies.get(key)
        if cached is None:
            cached = self._bodies[key] = build()
        return cached


def dumps(value: Any) -> bytes:
    """JSON bytes exactly as Starlette's JSONResponse writes them."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def splice(head: dict[str, Any], **members: bytes) -> bytes:
    """``head`` as JSON with ``members`` (already JSON) appended as its last members."""
    tail = b"".join(b',"' + name.encode() + b'":' + value for name, value in members.items())
    return dumps(head)[:-1] + tail + b"}"
