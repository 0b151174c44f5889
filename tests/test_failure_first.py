"""Failure first (issue 13): from launch to why a run failed in one key, with a cursor
that can be seen in every terminal. Pilot against the frozen demo gateway: keys in, screen
text out."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import time
from typing import Any

import pytest
from rich.console import Console

from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayServer
from tui.sim.world import World

from .conftest import FROZEN_NOW
from .hostile_server import (
    INVOCATION_IDS,
    HostileServer,
    Request,
    dataset_routes,
    plausible_dataset,
)
from .viewer_helpers import (
    _full_update,
    loaded,
    make_app,
    open_failed_run,
    pane,
    record_toasts,
    region_text,
    rows_loaded,
    screen_text,
    select_row,
    status_bar,
    until_text,
    wait_for,
)

SIZES = [(80, 24), (120, 40)]
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def frozen(gateway: GatewayServer, **options: object):  # type: ignore[no-untyped-def]
    return make_app(gateway, clock=lambda: FROZEN_NOW, **options)


def styled_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The screen, line by line, with its SGR escapes (what the terminal is told)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(_full_update(app))
    return console.export_text(styles=True).splitlines()


def reverse_on(line: str, text: str) -> bool:
    """Whether ``text`` on ``line`` is drawn in reverse video."""
    at = line.find(text)
    assert at >= 0, f"{text!r} not on {line!r}"
    params: list[str] = []
    for match in SGR.finditer(line[:at]):
        codes = match.group(1).split(";") if match.group(1) else ["0"]
        params = [] if codes == ["0"] else params + codes
    i = 0
    found = False
    while i < len(params):
        if params[i] in ("38", "48"):
            i += 3 if params[i + 1 : i + 2] == ["5"] else 5
            continue
        if params[i] == "0":
            found = False
        elif params[i] == "7":
            found = True
        elif params[i] == "27":
            found = False
        i += 1
    return found


def cursor_line(app, short: str) -> str:  # type: ignore[no-untyped-def]
    """The table line (with its escapes) of the row whose id starts with ``short``."""
    for line in styled_lines(app):
        plain = SGR.sub("", line)
        if short in plain and f"Invocation {short}" not in plain:
            return line
    raise AssertionError(f"no table line for {short}:\n" + "\n".join(styled_lines(app)))


def selected_short(app) -> str:  # type: ignore[no-untyped-def]
    """The id (as shown) of the row the detail shows: the one under the table's cursor."""
    match = re.search(r"Invocation (\S+)", pane(app, "detail"))
    assert match, pane(app, "detail")
    return match.group(1)


def row_line(app, short: str) -> str:  # type: ignore[no-untyped-def]
    return SGR.sub("", cursor_line(app, short))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_launch_opens_on_the_first_failure_with_its_fix_in_view(
    frozen_gateway: GatewayServer, size: tuple[int, int]
) -> None:
    """No key: the active run's first failed invocation is selected and its failing step
    is open, its fix on screen."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await until_text(pilot, app, r"▾ ✘ #\d+ \S+ +[A-Z_]+")
        await until_text(pilot, app, r"fix +Increase the step timeout")
        assert re.search(r"✘ failed|⧗ timed out", row_line(app, selected_short(app)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_one_key_from_launch_to_why_a_failed_run_failed(
    frozen_gateway: GatewayServer, size: tuple[int, int]
) -> None:
    """A failed run opened from the list: its card with its failure, its first failed
    invocation selected and the failing step open."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"))
        await until_text(pilot, app, r"runtime\.crashed · The spreadsheet runtime exited")
        await until_text(pilot, app, r"▾ ✘ #1 page\.goto +CAPABILITY_NOT_AVAILABLE")
        await until_text(pilot, app, r"expected +a browser runtime")
        card = region_text(app, "#group-card")
        assert "✘ failed" in card and "18 invocations, 5 failures" in card
        assert "✘ failed" in row_line(app, selected_short(app))
        # The landing scrolled the newer rows out of sight: the pane says so.
        await wait_for(pilot, lambda: re.search(r"↑\d+ above · 18 shown", pane(app, "rows")))
        await pilot.press("tab", "g")
        await wait_for(pilot, lambda: "above" not in pane(app, "rows"), what="no rows above")


