"""SSH-safe actions: the copy menu over OSC 52, docs links, pins, --ascii, themes, NO_COLOR."""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import TextArea

import tui.core.text as text_module
from bench.harness import pty_app
from tui.providers.http import curl_command
from tui.sim.server import GatewayServer
from tui.ui.app import RunwatchApp
from tui.ui.ascii_filter import to_ascii
from tui.ui.copy import CopyScreen
from tui.ui.links import browser_available

from .conftest import FROZEN_NOW
from .viewer_helpers import (
    loaded,
    make_app,
    pane,
    record_copies,
    record_toasts,
    region_text,
    screen_text,
    until_text,
    wait_for,
)

OSC52 = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def _menu(app: object) -> CopyScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CopyScreen)
    return screen


async def to_a_failure_with_docs(pilot: Pilot[None], app: RunwatchApp) -> None:
    """n until the detail shows a failed invocation whose step has a docs link.

    Not every failure has one (a runtime that was not found has no details), and the live
    world decides which failure comes next.
    """
    for _ in range(20):
        await pilot.press("n")
        key = app.viewer.table.selected_key or ""
        await wait_for(
            pilot,
            lambda: (
                f"Invocation {key[:8]}" in pane(app, "detail")  # noqa: B023
                and "final · never refetched" in pane(app, "detail")
            ),
            what="the failure's full record",
        )
        try:
            await until_text(pilot, app, r"docs +https://", timeout=1)
            return
        except AssertionError:
            continue
    raise AssertionError("no failed invocation with a docs link among 20")


async def test_copy_menu_copies_and_shows_text(gateway: GatewayServer) -> None:
    app = make_app(gateway, key="sk-live-very-secret")
    copied = record_copies(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab")  # the invocation table
        inv_id = screen.table.selected_key
        assert inv_id is not None
        await wait_for(pilot, lambda: f"Invocation {inv_id[:8]}" in pane(app, "detail"))
        await pilot.press("y")
        await until_text(pilot, app, "enter copies \\(OSC 52\\)")
        labels = [label for label, _ in _menu(app).choices]
        assert labels[0] == "Invocation id" and "Invocation as JSON" in labels
        assert "curl for this invocation" in labels and "curl to wait for it to finish" in labels
        for label in labels:
            assert label in screen_text(app)
        await pilot.press("enter")  # copy the id
        await wait_for(pilot, lambda: copied == [inv_id], what="the id copied")
        await until_text(pilot, app, "Copied invocation id \\(OSC 52\\)")
        await pilot.press(*["down"] * labels.index("curl for this invocation"))
        preview = _menu(app).query_one("#copy-preview", TextArea).text
        assert "$BCTRL_API_KEY" in preview and f"/v2/invocations/{inv_id}" in preview
        assert "$BCTRL_API_KEY" in screen_text(app), "the text is on screen to select"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(copied) == 2)
        assert copied[1] == preview and "sk-live-very-secret" not in copied[1]
        await pilot.press("home", *["down"] * labels.index("Invocation as JSON"))
        await until_text(pilot, app, re.escape(f'"id": "{inv_id}"'))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert "sk-live-very-secret" not in "".join(copied)


async def test_a_curl_preview_wraps_between_options_never_in_its_json(
    frozen_gateway: GatewayServer,
) -> None:
    """At 80 columns the one-line curl wrapped in the middle of its JSON body, so selecting
    it by hand (where OSC 52 is not honoured) copied a line break into the JSON. An option
    a line, continued with a backslash: it pastes and runs as it is shown."""
    app = make_app(frozen_gateway)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab")
        key = app.viewer.table.selected_key or ""
        await wait_for(pilot, lambda: f"Invocation {key[:8]}" in pane(app, "detail"))
        await pilot.press("y")
        await until_text(pilot, app, "enter copies")
        labels = [label for label, _ in _menu(app).choices]
        await pilot.press(*["down"] * labels.index("curl to wait for it to finish"))
        await until_text(pilot, app, "timeoutMs")
        lines = screen_text(app).splitlines()
        body = next(line for line in lines if "timeoutMs" in line)
        assert re.search(r"-d '\{\"timeoutMs\": \d+\}' \\", body), body
        assert any(re.search(r'-H "Authorization: Bearer \$BCTRL_API_KEY" \\', x) for x in lines)
        preview = _menu(app).query_one("#copy-preview", TextArea).text
        assert preview.startswith("curl -sS -X POST \\\n"), preview


