"""Issue 14, the viewer's side: servers that are odd, partial, hostile or endless, and what
the user sees. Keys in, screen text (and copies, toasts, bells, terminal bytes) out."""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual.widgets import OptionList

from bench.harness import pty_app
from tui.core import pages
from tui.core.store import MAX_LOG_LINES
from tui.core.text import MASK
from tui.sim.server import GatewayOptions, GatewayServer
from tui.ui.copy import CopyScreen

from .hostile_server import (
    HOSTILE_INVOCATION_IDS,
    HOSTILE_RUN_IDS,
    INVOCATION_IDS,
    KERNEL_IDS,
    ODD_IDS,
    RUN_ID,
    Dataset,
    FlippingStatus,
    Handler,
    HostileServer,
    contract_only,
    dataset_routes,
    deep_json,
    echo_key,
    endless_cursors,
    hostile_dataset,
    kernel_invocation,
    kernel_log_flood,
    kernel_without_list,
    odd_data,
    plausible_dataset,
    rate_limited,
    same_cursor_forever,
)
from .viewer_helpers import (
    CONTROL,
    Toast,
    cell,
    loaded,
    make_app,
    pane,
    record_bells,
    record_copies,
    record_toasts,
    region_text,
    rows_loaded,
    screen_output,
    screen_text,
    select_group,
    select_row,
    send_keys,
    status_bar,
    until_text,
    wait_for,
)


def plausible() -> dict[tuple[str, str], Handler]:
    """Every contract path (and the lists), serving the plausible dataset."""
    return dataset_routes(plausible_dataset())


OSC52 = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


@pytest.fixture(scope="module")
def odd() -> Iterator[HostileServer]:
    with HostileServer(odd_data()) as server:
        yield server


# -- a bad field costs only that field ----------------------------------------------------


async def test_odd_values_cost_their_field_only(odd: HostileServer) -> None:
    app = make_app(odd, interval=0.5)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.groups.row_count == 3, "every run is listed"
        assert str(screen.groups.get_cell(RUN_ID, "age")) == "", "a free-text date has no age"
        shown = screen.table.row_keys_in_order
        assert shown == list(reversed(ODD_IDS.values())), "every row, newest first"
        assert "7 shown · up to date" in pane(app, "rows")
        assert cell(app, ODD_IDS["free_text_time"], "time") == "?laborum in incididunt"
        assert cell(app, ODD_IDS["offsets"], "time") == "20:00:00", "+14:00 converted to UTC"
        assert cell(app, ODD_IDS["timed_out_nulls"], "duration") == "—"
        assert cell(app, ODD_IDS["wrong_types"], "duration") == "4.0s", "a number sent as a string"
        assert cell(app, ODD_IDS["unknown_enums"], "status") == "? paused for review"
        assert cell(app, ODD_IDS["unknown_enums"], "name") == "summarize"
        assert "42 · Step 3 failed" in cell(app, ODD_IDS["wrong_types"], "problem")
        frame = screen_text(app)
        assert "?laboru…" in frame and "20:00:00" in frame
        await pilot.pause(1.2)  # two more polls of odd pages: none is dropped
        assert screen.table.row_count == 7
        assert "LIVE" in status_bar(app) and "up to date" in pane(app, "rows")

        await pilot.press("tab")
        await select_row(pilot, app, ODD_IDS["free_text_time"])
        await until_text(pilot, app, r"created  \? laborum in incididunt \(not a time\)")
        await until_text(pilot, app, r"finished  \? ullamco \(not a time\)")
        for name, word in (("timed_out_nulls", "timed out"), ("unknown_enums", "paused for")):
            await select_row(pilot, app, ODD_IDS[name])
            await until_text(pilot, app, rf"[?⧗] {word}.*{ODD_IDS[name]}")
            detail = region_text(app, "#detail-pane")
            assert "(running)" not in detail, f"{name}: a finished invocation is not running"
        assert re.search(r"duration  — ", region_text(app, "#detail-pane")) is None
        await select_row(pilot, app, ODD_IDS["timed_out_nulls"])
        await until_text(pilot, app, r"duration  —")
        await select_row(pilot, app, ODD_IDS["wrong_types"])
        await until_text(pilot, app, r"Step 3 failed")  # it opens on its failed step
        await pilot.press("enter", "g")  # into the detail, to its top
        await until_text(pilot, app, r"started  1970-01-01 00:00:17\.000 UTC")
        assert "LIVE" in status_bar(app)


