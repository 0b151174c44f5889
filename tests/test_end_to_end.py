"""list_runs → list_invocations (all pages) → get_invocation → wait_invocation → get_operation."""

from __future__ import annotations

from tui.api import BctrlClient
from tui.api.models import FailedStep


async def test_walk_the_whole_contract(client: BctrlClient) -> None:
    runs = (await client.list_runs()).data
    assert runs == sorted(runs, key=lambda r: r.created_at, reverse=True)
    run = await client.get_run(runs[0].id)
    assert run.counts is not None and run.counts.invocations

    invocations = [i async for i in client.iter_invocations(run.id, limit=25)]
    assert len(invocations) == len({i.id for i in invocations}) >= run.counts.invocations - 2

    failed = next(i for i in invocations if i.status.raw == "failed")
    detail = await client.get_invocation(failed.id)
    assert detail.id == failed.id and detail.error is not None

    waited = await client.wait_invocation(failed.id, timeout_ms=1000)
    assert waited.invocation.terminal and not waited.timed_out_waiting
    assert waited.invocation.request is not None and waited.invocation.request.steps
    assert waited.invocation.result is not None
    steps = waited.invocation.result.failed_steps
    assert steps and isinstance(steps[0], FailedStep)

    operation = await client.get_operation(failed.id)
    assert operation.id == failed.id
    assert operation.result is not None and operation.result.failed_steps
