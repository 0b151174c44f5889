"""The simulated current bctrl API: runs, tool calls, trace spans and events.

Later generations of bctrl replaced invocations with tool calls, trace spans and events (see
``tests/contract/bctrl-current/SOURCES.md``). This world serves them beside the invocation world
of :mod:`tui.sim.world`, on the same clock: every plan is drawn from a seeded RNG when it comes
into being, and what a client sees depends only on how much world time has passed. Tool calls,
spans, events and stream frames are immutable plans; only their state at a given time is
computed, so a stream resumed from any frame sees exactly what an uninterrupted one saw.
"""

from __future__ import annotations

import bisect
import random
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.sim.scenarios import CURRENT_AUGUST
from tui.sim.world import iso

if TYPE_CHECKING:
    from tui.sim.world import World

# -- the current API's words (commands.json @c3c7aff; openapi-types.ts @e6d5e55) --------------

# A tool call's (and span's) internal states; each dialect has its own word for them.
QUEUED = "queued"
RUNNING = "running"
AWAITING = "awaiting_input"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
EXPIRED = "expired"  # asked for input that never came
INTERRUPTED = "interrupted"  # the browser died under it: the outcome is unknown
TERMINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELED, EXPIRED, INTERRUPTED})

OCTOBER = "october"
AUGUST = "august"
DIALECT_WORDS: dict[str, dict[str, str]] = {
    OCTOBER: {
        QUEUED: "queued",
        RUNNING: "running",
        AWAITING: "awaiting_input",
        SUCCEEDED: "succeeded",
        FAILED: "failed",
        CANCELED: "canceled",
        EXPIRED: "failed",
        INTERRUPTED: "unknown",
    },
    AUGUST: {
        QUEUED: "queued",
        RUNNING: "running",
        AWAITING: "requires_input",
        SUCCEEDED: "succeeded",
        FAILED: "failed",
        CANCELED: "cancelled",
        EXPIRED: "timed_out",
        INTERRUPTED: "failed",
    },
}
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    OCTOBER: ("queued", "running", "awaiting_input", "succeeded", "failed", "canceled", "unknown"),
    AUGUST: (
        "queued",
        "running",
        "requires_input",
        "succeeded",
        "failed",
        "cancelled",
        "timed_out",
    ),
}
TERMINAL_WORDS: dict[str, frozenset[str]] = {
    OCTOBER: frozenset({"succeeded", "failed", "canceled", "unknown"}),
    AUGUST: frozenset({"succeeded", "failed", "cancelled", "timed_out"}),
}
# August spans also had "suspended" (openapi-types.ts @e6d5e55 TraceSpan.status); never sent.
SPAN_EXTRA_WORDS: dict[str, tuple[str, ...]] = {OCTOBER: (), AUGUST: ("suspended",)}

RUN_STATUSES = ("starting", "active", "standby", "stopping", "ended", "failed")
SPAN_KINDS = ("runtime", "agent", "tool", "llm", "browser", "network", "file", "system")
SPAN_RESOURCE_TYPES = (
    "run",
    "runtime",
    "tool_call",
    "agent_turn",
    "message",
    "file",
    "artifact",
    "connection",
)
EVENT_CATEGORIES = (
    "lifecycle",
    "control",
    "machine",
    "human",
    "secrets",
    "connection",
    "agent",
    "page",
    "console",
    "network",
    "captcha",
)
EVENT_CHANNELS = (
    "api",
    "cdp",
    "webdriver",
    "live_view",
    "computer",
    "tool",
    "process",
    "ssh",
    "files",
    "platform",
)
EVENT_OUTCOMES = ("ok", "denied", "failed", "unknown")
ACTOR_TYPES = ("api_key", "agent", "human", "platform")
EVENT_SOURCES = ("browser", "network", "runtime", "agent", "tool", "system")

_ID_CHARS = string.ascii_letters + string.digits + "_-"
SITES = ("shop.example.com", "portal.example.net", "news.example.org", "docs.example.dev")
AGENT_TOOLS = (
    ("agent.act", 4.0),
    ("browser.navigate", 2.0),
    ("browser.click", 3.0),
    ("browser.extract", 2.0),
    ("browser.type", 1.0),
    ("browser.screenshot", 1.0),
    ("captcha.solve", 0.6),
    ("human.request", 0.4),
)
API_TOOLS = (
    ("browser.navigate", 3.0),
    ("browser.click", 3.0),
    ("browser.type", 2.0),
    ("browser.extract", 3.0),
    ("browser.screenshot", 1.0),
)
RUN_SECONDS = {
    "browser.navigate": (1.5, 4.0),
    "browser.click": (0.6, 2.5),
    "browser.type": (0.8, 3.0),
    "browser.extract": (2.0, 6.0),
    "browser.screenshot": (0.6, 1.8),
    "agent.act": (6.0, 16.0),
    "captcha.solve": (4.0, 10.0),
    "human.request": (2.0, 4.0),
}
ASKS_FOR_INPUT = frozenset({"agent.act", "captcha.solve", "human.request"})
INPUT_WINDOW = 60.0  # world seconds an input request stays open before it expires
RESUMED = "resumed"  # a plan outcome: asks for input, gets it, then succeeds
LIVE_RESUME_AT = 20.0  # world seconds after the start when run 0's live input request is answered


