"""What the viewer starts with; shared by the app and its screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Playback(Protocol):
    """A source that plays a recording back, as far as the status bar needs to know."""

    @property
    def speed(self) -> float:
        """Recorded seconds per real second (inf: straight to the end)."""
        ...

    @property
    def paused(self) -> bool: ...

    @property
    def finished(self) -> bool:
        """Whether it has reached the recording's end (its clock stopped there)."""
        ...

    @property
    def interval(self) -> float:
        """How often the recorded app polled, in recorded seconds."""
        ...


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
    playback: Playback | None = None
    """Set for a replay: the status bar says REPLAY and its speed (and PAUSED while it is,
    ENDED once it has reached the recording's end) where a live source says LIVE."""
