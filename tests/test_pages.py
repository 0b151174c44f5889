"""Incremental re-polling: only pages that can have changed are read again."""

from __future__ import annotations

from tui.api.client import BctrlClient
from tui.api.models import InvocationPage
from tui.api.pages import PagedInvocations
from tui.sim.server import GatewayServer


async def _poller(client: BctrlClient, run_id: str, reads: list[str | None]):  # type: ignore[no-untyped-def]
    async def fetch(cursor: str | None) -> InvocationPage:
        reads.append(cursor)
        return await client.list_invocations(run_id, cursor=cursor, limit=200)

    return fetch


async def test_big_run_repoll_reads_only_live_pages(
    big_gateway: GatewayServer, client: BctrlClient
) -> None:
    async with BctrlClient("k", big_gateway.url) as api:
        run_id = big_gateway.world.runs[0].id
        reads: list[str | None] = []
        fetch = await _poller(api, run_id, reads)
        paged = PagedInvocations()
        first = await paged.poll(fetch)
        assert first.pages_read == len(reads) >= 50
        assert len(paged.items) >= 10_000 and len(first.changed) == len(paged.items)
        reads.clear()
        again = await paged.poll(fetch)
        assert again.pages_read <= 2, "terminal pages are not read again"
        assert again.order is None
        assert all(paged.items[i.id] == i for i in again.changed)
        reads.clear()
        full = await paged.poll(fetch, full=True)
        assert full.pages_read >= 50 and len(full.changed) < 100


async def test_finished_run_repoll_reads_one_page(gateway: GatewayServer) -> None:
    async with BctrlClient("k", gateway.url) as api:
        run_id = gateway.world.runs[2].id  # stopped: all terminal
        reads: list[str | None] = []
        fetch = await _poller(api, run_id, reads)
        paged = PagedInvocations()
        await paged.poll(fetch)
        reads.clear()
        delta = await paged.poll(fetch)
        assert delta.pages_read == 1 and delta.changed == [] and delta.removed == []


async def test_rows_leaving_a_filtered_list_are_removed(gateway: GatewayServer) -> None:
    async with BctrlClient("k", gateway.url) as api:
        run_id = gateway.world.runs[2].id
        paged = PagedInvocations()

        async def fetch_all(cursor: str | None) -> InvocationPage:
            return await api.list_invocations(run_id, cursor=cursor, limit=10)

        await paged.poll(fetch_all)
        victim = paged.order()[3]

        async def fetch_without(cursor: str | None) -> InvocationPage:
            page = await api.list_invocations(run_id, cursor=cursor, limit=10)
            return page.model_copy(update={"data": [i for i in page.data if i.id != victim]})

        delta = await paged.poll(fetch_without, full=True)
        assert delta.removed == [victim] and victim not in paged.items