async def test_the_landing_never_overrides_a_move_the_user_made_first() -> None:
    """g in the table before a run's rows arrive: the cursor stays on the top row (the
    landing on the first failure is for a user who has not moved yet)."""
    faults = FaultConfig(rate=0.0, slow_seconds=1.5)
    world = World("demo", seed=7, clock=lambda: FROZEN_NOW)
    with GatewayServer(world=world, faults=faults) as server:
        app = frozen(server)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot, app)
            failed = next(run.id for run in world.runs if run.id.startswith("121a2084"))
            faults.force("slow", 1, f"/v1/runs/{failed}/invocations")
            app.viewer.groups.select_key(failed)  # the failed run, whose rows are slow to come
            await pilot.pause()
            await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"))
            await pilot.press("tab", "g")
            await rows_loaded(pilot, app)
            await wait_for(pilot, lambda: "final" in pane(app, "detail"), what="a row's record")
            await pilot.pause(0.3)
            top = app.viewer.table.row_keys_in_order[0]
            assert selected_short(app) == top[:8], "the cursor stayed where the user put it"


async def test_the_run_list_counts_each_visited_runs_rows_and_failures(
    frozen_gateway: GatewayServer,
) -> None:
    """No server here counts a run's failures (the current API counts nothing): the run
    list fills its rows and fail columns from each run's rows, once they were all read, and
    keeps them when the cursor moves on."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        failed = r"│✘ failed +121a2084 +spreadsheet +\S+ +18 +5 *│"
        await open_failed_run(pilot, app)
        await until_text(pilot, app, failed)
        await pilot.press("k")  # another run: the failed one keeps its counts
        await wait_for(pilot, lambda: "run 121a2084" not in pane(app, "rows"))
        await rows_loaded(pilot, app)
        assert re.search(failed, region_text(app, "#groups-pane"))


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_the_cursor_row_is_drawn_in_reverse_video(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    """Not bold alone: reverse video survives 16 colours, the Linux console and NO_COLOR."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await until_text(pilot, app, r"▾ ✘ #\d+")
        await pilot.press("tab")
        await pilot.pause(0.2)
        short = selected_short(app)
        assert reverse_on(cursor_line(app, short), short), "the focused cursor is reversed"
        others = [line for line in styled_lines(app) if "│✔ succeeded" in SGR.sub("", line)]
        assert others and not any(reverse_on(line, "succeeded") for line in others), (
            "other rows are not"
        )


MENU_TERMINALS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize(
    ("no_color", "ascii_only"), MENU_TERMINALS, ids=["colour", "NO_COLOR", "ascii"]
)
async def test_the_menu_lists_draw_their_cursor_in_reverse_video(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, no_color: bool, ascii_only: bool
) -> None:
    """A user trial: in E's list of failure groups and in y's copy menu, j moved a cursor
    nobody could see (every option on one background; enter opened the third group). The
    highlighted option is in reverse video, as the table's cursor and the status picker's,
    and no other option is."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = frozen(frozen_gateway, ascii_only=ascii_only)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await rows_loaded(pilot, app)
        await pilot.press("tab", "E")
        await until_text(pilot, app, r"Failures in run 4d6cc587")
        await pilot.press("j", "j")
        await pilot.pause(0.2)
        titles = [
            (line, match.group(1))
            for line in styled_lines(app)
            if (
                match := re.search(
                    r".*[│|] +(\S[^│|]*?) +[\u00d7x]\d+ +failed \d", SGR.sub("", line)
                )
            )
        ]
        assert len(titles) >= 4, "\n".join(styled_lines(app))
        lit = [title for line, title in titles if reverse_on(line, title)]
        assert lit == [titles[2][1]], f"the third group only, not {lit}"

        await pilot.press("escape", "y")
        await until_text(pilot, app, r"enter copies")
        await pilot.press("j")
        await pilot.pause(0.2)
        labels = [label for label, _ in getattr(app.screen, "choices", [])]
        assert len(labels) >= 3, labels
        lines = styled_lines(app)

        def line_of(label: str) -> str:
            return next(line for line in lines if re.search(rf"[▊#] {label} ", SGR.sub("", line)))

        lit = [label for label in labels if reverse_on(line_of(label), label)]
        assert lit == [labels[1]], f"the second choice only, not {lit}"


async def test_n_visits_failed_and_timed_out_rows_only(frozen_gateway: GatewayServer) -> None:
    """n / N skip cancelled rows (cancelled is not a failure to debug), and wrap around."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await until_text(pilot, app, r"▾ ✘ #1 page\.goto")
        await pilot.press("tab")
        seen: list[str] = []
        for _ in range(6):
            await pilot.press("n")
            await pilot.pause(0.1)
            short = selected_short(app)
            line = row_line(app, short)
            assert re.search(r"✘ failed|⧗ timed out", line), line
            seen.append(short)
        assert len(set(seen)) == 5, "the run's five failures, then around again"
        back = seen[-2]
        await pilot.press("N")
        await pilot.pause(0.1)
        assert selected_short(app) == back


