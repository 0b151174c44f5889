"""Kernel's app list: what an app version's badge says, and that the list's counts are the
ones the card above its table shows, read after read. The models, the store and the source
over fake replies: no server, no Textual."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

import tui.providers.kernel.source as kernel_source
from tui.core.model import Group, Kind, Query, Row, Status
from tui.core.store import Store, merge
from tui.providers.http import RetryPolicy
from tui.providers.kernel.client import MAX_PAGE, KernelClient
from tui.providers.kernel.models import invocation_row, summarise
from tui.providers.kernel.source import GROUP_PAGES, TABLE_PAGES, KernelSource

from .test_adapters import reply

WINDOW = GROUP_PAGES * MAX_PAGE
"""The newest invocations of all that name the app versions (300)."""
TABLE = TABLE_PAGES * MAX_PAGE
"""What one app version's table reads, and its card counts (500)."""


def inv(key: str, status: str = "succeeded", app: str = "web-scraper@1.4.2") -> dict[str, Any]:
    name, version = app.split("@")
    return {
        "id": key,
        "app_name": name,
        "version": version,
        "action_name": "scrape",
        "started_at": "2026-11-20T10:00:00.123456789Z",
        "status": status,
    }


def rows(*statuses: str, observed: float = 1.0) -> list[Row]:
    """One app version's invocations, newest first."""
    mapped = [invocation_row(inv(f"i{n}", status), observed) for n, status in enumerate(statuses)]
    return [m[0] for m in mapped if m is not None]


def version(*statuses: str, observed: float = 1.0) -> Group:
    [group] = summarise(rows(*statuses, observed=observed), observed)
    return group


# -- the badge: what an app version is doing -----------------------------------------------


def test_an_app_version_reads_running_while_an_invocation_runs_whatever_ended_before() -> None:
    group = version("running", "failed", "failed")
    assert group.status == Status(Kind.RUNNING, "running")
    assert (group.total, group.failed, group.live) == (3, 2, 1)
    older = version("failed", "running", "succeeded")  # the newest failed, an older one runs
    assert older.status.kind is Kind.RUNNING and older.failed == 1 and older.live == 1


def test_with_nothing_in_flight_an_app_version_reads_as_its_latest_invocation_ended() -> None:
    recovered = version("succeeded", "failed", "failed")
    assert recovered.status == Status(Kind.SUCCEEDED, "succeeded") and recovered.failed == 2
    broken = version("failed", "succeeded", "succeeded")
    assert broken.status == Status(Kind.FAILED, "failed") and broken.failed == 1


def test_invocations_that_only_wait_read_as_the_newest_of_them_says() -> None:
    assert version("queued", "failed").status == Status(Kind.QUEUED, "queued")
    odd = version("paused", "queued", "failed")  # a word nobody knew has not ended
    assert odd.status == Status(Kind.UNKNOWN, "paused") and odd.live == 2
    assert version("queued", "running").status.kind is Kind.RUNNING


# -- the store: each count replaces the last ------------------------------------------------


def test_the_list_takes_each_newer_count_even_when_it_goes_back_to_running() -> None:
    store = Store()
    store.set_groups([version("failed", "succeeded", observed=1.0)])
    store.set_groups([version("running", "failed", "succeeded", observed=2.0)])
    [now] = store.groups.values()
    assert now.status.kind is Kind.RUNNING and (now.total, now.failed, now.live) == (3, 1, 1)
    store.set_groups([version("failed", "succeeded", observed=1.5)])  # arriving late
    assert store.groups[now.key].total == 3, "an older count loses"
    store.merge_group(Group(now.key, Status(Kind.UNKNOWN, ""), pinned_only=True))  # a pin
    assert store.groups[now.key].status.kind is Kind.RUNNING


def test_a_run_that_ended_still_never_goes_back_to_live() -> None:
    ended = Group("run-1", Status(Kind.FAILED, "failed"), observed=1.0, total=3)
    stale = Group("run-1", Status(Kind.RUNNING, "active"), observed=2.0, total=2)
    assert merge(ended, stale).status.kind is Kind.FAILED and merge(ended, stale).total == 3


# -- the source: counts as the table's card counts them ------------------------------------


class FakeKernel:
    """``GET /invocations`` over a list kept newest first: app and version filters, offset
    paging; every request remembered; the app-filtered lists fail while ``broken``."""

    def __init__(self, invocations: list[dict[str, Any]]) -> None:
        self.invocations = invocations
        self.requests: list[httpx.URL] = []
        self.broken = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        params = request.url.params
        if self.broken and "app_name" in params:
            return reply(500, {"code": "internal", "message": "down"})
        listed = [
            i
            for i in self.invocations
            if all(i[name] == params[name] for name in ("app_name", "version") if name in params)
        ]
        offset, limit = int(params.get("offset", "0")), int(params["limit"])
        more = offset + limit < len(listed)
        headers = {"X-Has-More": str(more).lower(), "X-Next-Offset": str(offset + limit * more)}
        return reply(200, listed[offset : offset + limit], headers=headers)

    def source(self) -> KernelSource:
        client = KernelClient(
            "k",
            "http://api.test",
            retry=RetryPolicy(max_retries=1, base=0.001, cap=0.002),
            transport=httpx.MockTransport(self.handler),
        )
        return KernelSource(client, clock=time.time)

    def per_version(self) -> list[str]:
        """The app versions read from their own list since last asked."""
        asked = [url.params["app_name"] for url in self.requests if "app_name" in url.params]
        self.requests.clear()
        return asked


