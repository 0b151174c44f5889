"""Incremental re-polling through the sources' pagers against the gateway: only pages that can
have changed are read again, and rows that leave a filtered list leave the view."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tui.core.model import Query, Row
from tui.core.source import Source
from tui.core.store import Store
from tui.providers import PROVIDERS
from tui.sim.server import GatewayOptions, GatewayServer

from .conftest import fast_retry


def _source(gateway: GatewayServer, provider: str = "bctrl") -> Source:
    return PROVIDERS[provider].make_source(
        "k-pages-test", gateway.url, clock=time.time, retry=fast_retry()
    )


def _differing(before: dict[str, Row], after: dict[str, Row]) -> set[str]:
    """Rows whose record differs other than in when it was fetched."""
    return {
        key
        for key, row in after.items()
        if key not in before or replace(row, observed=0.0) != replace(before[key], observed=0.0)
    }


@pytest.fixture(scope="module")
def fast_gateway() -> Iterator[GatewayServer]:
    """The demo at 20x: invocations finish within a second or two."""
    with GatewayServer(GatewayOptions(scenario="demo", speed=20.0)) as server:
        yield server


async def test_big_run_repoll_reads_only_live_pages(big_gateway: GatewayServer) -> None:
    source = _source(big_gateway)
    store = Store()
    try:
        [run] = await source.groups()
        pager = source.pager(run.key, Query())
        first = await pager.poll()
        store.apply_page(first, final=True)
        assert first.pages_read >= 50 and len(store.rows) >= 10_000
        again = await pager.poll()
        assert again.pages_read <= 2, "terminal pages are not read again"
        assert again.order is None and again.removed == []
        known = [row.key for row in again.rows if row.key in store.rows]
        order = list(store.rows)
        assert known == order[len(order) - len(known) :], "only the list's tail was read again"
        store.apply_page(again, final=True)
        before = dict(store.rows)
        full = await pager.poll(full=True)
        store.apply_page(full, final=True)
        assert full.pages_read >= 50
        assert len(_differing(before, store.rows)) < 100, "the same rows, a few moved on"
    finally:
        await source.aclose()


async def test_finished_run_repoll_reads_one_page(gateway: GatewayServer) -> None:
    source = _source(gateway)
    store = Store()
    try:
        pager = source.pager(gateway.world.runs[2].id, Query())  # stopped: all terminal
        store.apply_page(await pager.poll(), final=True)
        delta = await pager.poll()
    finally:
        await source.aclose()
    before = dict(store.rows)
    changes = store.apply_page(delta, final=True)
    assert delta.pages_read == 1 and delta.removed == [] and delta.order is None
    assert changes.removed == set() and not changes.reordered
    assert _differing(before, store.rows) == set()


async def test_a_repoll_that_changes_nothing_reports_no_changed_row(
    gateway: GatewayServer,
) -> None:
    source = _source(gateway)
    store = Store()
    try:
        pager = source.pager(gateway.world.runs[2].id, Query())
        store.apply_page(await pager.poll(), final=True)
        changes = store.apply_page(await pager.poll(), final=True)
    finally:
        await source.aclose()
    assert changes.changed == set()


@pytest.mark.parametrize("provider", ["bctrl", "kernel"])
async def test_rows_leaving_a_filtered_list_are_removed(
    fast_gateway: GatewayServer, provider: str
) -> None:
    """Filtered on ``running``: an invocation that finishes leaves the list, and the view."""
    source = _source(fast_gateway, provider)
    group = fast_gateway.world.runs[0].id if provider == "bctrl" else "web-scraper@1.4.2"
    store = Store()
    store.set_view(group, Query(status=("running",)))
    removed: set[str] = set()
    try:
        pager = source.pager(group, store.query)
        store.apply_page(await pager.poll(), final=True)
        deadline = time.monotonic() + 20
        while not removed and time.monotonic() < deadline:
            removed = store.apply_page(await pager.poll(), final=True).removed
    finally:
        await source.aclose()
    assert removed, "no running invocation finished within 20 s"
    assert not removed & set(store.rows)
    assert all(row.status.raw == "running" for row in store.rows.values())
