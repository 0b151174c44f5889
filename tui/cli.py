"""Command line: ``runwatch [RUN_ID ...]``, ``runwatch --demo`` and ``runwatch gateway``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import uuid
from collections.abc import Sequence
from typing import NoReturn

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 4

EPILOG = """\
environment:
  BCTRL_API_KEY     API key (never pass it on the command line)
  BCTRL_BASE_URL    API origin (default https://api.bctrl.ai)

exit codes: 0 ok, 2 usage error, 4 missing or rejected API key

commands:
  runwatch gateway  run the embedded gateway alone (see runwatch gateway --help)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that prints one line and exits 2 on a usage error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"runwatch: {message} (see runwatch --help)\n")


def _viewer_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="runwatch",
        description="A terminal live viewer for bctrl runs and invocations.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "run_ids",
        nargs="*",
        metavar="RUN_ID",
        help="runs to pin at the top of the run list (selected first)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded gateway on a free loopback port and view it",
    )
    parser.add_argument("--base-url", metavar="URL", help="API origin (or BCTRL_BASE_URL)")
    parser.add_argument(
        "--interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="refresh interval for the run list and table (default 2)",
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        choices=["demo", "big", "edge"],
        help="gateway scenario for --demo (default demo)",
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="ASCII badges and bars only (no box-drawing or symbols)",
    )
    parser.add_argument(
        "--no-mouse",
        action="store_true",
        help="do not capture the mouse (native text selection works)",
    )
    parser.add_argument("--api-key", help=argparse.SUPPRESS)
    return parser


def _gateway_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="runwatch gateway", description="Serve the bctrl contract with live simulated data."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 = free)")
    parser.add_argument("--token", help="accept only this bearer token (default: any)")
    parser.add_argument("--scenario", default="demo", choices=["demo", "big", "edge"])
    parser.add_argument(
        "--invocations",
        type=int,
        default=10_000,
        metavar="N",
        help="invocations in the big scenario (default 10000)",
    )
    parser.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    parser.add_argument("--speed", type=float, default=1.0, help="world clock speed factor")
    parser.add_argument(
        "--faults",
        action="store_true",
        help="inject 5xx, 429, slow, malformed and dropped responses",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.15,
        metavar="RATE",
        help="share of requests that fail with --faults (default 0.15)",
    )
    return parser


def _fail(code: int, message: str) -> int:
    print(f"runwatch: {message}", file=sys.stderr)
    return code


def run_gateway(argv: Sequence[str]) -> int:
    """``runwatch gateway``: serve until interrupted."""
    from tui.sim.server import GatewayOptions, GatewayServer

    args = _gateway_parser().parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("runwatch: note: the gateway is meant for loopback use", file=sys.stderr)
    options = GatewayOptions(
        host=args.host,
        port=args.port,
        token=args.token,
        scenario=args.scenario,
        invocations=args.invocations,
        seed=args.seed,
        speed=args.speed,
        faults=args.faults,
        fault_rate=args.fault_rate,
    )
    try:
        server = GatewayServer(options)
    except OSError as exc:
        return _fail(EXIT_USAGE, f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    print(
        f"runwatch gateway: scenario {args.scenario}, listening on {server.url}"
        f"{' with faults' if args.faults else ''}",
        flush=True,
    )
    print(f"  try: curl -H 'Authorization: Bearer x' {server.url}/v1/runs", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return EXIT_OK


def _valid_run_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def run_viewer(argv: Sequence[str]) -> int:
    """``runwatch [RUN_ID ...]``: the live viewer."""
    args = _viewer_parser().parse_args(argv)
    if args.api_key is not None:
        return _fail(
            EXIT_USAGE,
            "refusing --api-key: a key on the command line leaks into "
            "shell history and ps; set BCTRL_API_KEY instead",
        )
    bad = [r for r in args.run_ids if not _valid_run_id(r)]
    if bad:
        return _fail(EXIT_USAGE, f"not a run id (want a UUID): {bad[0][:60]!r}")
    if not 0.2 <= args.interval <= 3600:
        return _fail(EXIT_USAGE, "--interval must be between 0.2 and 3600 seconds")

    from tui.api.client import BctrlClient
    from tui.api.errors import ConfigError

    gateway = None
    if args.demo:
        from tui.sim.server import GatewayOptions, GatewayServer

        gateway = GatewayServer(GatewayOptions(scenario=args.scenario)).start()
        base_url, key, label = gateway.url, "demo", f"demo gateway {gateway.url}"
    else:
        key = os.environ.get("BCTRL_API_KEY", "")
        if not key:
            return _fail(EXIT_AUTH, "no API key: set BCTRL_API_KEY (or try runwatch --demo)")
        base_url = args.base_url or os.environ.get("BCTRL_BASE_URL") or ""
        label = None
    try:
        client = BctrlClient(key, base_url or None)
    except ConfigError as exc:
        return _fail(EXIT_USAGE, exc.message)

    from tui.app import RunwatchApp

    app = RunwatchApp(
        client,
        pinned=args.run_ids,
        interval=args.interval,
        source_label=label,
        ascii_only=args.ascii,
    )
    try:
        app.run(mouse=not args.no_mouse)
    finally:
        if gateway is not None:
            gateway.stop()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``runwatch`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["gateway"]:
        return run_gateway(args[1:])
    return run_viewer(args)


if __name__ == "__main__":
    sys.exit(main())
