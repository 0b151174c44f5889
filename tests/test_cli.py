"""Command line: help, usage errors, missing key, refusing a key in argv, the gateway command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import zstandard

from tui.cli import EXIT_AUTH, EXIT_USAGE, main
from tui.sim.server import GatewayServer

REPO = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "KERNEL_", "RUNWATCH_"))
    }
    env.update(extra)
    return env


def test_help_mentions_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "BCTRL_API_KEY" in out and "--demo" in out and "exit codes" in out
    assert "KERNEL_API_KEY" in out and "--provider kernel" in out
    environment = out[out.index("environment:") :]
    assert environment.count("BCTRL_API_KEY") == 1, "bctrl's two APIs share one key: said once"


def test_unknown_flag_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--bogus"])
    assert info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_key_on_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--api-key", "sk-abc"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "BCTRL_API_KEY" in err and "sk-abc" not in err
    assert err.count("BCTRL_API_KEY") == 1


def test_missing_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The hint names a command that works: the subcommand's own --demo."""
    monkeypatch.delenv("BCTRL_API_KEY", raising=False)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    assert main([]) == EXIT_AUTH
    err = capsys.readouterr().err
    assert "BCTRL_API_KEY" in err and "or try runwatch --demo" in err
    for command in ("watch", "bundle"):
        assert main([command, "121a"]) == EXIT_AUTH
        assert f"or try runwatch {command} --demo" in capsys.readouterr().err, command


def test_kernel_reads_its_own_key_and_origin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "a-bctrl-key")
    monkeypatch.delenv("KERNEL_API_KEY", raising=False)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    assert main(["--provider", "kernel"]) == EXIT_AUTH
    err = capsys.readouterr().err
    assert "KERNEL_API_KEY" in err and "--demo --provider kernel" in err
    monkeypatch.setenv("KERNEL_API_KEY", "k")
    monkeypatch.setenv("KERNEL_BASE_URL", "ftp://kernel.invalid")
    assert main(["--provider", "kernel"]) == EXIT_USAGE
    assert "ftp://kernel.invalid" in capsys.readouterr().err


