"""The real process in a pseudo-terminal: hang-ups, a lost TTY, terminal restore, --ascii."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from bench.harness import pty_app

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pty")


def _exit_time(process: subprocess.Popen[bytes], limit: float = 8.0) -> float:
    started = time.monotonic()
    try:
        process.wait(limit)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.monotonic() - started


def test_sighup_exits_within_5s_and_restores_the_terminal() -> None:
    with pty_app("--demo") as term:
        term.wait_for("Invocations")
        term.process.send_signal(signal.SIGHUP)
        assert _exit_time(term.process) < 5.0
        time.sleep(0.2)
        assert "\x1b[?1049l" in term.raw_text(), "left the alternate screen"


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
        term.wait_for(r"following \(event stream\)")
        term.wait_for(r"log · \d+ lines · following")
