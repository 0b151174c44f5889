"""The real process in a pseudo-terminal: hang-ups, a lost TTY, terminal restore, --ascii."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pty")

ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1bP[^\x1b]*\x1b\\"  # DCS
    r"|\x1b[()][A-Za-z0-9]"  # charset
    r"|\x1b[@-_=>78]"  # other two-byte escapes
)


@dataclass
class Terminal:
    process: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)
    closed: bool = False

    def text(self) -> str:
        return bytes(self.output).decode("utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in ESCAPES.sub("", self.text()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{needle!r} never shown; got {self.text()[-500:]!r}")
            time.sleep(0.05)


def _make_controlling_tty() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def terminal(*args: str, cols: int = 120, rows: int = 40) -> Iterator[Terminal]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "RUNWATCH_"))}
    env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        preexec_fn=_make_controlling_tty,
        close_fds=True,
    )
    os.close(slave)
    term = Terminal(process, master)

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            term.output.extend(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield term
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if not term.closed:
            os.close(master)
        reader.join(2)


def _exit_time(process: subprocess.Popen[bytes], limit: float = 8.0) -> float:
    started = time.monotonic()
    try:
        process.wait(limit)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.monotonic() - started


def test_sighup_exits_within_5s_and_restores_the_terminal() -> None:
    with terminal("--demo") as term:
        term.wait_for("Invocations")
        term.process.send_signal(signal.SIGHUP)
        assert _exit_time(term.process) < 5.0
        time.sleep(0.2)
        assert "\x1b[?1049l" in term.text(), "left the alternate screen"


def test_lost_tty_exits_within_5s() -> None:
    with terminal("--demo") as term:
        term.wait_for("Invocations")
        os.close(term.master)  # the SSH session drops: the pty's other end is gone
        term.closed = True
        assert _exit_time(term.process) < 5.0


def test_ascii_mode_writes_only_ascii() -> None:
    with terminal("--demo", "--ascii") as term:
        term.wait_for("Invocations")
        term.wait_for("up to date")
        os.write(term.master, b"\t")  # into the table: the detail fills in
        time.sleep(2.0)
        shown = ESCAPES.sub("", term.text())
        assert "XX failed" in shown or "ok succeeded" in shown
        glyphs = sorted({c for c in shown if not c.isascii()})
        assert glyphs == [], f"non-ASCII glyphs on screen: {glyphs}"
        os.write(term.master, b"q")
        assert _exit_time(term.process) < 5.0