async def test_odd_kernel_values_cost_their_field_only(odd: HostileServer) -> None:
    app = make_app(odd, provider="kernel", interval=0.5)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.table.row_count == 6, "every invocation is shown"
        assert cell(app, "inv_odd_offset", "time") == "20:00:00", "+14:00 converted to UTC"
        assert cell(app, "inv_odd_status", "status") == "? cancelled"
        await pilot.press("tab")
        await select_row(pilot, app, "inv_odd_null_finish")
        await until_text(pilot, app, r"duration  —")
        assert "(running)" not in region_text(app, "#detail-pane")
        await select_row(pilot, app, "inv_odd_types")
        await pilot.press("tab", "G")  # the detail's end: its output
        await until_text(pilot, app, r"output  not JSON, shown as sent:")
        assert re.search(r"│ ?not json \{", screen_text(app))
        assert "LIVE" in status_bar(app)


# -- only the contract's endpoints --------------------------------------------------------


async def test_a_pinned_run_on_a_contract_only_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """``runwatch RUN_ID`` against a server with no run endpoints: the run's invocations,
    the missing list said once, quietly, and no invented "not found"."""
    toasts = record_toasts(monkeypatch)
    with HostileServer(contract_only()) as server:
        app = make_app(server, pinned=[RUN_ID], interval=0.3)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = app.viewer
            await rows_loaded(pilot, app)
            assert screen.groups.row_keys_in_order == [RUN_ID]
            assert screen.table.row_keys_in_order == list(reversed(INVOCATION_IDS)), "newest first"
            invocations = "/v1/runs/{id}/invocations"
            await wait_for(pilot, lambda: len(server.requests("GET", invocations)) >= 4)
            said = [t for t in toasts if t.severity == "warning"]
            assert len(said) == 1 and "no run list" in said[0].message, toasts
            frame = screen_text(app)
            assert "not found" not in frame.lower() and "404" not in frame
            assert "LIVE" in status_bar(app)
            assert len(server.requests("GET", "/v1/runs")) == 1, "the missing list is not polled"
            assert len(server.requests("GET", "/v1/runs/{id}")) == 1, "nor the missing run"


async def test_a_pinned_kernel_invocation_without_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    toasts = record_toasts(monkeypatch)
    target = KERNEL_IDS[0]
    with HostileServer(kernel_without_list()) as server:
        app = make_app(server, provider="kernel", pinned=[target], interval=0.3)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = app.viewer
            await wait_for(pilot, lambda: screen.table.row_keys_in_order == [target])
            assert screen.groups.row_keys_in_order == ["web-scraper@1.4.2"]
            await wait_for(pilot, lambda: f"Invocation {target[:8]}" in pane(app, "detail"))
            await until_text(pilot, app, r"step 5: working")
            await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
            await pilot.pause(0.7)  # more polls
            said = [t for t in toasts if t.severity == "warning"]
            assert len(said) == 1 and "no invocation list" in said[0].message, toasts
            assert screen.table.row_keys_in_order == [target], "the row stays"
            assert "LIVE" in status_bar(app)
            assert "404" not in screen_text(app)


# -- Retry-After beyond reason ------------------------------------------------------------


