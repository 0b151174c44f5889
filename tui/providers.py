"""The provider seam: which client and which screen serve each API.

The app and the CLI ask this module, never a provider's classes directly; each provider's
screen subclasses :class:`~tui.screens.live_screen.LiveScreen` (the shared clocks, status bar,
keys and fault behaviour) and keeps what its API offers (bctrl's steps and diagnostics,
Kernel's payload, output and live log). Imports are lazy, so one provider's code does not
slow the other's start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.api.http import HttpApi, RetryPolicy
    from tui.options import ViewerOptions
    from tui.screens.live_screen import LiveScreen

Clock = Callable[[], float]


@dataclass(frozen=True)
class Provider:
    """One API runwatch speaks."""

    name: str
    key_env: str
    url_env: str
    default_url: str
    docs: str

    def client(self, key: str, base_url: str, retry: RetryPolicy | None = None) -> HttpApi:
        """A client for this API."""
        if self.name == "kernel":
            from tui.api.kernel import KernelClient

            return KernelClient(key, base_url, retry=retry)
        from tui.api.client import BctrlClient

        return BctrlClient(key, base_url, retry=retry)

    def screen(
        self, client: HttpApi, options: ViewerOptions, source_label: str, clock: Clock
    ) -> LiveScreen:
        """The viewer's main screen for this API."""
        if self.name == "kernel":
            from tui.api.kernel import KernelClient
            from tui.screens.kernel_screen import KernelScreen

            assert isinstance(client, KernelClient)
            return KernelScreen(client, options=options, source_label=source_label, clock=clock)
        from tui.api.client import BctrlClient
        from tui.screens.main_screen import MainScreen

        assert isinstance(client, BctrlClient)
        return MainScreen(client, options=options, source_label=source_label, clock=clock)


PROVIDERS: dict[str, Provider] = {
    "bctrl": Provider(
        "bctrl",
        "BCTRL_API_KEY",
        "BCTRL_BASE_URL",
        "https://api.bctrl.ai",
        "runs, their invocations, steps and diagnostics",
    ),
    "kernel": Provider(
        "kernel",
        "KERNEL_API_KEY",
        "KERNEL_BASE_URL",
        "https://api.onkernel.com",
        "apps by version, their invocations, payload, output and live logs",
    ),
}


def provider_of(client: HttpApi) -> Provider:
    """The provider a client speaks for."""
    return PROVIDERS.get(client.provider, PROVIDERS["bctrl"])
