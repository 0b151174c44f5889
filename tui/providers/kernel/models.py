"""Kernel's records (``shared/api/openapi/kernel-*.yaml``) mapped into the neutral model.

Kernel has no runs: an app at a version is the group (key ``app@version``), invocations are
rows. ``payload`` and ``output`` arrive as JSON *encoded as strings*: :class:`Decoded` holds
the parsed value, or the raw string when it is not JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.core import fields as f
from tui.core.model import Group, Kind, Problem, Row, Status, seconds
from tui.core.text import clean

STATUS_WORDS: dict[str, Kind] = {
    "queued": Kind.QUEUED,
    "running": Kind.RUNNING,
    "succeeded": Kind.SUCCEEDED,
    "failed": Kind.FAILED,
}
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def group_key(app: str, version: str | None) -> str:
    """The key of an app's group: ``app@version`` (or the app alone: every version)."""
    return f"{app}@{version}" if version else app


def split_group(key: str) -> tuple[str, str | None]:
    app, sep, version = key.rpartition("@")
    return (app, version) if sep and app else (key, None)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A JSON-encoded string field: ``value`` when it parsed, else the ``raw`` text."""

    raw: str
    ok: bool
    value: Any = None

    @classmethod
    def of(cls, raw: str | None) -> Decoded | None:
        if raw is None:
            return None
        try:
            return cls(raw, True, json.loads(raw))
        except (ValueError, RecursionError):
            return cls(raw, False)


@dataclass(frozen=True, slots=True)
class Body:
    """A Kernel invocation's detail: what it was asked and what it returned."""

    app: str
    version: str
    action: str
    reason: str | None
    payload: Decoded | None
    output: Decoded | None


def invocation_row(
    data: Any, observed: float, *, key: str | None = None
) -> tuple[Row, Body] | None:
    """A row and its body from an ``Invocation``; None without an id (or not an object;
    ``key``: see :func:`~tui.core.fields.keyed`)."""
    found = f.keyed(data, key)
    if found is None:
        return None
    inv, key = found
    status = f.status(inv.get("status"), STATUS_WORDS)
    app, version = f.text(inv, "app_name") or "", f.text(inv, "version") or ""
    reason = f.text(inv, "status_reason")
    failed = status.failure
    body = Body(
        app=app,
        version=version,
        action=f.text(inv, "action_name") or "",
        reason=reason,
        payload=Decoded.of(f.text(inv, "payload")),
        output=Decoded.of(f.text(inv, "output")),
    )
    row = Row(
        key=key,
        status=status,
        started=f.stamp(inv, "started_at"),
        finished=f.stamp(inv, "finished_at"),
        problem=Problem(None, reason) if failed and reason else None,
        observed=observed,
        rank=0,
        raw=inv,
        group=group_key(app, version),
        name=body.action,
        note=None if failed else reason,
    )
    return row, body


def version_status(members: list[Row]) -> Status:
    """What an app version is doing, from its invocations newest first (the list's order):
    running while any invocation runs; with none running but some not ended, what the newest
    of those says (queued, or a word nobody knew); once every one has ended, how the newest
    ended, the first row of its table. So an app version reads as failed only when nothing
    is in flight and its latest invocation failed (its failures are counted all the same)."""
    live = [row for row in members if not row.status.terminal]
    if any(row.status.kind is Kind.RUNNING for row in live):
        return Status(Kind.RUNNING, Kind.RUNNING.value)
    if live:
        return live[0].status
    return members[0].status if members else Status(Kind.UNKNOWN, "")


def summarise(rows: Iterable[Row], observed: float) -> list[Group]:
    """App versions summarised from invocations (newest first, as listed): counts, live and
    failed, and the status :func:`version_status` says. Each is a count, :attr:`Group.counted`:
    the next one replaces it."""
    versions: dict[str, list[Row]] = {}
    for row in rows:
        versions.setdefault(row.group, []).append(row)
    groups = []
    for key, members in sorted(versions.items(), key=lambda kv: _app_version(kv[0])):
        live = sum(not row.status.terminal for row in members)
        failed = sum(row.status.failure for row in members)
        app, version = _app_version(key)
        groups.append(
            Group(
                key=key,
                status=version_status(members),
                created=max(seconds(row.started) or 0.0 for row in members) or None,
                observed=observed,
                title=app,
                subtitle=version,
                total=len(members),
                failed=failed,
                live=live,
                counted=True,
            )
        )
    return groups


def _app_version(key: str) -> tuple[str, str]:
    app, version = split_group(key)
    return app, version or ""


_NANOS = re.compile(r"^(?P<head>[^.]+)(?:\.(?P<frac>\d+))?(?P<zone>Z|[+-]\d\d:\d\d)?$")


def timestamp_ns(value: str) -> int | None:
    """An RFC 3339 timestamp as integer epoch nanoseconds (log lines can share a
    microsecond, so the stream's resume logic orders them by this); None when it is not one."""
    match = _NANOS.match(value.strip())
    if match is None:
        return None
    zone = match["zone"] or "Z"
    head = f.parse_time(match["head"] + ("+00:00" if zone == "Z" else zone))
    if not isinstance(head, float):
        return None
    frac = (match["frac"] or "")[:9].ljust(9, "0")
    return int(head) * 1_000_000_000 + int(frac)


def log_line(timestamp: str, message: str) -> str:
    """A log line as shown: ``HH:MM:SS.mmm message``, escapes and control bytes removed."""
    clock = timestamp[11:23] if len(timestamp) >= 23 and timestamp[10:11] == "T" else timestamp
    return f"{clean(clock, limit=40)}  {clean(_ANSI.sub('', message), limit=4000)}"


def explain(row: Row, body: Body | None) -> list[str]:
    """Why a Kernel invocation failed: its status reason."""
    if not row.status.failure:
        return []
    reason = body.reason if body is not None else (row.problem.message if row.problem else None)
    return [reason or f"{row.status.raw} (no reason given)"]