def test_copy_sends_osc52_to_the_terminal(gateway: GatewayServer, tmp_path: object) -> None:
    """In a real terminal: y, enter on the run list writes the run id as OSC 52."""
    with pty_app("--base-url", gateway.url, env={"RUNWATCH_CONFIG_DIR": str(tmp_path)}) as term:
        term.wait_for("up to date")
        os.write(term.master, b"y")
        term.wait_for("enter copies")
        os.write(term.master, b"\r")
        term.wait_for("Copied run id")
        with term.lock:
            written = bytes(term.output)
        sent = [base64.b64decode(m).decode() for m in OSC52.findall(written)]
        assert sent and sent[-1] in {run.id for run in gateway.world.runs}
        os.write(term.master, b"\x1bq")


async def test_copy_menu_on_the_run_list_offers_the_run(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    copied = record_copies(app)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        screen.groups.focus()
        await pilot.press("y")
        await until_text(pilot, app, "curl for this run's invocations")
        assert [label for label, _ in _menu(app).choices] == [
            "Run id",
            "Run as JSON",
            "curl for this run's invocations",
        ]
        await pilot.press("enter")
        await wait_for(pilot, lambda: copied == [screen.groups.selected_key])


async def test_open_docs_without_browser_shows_and_copies(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL is shown to select and copied, and that is said once (a user trial: two
    toasts, "Copied" and "Copied docs url", over the URL to select)."""
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    app = make_app(gateway)
    copied = record_copies(app)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(120, 50)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab")
        await to_a_failure_with_docs(pilot, app)
        await pilot.press("enter")  # into the detail, on the failed step
        url = (await until_text(pilot, app, r"docs +(https://docs\.bctrl\.ai/errors/\S+)"))[1]
        said = len(toasts)
        await pilot.press("o")
        await until_text(pilot, app, "No local browser: URL copied")
        await wait_for(pilot, lambda: copied == [url], what="the URL copied")
        assert url in screen_text(app)
        await until_text(pilot, app, r"Copied docs URL \(OSC 52\)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(toasts) > said, what="a toast")
        await pilot.pause(0.3)
        copies = [(t.title, t.message) for t in toasts[said:] if "Copied" in t.title + t.message]
        assert copies == [("", "Copied docs URL")], "one toast (live runs may say more)"


def test_browser_never_over_ssh_or_without_display() -> None:
    assert not browser_available({"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"})
    assert not browser_available({})  # Linux with no display: no GUI browser


def test_curl_command_never_holds_the_key() -> None:
    command = curl_command("https://api.bctrl.ai/v2/invocations/a b", "BCTRL_API_KEY")
    assert command.startswith('curl -sS -H "Authorization: Bearer $BCTRL_API_KEY"')
    assert command.endswith("'https://api.bctrl.ai/v2/invocations/a b'")


async def test_pin_toggle_is_remembered(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(frozen_gateway)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        screen.groups.focus()
        await pilot.press("j")
        target = screen.groups.selected_key
        assert target is not None
        await pilot.press("P")
        await wait_for(pilot, lambda: screen.groups.row_keys_in_order[0] == target)
        assert f"◆ {target[:8]}" in region_text(app, "#groups-pane")
        assert toasts[-1].message == f"Pinned run {target[:8]}"
        await pilot.press("F", "plus")
        memory = screen.memory()
        assert memory.pinned == [target]
        assert memory.status == ["failed", "timed_out"]  # F: as n/N, not cancelled
        assert memory.interval == 4.0
    assert app.final_memory == memory


async def test_unpin(frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(frozen_gateway)
    toasts = record_toasts(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        first = screen.groups.row_keys_in_order[0]
        await pilot.press("P")
        await wait_for(pilot, lambda: "◆" in str(screen.groups.get_cell(first, "name")))
        await pilot.press("P")
        await wait_for(pilot, lambda: "◆" not in str(screen.groups.get_cell(first, "name")))
        assert toasts[-1].message == f"Unpinned run {first[:8]}"
        assert screen.memory().pinned == []


def test_to_ascii_keeps_cell_widths() -> None:
    from rich.cells import cell_len

    for text in ["╭─ Runs ─╮", "✘ failed", "漢字 ok", "e\u0301", "▶ ━━━━╸   3/7", "…"]:
        converted = to_ascii(text)
        assert converted.isascii()
        assert cell_len(converted) == cell_len(text)


def test_to_ascii_knows_every_glyph_the_linux_console_table_replaces() -> None:
    """Textual's own glyphs (the tall border's right edge ▎, half lines, quadrants, the
    palette's 🔎) have an ASCII stand-in: ``?`` is for glyphs nobody expected."""
    from tui.ui.ascii_filter import LINUX_TABLE

    unknown = sorted(glyph for glyph in LINUX_TABLE if "?" in to_ascii(glyph))
    assert unknown == []
    assert to_ascii("▊ x ▎") == "# x |", "the tall border's edges"


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        (("s",), r"queued"),
        (("slash", "x"), r"#  x "),
        (("colon",), r"jump: "),
        (("y",), r"as JSON"),
        (("ctrl+p",), r"Search for commands"),
    ],
    ids=["status-picker", "filter", "jump", "copy-menu", "palette"],
)
async def test_ascii_input_boxes_have_no_stray_question_mark(
    frozen_gateway: GatewayServer, keys: tuple[str, ...], shown: str
) -> None:
    """The right edge of an input box, an option list or the palette is drawn, not ``?``."""
    app = make_app(frozen_gateway, ascii_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press(*keys)
        line = (await until_text(pilot, app, rf"(?m)^.*{shown}.*$")).group(0)
        assert "?" not in line, line


def test_cut_text_ends_in_a_tilde_not_a_full_stop() -> None:
    from tui.ui.ascii_filter import to_linux_console

    assert to_ascii("running fo…") == "running fo~"
    assert to_linux_console("Step 1 (pa…") == "Step 1 (pa~"


async def test_ascii_cut_text_reads_as_cut_and_trailing_dots_stay_dots(
    frozen_gateway: GatewayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text Rich cut ends in ``~`` (a lone ``.`` read as a full stop: ``started 14.``); the
    app's own ``…`` (a toast's ``Writing…``, the palette's ``Jump to…``) reads ``...``."""
    monkeypatch.setattr(text_module, "ELLIPSIS", ["…"])  # the app's "..." ends with the test
    monkeypatch.chdir(tmp_path)  # b writes its bundle here
    toasts = record_toasts(monkeypatch)
    app = make_app(frozen_gateway, ascii_only=True, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        card = (await until_text(pilot, app, r"(?m)^.*run 4d6cc587 \. 96 invocations.*$")).group(0)
        assert card.endswith("~ |"), f"the run's card is cut: {card!r}"
        await pilot.press("b")
        await wait_for(pilot, lambda: any(t.title == "Incident bundle written" for t in toasts))
        assert toasts[0].message == "Writing the incident bundle of this run..."
        await pilot.press("ctrl+p", *"jump")
        await until_text(pilot, app, r"Jump to\.\.\. ")


async def test_ascii_only_draws_only_ascii(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only ASCII; cut text ends in "..."; the help's legend shows the table's badges."""
    monkeypatch.setattr(text_module, "ELLIPSIS", ["…"])  # the app's "..." ends with the test
    app = make_app(gateway, ascii_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab", "n", "enter")
        await wait_for(pilot, lambda: "final" in pane(app, "detail"))
        await until_text(pilot, app, r"XX failed")
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        assert "ok succeeded" in text
        assert text_module.truncate("abcdefgh", 6) == "abc...", "cut text ends in ..."
        badges = set(re.findall(r"\|(\S\S) [a-z]", text))
        assert {"XX", "ok"} <= badges
        await pilot.press("question_mark", "G")  # the legend is at the end of the help
        await until_text(pilot, app, r"Status badges: ")
        help_text = " ".join(screen_text(app).split("Status badges: ", 1)[1].split())
        for glyph in badges:
            assert f"{glyph} " in help_text, f"{glyph!r} is in the table, not in the legend"
        # The mark beside pinned runs and the critical path is said too (a user trial).
        assert "* marks a pinned run" in help_text, help_text


async def test_theme_option_applies(gateway: GatewayServer) -> None:
    app = make_app(gateway, theme="nord")
    async with app.run_test(size=(100, 30)):
        assert app.theme == "nord"


def test_unknown_theme_is_rejected(gateway: GatewayServer) -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        make_app(gateway, theme="no-such-theme")


async def test_no_color_env_is_honoured(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(gateway)
    assert app.no_color
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        assert "LIVE" in screen_text(app)


@pytest.mark.parametrize("burst", ["qy", "qo"])
async def test_copy_key_typed_right_after_quit_does_not_crash(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, burst: str
) -> None:
    """SSH delivers fast typing in one read: the key after ``q`` reaches a closing app."""
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")  # o: no browser
    app = make_app(gateway)
    async with app.run_test(size=(120, 50)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab")
        await to_a_failure_with_docs(pilot, app)  # y and o both open menus there
        await pilot.press("enter")
        await until_text(pilot, app, r"docs +https://")
        for key in burst:  # queued together, as the driver does with one read
            app.post_message(events.Key(key, key))
        started = time.monotonic()
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
        while time.monotonic() - started < 0.2:
            await pilot.pause(0.02)
    assert app.return_code == 0
    assert not any(isinstance(s, CopyScreen) for s in app.screen_stack)


async def test_copy_menu_pushed_while_the_app_exits_does_not_crash(
    gateway: GatewayServer,
) -> None:
    """Whatever opens it late (a worker, a timer), the menu copes with an exiting app."""
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        app.exit()
        app.push_screen(CopyScreen([("Id", "abc")], copy_first=True))
        for _ in range(10):
            await pilot.pause(0.02)
    assert app.return_code == 0
