"""Config file, profiles, precedence, file modes and the remembered state."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.config import (
    EXAMPLE,
    ViewerMemory,
    init_config,
    load_config,
    load_memory,
    resolve,
    save_memory,
)
from tui.core.errors import ConfigError

PROFILES = """\
default_profile = "staging"

[profiles.staging]
base_url = "https://staging.example"
api_key_env = "STAGING_KEY"
interval = 5
status = ["failed"]

[profiles.prod]
base_url = "https://prod.example"
api_key_env = "PROD_KEY"
production = true

[profiles.filed]
base_url = "https://filed.example"
api_key = "key-in-file"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path))
    path = tmp_path / "config.toml"
    path.write_text(PROFILES)
    path.chmod(0o600)
    return path


def test_precedence_flags_over_env_over_profile_over_defaults(config_file: Path) -> None:
    config = load_config(config_file)
    env = {"STAGING_KEY": "s-key"}
    settings = resolve(config, env=env)
    assert settings.profile == "staging" and settings.base_url == "https://staging.example"
    assert settings.interval == 5.0 and settings.status == ("failed",)
    assert settings.key == "s-key" and settings.key_source == "$STAGING_KEY"
    env["BCTRL_BASE_URL"] = "https://env.example"
    assert resolve(config, env=env).base_url == "https://env.example"
    flagged = resolve(config, env=env, base_url="https://flag.example", interval=1.0)
    assert flagged.base_url == "https://flag.example" and flagged.interval == 1.0
    bare = resolve(load_config(config_file.parent / "none.toml"), env={})
    assert bare.base_url == "https://api.bctrl.ai" and bare.interval == 2.0


def test_profile_by_flag_and_env(config_file: Path) -> None:
    config = load_config(config_file)
    prod = resolve(config, profile="prod", env={"PROD_KEY": "p", "BCTRL_API_KEY": "other"})
    assert prod.production and prod.key == "p"
    by_env = resolve(config, env={"RUNWATCH_PROFILE": "prod"})
    assert by_env.profile == "prod"
    # A profile that names its own variable never falls back to $BCTRL_API_KEY.
    assert resolve(config, profile="prod", env={"BCTRL_API_KEY": "staging"}).key == ""
    with pytest.raises(ConfigError, match="no profile 'nope'"):
        resolve(config, profile="nope", env={})


def test_key_from_config_file(config_file: Path) -> None:
    settings = resolve(load_config(config_file), profile="filed", env={})
    assert settings.key == "key-in-file" and settings.key_source == "config file"
    assert "key-in-file" not in repr(settings)


def test_world_readable_config_warns(config_file: Path) -> None:
    assert load_config(config_file).warnings == []
    config_file.chmod(0o644)
    warnings = load_config(config_file).warnings
    assert len(warnings) == 1 and "readable by other users" in warnings[0]
    assert "holds an API key" in warnings[0] and "chmod 600" in warnings[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("default_profile = 3", "default_profile must be a string"),
        ("[profiles.a]\nprovider = 'x'", "provider must be one of"),
        ("[profiles.a]\ninterval = 0", "interval must be"),
        ("[profiles.a]\nbogus = 1", "unknown setting 'bogus'"),
        ("not toml [", "not valid TOML"),
        ("default_profile = 'x'", "is not a profile"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_config_init_writes_0600_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNWATCH_CONFIG_DIR", str(tmp_path / "cfg"))
    assert main(["config", "path"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == tmp_path / "cfg" / "config.toml"
    assert main(["config", "init"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == EXAMPLE
    assert load_config(path).profiles.keys() == {"staging", "production", "kernel"}
    assert main(["config", "init"]) == 2  # never overwrites without --force
    assert "exists" in capsys.readouterr().err
    assert main(["config", "init", "--force"]) == 0


def test_init_config_mode_is_0600_even_with_open_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = init_config(tmp_path / "c.toml")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_memory_round_trip_per_profile_and_server(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    memory = ViewerMemory(pinned=["a"], status=["failed"], text_filter="nav", interval=4.0)
    save_memory("prod", "https://x", memory, path)
    save_memory("dev", "https://y", ViewerMemory(pinned=["b"]), path)
    assert load_memory("prod", "https://x", path) == memory
    assert load_memory("dev", "https://y", path).pinned == ["b"]
    assert load_memory("prod", "https://other", path) == ViewerMemory()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{broken")
    assert load_memory("prod", "https://x", path) == ViewerMemory()


def test_profile_key_reaches_the_viewer_without_argv(tmp_path: Path) -> None:
    """A profile's key is read from its variable; the process never has it in argv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BCTRL_", "RUNWATCH_"))}
    env["RUNWATCH_CONFIG_DIR"] = str(tmp_path)
    (tmp_path / "config.toml").write_text(PROFILES)
    (tmp_path / "config.toml").chmod(0o600)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--profile", "prod"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4
    assert "profile prod" in result.stderr and "Traceback" not in result.stderr


def test_kernel_profiles_use_kernels_variables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        PROFILES + '\n[profiles.k]\nprovider = "kernel"\napi_key_env = "K_KEY"\n'
        '\n[profiles.kd]\nprovider = "kernel"\n'
    )
    path.chmod(0o600)
    config = load_config(path)
    bare = resolve(config, profile="kd", env={"KERNEL_API_KEY": "kk", "BCTRL_API_KEY": "bb"})
    assert bare.provider == "kernel" and bare.key == "kk" and bare.key_env == "KERNEL_API_KEY"
    assert bare.base_url == "https://api.onkernel.com"
    env = {"K_KEY": "own", "KERNEL_API_KEY": "other", "KERNEL_BASE_URL": "http://127.0.0.1:9"}
    own = resolve(config, profile="k", env=env)
    assert own.key == "own" and own.base_url == "http://127.0.0.1:9"
    flagged = resolve(config, provider="kernel", env={"KERNEL_API_KEY": "kk"})
    assert flagged.provider == "kernel" and flagged.key == "kk"


def test_a_profile_for_another_provider_lends_neither_its_origin_nor_its_key(
    config_file: Path,
) -> None:
    """--provider kernel with a bctrl profile: the bctrl origin and key stay with bctrl."""
    config = load_config(config_file)
    settings = resolve(
        config, profile="filed", provider="kernel", env={"STAGING_KEY": "s", "KERNEL_API_KEY": "k"}
    )
    assert settings.base_url == "https://api.onkernel.com"
    assert settings.key == "k" and settings.key_env == "KERNEL_API_KEY"
    staging = resolve(config, provider="kernel", env={"STAGING_KEY": "s"})
    assert staging.key == "" and staging.interval == 5.0, "display settings still apply"
