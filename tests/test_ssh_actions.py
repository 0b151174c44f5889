"""SSH-safe actions: the copy menu over OSC 52, docs links, pins, --ascii, themes, NO_COLOR."""

from __future__ import annotations

import base64
import re

import pytest
from textual import events
from textual.widgets import OptionList, TextArea

from tui.ascii_filter import to_ascii
from tui.links import browser_available, curl_command
from tui.screens.copy_screen import CopyScreen
from tui.sim.server import GatewayServer

from .viewer_helpers import loaded, make_app, wait_for

OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def _capture_osc52(app: object) -> list[str]:
    """Decode every OSC 52 write the app sends to its terminal driver."""
    copied: list[str] = []
    driver = app._driver  # type: ignore[attr-defined]
    original = driver.write

    def write(data: str) -> None:
        for match in OSC52.finditer(data):
            copied.append(base64.b64decode(match.group(1)).decode())
        original(data)

    driver.write = write
    return copied


async def test_copy_menu_sends_osc52_and_shows_text(gateway: GatewayServer) -> None:
    app = make_app(gateway, key="sk-live-very-secret")
    async with app.run_test(size=(120, 40)) as pilot:
        copied = _capture_osc52(app)
        screen = await loaded(pilot, app)
        await pilot.press("tab")  # the invocation table
        await wait_for(pilot, lambda: screen.state.selected_invocation_id is not None)
        inv_id = screen.state.selected_invocation_id
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyScreen), what="copy menu")
        menu = app.screen
        assert isinstance(menu, CopyScreen)
        labels = [label for label, _ in menu.choices]
        assert labels[0] == "Invocation id" and "Invocation as JSON" in labels
        assert "curl for this invocation" in labels
        await pilot.press("enter")  # copy the id
        await wait_for(pilot, lambda: copied == [inv_id], what="OSC 52 with the id")
        curl_index = labels.index("curl for this invocation")
        menu.query_one(OptionList).highlighted = curl_index
        await pilot.pause()
        preview = menu.query_one("#copy-preview", TextArea).text
        assert "$BCTRL_API_KEY" in preview and f"/v2/invocations/{inv_id}" in preview
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(copied) == 2)
        assert copied[1] == preview and "sk-live-very-secret" not in copied[1]
        json_index = labels.index("Invocation as JSON")
        menu.query_one(OptionList).highlighted = json_index
        await pilot.pause()
        assert f'"id": "{inv_id}"' in menu.query_one("#copy-preview", TextArea).text
        await pilot.press("escape")
        assert not isinstance(app.screen, CopyScreen)


async def test_copy_menu_on_run_list_offers_run_id(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        copied = _capture_osc52(app)
        screen = await loaded(pilot, app)
        screen.run_list.focus()
        await pilot.press("y", "enter")
        await wait_for(pilot, lambda: copied == [screen.run_list.selected_key])


async def test_open_docs_without_browser_shows_and_copies(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        copied = _capture_osc52(app)
        screen = await loaded(pilot, app)
        await pilot.press("tab", "n")  # first failed invocation
        await wait_for(pilot, lambda: bool(screen.detail.step_items), what="steps")
        await wait_for(pilot, lambda: screen.docs_url() is not None, what="a docs url")
        url = screen.docs_url()
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyScreen))
        await wait_for(pilot, lambda: copied == [url], what="URL copied")
        assert url and url.startswith("https://")


def test_browser_never_over_ssh_or_without_display() -> None:
    assert not browser_available({"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"})
    assert not browser_available({})  # Linux with no display: no GUI browser


def test_curl_command_never_holds_the_key() -> None:
    command = curl_command("https://api.bctrl.ai/v2/invocations/a b", "BCTRL_API_KEY")
    assert command.startswith('curl -sS -H "Authorization: Bearer $BCTRL_API_KEY"')
    assert command.endswith("'https://api.bctrl.ai/v2/invocations/a b'")


async def test_pin_toggle_is_remembered(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        screen.run_list.focus()
        await pilot.press("j")
        target = screen.run_list.selected_key
        await pilot.press("P")
        await wait_for(pilot, lambda: screen.run_list.row_keys_in_order[0] == target)
        await pilot.press("F", "+")
        memory = screen.memory()
        assert memory.pinned == [target]
        assert memory.status == ["failed", "timed_out", "cancelled"]
        assert memory.interval == 4.0
    assert app.final_memory == memory


def test_to_ascii_keeps_cell_widths() -> None:
    from rich.cells import cell_len

    for text in ["╭─ Runs ─╮", "✘ failed", "漢字 ok", "e\u0301", "▶ ━━━━╸   3/7", "…"]:
        converted = to_ascii(text)
        assert converted.isascii()
        assert cell_len(converted) == cell_len(text)


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


@pytest.mark.parametrize("burst", ["qy", "qo"])
async def test_copy_key_typed_right_after_quit_does_not_crash(
    gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, burst: str
) -> None:
    """SSH delivers fast typing in one read: the key after ``q`` reaches a closing app."""
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")  # o: no browser
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("tab", "n")  # a failed invocation: y and o both open the menu
        await wait_for(pilot, lambda: screen.docs_url() is not None, what="a docs url")
        for key in burst:  # queued together, as the driver does with one read
            app.post_message(events.Key(key, key))
        await wait_for(pilot, lambda: app.exiting, what="the app to exit")
        for _ in range(10):
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
