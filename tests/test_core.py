"""The headless core without a server or Textual: the merge rule, durations, paging limits,
the poll loop's backoff and states, tolerant fields, coalesced announcements."""

from __future__ import annotations

import asyncio
import math
import random
import re

import pytest

from tui.core import fields as f
from tui.core.errors import ApiError, NotFound, RateLimited, ServerError, Unauthorized
from tui.core.model import Detail, Group, Kind, Problem, Progress, Raw, Row, Status
from tui.core.notify import Announcer
from tui.core.pages import AppendPager, HeadPager, Page
from tui.core.poll import Poller
from tui.core.store import (
    DETAIL_BYTES,
    KEPT_DETAILS,
    MAX_LOG_LINES,
    Store,
    elapsed,
    merge,
    prefer,
)
from tui.core.text import add_secret, clean, mask, sanitize, short_id
from tui.core.timefmt import clock_time, duration, full_time

RUNNING = Status(Kind.RUNNING, "running")
FAILED = Status(Kind.FAILED, "failed")
SUCCEEDED = Status(Kind.SUCCEEDED, "succeeded")


def row(
    key: str = "a", status: Status = RUNNING, observed: float = 0.0, rank: int = 0, **kw: object
) -> Row:
    return Row(key=key, status=status, observed=observed, rank=rank, **kw)  # type: ignore[arg-type]


# -- the merge rule ------------------------------------------------------------------------


def test_a_terminal_status_never_goes_back_to_live() -> None:
    finished = row(status=FAILED, observed=1.0, finished=100.0)
    stale = row(status=RUNNING, observed=5.0, rank=2, progress=Progress(1, 4))
    merged = merge(finished, stale)
    assert merged.status == FAILED
    assert merged.progress == Progress(1, 4), "what the terminal view lacks is filled in"
    assert merge(stale, finished).status == FAILED, "whichever arrives first"


def test_the_newer_live_view_wins_and_fills_from_the_older() -> None:
    old = row(observed=1.0, rank=2, started=10.0, heartbeat=11.0)
    new = row(status=Status(Kind.QUEUED, "cancelling"), observed=2.0, rank=0)
    merged = merge(old, new)
    assert merged.status.raw == "cancelling"
    assert merged.started == 10.0 and merged.heartbeat == 11.0
    assert merge(new, old).status.raw == "cancelling", "an older answer arriving late loses"


def test_between_terminal_views_the_more_complete_wins() -> None:
    summary = row(status=FAILED, observed=5.0, rank=0)
    full = row(status=FAILED, observed=1.0, rank=2, problem=Problem("X", "y"))
    assert merge(summary, full).rank == 2
    assert merge(full, summary).rank == 2


def test_details_prefer_terminal_then_fuller_then_newer() -> None:
    live = Detail("a", "live", False, 2, 9.0)
    final = Detail("a", "final", True, 1, 1.0)
    assert prefer(final, live) is final and prefer(live, final) is final
    assert prefer(Detail("a", "v2", False, 1, 1.0), live) is live


def test_a_fresh_group_list_keeps_the_pinned_groups_it_does_not_hold() -> None:
    """A pinned run older than the list's pages, once described, is no placeholder: the
    next list kept dropping it (the selection and the cursor moved to the next row)."""
    store = Store()
    live = Status(Kind.RUNNING, "active")
    store.set_groups([Group("new", live, observed=1.0)])
    store.merge_group(Group("old", live, observed=1.0, rank=1, total=3))  # described
    store.merge_group(Group("stray", live, observed=1.0, rank=1))  # neither listed nor pinned
    store.set_groups([Group("new", live, observed=2.0)], pinned=["old"])
    assert list(store.groups) == ["new", "old"]
    assert store.groups["old"].total == 3