async def test_errors_view_groups_the_failures_and_enter_goes_to_one(
    frozen_gateway: GatewayServer,
) -> None:
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await until_text(pilot, app, r"▾ ✘ #\d+")
        await pilot.press("E")
        header = await until_text(
            pilot, app, r"Failures in run 4d6cc587: (\d+) invocations, (\d+) causes"
        )
        failures, causes = int(header.group(1)), int(header.group(2))
        assert causes < failures, "the same cause is one line with a count"
        text = screen_text(app)
        counts = [int(n) for n in re.findall(r"\u00d7(\d+) +failed \d\d:\d\d:\d\d", text)]
        assert counts and counts == sorted(counts, reverse=True), "the largest group first"
        assert "fix: Increase the step timeout" in text
        assert text.count("fix: Increase the step timeout") < failures, "each fix shown once"
        before = selected_short(app)
        await pilot.press("j", "enter")  # the second group's first failure
        await wait_for(pilot, lambda: "Failures in run" not in screen_text(app))
        after = selected_short(app)
        assert after != before
        assert re.search(r"✘ failed|⧗ timed out", row_line(app, after))


def seen_counts(app: Any) -> dict[str, str]:
    """Each failed row on screen (its short id) and the count beside its error (x3)."""
    rows = region_text(app, "#rows-pane").splitlines()
    found = (re.search(r"([0-9a-f]{8}) .*?(\u00d7\d+)", line) for line in rows)
    return {m[1]: m[2] for m in found if m}


async def test_e_leaves_the_tables_counts_as_they_were(frozen_gateway: GatewayServer) -> None:
    """The x3 beside a row counts the rows that say the same error; E groups by the failing
    step it reads, which may split them, and the table's counts stay what the rows say."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "z")  # the table, zoomed: more rows on screen
        await wait_for(pilot, lambda: len(seen_counts(app)) >= 3, what="counted failures")
        before = seen_counts(app)
        await pilot.press("E")
        await until_text(pilot, app, r"Failures in run 4d6cc587")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Failures in run" not in screen_text(app))
        await pilot.pause(0.3)
        assert seen_counts(app) == before


async def test_e_reads_a_batch_at_a_time_and_groups_the_rest_by_their_own_error(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every failure is in the list: those read in full by their failing step, the others
    below by their own error. E in the list reads the next batch; E opening it again shows
    what was read without reading more."""
    from tui.ui import viewer

    monkeypatch.setattr(viewer, "MAX_CAUSES", 8)
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 100)) as pilot:  # every group on screen
        await loaded(pilot, app)

        async def shown(read: int) -> int:
            header = rf"Failures in run 4d6cc587: (\d+) invocations, \d+ causes? in the {read} read"
            failures = int((await until_text(pilot, app, header))[1])
            text = screen_text(app)
            assert f"Not read in full yet ({failures - read})" in text, text
            assert f"E here reads {min(8, failures - read)} more" in text
            counts = [int(n) for n in re.findall(r"\u00d7(\d+) +failed \d", text)]
            assert sum(counts) == failures, "every failure in one group"
            return failures

        await pilot.press("E")
        failures = await shown(8)
        assert failures > 16
        await pilot.press("E")  # in the list: the next eight
        await shown(16)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Failures in run" not in screen_text(app))
        await pilot.press("E")  # opened again: what was read, nothing more
        await shown(16)
        await pilot.press("E")  # 21 failures: the last five
        await until_text(pilot, app, rf"Failures in run 4d6cc587: {failures} invocations, \d+ ")
        await pilot.pause(0.2)
        assert "Not read in full" not in screen_text(app)
        assert "E here reads" not in screen_text(app)


