"""The Kernel flow in the viewer, driven with Pilot against the gateway over loopback."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.config import load_memory
from tui.providers.kernel import client as kernel_client
from tui.providers.kernel.client import KernelClient
from tui.providers.kernel.models import log_line
from tui.sim.faults import FaultConfig
from tui.sim.server import GatewayOptions, GatewayServer
from tui.sim.world import World
from tui.ui.app import RunwatchApp

from .conftest import FROZEN_NOW
from .hostile_server import Dataset, HostileServer, dataset_routes
from .viewer_helpers import (
    CONTROL,
    cell,
    loaded,
    make_app,
    pane,
    record_bells,
    record_toasts,
    region_text,
    rows_loaded,
    rows_where,
    screen_lines,
    screen_text,
    select_group,
    select_row,
    status_bar,
    until_text,
    wait_for,
)

KEY = "kernel-key"


@pytest.fixture
def kgateway() -> Iterator[GatewayServer]:
    with GatewayServer(
        GatewayOptions(scenario="demo", speed=3.0, token=KEY),
        faults=FaultConfig(rate=0.0, retry_after=1.0, cut_after=5),
    ) as server:
        yield server


def kernel_app(server: GatewayServer | HostileServer, key: str = KEY) -> RunwatchApp:
    return make_app(server, provider="kernel", key=key, interval=0.5)


def log_of(app: RunwatchApp) -> list[str]:
    """The lines the detail's log shows."""
    return list(app.viewer.body.log_view.lines)  # type: ignore[attr-defined]


def log_title(app: RunwatchApp) -> str:
    return str(app.viewer.body.log_view.border_title)  # type: ignore[attr-defined]


async def whole_log(gateway: GatewayServer, invocation_id: str) -> list[str]:
    """A finished invocation's whole log, read again in one piece, as the viewer shows it."""
    async with KernelClient(KEY, gateway.url) as api:
        lines = []
        async for event in api.stream(invocation_id, None):
            frame = json.loads(event.data) if event.event != "comment" else {}
            if frame.get("event") == "log":
                lines.append(log_line(frame["timestamp"], frame["message"]))
        return lines


async def live_invocation(
    pilot: Pilot[None], app: RunwatchApp, gateway: GatewayServer, left: float = 2.0
) -> str:
    """Select an app version with a running invocation; the one that runs longest, with at
    least ``left`` real seconds of its run to come."""
    groups = app.viewer.groups
    for _ in range(80):
        for key in groups.row_keys_in_order:
            if "running" not in str(groups.get_cell(key, "status")):
                continue
            await select_group(pilot, app, key)
            live = rows_where(app, "status", "running")
            world = gateway.kernel
            assert world is not None
            ends = {k: plan.terminal_at for k in live if (plan := world.invocation(k))}
            if ends:
                longest = max(ends, key=ends.__getitem__)
                # Seconds of its run to come: enough to see lines arrive while following.
                if world.real_seconds(ends[longest] - world.advance()) > left:
                    return longest
        await pilot.pause(0.3)
    raise AssertionError("no app version with a live invocation")


