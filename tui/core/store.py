"""Everything fetched, merged by one rule, for the viewer and ``runwatch watch`` alike.

A status reaches the store from several places (a list page, a row's own record, its
long-poll or stream). :func:`merge` is the only place two views of the same record meet:

- a terminal status never goes back to live;
- otherwise the newer observation wins, and at the same moment the more complete one;
- whatever the winner lacks, the other view fills in.

A group counted from its rows (:attr:`~tui.core.model.Group.counted`: a Kernel app version)
has no lifecycle to protect: the newer count wins even when it goes back to live (its
invocations all ended, then another started).

Durations are computed in one place, :func:`elapsed`, from one clock.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TypeVar

from tui.core.failures import Activity, Stall, observe, stalled
from tui.core.model import Detail, Group, LogLines, Query, Record, Row, seconds
from tui.core.pages import PageDelta

R = TypeVar("R", bound=Record)

MAX_LOG_LINES = 10_000
"""Lines kept per row's log (older ones are dropped, and the title says so)."""
KEPT_DETAILS = 12
"""Full records always kept for the rows the user looked at last, whatever their size."""
DETAIL_BYTES = 8 * 1024 * 1024
MAX_DETAILS = 500
"""Beyond those, older records are kept while their bodies total at most DETAIL_BYTES
(a huge record costs megabytes; an ordinary one a few KB): walking back over rows already
read does not read them again."""


def _wins(
    new: Record | Detail, new_terminal: bool, old: Record | Detail, old_terminal: bool
) -> bool:
    """Whether ``new`` is the better view: a terminal one, else between terminal ones the
    fuller (then the newer), between live ones the newer (then the fuller)."""
    if old_terminal != new_terminal:
        return new_terminal
    if old_terminal:
        return (new.rank, new.observed) >= (old.rank, old.observed)
    return (new.observed, new.rank) >= (old.observed, old.rank)


def merge(old: R | None, new: R) -> R:
    """The one merge rule (see the module docstring)."""
    if old is None:
        return new
    if _counted(new):  # a count, not a lifecycle: the newer one says how things stand
        wins = (new.observed, new.rank) >= (old.observed, old.rank)
    else:
        wins = _wins(new, new.status.terminal, old, old.status.terminal)
    return new.filled_from(old) if wins else old.filled_from(new)


def _counted(record: Record) -> bool:
    return isinstance(record, Group) and record.counted


def prefer(old: Detail | None, new: Detail) -> Detail:
    """The same rule for full records, which are opaque (nothing is filled in)."""
    return new if old is None or _wins(new, new.terminal, old, old.terminal) else old


def running(record: Record) -> bool:
    """Whether a record is still going: not terminal, and with no end time. A status word
    nobody knew, sent with an end time, has ended: its duration does not tick."""
    return not record.status.terminal and seconds(record.finished) is None


def elapsed(record: Record, now: float) -> float | None:
    """How long a record ran (so far, while live): the table, the detail and ``watch`` all
    say this number. Live time counts from the start (else creation) as the server's own
    duration does, so the figure does not jump when the record finishes."""
    start = seconds(record.started) or seconds(record.created)
    if not running(record):
        server = seconds(record.duration)
        if server is not None:
            return max(0.0, server)
        end = seconds(record.finished)
        return max(0.0, end - start) if end is not None and start is not None else None
    return max(0.0, now - start) if start is not None else None


def _size(detail: Detail | None) -> int:
    """What a full record weighs, by the body it was read from."""
    return len(detail.raw) if detail is not None and detail.raw is not None else 0


