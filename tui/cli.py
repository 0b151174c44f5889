"""Command line: the viewer, ``watch``, ``config``, ``serve`` and ``gateway``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

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
from tui.core.errors import ConfigError
from tui.providers import DEFAULT, PROVIDERS, Provider, load
from tui.sim.scenarios import CURRENT, CURRENT_SCENARIOS, SCENARIOS

APIS = ("auto", "invocations", "current")
"""bctrl's APIs: ``--api``."""

if TYPE_CHECKING:
    from tui.core.source import Source
    from tui.providers.record import Recorder
    from tui.sim.child import ChildGateway
    from tui.sim.server import GatewayServer

    Gateway = GatewayServer | ChildGateway

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 4
REF_HELP = (
    "a bctrl run id or its short id (any unique start of it, as the viewer shows); "
    "a Kernel APP, APP@VERSION or invocation id, or any unique start of one"
)
"""What ``watch`` and ``bundle`` take as REF: both find it the same way (:func:`tui.watch.find`)."""


def _epilog() -> str:
    providers = "\n".join(
        f"  --provider {p.name:<7} {p.shows}" + (" (the default)" if p.name == DEFAULT else "")
        for p in PROVIDERS.values()
    )
    first: dict[str, Provider] = {}  # bctrl's two APIs share one key and origin
    for provider in PROVIDERS.values():
        first.setdefault(provider.key_env, provider)
    keys = "\n".join(
        f"  {p.key_env:<17} API key for {p.name} (never pass it on the command line)\n"
        f"  {p.url_env:<17} {p.name} origin (default {p.default_url})"
        for p in first.values()
    )
    return f"""\
environment:
{keys}
  RUNWATCH_PROFILE  profile to use when --profile is not given
  NO_COLOR          no colours
  precedence: flags > environment > profile (runwatch config path) > defaults

exit codes: 0 ok, 2 usage error, 4 missing or rejected API key, 129 hang-up, 143 SIGTERM

providers:
{providers}
  try them: runwatch --demo   /   runwatch --demo --provider kernel
            runwatch --demo --provider bctrl-current   (the current API's demo)

commands:
  runwatch watch REF      headless watch for scripts and CI (runwatch watch --help)
  runwatch bundle REF     an incident bundle of a run: one Markdown file for a ticket
  runwatch replay FILE    the viewer over a recording (--record FILE, or w), offline;
                          with --serve, in a browser as runwatch serve does
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
        description="A terminal live viewer of browser-automation runs (bctrl, Kernel).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "refs",
        nargs="*",
        metavar="REF",
        help="runs (bctrl: a run id, or its first characters as the tables show it), app "
        "versions or invocations (Kernel) to pin and show first",
    )
    _connection_options(parser)
    parser.add_argument("--theme", help="Textual theme (also: ctrl+p → Change theme)")
    flags(
        parser,
        ascii="ASCII badges and bars only (no box-drawing or symbols)",
        no_mouse="do not capture the mouse (native text selection works)",
        no_remember="do not restore or save pinned runs, filters and interval",
    )
    return parser


def flags(parser: argparse._ActionsContainer, **helps: str) -> None:
    """On/off options, in order: ``no_mouse="..."`` adds ``--no-mouse`` with that help."""
    for name, help in helps.items():
        parser.add_argument("--" + name.replace("_", "-"), action="store_true", help=help)


def _connection_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the viewer, ``watch`` and ``bundle``."""
    parser.add_argument("--profile", metavar="NAME", help="config profile (or RUNWATCH_PROFILE)")
    parser.add_argument("--provider", choices=list(PROVIDERS), help=f"the API (default {DEFAULT})")
    parser.add_argument(
        "--api",
        choices=APIS,
        default="auto",
        help="which bctrl API: invocations, current (tool calls, traces), or auto: ask the "
        "server (default auto; --demo --api current starts the current API's demo, as "
        "--demo --provider bctrl-current does)",
    )
    flags(parser, demo="start the embedded gateway on a free loopback port and use it")
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help=f"gateway scenario for --demo (default demo, or {CURRENT} with --api current or "
        "--provider bctrl-current; ci's runs finish within a minute)",
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="API origin (or BCTRL_BASE_URL / KERNEL_BASE_URL)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="refresh interval (default: profile, remembered, or 2)",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="record every answer (never the key) to FILE, zstd JSON lines, for runwatch replay",
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
    flags(
        parser,
        frozen="stop the world clock: nothing ever changes",
        faults="inject 5xx, 429, slow, malformed and dropped responses",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.15,
        metavar="RATE",
        help="share of requests that fail with --faults (default 0.15)",
    )
    return parser


