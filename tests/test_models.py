"""bctrl's records mapped into the neutral model: the reference examples, unknown values,
nulls, extra fields, every shape the gateway's world serves, and generated payloads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.model import Kind, Raw
from tui.providers.bctrl.client import BctrlClient
from tui.providers.bctrl.models import (
    FULL,
    STATUS_WORDS,
    SUMMARY,
    V2,
    Body,
    body_from_full,
    body_from_v2,
    explain,
    invocation_row,
)
from tui.sim.world import World

from .conftest import FROZEN_NOW, SHARED_API


def _reference_examples() -> list[dict[str, Any]]:
    examples = []
    for path in sorted((SHARED_API / "reference").glob("bctrl-*.md")):
        text = path.read_text()
        for block in re.findall(r"\*\*Response\*\*\s*```json\n(.*?)```", text, re.S):
            examples.append({"file": path.name, "body": json.loads(block)})
    return examples


def test_reference_list_example_maps() -> None:
    examples = _reference_examples()
    assert examples, "the reference pages carry at least one response example"
    body = examples[0]["body"]
    row = invocation_row(body["data"][0], 1.0, SUMMARY)
    assert row is not None and row.status.kind is Kind.FAILED
    assert row.status.failure and row.status.terminal
    assert row.problem is not None and row.problem.code == "invocation.timeout"
    assert row.duration == pytest.approx(0.35) and row.name == "act"
    assert row.raw == body["data"][0]
    assert body["nextCursor"] is not None


def test_unknown_values_are_kept_and_marked() -> None:
    record = {
        "id": "i",
        "runId": "r",
        "runtimeId": "t",
        "action": "summarize",
        "status": "paused_for_review",
        "createdAt": "2026-01-01T00:00:00Z",
        "brandNewField": {"x": 1},
    }
    row = invocation_row(record, 1.0, SUMMARY)
    assert row is not None
    assert row.status.kind is Kind.UNKNOWN and row.status.raw == "paused_for_review"
    assert row.name == "summarize"
    assert not row.status.terminal  # unknown statuses are treated as live
    assert row.raw is not None and row.raw["brandNewField"] == {"x": 1}, "sent as it came"


def test_terminal_statuses_known() -> None:
    terminal = {word for word, kind in STATUS_WORDS.items() if kind.terminal}
    assert terminal == {"succeeded", "failed", "cancelled", "timed_out"}
    live = {word for word, kind in STATUS_WORDS.items() if not kind.terminal}
    assert live == {"queued", "dispatching", "running", "cancelling"}


def test_nullable_fields_accept_null_and_only_the_id_is_required() -> None:
    v2 = {
        "id": "i",
        "runId": "r",
        "runtimeId": "t",
        "spaceId": "s",
        "runtimeType": "browser",
        "status": "queued",
        "type": "act",
        "artifactCount": 0,
        "createdAt": "2026-01-01T00:00:00Z",
        "startedAt": None,
        "finishedAt": None,
        "durationMs": None,
        "error": None,
        "metadata": None,
        "progress": None,
        "result": None,
    }
    row = invocation_row(v2, 1.0, V2)
    assert row is not None and row.progress is None and row.started is None
    body = body_from_v2(v2, None)
    assert body.result is None and body.metadata is None and body.runtime == "browser"
    bare = invocation_row({"id": "i"}, 1.0, V2)
    assert bare is not None and bare.status.kind is Kind.UNKNOWN and bare.name is None
    assert invocation_row({"status": "queued"}, 1.0, V2) is None, "no id: no row"
    asked = invocation_row({"status": "queued"}, 1.0, V2, key="asked-for")
    assert asked is not None and asked.key == "asked-for"


def test_steps_unknown_error_codes_and_categories() -> None:
    full = {
        "id": "i",
        "status": "failed",
        "entryCall": "page.goto",
        "result": {
            "mode": "fail-fast",
            "ok": False,
            "runtimeId": "t",
            "steps": [
                {
                    "ok": True,
                    "call": "page.goto",
                    "index": 0,
                    "result": None,
                    "resolved": {"call": "page.goto", "method": "goto", "target": "x"},
                },
                {
                    "ok": False,
                    "call": "page.clik",
                    "index": 1,
                    "error": {
                        "code": "SOMETHING_NEW",
                        "message": "m",
                        "diagnostic": {"id": "d", "category": "cosmic", "fixes": [{"title": "t"}]},
                    },
                },
            ],
        },
    }
    body = body_from_full(full, None)
    assert body.steps is not None
    ok, failed = body.steps
    assert ok.ok is True and ok.target == "x" and failed.failed
    assert failed.code == "SOMETHING_NEW" and failed.diagnostic is not None
    assert failed.diagnostic.category == "cosmic" and failed.diagnostic.fixes[0].title == "t"
    assert body.failed_steps == [failed]
    row = invocation_row(full, 1.0, FULL)
    assert row is not None
    assert "step 2 page.clik: SOMETHING_NEW" in explain(row, body)


def test_odd_fields_cost_that_field_only() -> None:
    row = invocation_row(
        {
            "id": "i",
            "status": "failed",
            "action": 7,
            "createdAt": "laborum in incididunt",
            "startedAt": True,
            "durationMs": "4000",
            "error": "not an object",
            "progress": {"step": "2", "totalSteps": None, "message": 7},
        },
        1.0,
        FULL,
    )
    assert row is not None and row.status.kind is Kind.FAILED
    assert row.created == Raw("laborum in incididunt") and row.started == Raw("true")
    assert row.duration == 4.0 and row.name == "7" and row.problem is None
    assert row.progress is not None and row.progress.step == 2 and row.progress.fraction is None


def test_every_world_shape_maps() -> None:
    world = World("demo", seed=3, clock=lambda: FROZEN_NOW)
    now = FROZEN_NOW
    codes: set[str | None] = set()
    seen = 0
    for run in world.runs:
        for plan in world.visible(run, now):
            summary = invocation_row(world.summary(plan, now), now, SUMMARY)
            v2 = invocation_row(world.v2(plan, now)["data"], now, V2)
            full_record = world.full(plan, now)
            full = invocation_row(full_record, now, FULL)
            assert summary is not None and v2 is not None and full is not None
            assert summary.key == v2.key == full.key == plan.id
            assert summary.status == v2.status == full.status
            assert summary.status.kind is not Kind.UNKNOWN
            body = body_from_full(full_record, body_from_v2(world.v2(plan, now)["data"], None))
            operation = body_from_full(world.operation(plan, now), Body())
            assert operation.steps is not None and len(operation.steps) == len(body.steps or ())
            if body.steps:
                assert all(step.ok is not None for step in body.steps)
                codes |= {step.code for step in body.failed_steps}
            seen += 1
    assert seen > 50
    assert {"UNKNOWN_CALL", "UNKNOWN_REF"} <= codes


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
json_value = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)
status = st.one_of(st.sampled_from(list(STATUS_WORDS)), st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(
    status=status,
    action=st.text(max_size=15),
    result=json_value,
    progress=st.one_of(
        st.none(),
        json_value,
        st.fixed_dictionaries(
            {},
            optional={
                "step": st.integers(-5, 50),
                "totalSteps": st.integers(-5, 50),
                "message": st.text(max_size=30),
            },
        ),
    ),
    extra=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in {"id", "status", "data"}),
        json_value,
        max_size=3,
    ),
)
def test_generated_payloads_map(
    status: str, action: str, result: Any, progress: Any, extra: dict[str, Any]
) -> None:
    invocation = {
        "id": "i",
        "runId": "r",
        "runtimeId": "t",
        "spaceId": "s",
        "runtimeKind": "browser",
        "status": status,
        "entryCall": action,
        "executionMode": "durable",
        "sequenceNo": 1,
        "stepCount": 1,
        "artifactCount": 0,
        "createdAt": "2026-01-01T00:00:00Z",
        "progress": progress,
        "metadata": extra,
        "result": result,
        **extra,
    }
    row = invocation_row(invocation, 1.0, FULL)
    assert row is not None and row.status.raw == status
    if row.progress is not None:
        fraction = row.progress.fraction
        assert fraction is None or 0.0 <= fraction <= 1.0
    body = body_from_full(invocation, body_from_v2({**invocation, "type": action}, None))
    assert body.entry_call == action and body.action == action
    explain(row, body)


def test_error_bodies_map_to_the_shared_fields() -> None:
    client = BctrlClient("k", "http://api.test")
    fields = client.error_fields(
        {
            "code": "run.not_found",
            "error": "Run not found",
            "reasonClass": "brand_new",
            "requestId": "req_1",
            "hint": "check the id",
        }
    )
    assert fields is not None and fields.reason_class == "brand_new"
    assert (fields.code, fields.message, fields.hint, fields.request_id) == (
        "run.not_found",
        "Run not found",
        "check the id",
        "req_1",
    )
    assert client.error_fields({"code": "x"}) is None, "not an error body: no message"
    assert client.error_fields([1, 2]) is None