@dataclass
class Log:
    """One row's log lines, newest last, capped."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_LOG_LINES))
    complete: bool = False
    dropped: int = 0
    resumed: int = 0


@dataclass
class RowChanges:
    """What merging brought: rows to repaint, rows gone, whether the order changed, and
    rows seen going from live to terminal (to announce)."""

    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    reordered: bool = False
    finished: list[Row] = field(default_factory=list)


class Store:
    """The viewer's data: groups, the current view's rows, full records and logs."""

    def __init__(self, *, logged: bool = False) -> None:
        self.logged = logged
        """Rows have logs (Kernel's): a row whose log is not read yet is not final."""
        self.groups: dict[str, Group] = {}
        self.listed = True
        """False once the server said it has no group list."""
        self.group_key: str | None = None
        self.query = Query()
        self.rows: dict[str, Row] = {}
        self.loose: dict[str, Row] = {}
        """Rows followed outside the current view (kept for their detail)."""
        self.complete = False
        self.note: str | None = None
        self.details: OrderedDict[str, Detail] = OrderedDict()
        self._detail_bytes = 0
        self.logs: OrderedDict[str, Log] = OrderedDict()
        self.activity: dict[str, Activity] = {}
        """What each live row was last seen doing (for stalls)."""

    # -- groups --------------------------------------------------------------------------

    def set_groups(self, groups: list[Group], pinned: Collection[str] = ()) -> None:
        """A fresh group list, in the server's order; groups merge with what was known.
        The ``pinned`` ones it does not hold stay (a run older than the list's pages, an
        app pinned by name), described or not."""
        fresh = {g.key: merge(self.groups.get(g.key), g) for g in groups}
        kept = {
            k: g
            for k, g in self.groups.items()
            if (g.pinned_only or k in pinned) and k not in fresh
        }
        self.groups = fresh | kept

    def merge_group(self, group: Group) -> Group:
        merged = merge(self.groups.get(group.key), group)
        self.groups[group.key] = merged
        return merged

    # -- the current view ----------------------------------------------------------------

    def set_view(self, group_key: str | None, query: Query) -> None:
        """Show another group or other filters: the old rows go."""
        self.group_key, self.query = group_key, query
        self.rows = {}
        self.activity = {}
        self.complete = False
        self.note = None

    def row(self, key: str) -> Row | None:
        """What is known of a row, in the view or not."""
        return self.rows.get(key) or self.loose.get(key)

    def merge_rows(self, rows: list[Row], *, add: bool = True) -> RowChanges:
        """Rows from a page, a follow or a refresh. A row not in the view joins it at the
        end with ``add``; otherwise it is kept aside (a followed row the filters hide)."""
        changes = RowChanges()
        for row in rows:
            into = self.rows if add or row.key in self.rows else self.loose
            old = into.get(row.key)
            if not row.status.terminal:
                self.activity[row.key] = observe(self.activity.get(row.key), row)
            else:
                self.activity.pop(row.key, None)
            merged = merge(old, row)
            if merged is not old:
                into[row.key] = merged  # the newer observation, even when nothing else moved
            if merged != old:  # a change of content (``observed`` does not compare)
                if into is self.rows:
                    changes.changed.add(row.key)
                if old is not None and not old.status.terminal and merged.status.terminal:
                    changes.finished.append(merged)
        for key in list(self.loose)[:-KEPT_DETAILS]:
            del self.loose[key]
        return changes

    def apply_page(self, delta: PageDelta, *, final: bool) -> RowChanges:
        """What a poll of the view brought (rows, removals, a new order)."""
        changes = self.merge_rows(delta.rows)
        for key in delta.removed:
            if self.rows.pop(key, None) is not None:
                changes.removed.add(key)
        if delta.order is not None:
            rows = self.rows
            self.rows = {key: rows[key] for key in delta.order if key in rows}
            changes.reordered = True
        if final:
            self.complete = True
            self.note = delta.note
        return changes

    def stall(self, key: str, now: float, interval: float) -> Stall | None:
        """Whether a live row has stopped moving (see :func:`tui.core.failures.stalled`)."""
        row = self.row(key)
        return stalled(row, self.activity.get(key), now, interval) if row is not None else None

    # -- full records and logs ----------------------------------------------------------

    def merge_detail(self, detail: Detail) -> bool:
        """Keep the better full record; True when what it says changed (a newer answer
        saying the same is kept, but nothing needs redrawing)."""
        old = self.details.get(detail.key)
        best = prefer(old, detail)
        self.details[detail.key] = best
        self.details.move_to_end(detail.key)
        self._detail_bytes += _size(best) - _size(old)
        while len(self.details) > KEPT_DETAILS and (
            len(self.details) > MAX_DETAILS or self._detail_bytes > DETAIL_BYTES
        ):
            gone, dropped = self.details.popitem(last=False)
            self._detail_bytes -= _size(dropped)
            self.logs.pop(gone, None)  # a row forgotten whole: read whole when it comes back
        if best is old or old is None:
            return best is not old
        return best.terminal != old.terminal or best.body != old.body

    def add_log(self, update: LogLines) -> Log:
        log = self.logs.setdefault(update.key, Log())
        self.logs.move_to_end(update.key)
        while len(self.logs) > KEPT_DETAILS:
            gone, _ = self.logs.popitem(last=False)
            if gone in self.details:  # a row forgotten whole: read whole when it comes back
                self._detail_bytes -= _size(self.details.pop(gone))
        overflow = len(log.lines) + len(update.lines) - MAX_LOG_LINES
        log.dropped += max(0, overflow)
        log.lines.extend(update.lines)
        log.complete = log.complete or update.complete
        log.resumed = max(log.resumed, update.resumed)
        return log

    def final(self, key: str) -> bool:
        """Whether everything about a row is known and can never change (no more fetching)."""
        detail = self.details.get(key)
        log = self.logs.get(key)
        read = log.complete if log is not None else not self.logged
        return detail is not None and detail.terminal and read
