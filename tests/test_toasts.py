"""Toasts never cover a modal screen (a user trial: on an active run, ``?`` and a wait, and
"Invocation finished" toasts were drawn over the help's text): what is said while one is
open is shown as it closes."""

from __future__ import annotations

import pytest

from tui.sim.server import GatewayServer
from tui.ui.toasts import MAX_LINES, MIN_SHOWN, Toast, ToastHold

from .conftest import FROZEN_NOW
from .viewer_helpers import loaded, make_app, record_toasts, screen_text, until_text, wait_for

MODALS = {
    "help": (("question_mark",), "runwatch — keys"),
    "errors": (("tab", "E"), "Failures in run"),
    "copy": (("tab", "y"), "enter copies"),
    "status-picker": (("tab", "s"), "Show statuses"),
    "palette": (("ctrl+p",), "Search for commands"),
}


@pytest.mark.parametrize("modal", list(MODALS))
async def test_a_toast_said_while_a_modal_is_open_is_shown_as_it_closes(
    frozen_gateway: GatewayServer, monkeypatch: pytest.MonkeyPatch, modal: str
) -> None:
    keys, shown = MODALS[modal]
    toasts = record_toasts(monkeypatch)
    app = make_app(frozen_gateway, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot, app)
        await pilot.press(*keys)
        await until_text(pilot, app, shown)
        app.notify("Invocation 4b947b02 timed out", title="Invocation finished", severity="error")
        await pilot.pause(0.5)
        assert "4b947b02" not in screen_text(app), f"the toast covers the {modal}"
        assert not [toast for toast in toasts if "4b947b02" in toast.message]
        await pilot.press("escape")
        await until_text(pilot, app, "Invocation 4b947b02 timed out")
        said = [(toast.title, toast.severity) for toast in toasts if "4b947b02" in toast.message]
        assert said == [("Invocation finished", "error")], said


async def test_a_toast_on_screen_as_a_modal_opens_is_shown_again_as_it_closes(
    frozen_gateway: GatewayServer,
) -> None:
    app = make_app(frozen_gateway, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot, app)
        app.notify("Pinned run 4d6cc587", timeout=30)
        await until_text(pilot, app, "Pinned run 4d6cc587")
        await pilot.press("question_mark")
        await until_text(pilot, app, "runwatch — keys")
        await wait_for(pilot, lambda: "Pinned run" not in screen_text(app), what="the toast off")
        await pilot.press("escape")
        await until_text(pilot, app, "Pinned run 4d6cc587")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def toast(message: str, title: str = "", timeout: float = 5.0) -> Toast:
    return Toast(message, title, "information", timeout)


def test_held_toasts_of_one_title_are_one_toast_and_the_same_words_are_said_once() -> None:
    hold = ToastHold()
    hold.hold(toast("Invocation a failed", "Invocation finished"))
    hold.hold(toast("Terminal too small: 79x24", "", timeout=6))
    hold.hold(toast("Invocation a failed", "Invocation finished"))
    hold.hold(Toast("Invocation b timed out", "Invocation finished", "error", 5.0))
    assert hold.release() == [
        Toast("Invocation a failed\nInvocation b timed out", "Invocation finished", "error", 5.0),
        toast("Terminal too small: 79x24", "", timeout=6),
    ]
    assert hold.release() == [], "released once"


def test_many_held_toasts_of_one_title_show_the_last_and_count_the_rest() -> None:
    hold = ToastHold()
    for n in range(MAX_LINES + 3):
        hold.hold(toast(f"{n} invocations finished", "Invocations finished"))
    [merged] = hold.release()
    lines = merged.message.splitlines()
    assert lines[0] == "(3 earlier)" and lines[-1] == f"{MAX_LINES + 2} invocations finished"
    assert len(lines) == MAX_LINES + 1


def test_a_modal_holds_the_toasts_on_screen_for_the_time_they_had_left() -> None:
    clock = Clock()
    hold = ToastHold(clock=clock)
    hold.shown(toast("gone by now", timeout=2))
    hold.shown(toast("half read", timeout=10))
    hold.shown(toast("nearly over", timeout=5))
    clock.now += 4.5
    assert hold.cover()
    assert hold.release() == [toast("half read\nnearly over", timeout=5.5)]
    hold.shown(toast("nearly over", timeout=5))
    clock.now += 4.5
    hold.cover()
    assert hold.release() == [toast("nearly over", timeout=MIN_SHOWN)]
    assert not hold.cover(), "nothing on screen"
