"""What the viewer starts with; shared by the app and its screen."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ViewerOptions:
    """What the viewer starts with (already resolved: flags > env > profile > memory)."""

    pinned: list[str] = field(default_factory=list)
    interval: float = 2.0
    status: tuple[str, ...] = ()
    action: tuple[str, ...] = ()
    text_filter: str = ""
    source_label: str | None = None
    profile: str | None = None
    production: bool = False
    ascii_only: bool = False
    theme: str | None = None
