"""The real app in a real pty, across terminals, sizes and both providers: it must never crash.

Each case starts ``runwatch --demo`` the way a user's terminal would (TERM, COLORTERM,
NO_COLOR, ``--ascii``; 80x24 and 160x48), waits for data, presses tab, j, enter, ?, escape,
then q, and fails on a process that died, a traceback, an error printed on the way out or a
non-zero exit. Under TERM=linux only glyphs of the console's font may reach the screen, and
under ``--ascii`` only ASCII.

Every wait is for something on screen (never a blind sleep), with generous limits, so a
loaded machine makes a case slower, not red.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.harness import ESCAPES, Pty, pty_app
from tui.ui.ascii_filter import LINUX_CONSOLE_CHARS

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pty")

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
KEY_SETTLE = 0.1  # after a key's frame appears, let the rest of it arrive
START_LIMIT = 60.0  # generous: two cores shared with other tests


@dataclass(frozen=True)
class Mode:
    """One kind of terminal: its TERM, extra environment and flags."""

    name: str
    term: str = "xterm-256color"
    env: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    charset: frozenset[str] | None = None  # every printable glyph on screen must be in it


ASCII_CHARS = frozenset(chr(code) for code in range(0x20, 0x7F))
MODES = [
    Mode("xterm-256color"),
    Mode("truecolor", env={"COLORTERM": "truecolor"}),
    Mode("screen", term="screen"),
    Mode("linux", term="linux", charset=LINUX_CONSOLE_CHARS),
    Mode("no-color", env={"NO_COLOR": "1"}),
    Mode("ascii", flags=("--ascii",), charset=ASCII_CHARS),
]
SIZES = [(80, 24), (160, 48)]
KERNEL = {"linux": (80, 24), "no-color": (160, 48)}  # its own glyphs and colours; a minute
CASES = [
    pytest.param(
        mode,
        size,
        "bctrl",
        id=f"bctrl-{mode.name}-{size[0]}x{size[1]}",
        # the large size runs in `make matrix` (the suite keeps every mode at 80x24)
        marks=[pytest.mark.slow] if size != SIZES[0] else [],
    )
    for mode in MODES
    for size in SIZES
] + [
    pytest.param(mode, KERNEL[mode.name], "kernel", id=f"kernel-{mode.name}-{cols}x{rows}")
    for mode in MODES
    if mode.name in KERNEL
    for cols, rows in [KERNEL[mode.name]]
]
TITLES = {"bctrl": "Invocations", "kernel": "Apps"}  # a pane title of the main screen
KEYS: list[tuple[bytes, str | None]] = [
    (b"\t", None),  # into the table
    (b"j", None),  # the next row
    (b"\r", None),  # drill in
    (b"?", r"runwatch . keys"),  # help (the dash is transliterated in some modes)
    # Back: wait for the main screen to be drawn again. A key sent within Textual's escape
    # delay of a lone ESC would be read with it as alt+key (q would not quit).
    (b"\x1b", "{title}"),
]


def _press(term: Pty, key: bytes, expect: str | None) -> None:
    """Send ``key``; wait for ``expect`` (a regex) after it on screen, or for any new output."""
    since = term.size()
    os.write(term.master, key)
    regex = re.compile(expect) if expect is not None else None
    deadline = time.monotonic() + (START_LIMIT if regex is not None else 10.0)
    while True:
        with term.lock:
            after = bytes(term.output[since:])
        shown = ESCAPES.sub(b"", after).decode("utf-8", "replace") if regex is not None else ""
        if (regex is None and after) or (regex is not None and regex.search(shown)):
            break
        if term.process.poll() is not None:
            return  # the caller's checks say what went wrong
        if time.monotonic() > deadline:
            if regex is not None:
                raise TimeoutError(f"never saw {expect!r} after {key!r}")
            break  # a key that changed nothing on screen: fine
        time.sleep(0.01)
    time.sleep(KEY_SETTLE)


def _crash_signs(term: Pty) -> list[str]:
    """Tracebacks anywhere; anything saying Error once the alternate screen is left."""
    with term.lock:
        raw = bytes(term.output)
    signs = []
    if b"Traceback" in raw:
        signs.append("a traceback")
    _, left, after = raw.rpartition(LEAVE_ALT_SCREEN)
    # The demo's own data says "Error: ..." in Kernel logs: only what is printed after the
    # app left the alternate screen (a crash report) counts.
    if left and re.search(rb"Error", after):
        signs.append("an error printed on exit")
    return signs


def _outside(term: Pty, charset: frozenset[str]) -> list[str]:
    return sorted({c for c in term.screen_text() if c.isprintable() and c not in charset})


@pytest.mark.parametrize(("mode", "size", "provider"), CASES)
def test_terminal_matrix(mode: Mode, size: tuple[int, int], provider: str, tmp_path: Path) -> None:
    cols, rows = size
    args = ["--demo", *mode.flags] + (["--provider", "kernel"] if provider == "kernel" else [])
    env = {"RUNWATCH_CONFIG_DIR": str(tmp_path), **mode.env}
    with pty_app(*args, cols=cols, rows=rows, term=mode.term, env=env) as term:
        term.wait_for(TITLES[provider], START_LIMIT)
        term.wait_for("up to date", START_LIMIT)
        for key, expect in KEYS:
            _press(term, key, expect.format(title=TITLES[provider]) if expect else None)
            assert term.process.poll() is None, f"died after {key!r}: {term.screen_text()[-2000:]}"
        if mode.charset is not None:
            assert _outside(term, mode.charset) == [], f"glyphs {mode.name} cannot draw"
        # Past Textual's escape delay: a q right after the lone ESC would be read as alt+q.
        # On a starved machine the two may still be read together: q once more if so.
        time.sleep(0.4)
        code: int | None = None
        for wait in (5, 15):
            os.write(term.master, b"q")
            try:
                code = term.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        assert code == 0, f"exit {code}: {term.screen_text()[-2000:]}"
        assert _crash_signs(term) == [], term.screen_text()[-2000:]
