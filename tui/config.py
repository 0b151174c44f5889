"""Configuration: TOML profiles, a state file, and flag > env > profile > default precedence.

Headless (no Textual): the CLI resolves :class:`Settings` before any UI exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from tui.core.errors import ConfigError
from tui.providers import DEFAULT, PROVIDERS

APP_NAME = "runwatch"
CONFIG_DIR_ENV = "RUNWATCH_CONFIG_DIR"
DEFAULT_INTERVAL = 2.0

EXAMPLE = (Path(__file__).parent / "config.example.toml").read_text(encoding="utf-8")
"""The commented example `runwatch config init` writes (shipped next to this module)."""


def config_dir() -> Path:
    """Where config.toml and state.json live (``RUNWATCH_CONFIG_DIR`` overrides)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override or platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    return config_dir() / "config.toml"


def state_path() -> Path:
    return config_dir() / "state.json"


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` table."""

    name: str
    provider: str = "bctrl"
    base_url: str | None = None
    api_key_env: str | None = None
    api_key: str | None = field(default=None, repr=False)
    keyring: bool = False
    interval: float | None = None
    status: tuple[str, ...] = ()
    action: tuple[str, ...] = ()
    production: bool = False
    theme: str | None = None


@dataclass
class Config:
    """The parsed file, plus warnings to show the user (never fatal)."""

    path: Path
    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings")


def _profile(name: str, table: Mapping[str, Any], where: str) -> Profile:
    known = {setting.name for setting in fields(Profile)} - {"name"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r}")
    if table.get("provider", DEFAULT) not in PROVIDERS:
        raise ConfigError(f"{where}: provider must be one of {', '.join(PROVIDERS)}")
    interval = table.get("interval")
    if interval is not None and (
        not isinstance(interval, int | float) or not 0.2 <= float(interval) <= 3600
    ):
        raise ConfigError(f"{where}: interval must be a number of seconds (0.2 to 3600)")
    for key in ("base_url", "api_key_env", "api_key", "theme"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{where}: {key} must be a string")
    for key in ("keyring", "production"):
        if key in table and not isinstance(table[key], bool):
            raise ConfigError(f"{where}: {key} must be true or false")
    values = {
        **table,
        "interval": float(interval) if interval is not None else None,
        "status": _strings(table.get("status"), f"{where}.status"),
        "action": _strings(table.get("action"), f"{where}.action"),
    }
    return Profile(name=name, **values)


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config, a broken one a ConfigError."""
    path = path or config_path()
    config = Config(path=path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return config
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{path}: default_profile must be a string")
    config.default_profile = default
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        config.profiles[name] = _profile(name, table, f"{path}: profiles.{name}")
    if default is not None and default not in config.profiles:
        raise ConfigError(f"{path}: default_profile {default!r} is not a profile")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        holds_key = any(p.api_key for p in config.profiles.values())
        config.warnings.append(
            f"warning: {path} is readable by other users"
            + (" and holds an API key" if holds_key else "")
            + f"; run: chmod 600 {path}"
        )
    return config


def write_private(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (atomic replace)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() and not overwrite:
        raise FileExistsError(str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def init_config(path: Path | None = None, *, force: bool = False) -> Path:
    """Write the commented example config (mode 0600); refuses to overwrite unless ``force``."""
    path = path or config_path()
    write_private(path, EXAMPLE, overwrite=force)
    return path


@dataclass(frozen=True)
class Settings:
    """What the viewer and ``watch`` run with, after precedence is applied."""

    profile: str | None
    provider: str
    base_url: str
    key: str = field(repr=False)
    key_source: str
    key_env: str
    interval: float
    status: tuple[str, ...]
    action: tuple[str, ...]
    production: bool
    theme: str | None


def _keyring_key(profile: str) -> str | None:
    try:
        import keyring  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        value = keyring.get_password(APP_NAME, profile)
    except Exception:  # a keyring backend can fail in many ways; treat as "no key"
        return None
    return value if isinstance(value, str) else None


def resolve(
    config: Config,
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    interval: float | None = None,
    theme: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Apply flags (the keyword arguments) > environment > profile > defaults."""
    env = os.environ if env is None else env
    name = profile or env.get("RUNWATCH_PROFILE") or config.default_profile
    chosen = config.profiles.get(name) if name is not None else None
    if name is not None and chosen is None:
        known = ", ".join(sorted(config.profiles)) or "none defined"
        raise ConfigError(f"no profile {name!r} in {config.path} ({known})")
    prof = chosen or Profile(name="")
    kind = provider or prof.provider
    facts = PROVIDERS[kind]
    if kind != prof.provider:
        # --provider names another API than the profile's: the profile's origin and key are
        # for its own API and must not be sent to this one (its display settings still apply).
        prof = Profile(
            name=prof.name,
            provider=kind,
            interval=prof.interval,
            production=prof.production,
            theme=prof.theme,
        )
    url = base_url or env.get(facts.url_env) or prof.base_url or facts.default_url
    # The profile's own variable replaces the provider's default one (never falls back to it:
    # a production profile must not silently pick up a staging key from $BCTRL_API_KEY).
    key_env = prof.api_key_env or facts.key_env
    key, source = "", ""
    if env.get(key_env):
        key, source = env[key_env], f"${key_env}"
    elif prof.keyring and (found := _keyring_key(prof.name)):
        key, source = found, "keyring"
    elif prof.api_key:
        key, source = prof.api_key, "config file"
    return Settings(
        profile=chosen.name if chosen else None,
        provider=kind,
        base_url=url,
        key=key,
        key_source=source,
        key_env=key_env,
        interval=interval if interval is not None else (prof.interval or DEFAULT_INTERVAL),
        status=prof.status,
        action=prof.action,
        production=prof.production,
        theme=theme or prof.theme,
    )


# -- state: pinned runs, filters and interval between sessions ------------------------------


@dataclass
class ViewerMemory:
    """What one profile's viewer remembers between sessions."""

    pinned: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    action: list[str] = field(default_factory=list)
    text_filter: str = ""
    interval: float | None = None


def _state_key(profile: str | None, base_url: str) -> str:
    return f"{profile or '-'}@{base_url}"


def load_memory(profile: str | None, base_url: str, path: Path | None = None) -> ViewerMemory:
    """The remembered state for this profile and server (empty when none or unreadable)."""
    path = path or state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = data.get(_state_key(profile, base_url), {})
        interval = float(entry.get("interval") or 0)
        return ViewerMemory(
            # Kernel pins were "app<US>version" before they were "app@version".
            pinned=[str(x).replace("\x1f", "@") for x in entry.get("pinned", [])][:50],
            status=[str(x) for x in entry.get("status", [])],
            action=[str(x) for x in entry.get("action", [])],
            text_filter=str(entry.get("text_filter", ""))[:200],
            interval=interval if 0.2 <= interval <= 3600 else None,
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return ViewerMemory()


def save_memory(
    profile: str | None, base_url: str, memory: ViewerMemory, path: Path | None = None
) -> None:
    """Remember the viewer's state for this profile and server (file mode 0600)."""
    path = path or state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[_state_key(profile, base_url)] = asdict(memory)
    with contextlib.suppress(OSError):
        write_private(path, json.dumps(data, indent=2, sort_keys=True) + "\n", overwrite=True)