@pytest.mark.parametrize(
    ("beating", "reason"),
    [(True, "no progress while the heartbeat goes on"), (False, "heartbeat stopped")],
    ids=["heartbeat-goes-on", "heartbeat-stopped"],
)
async def test_a_live_invocation_that_stops_moving_is_marked_stalled(
    beating: bool, reason: str
) -> None:
    """Its progress stays put for more than 30 s of the app's clock: STALLED in the table
    and in the detail, saying since when; the connection stays LIVE (never OFFLINE)."""
    now = [time.time()]
    running = INVOCATION_IDS[4]
    beats = itertools.count()

    def heartbeat(body: Any, request: Request) -> Any:
        if isinstance(body, list):
            return [heartbeat(item, request) for item in body]
        if isinstance(body, dict):
            if beating and body.get("id") == running and "lastHeartbeatAt" in body:
                body["lastHeartbeatAt"] = f"2026-11-20T11:00:{next(beats) % 60:02d}.000Z"
            return {k: heartbeat(v, request) for k, v in body.items()}
        return body

    with HostileServer(dataset_routes(plausible_dataset(), transform=heartbeat)) as server:
        app = make_app(server, clock=lambda: now[0], interval=0.3)
        async with app.run_test(size=(140, 45)) as pilot:
            await loaded(pilot, app)
            await select_row(pilot, app, running)
            await pilot.pause(1.0)
            assert "STALLED" not in screen_text(app), "not before the time is up"
            now[0] += 40
            await until_text(pilot, app, rf"STALLED since \d\d:\d\d:\d\d: {reason}")
            table = region_text(app, "#rows-pane").splitlines()
            stalled = [line for line in table if "STALLED" in line]
            assert len(stalled) == 1 and "▶ running" in stalled[0], table
            assert "STALLED" in region_text(app, "#detail-pane")
            assert "LIVE" in status_bar(app) and "OFFLINE" not in status_bar(app)