async def test_odd_retry_afters_are_said_with_a_countdown_of_at_most_5_minutes() -> None:
    """Each odd Retry-After in turn (999999 last: its five minutes hold every request)."""
    with HostileServer(plausible()) as server:
        good = plausible()[("GET", "/v1/runs/{run_id}/invocations")]
        app = make_app(server, interval=0.3)
        async with app.run_test(size=(140, 45)) as pilot:
            await loaded(pilot, app)
            for retry_after in ("inf", "nan", "-5", "999999"):
                server.route("GET", "/v1/runs/{run_id}/invocations", rate_limited(retry_after))
                await wait_for(pilot, lambda: "RATE LIMITED" in status_bar(app), what="429")
                countdown = re.search(r"RATE LIMITED \(next request in (\d+)s\)", status_bar(app))
                assert countdown is not None and 1 <= int(countdown[1]) <= 300, retry_after
                await wait_for(pilot, lambda: "rate limited · HTTP 429" in pane(app, "rows"))
                retry = re.search(r"retry in (\d+)s", pane(app, "rows"))
                assert retry is not None and int(retry[1]) <= 300, retry_after
                assert app.is_running and "Traceback" not in screen_text(app)
                if retry_after != "999999":
                    server.route("GET", "/v1/runs/{run_id}/invocations", good)
                    await pilot.press("r")
                    await wait_for(pilot, lambda: "LIVE" in status_bar(app), what="recovery")
            assert re.search(r"RATE LIMITED \(next request in (29\d|300)s\)", status_bar(app))


# -- endless paging -------------------------------------------------------------------------


async def test_a_repeated_cursor_stops_the_table_and_says_why() -> None:
    with HostileServer(plausible()) as server:
        server.route("GET", "/v1/runs/{run_id}/invocations", same_cursor_forever())
        app = make_app(server, interval=0.2)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await loaded(pilot, app)
            assert screen.table.row_count == 50
            note = "the server repeated a page cursor; the list stops there"
            assert f"50 shown · {note} · up to date" in pane(app, "rows")
            assert note in screen_text(app)
            polls = len(server.requests("GET", "/v1/runs/{id}/invocations"))
            await wait_for(
                pilot,
                lambda: len(server.requests("GET", "/v1/runs/{id}/invocations")) >= polls + 2,
                what="another poll",
            )
            assert screen.table.row_count == 50 and note in pane(app, "rows")
            assert "LIVE" in status_bar(app)


async def test_endless_cursors_stop_at_the_row_cap_and_say_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "MAX_ROWS", 2_000)  # the real cap is 150,000: same code
    with HostileServer(plausible()) as server:
        server.route("GET", "/v1/runs/{run_id}/invocations", endless_cursors())
        app = make_app(server, interval=0.5)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await loaded(pilot, app)
            note = "showing the first 2,000 rows; the list goes on"
            assert screen.table.row_count == 2_000
            assert f"2000 shown · {note} · up to date" in pane(app, "rows")
            polls = len(server.requests("GET", "/v1/runs/{id}/invocations"))
            # Ten pages of 200, and no more (a loaded machine may have begun the next poll).
            assert 10 <= polls < 20, polls
            await wait_for(
                pilot,
                lambda: len(server.requests("GET", "/v1/runs/{id}/invocations")) > polls,
                what="another poll",
            )
            await pilot.pause(0.3)
            assert screen.table.row_count == 2_000 and note in pane(app, "rows")
            assert "LIVE" in status_bar(app)


# -- deeply nested JSON ---------------------------------------------------------------------


async def test_deep_json_is_a_fault_polling_goes_on_and_r_retries_at_once() -> None:
    routes = plausible()
    list_path = ("GET", "/v1/runs/{run_id}/invocations")
    with HostileServer(routes) as server:
        app = make_app(server, interval=0.3)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await loaded(pilot, app)
            rows = screen.table.row_count
            server.route(*list_path, deep_json())
            await wait_for(pilot, lambda: "malformed" in pane(app, "rows"), what="the fault")
            assert "LIVE" not in status_bar(app)
            assert screen.table.row_count == rows, "the last good rows stay"
            said = " ".join(screen_text(app).split())
            assert "malformed" in said
            # Polling goes on, backing off: wait for a backoff of some seconds.
            polls = len(server.requests("GET", "/v1/runs/{id}/invocations"))
            backoff: list[int] = []

            def long_backoff() -> bool:
                found = re.search(r"retry in (\d+)s", pane(app, "rows"))
                if found is not None and int(found[1]) >= 2:
                    backoff.append(int(found[1]))
                return bool(backoff)

            await wait_for(pilot, long_backoff, timeout=30, what="a backoff of seconds")
            assert len(server.requests("GET", "/v1/runs/{id}/invocations")) > polls
            server.route(*list_path, routes[list_path])  # the server behaves again
            await pilot.press("r")  # at once, not when the backoff ends
            await wait_for(pilot, lambda: "up to date" in pane(app, "rows"), timeout=backoff[0])
            assert "LIVE" in status_bar(app)
            assert screen.table.row_count == rows


