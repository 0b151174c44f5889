"""Opening URLs only where a local graphical browser exists (never a console browser over SSH)."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Mapping

CONSOLE_BROWSERS = {"lynx", "w3m", "links", "elinks", "www-browser", "browsh"}


def browser_available(env: Mapping[str, str] | None = None) -> bool:
    """True when a URL can open in a local graphical browser without touching this terminal."""
    env = os.environ if env is None else env
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return False  # the browser would open on the server, not in front of the user
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    name = os.path.basename(str(getattr(browser, "name", "") or "")).lower()
    return name not in CONSOLE_BROWSERS


def open_url(url: str) -> bool:
    """Open ``url`` in the local browser when one is available; False otherwise."""
    if not url.startswith(("https://", "http://")) or not browser_available():
        return False
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False