async def test_zoom_jump_flip_and_follow_keys(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z zooms the focused pane and back; :run / :inv / :failed jump, and a jump to nothing
    says where it looked; O flips the order; f makes the cursor follow new rows (said in the
    pane title)."""
    toasts = record_toasts(monkeypatch)
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await until_text(pilot, app, r"▾ ✘ #\d+")
        await pilot.press("tab", "z")
        await pilot.pause(0.1)
        zoomed = screen_text(app)
        assert "Runs (5)" not in zoomed and "▾ ✘ #" not in zoomed, "the table alone"
        assert zoomed.count("│") > 70, "the table has the screen's height"
        await pilot.press("tab")  # the focus moves on: the zoom goes with it
        await wait_for(pilot, lambda: "shown ·" not in screen_text(app), what="the detail zoomed")
        zoomed = screen_text(app)
        assert "▾ ✘ #" in zoomed and "Runs (5)" not in zoomed
        await pilot.press("z")
        await wait_for(pilot, lambda: "Runs (5)" in screen_text(app), what="all three panes")
        assert "▾ ✘ #" in screen_text(app)

        await pilot.press("colon", *"run 121a", "enter")
        await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"))
        await until_text(pilot, app, r"▾ ✘ #1 page\.goto")
        await pilot.press("colon", *"inv 505c", "enter")
        await wait_for(pilot, lambda: selected_short(app) == "505cc21c")
        await pilot.press("colon", *"failed", "enter")
        await wait_for(
            pilot,
            lambda: (
                "✘ failed" in row_line(app, selected_short(app))
                or "⧗ timed out" in row_line(app, selected_short(app))
            ),
        )

        async def said(where: str) -> str:
            count = len(toasts)
            await pilot.press("colon", *where, "enter")
            await wait_for(pilot, lambda: len(toasts) > count, what=f"what :{where} says")
            return toasts[-1].message

        said_of = await said("nothing-here")
        assert said_of.startswith(
            "Nothing starts with 'nothing-here' in the runs listed or this run's invocations"
        ), said_of
        # An invocation of another run (a user trial: 'Nothing here starts with 9d3a'
        # did not say that only this run's invocations were looked in).
        await pilot.press("colon", *"run 4d6c", "enter")
        await wait_for(pilot, lambda: "run 4d6cc587" in pane(app, "rows"))
        said_of = await said("inv 505c")
        assert said_of.startswith(
            "Nothing starts with '505c' in this run's invocations (to jump to another run's"
        ), said_of
        await pilot.press("colon", *"run 121a", "enter")
        await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"))

        first = app.viewer.table.row_keys_in_order[0]
        await pilot.press("O")
        await wait_for(pilot, lambda: app.viewer.table.row_keys_in_order[-1] == first)
        await pilot.press("O")
        await wait_for(pilot, lambda: app.viewer.table.row_keys_in_order[0] == first)

        await pilot.press("f")
        await wait_for(pilot, lambda: "following new" in pane(app, "rows"))
        assert app.viewer.table.cursor_row == 0, "on the newest row"
        await pilot.press("f")
        await wait_for(pilot, lambda: "following new" not in pane(app, "rows"))


async def test_t_shows_the_run_as_a_waterfall_and_the_detail_follows(
    frozen_gateway: GatewayServer,
) -> None:
    """t: bars on one axis (said in the pane title), the critical path marked; j moves the
    cursor and the detail follows; t again brings the reasons back."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await open_failed_run(pilot, app)  # finished
        await until_text(pilot, app, r"▾ ✘ #1 page\.goto")
        await pilot.press("t")
        await wait_for(pilot, lambda: "timeline" in pane(app, "rows"))
        title = pane(app, "rows")
        assert re.search(r"timeline \d\d:\d\d:\d\d → \d\d:\d\d:\d\d \(\S+\) · ◆ critical", title)
        assert "→ now" not in title, "a finished run has no now line"
        table = region_text(app, "#rows-pane")
        assert "error / reason" not in table and "timeline" in table
        bars = [line for line in table.splitlines() if "█" in line]
        assert len(bars) >= 5 and any("◆" in line for line in bars)
        before = selected_short(app)
        await pilot.press("j")
        await wait_for(pilot, lambda: selected_short(app) != before)
        assert "█" in row_line(app, selected_short(app)), "the cursor is on a bar"
        await pilot.press("t")
        await wait_for(pilot, lambda: "error / reason" in region_text(app, "#rows-pane"))
        assert "timeline" not in pane(app, "rows")


async def test_the_timeline_of_a_live_run_has_a_now_line_and_works_in_ascii(
    frozen_gateway: GatewayServer,
) -> None:
    app = frozen(frozen_gateway, ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t")
        await wait_for(pilot, lambda: "timeline" in pane(app, "rows"))
        assert "→ now" in pane(app, "rows")
        table = region_text(app, "#rows-pane")
        assert table.isascii(), sorted({c for c in table if not c.isascii()})
        assert "#" in table and "|" in table


async def test_the_timeline_is_drawn_again_at_the_new_width(
    frozen_gateway: GatewayServer,
) -> None:
    """A terminal resized (an SSH window, tmux's pane) or the table zoomed: the bars fill
    the new width (a user trial: widened from 80 to 160 columns, the waterfall kept to its
    old 25 columns; shrunk and widened again, every bar was cut with ~)."""
    app = frozen(frozen_gateway)

    def now_lines() -> set[int]:
        """The columns of the screen where the rows on it draw the axis's now line."""
        lines = region_text(app, "#rows-pane").splitlines()
        return {line.rfind("┊") for line in lines if "┊" in line}

    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "t")
        await wait_for(pilot, lambda: "timeline" in pane(app, "rows"))
        await wait_for(pilot, lambda: len(now_lines()) == 1, what="one now line")
        (at_80,) = now_lines()
        assert 60 < at_80 < 80, at_80
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: min(now_lines()) > 140, what=f"160 columns: {now_lines()}")
        assert len(now_lines()) == 1, now_lines()
        await pilot.resize_terminal(70, 20)
        await pilot.pause(0.2)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: now_lines() == {at_80}, what=f"80 again: {now_lines()}")
        rows = [line for line in region_text(app, "#rows-pane").splitlines() if "┊" in line]
        assert len(rows) == 5 and not any(line.rstrip("│ ").endswith("…") for line in rows)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_failures_stay_the_brightest_text_under_no_color(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    """NO_COLOR makes colours greys by brightness, and red is among the darkest: failures
    are then drawn in the text's own colour, bold, never dimmer than plain text."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        table = app.viewer.table

        def brightness(component: str | None) -> float:
            style = table.rich_style if component is None else table.style_for(component)
            assert style.color is not None
            r, g, b = style.color.get_truecolor()
            return 0.2126 * r + 0.7152 * g + 0.0722 * b

        text = brightness(None)
        for component in ("badge--failed", "badge--timed_out", "keyed-table--error"):
            bright = brightness(component) >= text - 1
            assert bright == no_color, f"{component}: {brightness(component):.0f} vs {text:.0f}"
            if no_color:
                assert table.style_for(component).bold


async def test_the_card_counts_what_the_table_shows_while_statuses_move() -> None:
    """The card's counts are kept row by row as pages and followed rows arrive (a pass over
    every row per page stalled a 100,000-row load): after a world at 4x speed has moved for
    a while, they still add up to exactly what the table shows."""
    from collections import Counter

    from tui.sim.server import GatewayOptions

    from .viewer_helpers import cell, send_keys

    with GatewayServer(GatewayOptions(scenario="demo", speed=4.0)) as server:
        app = make_app(server, interval=0.3)
        async with app.run_test(size=(160, 48)) as pilot:
            screen = await loaded(pilot, app)
            send_keys(app, "tab")
            for _ in range(12):  # rows arrive, start, finish; the cursor walks over them
                send_keys(app, "j")
                await pilot.pause(0.25)
            await pilot.press("p", "z")  # paused, and the table's pane as wide as the screen
            await pilot.pause(1.0)
            keys = screen.table.row_keys_in_order
            shown = Counter(cell(app, key, "status").split(" ", 1)[1] for key in keys)
            card = region_text(app, "#group-card")
            assert f"{len(keys)} invocations" in card, card
            failed = sum(shown[word] for word in ("failed", "timed out"))
            assert (f"{failed} failure" in card) == bool(failed), card
            counted = dict(
                (word, int(n))
                for n, word in re.findall(
                    r"(\d+) ([a-z][a-z ]*?)(?= · |\s*$)", card.splitlines()[-1]
                )
            )
            assert counted == dict(shown), (card, shown)


async def test_under_a_text_filter_the_card_says_how_many_of_the_rows_it_shows(
    frozen_gateway: GatewayServer,
) -> None:
    app = frozen(frozen_gateway)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab", "slash", *"timeout", "enter", "z")
        await wait_for(pilot, lambda: "/timeout" in pane(app, "rows"))
        counted = re.search(r"(\d+) of (\d+) shown", pane(app, "rows"))
        assert counted is not None and int(counted[1]) == screen.table.row_count
        shown, total = counted.groups()
        assert f"{shown} of {total} invocations shown" in region_text(app, "#group-card")


async def test_e_tries_again_the_failures_it_could_not_read(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that fails (a 429, a timeout) does not count as read in full: the failure stays
    among those not read yet, the list says how many could not be read, and E tries again."""
    from tui.core.errors import RateLimited

    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 100)) as pilot:
        await loaded(pilot, app)
        source = app.viewer.source
        follow = source.follow
        refused: set[str] = set()

        async def flaky(key: str, known: Any) -> Any:
            if len(refused) < 3 and key not in refused:
                refused.add(key)
                raise RateLimited("slow down")
            async for update in follow(key, known):
                yield update

        monkeypatch.setattr(source, "follow", flaky)
        await pilot.press("E")
        found = await until_text(
            pilot, app, r"Failures in run 4d6cc587: (\d+) invocations, .* in the (\d+) read"
        )
        failures, read = int(found[1]), int(found[2])
        text = screen_text(app)
        assert read == failures - 3 and "3 could not be read (E tries again)" in text, text
        assert "Not read in full yet (3)" in text
        await pilot.press("E")  # in the list: the three again, read this time
        await until_text(
            pilot, app, rf"Failures in run 4d6cc587: {failures} invocations, \d+ causes +│"
        )
        await pilot.pause(0.2)
        assert "Not read in full" not in screen_text(app)
        assert "could not be read" not in screen_text(app)