def test_store_keeps_read_records_by_weight_so_walking_back_reads_nothing_again() -> None:
    """Ordinary records (a few KB) are kept for hundreds of rows, so j/k back over rows
    already read fetch nothing; huge ones are dropped oldest first past the byte budget,
    but the last twelve looked at are always kept."""
    store = Store()
    for i in range(300):
        store.merge_detail(Detail(f"r{i}", i, True, 1, 1.0, b"x" * 4_000))
    assert len(store.details) == 300 and all(store.final(f"r{i}") for i in range(300))
    for i in range(20):  # 3 MB each: the budget (8 MB) holds two beside the small ones
        store.merge_detail(Detail(f"huge{i}", i, True, 1, 1.0, b"x" * 3_000_000))
    kept = list(store.details)
    assert len(kept) == KEPT_DETAILS and kept == [f"huge{i}" for i in range(8, 20)]
    for i in range(200):
        store.merge_detail(Detail(f"s{i}", i, True, 1, 1.0, b"x" * 1_000))
    # The two newest huge ones still fit beside 200 small ones; the older ones went.
    assert list(store.details)[:2] == ["huge18", "huge19"] and len(store.details) == 202
    assert sum(len(d.raw or b"") for d in store.details.values()) <= DETAIL_BYTES


def test_store_reports_each_finish_once_even_when_a_status_flaps() -> None:
    store = Store()
    store.merge_rows([row(observed=1.0)])
    finished = store.merge_rows([row(status=FAILED, observed=2.0)]).finished
    assert [r.key for r in finished] == ["a"]
    for i in range(50):  # a hostile server flipping running/failed
        status = RUNNING if i % 2 else FAILED
        assert not store.merge_rows([row(status=status, observed=3.0 + i)]).finished
    assert store.rows["a"].status == FAILED


def test_store_keeps_followed_rows_outside_the_view_aside() -> None:
    store = Store()
    store.merge_rows([row("in")])
    changes = store.merge_rows([row("out", status=FAILED)], add=False)
    assert "out" not in store.rows and store.row("out") is not None
    assert not changes.changed


def test_logs_are_capped() -> None:
    from tui.core.model import LogLines

    store = Store()
    store.add_log(LogLines("a", tuple(str(i) for i in range(MAX_LOG_LINES + 500))))
    log = store.logs["a"]
    assert (
        len(log.lines) == MAX_LOG_LINES
        and log.dropped == 500
        and log.lines[-1] == str(MAX_LOG_LINES + 499)
    )


# -- one duration from one clock ---------------------------------------------------------


def test_live_duration_counts_from_the_start_so_it_does_not_jump_at_the_end() -> None:
    live = row(created=100.0, started=101.0)
    assert elapsed(live, now=112.0) == 11.0
    finished = row(status=SUCCEEDED, created=100.0, started=101.0, finished=112.2, duration=11.2)
    assert elapsed(finished, now=500.0) == pytest.approx(11.2)


def test_a_finished_row_without_duration_or_end_is_unknown_not_running() -> None:
    odd = row(status=Status(Kind.TIMED_OUT, "timed_out"), created=100.0)
    assert elapsed(odd, now=1e9) is None
    assert duration(elapsed(odd, now=1e9)) == "—"


def test_bad_values_cost_their_field_only() -> None:
    record = {
        "createdAt": "laborum in incididunt",
        "startedAt": "2026-11-20T10:00:00+14:00",
        "n": "7",
    }
    assert f.stamp(record, "createdAt") == Raw("laborum in incididunt")
    started = f.stamp(record, "startedAt")
    assert isinstance(started, float)
    assert clock_time(started) == "20:00:00", "converted to the display zone (UTC)"
    assert clock_time(f.stamp(record, "createdAt")).startswith("?laborum")
    assert "not a time" in full_time(Raw("x"))
    assert f.integer(record, "n") == 7 and f.integer(record, "missing") is None
    assert f.number({"d": "inf"}, "d") == Raw("inf") and f.number({"d": True}, "d") == Raw("true")
    assert f.stamp({"t": 1_790_000_000_000}, "t") == 1_790_000_000.0, "epoch milliseconds"
    assert f.status("paused_for_review", {}) == Status(Kind.UNKNOWN, "paused_for_review")
    assert f.status(None, {}).kind is Kind.UNKNOWN
    assert f.text({"a": {"b": 1}}, "a") == '{"b":1}'


