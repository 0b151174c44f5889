"""Command line: the viewer, ``watch``, ``config``, ``serve`` and ``gateway``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NoReturn

from tui.api.errors import ConfigError
from tui.config import (
    Settings,
    ViewerMemory,
    config_path,
    init_config,
    load_config,
    load_memory,
    resolve,
    save_memory,
)
from tui.sim.scenarios import SCENARIOS

if TYPE_CHECKING:
    from tui.api.http import HttpApi
    from tui.sim.child import ChildGateway
    from tui.sim.server import GatewayServer

    Gateway = GatewayServer | ChildGateway

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 4

EPILOG = """\
environment:
  BCTRL_API_KEY     API key (never pass it on the command line)
  BCTRL_BASE_URL    API origin (default https://api.bctrl.ai)
  KERNEL_API_KEY    API key with --provider kernel
  KERNEL_BASE_URL   Kernel origin (default https://api.onkernel.com)
  RUNWATCH_PROFILE  profile to use when --profile is not given
  NO_COLOR          no colours
  precedence: flags > environment > profile (runwatch config path) > defaults

exit codes: 0 ok, 2 usage error, 4 missing or rejected API key

providers:
  --provider bctrl  runs, their invocations, steps and diagnostics (the default)
  --provider kernel apps by version, their invocations, payload, output and live logs
  try both: runwatch --demo   /   runwatch --demo --provider kernel

commands:
  runwatch watch RUN_ID   headless watch for scripts and CI (runwatch watch --help)
  runwatch config path    where the config file lives; `config init` writes an example
  runwatch serve          serve the viewer to a browser on 127.0.0.1 (runwatch serve --help)
  runwatch gateway        run the embedded gateway alone (runwatch gateway --help)
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
    _connection_options(parser)
    parser.add_argument("--theme", help="Textual theme (also: ctrl+p → Change theme)")
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
    parser.add_argument("--naive-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-remember",
        action="store_true",
        help="do not restore or save pinned runs, filters and interval",
    )
    return parser


def _connection_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the viewer, ``watch`` and ``serve``."""
    parser.add_argument("--profile", metavar="NAME", help="config profile (or RUNWATCH_PROFILE)")
    parser.add_argument("--provider", choices=["bctrl", "kernel"], help="API (default bctrl)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded gateway on a free loopback port and use it",
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        choices=SCENARIOS,
        help="gateway scenario for --demo (default demo; ci's runs finish within a minute)",
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="API origin (or BCTRL_BASE_URL / KERNEL_BASE_URL)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="refresh interval (default: profile, remembered, or 2)",
    )
    parser.add_argument("--api-key", help=argparse.SUPPRESS)


def _gateway_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="runwatch gateway", description="Serve the bctrl contract with live simulated data."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 = free)")
    parser.add_argument("--token", help="accept only this bearer token (default: any)")
    parser.add_argument("--scenario", default="demo", choices=SCENARIOS)
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
        "--frozen", action="store_true", help="stop the world clock: nothing ever changes"
    )
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
        frozen=args.frozen,
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


@dataclass
class Connection:
    """A resolved API connection: settings, a client, and the demo gateway if one was started."""

    settings: Settings
    client: HttpApi
    label: str
    gateway: Gateway | None = None

    def close_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()


def _check_common(args: argparse.Namespace) -> str | None:
    """A usage error in the shared options, or None."""
    if args.api_key is not None:
        return (
            "refusing --api-key: a key on the command line leaks into shell history "
            "and ps; set BCTRL_API_KEY or KERNEL_API_KEY (or a profile's api_key_env) instead"
        )
    if args.interval is not None and not 0.2 <= args.interval <= 3600:
        return "--interval must be between 0.2 and 3600 seconds"
    return None


def spawn_demo_gateway(scenario: str) -> ChildGateway:
    """The demo gateway in its own process (see :mod:`tui.sim.child`)."""
    from tui.sim.child import spawn
    from tui.sim.options import GatewayOptions

    return spawn(GatewayOptions(scenario=scenario))


def _connect(args: argparse.Namespace, early: Gateway | None = None) -> Connection | int:
    """Resolve flags > env > profile > defaults into a client; an int is an exit code.

    ``early`` is a demo gateway already started (the viewer starts it before importing
    Textual, so the two start up side by side)."""
    from tui.api.http import RetryPolicy
    from tui.providers import PROVIDERS

    config = load_config()
    for warning in config.warnings:
        print(f"runwatch: {warning}", file=sys.stderr)
    settings = resolve(
        config,
        profile=args.profile,
        provider=args.provider,
        base_url=args.base_url,
        interval=args.interval,
        theme=getattr(args, "theme", None),
    )
    provider = PROVIDERS[settings.provider]
    gateway: Gateway | None = early
    if args.demo:
        if gateway is None:
            gateway = spawn_demo_gateway(args.scenario)
        settings = replace(settings, base_url=gateway.url, key="demo", key_source="demo")
        label = f"demo gateway {gateway.url}"
    else:
        if not settings.key:
            where = f" (profile {settings.profile})" if settings.profile else ""
            return _fail(
                EXIT_AUTH,
                f"no API key{where}: set {provider.key_env}, name a variable with api_key_env "
                "in the profile, or try runwatch --demo"
                + (" --provider kernel" if provider.name == "kernel" else ""),
            )
        label = settings.base_url
    retry = RetryPolicy(max_retries=2, base=0.25, cap=2.0)
    try:
        client = provider.client(settings.key, settings.base_url, retry=retry)
    except ConfigError as exc:
        if gateway is not None:
            gateway.stop()
        return _fail(EXIT_USAGE, exc.message)
    return Connection(settings=settings, client=client, label=label, gateway=gateway)


def run_viewer(argv: Sequence[str]) -> int:
    """``runwatch [RUN_ID ...]``: the live viewer."""
    args = _viewer_parser().parse_args(argv)
    problem = _check_common(args)
    if problem:
        return _fail(EXIT_USAGE, problem)
    bad = [r for r in args.run_ids if not _valid_run_id(r)]
    if bad:
        return _fail(EXIT_USAGE, f"not a run id (want a UUID): {bad[0][:60]!r}")
    early = spawn_demo_gateway(args.scenario) if args.demo else None
    try:
        connection = _connect(args, early)
    except ConfigError as exc:
        connection = _fail(EXIT_USAGE, exc.message)
    if isinstance(connection, int):
        if early is not None:
            early.stop()
        return connection
    settings = connection.settings

    from tui.app import RunwatchApp
    from tui.options import ViewerOptions

    remember = not args.no_remember and not args.demo
    memory = load_memory(settings.profile, settings.base_url) if remember else ViewerMemory()
    options = ViewerOptions(
        pinned=list(dict.fromkeys([*args.run_ids, *memory.pinned])),
        interval=args.interval or (memory.interval if remember else None) or settings.interval,
        status=settings.status or tuple(memory.status),
        action=settings.action or tuple(memory.action),
        text_filter=memory.text_filter,
        source_label=connection.label,
        profile=settings.profile,
        production=settings.production,
        ascii_only=args.ascii,
        theme=settings.theme,
        key_env=settings.key_env,
        naive_baseline=args.naive_baseline,
    )
    try:
        app = RunwatchApp(connection.client, options=options)
    except ValueError as exc:  # an unknown theme
        connection.close_gateway()
        return _fail(EXIT_USAGE, str(exc))
    try:
        app.run(mouse=not args.no_mouse)
    finally:
        connection.close_gateway()
        if remember and app.final_memory is not None:
            save_memory(settings.profile, settings.base_url, app.final_memory)
    return app.return_code or EXIT_OK


def _watch_parser() -> argparse.ArgumentParser:
    from tui.watch import EXIT_CODES_HELP

    parser = _Parser(
        prog="runwatch watch",
        description="Watch one run without a UI: for scripts, logs and CI.",
        epilog=EXIT_CODES_HELP
        + """
examples:
  runwatch watch 6f1c...e2 --exit-status --timeout 600   # a CI gate
  runwatch watch 6f1c...e2 --jsonl | jq .to               # one line per transition
  runwatch watch 6f1c...e2 --once                         # one table, then exit
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run to watch (a UUID)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="print one frame and exit")
    mode.add_argument("--json", action="store_true", help="print the run as one JSON document")
    mode.add_argument(
        "--jsonl", action="store_true", help="one JSON line per status transition until done"
    )
    parser.add_argument(
        "--exit-status", action="store_true", help="exit 1 when any invocation did not succeed"
    )
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="give up (exit 3)")
    parser.add_argument(
        "--give-up",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="exit 5 after the API has been unreachable this long (default 60)",
    )
    _connection_options(parser)
    return parser