async def test_e_read_for_a_run_the_user_left_is_not_shown_over_another(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E's reads take a while; a user who moves to another run meanwhile does not get the
    first run's failures titled with the second run's name."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        source = app.viewer.source
        follow = source.follow

        async def slow(key: str, known: Any) -> Any:
            await asyncio.sleep(0.2)
            async for update in follow(key, known):
                yield update

        monkeypatch.setattr(source, "follow", slow)
        await pilot.press("E", "j")  # the reads start; the run list's cursor moves on
        await wait_for(pilot, lambda: "run 4d6cc587" not in pane(app, "rows"), what="another run")
        await pilot.pause(3.0)  # the reads are over (21 at 4 at a time)
        assert "Failures in" not in screen_text(app)


async def test_n_in_the_run_list_goes_by_failures_and_says_when_one_run_has_them(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """n in the run list visits every run with failures, the active ones with failed
    invocations as well as the failed one, before any is visited: the viewer counts the
    listed runs' failures (bctrl's run records do not; a user trial: n skipped the active
    run with 30 failures, whose fail column was blank). On the only run with failures, it
    says so instead of doing nothing."""
    from tui.sim.server import GatewayOptions

    toasts = record_toasts(monkeypatch)
    app = frozen(frozen_gateway)
    world = frozen_gateway.world
    failing = {run.id[:8] for run in world.runs if run.id[:8] != "66843832"}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)

        def fails() -> dict[str, str]:
            groups = screen.groups
            return {
                k[:8]: str(groups.get_cell(k, "failed")).strip() for k in groups.row_keys_in_order
            }

        want = {"4d6cc587": "21", "67d4e2e8": "30", "c71c4149": "10", "121a2084": "5"}
        await wait_for(pilot, lambda: fails().items() >= want.items(), what=f"counts {fails()}")
        assert fails()["66843832"] in ("", "0"), fails()
        visited = []
        for _ in range(5):
            await pilot.press("n")  # the run list has the focus at launch
            await pilot.pause(0.1)
            visited.append((screen.groups.selected_key or "")[:8])
        assert set(visited) == failing == set(want), visited
        assert {t.message for t in toasts} == {"Wrapped around to the top of the list."}
    with GatewayServer(GatewayOptions(scenario="ci", speed=20.0)) as ci:
        red = ci.world.runs[1].id
        app = make_app(ci, interval=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot, app)
            await until_text(pilot, app, rf"✘ failed +{red[:8]}")
            await pilot.press("n")
            await wait_for(pilot, lambda: f"run {red[:8]}" in pane(app, "rows"))
            await pilot.press("n")
            await wait_for(pilot, lambda: bool(toasts), what="a toast")
            assert toasts[-1].message == "No other run with failures listed: this is the only one."


async def test_n_walks_the_failures_in_the_order_they_happened(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The viewer lands on a run's first failure; n goes to the second, in time, whichever
    way the table is sorted (a user trial: newest first, n from the first failure went down,
    round to the newest one, skipping the other three, and said nothing). Past the last,
    n says it wrapped."""
    toasts = record_toasts(monkeypatch)
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await open_failed_run(pilot, app)  # on its first failure
        await wait_for(pilot, lambda: "run 121a2084" in pane(app, "rows"), what="the run")
        await rows_loaded(pilot, app)
        table = screen.table

        def failures() -> list[str]:
            """The failed and timed-out rows, in the order they happened."""
            rows = [k for k in table.row_keys_in_order if re.search("failed|timed", cell(k))]
            return rows[::-1] if screen.newest_first else rows

        def cell(key: str) -> str:
            return str(table.get_cell(key, "status"))

        first = failures()[0]
        await wait_for(pilot, lambda: table.selected_key == first, what="the first failure")
        await pilot.press("tab")  # into the table
        for order in ("newest first", "oldest first"):
            in_time = failures()
            assert len(in_time) == 5 and in_time[0] == first, (order, in_time)
            for _ in range(len(in_time) + 1):  # round once, and one more
                at = in_time.index(table.selected_key or "")
                await pilot.press("n")
                assert table.selected_key == in_time[(at + 1) % 5], (order, at, in_time)
                if at == 4:
                    assert toasts[-1].message == "Wrapped around to the first failure."
            assert table.selected_key == in_time[1]
            await pilot.press("N", "N")
            assert table.selected_key == in_time[-1]
            assert toasts[-1].message == "Wrapped around to the last failure."
            await pilot.press("n")  # back on the first
            await pilot.press("O")  # the other order: the same walk
            await wait_for(pilot, lambda: "first" in toasts[-1].message, what="the order")


def detail_of(app: Any) -> str:
    """The short id the detail pane shows."""
    found = re.search(r"(?:Invocation|Tool call) (\S+)", pane(app, "detail"))
    return found[1] if found else ""


async def test_a_filter_keeps_the_cursor_on_the_row_chosen_whenever_it_shows_it(
    frozen_gateway: GatewayServer,
) -> None:
    """A user trial: on an `observe` row, `a` until `action: observe` put the cursor on
    the first failure. The row chosen stays under the cursor through every filter that
    shows it, even after filters that hid it, until the user moves."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await rows_loaded(pilot, app)
        table = screen.table
        chosen = next(
            k
            for k in table.row_keys_in_order
            if str(table.get_cell(k, "name")) == "observe"
            and "succeeded" in str(table.get_cell(k, "status"))
        )
        await pilot.press("colon", *f"inv {chosen[:6]}", "enter")
        await wait_for(pilot, lambda: detail_of(app) == chosen[:8], what="the row chosen")
        for _ in range(10):  # round the actions, back to none
            await pilot.press("a")
            await rows_loaded(pilot, app)
            await pilot.pause(0.2)
            if "action: observe" in pane(app, "rows"):
                assert detail_of(app) == chosen[:8], "shown again: under the cursor again"
            if "action:" not in pane(app, "rows"):
                break
        assert detail_of(app) == chosen[:8]
        # F (failures only) hides it; F again shows every row: the row is chosen again.
        await pilot.press("F")
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: detail_of(app) != chosen[:8], what="another row")
        await pilot.press("F")
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: detail_of(app) == chosen[:8], what="the row again")
        # A move of the user's own: the next filter keeps that row, not the old one.
        await pilot.press("j")
        moved = table.selected_key or ""
        await pilot.press("F", "F")
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: table.selected_key == moved, what="the row moved to")