def busy_world() -> FakeKernel:
    """780 invocations, newest first: 'busy' (260) runs all the time and fails one in ten;
    'quiet' (520) ran a lot before, 20 of those failed, and a little lately."""
    newest = [inv(f"b{n}", "failed" if n % 10 == 3 else "succeeded", "busy@1") for n in range(280)]
    newest[::14] = [inv(f"q{n}", "succeeded", "quiet@1") for n in range(20)]
    older = [inv(f"o{n}", "succeeded", "quiet@1") for n in range(480)]
    older[30:30] = [inv(f"f{n}", "failed", "quiet@1") for n in range(20)]
    return FakeKernel(newest + older)


async def table_of(source: KernelSource, key: str) -> tuple[int, int]:
    """What the card above the table counts: its rows, and its failed ones."""
    read = (await source.pager(key, Query()).poll()).rows
    return len(read), sum(row.status.failure for row in read)


async def test_app_versions_count_what_their_table_reads_past_the_newest_of_all() -> None:
    world = busy_world()
    source = world.source()
    groups = {group.key: group for group in await source.groups()}
    for key in ("busy@1", "quiet@1"):
        assert (groups[key].total, groups[key].failed) == await table_of(source, key)
    assert (groups["quiet@1"].total, groups["quiet@1"].failed) == (TABLE, 20)
    assert (groups["busy@1"].total, groups["busy@1"].failed) == (260, 28)
    await source.aclose()


async def test_later_reads_read_only_the_newest_and_count_what_is_new() -> None:
    world = busy_world()
    source = world.source()
    await source.groups()
    world.per_version()
    world.invocations[:0] = [inv("new1", "running", "quiet@1"), inv("new2", "failed", "busy@1")]
    groups = {group.key: group for group in await source.groups()}
    assert [url.params.get("offset") for url in world.requests] == [None, "100", "200"]
    assert world.per_version() == [], "nothing read again that the newest do not show"
    quiet, busy = groups["quiet@1"], groups["busy@1"]
    assert quiet.status.kind is Kind.RUNNING and (quiet.total, quiet.live) == (TABLE, 1)
    assert busy.status.kind is Kind.FAILED and (busy.total, busy.failed) == (261, 29)
    for key in ("busy@1", "quiet@1"):
        assert (groups[key].total, groups[key].failed) == await table_of(source, key)
    await source.aclose()


async def test_a_live_invocation_past_the_newest_is_read_again_until_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = busy_world()
    long_one = next(i for i in world.invocations[WINDOW:] if i["app_name"] == "quiet")
    long_one["status"] = "running"
    source = world.source()
    await source.groups()
    world.per_version()
    [quiet] = [g for g in await source.groups() if g.key == "quiet@1"]
    assert quiet.live == 1 and world.per_version() == [], "not again within RECOUNT_EVERY"
    monkeypatch.setattr(kernel_source, "RECOUNT_EVERY", 0.0)
    for _ in range(2):
        [quiet] = [g for g in await source.groups() if g.key == "quiet@1"]
        assert quiet.status.kind is Kind.RUNNING and quiet.live == 1
        assert world.per_version() == ["quiet"] * TABLE_PAGES
    long_one["status"] = "succeeded"
    [quiet] = [g for g in await source.groups() if g.key == "quiet@1"]
    assert quiet.status.kind is Kind.SUCCEEDED and quiet.live == 0
    assert world.per_version() == ["quiet"] * TABLE_PAGES
    await source.groups()
    assert world.per_version() == [], "every older one has ended: not read again"
    await source.aclose()


async def test_a_version_list_that_fails_leaves_the_counts_of_the_newest() -> None:
    world = busy_world()
    world.broken = True
    source = world.source()
    groups = {group.key: group for group in await source.groups()}
    assert groups["quiet@1"].total == 40 and groups["busy@1"].total == 260, "the newest 300"
    world.broken = False
    groups = {group.key: group for group in await source.groups()}
    assert groups["quiet@1"].total == TABLE, "counted in full at the next read"
    await source.aclose()


async def test_a_few_versions_are_read_from_their_own_list_a_time() -> None:
    apps = [f"app{n}@1" for n in range(kernel_source.RECOUNTS + 2)]
    world = FakeKernel([inv(f"{app}-{n}", app=app) for n in range(WINDOW) for app in apps])
    source = world.source()
    read: list[str] = []
    for _ in range(3):
        await source.groups()
        read.append(" ".join(sorted(set(world.per_version()))))
    assert read == ["app0 app1 app2", "app3 app4", ""], "the rest at the next read"
    await source.aclose()