def run_watch(argv: Sequence[str]) -> int:
    """``runwatch watch RUN_ID``: headless."""
    from tui.watch import WatchOptions, watch

    args = _watch_parser().parse_args(argv)
    problem = _check_common(args)
    if problem:
        return _fail(EXIT_USAGE, problem)
    if not _valid_run_id(args.run_id):
        return _fail(EXIT_USAGE, f"not a run id (want a UUID): {args.run_id[:60]!r}")
    if args.timeout is not None and args.timeout <= 0:
        return _fail(EXIT_USAGE, "--timeout must be positive")
    try:
        connection = _connect(args)
    except ConfigError as exc:
        return _fail(EXIT_USAGE, exc.message)
    if isinstance(connection, int):
        return connection
    from tui.api.client import BctrlClient

    client = connection.client
    if not isinstance(client, BctrlClient):
        connection.close_gateway()
        return _fail(EXIT_USAGE, "watch follows a bctrl run; Kernel has no runs (use the viewer)")
    mode = "once" if args.once else "json" if args.json else "jsonl" if args.jsonl else "plain"
    options = WatchOptions(
        run_id=args.run_id,
        mode=mode,
        exit_status=args.exit_status,
        timeout=args.timeout,
        interval=connection.settings.interval,
        give_up=args.give_up,
    )

    async def go() -> int:
        async with client:
            return await watch(client, options, out=sys.stdout, err=sys.stderr)

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        return 130
    finally:
        connection.close_gateway()


