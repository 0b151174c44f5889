"""Driving runwatch as a user does: in a pseudo-terminal, against a gateway process.

Shared by the benchmark and the tests that need a real terminal (hang-ups, --ascii) or a
gateway in its own process (the soak).
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1bP[^\x1b]*\x1b\\"  # DCS
    rb"|\x1b[()][A-Za-z0-9]"  # charset
    rb"|\x1b[@-_=>78]"  # other two-byte escapes
)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the gateway in its own process -----------------------------------------------------


@contextlib.contextmanager
def gateway(*args: str) -> Iterator[str]:
    """``runwatch gateway ARGS`` on a free port in its own process; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "gateway", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        if not match:
            raise RuntimeError("gateway did not start")
        yield match.group(0)
    finally:
        process.terminate()
        process.wait(10)


# -- a pseudo-terminal --------------------------------------------------------------------


@dataclass
class Pty:
    process: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)
    stamps: list[tuple[float, int]] = field(default_factory=list)  # (time, bytes so far)
    lock: threading.Lock = field(default_factory=threading.Lock)

    closed: bool = False

    def raw_text(self) -> str:
        """Everything written, escape sequences included."""
        with self.lock:
            return bytes(self.output).decode("utf-8", "replace")

    def close_master(self) -> None:
        """Hang up from the terminal's side, as a dropped SSH session does."""
        os.close(self.master)
        self.closed = True

    def screen_text(self) -> str:
        with self.lock:
            return ESCAPES.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    def text_since(self, offset: int) -> str:
        """What was written after byte ``offset``, escape sequences removed."""
        with self.lock:
            return ESCAPES.sub(b"", bytes(self.output[offset:])).decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 60.0, since: int | None = None) -> float:
        """Until ``pattern`` is on screen (in what was written after byte ``since``)."""
        started = time.monotonic()
        regex = re.compile(pattern)

        def text() -> str:
            return self.screen_text()[-20000:] if since is None else self.text_since(since)

        while not regex.search(text()):
            if time.monotonic() - started > timeout or self.process.poll() is not None:
                raise TimeoutError(f"never saw {pattern!r}")
            time.sleep(0.01)
        return time.monotonic() - started

    def wait_for_rows(self, n: int, timeout: float = 120.0) -> None:
        """Until a pane subtitle says at least ``n`` invocations are shown."""
        started = time.monotonic()
        while True:
            counts = [
                int(c) for c in re.findall(r"(\d+)(?: of \d+)? shown", self.screen_text()[-20000:])
            ]
            if counts and max(counts) >= n:
                return
            if time.monotonic() - started > timeout or self.process.poll() is not None:
                raise TimeoutError(f"never saw {n} rows")
            time.sleep(0.02)

    def size(self) -> int:
        with self.lock:
            return len(self.output)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextlib.contextmanager
def pty_app(
    *args: str,
    cols: int = 120,
    rows: int = 40,
    term: str = "xterm-256color",
    env: Mapping[str, str] | None = None,
) -> Iterator[Pty]:
    """``runwatch --no-remember ARGS`` in a pty of ``cols`` x ``rows``; hung up on exit.

    ``term`` is the TERM the app sees; ``env`` adds to (or, with an empty value, removes
    from) the environment, e.g. ``{"NO_COLOR": "1"}`` or ``{"COLORTERM": "truecolor"}``."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    # The caller's terminal must not leak in: colour and glyph choices depend on these.
    # COLUMNS and LINES would override the pty's size (pytest-xdist's workers set 80x24).
    inherited = ("BCTRL_", "RUNWATCH_", "NO_COLOR", "COLORTERM", "FORCE_COLOR", "TEXTUAL_")
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(inherited) and k not in ("COLUMNS", "LINES")
    }
    child_env.update(TERM=term, BCTRL_API_KEY="bench")
    for name, value in (env or {}).items():
        if value:
            child_env[name] = value
        else:
            child_env.pop(name, None)

    def controlling_tty() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    # ``--naive`` runs the benchmark's baseline viewer (bench/naive.py) instead.
    program = ["bench.naive"] if "--naive" in args else ["tui"]
    args = tuple(arg for arg in args if arg != "--naive")
    process = subprocess.Popen(
        [sys.executable, "-m", *program, "--no-remember", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=child_env,
        preexec_fn=controlling_tty,
    )
    os.close(slave)
    term = Pty(process, master)

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with term.lock:
                term.output.extend(chunk)
                term.stamps.append((time.monotonic(), len(term.output)))

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield term
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGHUP)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if not term.closed:
            os.close(master)
