"""Models: the reference examples, unknown enum values, nulls, extra fields, generated data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.api.enums import InvocationStatus, StepErrorCode, UnknownValue, is_terminal
from tui.api.models import (
    ErrorResponse,
    FailedStep,
    Invocation,
    InvocationPage,
    InvocationV2,
    OkStep,
    Operation,
    StepsResult,
    WaitResponse,
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


def test_reference_list_example_parses() -> None:
    examples = _reference_examples()
    assert examples, "the reference pages carry at least one response example"
    page = InvocationPage.model_validate(examples[0]["body"])
    inv = page.data[0]
    assert inv.status is InvocationStatus.FAILED
    assert inv.failed and inv.terminal
    assert inv.error is not None and inv.error.code == "invocation.timeout"
    assert page.next_cursor is not None


def test_unknown_values_are_kept_and_marked() -> None:
    page = InvocationPage.model_validate(
        {
            "data": [
                {
                    "id": "i",
                    "runId": "r",
                    "runtimeId": "t",
                    "action": "summarize",
                    "status": "paused_for_review",
                    "createdAt": "2026-01-01T00:00:00Z",
                    "brandNewField": {"x": 1},
                }
            ],
            "nextCursor": None,
        }
    )
    inv = page.data[0]
    assert isinstance(inv.status, UnknownValue) and inv.status.raw == "paused_for_review"
    assert isinstance(inv.action, UnknownValue) and not inv.action.known
    assert not inv.terminal  # unknown statuses are treated as live
    assert inv.to_wire()["status"] == "paused_for_review"
    assert inv.model_extra == {"brandNewField": {"x": 1}}


def test_terminal_statuses_known() -> None:
    terminal = {s for s in InvocationStatus if s.terminal}
    assert {s.value for s in terminal} == {"succeeded", "failed", "cancelled", "timed_out"}
    assert not is_terminal(UnknownValue("done-ish"))


def test_nullable_fields_accept_null() -> None:
    v2 = InvocationV2.model_validate(
        {
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
    )
    assert v2.progress is None and v2.result is None
    with pytest.raises(ValueError):
        InvocationV2.model_validate({"id": "i"})  # required fields stay required


def test_step_union_and_unknown_error_code() -> None:
    result = StepsResult.model_validate(
        {
            "mode": "fail-fast",
            "ok": False,
            "runtimeId": "t",
            "steps": [
                {
                    "ok": True,
                    "call": "page.goto",
                    "index": 0,
                    "result": None,
                    "resolved": {
                        "call": "page.goto",
                        "method": "goto",
                        "target": "x",
                        "contextId": None,
                        "handleId": None,
                        "pageId": None,
                        "ref": None,
                        "runtimeId": "t",
                    },
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
        }
    )
    ok, failed = result.steps
    assert isinstance(ok, OkStep) and isinstance(failed, FailedStep)
    assert isinstance(failed.error.code, UnknownValue)
    assert failed.error.diagnostic is not None
    assert isinstance(failed.error.diagnostic.category, UnknownValue)
    assert result.failed_steps == [failed]


def test_every_world_shape_parses() -> None:
    world = World("demo", seed=3, clock=lambda: FROZEN_NOW)
    now = FROZEN_NOW
    codes = set()
    for run in world.runs:
        for plan in world.visible(run, now):
            full = Invocation.model_validate(world.full(plan, now))
            Operation.model_validate(world.operation(plan, now))
            InvocationV2.model_validate(world.v2(plan, now)["data"])
            if full.result:
                codes |= {s.error.code for s in full.result.failed_steps}
    assert StepErrorCode.UNKNOWN_CALL in codes


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
json_value = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)
status = st.one_of(st.sampled_from([s.value for s in InvocationStatus]), st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(
    status=status,
    action=st.text(max_size=15),
    result=json_value,
    progress=st.one_of(
        st.none(),
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
def test_generated_payloads_parse(
    status: str, action: str, result: Any, progress: dict[str, Any] | None, extra: dict[str, Any]
) -> None:
    body = {
        "invocation": {
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
        },
        "timedOutWaiting": False,
    }
    parsed = WaitResponse.model_validate(body)
    assert parsed.invocation.status.raw == status
    if parsed.invocation.progress is not None:
        fraction = parsed.invocation.progress.fraction
        assert fraction is None or 0.0 <= fraction <= 1.0
    InvocationV2.model_validate(
        {
            "id": "i",
            "runId": "r",
            "runtimeId": "t",
            "spaceId": "s",
            "runtimeType": "browser",
            "status": status,
            "type": action,
            "artifactCount": 0,
            "createdAt": "2026-01-01T00:00:00Z",
            "result": result,
            **extra,
        }
    )


def test_error_response_model() -> None:
    err = ErrorResponse.model_validate(
        {
            "code": "run.not_found",
            "error": "Run not found",
            "reasonClass": "brand_new",
            "requestId": "req_1",
        }
    )
    assert err.reason_class is not None and err.reason_class.raw == "brand_new"