# -- bell and toast floods ------------------------------------------------------------------


async def test_a_flipping_status_finishes_once_with_few_bells_and_toasts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every request flips every invocation running / failed, for 30 s of the app's clock
    (1.5 s here, the clock running twenty times faster): a row that finished stays finished
    and is told once; the bell and the toasts are rate limited and coalesced (other rows'
    failures at most once in 30 s)."""
    flipping = FlippingStatus()
    toasts = record_toasts(monkeypatch)
    began = time.time()

    def clock() -> float:
        return began + (time.time() - began) * 20

    with HostileServer(flipping.routes()) as server:
        app = make_app(server, interval=0.1, clock=clock)
        bells = record_bells(app)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await loaded(pilot, app)
            await pilot.press("tab")
            keys = screen.table.row_keys_in_order
            assert keys == list(reversed(INVOCATION_IDS)), "newest first"
            finished: set[str] = set()

            def flipped_often() -> bool:
                seen = list(flipping.seen.values())
                return len(seen) == len(keys) and min(seen) >= 10

            def told() -> list[Toast]:
                return [t for t in toasts if "finished" in t.title]

            def rows_told(message: str) -> int:
                """``5 invocations finished: …``, or one named with ``; 4 more finished``."""
                if m := re.match(r"(\d+) invocations finished", message):
                    return int(m[1])
                more = re.search(r"; (\d+) more finished", message)
                return 1 + (int(more[1]) if more else 0)

            # 30 s of the app's clock, at least ten flips of every row (a loaded machine
            # answers fewer requests in the same time), and every row told (other rows'
            # failures come 30 s after the first toast); never more than 20 s of real time.
            while (
                clock() < began + 30
                or not flipped_often()
                or sum(rows_told(t.message) for t in told()) < len(keys)
            ):
                assert time.time() < began + 20, f"too slow: {flipping.seen}, {told()}"
                for key in keys:
                    status = cell(app, key, "status")
                    if key in finished:
                        assert "running" not in status, f"{key} went back to running"
                    elif "failed" in status:
                        finished.add(key)
                await pilot.pause(0.05)
            assert finished == set(keys), "every flipping row finished"
            assert 1 <= len(told()) <= 3, told()
            counts = [rows_told(t.message) for t in told()]
            assert sum(counts) == len(keys), f"each row is told once: {told()}"
            assert len(bells) <= 1, "only the followed row rings, once"


# -- the key echoed back ----------------------------------------------------------------


ECHOED = "sk-echo-0123456789abcdef-SECRET"
PROSE = ("message", "hint", "error", "action", "type", "call", "runtimeType", "entryCall")
PROSE_KERNEL = ("status_reason", "action_name", "app_name", "payload", "output", "message")


def _no_key(text: str) -> bool:
    return ECHOED not in text and ECHOED[:12] not in text


@pytest.mark.parametrize(
    ("provider", "only"),
    [("bctrl", None), ("bctrl", PROSE), ("kernel", PROSE_KERNEL)],
    ids=["bctrl-everywhere", "bctrl-prose", "kernel-prose"],
)
async def test_a_key_echoed_in_every_field_is_never_shown_or_copied(
    provider: str, only: tuple[str, ...] | None
) -> None:
    """Everywhere: the ids too (masked, they name nothing the server knows: the table says
    its 404). Prose only: rows and details load, every text holds the key."""
    with HostileServer(echo_key(only)) as server:
        app = make_app(server, provider=provider, key=ECHOED, interval=0.3)
        copied = record_copies(app)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = app.viewer
            await wait_for(pilot, lambda: screen.groups.row_count > 0, what="groups")
            await until_text(pilot, app, r"\*\*")  # the echo is on screen, masked (and cut)
            if only is not None:
                await rows_loaded(pilot, app)
                assert screen.table.row_count > 0
            for keys in (("y",), ("tab", "y")):  # the group's copies, then the row's
                await pilot.press(*keys)
                await until_text(pilot, app, "enter copies")
                menu = app.screen
                choices = list(menu.choices)  # type: ignore[attr-defined]
                assert all(_no_key(label + text) for label, text in choices)
                assert any(MASK in text for _, text in choices), "the echo, masked"
                options = menu.query_one(OptionList)
                before = len(copied)
                for index in range(len(choices)):
                    options.highlighted = index
                    await pilot.press("enter")
                assert len(copied) == before + len(choices)
                assert _no_key(screen_text(app)) and _no_key(screen_output(app))
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen)
            assert all(_no_key(text) for text in copied)
            assert _no_key(screen_text(app)) and _no_key(screen_output(app))


def test_a_key_echoed_in_every_field_never_reaches_the_terminal(tmp_path: Path) -> None:
    """The real process in a pseudo-terminal: not one byte of the key is written."""
    with HostileServer(echo_key(PROSE)) as server:
        env = {"BCTRL_API_KEY": ECHOED, "RUNWATCH_CONFIG_DIR": str(tmp_path)}
        with pty_app("--base-url", server.url, env=env) as term:
            term.wait_for("up to date", timeout=20)
            term.wait_for(re.escape(MASK), timeout=20)
            for keys in (b"y", b"\r", b"\x1b", b"\t", b"j", b"y", b"\r", b"\x1b"):
                os.write(term.master, keys)
                time.sleep(0.6 if keys == b"\x1b" else 0.2)  # a lone esc, never read with the next
            term.wait_for("Copied invocation id", timeout=20)
            with term.lock:
                written = bytes(term.output)
            assert ECHOED.encode() not in written and ECHOED[:12].encode() not in written
            sent = [base64.b64decode(m) for m in OSC52.findall(written)]
            assert len(sent) == 2 and all(ECHOED[:12].encode() not in text for text in sent)


# -- escapes through copies and toasts --------------------------------------------------

KEY_ACTIONS = (
    "y", "P", "n", "N", "e", "o", "plus", "minus", "tab", "shift+tab", "enter", "escape", "r",
)  # fmt: skip


def _clean(text: str) -> bool:
    """No control character. (A JSON copy may spell an escape out as ``\\u001b``: text,
    harmless to paste; shown fields and ids lose the whole sequence.)"""
    return not CONTROL.search(text)


def _shown(text: str) -> bool:
    """A shown field or id: the escape sequences went whole, their payload too."""
    return _clean(text) and "pwned" not in text and "aGk=" not in text


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    """Hostile ids, actions and messages; statuses flip, so rows finish (and are told)."""
    with HostileServer(FlippingStatus(hostile_dataset()).routes()) as server:
        yield server


@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # an example is an app: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    run=st.integers(0, len(HOSTILE_RUN_IDS) - 1),
    row=st.integers(0, len(HOSTILE_INVOCATION_IDS) - 1),
    keys=st.lists(st.sampled_from(KEY_ACTIONS), min_size=2, max_size=5),
)
async def test_hostile_ids_never_escape_through_copies_or_toasts(
    hostile: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    run: int,
    row: int,
    keys: list[str],
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")  # o: no browser
    toasts = record_toasts(monkeypatch)
    app = make_app(hostile, interval=1.0)
    copied = record_copies(app)
    ids: list[str] = []
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await loaded(pilot, app)
        await select_group(pilot, app, screen.groups.row_keys_in_order[run])
        await pilot.press("tab")
        screen.table.select_key(screen.table.row_keys_in_order[row])
        for key in [*keys, "y"]:
            await pilot.press(key)
            if isinstance(app.screen, CopyScreen):  # what each choice would send, and ids sent
                menu = app.screen
                assert all(_clean(label + text) for label, text in menu.choices)
                options = menu.query_one(OptionList)
                for index, (label, _) in enumerate(menu.choices):
                    if label.endswith(" id") or label.startswith("Docs"):
                        options.highlighted = index
                        await pilot.press("enter")
                        ids.append(copied[-1])
                await pilot.press("escape")
        assert _clean(screen_text(app))
    assert copied and all(_clean(text) for text in copied)
    assert ids and all(_shown(text) for text in ids), ids
    assert toasts and all(_shown(t.title + t.message) for t in toasts), toasts


def test_hostile_ids_reach_the_terminal_only_as_clean_copies(
    hostile: HostileServer, tmp_path: Path
) -> None:
    """The bytes a real terminal gets: no escape from the data; every OSC 52 is the app's
    own copy of a cleaned id."""
    env = {"RUNWATCH_CONFIG_DIR": str(tmp_path)}
    with pty_app("--base-url", hostile.url, env=env) as term:
        term.wait_for("up to date", timeout=20)
        # the table opens on the earliest failure (its last row: newest first), so k goes up
        presses = [b"y", b"\r", b"\x1b", b"\t", *[b"k"] * 5, b"y", b"\r", b"\x1b"]
        presses += [b"k", b"y", b"\r", b"\x1b", b"\x1b[Z", b"G", b"y", b"\r"]
        for key in presses:
            os.write(term.master, key)
            time.sleep(
                {b"y": 0.3, b"G": 0.3, b"\x1b": 0.6}.get(key, 0.08)
            )  # a menu, rows, a lone esc
        deadline = time.monotonic() + 20
        while term.raw_text().count("\x1b]52;") < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        with term.lock:
            written = bytes(term.output)
    sent = [base64.b64decode(m).decode() for m in OSC52.findall(written)]
    assert len(sent) == 4, sent
    assert all(_clean(text) for text in sent), sent
    assert sent[0] == ".." and sent[1] == "inv" and sent[3] == "."
    assert written.count(b"\x1b]52;") == 4, "no OSC 52 but the app's own copies"
    assert b"pwned" not in written and b"\x1b]2;" not in written and b"\xc2\x9b" not in written


# -- a huge record --------------------------------------------------------------------------


async def test_a_5000_step_record_shows_and_its_keys_work() -> None:
    """The huge scenario's failed crawl: 5,000 steps (a ~9 MB record), six failed. Timing is
    ``make bench``'s; here, that it shows and that n, N, j and k act."""
    with GatewayServer(GatewayOptions(scenario="huge")) as gateway:
        plan = next(
            p for p in gateway.world.runs[0].invocations if p.huge_seed is not None and p.seq == 3
        )
        failed = sorted(index + 1 for index, _ in plan.failed_steps)
        app = make_app(gateway, interval=2)
        async with app.run_test(size=(140, 50)) as pilot:
            await loaded(pilot, app)
            await pilot.press("tab")
            await select_row(pilot, app, plan.id)
            await wait_for(
                pilot, lambda: "final · never refetched" in pane(app, "detail"), timeout=40
            )
            await pilot.press("enter")  # into the detail: its first failed step, open
            await until_text(pilot, app, rf"▾ ✘ #{failed[0]} ")
            detail = region_text(app, "#detail-pane")
            assert re.search(r"expected +\S", detail) and re.search(r"received +\S", detail)
            await pilot.press("n")
            await until_text(pilot, app, rf"✘ #{failed[1]} ")
            await pilot.press("n", "n")
            await until_text(pilot, app, rf"✘ #{failed[3]} ")
            await pilot.press("N")
            await until_text(pilot, app, rf"✘ #{failed[2]} ")
            top = region_text(app, "#detail-pane").splitlines()[1]
            await pilot.press(*"j" * 25)  # the cursor walks the steps; the view follows
            await wait_for(pilot, lambda: region_text(app, "#detail-pane").splitlines()[1] != top)
            await pilot.press(*"k" * 25)
            await wait_for(pilot, lambda: region_text(app, "#detail-pane").splitlines()[1] == top)
            await pilot.press("g")
            await until_text(pilot, app, re.escape(plan.id))  # the top: the header