def run_config(argv: Sequence[str]) -> int:
    """``runwatch config path|init [--force]``."""
    parser = _Parser(prog="runwatch config", description="Where the config lives; an example.")
    parser.add_argument("what", choices=["path", "init"], help="path: print it; init: write one")
    parser.add_argument("--force", action="store_true", help="init: overwrite an existing file")
    args = parser.parse_args(argv)
    path = config_path()
    if args.what == "path":
        print(path)
        return EXIT_OK
    try:
        init_config(path, force=args.force)
    except FileExistsError:
        return _fail(EXIT_USAGE, f"{path} exists (use --force to overwrite)")
    except OSError as exc:
        return _fail(EXIT_USAGE, f"cannot write {path}: {exc.strerror}")
    print(f"wrote {path} (mode 0600)")
    return EXIT_OK


def run_serve(argv: Sequence[str]) -> int:
    """``runwatch serve``: the viewer in a browser, on 127.0.0.1 only."""
    parser = _Parser(
        prog="runwatch serve",
        description=(
            "Serve the viewer to a browser with textual-serve, bound to 127.0.0.1 only. "
            "From another machine, tunnel: ssh -L 8000:127.0.0.1:8000 server"
        ),
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--demo", action="store_true", help="serve the demo")
    parser.add_argument("--profile", metavar="NAME", help="config profile")
    parser.add_argument("--provider", choices=["bctrl", "kernel"], help="API (default bctrl)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        return _fail(EXIT_USAGE, "--port must be between 1 and 65535")
    from tui.serve import GuardedServer

    command = [sys.executable, "-m", "tui"]
    if args.demo:
        command.append("--demo")
    if args.profile:
        command += ["--profile", args.profile]
    if args.provider:
        command += ["--provider", args.provider]
    server = GuardedServer(shlex.join(command), port=args.port)
    # Printed once: the secret in this URL is what lets a browser in (and no other website).
    print(f"runwatch serve: {server.url} (loopback only; open this URL)", flush=True)
    server.serve()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``runwatch`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "gateway": run_gateway,
        "watch": run_watch,
        "config": run_config,
        "serve": run_serve,
    }
    if args[:1] and args[0] in commands:
        return commands[args[0]](args[1:])
    return run_viewer(args)


if __name__ == "__main__":
    sys.exit(main())
