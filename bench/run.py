"""``make bench``: every performance figure of issue #4, for runwatch and a naive baseline.

The real app is driven two ways against the embedded gateway (in its own process, so its
CPU is not counted as the viewer's):

- in a pseudo-terminal, as a user runs it: cold start, keypress-to-frame latency, idle and
  churn terminal output and CPU, resident memory;
- headless with Pilot, where the event loop can be watched: time to first rows, the
  longest event-loop stall while a big run loads and while scrolling, request discipline.

The baseline is the same viewer with Textual's DataTable cleared and refilled on every
poll and every page re-read (``bench/naive.py``). Figures print as a table and are written
to ``bench/results/``. ``--quick`` runs small sizes (the smoke test in ``make test``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Pty, gateway, pty_app
from tui.providers import PROVIDERS, load
from tui.providers.http import HttpApi, Reply
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions
from tui.ui.viewer import ViewerScreen

RESULTS = Path(__file__).resolve().parent / "results"

TARGETS: dict[str, tuple[str, float, str]] = {
    # key: (what, target, unit); lower is better for every figure
    "cold_start_p50_s": ("cold start to first frame with data (p50)", 0.6, "s"),
    "first_rows_s": ("10k run: first rows visible after selecting", 0.5, "s"),
    "load_max_stall_ms": ("10k run: longest event-loop stall while loading", 100, "ms"),
    "key_to_frame_p50_ms": ("keypress to frame, 10k table (p50)", 50, "ms"),
    "key_to_frame_p95_ms": ("keypress to frame, 10k table (p95)", 50, "ms"),
    "idle_output_kbps": ("nothing changes, every 2 s: terminal output", 1.0, "KB/s"),
    "idle_cpu_pct": ("nothing changes, every 2 s: CPU", 1.0, "%"),
    "churn_cpu_pct": ("~50 rows/s changing in 10k rows, 160x48: CPU", 10.0, "%"),
    "churn_output_kbps": ("~50 rows/s changing in 10k rows, 160x48: output", 25.0, "KB/s"),
    "rss_10k_mb": ("resident memory, 10k invocations loaded", 150, "MB"),
    "huge_max_stall_ms": ("100k invocations: longest stall (load, scroll, select)", 200, "ms"),
    "max_in_flight_per_resource": ("requests in flight per resource (max)", 1, ""),
    "terminal_refetches": ("terminal invocations fetched again", 0, ""),
    "connections_per_100_requests": ("TCP connections per 100 requests", 5, ""),
    "record_show_s": ("5,000-step record: selected to its steps on screen", 0.5, "s"),
    "record_key_p95_ms": ("5,000-step record: n / j / k in the detail (p95)", 50, "ms"),
    "record_rss_mb": ("5,000-step record: resident memory", 150, "MB"),
}


@dataclass
class Sizes:
    big: int = 10_000
    huge: int = 100_000
    cold_runs: int = 5
    key_presses: int = 30
    window_s: float = 20.0


NAIVE = ["--naive"]
"""Tells :func:`bench.harness.pty_app` to run ``python -m bench.naive`` instead of runwatch."""


def make_app(url: str, naive: bool, **options: Any) -> RunwatchApp:
    """The app on the bctrl source (the naive baseline's viewer when ``naive``)."""
    provider = PROVIDERS["bctrl"]
    source = provider.make_source("bench", url, clock=time.time)
    if naive:
        from bench.naive import install

        install()
    else:
        import tui.ui.app

        tui.ui.app.ViewerScreen = ViewerScreen  # type: ignore[misc]
    viewer_options = ViewerOptions(source_label="bench", **options)
    return RunwatchApp(source, load(provider.detail_body), viewer_options)


def cold_start(sizes: Sizes, naive: bool) -> float:
    """Seconds from exec to the first frame showing invocation rows (p50)."""
    times = []
    extra = NAIVE if naive else []
    for _ in range(sizes.cold_runs):
        started = time.monotonic()
        with pty_app("--demo", *extra) as term:
            term.wait_for(r"(succeeded|failed|running).{0,40}\d\d:\d\d:\d\d")
            times.append(time.monotonic() - started)
    return statistics.median(times)


def key_latency_and_rss(url: str, sizes: Sizes, naive: bool) -> dict[str, float]:
    """Keypress-to-frame in a loaded big table (pty), and the viewer's RSS."""
    extra = NAIVE if naive else []
    with pty_app("--base-url", url, "--interval", "2", *extra) as term:
        term.wait_for_rows(sizes.big)
        time.sleep(1.0)
        # Into the table whatever has focus at start (the viewer may have landed on a
        # failure): the jump prompt leaves the cursor in the table.
        os.write(term.master, b":failed\rg")  # and to the top: j has rows to go down to
        time.sleep(1.0)
        latencies = []
        for _ in range(sizes.key_presses):
            before = term.size()
            sent = time.monotonic()
            os.write(term.master, b"j")
            deadline = sent + 2.0
            while term.size() == before and time.monotonic() < deadline:
                time.sleep(0.0005)
            with term.lock:
                first = next((t for t, n in term.stamps if n > before), time.monotonic())
            latencies.append((first - sent) * 1000)
            time.sleep(0.12)
        latencies.sort()
        return {
            "key_to_frame_p50_ms": statistics.median(latencies),
            "key_to_frame_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
            "rss_10k_mb": term.rss_mb(),
        }


def output_and_cpu(term: Pty, seconds: float) -> tuple[float, float]:
    bytes0, cpu0, t0 = term.size(), term.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    kbps = (term.size() - bytes0) / 1024 / elapsed
    cpu = (term.cpu_seconds() - cpu0) / elapsed * 100
    return kbps, cpu


def idle(sizes: Sizes, naive: bool) -> dict[str, float]:
    """A world that never changes, refreshing every 2 s: only the freshness clock moves."""
    extra = NAIVE if naive else []
    run_id = World("demo", seed=7).runs[2].id
    with gateway("--frozen") as url, pty_app("--base-url", url, run_id, *extra) as term:
        term.wait_for(r"40 shown")
        time.sleep(3.0)
        kbps, cpu = output_and_cpu(term, sizes.window_s)
    return {"idle_output_kbps": kbps, "idle_cpu_pct": cpu}


def churn_rate(n: int, speed: float, seconds: float = 20.0) -> float:
    """Rows whose summary changes per second in the big world at ``speed`` (by simulation)."""
    now0 = time.time()
    clock = [now0]
    world = World("big", invocations=n, speed=speed, clock=lambda: clock[0])
    run = world.runs[0]

    def snapshot() -> dict[str, str]:
        world.advance()
        t = clock[0]
        return {p.id: p.status(t) for p in world.visible(run, t)}

    changed = 0
    before = snapshot()
    for step in range(1, int(seconds) + 1):
        clock[0] = now0 + step * speed
        after = snapshot()
        changed += sum(1 for k, v in after.items() if before.get(k) != v)
        before = after
    return changed / seconds


def churn(sizes: Sizes, naive: bool) -> dict[str, float]:
    speed = 12.0  # about 50 rows change each second in the 10k run
    extra = NAIVE if naive else []
    args = ("--scenario", "big", "--invocations", str(sizes.big), "--speed", str(speed))
    with (
        gateway(*args) as url,
        pty_app("--base-url", url, *extra, cols=160, rows=48) as term,
    ):
        term.wait_for_rows(sizes.big)
        time.sleep(3.0)
        kbps, cpu = output_and_cpu(term, sizes.window_s)
    return {
        "churn_cpu_pct": cpu,
        "churn_output_kbps": kbps,
        "churn_rows_per_s": churn_rate(sizes.big, speed),
    }


# -- headless: event-loop stalls and requests ---------------------------------------------


class StallMonitor:
    """The longest time the event loop failed to wake a 5 ms sleeper."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - started - 0.005)

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.worst * 1000


async def _until(predicate: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.005)


async def load_big(url: str, n: int, naive: bool, scroll: bool) -> dict[str, float]:
    app = make_app(url, naive)
    monitor = StallMonitor()
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(lambda: isinstance(app.screen, ViewerScreen))
        viewer = app.viewer
        monitor.start()
        await _until(lambda: viewer.selected_group is not None)
        selected_at = time.monotonic()
        await _until(lambda: viewer.table.row_count > 0)
        out["first_rows_s"] = time.monotonic() - selected_at
        await _until(lambda: viewer.store.complete and viewer.table.row_count >= n)
        await pilot.pause(0.2)
        out["load_max_stall_ms"] = monitor.stop()
        if scroll:
            monitor.start()
            viewer.table.focus()
            for key in ["pagedown"] * 10 + ["G", "k", "k", "g", "j", "enter"]:
                await pilot.press(key)
            await pilot.pause(0.5)
            out["scroll_max_stall_ms"] = monitor.stop()
            out["selection_works"] = float(viewer.selected_row is not None)
    return out


async def requests_discipline(n: int) -> dict[str, float]:
    """In-flight requests per resource, terminal re-fetches, connection reuse."""
    server = GatewayServer(GatewayOptions(scenario="big", invocations=n, speed=4.0)).start()
    app = make_app(server.url, False, interval=0.5)
    client: HttpApi = app.source.client  # type: ignore[attr-defined]
    in_flight: dict[str, int] = {}
    worst = 0
    terminal_seen: set[str] = set()
    refetches = 0
    calls = 0
    original = client.request

    async def counted(method: str, path: str, **kwargs: Any) -> Reply:
        # A resource is one endpoint of one record (a run's record and its invocations are
        # two; an invocation's v2 record, full record and wait are three): a record read
        # twice at once, or read again after it said terminal, is what is counted.
        nonlocal worst, refetches, calls
        resource = f"{method} {path.split('?')[0]}"
        parts = path.strip("/").split("/")
        ident = parts[2] if parts[1:2] == ["invocations"] and len(parts) > 2 else None
        if ident is not None and resource in terminal_seen:
            refetches += 1
        in_flight[resource] = in_flight.get(resource, 0) + 1
        worst = max(worst, in_flight[resource])
        calls += 1
        try:
            reply = await original(method, path, **kwargs)
        finally:
            in_flight[resource] -= 1
        data = reply.data if isinstance(reply.data, dict) else {}
        record = data.get("invocation") or data.get("data") or {}
        terminal = ("succeeded", "failed", "cancelled", "timed_out")
        if ident is not None and isinstance(record, dict) and record.get("status") in terminal:
            terminal_seen.add(resource)
        return reply

    client.request = counted  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(lambda: isinstance(app.screen, ViewerScreen))
            viewer = app.viewer
            await _until(lambda: viewer.store.complete)
            viewer.table.focus()
            for _ in range(40):  # walk over rows, live and terminal, back and forth
                await pilot.press("k")
                await pilot.pause(0.15)
            for _ in range(40):
                await pilot.press("j")
                await pilot.pause(0.15)
    finally:
        server.stop()
    return {
        "max_in_flight_per_resource": float(worst),
        "terminal_refetches": float(refetches),
        "connections_per_100_requests": 100 * len(server.faults.client_ports) / max(1, calls),
        "requests": float(calls),
    }


def huge_record(naive: bool) -> dict[str, float]:
    """The gateway's ``huge`` scenario in a real terminal: from the key that moves onto the
    finished 5,000-step invocation to its steps on screen; then keys in its detail (from
    the key to the first byte of the new frame); the viewer's memory."""
    extra = NAIVE if naive else []
    with gateway("--scenario", "huge") as url:
        # The gateway builds a 9 MB body once: that is its cost, not the viewer's.
        ids = _warm(url)
        with pty_app("--base-url", url, "--interval", "2", *extra) as term:
            term.wait_for(r"\d+ shown")
            time.sleep(1.0)
            # The viewer may land on the big record by itself (it is the first failure):
            # go to another row first, by the jump prompt, whatever the table's order.
            os.write(term.master, f":inv {ids[0][:8]}\r".encode())
            time.sleep(1.5)
            os.write(term.master, f":inv {ids[2][:8]}".encode())  # invocation 3: 5,000 steps
            time.sleep(0.5)
            offset = term.size()
            sent = time.monotonic()
            os.write(term.master, b"\r")
            # Its steps on screen: the viewer opens the record on its first failed step.
            term.wait_for(r"▾ ✘ #\d+ \S+ +[A-Z_]+", timeout=60, since=offset)
            show = time.monotonic() - sent
            time.sleep(1.0)
            os.write(term.master, b"\t")  # into the detail
            time.sleep(0.5)
            latencies = [
                _key_to_frame(term, key)
                for key in [b"n", b"j", b"j", b"k", b"n", b"N", b"G", b"g"] * 3
            ]
            latencies.sort()
            return {
                "record_show_s": show,
                "record_key_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
                "record_rss_mb": term.rss_mb(),
            }


def _warm(url: str) -> list[str]:
    import urllib.request

    def call(path: str, body: bytes | None = None) -> Any:
        request = urllib.request.Request(
            url + path, data=body, headers={"Authorization": "Bearer b"}
        )
        if body is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    run = call("/v1/runs")["data"][0]["id"]
    ids: list[str] = []
    for invocation in call(f"/v1/runs/{run}/invocations")["data"][:12]:
        ids.append(invocation["id"])
        call(f"/v1/invocations/{invocation['id']}/wait", b'{"timeoutMs": 0}')
    return ids


def _key_to_frame(term: Pty, key: bytes) -> float:
    before = term.size()
    sent = time.monotonic()
    os.write(term.master, key)
    deadline = sent + 2.0
    while term.size() == before and time.monotonic() < deadline:
        time.sleep(0.0005)
    with term.lock:
        first = next((t for t, n in term.stamps if n > before), time.monotonic())
    time.sleep(0.15)
    return (first - sent) * 1000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def headless(sizes: Sizes, naive: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    args = ("--scenario", "big", "--invocations", str(sizes.big), "--frozen")
    with gateway(*args) as url:
        out.update(asyncio.run(load_big(url, sizes.big, naive, scroll=False)))
        out.update(key_latency_and_rss(url, sizes, naive))
    huge_args = ("--scenario", "big", "--invocations", str(sizes.huge), "--frozen")
    try:
        with gateway(*huge_args) as url:
            huge = asyncio.run(load_big(url, sizes.huge, naive, scroll=True))
        out["huge_max_stall_ms"] = max(huge["load_max_stall_ms"], huge["scroll_max_stall_ms"])
        out["huge_selection_works"] = huge["selection_works"]
    except TimeoutError:
        out["huge_max_stall_ms"] = float("inf")  # never finished loading
    if not naive:
        out.update(asyncio.run(requests_discipline(sizes.big)))
    return out


def record(sizes: Sizes, naive: bool) -> dict[str, float]:
    """The huge-record figures."""
    return huge_record(naive)


# -- report ---------------------------------------------------------------------------------


def measure(sizes: Sizes, naive: bool, only: str | None = None) -> dict[str, float]:
    """Every figure; a part that does not finish (the baseline on 100k) counts as infinite."""
    figures: dict[str, float] = {}
    parts: dict[str, Callable[[], dict[str, float]]] = {
        "cold": lambda: {"cold_start_p50_s": cold_start(sizes, naive)},
        "headless": lambda: headless(sizes, naive),
        "idle": lambda: idle(sizes, naive),
        "churn": lambda: churn(sizes, naive),
        "record": lambda: record(sizes, naive),
    }
    for name, part in parts.items():
        if only is not None and name != only:
            continue
        try:
            figures.update(part())
        except TimeoutError as error:
            print(f"({'naive' if naive else 'runwatch'}: {error})", file=sys.stderr)
    return figures


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def report(ours: dict[str, float], naive: dict[str, float] | None, sizes: Sizes) -> str:
    lines = [
        f"runwatch benchmark: {sizes.big:,} and {sizes.huge:,} invocations",
        f"{'figure':<58} {'target':>9} {'runwatch':>10} {'naive':>10} {'ratio':>7}  met",
    ]
    for key, (what, target, unit) in TARGETS.items():
        value = ours.get(key)
        base = naive.get(key) if naive else None
        shown_target = f"<={target:g}{unit}"
        value_s = "-" if value is None else f"{value:.3g}{unit}"
        base_s = "-" if base is None else f"{base:.3g}{unit}"
        ratio = f"{base / value:.1f}x" if value and base else "-"
        met = "yes" if value is not None and value <= target else "NO"
        lines.append(f"{what:<58} {shown_target:>9} {value_s:>10} {base_s:>10} {ratio:>7}  {met}")
    if "churn_rows_per_s" in ours:
        lines.append(f"(churn measured at {ours['churn_rows_per_s']:.0f} changed rows/s)")
    return "\n".join(lines)


def markdown(result: dict[str, Any]) -> str:
    """The README's table: every figure, its target, runwatch, the baseline and the ratio."""
    ours: dict[str, float] = result["runwatch"]
    naive: dict[str, float] | None = result["naive"]
    m = result["machine"]
    lines = [
        f"Measured {result['when']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, "
        f"gateway in its own process; {result['sizes']['big']:,} and "
        f"{result['sizes']['huge']:,} invocations.",
        "",
        "| figure | target | runwatch | naive DataTable | naive / runwatch | met |",
        "|---|---|---|---|---|---|",
    ]

    def shown(value: float | None, unit: str) -> str:
        if value is None:
            return "—"
        if value == float("inf"):
            return "did not finish"
        number = f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"
        return f"{number} {unit}".strip()

    for key, (what, target, unit) in TARGETS.items():
        value = ours.get(key)
        base = naive.get(key) if naive else None
        ratio = "—"
        if value and base:
            ratio = "∞" if base == float("inf") else f"{base / value:.1f}x"
        met = "yes" if value is not None and value <= target else "**no**"
        lines.append(
            f"| {what} | ≤ {shown(target, unit)} | {shown(value, unit)} | {shown(base, unit)} "
            f"| {ratio} | {met} |"
        )
    if "churn_rows_per_s" in ours:
        lines.append("")
        lines.append(
            f"The churn figures were measured at {ours['churn_rows_per_s']:.0f} changed rows/s."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--only", help="run one part: cold, headless, idle, churn or record")
    args = parser.parse_args(argv)
    sizes = (
        Sizes(big=600, huge=2_000, cold_runs=1, key_presses=5, window_s=3.0)
        if args.quick
        else Sizes()
    )
    ours = measure(sizes, naive=False, only=args.only)
    print(report(ours, None, sizes), flush=True)
    naive = None if args.no_baseline else measure(sizes, naive=True, only=args.only)
    text = report(ours, naive, sizes)
    print(text)
    met = {k: ours.get(k, float("inf")) <= target for k, (_, target, _) in TARGETS.items()}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": sizes.__dict__,
        "runwatch": ours,
        "naive": naive,
        "targets": {k: t for k, (_, t, _) in TARGETS.items()},
        "met": met,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = "quick" if args.quick else stamp
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.quick and args.only is None:
        (args.out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        (args.out / "latest.md").write_text(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