async def test_apps_are_grouped_by_version_and_the_table_shows_one_group(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        keys = screen.groups.row_keys_in_order
        assert "web-scraper@1.4.2" in keys and "web-scraper@1.5.0-rc.1" in keys
        assert len(keys) == len(set(keys)) == 5
        for index in (0, 3):
            wanted = keys[index]
            app_name, version = wanted.split("@")
            await select_group(pilot, app, wanted)
            assert f"app version {app_name} {version}" in pane(app, "rows")
            shown = screen.table.row_keys_in_order
            assert shown
            for key in shown:
                plan = kgateway.kernel.invocation(key)
                assert plan is not None and (plan.app.name, plan.app.version) == (app_name, version)
            assert str(screen.groups.get_cell(wanted, "kind")) == version
        frame = screen_text(app)
        for header in ("status", "action", "id", "time", "took", "error / reason", "version"):
            assert header in frame
        assert "kernel ·" in status_bar(app) and "LIVE" in status_bar(app)


async def test_a_running_invocations_log_streams_and_finishes_with_a_toast(
    kgateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = kernel_app(kgateway)
    bells = record_bells(app)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await loaded(pilot, app)
        # Time for lines to arrive after the first two are seen, on a loaded machine too
        # (with 2 s left, all of them sometimes came before).
        live = await live_invocation(pilot, app, kgateway, left=5.0)
        await pilot.press("tab")
        screen.table.select_key(live)
        await pilot.press("enter")
        assert app.focused is screen.body.doc, "enter on a row opens its fields"
        await wait_for(pilot, lambda: f"Invocation {live[:8]}" in pane(app, "detail"))
        await wait_for(pilot, lambda: len(log_of(app)) >= 2, what="log lines")
        seen = len(log_of(app))
        assert "following" in log_title(app)
        await wait_for(pilot, lambda: "complete" in log_title(app), timeout=40, what="the end")
        lines = log_of(app)
        assert len(lines) > seen, "lines arrived while following"
        assert f"log · {len(lines)} lines · complete" in log_title(app)
        await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
        await wait_for(pilot, lambda: bells, what="the bell")
        assert any(t.title == "Invocation finished" and live[:8] in t.message for t in toasts)
        word = kgateway.kernel.invocation(live).outcome  # type: ignore[union-attr]
        detail = region_text(app, "#detail-pane")
        if word == "failed":  # failure first: the detail went to why, as the table says
            assert re.search(r"reason  \S", detail), detail
            assert cell(app, live, "status") == "✘ failed"
        else:
            assert re.search(rf"✔ {word}", detail), detail
        assert "final · never refetched" in screen_text(app)


async def test_the_log_sticks_to_the_bottom_until_scrolled_back(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(100, 28)) as pilot:
        screen = await loaded(pilot, app)
        live = await live_invocation(pilot, app, kgateway)
        await pilot.press("tab")
        screen.table.select_key(live)
        await pilot.press("enter", "tab")  # the fields, then the log below them
        log = screen.body.log_view  # type: ignore[attr-defined]
        assert app.focused is log
        await wait_for(pilot, lambda: log.max_scroll_y > 0, timeout=40, what="a full pane")
        await wait_for(pilot, lambda: log.is_vertical_scroll_end, what="stuck to the bottom")
        assert "following" in log_title(app)
        await pilot.press("home")
        await wait_for(pilot, lambda: log.scroll_y == 0, what="scrolled to the top")
        before = log.line_count
        await wait_for(
            pilot,
            lambda: log.line_count > before or "complete" in log_title(app),
            timeout=40,
            what="more lines",
        )
        await pilot.pause(0.3)
        assert log.scroll_y == 0, "scrollback is kept while new lines arrive"
        assert re.search(r"scrolled back · G follows|complete", log_title(app))
        await pilot.press("G")
        await wait_for(pilot, lambda: log.is_vertical_scroll_end, what="following again")


async def test_finished_logs_are_never_streamed_again_and_live_ones_resume_without_repeats(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        live = await live_invocation(pilot, app, kgateway)
        done = rows_where(app, "status", "succeeded|failed")[0]
        await pilot.press("tab")
        screen.table.select_key(done)
        await wait_for(pilot, lambda: "complete" in log_title(app), what="the finished log")
        await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
        screen.table.select_key(live)
        await wait_for(pilot, lambda: f"Invocation {live[:8]}" in pane(app, "detail"))
        await wait_for(pilot, lambda: len(log_of(app)) >= 1, what="a live line")
        screen.table.select_key(done)
        await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
        await pilot.pause(0.5)
        screen.table.select_key(live)
        await wait_for(pilot, lambda: f"Invocation {live[:8]}" in pane(app, "detail"))
        await wait_for(pilot, lambda: "complete" in log_title(app), timeout=40)
        events = [p for _, p in kgateway.faults.requests if p == f"/invocations/{done}/events"]
        assert len(events) == 1, "a finished invocation's log is read once"
        shown = log_of(app)
        assert f"log · {len(shown)} lines · complete" in log_title(app)
        # The whole log once more, straight from the API: the viewer's copy is identical.
        assert shown == await whole_log(kgateway, live)


async def test_a_cut_stream_resumes_in_the_viewer_without_losing_or_repeating_lines(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        live = await live_invocation(pilot, app, kgateway)
        done = rows_where(app, "status", "succeeded|failed")[0]
        await pilot.press("tab")
        screen.table.select_key(done)  # the first row was being followed: leave it
        await wait_for(pilot, lambda: f"Invocation {done[:8]}" in pane(app, "detail"))
        # The next connection to the live log breaks after its state and first line.
        kgateway.faults.cut_after = 2
        kgateway.faults.force("cut", 1, f"/invocations/{live}/events$")
        screen.table.select_key(live)
        await wait_for(pilot, lambda: f"Invocation {live[:8]}" in pane(app, "detail"))
        await wait_for(pilot, lambda: "complete" in log_title(app), timeout=40)
        assert kgateway.faults.injected == 1, "the stream was cut"
        assert "resumed x1" in log_title(app)
        assert log_of(app) == await whole_log(kgateway, live)


async def test_faults_keep_rows_and_say_so_then_recover(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        rows = set(screen.table.row_keys_in_order)
        kgateway.faults.force("503", 12, "/invocations$")
        await wait_for(pilot, lambda: "HTTP 503" in pane(app, "rows"), timeout=20)
        assert re.search(r"RETRYING|OFFLINE", status_bar(app))
        assert rows <= set(screen.table.row_keys_in_order), "the last rows stay on screen"
        assert "503" in screen_text(app)
        kgateway.faults.clear()
        await wait_for(pilot, lambda: "LIVE" in status_bar(app), timeout=40)


async def test_a_rejected_key_is_said_plainly(kgateway: GatewayServer) -> None:
    app = kernel_app(kgateway, key="wrong-kernel-key-777")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_text(pilot, app, "API KEY REJECTED")
        await until_text(pilot, app, "API key rejected · HTTP 401")
        assert "wrong-kernel-key-777" not in screen_text(app)


HOSTILE = {
    "id": "hostile-1",
    "app_name": "[bold]app[/bold]",
    "version": "\x1b]0;pwned\x07v1",
    "action_name": "act\u202eexe",
    "started_at": "2026-01-01T00:00:00Z",
    "finished_at": "2026-01-01T00:00:05Z",
    "status": "exploded",
    "payload": "{not json [red]x[/red]",
    "output": '{"html": "<b>[i]x[/i]</b>", "n": 1}',
    "status_reason": "\x9b2J[link=http://evil]click[/link]",
}


async def test_hostile_kernel_text_displays_literally() -> None:
    data = Dataset(
        [],
        {},
        {"hostile-1": HOSTILE},
        {"hostile-1": [("2026-01-01T00:00:00.500000000Z", "\x1b[31mred\x1b]2;t\x07 [b]x[/b]")]},
    )
    with HostileServer(dataset_routes(data)) as server:
        app = kernel_app(server)  # type: ignore[arg-type]
        async with app.run_test(size=(140, 80)) as pilot:
            screen = await loaded(pilot, app)
            group = "[bold]app[/bold]@" + HOSTILE["version"]
            assert screen.groups.row_keys_in_order == [group]
            assert str(screen.groups.get_cell(group, "name")).strip() == "[bold]app[/bold]"
            assert str(screen.groups.get_cell(group, "kind")) == "v1"
            await pilot.press("tab")
            await wait_for(pilot, lambda: "log · 1 line · following" in log_title(app))
            await until_text(pilot, app, r"not JSON, shown as sent")
            frame = screen_text(app)
            detail = region_text(app, "#detail-pane")
            assert "[bold]app[/bold]" in frame and "[link=http://evil]click[/link]" in frame
            assert "{not json [red]x[/red]" in detail
            assert re.search(r"duration  5\.0s +│", detail), "an unknown status that ended"
            assert "(running)" not in detail
            assert "[i]x[/i]" in detail
            assert cell(app, "hostile-1", "status") == "? exploded", "the neutral badge"
            assert "? exploded" in frame
            assert log_of(app) == ["00:00:00.500  red [b]x[/b]"]
            assert "00:00:00.500  red [b]x[/b]" in detail
            assert "pwned" not in frame and "[31m" not in frame
            assert not CONTROL.search(frame)


def test_log_lines_drop_escapes_and_keep_the_clock() -> None:
    line = log_line("2026-01-01T12:34:56.789123456Z", "\x1b[33mwarn\x1b[0m slow\x07 \x1b]0;t\x07ok")
    assert line == "12:34:56.789  warn slow  ok"  # the bell became a space
    assert log_line("not a time", "m") == "not a time  m"


async def test_pinning_an_app_version_moves_it_first_and_is_remembered(
    kgateway: GatewayServer,
) -> None:
    app = kernel_app(kgateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        groups = screen.groups
        last = groups.row_keys_in_order[-1]
        assert "@" in last, "an app version's key is app@version"
        groups.select_key(last)
        await pilot.press("P")
        await wait_for(pilot, lambda: groups.row_keys_in_order[0] == last)
        assert str(groups.get_cell(last, "name")).startswith("◆ ")
        assert groups.selected_key == last, "the cursor stays on the pinned row"
        await rows_loaded(pilot, app)
        await app.action_quit()
    assert app.final_memory is not None and app.final_memory.pinned == [last]


async def test_old_app_version_pins_are_migrated_and_shown_first(
    kgateway: GatewayServer, tmp_path: Path
) -> None:
    """Kernel pins were ``app<US>version`` before they were ``app@version``."""
    state = tmp_path / "state.json"
    old = {f"-@{kgateway.url}": {"pinned": ["login-bot\x1f2.0.0"], "interval": 0.5}}
    state.write_text(json.dumps(old), encoding="utf-8")
    memory = load_memory(None, kgateway.url, state)
    assert memory.pinned == ["login-bot@2.0.0"]
    app = make_app(kgateway, provider="kernel", key=KEY, pinned=memory.pinned)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.groups.row_keys_in_order[0] == "login-bot@2.0.0"
        assert str(screen.groups.get_cell("login-bot@2.0.0", "name")).startswith("◆ login-bot")
        # the pin is named by its key until its record arrives
        await wait_for(pilot, lambda: "app version login-bot 2.0.0" in pane(app, "rows"))
        assert screen.table.row_count > 0


async def test_a_cycles_the_actions_this_app_version_has_run(kgateway: GatewayServer) -> None:
    """Kernel's actions belong to an app: ``a`` steps through the ones this version ran (it
    went through every app's actions seen so far, to filters that could match nothing)."""
    app = kernel_app(kgateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        keys = screen.groups.row_keys_in_order
        for key in keys:  # every version seen, so every app's actions are known
            await select_group(pilot, app, key)
        await select_group(pilot, app, keys[0])
        ran = {cell(app, row, "name") for row in screen.table.row_keys_in_order}
        await pilot.press("tab")
        cycled = []
        for _ in range(len(ran) + 1):
            await pilot.press("a")
            found = re.search(r"action: ([^ ·|]+)", pane(app, "rows"))
            if found is None:
                break  # back to every action
            cycled.append(found[1])
        assert cycled and set(cycled) == ran, (cycled, ran)


async def test_a_short_invocation_id_on_the_command_line_opens_that_invocation(
    kgateway: GatewayServer,
) -> None:
    """``runwatch --provider kernel 6x1tf0ye``: the first characters the table shows open
    that invocation in its app version, and the list has no group named by them."""
    async with KernelClient(KEY, kgateway.url) as api:
        reply = await api.invocations([], None)
    invocation = reply.data[0]["id"]
    short = invocation[:8]
    app = make_app(kgateway, provider="kernel", key=KEY, pinned=[short])
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: f"Invocation {short}" in pane(app, "detail"))
        await wait_for(pilot, lambda: app.viewer.groups.row_count > 1, what="the app list")
        assert short not in app.viewer.groups.row_keys_in_order


LISTED = re.compile(r"web-scraper +(\S+) +\S+ +(\d+) ")
"""A web-scraper row of the app list: its version and rows."""


async def test_the_start_of_an_app_name_on_the_command_line_opens_that_app(
    kgateway: GatewayServer,
) -> None:
    """As watch takes it (a user trial: ``runwatch --provider kernel price`` pinned an app
    called 'price' with no invocations): the start of one app's name opens that app, every
    version (one or several); the start of ``APP@VERSION``, that version. A recording of
    ``watch price`` replays on what watch read."""
    app = make_app(kgateway, provider="kernel", key=KEY, pinned=["price", "invoice-agent@0.9"])
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: "price-watch" in pane(app, "rows"), what="price")
        await wait_for(pilot, lambda: app.viewer.groups.row_count > 3, what="the app list")
        keys = app.viewer.groups.row_keys_in_order
        assert keys[:2] == ["price-watch", "invoice-agent@0.9.1"], keys
    app = make_app(kgateway, provider="kernel", key=KEY, pinned=["web"])
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: app.viewer.groups.row_count > 2, what="the app list")
        await wait_for(pilot, lambda: "web-scraper" in pane(app, "rows"), what="the app")
        keys = app.viewer.groups.row_keys_in_order
        assert "web" not in keys and keys[0] == "web-scraper", keys
        # The app, every version: counted as its versions are (it said '? —', no version).
        line = lambda: next(x for x in screen_lines(app) if "◆ web-scraper" in x)  # noqa: E731
        await wait_for(pilot, lambda: re.search(r"[▶✘✔] \w+ +◆ web-scraper +all ", line()))

        def counted() -> bool:  # the app's rows are its versions' (one screen, one round)
            listed = [(m[1], int(m[2])) for x in screen_lines(app) if (m := LISTED.search(x))]
            every = [n for version, n in listed if version == "all"]
            return len(listed) == 3 and every == [sum(n for v, n in listed if v != "all")]

        await wait_for(pilot, counted, what="the app counted as its versions")
        await pilot.pause(1.0)  # more rounds of the list: the app stays, and stays selected
        assert app.viewer.groups.row_keys_in_order[0] == "web-scraper"
        assert "app version web-scraper" in pane(app, "rows")


@pytest.mark.parametrize("late", ["/invocations/nosuchapp$", "/invocations$"], ids=["name", "list"])
async def test_a_name_that_names_nothing_is_said_once_and_goes(
    kgateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, late: str
) -> None:
    """A user trial: ``runwatch --provider kernel nosuchapp`` listed an empty app version
    called 'nosuchapp'. A name no app, version or invocation has, and that starts none
    listed, is said once, as a run's short id that starts none is, and the pin goes, on the
    list's first round, whichever answers first: the server's for the name (its first
    request made ``late``) or the app list (its first page late)."""
    kgateway.faults.force("slow", 1, late)
    toasts = record_toasts(monkeypatch)
    said = lambda: [t.message for t in toasts if "nosuchapp" in t.message]  # noqa: E731
    app = make_app(kgateway, provider="kernel", key=KEY, pinned=["nosuchapp"], interval=30)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, said, timeout=10, what="said (one round: interval 30 s)")
        assert said()[0].startswith("No app version among the 5 listed starts with nosuchapp;")
        assert "no app with invocations, named nosuchapp" in said()[0], said()
        await wait_for(pilot, lambda: "nosuchapp" not in screen_text(app), what="the pin gone")
        await rows_loaded(pilot, app)
        keys = app.viewer.groups.row_keys_in_order
        assert "nosuchapp" not in keys and len(keys) == 5, keys
        assert f"app version {keys[0].replace('@', ' ')}" in pane(app, "rows")
        await pilot.press("r")  # another round of the list: not said again, not back
        await pilot.pause(1.0)
        assert len(said()) == 1 and "nosuchapp" not in app.viewer.groups.row_keys_in_order


async def test_an_app_pinned_by_name_keeps_counting_after_its_invocations_all_ended() -> None:
    """A user trial: the app's 'all' row read 'succeeded' once all its invocations had ended,
    and was never counted again (8 of 73 rows, 11 minutes later)."""
    now = [FROZEN_NOW]
    with GatewayServer(world=World("demo", seed=7, clock=lambda: now[0])) as server:
        app = make_app(
            server, provider="kernel", pinned=["price"], interval=0.2, clock=lambda: now[0]
        )
        async with app.run_test(size=(140, 45)) as pilot:

            def counted() -> bool:  # the app's rows are its version's, one screen, one round
                rows = [int(m[2]) for x in screen_lines(app) if (m := PRICE.search(x))]
                return len(rows) == 2 and rows[0] == rows[1]

            def pinned() -> str:
                return next(x for x in screen_lines(app) if "◆ price-watch" in x)

            await wait_for(pilot, counted, what="the app counted as its version")
            for _ in range(20):  # a minute on, twenty times: its calls end, others start
                before = pinned()
                now[0] += 60
                await wait_for(
                    pilot,
                    lambda: counted() and pinned() != before,  # noqa: B023
                    what="counted again",
                )


PRICE = re.compile(r"price-watch +(\S+) +\S+ +(\d+) ")


async def test_each_app_versions_row_says_what_the_card_above_its_table_says(
    kgateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app list's badge, rows and fail columns agree with the version's table (what its
    card counts) while invocations start and end, with more invocations than the newest the
    list is read from (pages of 10: the newest 30 of about 75)."""
    monkeypatch.setattr(kernel_client, "MAX_PAGE", 10)
    app = kernel_app(kgateway)

    def listed(key: str) -> tuple[str, str, str]:
        groups = app.viewer.groups
        badge = str(groups.get_cell(key, "status")).split()
        count, failed = (str(groups.get_cell(key, c)).strip() for c in ("count", "failed"))
        return badge[-1] if badge else "", count, failed

    def carded() -> tuple[str, str, str]:
        """The app version as its table says it: running while an invocation runs, else
        what the newest waiting one says, else how the newest ended; its rows; its failed."""
        table = app.viewer.table
        words = [str(table.get_cell(k, "status")).split()[-1] for k in table.row_keys_in_order]
        waiting = [w for w in words if w not in ("succeeded", "failed")]
        word = "running" if "running" in words else (waiting or words)[0]
        failed = words.count("failed")
        return word, str(len(words)), str(failed) if failed else ""

    def agrees(key: str) -> bool:
        return listed(key) == carded()

    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        for key in screen.groups.row_keys_in_order:
            await select_group(pilot, app, key)
            await wait_for(pilot, functools.partial(agrees, key), 10, f"{key} to agree")


async def test_n_in_the_app_list_goes_to_the_versions_with_failures(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app version reads as running while a call runs, whatever failed before it: n in
    the app list goes by its failures (the fail column), not by its badge."""
    toasts = record_toasts(monkeypatch)
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        await wait_for(pilot, lambda: "running" in region_text(app, "#groups-pane"))
        visited = []
        for _ in range(3):
            await pilot.press("n")
            await pilot.pause(0.1)
            visited.append(screen.groups.selected_key)
        assert not [t for t in toasts if "No failed" in t.message], toasts
        lines = region_text(app, "#groups-pane").splitlines()
        for key in visited:
            app_name = (key or "").split("@")[0][:10]
            line = next(line for line in lines if app_name in line)
            assert re.search(r" [1-9]\d*\s*│?$", line.rstrip()), line  # its fail column
        assert len(set(visited)) > 1


async def test_names_and_ids_are_shown_whole_when_there_is_room(
    frozen_gateway: GatewayServer,
) -> None:
    """An app's name in the list and an action's name in the table are not cut while the
    error column keeps its room (a user trial: 'invoice-age…', 'extract-invoi…' beside 60
    blank columns)."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await rows_loaded(pilot, app)
        assert "invoice-agent " in region_text(app, "#groups-pane")
        # The frame after the one the rows came in: the pane's 'Loading…' goes with the next
        # layout (read in between, the rows stood above it).
        await wait_for(pilot, lambda: "Loading" not in region_text(app, "#rows-pane"))
        table = region_text(app, "#rows-pane")
        assert re.search(r"extract-invoice [0-9a-z]{8} ", table), table
        assert "…" not in "".join(line[:50] for line in table.splitlines()), table


async def opened_whole(pilot: Pilot[None], app: RunwatchApp, status: str) -> str:
    """Select the first row whose status is ``status`` and wait for its whole log; its key."""
    key = rows_where(app, "status", status)[0]
    await select_row(pilot, app, key)
    await wait_for(pilot, lambda: "complete" in log_title(app), what="the whole log")
    return key


def fields(app: RunwatchApp) -> list[str]:
    """The lines the detail's top part (fields, payload, output) shows, as on screen."""
    return [line.strip(" │") for line in region_text(app, "#detail-doc").splitlines()]


def shows_output(app: RunwatchApp) -> bool:
    """The output heading and, when it has JSON, its closing brace are on screen."""
    lines = fields(app)
    heading = next((i for i, line in enumerate(lines) if line.startswith("output")), None)
    if heading is None:
        return False
    return lines[heading] != "output" or "}" in lines[heading + 1 :]


async def test_j_walks_the_fields_to_the_payload_and_output_and_the_log_scrolls_on_its_own(
    frozen_gateway: GatewayServer,
) -> None:
    """A user's try: enter on an invocation focused its log (already at its end), so j moved
    nothing and the fields stopped inside the payload. enter focuses the fields now: j walks
    them to the output; tab reaches the log, whose keys leave the fields where they are."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        done = await opened_whole(pilot, app, "succeeded")
        assert not shows_output(app), "at 120x40 the fields are longer than their part"
        await pilot.press("enter")
        for _ in range(40):
            if shows_output(app):
                break
            await pilot.press("j")
        assert shows_output(app), "\n".join(fields(app))
        shown = fields(app)
        log = screen.body.log_view  # type: ignore[attr-defined]
        first = log_of(app)[0]
        assert first not in region_text(app, "#detail-log"), "the log shows its end"
        await pilot.press("tab")
        assert app.focused is log
        await pilot.press("g")
        await wait_for(pilot, lambda: first in region_text(app, "#detail-log"), what="log top")
        assert fields(app) == shown, "the log's keys moved the log, not the fields"
        await pilot.press("shift+tab", "g")
        await wait_for(pilot, lambda: done in fields(app)[0], what="the fields' top")


async def test_the_fields_get_the_room_a_short_log_leaves(frozen_gateway: GatewayServer) -> None:
    """A user's try: zoomed, the fields were cut inside the payload while the log under them
    sat half empty (a fixed two fifths for the fields). They get what the log leaves now:
    a short log's whole invocation, output and every log line, is on screen at once."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(120, 42)) as pilot:
        screen = await loaded(pilot, app)
        await select_group(pilot, app, "login-bot@2.0.0")
        short = None
        for key in rows_where(app, "status", "succeeded"):
            await select_row(pilot, app, key)
            await wait_for(pilot, lambda: "complete" in log_title(app), what="the whole log")
            if len(log_of(app)) <= 12:
                short = key
                break
        assert short is not None, "a succeeded invocation with a short log"
        await pilot.press("enter", "z")
        await wait_for(pilot, lambda: screen.has_class("-zoom-detail"), what="the zoom")
        await wait_for(pilot, lambda: shows_output(app), what="the output without scrolling")
        assert any(short in line for line in fields(app)), "the fields from their top"
        log = region_text(app, "#detail-log")
        assert all(line in log for line in log_of(app)), "and every line of the log"


async def test_a_log_at_its_end_stays_there_when_the_pane_is_resized(
    frozen_gateway: GatewayServer,
) -> None:
    """The log shares the pane with the fields, so its height changes with them and with z;
    at its end it stays at its end (it showed its first lines after a zoom and back), and
    scrolled back it stays where the user left it."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await opened_whole(pilot, app, "succeeded")
        lines = log_of(app)
        assert lines[0] not in region_text(app, "#detail-log"), "a log longer than its part"

        def at_end() -> bool:
            shown = region_text(app, "#detail-log")
            return lines[-1] in shown and lines[0] not in shown

        assert at_end()
        await pilot.press("enter", "z")
        await wait_for(pilot, lambda: app.viewer.has_class("-zoom-detail"), what="the zoom")
        await pilot.pause(0.2)
        assert at_end(), region_text(app, "#detail-log")
        await pilot.press("z")
        await pilot.pause(0.2)
        assert at_end(), region_text(app, "#detail-log")
        await pilot.press("tab", "g")  # the log, scrolled to its top: it stays there
        await wait_for(pilot, lambda: lines[0] in region_text(app, "#detail-log"))
        await pilot.press("z")
        await pilot.pause(0.2)
        assert lines[0] in region_text(app, "#detail-log")


async def test_a_long_app_name_never_pushes_the_fail_column_off_a_narrow_list() -> None:
    """The app list's name column widens to a long name only while the other columns, the
    fail column n goes by among them, still fit."""
    from .hostile_server import kernel_invocation

    failed = kernel_invocation("long-1", "failed") | {"app_name": "a-rather-long-app-name-x"}
    with HostileServer(dataset_routes(Dataset([], {}, {"long-1": failed}, {}))) as server:
        app = kernel_app(server)  # type: ignore[arg-type]
        async with app.run_test(size=(62, 30)) as pilot:
            await loaded(pilot, app)
            await pilot.pause(0.3)
            lines = region_text(app, "#groups-pane").splitlines()
            header = next(line for line in lines if " age " in line)
            assert "fail" in header, header
            row = next(line for line in lines if "a-rather" in line)
            assert re.search(r" 1\s*│$", row.rstrip()), row


def doc_lines(app: RunwatchApp) -> list[str]:
    """The detail's fields as on screen, without the pane's border and the scrollbar."""
    return [re.sub(r"[\s│▁▂▃▄▅▆▇█]+$", "", line).strip() for line in fields(app)]


def reason_shown(lines: list[str], times: bool = True) -> str:
    """The reason the detail leads with, its wrapped lines joined: it must come right under
    the header (its status, action and id, kept in view), and the times must follow (below
    the pane's last line, when not ``times``: a 4-line pane at 80x24)."""
    at = next((i for i, line in enumerate(lines) if line.startswith("reason  ")), None)
    assert at is not None and at <= 2, "\n".join(lines)
    assert lines[0].startswith("✘ failed"), "the header stays in view:\n" + "\n".join(lines)
    end = next((i for i, line in enumerate(lines) if line.startswith("started  ")), None)
    end = len(lines) if end is None and not times else end
    assert end is not None, "the times under the reason:\n" + "\n".join(lines)
    return " ".join(" ".join([lines[at].removeprefix("reason"), *lines[at + 1 : end]]).split())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_failed_invocations_detail_opens_on_its_whole_reason(
    frozen_gateway: GatewayServer, size: tuple[int, int]
) -> None:
    """A new user's try: at launch the cursor was on a failed invocation, but its detail
    showed the times and the log; the reason, cut in the table, was below them, one line
    with an ellipsis (tab tab z to read it). It leads the detail now, whole and wrapped,
    the times under it and, at 120x40, the log still below."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot, app)
        await wait_for(
            pilot,
            lambda: (
                (key := screen.selected_row) is not None
                and screen.store.rows[key].status.failure
                and key in screen.store.details
            ),
            what="the launch on a failed invocation, its record read",
        )
        key = screen.selected_row
        assert key is not None
        async with KernelClient(KEY, frozen_gateway.url) as api:
            reason = (await api.invocation(key)).data["status_reason"]
        assert len(reason) > 60, "a reason the table cuts"
        await wait_for(
            pilot,
            lambda: any(line.startswith("reason  ") for line in doc_lines(app)),
            what="the detail drawn",
        )
        lines = doc_lines(app)
        shown = reason_shown(lines, times=size != (80, 24))
        assert shown == " ".join(reason.split()), lines
        assert not any("…" in line for line in lines), "nothing cut"
        assert sum(line.startswith("reason") for line in lines) == 1, "said once"
        if size == (120, 40):
            await wait_for(pilot, lambda: "complete" in log_title(app), what="the whole log")
            shown = region_text(app, "#detail-log")
            assert sum(line in shown for line in log_of(app)) >= 3, "the log keeps its room"


async def test_a_long_hostile_reason_is_shown_whole_wrapped_and_literal() -> None:
    """The reason is API text: escapes stripped, markup shown as typed, every word of it
    wrapped under its label (the table and the old facts line cut it); one without a reason
    says none was given."""
    from .hostile_server import kernel_invocation

    words = " ".join(f"step-{n}" for n in range(40))
    reason = f"Error: [bold]action[/bold] threw\x1b]2;pwned\x07 \x1b[31m{words}\nat line two"
    loud = kernel_invocation("fail-1", "failed") | {"status_reason": reason}
    mute = kernel_invocation("fail-2", "failed", n=1) | {"status_reason": None}
    data = Dataset([], {}, {"fail-1": loud, "fail-2": mute}, {"fail-1": [], "fail-2": []})
    with HostileServer(dataset_routes(data)) as server:
        app = kernel_app(server)  # type: ignore[arg-type]
        async with app.run_test(size=(100, 40)) as pilot:
            await loaded(pilot, app)
            await select_row(pilot, app, "fail-1")
            await wait_for(
                pilot,
                lambda: "at line two" in region_text(app, "#detail-doc"),
                what="the reason to its last words",
            )
            lines = doc_lines(app)
            shown = reason_shown(lines, times=False)  # the times may be below the pane
            assert shown.startswith("Error: [bold]action[/bold] threw"), lines
            assert shown.endswith(f"{words} at line two"), lines
            assert len(lines[: lines.index("at line two") + 1]) > 3, "wrapped, not cut"
            frame = screen_text(app)
            assert "pwned" not in frame and "[31m" not in frame
            assert not CONTROL.search(frame)
            await select_row(pilot, app, "fail-2")
            await wait_for(pilot, lambda: "fail-2" in str(app.viewer.body.row_key))
            await until_text(pilot, app, r"reason  failed \(no reason given\)")


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@pytest.mark.parametrize(("status", "least"), [("running", 4), ("failed", 2)])
async def test_on_a_small_terminal_the_log_keeps_its_last_lines(
    frozen_gateway: GatewayServer, size: tuple[int, int], status: str, least: int
) -> None:
    """A user's try over SSH at 80x24: an invocation picked in the table showed its header,
    a blank line and two times (a failed one, its reason), and one line of its log, the part
    a running invocation is opened for (100x30: two, and a blank line). The log keeps its
    last lines now: four under a running invocation's header, two under a failed one's
    reason, which stays whole under the header."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        groups = app.viewer.groups
        key = None
        for group in groups.row_keys_in_order:
            await select_group(pilot, app, group)
            for candidate in rows_where(app, "status", status):
                await select_row(pilot, app, candidate)
                await wait_for(
                    pilot,
                    lambda: len(log_of(app)) > least or "complete" in log_title(app),
                    timeout=3,
                    what="its log",
                )
                if len(log_of(app)) > least:
                    key = candidate
                    break
            if key is not None:
                break
        assert key is not None, f"a {status} invocation with more than {least} log lines"
        assert app.focused is app.viewer.table, "browsing the table, the detail beside it"

        def last_lines_shown() -> bool:
            shown = region_text(app, "#detail-log")
            return all(line[:60] in shown for line in log_of(app)[-least:])

        await wait_for(pilot, last_lines_shown, timeout=5, what=f"the log's last {least} lines")
        lines = doc_lines(app)
        assert lines[0].startswith(("▶ running", "✘ failed")), "the header, in view"
        if status == "failed":
            async with KernelClient(KEY, frozen_gateway.url) as api:
                reason = (await api.invocation(key)).data["status_reason"]
            assert reason_shown(lines, times=False) == " ".join(reason.split()), lines


async def test_on_a_small_terminal_the_focus_gives_the_fields_or_the_log_the_room(
    frozen_gateway: GatewayServer,
) -> None:
    """At 80x24 the detail has six lines. enter (the fields) gives them four, the log keeping
    its title and last line; tab (the log) gives the log its lines back. z, z adds the blank
    line under the header and takes it away again: the cursor stays on the reason."""
    app = kernel_app(frozen_gateway)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        await opened_whole(pilot, app, "failed")
        body = screen.body
        lines = log_of(app)

        def log_shows(count: int) -> bool:
            shown = region_text(app, "#detail-log")
            return all(line[:60] in shown for line in lines[-count:])

        await wait_for(pilot, lambda: log_shows(2), what="the log's last two lines")
        await pilot.press("enter")
        assert app.focused is body.doc
        await wait_for(pilot, lambda: len(doc_lines(app)) == 4, what="four lines of fields")
        assert doc_lines(app)[-1].startswith("started  "), doc_lines(app)
        assert log_shows(1)
        assert body.doc.current is not None and body.doc.current.key == "why"
        await pilot.press("z")
        await wait_for(pilot, lambda: screen.has_class("-zoom-detail"), what="the zoom")
        await wait_for(pilot, lambda: doc_lines(app)[1:2] == [""], what="the header's gap")
        assert body.doc.current.key == "why", "the cursor on the reason"
        await pilot.press("z")
        await wait_for(pilot, lambda: doc_lines(app)[1].startswith("reason  "), what="no gap")
        assert body.doc.current.key == "why", "the cursor on the reason"
        await pilot.press("tab")
        assert app.focused is body.log_view  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: log_shows(2), what="the log's lines back")