# -- paging that a server cannot make endless --------------------------------------------


async def test_a_repeated_cursor_stops_the_list_and_says_so() -> None:
    calls = 0

    async def fetch(cursor: str | None) -> Page:
        nonlocal calls
        calls += 1
        return Page([row(f"r{calls}")], "same")

    delta = await AppendPager(fetch).poll()
    assert calls == 2 and delta.note and "repeated" in delta.note


async def test_endless_distinct_cursors_stop_at_the_row_cap() -> None:
    calls = 0

    async def fetch(cursor: str | None) -> Page:
        nonlocal calls
        calls += 1
        return Page([row(f"r{calls}-{i}") for i in range(100)], f"c{calls}")

    delta = await AppendPager(fetch, max_rows=1_000).poll()
    assert len(delta.rows) == 1_000 and calls == 10 and delta.note and "first 1,000" in delta.note


async def test_append_pager_rereads_only_from_the_first_live_page() -> None:
    pages = {None: ([row("a", SUCCEEDED), row("b", SUCCEEDED)], "p2"), "p2": ([row("c")], None)}
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> Page:
        asked.append(cursor)
        rows, nxt = pages[cursor]
        return Page(rows, nxt)

    pager = AppendPager(fetch)
    await pager.poll()
    asked.clear()
    pages["p2"] = ([row("c", SUCCEEDED), row("d")], None)
    delta = await pager.poll()
    assert asked == ["p2"] and [r.key for r in delta.rows] == ["c", "d"] and delta.order is None
    pages[None] = ([row("a", SUCCEEDED)], "p2")
    asked.clear()
    delta = await pager.poll(full=True)
    assert asked == [None, "p2"] and delta.removed == ["b"]


async def test_head_pager_reads_its_pages_and_notices_rows_leaving() -> None:
    data = [[row("n3"), row("n2")], [row("n1")]]

    async def fetch(cursor: str | None) -> Page:
        index = int(cursor or 0)
        return Page(data[index], str(index + 1) if index + 1 < len(data) else None)

    pager = HeadPager(fetch, pages=5)
    first = await pager.poll()
    assert first.order == ["n3", "n2", "n1"]
    data[0] = [row("n4"), row("n3")]
    data[1] = [row("n2")]
    second = await pager.poll()
    assert second.order == ["n4", "n3", "n2"] and second.removed == ["n1"]


# -- the poll loop -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_honours_retry_after_and_r_resets_it() -> None:
    clock = Clock()
    poller = Poller(interval=2.0, clock=clock)
    assert poller.delay("x") == 2.0
    for _ in range(4):
        poller.failed("x", ServerError("boom"))
    assert 12.0 <= poller.delay("x") <= 20.0
    poller.failed("x", RateLimited("slow down", retry_after=120.0))
    assert poller.delay("x") >= 120.0
    assert poller.connection().startswith("OFFLINE")
    poller.refresh_now()
    assert poller.delay("x") < 120.0 and poller.delay("x") <= 2.0 * 1.25, "r resets the backoff"


def test_connection_states() -> None:
    clock = Clock()
    poller = Poller(interval=2.0, clock=clock)
    assert poller.connection() == "LIVE"
    poller.paused = True
    assert poller.connection() == "PAUSED"
    poller.paused = False
    poller.failed("rows", ServerError("x"))
    assert poller.connection().startswith("RETRYING (attempt 1")
    poller.failed("rows", ServerError("x"))
    poller.failed("rows", ServerError("x"))
    assert poller.connection() == "OFFLINE (no data yet)"
    poller.ok("groups")
    assert poller.connection().startswith("OFFLINE (showing data from ")
    poller.failed("groups", Unauthorized("no"))
    assert poller.connection() == "API KEY REJECTED"


