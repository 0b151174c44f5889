"""A replay in the viewer (issue 16's leftovers): the status bar says REPLAY, not LIVE, and
the replayed viewer keeps up with the recording's clock at any speed.

The recording here is a run list polled every 2 recorded seconds, one more run every tenth
answer (and, for the run list's counts, two runs, one of them counted from its rows each
round); the replay's clock is driven by the test (no timing is asserted: a viewer that falls
behind never reaches the run count the test waits for)."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from pathlib import Path

import pytest

from tui.core.errors import RateLimited
from tui.core.model import Group
from tui.core.source import COUNT_PAGES, Query, Source, count_rows
from tui.providers import PROVIDERS, load
from tui.providers.http import RetryPolicy
from tui.providers.record import (
    Recorded,
    Recorder,
    Recording,
    ReplayControls,
    load_recording,
    open_replay,
)
from tui.replay_cli import ReplayApp, replay_app
from tui.ui.app import RunwatchApp
from tui.ui.options import ViewerOptions
from tui.ui.viewer import ViewerScreen

from .conftest import FROZEN_NOW
from .hostile_server import (
    Conn,
    Dataset,
    HostileServer,
    Record,
    Request,
    Routes,
    dataset_routes,
    invocation_record,
    rate_limited,
    run_summary,
    uid,
)
from .viewer_helpers import record_toasts, rows_where, screen_text, wait_for

ANSWERS = 300
GAP = 2.0
"""Recorded seconds between two polls of the run list."""


def runs(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"{i:08x}-0000-4000-8000-000000000000",
            "runtimeId": f"{i:08x}-1111-4000-8000-000000000000",
            "runtimeType": "browser",
            "spaceId": "5f46ea54-c866-46e3-a6c3-d83062a3ebbc",
            "status": "active",
            "createdAt": "2026-09-21T12:00:00.000Z",
            "startedAt": "2026-09-21T12:00:00.500Z",
        }
        for i in range(count)
    ]


def expected_runs(position: float) -> int:
    """Runs in the latest answer recorded at or before ``position``."""
    answer = min(ANSWERS - 1, int(position // GAP))
    return 1 + answer // 10


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording of the run list asked every 2 recorded seconds, growing as it goes."""
    path = tmp_path_factory.mktemp("replay") / "polled.rwrec"
    served = [0]

    async def run_list(request: Request, conn: Conn) -> None:
        served[0] += 1
        await conn.json({"data": runs(1 + (served[0] - 1) // 10), "nextCursor": None})

    async def poll(source: Source, t: float) -> None:
        await source.groups()

    record_rounds(path, {("GET", "/v1/runs"): run_list}, (ANSWERS - 1) * GAP, poll)
    return path


def record_rounds(
    path: Path, routes: Routes, last: float, poll: Callable[[Source, float], Awaitable[None]]
) -> None:
    """Record to ``path`` a bctrl source over a server of ``routes``: ``poll(source, t)``
    every :data:`GAP` recorded seconds from 0 to ``last``, the recorded clock at ``t``; the
    recording ends with the last round."""
    now = [0.0]

    def clock() -> float:
        return FROZEN_NOW + now[0]

    async def record() -> None:
        with (
            HostileServer(routes) as server,
            Recorder(
                path, provider="bctrl", base_url=server.url, clock=clock, monotonic=lambda: now[0]
            ) as recorder,
        ):
            source = PROVIDERS["bctrl"].make_source(
                "k", server.url, clock=clock, retry=RetryPolicy(max_retries=0), recorder=recorder
            )
            while True:
                await poll(source, now[0])
                if now[0] + GAP > last:
                    break
                now[0] += GAP
            await source.aclose()

    asyncio.run(record())


def driven(path: Path, speed: float) -> tuple[ReplayApp, Callable[[float], None]]:
    """A replay whose real time the test moves on: the app, and ``advance(seconds)``."""
    real = [0.0]
    source, body, controls = open_replay(
        path, speed, monotonic=lambda: real[0], retry=RetryPolicy(max_retries=0)
    )
    app = ReplayApp(source, load(body), ViewerOptions(), controls=controls)

    def advance(seconds: float) -> None:
        real[0] += seconds

    return app, advance


def shows_runs(app: ReplayApp, count: int) -> Callable[[], bool]:
    return lambda: f"Runs ({count})" in screen_text(app)


def status_bar(app: ReplayApp) -> str:
    return screen_text(app).splitlines()[0]


# -- the status bar -----------------------------------------------------------------------


async def test_the_status_bar_says_replay_and_its_speed_not_live(polled: Path) -> None:
    app = replay_app(polled, 10.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "REPLAY 10x" in status_bar(app), what="REPLAY")
        assert "LIVE" not in screen_text(app) and "PAUSED" not in status_bar(app)
        await pilot.press("space")  # the replay's pause
        await wait_for(pilot, lambda: "REPLAY 10x PAUSED" in status_bar(app), what="PAUSED")
        assert "LIVE" not in screen_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: "PAUSED" not in status_bar(app), what="resumed")
        assert "REPLAY 10x" in status_bar(app)
        await pilot.press("p")  # the viewer's own pause (polling) says so too
        await wait_for(pilot, lambda: "REPLAY 10x PAUSED" in status_bar(app), what="p")
        assert "LIVE" not in screen_text(app)


async def test_a_replay_at_max_speed_says_so(polled: Path) -> None:
    app = replay_app(polled, math.inf, paused=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "REPLAY max PAUSED" in status_bar(app), what="max")
        assert "LIVE" not in screen_text(app)


async def test_a_live_viewer_still_says_live(polled: Path) -> None:
    """The REPLAY word comes from the replay alone: the same viewer over a live source."""
    with HostileServer({("GET", "/v1/runs"): _one_run}) as server:
        source = PROVIDERS["bctrl"].make_source(
            "k", server.url, clock=time.time, retry=RetryPolicy(max_retries=0)
        )
        app = RunwatchApp(source, load(PROVIDERS["bctrl"].detail_body), ViewerOptions())
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "LIVE" in status_bar(app), what="LIVE")
            assert "REPLAY" not in screen_text(app)


async def _one_run(request: Request, conn: Conn) -> None:
    await conn.json({"data": runs(1), "nextCursor": None})


# -- pacing: the viewer keeps up with the replay's clock ----------------------------------


def test_the_recording_knows_how_often_it_was_polled(polled: Path, tmp_path: Path) -> None:
    assert load_recording(polled).interval == pytest.approx(GAP)
    # Each poll came a fetch's time after the interval: the cadence is still 2s.
    path = tmp_path / "late.rwrec"
    now = [0.0]

    async def record() -> None:
        with (
            HostileServer({("GET", "/v1/runs"): _one_run}) as server,
            Recorder(path, provider="bctrl", base_url=server.url, monotonic=lambda: now[0]) as rec,
        ):
            source = PROVIDERS["bctrl"].make_source(
                "k", server.url, clock=time.time, retry=RetryPolicy(max_retries=0), recorder=rec
            )
            for _ in range(5):
                await source.groups()
                now[0] += 2.037
            await source.aclose()

    asyncio.run(record())
    assert load_recording(path).interval == 2.0


async def test_at_10x_the_viewer_polls_ten_times_as_often(polled: Path) -> None:
    """Every 2 recorded seconds is every 0.2 real seconds at 10x. The status bar says the
    recorded interval at every speed, as every time on the screen is the recording's (it
    said 'every 0.2s' of a recording made polling every 2 s)."""
    for speed, real in ((10.0, 0.2), (1.0, 2.0), (3.0, 0.67)):
        app = replay_app(polled, speed, paused=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "every 2s" in status_bar(app), what="every 2s")  # noqa: B023
            assert app.viewer.poller.interval == real


async def test_at_10x_what_is_shown_keeps_up_with_the_replay(polled: Path) -> None:
    """50 real seconds at 10x are 500 recorded ones: the viewer shows the run list as it was
    then, at its next poll, not the 250 answers in between one poll at a time (that would
    take the viewer minutes, and the wait below would fail)."""
    app, advance = driven(polled, 10.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, shows_runs(app, 1), what="the first answer")
        advance(50.0)
        await wait_for(pilot, shows_runs(app, expected_runs(500.0)), what="500s in")
        advance(4.0)
        await wait_for(pilot, shows_runs(app, expected_runs(540.0)), what="540s in")
        assert "REPLAY 10x" in status_bar(app)


async def test_jumping_to_the_end_shows_the_end(polled: Path) -> None:
    app, _ = driven(polled, 1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, shows_runs(app, 1), what="the first answer")
        await pilot.press("greater_than_sign")
        await wait_for(pilot, shows_runs(app, expected_runs(ANSWERS * GAP)), what="the last answer")


def test_reads_again_within_a_round_are_no_poll_interval() -> None:
    """A user trial: a current API `w` recording replayed said `every 0.1s`: its reads of
    one target a moment apart (a page again, a retry) were taken for polls. A target asked
    again sooner than the viewer ever polls is no poll; polls every 2 s still are."""
    again = [Recorded("response", t, t + 0.01, {}) for t in (0.0, 0.1, 0.2)]
    kept = Recording({}, {("GET", "/v1/runs/r"): again}, [0.0, 0.1, 0.2], [], 1.0)
    assert kept.interval == 2.0  # nothing polled: the viewer's default
    rounds = [
        Recorded("response", t + dt, t + dt + 0.01, {}) for t in (0, 2, 4, 6, 8) for dt in (0, 0.1)
    ]
    polled = Recording({}, {("GET", "/v1/runs"): rounds}, [r.t for r in rounds], [], 9.0)
    assert polled.interval == 1.9  # the gaps between rounds, to a tenth


async def test_plus_and_minus_in_a_replay_say_its_pace_is_the_recordings(
    polled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """+ and - changed the replayed viewer's polling and said "Refreshing every 1s" of a
    replay whose pace is the recording's: they say so, and change nothing."""
    toasts = record_toasts(monkeypatch)
    app = replay_app(polled, 10.0, paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "every 2s" in status_bar(app), what="every 2s")
        await pilot.press("plus", "minus", "minus")
        assert app.viewer.poller.interval == 0.2
        assert "every 2s" in status_bar(app)
        assert toasts and all(t.message.startswith("A replay asks as often") for t in toasts)


def test_a_step_takes_a_poll_rounds_answers_together() -> None:
    """A live viewer's poll round is a burst of answers (the list, then a run's record a
    moment later): ``.`` steps a round at a time (a new user's try: seven presses moved a
    paused replay from 0.3 s to 0.4 s), and after the last one to the recording's end."""
    rounds = [0.0, 2.0, 4.0, 6.0]
    listed = [Recorded("response", t, t + 0.01, {}) for t in rounds]
    described = [Recorded("response", t + 0.05, t + 0.06, {}) for t in rounds]
    exchanges = {("GET", "/v1/runs"): listed, ("GET", "/v1/runs/r"): described}
    times = sorted(r.t for r in [*listed, *described])
    recording = Recording({}, exchanges, times, [], 7.5)
    assert recording.interval == 2.0
    controls = ReplayControls(recording, paused=True)
    steps = [controls.step() for _ in range(len(rounds) + 1)]
    assert steps == pytest.approx([t + 0.06 for t in rounds] + [7.5])
    assert controls.finished


async def test_stepping_shows_each_recorded_moment(polled: Path) -> None:
    """Paused, ``.`` moves to the next recorded answer: the viewer shows that one, the
    replay stays paused."""
    app, _ = driven(polled, 1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        await wait_for(pilot, shows_runs(app, 1), what="the first answer")
        for _ in range(10):  # the 11th answer holds the second run
            await pilot.press("full_stop")
        await wait_for(pilot, shows_runs(app, 2), what="ten steps on")
        assert "REPLAY 1x PAUSED" in status_bar(app)


async def test_a_retry_after_date_is_waited_out_in_the_replays_seconds(tmp_path: Path) -> None:
    """Retry-After as an HTTP date counts from when the 429 was recorded (not from the
    machine's clock at replay, long after it), at the replay's speed."""
    path = tmp_path / "limited.rwrec"
    recorded_at = 1_790_000_000.0
    date = formatdate(recorded_at + 30, usegmt=True)
    with (
        HostileServer({("GET", "/v1/runs"): rate_limited(date)}) as server,
        Recorder(path, provider="bctrl", base_url=server.url, clock=lambda: recorded_at) as rec,
    ):
        source = PROVIDERS["bctrl"].make_source(
            "k", server.url, clock=time.time, retry=RetryPolicy(max_retries=0), recorder=rec
        )
        with pytest.raises(RateLimited):
            await source.groups()
        await source.aclose()
    for speed, seconds in ((1.0, 30.0), (10.0, 3.0)):
        replayed, _, _ = open_replay(path, speed, retry=RetryPolicy(max_retries=0))
        with pytest.raises(RateLimited) as limited:
            await replayed.groups()
        assert limited.value.retry_after == pytest.approx(seconds)
        await replayed.aclose()


# -- the run list's counts: other runs recounted in the recording's time -------------------

SELECTED, OTHER = uid(0xA1, 1), uid(0xB2, 2)
"""The run the replayed viewer opens on (the newer, with no rows), and one it never
selects."""
CHANGED_AT = 10.0
"""Recorded second from which the other run has more rows, and more of them failed."""


def other_runs_rows(grown: bool) -> dict[str, Record]:
    """The other run's invocations: 1 failed of 2, then 4 failed of 6."""
    statuses = ["succeeded", "failed", "failed", "failed", "failed", "succeeded"]
    return {
        uid(0xD, n): invocation_record(uid(0xD, n), OTHER, n, status)
        for n, status in enumerate(statuses[: 6 if grown else 2], start=1)
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording of two live runs polled every 2 recorded seconds for a minute, the
    other one counted from its rows each round; it grows at :data:`CHANGED_AT`."""
    path = tmp_path_factory.mktemp("replay") / "two-runs.rwrec"
    data = Dataset([run_summary(SELECTED, n=1), run_summary(OTHER, n=0)], other_runs_rows(False))

    async def poll(source: Source, t: float) -> None:
        if t >= CHANGED_AT:
            data.records |= other_runs_rows(grown=True)
        groups = {group.key: group for group in await source.groups()}
        await source.group(SELECTED)
        for key in (SELECTED, OTHER):
            await count_rows(source, groups[key])

    record_rounds(path, dataset_routes(data), 60.0, poll)
    return path


async def test_a_replay_recounts_the_other_runs_in_the_recordings_time(
    two_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run not selected is counted again from its rows every RECOUNT_EVERY seconds of
    the replay's clock (the recording's), as often as the recorded viewer did: not at each
    poll before that, and then at once, though only seconds of real time have passed."""
    import tui.ui.viewer

    monkeypatch.setattr(tui.ui.viewer, "RECOUNT_EVERY", 30.0)
    app, advance = driven(two_runs, 10.0)
    counted: list[float] = []  # the replay's position at each count of the other run
    count = tui.ui.viewer.count_rows

    async def counting(source: Source, group: Group, pages: int = COUNT_PAGES) -> Group | None:
        if group.key == OTHER:
            counted.append(app.controls.position())
        return await count(source, group, pages)

    monkeypatch.setattr(tui.ui.viewer, "count_rows", counting)
    listed_at: list[float] = []  # the viewer's clock at each run list it read
    count_groups = ViewerScreen._count_groups

    def noting(viewer: ViewerScreen, groups: list[Group]) -> None:
        listed_at.append(viewer.clock())
        count_groups(viewer, groups)

    monkeypatch.setattr(ViewerScreen, "_count_groups", noting)

    def listed() -> str:
        return next((line for line in screen_text(app).splitlines() if OTHER[:8] in line), "")

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.viewer.selected_group == SELECTED, what="opened")
        await wait_for(pilot, lambda: re.search(r"\b2\s+1\b", listed()) is not None, what="2 1")
        assert counted == [0.0]
        advance(2.0)  # 20 recorded seconds: the other run has grown, and is not due yet
        await wait_for(pilot, lambda: listed_at[-1] >= FROZEN_NOW + 20, what="the list at 20s")
        await pilot.pause(0.3)  # its counting, if it were due
        assert counted == [0.0], "recounted before RECOUNT_EVERY recorded seconds"
        assert re.search(r"\b2\s+1\b", listed()), listed()
        advance(2.0)  # 40 recorded seconds, 4 real ones: due
        await wait_for(pilot, lambda: re.search(r"\b6\s+4\b", listed()) is not None, what="6 4")
        assert counted == [0.0, 40.0]


# -- finish announcements: windowed in real seconds ----------------------------------------

FINISHING = uid(0xC3, 3)
"""A run whose four older invocations fail one a round (the last as the recording ends);
its newest, which the cursor is on, had succeeded from the start."""
FAILS_AT = (10.0, 12.0, 14.0, 16.0)


def finishing_rows(t: float) -> dict[str, Record]:
    """The run's invocations at recorded second ``t``."""
    rows = {
        uid(0xE, n): invocation_record(
            uid(0xE, n), FINISHING, n, "failed" if t >= at else "running", "extract"
        )
        for n, at in enumerate(FAILS_AT, start=1)
    }
    newest = len(FAILS_AT) + 1
    return rows | {uid(0xE, newest): invocation_record(uid(0xE, newest), FINISHING, newest)}


@pytest.fixture(scope="module")
def finishing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run and its rows every 2 recorded seconds, to the last failure."""
    path = tmp_path_factory.mktemp("replay") / "finishing.rwrec"
    data = Dataset([run_summary(FINISHING, n=1)], finishing_rows(0.0))

    async def poll(source: Source, t: float) -> None:
        data.records = finishing_rows(t)
        await source.groups()
        await source.group(FINISHING)
        rows = (await source.pager(FINISHING, Query()).poll(full=True)).rows
        await source.refresh(rows)

    record_rounds(path, dataset_routes(data), FAILS_AT[-1], poll)
    return path


async def test_a_replay_at_speed_tells_of_finished_rows_once_a_real_window(
    finishing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10x, rows failing 2 recorded seconds apart (a fifth of a real second) are told
    once a window of real seconds, as live: the first at once, the three after it together,
    the last of them as the recording ends. A window in the recording's seconds is a tenth
    as long at 10x (toasts ten times as often: the second and third failures came on their
    own), and the last failure was never told: the replay's clock stops at the recording's
    end, and such a window with it."""
    toasts = record_toasts(monkeypatch)
    app, advance = driven(finishing, 10.0)
    failed = [uid(0xE, n) for n in range(1, len(FAILS_AT) + 1)]

    def shows_failed(count: int) -> Callable[[], bool]:
        return lambda: rows_where(app, "status", "failed") == failed[:count][::-1]

    async with app.run_test(size=(120, 40)) as pilot:
        running = lambda: rows_where(app, "status", "running")  # noqa: E731
        await wait_for(pilot, lambda: running() == failed[::-1], what="the rows, running")
        await wait_for(pilot, lambda: app.viewer.selected_row == uid(0xE, 5), what="the cursor")
        # 3.5 real seconds (in recorded ones, more than a round and less than two)
        app.viewer.announcer.window = app.viewer.announcer.others_window = 3.5
        advance(FAILS_AT[0] / 10 + 0.01)  # a little past: 0.2 s steps do not add up exactly
        await wait_for(pilot, shows_failed(1), what="the first failure")
        for count in range(2, len(FAILS_AT) + 1):  # a round at a time, as played at 10x
            advance(GAP / 10)
            await wait_for(pilot, shows_failed(count), what=f"{count} failed")
        assert app.controls.finished
        told = lambda: [t.message for t in toasts if "finished" in t.title]  # noqa: E731
        await wait_for(pilot, lambda: len(told()) == 2, what="the three told together")
        await pilot.pause(1.0)  # and nothing more
    first, together = told()
    assert first == f"Invocation {failed[0][:8]} failed"
    assert together == "3 invocations finished: 3 failed"
