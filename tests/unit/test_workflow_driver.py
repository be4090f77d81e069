"""The local driver of the full refresh definition: every state type and field, retries and catches."""

import pytest

from infra.local.workflow_driver import (
    SUPPORTED_FIELDS,
    UnsupportedDefinition,
    WorkflowDriver,
    check_definition,
)
from infra.workflows.full_refresh import STEPS_FUNCTION_PLACEHOLDER, full_refresh_definition

pytestmark = pytest.mark.usefixtures("socket_disabled")


def walk_states(states: dict):
    for name, state in states.items():
        yield name, state
        if state["Type"] == "Map":
            yield from walk_states(state["ItemProcessor"]["States"])


def test_driver_supports_every_state_used():
    definition = full_refresh_definition()
    check_definition(definition)
    for name, state in walk_states(definition["States"]):
        assert state["Type"] in SUPPORTED_FIELDS, name
        assert set(state) <= SUPPORTED_FIELDS[state["Type"]], name


def test_driver_rejects_unknown_state():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": True}}}

    with pytest.raises(UnsupportedDefinition, match="Wait"):
        check_definition(definition)


class Steps:
    def __init__(self, failing_pages: dict[int, int]) -> None:
        self.failing_pages = dict(failing_pages)
        self.calls: list[str] = []

    def __call__(self, payload: dict):
        step = payload["step"]
        self.calls.append(step if step != "page" else f"page{payload['page']['index']}")
        if step == "plan":
            return {"pages": [{"index": i, "offset": i * 1000, "limit": 1000} for i in range(4)]}
        if step == "page":
            index = payload["page"]["index"]
            if self.failing_pages.get(index, 0) > 0:
                self.failing_pages[index] -= 1
                raise RuntimeError(f"page {index} failed")
            return {"index": index, "links": 10}
        if step == "finalize":
            return {"links": sum(p["links"] for p in payload["pages"])}
        return {"failed": True, "error": payload["error"]}


def run(steps: Steps) -> tuple[dict | None, list[float], WorkflowDriver]:
    sleeps: list[float] = []
    driver = WorkflowDriver(
        full_refresh_definition(), {STEPS_FUNCTION_PLACEHOLDER: steps}, sleep=sleeps.append
    )
    try:
        return driver.run({"job": {"job_id": "j1"}}), sleeps, driver
    except Exception:  # noqa: BLE001 - the caller inspects the trace
        return None, sleeps, driver


def test_driver_runs_plan_pages_finalize():
    steps = Steps({})
    output, sleeps, driver = run(steps)

    assert output["result"] == {"links": 40}
    assert [p["index"] for p in output["pages"]] == [0, 1, 2, 3]
    assert steps.calls[0] == "plan"
    assert steps.calls[-1] == "finalize"
    assert sorted(steps.calls[1:-1]) == ["page0", "page1", "page2", "page3"]
    assert sleeps == []
    assert driver.trace[0] == "Plan"
    assert driver.trace[-1] == "Finalize"


def test_driver_retries_page_with_backoff():
    steps = Steps({2: 2})
    output, sleeps, _ = run(steps)

    assert output["result"] == {"links": 40}
    assert steps.calls.count("page2") == 3
    assert sleeps == [2, 4.0]


def test_driver_catches_exhausted_page():
    steps = Steps({1: 10})
    output, _, driver = run(steps)

    assert output is None
    assert steps.calls.count("page1") == 4  # the first attempt and 3 retries
    assert "finalize" not in steps.calls
    assert steps.calls[-1] == "fail"
    assert driver.trace[-2:] == ["MarkFailed", "Failed"]
