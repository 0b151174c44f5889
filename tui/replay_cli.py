"""``runwatch replay FILE``: the normal viewer over a recording, offline (no key, no network).

Keys on top of the viewer's: ``space`` pauses or resumes the replay, ``.`` steps to the next
recorded moment, ``>`` jumps to the end (everything recorded at once).

``runwatch replay FILE --serve [--port 8000]`` serves the same replay to a browser the way
``runwatch serve`` serves the viewer (:mod:`tui.serve`: 127.0.0.1 only, a secret URL).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from textual.binding import BindingType

from tui.cli import flags
from tui.core.source import Source
from tui.providers import load
from tui.providers.record import ReplayControls, ReplayError, open_replay, replayable
from tui.ui.actions import Action, bindings
from tui.ui.app import RunwatchApp
from tui.ui.details import DetailBody
from tui.ui.options import ViewerOptions

EXIT_OK = 0
EXIT_USAGE = 2
LABEL_LIMIT = 32
DEFAULT_PORT = 8000
"""``--serve``'s port, as ``runwatch serve``'s."""


def _speed(value: str) -> float:
    try:
        speed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not speed > 0 or math.isnan(speed):
        raise argparse.ArgumentTypeError("the speed must be above 0 (inf: straight to the end)")
    return speed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runwatch replay",
        description="Replay a recording (made with --record FILE) in the viewer, offline.",
        epilog="keys: space pause/resume, . step to the next recorded moment, > jump to the end",
    )
    parser.add_argument("file", metavar="FILE", help="a recording (.rwrec, zstd JSON lines)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="replay speed: 10 is ten times faster, inf straight to the end (default 1)",
    )
    flags(
        parser,
        paused="start paused (. steps)",
        ascii="draw with ASCII only",
        no_mouse="leave the mouse to the terminal",
        serve="serve the replay to a browser, on 127.0.0.1 only (as runwatch serve does)",
    )
    parser.add_argument(
        "--port", type=int, help=f"port for --serve (default {DEFAULT_PORT}, as runwatch serve)"
    )
    return parser


class ReplayApp(RunwatchApp):
    """The viewer over a replayed source: its clock is the recording's, and the replay's
    controls are app-level keys (the viewer's own keys are untouched).

    The status bar says REPLAY and the speed (PAUSED while paused, ENDED once the recording
    is over and its clock stopped) in place of LIVE, and the viewer polls as often, in
    recorded time, as the recorded app did: its interval is the recording's at the replay's
    speed (whatever ``options`` says)."""

    OWN_KEYS = (
        Action("space", "space", "pause or resume the replay", "replay_pause"),
        Action("full_stop", ".", "step to the next recorded moment (pauses)", "replay_step"),
        Action("greater_than_sign", ">", "jump to the recording's end", "replay_end"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [*RunwatchApp.BINDINGS, *bindings(OWN_KEYS)]

    def __init__(
        self,
        source: Source,
        body: type[DetailBody],
        options: ViewerOptions | None = None,
        *,
        controls: ReplayControls,
    ) -> None:
        options = replace(
            options or ViewerOptions(), playback=controls, interval=controls.poll_interval()
        )
        super().__init__(source, body, options, clock=controls.now)
        self.controls = controls

    def _said(self, timeout: float | None = None) -> None:
        self.notify(self.controls.describe(), title="Replay", timeout=timeout)
        with contextlib.suppress(LookupError):  # not mounted yet
            self.viewer.refresh_status()

    def action_replay_pause(self) -> None:
        self.controls.toggle_pause()
        self._said()

    def action_replay_step(self) -> None:
        if not self.controls.paused:
            self.controls.pause()
        self.controls.step()
        self._said(timeout=1.5)  # steps come in a row: their toasts do not pile up for long

    def action_replay_end(self) -> None:
        self.controls.jump_to_end()
        self._said()


def _short_name(name: str, limit: int = LABEL_LIMIT) -> str:
    """``name`` cut in the middle to ``limit`` characters: a kept run's file keeps its id
    at the start and its time at the end."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return f"{name[:head]}…{name[len(name) - (limit - 1 - head) :]}"


def replay_app(
    path: str | Path,
    speed: float = 1.0,
    *,
    paused: bool = False,
    ascii_only: bool = False,
    **replay_options: Any,
) -> ReplayApp:
    """The viewer over the recording at ``path``; :class:`ReplayError` when it is not one.
    ``replay_options`` go to :func:`open_replay` (``monotonic=``, client options)."""
    source, body_path, controls = open_replay(path, speed, paused=paused, **replay_options)
    # The status bar says REPLAY and the speed after it: the label is the file's name, short
    # enough for both to fit at 80 columns.
    label = _short_name(Path(path).name)
    focus = controls.recording.focus  # a kept group (w): opened first, as it was kept
    options = ViewerOptions(
        source_label=label, ascii_only=ascii_only, pinned=[focus] if focus else []
    )
    return ReplayApp(source, load(body_path), options, controls=controls)


def _usage(message: str) -> int:
    print(f"runwatch replay: {message}", file=sys.stderr)
    return EXIT_USAGE


def _serve(args: argparse.Namespace) -> int:
    """The replay in a browser: each page opened runs ``runwatch replay FILE`` with the same
    options, behind ``runwatch serve``'s server."""
    port = DEFAULT_PORT if args.port is None else args.port
    if not 1 <= port <= 65535:
        return _usage("--port must be between 1 and 65535")
    path = Path(args.file).resolve()
    try:
        replayable(path)  # said here, not in a browser page that would just close
    except ReplayError as exc:
        return _usage(str(exc))
    from tui.serve import serve_runwatch

    child = ["replay", str(path), "--speed", repr(args.speed)]
    child += [flag for flag in ("--paused", "--ascii") if getattr(args, flag[2:])]
    serve_runwatch(child, port=port, prog="runwatch replay")
    return EXIT_OK


def run_replay(argv: Sequence[str]) -> int:
    """``runwatch replay FILE [--speed N] [--paused] [--serve [--port N]]``: the viewer over
    a recording, in the terminal or a browser."""
    args = _parser().parse_args(argv)
    if args.serve:
        return _serve(args)
    if args.port is not None:
        return _usage("--port is for --serve")
    try:
        app = replay_app(args.file, args.speed, paused=args.paused, ascii_only=args.ascii)
    except ReplayError as exc:
        return _usage(str(exc))
    app.run(mouse=not args.no_mouse)
    return app.return_code or EXIT_OK


if __name__ == "__main__":
    sys.exit(run_replay(sys.argv[1:]))