def make_id(rng: random.Random, prefix: str) -> str:
    """A prefixed id as the current API writes them: ``run_u`` + 22 characters."""
    return f"{prefix}_u" + "".join(rng.choice(_ID_CHARS) for _ in range(22))


# -- plans ------------------------------------------------------------------------------------


@dataclass
class SpanPlan:
    """One trace span: its place in the tree and the times its status changes."""

    id: str
    run: RunPlan
    parent_id: str | None
    kind: str
    name: str
    start: float
    end: float | None  # None: still open (the runtime span of an active run)
    final: str  # internal state once ended
    resource_type: str | None = None
    resource_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    pauses: tuple[tuple[float, float], ...] = ()  # (from, to): awaiting input

    def state(self, t: float) -> str:
        """The span's internal state at world time ``t`` (it exists from ``start``)."""
        if self.end is not None and t >= self.end:
            return self.final
        if any(a <= t < b for a, b in self.pauses):
            return AWAITING
        return RUNNING


@dataclass
class CallPlan:
    """Everything about one tool call, decided when it is drawn."""

    id: str
    run: RunPlan
    seq: int
    tool: str
    created: float
    started: float
    finished: float
    outcome: str  # internal terminal state
    span: SpanPlan
    ask_at: float | None = None
    resume_at: float | None = None  # None with ask_at set: the request expires at finished
    input_request: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    result: Any = None
    turn_id: str | None = None

    def state(self, t: float) -> str:
        """The call's internal state at world time ``t``."""
        if t < self.started:
            return QUEUED
        if t >= self.finished:
            return self.outcome
        if self.ask_at is not None and self.ask_at <= t < (self.resume_at or self.finished):
            return AWAITING
        return RUNNING

    def changes(self) -> list[float]:
        """Every world time at which the call's record changes, in order."""
        times = [self.created, self.started, self.ask_at, self.resume_at, self.finished]
        return sorted(t for t in times if t is not None)


@dataclass(frozen=True)
class EventPlan:
    """One immutable event of a run."""

    id: str
    time: float
    order: tuple[int, int]  # breaks ties between events at the same instant
    type: str
    category: str
    channel: str
    outcome: str
    source: str
    actor: dict[str, Any]
    target: dict[str, Any] | None
    span_id: str | None
    page_id: str | None
    data: dict[str, Any]

    @property
    def key(self) -> tuple[float, tuple[int, int]]:
        return (self.time, self.order)


@dataclass(frozen=True)
class Frame:
    """One frame of a run's stream: a span's change, an event, or the run's end."""

    time: float
    order: tuple[int, int]
    type: str  # span.started | span.updated | span.completed | runtime.event | run.ended
    span: SpanPlan | None = None
    event: EventPlan | None = None

    @property
    def key(self) -> tuple[float, tuple[int, int]]:
        return (self.time, self.order)


def _frame_key(frame: Frame) -> tuple[float, tuple[int, int]]:
    return frame.key


def _event_key(event: EventPlan) -> tuple[float, tuple[int, int]]:
    return event.key


@dataclass
class RunPlan:
    """A run: its browser, its tool calls, its span tree, events and stream frames."""

    index: int
    id: str
    browser_id: str
    space_id: str
    trace_id: str
    page_id: str
    site: str
    actor: dict[str, Any]
    task_id: str | None
    created: float
    spacing: float
    count: int | None  # None: active, keeps adding tool calls
    final: str  # "ended" or "failed", once ended
    end_reason: str | None
    rng: random.Random
    root: SpanPlan | None = None
    ended_at: float | None = None
    forced: dict[int, tuple[str, str]] = field(default_factory=dict)
    calls: list[CallPlan] = field(default_factory=list)
    spans: list[SpanPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)  # sorted by key
    frames: list[Frame] = field(default_factory=list)  # sorted by key
    event_index: dict[str, EventPlan] = field(default_factory=dict)
    live_input_forced: bool = False

    @property
    def agent_driven(self) -> bool:
        return bool(self.actor["type"] == "agent")

    @property
    def started(self) -> float:
        return self.created + 1.5

    def status(self, t: float) -> str:
        """The run's status at ``t`` (October words, which both dialects share here)."""
        if t < self.started:
            return "starting"
        if self.ended_at is None:
            return "active"
        if t >= self.ended_at:
            return self.final
        if self.final == "ended" and t >= self.ended_at - 1.5:
            return "stopping"
        return "active"

    def status_changes(self) -> list[float]:
        """The world times at which the run's status changes."""
        times = [self.created, self.started]
        if self.ended_at is not None:
            if self.final == "ended":
                times.append(self.ended_at - 1.5)
            times.append(self.ended_at)
        return times


@dataclass(frozen=True)
class RunSpec:
    """How one of the scenario's runs behaves."""

    age: float  # world seconds it has existed at the start
    spacing: float
    count: int | None
    final: str
    end_reason: str | None
    agent: bool
    forced: dict[int, tuple[str, str]]