async def test_a_status_filter_keeps_the_groups_own_counts_on_its_card(
    frozen_gateway: GatewayServer,
) -> None:
    """A user trial: `s` queued (none) left the card with no counts; `F` said "5
    invocations shown". The card says how many of the run's rows are shown, and the run's
    failures, whatever the filter; its counts line keeps one order."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await rows_loaded(pilot, app)
        card = lambda: region_text(app, "#group-card")  # noqa: E731
        assert "18 invocations, 5 failures" in card()
        assert "2 failed · 3 timed out · 4 cancelled · 9 succeeded" in card(), card()
        await pilot.press("F")
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: "of 18" in card(), what="the card under F")
        shown = screen.table.row_count
        assert f"{shown} of 18 invocations shown, 5 failures" in card(), card()
        await pilot.press("F", "s")
        await until_text(pilot, app, "Show statuses")
        await pilot.press("space", "enter")  # the first status only: queued, none here
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: "0 of 18" in card(), what="the card under s")
        assert "0 of 18 invocations shown, 5 failures" in card(), card()


async def test_n_in_the_detail_says_when_it_is_on_the_only_failed_step(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user trial: n and N in the detail of an invocation with one failed step said
    nothing, though the README says n says so on the only one (as the tables' n does)."""
    toasts = record_toasts(monkeypatch)
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await rows_loaded(pilot, app)
        await wait_for(pilot, lambda: "final" in pane(app, "detail"), what="its record")
        await pilot.press("tab", "enter")  # into the first failure's detail: one failed step
        assert screen.body.has_focus_within
        await pilot.press("n")
        assert (
            toasts[-1].message == "No other failed step in this invocation: this is the only one."
        )
        await pilot.press("N")
        assert toasts[-2].message == toasts[-1].message


