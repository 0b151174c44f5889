"""The real process in a pseudo-terminal: hang-ups, a lost TTY, terminal restore, --ascii.

Also what a terminal's capabilities change: NO_COLOR (Textual's monochrome filter).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import Monochrome

from bench.harness import Pty, pty_app
from tui.sim.server import GatewayServer

from .viewer_helpers import loaded, make_app

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pty")


def _exit_time(process: subprocess.Popen[bytes], limit: float = 8.0) -> float:
    started = time.monotonic()
    try:
        process.wait(limit)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.monotonic() - started


RESTORED = {
    "left the alternate screen": b"\x1b[?1049l",
    "mouse reporting off": b"\x1b[?1000l",
    "cursor shown": b"\x1b[?25h",
}


def _restored(term: Pty, since: int) -> list[str]:
    """What the terminal was not given back after byte ``since`` of the output."""
    deadline = time.monotonic() + 2.0
    while True:
        with term.lock:
            tail = bytes(term.output[since:])
        missing = [what for what, seq in RESTORED.items() if seq not in tail]
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 143)], ids=["SIGHUP", "SIGTERM"]
)
def test_signal_exits_within_5s_and_restores_the_terminal(
    signum: signal.Signals, code: int
) -> None:
    with pty_app("--demo") as term:
        term.wait_for("Invocations")
        term.wait_for("up to date")
        since = term.size()
        term.process.send_signal(signum)
        assert _exit_time(term.process) < 5.0
        assert _restored(term, since) == []
        assert term.process.returncode == code
        assert "Traceback" not in term.screen_text()


def test_lost_tty_exits_within_5s() -> None:
    with pty_app("--demo") as term:
        term.wait_for("Invocations")
        term.close_master()  # the SSH session drops: the pty's other end is gone
        assert _exit_time(term.process) < 5.0


def test_ascii_mode_writes_only_ascii() -> None:
    with pty_app("--demo", "--ascii") as term:
        term.wait_for("Invocations")
        term.wait_for("up to date")
        os.write(term.master, b"\t")  # into the table: the detail fills in
        time.sleep(2.0)
        shown = term.screen_text()
        assert "XX failed" in shown or "ok succeeded" in shown
        glyphs = sorted({c for c in shown if not c.isascii()})
        assert glyphs == [], f"non-ASCII glyphs on screen: {glyphs}"
        os.write(term.master, b"q")
        assert _exit_time(term.process) < 5.0


def test_kernel_demo_streams_a_log_in_a_real_terminal() -> None:
    with pty_app("--demo", "--provider", "kernel") as term:
        term.wait_for(r"Apps \(5\)")
        term.wait_for("web-scraper")
        term.wait_for("up to date")
        # The viewer opens on a failure (its log is complete): the newest rows are the live
        # ones, at the top; down them until one is followed.
        os.write(term.master, b"\tg")
        for _ in range(20):
            with contextlib.suppress(TimeoutError):
                term.wait_for(r"log · \d+ lines · following", timeout=3)
                break
            os.write(term.master, b"j")
        else:
            raise AssertionError(
                "no live invocation's log followed among 20 rows:\n" + term.screen_text()[-4000:]
            )
        term.wait_for(r"following \(event stream\)")


# -- NO_COLOR ---------------------------------------------------------------------------


def test_monochrome_filter_tolerates_a_none_style() -> None:
    """Any widget yielding an unstyled segment must not crash the app under NO_COLOR."""
    from tui.compat import apply

    apply()
    apply()  # idempotent
    segments = [Segment("plain", None), Segment("red", Style(color="red", bgcolor="blue"))]
    filtered = Monochrome().apply(segments, Color(0, 0, 0))
    assert [segment.text for segment in filtered] == ["plain", "red"]
    assert all(segment.style is not None for segment in filtered)


async def test_keyed_table_never_emits_none_styles(gateway: GatewayServer) -> None:
    app = make_app(gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, app)
        for table in (screen.groups, screen.table):
            for y in range(table.size.height):
                unstyled = [s.text for s in table.render_line(y) if s.style is None]
                assert unstyled == [], f"{table.id} line {y}: unstyled {unstyled}"


def test_no_color_runs_and_quits_cleanly(tmp_path: Path) -> None:
    with pty_app("--demo", env={"NO_COLOR": "1", "RUNWATCH_CONFIG_DIR": str(tmp_path)}) as term:
        term.wait_for("Invocations")
        term.wait_for("up to date")
        os.write(term.master, b"\t")
        time.sleep(2.5)  # the header crash came about 2 s after start
        assert term.process.poll() is None, term.screen_text()[-3000:]
        os.write(term.master, b"q")
        assert _exit_time(term.process) < 5.0
        assert term.process.returncode == 0
        assert "Traceback" not in term.screen_text()


def test_compat_patches_are_version_guarded() -> None:
    from tui.compat import PATCHES, TEXTUAL_VERSION, apply, parse_version

    assert parse_version("8.2.8") == (8, 2, 8) and parse_version("9.0.0rc1") == (9, 0, 0)
    assert all(apply().values()), "every patch applies to the pinned Textual"
    for patch in PATCHES:
        assert patch.applies_to(TEXTUAL_VERSION)
        assert not patch.applies_to((9, 0, 0)), f"{patch.name}: re-check it on Textual 9"


# -- keys typed in one burst after q ------------------------------------------------------


@pytest.mark.parametrize("burst", [b"qy", b"qo", b"q?"], ids=["qy", "qo", "q?"])
def test_keys_typed_with_q_in_one_burst_exit_cleanly(burst: bytes, tmp_path: Path) -> None:
    """SSH delivers fast typing in one read: what follows ``q`` must not crash the exit."""
    env = {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "RUNWATCH_CONFIG_DIR": str(tmp_path)}
    with pty_app("--demo", env=env) as term:
        term.wait_for("Invocations")
        term.wait_for("up to date")
        offset = term.size()
        os.write(term.master, b"\tn")  # a failed invocation: y and o both open the copy menu
        term.wait_for("final · never refetched", since=offset)  # n took effect: its record
        os.write(term.master, burst)
        assert _exit_time(term.process) < 5.0
        shown = term.screen_text()
        assert "Traceback" not in shown and "NoMatches" not in shown, shown[-3000:]
        assert term.process.returncode == 0


# -- the Linux console's character set ---------------------------------------------------


def test_linux_console_translation_keeps_widths_and_stays_in_the_font() -> None:
    from rich.cells import cell_len

    from tui.ui.ascii_filter import LINUX_CONSOLE_CHARS, to_linux_console

    samples = [
        "╭─ Runs ─╮", "╰──────╯", "┏━━┓ ┃ ┗━━┛", "✔ ok ✘ no ◷ ⇢ ▶ ⊘ ⊖ ⧗ ■ ●", "▁▂▃▄▅▆▇█ ▏▎▍▌▋▊▉ ▔▕",
        "a · b — c … → ↑ ↓ ▾ ▸", "漢字 🔎 e\u0301 ünïcödé ±½", "║═╔╗╚╝ ┼├┤ ░▒▓",
    ]  # fmt: skip
    for text in samples:
        converted = to_linux_console(text)
        assert cell_len(converted) == cell_len(text), text
        outside = sorted({c for c in converted if c not in LINUX_CONSOLE_CHARS})
        assert outside == [], f"{text!r} -> {converted!r}: {outside}"
    # What the console has stays: box drawing, blocks, Latin-1 letters, the middle dot.
    kept = "─│┌┐└┘├┤┬┴┼═║╔╗╚╝█▄▀▌▐░▒▓■·ü±½"
    assert to_linux_console(kept) == kept


def test_linux_console_badges_stay_distinct() -> None:
    from tui.ui.ascii_filter import to_linux_console
    from tui.ui.render import GLYPHS

    glyphs = {glyph: to_linux_console(glyph) for glyph in GLYPHS.values() if glyph != "?"}
    assert len(set(glyphs.values())) == len(glyphs), glyphs
    assert "?" not in glyphs.values(), "? is the unknown status's badge"


def test_linux_console_filter_is_chosen_by_term() -> None:
    from tui.ui.ascii_filter import is_linux_console

    assert is_linux_console({"TERM": "linux"}) and is_linux_console({"TERM": "linux-16color"})
    assert not is_linux_console({"TERM": "xterm-256color"}) and not is_linux_console({})