RUN_SPECS: tuple[RunSpec, ...] = (
    # An agent's long active run: every kind of outcome in its backlog, a live input request.
    RunSpec(
        420.0,
        7.0,
        None,
        "ended",
        None,
        True,
        {
            2: ("browser.click", FAILED),
            4: ("agent.act", RESUMED),
            6: ("human.request", EXPIRED),
            9: ("browser.extract", CANCELED),
            12: ("agent.act", FAILED),
            15: ("browser.navigate", FAILED),
        },
    ),
    # A script's active run through the API: short browser calls every few seconds.
    RunSpec(95.0, 4.5, None, "ended", None, False, {5: ("browser.extract", FAILED)}),
    # An ended run from an hour ago.
    RunSpec(5400.0, 9.0, 14, "ended", "stopped", True, {5: ("browser.type", FAILED)}),
    # A failed run: its browser crashed under the last call.
    RunSpec(
        9000.0,
        6.0,
        9,
        "failed",
        "browser.crashed",
        False,
        {3: ("browser.click", FAILED), 6: ("browser.navigate", CANCELED)},
    ),
    # A short run that is live at the start and ends within a minute of world time.
    RunSpec(
        12.0,
        3.5,
        7,
        "ended",
        "completed",
        True,
        {
            1: ("browser.navigate", SUCCEEDED),
            2: ("browser.type", SUCCEEDED),
            3: ("browser.click", FAILED),
            4: ("browser.navigate", SUCCEEDED),
            5: ("browser.extract", SUCCEEDED),
            6: ("agent.act", SUCCEEDED),
            7: ("browser.screenshot", SUCCEEDED),
        },
    ),
)


class _Builder:
    """Draws one tool call's spans and events (all from the run's RNG)."""

    def __init__(self, world: CurrentWorld, run: RunPlan, seq: int) -> None:
        self.world = world
        self.run = run
        self.rng = run.rng
        self.seq = seq
        self.k = 0

    def order(self) -> tuple[int, int]:
        # Steps of 16 leave room for a span's own frames (see CurrentWorld._span_frames).
        self.k += 16
        return (self.seq, self.k)

    def span(
        self,
        parent: SpanPlan | None,
        kind: str,
        name: str,
        start: float,
        end: float | None,
        final: str,
        **extra: Any,
    ) -> SpanPlan:
        span = SpanPlan(
            id=make_id(self.rng, "span"),
            run=self.run,
            parent_id=parent.id if parent else None,
            kind=kind,
            name=name,
            start=start,
            end=end,
            final=final,
            **extra,
        )
        self.world._add_span(self.run, span, self)
        return span

    def event(
        self,
        time: float,
        type_: str,
        category: str,
        span: SpanPlan | None,
        *,
        channel: str = "cdp",
        outcome: str = "ok",
        source: str = "browser",
        actor: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
        page: bool = True,
        data: dict[str, Any] | None = None,
    ) -> None:
        event = EventPlan(
            id=make_id(self.rng, "evt"),
            time=time,
            order=self.order(),
            type=type_,
            category=category,
            channel=channel,
            outcome=outcome,
            source=source,
            actor=actor or self.run.actor,
            target=target
            if target is not None
            else ({"kind": "page", "id": self.run.page_id} if page else None),
            span_id=span.id if span else None,
            page_id=self.run.page_id if page else None,
            data=data or {},
        )
        self.world._add_event(self.run, event)


