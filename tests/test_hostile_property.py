"""Property: every text field the viewer shows, filled with generated hostile strings,
renders with no control byte, no bidi override and no markup interpretation, and goes out
the same way through the copy menu and toasts.

A run and a failed invocation with a diagnostic, in the contract's shapes, have every
string value replaced by a hostile one; a loopback server serves them and the viewer reads
them as it reads any server. Keys in, screen text (and copies and toasts) out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import OptionList

from .conftest import FROZEN_NOW
from .hostile_server import (
    RUN_ID,
    Dataset,
    HostileServer,
    dataset_routes,
    invocation_record,
    run_summary,
    uid,
)
from .viewer_helpers import (
    CONTROL,
    Toast,
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

KEEP = {"id", "runId", "runtimeId", "spaceId", "ok", "index"}
ATTACKS = [
    "\x1b]0;pwned\x07",  # OSC: set the window title
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b[2J\x1b[H",  # CSI clear and home
    "\x9b2J",  # C1 CSI
    "\x1b]8;;https://evil/\x07link\x1b]8;;\x07",  # a hyperlink
    "[bold]not bold[/bold] [/x] [link=https://evil]x[/link] :x:",
    "\u202egnp.exe\u202c",  # right-to-left override
    "e\u0301\u0301\u0301 zalgo",  # combining marks
    "مرحبا שלום",  # right-to-left scripts
    "a\rb\x08c\x00d\x7f",
    "long " * 400,
]
MARKUP = "[bold]lit[/bold]"
FAILED_ID = uid(0xD, 1)
OK_ID = uid(0xD, 2)

hostile = st.one_of(
    st.sampled_from(ATTACKS),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
        min_size=1,
        max_size=80,
    ),
).map(lambda s: MARKUP + s)


def _poison(value: Any, text: str, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _poison(v, text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, text, key) for v in value]
    if isinstance(value, str) and key not in KEEP and not key.endswith("At"):
        return text
    return value


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[HostileServer, Dataset]]:
    """A loopback server over a dataset each example replaces."""
    data = Dataset([], {})
    with HostileServer(dataset_routes(data, wait_cap=1.0)) as server:
        yield server, data


def _serve(data: Dataset, text: str) -> None:
    record = invocation_record(FAILED_ID, RUN_ID, 1, "failed", "act")
    data.runs[:] = [_poison(run_summary(RUN_ID), text)]
    data.records.clear()
    data.records[FAILED_ID] = type(record)(
        *(_poison(copy.deepcopy(shape), text) for shape in (record.summary, record.v2, record.full))
    )


def _unsafe(texts: list[str]) -> list[str]:
    return [t for t in texts if CONTROL.search(t)]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile)
async def test_every_rendered_field_copy_and_toast_is_safe(
    text: str, served: tuple[HostileServer, Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, data = served
    _serve(data, text)
    toasts: list[Toast] = record_toasts(monkeypatch)
    app = make_app(server, key="k", source_label=text, clock=lambda: FROZEN_NOW, interval=60)
    copied = record_copies(app)
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.groups.row_keys_in_order == [RUN_ID]
        await pilot.press("P")  # a toast with the run's name
        await pilot.press("tab")
        await wait_for(pilot, lambda: f"Invocation {FAILED_ID[:8]}" in pane(app, "detail"))
        await pilot.press("enter")  # into the detail
        for _ in range(100):  # n: to the failed step, once the full record is in
            await pilot.press("n")
            if "✘ #3" in region_text(app, "#detail-pane"):
                break
            await pilot.pause(0.05)
        await pilot.press("e")  # every diagnostic open
        await until_text(pilot, app, r"▾ ✘ #3")
        frame = screen_text(app)
        assert not CONTROL.search(frame), repr(CONTROL.search(frame))
        assert MARKUP in frame, "markup-like text shows literally"
        await pilot.press("y")
        await until_text(pilot, app, r"enter copies")
        menu = app.screen
        choices = list(menu.choices)  # type: ignore[attr-defined]
        assert choices and not _unsafe([label + body for label, body in choices])
        options = menu.query_one(OptionList)
        for index in range(len(choices)):
            options.highlighted = index
            await pilot.press("enter")
            await wait_for(pilot, lambda i=index: len(copied) == i + 1, what=f"copy {index}")
        assert not CONTROL.search(screen_text(app))
        assert not _unsafe(copied)
        await pilot.press("escape")
        assert toasts and not _unsafe([t.title + t.message for t in toasts])
        assert "Pinned run" in " ".join(t.message for t in toasts)
        assert region_text(app, "#detail-pane")
        assert app.is_running


async def test_megabyte_result_is_capped_and_app_stays_responsive(
    served: tuple[HostileServer, Dataset],
) -> None:
    server, data = served
    record = invocation_record(OK_ID, RUN_ID, 1, "succeeded", "act")
    record.v2["result"] = {"blob": "x" * 1_500_000, "rows": list(range(20_000))}
    data.runs[:] = [run_summary(RUN_ID)]
    data.records.clear()
    data.records[OK_ID] = record
    app = make_app(server, key="k", clock=lambda: FROZEN_NOW, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("tab")
        await wait_for(pilot, lambda: "final · never refetched" in pane(app, "detail"))
        await pilot.press("enter", "G")  # the detail's last line: the end of the result
        await until_text(pilot, app, r"… \([\d,]+ more characters\)")
        await pilot.press("question_mark")
        await until_text(pilot, app, "runwatch — keys")  # keys still answered