# -- a Kernel log flood ---------------------------------------------------------------------

FLOOD_ID = "inv_fl00dfl00dfl00d"


async def test_a_kernel_log_flood_stays_capped_and_the_keys_still_act() -> None:
    data = Dataset([], {}, {FLOOD_ID: kernel_invocation(FLOOD_ID, "running")})
    routes = dataset_routes(data)
    routes[("GET", "/invocations/{invocation_id}/events")] = kernel_log_flood(FLOOD_ID)
    with HostileServer(routes) as server:
        app = make_app(server, provider="kernel", interval=1.0)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await loaded(pilot, app)
            log = screen.body.log_view  # type: ignore[attr-defined]
            await wait_for(
                pilot, lambda: "dropped" in str(log.border_title), timeout=30, what="the cap"
            )
            title = str(log.border_title)
            assert re.search(
                r"log · \d+ lines · (following|scrolled back).* · oldest \d+ dropped", title
            )
            assert log.line_count <= MAX_LOG_LINES, "the stored and shown log stay capped"
            # The keys act while the flood goes on (sent as the terminal sends them: the
            # pilot's press would wait for an idle app, which a flood never is).
            send_keys(app, "question_mark")
            await until_text(pilot, app, "runwatch — keys", timeout=10)
            send_keys(app, "escape")
            await wait_for(pilot, lambda: app.screen is screen, timeout=10)
            send_keys(app, "tab", "tab", "tab")  # the table, the detail, its log
            await wait_for(pilot, lambda: app.focused is log, timeout=10)
            send_keys(app, "g")  # scroll back: it holds, however fast lines come
            await wait_for(pilot, lambda: log.scroll_y == 0, timeout=10)
            await wait_for(pilot, lambda: "scrolled back" in str(log.border_title), timeout=10)
            assert log.scroll_y == 0
            send_keys(app, "G")
            await wait_for(pilot, lambda: "following" in str(log.border_title), timeout=10)
            assert len(server.requests("GET", "/invocations/{id}/events")) == 1


