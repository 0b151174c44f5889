"""The provider registry: the only place provider facts live.

Each provider names its key and URL variables, its default origin, what it shows, and where
its source and its detail body are (as import paths, so the registry loads nothing: the
command line stays light, and this package never imports the UI).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.core.source import Source

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CURRENT_REF = re.compile(r"^(run|tc)_[A-Za-z0-9_-]{4,64}$")
PLAIN_REF = re.compile(r"^[^\s\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class Provider:
    """One API runwatch speaks."""

    name: str
    key_env: str
    url_env: str
    default_url: str
    shows: str
    client: str
    source: str
    detail_body: str
    ref_help: str
    ref_pattern: re.Pattern[str] = PLAIN_REF

    def make_source(
        self,
        key: str,
        base_url: str,
        *,
        clock: Callable[[], float],
        key_env: str | None = None,
        **options: Any,
    ) -> Source:
        """A source for this API (its client built with ``options``: retry, timeouts)."""
        client = load(self.client)(key, base_url, **options)
        source: Source = load(self.source)(client, clock=clock, key_env=key_env or self.key_env)
        return source

    def valid_ref(self, ref: str) -> bool:
        """Whether ``ref`` can name a group or a row of this API (a cheap syntax check)."""
        return bool(self.ref_pattern.match(ref))


def load(path: str) -> Any:
    """The object an import path ``package.module:Name`` names."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


BCTRL = Provider(
    name="bctrl",
    key_env="BCTRL_API_KEY",
    url_env="BCTRL_BASE_URL",
    default_url="https://api.bctrl.ai",
    shows="runs, their invocations, steps and diagnostics",
    client="tui.providers.bctrl.client:BctrlClient",
    source="tui.providers.bctrl.source:BctrlSource",
    detail_body="tui.ui.details.bctrl:BctrlBody",
    ref_help="RUN_ID (a UUID, or its first characters)",
    ref_pattern=UUID,
)
PROVIDERS: dict[str, Provider] = {
    "bctrl": BCTRL,
    "bctrl-current": replace(  # the same key, variables and origin
        BCTRL,
        name="bctrl-current",
        shows="bctrl's current API: runs, tool calls, trace spans and events, live by stream",
        client="tui.providers.current.client:CurrentClient",
        source="tui.providers.current.source:CurrentSource",
        detail_body="tui.ui.details.current:CurrentBody",
        ref_help="run_... or tc_... (a run or a tool call)",
        ref_pattern=CURRENT_REF,
    ),
    "kernel": Provider(
        name="kernel",
        key_env="KERNEL_API_KEY",
        url_env="KERNEL_BASE_URL",
        default_url="https://api.onkernel.com",
        shows="apps by version, their invocations, payload, output and live logs",
        client="tui.providers.kernel.client:KernelClient",
        source="tui.providers.kernel.source:KernelSource",
        detail_body="tui.ui.details.kernel:KernelBody",
        ref_help="APP, APP@VERSION or INVOCATION_ID",
    ),
}
DEFAULT = "bctrl"