def test_a_retry_counts_down_in_real_time_when_the_clock_is_a_replays() -> None:
    """A replay's clock runs at its speed and stops at its end; the wait before a retry is
    real seconds, and so is its countdown."""
    stopped, real = Clock(), Clock()
    poller = Poller(interval=2.0, clock=stopped, timer=real, rng=random.Random(1))
    poller.failed("rows", ServerError("not in the recording"))
    first = int(re.findall(r"retry in (\d+)s", poller.describe("rows"))[0])
    real.now += first - 1
    assert poller.describe("rows").endswith("retry in 1s")
    assert poller.connection() == "RETRYING (attempt 1, next in 1s)"


async def test_any_exception_in_a_fetch_is_a_fault_and_polling_goes_on() -> None:
    poller = Poller(interval=0.01, clock=Clock())
    calls = 0

    async def fetch() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RecursionError("maximum recursion depth exceeded")

    task = asyncio.create_task(poller.loop("rows", fetch))
    await asyncio.sleep(0.2)
    task.cancel()
    assert calls >= 2
    assert poller.fresh["rows"].error is None, "it recovered"


@pytest.mark.parametrize("error", [NotFound("no such run", status=404), Unauthorized("no")])
async def test_an_answer_asking_again_cannot_change_stops_the_loop_until_woken(
    error: ApiError,
) -> None:
    poller = Poller(interval=0.01, clock=Clock())
    calls = 0

    async def fetch() -> None:
        nonlocal calls
        calls += 1
        raise error

    task = asyncio.create_task(poller.loop("rows", fetch))
    await asyncio.sleep(0.2)  # twenty intervals
    assert calls == 1
    assert "retry in" not in poller.describe("rows") and "r asks again" in poller.describe("rows")
    poller.refresh_now()  # r
    await asyncio.sleep(0.05)
    task.cancel()
    assert calls == 2


async def test_a_failed_fetch_records_an_internal_error_without_the_key() -> None:
    add_secret("sk-test-9876543210")
    poller = Poller(interval=1.0, clock=Clock())

    async def fetch() -> None:
        raise KeyError("sk-test-9876543210")

    error = await poller.attempt("rows", fetch)
    assert error is not None and error.kind == "internal"
    assert "9876543210" not in error.describe()


# -- text and notifications -------------------------------------------------------------


def test_clean_strips_escapes_whole_and_masks_secrets() -> None:
    add_secret("sk-live-abcdef123456")
    hostile = "id\x1b]52;c;aGk=\x07 \x1b]2;pwned\x07\x1b[2J\x9b2J SK-LIVE-ABCDEF123456 done"
    shown = clean(hostile)
    assert "\x1b" not in shown and "\x9b" not in shown and "52;c" not in shown
    assert "pwned" not in shown and "2J" not in shown
    assert "abcdef123456" not in shown.lower() and "********" in shown
    assert mask("Bearer sk-live-abcdef123456") == "Bearer ********"
    assert sanitize("a\tb") == "a    b"
    assert short_id("run_0123456789abc") == "run_01234567" and short_id("0123456789") == "01234567"


def test_announcements_are_coalesced_and_rate_limited() -> None:
    """The followed row is told within 5 s; other rows' failures, which a busy run has all
    the time, within 30 s (a user trial: on the active run a toast came every 5 s)."""
    clock = Clock()
    announcer = Announcer(clock, noun="invocation", window=5.0, others_window=30.0)
    announcer.finished([row("a", FAILED)], followed="a")
    first = announcer.due()
    assert first is not None and first.bell and first.failed and "failed" in first.message
    for i in range(100):
        announcer.finished([row(f"r{i}", SUCCEEDED if i % 2 else FAILED)], followed=None)
        assert announcer.due() is None, "nothing more within the window"
    clock.now += 5.0
    assert announcer.due() is None, "others' failures: not within 30 s"
    clock.now += 25.0
    batch = announcer.due()
    assert batch is not None and batch.message == "50 invocations finished: 50 failed"
    assert not batch.bell
    assert announcer.due() is None
    # The followed row is named first, whatever finished in the same window.
    clock.now += 5.0
    announcer.finished([row("x1", FAILED), row("me", SUCCEEDED), row("x2", FAILED)], "me")
    told = announcer.due()
    assert told is not None and told.bell and told.title == "Invocation finished"
    assert told.message == "Invocation me succeeded; 2 more finished: 2 failed"