def test_watch_refs_are_checked_per_provider(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    monkeypatch.delenv("BCTRL_API_KEY", raising=False)
    monkeypatch.delenv("KERNEL_API_KEY", raising=False)
    # A malformed reference is a usage error before any key is asked for.
    assert main(["watch", "web-scraper@1.4.2"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "not a bctrl reference" in err and "RUN_ID (a UUID" in err
    assert main(["watch", "--provider", "kernel", "two words"]) == EXIT_USAGE
    assert "APP, APP@VERSION or INVOCATION_ID" in capsys.readouterr().err
    # Well-formed for Kernel: an app version, an invocation id (even a UUID) or an app.
    for ref in ("web-scraper@1.4.2", "inv_8f3k2m9q", "6f1c2e2a-1b2c-4d5e-8f90-1234567890ab"):
        assert main(["watch", "--provider", "kernel", ref]) == EXIT_AUTH
        assert "KERNEL_API_KEY" in capsys.readouterr().err


def test_malformed_run_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    assert main(["not-a-run"]) == EXIT_USAGE
    assert "not a bctrl reference (want RUN_ID (a UUID, or its first" in capsys.readouterr().err


def test_the_viewer_takes_the_start_of_a_run_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``runwatch 121a``, the short id the tables show, is no usage error: it goes on to the
    key (and, given one, is looked up among the listed runs)."""
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", "/nonexistent/runwatch-test")
    monkeypatch.delenv("BCTRL_API_KEY", raising=False)
    for ref in ("121a", "121a2084", "121a2084-57a6"):
        assert main([ref]) == EXIT_AUTH, ref
        assert "BCTRL_API_KEY" in capsys.readouterr().err


def test_invalid_base_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "k")
    assert main(["--base-url", "ftp://nowhere"]) == EXIT_USAGE
    assert "invalid base URL" in capsys.readouterr().err


def test_gateway_command_serves_live_data() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "gateway", "--port", "0", "--token", "tok"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.split("listening on ")[1].split()[0]
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    url + "/v1/runs", headers={"Authorization": "Bearer tok"}, timeout=30
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["data"]
        wrong = httpx.get(url + "/v1/runs", headers={"Authorization": "Bearer other"})
        assert wrong.status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)


def test_bundle_command_writes_one_markdown_file_from_a_short_id(
    frozen_gateway: GatewayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``runwatch bundle 121a``: the start of an id, as the viewer shows it; the path printed."""
    key = "sk-cli-bundle-0123456789"
    monkeypatch.setenv("BCTRL_API_KEY", key)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    args = ["bundle", "121a", "--base-url", frozen_gateway.url, "--out", str(tmp_path)]
    assert main(args) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == tmp_path
    assert re.fullmatch(r"runwatch-121a2084-\d{8}-\d{6}\.md", written.name), "the short id"
    text = written.read_text(encoding="utf-8")
    assert "runtime.crashed" in text and "## Failures by cause" in text and key not in text
    assert main(["bundle", "fff", "--base-url", frozen_gateway.url, "--out", str(tmp_path)]) == 2


def test_watch_record_writes_a_recording_without_the_key(
    frozen_gateway: GatewayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--record FILE`` (shared by the viewer and watch): every answer, never the key."""
    from tui.providers.record import load_recording

    key = "sk-cli-record-0123456789"
    monkeypatch.setenv("BCTRL_API_KEY", key)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    file = tmp_path / "run.rwrec"
    args = ["watch", "121a", "--once", "--base-url", frozen_gateway.url, "--record", str(file)]
    assert main(args) == 0
    assert "121a2084" in capsys.readouterr().out
    recording = load_recording(file)
    assert recording.provider == "bctrl" and sum(map(len, recording.exchanges.values())) >= 2
    assert key.encode() not in zstandard.ZstdDecompressor().stream_reader(file.read_bytes()).read()


class _Spawned:
    """What the viewer's demo gateway would be: its scenario, and whether it was stopped."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.url = "http://127.0.0.1:9"
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def viewer_spawns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[_Spawned]:
    """The demo gateways the viewer starts, in order (none really started), and a viewer
    that returns at once, speaking the API it was given (``spoke``)."""
    import tui.cli
    import tui.ui.app

    spawned: list[_Spawned] = []

    def spawn(scenario: str) -> _Spawned:
        spawned.append(_Spawned(scenario))
        return spawned[-1]

    class Viewer:
        spoke: list[str] = []

        def __init__(self, source: object, body: object, options: object) -> None:
            Viewer.spoke.append(getattr(source, "name", ""))
            self.return_code = 0
            self.final_memory = None

        def run(self, mouse: bool) -> None:
            pass

    monkeypatch.setattr(tui.cli, "spawn_demo_gateway", spawn)
    monkeypatch.setattr(tui.ui.app, "RunwatchApp", Viewer)
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("RUNWATCH_PROFILE", raising=False)
    return spawned


@pytest.mark.parametrize(
    ("flags", "scenario"),
    [
        ([], "demo"),
        (["--provider", "bctrl-current"], "current"),
        (["--api", "current"], "current"),
        (["--provider", "bctrl-current", "--scenario", "current-august"], "current-august"),
        (["--provider", "bctrl-current", "--api", "invocations"], "current"),
        (["--scenario", "ci"], "ci"),
        (["--scenario", "current"], "current"),  # --api auto: asks, and hears current
        (["--provider", "kernel"], "demo"),
    ],
)
def test_viewer_demo_starts_the_scenario_of_the_api_it_speaks(
    viewer_spawns: list[_Spawned], flags: list[str], scenario: str
) -> None:
    """``--provider bctrl-current --demo`` starts the current API's demo, as ``--api
    current --demo`` does (it started the invocation API's, and every tool-call request
    was a 404: 'No route for /v1/tool-calls')."""
    assert main(["--demo", *flags]) == 0
    assert [s.scenario for s in viewer_spawns] == [scenario]
    assert viewer_spawns[0].stopped, "stopped when the viewer ends"


def test_viewer_demo_follows_the_profiles_provider(
    viewer_spawns: list[_Spawned], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A profile's ``provider = "bctrl-current"`` is the current API as the flag is: the demo
    started for the flags is replaced by the current API's."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[profiles.now]\nprovider = "bctrl-current"\n')
    (config / "config.toml").chmod(0o600)
    assert main(["--demo", "--profile", "now"]) == 0
    assert [(s.scenario, s.stopped) for s in viewer_spawns] == [("demo", True), ("current", True)]
    assert main(["--demo", "--profile", "now", "--scenario", "ci"]) == EXIT_USAGE
    assert all(s.stopped for s in viewer_spawns), "the gateway started early is stopped"
    err = capsys.readouterr().err
    assert "--scenario ci serves bctrl's invocation API, but the profile's provider" in err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (
            ["--provider", "bctrl-current", "--scenario", "ci"],
            "--scenario ci serves bctrl's invocation API, but --provider bctrl-current speaks "
            "its current API: use --scenario current or current-august, or no --scenario",
        ),
        (
            ["--api", "current", "--scenario", "demo"],
            "--scenario demo serves bctrl's invocation API, but --api current speaks its "
            "current API",
        ),
        (
            ["--api", "invocations", "--scenario", "current-august"],
            "--scenario current-august serves bctrl's current API, but --api invocations "
            "speaks its invocation API: use --scenario demo or big",
        ),
    ],
)
@pytest.mark.parametrize("command", [[], ["watch"], ["bundle", "121a"]])
def test_demo_refuses_a_scenario_of_the_other_bctrl_api(
    viewer_spawns: list[_Spawned],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    flags: list[str],
    said: str,
) -> None:
    """A scenario that does not serve the bctrl API pinned is a usage error, said once."""
    assert main([*command, "--demo", *flags]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1, err
    assert all(s.stopped for s in viewer_spawns)


def test_help_says_how_to_try_the_current_apis_demo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    tries = out[out.index("try them:") : out.index("commands:")]
    assert "runwatch --demo --provider bctrl-current" in tries
    scenario = out[out.index("  --scenario") : out.index("  --base-url")]
    assert "current with --api current or --provider bctrl-current" in " ".join(scenario.split())