class _Exit(Exception):
    """Ends a command with ``code``, its message already printed (:func:`main` returns it)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _fail(code: int, message: str) -> NoReturn:
    print(f"runwatch: {message}", file=sys.stderr)
    raise _Exit(code)


def run_gateway(argv: Sequence[str]) -> int:
    """``runwatch gateway``: serve until interrupted."""
    from tui.sim.server import GatewayOptions, GatewayServer

    args = _gateway_parser().parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("runwatch: note: the gateway is meant for loopback use", file=sys.stderr)
    try:
        server = GatewayServer(GatewayOptions(**vars(args)))  # one flag per option
    except OSError as exc:
        _fail(EXIT_USAGE, f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    print(
        f"runwatch gateway: scenario {args.scenario}, listening on {server.url}"
        f"{' with faults' if args.faults else ''}",
        flush=True,
    )
    print(f"  try: curl -H 'Authorization: Bearer x' {server.url}/v1/runs", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return EXIT_OK


@dataclass
class Connection:
    """A resolved API connection: settings, a source, and the demo gateway if one was started."""

    settings: Settings
    provider: Provider
    source: Source
    label: str
    gateway: Gateway | None = None
    recorder: Recorder | None = None

    def close_gateway(self) -> None:
        """Stop the demo gateway and close the recording, whichever there is."""
        if self.recorder is not None:
            self.recorder.close()
        if self.gateway is not None:
            self.gateway.stop()


def _check_common(args: argparse.Namespace) -> None:
    """Fails on a usage error in the shared options."""
    if args.api_key is not None:
        keys = " or ".join(dict.fromkeys(p.key_env for p in PROVIDERS.values()))
        _fail(
            EXIT_USAGE,
            "refusing --api-key: a key on the command line leaks into shell history "
            f"and ps; set {keys} (or a profile's api_key_env) instead",
        )
    if args.interval is not None and not 0.2 <= args.interval <= 3600:
        _fail(EXIT_USAGE, "--interval must be between 0.2 and 3600 seconds")


def _pinned_api(args: argparse.Namespace, provider: str | None) -> str | None:
    """Which of bctrl's APIs is spoken whatever the server answers (as :func:`_api_by_words`
    decides it without references): ``current`` for the provider ``bctrl-current``,
    ``--api`` for ``bctrl``; None when the server is asked, or the provider is not bctrl."""
    if provider == "bctrl-current":
        return "current"
    if provider in (None, DEFAULT) and args.api != "auto":
        return str(args.api)
    return None


def _default_scenario(args: argparse.Namespace, provider: str | None) -> str:
    """The scenario ``--demo`` starts without ``--scenario``: the demo of the API spoken
    (``current`` where bctrl's current API is pinned)."""
    return CURRENT if _pinned_api(args, provider) == "current" else "demo"


def _demo_scenario(args: argparse.Namespace, provider: str | None) -> str:
    """The scenario ``--demo`` starts for ``provider``: ``--scenario``, else the default
    one; a usage error when ``--scenario`` names one that does not serve the bctrl API
    that is pinned (the other API's every request would be a 404)."""
    scenario: str | None = args.scenario
    if scenario is None:
        return _default_scenario(args, provider)
    api = _pinned_api(args, provider)
    serves = "current" if scenario in CURRENT_SCENARIOS else "invocations"
    if api is not None and api != serves:
        if args.api == api:
            pinned = f"--api {api}"
        else:  # bctrl-current, named by the flag or the profile
            pinned = (
                f"--provider {provider}" if args.provider else f"the profile's provider {provider}"
            )
        said = {"current": "current API", "invocations": "invocation API"}
        fit = [s for s in SCENARIOS if (s in CURRENT_SCENARIOS) == (api == "current")]
        _fail(
            EXIT_USAGE,
            f"--scenario {scenario} serves bctrl's {said[serves]}, but {pinned} speaks its "
            f"{said[api]}: use --scenario {' or '.join(fit)}, or no --scenario",
        )
    return scenario


def _api_by_words(
    args: argparse.Namespace, provider: Provider, refs: Sequence[str]
) -> Provider | None:
    """Which of bctrl's APIs, when it is known without asking the server: pinned by
    ``--api`` (or a profile's provider), or by the references' form; None to ask."""
    if provider.name != DEFAULT or args.api == "invocations":
        return provider
    current = PROVIDERS["bctrl-current"]
    if args.api == "current" or (refs and all(current.valid_ref(ref) for ref in refs)):
        return current
    if refs and all(provider.valid_ref(ref) for ref in refs):
        return provider  # UUIDs: the invocation API's ids (the current API's are prefixed)
    return None


def _bctrl_api(
    args: argparse.Namespace, provider: Provider, settings: Settings, refs: Sequence[str]
) -> Provider:
    """Which of bctrl's APIs to speak: the one ``--api`` (or a profile's provider) pins,
    the one the references are written in (``run_…``, ``tc_…``), else the one the server
    answers for (``GET /v1/tool-calls``)."""
    decided = _api_by_words(args, provider, refs)
    if decided is not None:
        return decided
    from tui.providers.current.client import CurrentClient, speaks_current
    from tui.providers.http import RetryPolicy

    async def probe() -> bool | None:
        client = CurrentClient(
            settings.key,
            settings.base_url,
            retry=RetryPolicy(max_retries=0),
            read_timeout=3,
            deadline=4,
        )
        async with client:
            return await speaks_current(client)

    try:
        speaks = asyncio.run(probe())
    except ConfigError:
        return provider  # a bad origin: making the source says what is wrong with it
    if speaks is None:
        print(
            "runwatch: could not tell which bctrl API the server speaks; using the "
            "invocation API (pin it with --api current or --api invocations)",
            file=sys.stderr,
        )
    return PROVIDERS["bctrl-current"] if speaks else provider


def spawn_demo_gateway(scenario: str) -> ChildGateway:
    """The demo gateway in its own process (see :mod:`tui.sim.child`)."""
    from tui.sim.child import spawn
    from tui.sim.options import GatewayOptions

    return spawn(GatewayOptions(scenario=scenario))


def _connect(
    args: argparse.Namespace,
    refs: Sequence[str] = (),
    early: tuple[str, Gateway] | None = None,
    command: str | None = None,
    focus: str | None = None,
) -> Connection:
    """Resolve flags > env > profile > defaults into a source.

    ``refs`` are checked against the provider first (a malformed reference is a usage error
    whatever the key). ``early`` is a demo gateway already started, and its scenario (the
    viewer starts it before importing Textual, so the two start up side by side, for the
    provider the flags name); it is stopped on a failure, and replaced when the profile's
    provider wants another scenario.
    ``command`` names a subcommand in what it records (``watch`` records less) and in the
    hint for a missing key, and ``focus`` what it watched, which a replay of the recording
    opens on."""
    import time

    from tui.core.text import looks_like_id
    from tui.providers.http import cleartext

    started, gateway = early or (None, None)
    try:
        try:
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
        except ConfigError as exc:
            _fail(EXIT_USAGE, exc.message)
        provider = PROVIDERS[settings.provider]
        pinned = _api_by_words(args, provider, refs) or provider
        # The start of an id, as the tables show it, is looked up among the listed groups.
        bad = [ref for ref in refs if not (pinned.valid_ref(ref) or looks_like_id(ref))]
        if bad:
            shown = bad[0][:60].encode("unicode_escape").decode()
            _fail(EXIT_USAGE, f"not a {pinned.name} reference (want {pinned.ref_help}): {shown!r}")
        if args.demo:
            scenario = _demo_scenario(args, provider.name)
            if gateway is not None and started != scenario:
                gateway.stop()  # the profile's provider speaks another API than the flags'
                gateway = None
            gateway = gateway or spawn_demo_gateway(scenario)
            settings = replace(settings, base_url=gateway.url, key="demo", key_source="demo")
            label = f"demo gateway {gateway.url}"
        elif not settings.key:
            where = f" (profile {settings.profile})" if settings.profile else ""
            _fail(
                EXIT_AUTH,
                f"no API key{where}: set {settings.key_env}, name a variable with api_key_env "
                f"in the profile, or try runwatch {f'{command} ' if command else ''}--demo"
                + (f" --provider {provider.name}" if provider.name != DEFAULT else ""),
            )
        else:
            label = settings.base_url
        provider = _bctrl_api(args, provider, settings, refs)
        recorder = None
        try:
            if args.record:
                from tui.providers.record import recorder_for

                recorder = recorder_for(
                    args.record,
                    provider.name,
                    settings.base_url,
                    settings.key,
                    focus=focus,
                    made_by=command,
                )
            source = provider.make_source(
                settings.key,
                settings.base_url,
                clock=time.time,
                key_env=settings.key_env,
                recorder=recorder,
            )
        except (ConfigError, OSError) as exc:
            _fail(EXIT_USAGE, exc.message if isinstance(exc, ConfigError) else str(exc))
    except _Exit:
        if gateway is not None:
            gateway.stop()
        raise
    if cleartext(source.base_url):
        print(
            f"runwatch: warning: {source.base_url} is plain http to another machine: "
            "the API key travels in clear text",
            file=sys.stderr,
        )
    return Connection(settings, provider, source, label, gateway, recorder)


def run_viewer(argv: Sequence[str]) -> int:
    """``runwatch [REF ...]``: the live viewer."""
    args = _viewer_parser().parse_args(argv)
    _check_common(args)
    early = None
    if args.demo:  # for the flags' provider (_connect checks it, and the profile's)
        scenario = args.scenario or _default_scenario(args, args.provider)
        early = (scenario, spawn_demo_gateway(scenario))
    connection = _connect(args, args.refs, early)
    settings = connection.settings

    from tui.ui.app import RunwatchApp
    from tui.ui.options import ViewerOptions

    remember = not args.no_remember and not args.demo
    memory = load_memory(settings.profile, settings.base_url) if remember else ViewerMemory()
    pins = [p for p in memory.pinned if connection.provider.valid_ref(p)]
    options = ViewerOptions(
        pinned=list(dict.fromkeys([*args.refs, *pins])),
        interval=args.interval or memory.interval or settings.interval,
        status=settings.status or tuple(memory.status),
        action=settings.action or tuple(memory.action),
        text_filter=memory.text_filter,
        source_label=connection.label,
        profile=settings.profile,
        production=settings.production,
        ascii_only=args.ascii,
        theme=settings.theme,
    )
    try:
        app = RunwatchApp(connection.source, load(connection.provider.detail_body), options)
    except ValueError as exc:  # an unknown theme
        connection.close_gateway()
        _fail(EXIT_USAGE, str(exc))
    try:
        app.run(mouse=not args.no_mouse)
    finally:
        connection.close_gateway()
        if remember and app.final_memory is not None:
            save_memory(settings.profile, settings.base_url, app.final_memory)
    return app.return_code or EXIT_OK


def _watch_parser() -> argparse.ArgumentParser:
    from tui.watch import EXIT_CODES_HELP, JSON_HELP

    parser = _Parser(
        prog="runwatch watch",
        description="Watch a run, an app version or one invocation without a UI: for scripts, "
        "logs and CI.",
        epilog=JSON_HELP
        + "\n"
        + EXIT_CODES_HELP
        + """
examples:
  runwatch watch 6f1c...e2 --exit-status --timeout 600   # a CI gate on a bctrl run
  runwatch watch 6f1c...e2 --fail-fast                    # stop at the first failure (exit 1)
  runwatch watch 6f1c...e2 --jsonl | jq .to               # one line per transition
  runwatch watch 6f1c...e2 --once                         # one table, then exit
  runwatch watch 6f1c2e2a                                 # the short id the viewer shows
  runwatch watch --demo                                   # the demo's runs, and their ids
  runwatch watch --provider kernel web-scraper@1.4.2      # a Kernel app version
  runwatch watch --provider kernel INVOCATION_ID          # one Kernel invocation
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "ref",
        nargs="?",
        metavar="REF",
        help=f"{REF_HELP}. With --demo and no REF: list the demo's runs",
    )
    flags(
        parser.add_mutually_exclusive_group(),
        once="print one frame and exit",
        json="print one JSON document and exit: the run's record (group), its invocations' "
        "records (rows), its failure and each failed row's why (see below)",
        jsonl="one JSON line per status transition until done; what was already so when "
        'the watch started comes first, "already": true, stamped when it became so',
    )
    flags(
        parser,
        exit_status="exit 1 when anything failed, was cancelled or timed out; with --once or "
        "--json, exit 3 when nothing did but something is still live (not finished yet)",
        fail_fast="exit 1 at the first failed or timed-out invocation (or the run's own "
        "failure), once it and why it failed are printed",
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


def _watch_command(args: argparse.Namespace) -> str:
    """The command that watches one of what ``runwatch watch --demo`` lists, but the REF."""
    command = ["runwatch", "watch", "--demo"]
    if args.api != "auto":
        command += ["--api", args.api]  # --api current picks its own scenario
    if args.scenario not in (None, _default_scenario(args, args.provider)):
        command += ["--scenario", args.scenario]
    if args.provider:
        command += ["--provider", args.provider]
    return shlex.join(command)


def run_watch(argv: Sequence[str]) -> int:
    """``runwatch watch REF``: headless (``--demo`` alone lists the demo's runs)."""
    from tui.core.text import looks_like_id
    from tui.watch import EXIT_PIPE, WatchOptions, list_groups, watch

    args = _watch_parser().parse_args(argv)
    _check_common(args)
    if args.ref is None and not args.demo:
        _fail(EXIT_USAGE, "REF is required (or --demo alone, to list the demo's runs)")
    if args.timeout is not None and not 0 < args.timeout < math.inf:
        _fail(EXIT_USAGE, "--timeout must be a positive number of seconds")
    if not args.give_up > 0:  # also NaN; inf (never give up) is allowed
        _fail(EXIT_USAGE, "--give-up must be a positive number of seconds")
    # A short id (the start of a run id, as the viewer shows it) is looked up by the watch.
    refs = [] if args.ref is None or looks_like_id(args.ref) else [args.ref]
    connection = _connect(args, refs, command="watch", focus=args.ref)
    mode = "once" if args.once else "json" if args.json else "jsonl" if args.jsonl else "plain"
    options = WatchOptions(
        ref=args.ref or "",
        mode=mode,
        exit_status=args.exit_status,
        timeout=args.timeout,
        interval=connection.settings.interval,
        give_up=args.give_up,
        fail_fast=args.fail_fast,
    )
    source = connection.source

    async def go() -> int:
        try:
            if args.ref is None:
                return await list_groups(
                    source, options, out=sys.stdout, err=sys.stderr, how=_watch_command(args)
                )
            return await watch(source, options, out=sys.stdout, err=sys.stderr)
        finally:
            await source.aclose()

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `runwatch watch ... | head -1`: the reader has what it wanted
        # stdout at devnull, so the flush at exit does not fail again and print a traceback
        # (as the Python docs advise for SIGPIPE).
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return EXIT_PIPE
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
        _fail(EXIT_USAGE, f"{path} exists (use --force to overwrite)")
    except OSError as exc:
        _fail(EXIT_USAGE, f"cannot write {path}: {exc.strerror}")
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
    flags(parser, demo="serve the demo")
    parser.add_argument("--profile", metavar="NAME", help="config profile")
    parser.add_argument("--provider", choices=list(PROVIDERS), help=f"the API (default {DEFAULT})")
    parser.add_argument(
        "--api",
        choices=APIS,
        help="which of bctrl's APIs, as for the viewer (--demo --api current: its demo)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        _fail(EXIT_USAGE, "--port must be between 1 and 65535")
    from tui.serve import serve_runwatch

    command: list[str] = ["--demo"] if args.demo else []
    for flag in ("profile", "provider", "api"):
        if getattr(args, flag):
            command += [f"--{flag}", getattr(args, flag)]
    serve_runwatch(command, port=args.port, prog="runwatch serve")
    return EXIT_OK


def run_bundle(argv: Sequence[str]) -> int:
    """``runwatch bundle REF``: an incident bundle (Markdown) of a run or app version."""
    parser = _Parser(
        prog="runwatch bundle",
        description="Write one Markdown file about a run (or app version) for a ticket: its "
        "card, failures by cause with their fixes, the first failure's diagnostic, the "
        "timeline, the last log lines, and a curl per record (the key as $VARIABLE, never "
        "its value).",
    )
    parser.add_argument("ref", metavar="REF", help=REF_HELP)
    parser.add_argument("--out", metavar="DIR", help="where to write it (default: here)")
    _connection_options(parser)
    args = parser.parse_args(argv)
    _check_common(args)
    from tui.core.text import looks_like_id

    # The start of an id is looked up by find(), not checked as a whole one.
    short = looks_like_id(args.ref) and not PROVIDERS[args.provider or DEFAULT].valid_ref(args.ref)
    connection = _connect(args, [] if short else [args.ref], command="bundle")

    from tui import bundle
    from tui.core.errors import ApiError
    from tui.watch import Stop, find

    async def go() -> Path:
        try:
            # As watch takes REF: a whole id, or the start of a listed one (Kernel: of an
            # app's name or APP@VERSION, of an invocation id); several are listed.
            found = await find(connection.source, args.ref, err=sys.stderr, doing="bundle")
            evidence = await bundle.collect(connection.source, found)
        finally:
            await connection.source.aclose()
        directory = Path(args.out) if args.out else None
        return bundle.write(bundle.render(evidence), evidence.group.key, directory)

    try:
        path = asyncio.run(go())
    except Stop as stop:  # what REF names nothing, or several: said as watch says it
        return stop.code
    except ApiError as exc:
        auth = exc.kind in ("unauthorized", "forbidden")
        _fail(EXIT_AUTH if auth else EXIT_USAGE if exc.kind == "not_found" else 5, str(exc))
    except OSError as exc:
        _fail(EXIT_USAGE, str(exc))
    finally:
        connection.close_gateway()
    print(path)
    return EXIT_OK


def run_replay(argv: Sequence[str]) -> int:
    """``runwatch replay FILE``: the viewer over a recording, offline."""
    from tui.replay_cli import run_replay as replay

    return replay(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``runwatch`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "gateway": run_gateway,
        "watch": run_watch,
        "config": run_config,
        "serve": run_serve,
        "bundle": run_bundle,
        "replay": run_replay,
    }
    try:
        if args[:1] and args[0] in commands:
            return commands[args[0]](args[1:])
        return run_viewer(args)
    except _Exit as failed:
        return failed.code


if __name__ == "__main__":
    sys.exit(main())