async def test_colon_failed_goes_to_the_first_failure_in_time_whichever_the_order(
    frozen_gateway: GatewayServer,
) -> None:
    """A user trial: `:failed` went to the newest failure, newest first, and to the oldest
    after `O`; the landing and n take the first in the order they happened."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await open_failed_run(pilot, app)
        await rows_loaded(pilot, app)
        first = screen.table.selected_key or ""  # the landing: the first failure
        await pilot.press("tab", "g")
        assert screen.table.selected_key != first
        for _ in range(2):
            await pilot.press("colon", *"failed", "enter")
            await wait_for(pilot, lambda: detail_of(app) == first[:8], what="the first")
            await pilot.press("O", "g")
            assert screen.table.selected_key != first


async def test_a_move_of_the_users_stops_following_new_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A user trial: after `f`, `j j` moved the cursor, and the next new row took it back
    to the newest row, away from the row being read. A move of the user's own stops the
    following (as less +F's does), and says so; `f` follows again."""
    toasts = record_toasts(monkeypatch)
    now = [FROZEN_NOW]
    world = World("demo", seed=7, clock=lambda: now[0])
    with GatewayServer(world=world) as server:
        app = make_app(server, interval=0.2, clock=lambda: now[0])
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)  # the active run, selected first
            table = screen.table
            await pilot.press("tab", "f")
            await wait_for(pilot, lambda: "following new" in pane(app, "rows"), what="f")
            await pilot.press("j", "j")
            await wait_for(pilot, lambda: "following new" not in pane(app, "rows"), what="stop")
            assert any("not following new rows (f follows)" in t.message for t in toasts)
            moved, count = table.selected_key, table.row_count
            now[0] += 120  # new invocations start
            world.advance()
            await wait_for(pilot, lambda: table.row_count > count, what="new rows")
            await pilot.pause(0.3)
            assert table.selected_key == moved, "the cursor stayed on the row moved to"
            await pilot.press("f")  # following again: the newest row
            await wait_for(pilot, lambda: table.cursor_row == 0, what="the newest row")
            assert "following new" in pane(app, "rows")


@pytest.mark.parametrize("size", SIZES)
async def test_a_narrow_table_says_why_a_row_failed_not_its_code(
    frozen_gateway: GatewayServer, size: tuple[int, int]
) -> None:
    """A user trial: at 80 columns the error column held `invocation.step_fa…`, never the
    step that failed. Narrow, it says the message alone (the code is in the detail);
    wide, the code and the message."""
    app = frozen(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        times = "\u00d7"  # before a count of the failures with one cause

        def failed() -> list[str]:
            return [x for x in screen_text(app).splitlines() if re.search(rf"{times}\d", x)]

        await wait_for(pilot, failed, what="a failed row with its count")
        line = failed()[0]
        if size[0] < 100:
            assert re.search(rf"{times}\d+ [A-Z]", line), line  # `x5 Step 1 (page.goto) failed`
        else:
            assert re.search(rf"{times}\d+ invocation\.\w+ · [A-Z]", line), line