# -- a status word that comes and goes ------------------------------------------------------


async def test_the_status_column_keeps_its_width_when_a_long_word_goes() -> None:
    """A status word wider than the column widens it; once no row says it any more, the
    column stays as wide: the columns to its right do not jump back and forth each time a
    word like ``dispatching`` comes and goes."""
    long_word = "dispatching_now"
    phase = {"long": True}

    def restatus(body: Any) -> Any:
        if isinstance(body, list):
            return [restatus(item) for item in body]
        if not isinstance(body, dict):
            return body
        if body.get("id") in INVOCATION_IDS and "status" in body:
            body["status"] = long_word if phase["long"] else "running"
        return {key: restatus(value) for key, value in body.items()}

    def header_at() -> int:
        """Where the row table's ``action`` column starts on screen."""
        line = next(line for line in screen_text(app).splitlines() if "took" in line)
        return line.index("action")

    routes = dataset_routes(plausible_dataset(), transform=lambda body, _: restatus(body))
    with HostileServer(routes) as server:
        app = make_app(server, interval=0.2)
        async with app.run_test(size=(160, 45)) as pilot:
            await loaded(pilot, app)
            shown = long_word.replace("_", " ")  # as the badge says it
            await wait_for(pilot, lambda: shown in screen_text(app), what="the long word")
            wide = header_at()
            phase["long"] = False
            await wait_for(
                pilot,
                lambda: shown not in screen_text(app) and "running" in screen_text(app),
                what="the long word gone",
            )
            await pilot.press("O", "O")  # the table laid out again (the order flipped and back)
            await pilot.pause(0.5)
            assert header_at() == wide