def test_duration_formats() -> None:
    assert [duration(x) for x in (0.85, 12.34, 245, 7380, 3 * 86400 + 4 * 3600)] == [
        "850ms",
        "12.3s",
        "4m05s",
        "2h03m",
        "3d04h",
    ]
    assert not math.isnan(elapsed(row(started=1.0), 2.0) or 0)


def test_a_duration_between_two_stamps_is_the_one_the_server_says() -> None:
    """11:44:10.953 to 11:44:11.329 is 376 ms (the trace span's durationMs), not 375: the
    difference of two epoch floats is rounded, not cut."""
    start, end = f.parse_time("2026-09-21T11:44:10.953Z"), f.parse_time("2026-09-21T11:44:11.329Z")
    call = row(status=FAILED, started=start, finished=end)
    assert duration(elapsed(call, now=0.0)) == "376ms"
    assert [duration(x) for x in (0.0004, 0.9994, 0.9996)] == ["0ms", "999ms", "1.0s"]


# -- failures grouped, stalls flagged ------------------------------------------------------


def test_fingerprints_mask_what_varies() -> None:
    from tui.core.failures import fingerprint

    a = fingerprint(
        "Reference '@checkout-btn' is not bound in 6f1c0000-0000-4000-8000-000000000001"
    )
    b = fingerprint('Reference "@cart" is not bound in 7a0e93b2-0000-4000-8000-000000000002')
    assert a == b == "Reference '…' is not bound in <id>"
    assert fingerprint("timed out after 30000 ms at https://x.example/a?b=1") == (
        "timed out after # ms at <url>"
    )
    assert fingerprint("run_8f3k2m9q4x step 12") == "<id> step #"


def test_failures_are_grouped_with_counts_times_and_one_fix() -> None:
    from tui.core.failures import Cause, group_failures

    def failed(key: str, at: float, ref: str, fix: str | None = None) -> tuple[Row, Cause]:
        cause = Cause("UNKNOWN_REF", f"Reference '{ref}' is not bound", "page.waitForSelector", fix)
        return row(key, FAILED, finished=at), cause

    timeout = (row("t", FAILED, finished=5.0), Cause("TIMEOUT", "took 30000 ms", "page.goto"))
    groups = group_failures(
        [failed("a", 3.0, "@x"), failed("b", 1.0, "@y", "bind it"), timeout, failed("c", 9.0, "@z")]
    )
    assert [g.count for g in groups] == [3, 1]
    top = groups[0]
    assert top.cause.title == "UNKNOWN_REF page.waitForSelector" and top.cause.fix == "bind it"
    assert (top.first, top.last) == (1.0, 9.0) and top.rows == ["a", "b", "c"]


def test_stalls_are_flagged_and_never_confused_with_waiting() -> None:
    from tui.core.failures import observe, stalled

    live = row(status=RUNNING, observed=0.0, progress=Progress(1, 5), heartbeat=0.0)
    activity = observe(None, live)
    assert stalled(live, activity, now=10.0, interval=2.0) is None
    for t in range(2, 62, 2):  # the heartbeat goes on, progress does not move
        activity = observe(
            activity, row(observed=float(t), progress=Progress(1, 5), heartbeat=float(t))
        )
    stall = stalled(live, activity, now=62.0, interval=2.0)
    assert stall is not None and stall.reason.startswith("no progress") and stall.since == 0.0
    quiet = observe(None, row(observed=0.0, heartbeat=0.0))
    stall = stalled(live, quiet, now=100.0, interval=2.0)
    assert stall is not None and stall.reason == "heartbeat stopped"
    queued = row(status=Status(Kind.QUEUED, "queued"))
    assert stalled(queued, quiet, now=100.0, interval=2.0) is None


