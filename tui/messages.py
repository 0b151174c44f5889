"""Messages posted by the polling workers: past-tense events, handled by the screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # annotations only: posting a message needs none of these imported
    from tui.api.errors import ApiError
    from tui.api.kernel_models import KernelInvocation
    from tui.api.models import Invocation, InvocationSummary, InvocationV2, RunSummary


@dataclass
class RunsFetched(Message):
    """A fresh run list (``runs`` newest first); ``supported`` is False on a 404."""

    runs: list[RunSummary]
    supported: bool = True


@dataclass
class RunFetched(Message):
    """One pinned run fetched by id."""

    run: RunSummary


@dataclass
class InvocationsFetched(Message):
    """What changed in ``run_id``'s invocations under ``query``.

    ``invocations`` are new or changed rows, ``removed`` rows left the list, ``order`` is
    the whole order when it is not the old one plus appended rows; ``complete`` once the
    poll has read every page it needed.
    """

    run_id: str
    query: tuple[tuple[str, ...], tuple[str, ...]]
    invocations: list[InvocationSummary]
    complete: bool
    removed: list[str] = field(default_factory=list)
    order: list[str] | None = None


@dataclass
class DetailFetched(Message):
    """The v2 record of an invocation."""

    invocation: InvocationV2


@dataclass
class FullFetched(Message):
    """The full record (from the long-poll wait) of an invocation."""

    invocation: Invocation
    timed_out_waiting: bool


@dataclass
class FetchFailed(Message):
    """A request for ``resource`` failed; the screen keeps its last good data."""

    resource: str
    subject: str | None
    error: ApiError


@dataclass
class FetchSucceeded(Message):
    """A request for ``resource`` succeeded (clears that resource's error state)."""

    resource: str


# -- Kernel ---------------------------------------------------------------------------------


@dataclass
class KernelGroupsFetched(Message):
    """The newest invocations of every app: the app list is summarised from them."""

    invocations: list[KernelInvocation]


@dataclass
class KernelRowsFetched(Message):
    """Every invocation of ``group`` under ``query`` (newest first)."""

    group: str
    query: tuple[str, str]
    invocations: list[KernelInvocation]


@dataclass
class KernelStateFetched(Message):
    """A newer record of one invocation (from its event stream)."""

    invocation: KernelInvocation


@dataclass
class LogLinesFetched(Message):
    """New log lines of an invocation, already made display-safe; ``complete`` when the
    stream has ended (the invocation is terminal and its whole log was read)."""

    invocation_id: str
    lines: list[str]
    complete: bool = False