class CurrentWorld:
    """All runs of the current API, advanced lazily to the current world time."""

    def __init__(self, world: World) -> None:
        """A current-API world on ``world``'s clock and seed; its scenario picks the dialect."""
        self.now: Callable[[], float] = world.now
        self.real_seconds = world.real_seconds
        self.dialect = AUGUST if world.scenario == CURRENT_AUGUST else OCTOBER
        self.words = DIALECT_WORDS[self.dialect]
        self.statuses = STATUS_WORDS[self.dialect]
        self.terminal_words = TERMINAL_WORDS[self.dialect]
        self.span_statuses = self.statuses + SPAN_EXTRA_WORDS[self.dialect]
        self.heartbeat_seconds = 5.0  # real seconds of silence before an SSE comment
        self.poll_seconds = 0.25  # longest real sleep of a stream or long-poll between looks
        self.started_at = world.started_at
        self._lock = threading.RLock()
        self.runs: list[RunPlan] = []
        self._calls: dict[str, CallPlan] = {}
        root = random.Random(world.seed * 97 + 13)
        for spec in RUN_SPECS:
            self._add_run(root, spec)
        self.advance()

    # -- building -------------------------------------------------------------------------

    def _add_run(self, root: random.Random, spec: RunSpec) -> None:
        rng = random.Random(root.getrandbits(64))
        agent = spec.agent
        actor = (
            {"type": "agent", "id": make_id(rng, "agt"), "name": "checkout-agent"}
            if agent
            else {"type": "api_key", "id": make_id(rng, "key"), "name": "ci-runner"}
        )
        run = RunPlan(
            index=len(self.runs),
            id=make_id(rng, "run"),
            browser_id=make_id(rng, "br"),
            space_id=make_id(rng, "sp"),
            trace_id=f"{rng.getrandbits(128):032x}",
            page_id=make_id(rng, "page"),
            site=rng.choice(SITES),
            actor=actor,
            task_id=make_id(rng, "task") if agent else None,
            created=self.started_at - spec.age,
            spacing=spec.spacing,
            count=spec.count,
            final=spec.final,
            end_reason=spec.end_reason,
            rng=rng,
            forced=dict(spec.forced),
        )
        self.runs.append(run)
        builder = _Builder(self, run, 0)
        run.root = builder.span(
            None,
            "runtime",
            "browser session",
            run.created,
            None,
            SUCCEEDED,
            resource_type="runtime",
            resource_id=run.browser_id,
            data={"browserId": run.browser_id, "location": "us-east"},
        )
        lifecycle: dict[str, Any] = {"channel": "platform", "source": "runtime", "page": False}
        platform = {"type": "platform", "id": None, "name": "bctrl"}
        builder.event(
            run.created + 0.1,
            "runtime.lifecycle",
            "lifecycle",
            run.root,
            actor=platform,
            data={"state": "starting"},
            **lifecycle,
        )
        builder.event(
            run.started,
            "runtime.lifecycle",
            "lifecycle",
            run.root,
            actor=platform,
            data={"state": "active"},
            **lifecycle,
        )
        builder.event(
            run.started + 0.2,
            "browser.page.opened",
            "page",
            run.root,
            data={"url": "about:blank"},
        )
        if spec.count is not None:
            for _ in range(spec.count):
                self._draw(run)
            self._end(run)

    def _end(self, run: RunPlan) -> None:
        """Close a run whose tool calls are all drawn: its end, final events and frames."""
        assert run.root is not None
        builder = _Builder(self, run, 1_000_000)
        last = run.calls[-1]
        if run.final == "failed":
            # The browser crashed under the last call (drawn interrupted): it never finished.
            crash = last.finished
            builder.event(
                crash - 0.01,
                "browser.page.crashed",
                "page",
                run.root,
                outcome="failed",
                data={"reason": "renderer process gone (OOM)", "url": f"https://{run.site}/"},
            )
            run.ended_at = crash + 0.5
        else:
            run.ended_at = max(c.finished for c in run.calls) + 2.0
        run.root.end = run.ended_at
        run.root.final = SUCCEEDED if run.final == "ended" else FAILED
        self._add_frame(run, Frame(run.ended_at, builder.order(), "span.completed", run.root))
        platform = {"type": "platform", "id": None, "name": "bctrl"}
        builder.event(
            run.ended_at,
            "runtime.lifecycle",
            "lifecycle",
            run.root,
            channel="platform",
            source="runtime",
            outcome="ok" if run.final == "ended" else "failed",
            actor=platform,
            page=False,
            data={"state": run.final, "reason": run.end_reason},
        )
        self._add_frame(run, Frame(run.ended_at, builder.order(), "run.ended"))
        # A late finalization event: why an ended run's streams stay open.
        builder.event(
            run.ended_at + 2.0,
            "artifact.persisted",
            "lifecycle",
            run.root,
            channel="platform",
            source="system",
            actor=platform,
            page=False,
            data={"artifact": "recording", "bytes": run.rng.randrange(2_000_000, 40_000_000)},
        )

    def _draw(self, run: RunPlan) -> CallPlan:
        rng = run.rng
        seq = len(run.calls) + 1
        created = run.created + 2.0 + (seq - 1) * run.spacing + rng.uniform(0, run.spacing * 0.4)
        tools = AGENT_TOOLS if run.agent_driven else API_TOOLS
        tool = rng.choices([t for t, _ in tools], weights=[w for _, w in tools])[0]
        roll = rng.random()
        outcome = (
            SUCCEEDED
            if roll < 0.74
            else FAILED
            if roll < 0.86
            else CANCELED
            if roll < 0.92
            else RESUMED
            if roll < 0.97
            else EXPIRED
        )
        if seq in run.forced:
            tool, outcome = run.forced[seq]
        live = False
        age = created - self.started_at
        if run.count is None and run.agent_driven and not run.live_input_forced and -14 < age < -4:
            # One input request open at the start, answered LIVE_RESUME_AT after it.
            tool, outcome, live = "agent.act", RESUMED, True
            run.live_input_forced = True
        if outcome in (RESUMED, EXPIRED) and tool not in ASKS_FOR_INPUT:
            outcome = SUCCEEDED
        if tool == "human.request" and outcome not in (RESUMED, EXPIRED):
            outcome = RESUMED  # a human request always asks
        if run.final == "failed" and seq == run.count:
            outcome = INTERRUPTED  # the browser crashes under the run's last call
        queued = rng.uniform(0.2, 1.5)
        started = created + queued
        run_s = rng.uniform(*RUN_SECONDS[tool])
        ask_at: float | None = None
        resume_at: float | None = None
        if outcome in (RESUMED, EXPIRED):
            ask_at = started + (0.5 if live else run_s * 0.4)
            if outcome == EXPIRED:
                finished = ask_at + INPUT_WINDOW
            else:
                resume_at = ask_at + rng.uniform(6.0, 15.0)
                if live:
                    resume_at = self.started_at + LIVE_RESUME_AT
                finished = resume_at + run_s * 0.6
        elif outcome in (CANCELED, INTERRUPTED):
            finished = started + run_s * rng.uniform(0.3, 0.7)
        else:
            finished = started + run_s
        final = SUCCEEDED if outcome == RESUMED else outcome
        call_id = make_id(rng, "tc")
        builder = _Builder(self, run, seq)
        assert run.root is not None
        span = builder.span(
            run.root,
            "agent" if tool == "agent.act" else "tool",
            tool,
            started,
            finished,
            final,
            resource_type="tool_call",
            resource_id=call_id,
            data={"tool": tool, "toolCallId": call_id},
            pauses=((ask_at, resume_at or finished),) if ask_at is not None else (),
        )
        call = CallPlan(
            id=call_id,
            run=run,
            seq=seq,
            tool=tool,
            created=created,
            started=started,
            finished=finished,
            outcome=final,
            span=span,
            ask_at=ask_at,
            resume_at=resume_at,
            turn_id=make_id(rng, "turn") if run.agent_driven else None,
        )
        self._fill(builder, call)
        run.calls.append(call)
        self._calls[call.id] = call
        return call

    def _fill(self, b: _Builder, call: CallPlan) -> None:
        """Draw the call's child spans, its events, result, error and input request."""
        run, rng, tool = call.run, b.rng, call.tool
        url = f"https://{run.site}/{rng.choice(['', 'cart', 'login', 'products', 'account'])}"
        tool_event: dict[str, Any] = {
            "channel": "tool",
            "source": "tool",
            "page": False,
            "target": {"kind": "tool_call", "id": call.id},
        }
        category = "agent" if run.agent_driven else "machine"
        b.event(
            call.started,
            "tool.started",
            category,
            call.span,
            data={"tool": tool, "toolCallId": call.id},
            **tool_event,
        )
        if call.ask_at is not None:
            segments = [(call.started, call.ask_at)]
            if call.resume_at is not None:
                segments.append((call.resume_at, call.finished))
        else:
            segments = [(call.started, call.finished)]
        leaves: list[tuple[SpanPlan, SpanPlan | None]] = []  # (browser span, its last request)
        for a, b_end in segments:
            parts = 2 if tool == "agent.act" else rng.randint(1, 2)
            width = (b_end - a) / parts
            for i in range(parts):
                lo, hi = a + i * width + 0.02, a + (i + 1) * width - 0.02
                if tool == "agent.act" and i % 2 == 0:
                    model = rng.choice(["claude-sonnet-4", "gpt-4.1-mini"])
                    tokens_in = rng.randrange(1800, 9000)
                    b.span(
                        call.span,
                        "llm",
                        f"{model} plan",
                        lo,
                        hi,
                        SUCCEEDED,
                        data={
                            "model": model,
                            "inputTokens": tokens_in,
                            "outputTokens": rng.randrange(60, 400),
                        },
                    )
                    continue
                leaves.append(self._browser_span(b, call, lo, hi, url))
        # The last browser span carries a failure, a cancel or an interruption.
        last_browser, last_request = leaves[-1] if leaves else (call.span, None)
        if call.outcome in (FAILED, CANCELED, INTERRUPTED):
            last_browser.final = call.outcome
            if last_request is not None:
                last_request.final = call.outcome
        if call.outcome == FAILED:
            call.error = self._evidence(b, call, last_browser, last_request, url)
        elif call.outcome == CANCELED:
            call.error = {
                "code": "tool_call.canceled",
                "message": "Canceled by request (POST /v1/tool-calls/{id}/cancel)",
                "retryable": False,
            }
        elif call.outcome == INTERRUPTED:
            call.error = {
                "code": "runtime.interrupted",
                "message": "The browser crashed while the call ran; its outcome is unknown",
                "retryable": False,
            }
        elif call.outcome == EXPIRED:
            call.error = {
                "code": "tool_call.input_expired",
                "message": f"No input arrived within {INPUT_WINDOW:.0f} s",
                "retryable": True,
            }
        if call.ask_at is not None:
            call.input_request = self._input_request(call)
            human = call.input_request["handoff"]
            b.event(
                call.ask_at,
                "tool.requires_input",
                "human",
                call.span,
                data={"prompt": call.input_request["prompt"]},
                **tool_event,
            )
            b.event(
                call.ask_at + 0.01,
                "human.requested",
                "human",
                call.span,
                channel="platform",
                source="system",
                page=False,
                data={"handoff": human, "viewUrl": call.input_request["viewUrl"]},
            )
            if call.resume_at is not None:
                b.event(
                    call.resume_at,
                    "human.responded",
                    "human",
                    call.span,
                    channel="live_view" if human else "api",
                    source="system",
                    actor={"type": "human", "id": make_id(rng, "usr"), "name": "ops@example.com"},
                    page=False,
                    data={"toolCallId": call.id},
                )
        if call.outcome == SUCCEEDED:
            call.result = self._result(call, url)
            b.event(
                call.finished,
                "tool.completed",
                category,
                call.span,
                data={"tool": tool, "toolCallId": call.id, "resultAvailable": True},
                **tool_event,
            )
        else:
            assert call.error is not None
            b.event(
                call.finished,
                "tool.failed",
                category,
                call.span,
                outcome="unknown" if call.outcome == INTERRUPTED else "failed",
                data={"tool": tool, "toolCallId": call.id, **call.error},
                **tool_event,
            )

    def _browser_span(
        self, b: _Builder, call: CallPlan, lo: float, hi: float, url: str
    ) -> tuple[SpanPlan, SpanPlan | None]:
        """A browser span with up to two network requests under it, and their events."""
        rng = b.rng
        action = {
            "browser.navigate": f"page.goto {url}",
            "browser.click": "locator.click button#checkout",
            "browser.type": "locator.fill input[name=email]",
            "browser.extract": "page.evaluate extract(products)",
            "browser.screenshot": "page.screenshot",
            "captcha.solve": "captcha.detect iframe[title=reCAPTCHA]",
            "human.request": "page.screenshot",
        }.get(call.tool, rng.choice(["locator.click a.next", "page.goto " + url]))
        span = b.span(
            call.span,
            "browser",
            action,
            lo,
            hi,
            SUCCEEDED,
            data={"pageId": call.run.page_id, "action": action.split(" ")[0]},
        )
        if action.startswith("page.goto"):
            b.event(lo, "browser.navigation", "page", span, data={"url": url})
            b.event(hi, "browser.navigation.completed", "page", span, data={"url": url})
        last: SpanPlan | None = None
        requests = rng.randint(0, 2) or (1 if call.outcome == FAILED else 0)
        for i in range(requests):
            width = (hi - lo) / requests
            r_lo, r_hi = lo + i * width + 0.01, lo + (i + 1) * width - 0.01
            path = rng.choice(["/api/cart", "/api/session", "/api/products?page=2", "/app.js"])
            last = b.span(
                span,
                "network",
                f"GET https://{call.run.site}{path}",
                r_lo,
                r_hi,
                SUCCEEDED,
                data={"method": "GET", "url": f"https://{call.run.site}{path}", "status": 200},
            )
        if rng.random() < 0.15:
            # Noise a viewer must not mistake for evidence: it is not under a failed span.
            b.event(
                (lo + hi) / 2,
                "console.warning",
                "console",
                span,
                data={
                    "message": "[Deprecation] Synchronous XMLHttpRequest is deprecated",
                    "url": f"https://{call.run.site}/static/vendor.js",
                },
            )
        return span, last

    def _evidence(
        self,
        b: _Builder,
        call: CallPlan,
        browser: SpanPlan,
        request: SpanPlan | None,
        url: str,
    ) -> dict[str, Any]:
        """The console, network and page errors near a failure, and the call's error."""
        end = browser.end if browser.end is not None else call.finished
        near = max(browser.start, end - 0.3)
        step = (end - near) / 4  # the evidence stays inside the failing span
        site = call.run.site
        if request is not None:
            request.data = {**request.data, "status": 503 if call.tool != "browser.navigate" else 0}
            at = request.end - 0.001 if request.end is not None else near
            if call.tool == "browser.navigate":
                b.event(
                    at,
                    "network.failed",
                    "network",
                    request,
                    outcome="failed",
                    source="network",
                    data={"method": "GET", "url": url, "errorText": "net::ERR_NAME_NOT_RESOLVED"},
                )
            else:
                b.event(
                    at,
                    "network.http_error",
                    "network",
                    request,
                    outcome="failed",
                    source="network",
                    data={"method": "GET", "url": request.data["url"], "status": 503},
                )
        b.event(
            near + step,
            "console.error",
            "console",
            browser,
            outcome="failed",
            data={
                "message": "Uncaught TypeError: Cannot read properties of null (reading 'click')",
                "url": f"https://{site}/static/app.js",
                "line": 1,
                "column": 4182,
            },
        )
        if call.tool in ("browser.type", "agent.act", "browser.extract"):
            b.event(
                near + 2 * step,
                "javascript.exception",
                "page",
                browser,
                outcome="failed",
                data={
                    "message": "ReferenceError: grecaptcha is not defined",
                    "stack": f"at submit (https://{site}/static/checkout.js:88:13)",
                },
            )
        return {
            "browser.navigate": {
                "code": "browser.navigation_failed",
                "message": f"net::ERR_NAME_NOT_RESOLVED at {url}",
                "retryable": True,
            },
            "browser.click": {
                "code": "browser.element_not_found",
                "message": "No element matches 'button#checkout' after 5000 ms",
                "retryable": True,
            },
            "browser.type": {
                "code": "browser.element_not_interactable",
                "message": "input[name=email] is covered by another element",
                "retryable": True,
            },
            "browser.extract": {
                "code": "extract.empty",
                "message": "Nothing matched the extraction schema (0 of 3 required fields)",
                "retryable": False,
            },
            "browser.screenshot": {
                "code": "browser.page_closed",
                "message": "The page closed before the screenshot was taken",
                "retryable": True,
            },
            "agent.act": {
                "code": "agent.step_limit",
                "message": "The agent stopped after 25 steps without completing the instruction",
                "retryable": False,
            },
            "captcha.solve": {
                "code": "captcha.unsolved",
                "message": "The captcha was not solved within 120 s",
                "retryable": True,
            },
        }.get(
            call.tool,
            {"code": "tool.failed", "message": f"{call.tool} failed", "retryable": False},
        )

    def _input_request(self, call: CallPlan) -> dict[str, Any]:
        assert call.ask_at is not None
        handoff = call.tool != "agent.act"
        view = f"https://app.bctrl.ai/views/{make_id(call.run.rng, 'view')}" if handoff else None
        if call.tool == "agent.act":
            prompt = "Enter the 6-digit code sent to the account's phone"
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}},
                "required": ["code"],
            }
        else:
            prompt = f"Solve the challenge on {call.run.site} in the live view, then press Done"
            schema = {"type": "object", "properties": {"done": {"type": "boolean"}}}
        return {
            "prompt": prompt,
            "schema": schema,
            "expiresAt": iso(call.ask_at + INPUT_WINDOW),
            "handoff": handoff,
            "viewUrl": view,
        }

    def _result(self, call: CallPlan, url: str) -> Any:
        rng = call.run.rng
        return {
            "browser.navigate": {"url": url, "status": 200, "title": "Example Shop"},
            "browser.click": {"clicked": True, "selector": "button#checkout"},
            "browser.type": {"typed": 17, "selector": "input[name=email]"},
            "browser.extract": {
                "items": [
                    {"name": "USB-C charger 65W", "price": 29.99},
                    {"name": "USB-C cable 2 m", "price": 9.49},
                ]
            },
            "browser.screenshot": {
                "fileId": make_id(rng, "file"),
                "width": 1280,
                "height": 800,
                "format": "png",
            },
            "agent.act": {
                "success": True,
                "summary": "Added the cheapest 65 W charger to the cart",
                "steps": rng.randint(3, 12),
            },
            "captcha.solve": {"solved": True, "kind": "recaptcha_v2"},
            "human.request": {"done": True},
        }.get(call.tool, {"ok": True})

    # -- filing (under the lock: callers hold it) -----------------------------------------

    def _add_span(self, run: RunPlan, span: SpanPlan, builder: _Builder) -> None:
        run.spans.append(span)
        if span is run.root:
            # The root's frames depend on the run's end, filed by _end when known.
            self._add_frame(run, Frame(span.start, builder.order(), "span.started", span))
            return
        self._span_frames(run, span, builder.order())

    def _span_frames(self, run: RunPlan, span: SpanPlan, order: tuple[int, int]) -> None:
        """A span's frames: started, updated as it waits for input and resumes, completed."""
        seq, k = order
        self._add_frame(run, Frame(span.start, (seq, k), "span.started", span))
        for i, (a, b) in enumerate(span.pauses[:7]):
            self._add_frame(run, Frame(a, (seq, k + 1 + 2 * i), "span.updated", span))
            if span.end is None or b < span.end:  # an expired wait ends with the span
                self._add_frame(run, Frame(b, (seq, k + 2 + 2 * i), "span.updated", span))
        if span.end is not None:
            self._add_frame(run, Frame(span.end, (seq, k + 15), "span.completed", span))

    def _add_frame(self, run: RunPlan, frame: Frame) -> None:
        bisect.insort(run.frames, frame, key=_frame_key)

    def _add_event(self, run: RunPlan, event: EventPlan) -> None:
        bisect.insort(run.events, event, key=_event_key)
        run.event_index[event.id] = event
        self._add_frame(run, Frame(event.time, event.order, "runtime.event", event=event))

    # -- time ----------------------------------------------------------------------------

    def advance(self) -> float:
        """Draw the tool calls that active runs have created by now; returns now."""
        now = self.now()
        with self._lock:
            for run in self.runs:
                if run.count is not None:
                    continue
                while run.created + 2.0 + len(run.calls) * run.spacing <= now:
                    self._draw(run)
        return now

    # -- lookups -------------------------------------------------------------------------

    def run(self, run_id: str) -> RunPlan | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def call(self, call_id: str, now: float) -> CallPlan | None:
        """The tool call ``call_id`` if it exists at ``now``."""
        call = self._calls.get(call_id)
        return call if call is not None and call.created <= now else None

    def calls(self, now: float, run: RunPlan | None = None) -> list[CallPlan]:
        """Tool calls that exist at ``now`` (of one run, or all), oldest first."""
        with self._lock:
            runs = [run] if run is not None else self.runs
            return [c for r in runs for c in r.calls if c.created <= now]

    def spans(self, run: RunPlan, now: float) -> list[SpanPlan]:
        """The run's spans that have started by ``now``."""
        with self._lock:
            return [s for s in run.spans if s.start <= now]

    def events(self, run: RunPlan, now: float) -> list[tuple[int, EventPlan]]:
        """(seq, event) of the run's events up to ``now``, in commit order."""
        with self._lock:
            end = bisect.bisect_right(run.events, now, key=lambda e: e.time)
            return [(i + 1, e) for i, e in enumerate(run.events[:end])]

    def events_from(self, run: RunPlan, start: int, now: float) -> list[tuple[int, EventPlan]]:
        """(seq, event) of the run's events from index ``start`` up to ``now``."""
        with self._lock:
            end = bisect.bisect_right(run.events, now, key=lambda e: e.time)
            return [(i + 1, run.events[i]) for i in range(start, end)]

    def next_event_time(self, run: RunPlan, start: int) -> float | None:
        """When the event at index ``start`` happens (None: none is planned yet)."""
        with self._lock:
            return run.events[start].time if start < len(run.events) else None

    def event_seq(self, run: RunPlan, event: EventPlan) -> int:
        """An event's position in its run's commit order, from 1."""
        with self._lock:
            return bisect.bisect_left(run.events, event.key, key=_event_key) + 1

    def frames_from(self, run: RunPlan, start: int, now: float) -> list[tuple[int, Frame]]:
        """(index, frame) of the run's frames from ``start`` up to ``now``."""
        with self._lock:
            end = bisect.bisect_right(run.frames, now, key=lambda f: f.time)
            return [(i, run.frames[i]) for i in range(start, end)]

    def next_frame_time(self, run: RunPlan, start: int) -> float | None:
        """When the frame at ``start`` happens (None: none is planned yet)."""
        with self._lock:
            return run.frames[start].time if start < len(run.frames) else None

    def next_draw_time(self, run: RunPlan) -> float | None:
        """When an active run draws its next tool call (None for a run that is done)."""
        if run.count is not None:
            return None
        return run.created + 2.0 + len(run.calls) * run.spacing

    # -- wire shapes ---------------------------------------------------------------------

    def run_json(self, run: RunPlan, now: float) -> dict[str, Any]:
        """The ``Run`` resource at ``now``."""
        status = run.status(now)
        updated = max(t for t in run.status_changes() if t <= now)
        ended = run.ended_at if run.ended_at is not None and now >= run.ended_at else None
        return {
            "object": "run",
            "id": run.id,
            "status": status,
            "resourceId": run.browser_id,
            "resourceType": "browser",
            "spaceId": run.space_id,
            "location": "us-east",
            "control": {
                "holder": "agent" if run.agent_driven else "none",
                "since": iso(min(now, run.started)),
            },
            "recording": {"enabled": run.agent_driven},
            "createdAt": iso(run.created),
            "updatedAt": iso(updated),
            "startedAt": iso(run.started) if now >= run.started else None,
            "endedAt": iso(ended) if ended is not None else None,
            "endReason": run.end_reason if ended is not None else None,
            "taskId": run.task_id,
            "traceId": run.trace_id,
        }

    def call_json(self, call: CallPlan, now: float) -> dict[str, Any]:
        """The ``ToolCall`` resource at ``now``."""
        state = call.state(now)
        updated = max(t for t in call.changes() if t <= now)
        terminal = state in TERMINAL_STATES
        asked = call.ask_at is not None and now >= call.ask_at
        return {
            "object": "tool_call",
            "id": call.id,
            "tool": call.tool,
            "status": self.words[state],
            "callerType": "agent" if call.run.agent_driven else "api",
            "runId": call.run.id,
            "runtimeId": call.run.browser_id,
            "spanId": call.span.id,
            "parentId": None,
            "turnId": call.turn_id,
            "createdAt": iso(call.created),
            "updatedAt": iso(updated),
            "startedAt": iso(call.started) if now >= call.started else None,
            "finishedAt": iso(call.finished) if terminal else None,
            "error": dict(call.error) if terminal and call.error else None,
            "inputRequest": dict(call.input_request) if asked and call.input_request else None,
            "resultAvailable": state == SUCCEEDED,
        }

    def span_json(self, span: SpanPlan, now: float) -> dict[str, Any]:
        """The ``TraceSpan`` at ``now`` (the span has started)."""
        ended = span.end is not None and now >= span.end
        return {
            "object": "trace_span",
            "id": span.id,
            "runId": span.run.id,
            "parentId": span.parent_id,
            "kind": span.kind,
            "name": span.name,
            "status": self.words[span.state(now)],
            "startedAt": iso(span.start),
            "finishedAt": iso(span.end) if ended and span.end is not None else None,
            "durationMs": round((span.end - span.start) * 1000)
            if ended and span.end is not None
            else None,
            "resourceType": span.resource_type,
            "resourceId": span.resource_id,
            "data": dict(span.data),
        }

    def event_json(self, event: EventPlan, seq: int, run: RunPlan) -> dict[str, Any]:
        """The ``Event`` resource (events never change)."""
        stamp = iso(event.time)
        return {
            "object": "event",
            "id": event.id,
            "seq": seq,
            "type": event.type,
            "category": event.category,
            "channel": event.channel,
            "outcome": event.outcome,
            "actor": dict(event.actor),
            "source": event.source,
            "target": dict(event.target) if event.target is not None else None,
            "runId": run.id,
            "runtimeId": run.browser_id,
            "spaceId": run.space_id,
            "spanId": event.span_id,
            "taskId": run.task_id,
            "pageId": event.page_id,
            "time": stamp,
            "timestamp": stamp,
            "createdAt": stamp,
            "updatedAt": stamp,
            "data": dict(event.data),
        }

    def frame_json(self, run: RunPlan, index: int, frame: Frame) -> dict[str, Any]:
        """One run-stream frame's data, by its ``type``."""
        out: dict[str, Any] = {
            "type": frame.type,
            "id": frame_id(index),
            "runId": run.id,
            "timestamp": iso(frame.time),
        }
        if frame.span is not None:
            out["span"] = self.span_json(frame.span, frame.time)
        elif frame.event is not None:
            out["event"] = self.event_json(frame.event, self.event_seq(run, frame.event), run)
        else:
            out["status"] = run.status(frame.time)
        return out

    def result_body(self, call: CallPlan) -> Any:
        """What a succeeded call returned."""
        return call.result


def frame_id(index: int) -> str:
    """A run-stream frame's id (its position in the run's stream: resumable)."""
    return f"frm_{index:08d}"


def parse_frame_id(value: str) -> int | None:
    """The position a frame id names, or None when it is not one."""
    if not value.startswith("frm_") or not value[4:].isdigit() or len(value) > 24:
        return None
    return int(value[4:])


def words(values: Iterable[str]) -> str:
    """``values`` for an error hint."""
    return ", ".join(values)