# -- the timeline --------------------------------------------------------------------------


def test_timeline_places_queue_and_run_time_on_one_axis() -> None:
    from tui.core import timeline as tl

    rows = [
        row("a", SUCCEEDED, created=0.0, started=10.0, finished=50.0),
        row("b", FAILED, created=40.0, finished=100.0, duration=30.0),  # a list row: no start
        row("c", RUNNING, created=90.0, started=95.0),
        row("d", Status(Kind.QUEUED, "queued"), created=150.0),
        row("e", SUCCEEDED),  # no times at all: nothing to place
    ]
    spans = {span.key: span for span in tl.spans(rows, now=200.0)}
    assert set(spans) == {"a", "b", "c", "d"}
    assert spans["b"].started == 70.0, "started = finished - duration"
    assert spans["c"].end == 200.0 and spans["c"].live
    scale = tl.axis(list(spans.values()), now=200.0)
    assert scale is not None and (scale.start, scale.end, scale.live) == (0.0, 200.0, True)
    a = tl.bar_text(spans["a"], scale, 20)
    assert a.startswith("╌") and a[1:6] == "█████" and a.endswith("┊"), a
    d = tl.bar_text(spans["d"], scale, 20, ascii_only=True)
    assert set(d.strip()) == {"-"}, "never started: queue time only"
    assert tl.critical_path(list(spans.values())) == {"d", "b"}, "d ended last; b before it"


def test_the_critical_path_walks_back_from_the_last_end() -> None:
    from tui.core import timeline as tl

    spans = [
        tl.Span("first", 0.0, 1.0, 10.0, False),
        tl.Span("side", 2.0, 3.0, 8.0, False),
        tl.Span("second", 11.0, 12.0, 30.0, False),
        tl.Span("overlap", 5.0, 6.0, 25.0, False),
        tl.Span("last", 31.0, 31.0, 40.0, False),
    ]
    assert tl.critical_path(spans) == {"last", "second", "first"}
    assert tl.critical_path([]) == set()


def test_the_critical_path_ends_on_zero_length_and_repeated_spans() -> None:
    from tui.core import timeline as tl

    spans = [tl.Span("a", 5.0, None, 5.0, False), tl.Span("a", 5.0, None, 5.0, False)]
    assert tl.critical_path(spans) == {"a"}
    same = [tl.Span(str(n), 1.0, 1.0, 1.0, False) for n in range(50)]
    assert len(tl.critical_path(same)) == 50, "every instant row, once each"


def test_a_logged_rows_detail_and_log_are_kept_and_forgotten_together() -> None:
    """A helper's trial: back on a failed Kernel invocation after visiting a dozen others,
    its log said '0 lines · complete', never read again. The store had forgotten the log
    (kept for the last 12 rows) but not the detail, and a row with a final detail and no
    log was final. Where rows have logs, a row is final only with its whole log read, and
    a row's detail and log go together (the follow then reads the log whole again)."""
    from tui.core.model import LogLines
    from tui.core.store import KEPT_DETAILS, Store

    store = Store(logged=True)
    store.merge_detail(Detail("a", None, True, 1, 1.0))
    assert not store.final("a"), "its log is not read yet"
    store.add_log(LogLines("a", ("x",), complete=True))
    assert store.final("a")
    for i in range(KEPT_DETAILS):  # a dozen other rows visited
        store.merge_detail(Detail(f"r{i}", None, True, 1, 1.0))
        store.add_log(LogLines(f"r{i}", ("y",), complete=True))
    assert "a" not in store.logs and "a" not in store.details
    assert not store.final("a")
    assert Store().final("b") is False  # nothing known: never final
    unlogged = Store()
    unlogged.merge_detail(Detail("b", None, True, 1, 1.0))
    assert unlogged.final("b"), "rows without logs are final with their detail"
