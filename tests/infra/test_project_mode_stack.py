"""Template assertions of Project Mode: the state machine, its retries, the schedule and grants."""

import json

import pytest
from aws_cdk.assertions import Match

from infra.definitions import DELTA_DISPATCH_SCHEDULE, DELTA_DISPATCHER_HANDLER, REFRESH_STEPS_HANDLER
from infra.workflows.full_refresh import (
    MAP_MAX_CONCURRENCY,
    STEPS_FUNCTION_PLACEHOLDER,
    full_refresh_definition,
)
from tests.infra.test_stack import resources, stack, synthesized, template  # noqa: F401 - fixtures

pytestmark = pytest.mark.infra


def definition_of(resources) -> dict:  # noqa: F811 - fixture of test_stack
    machines = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) == 1
    body = machines[0]["Properties"]["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    # The steps function ARN is a token; put the placeholder back to compare with the source dict.
    text = "".join(part if isinstance(part, str) else STEPS_FUNCTION_PLACEHOLDER for part in parts)
    return json.loads(text)


def test_state_machine_uses_definition(resources):  # noqa: F811 - fixtures of test_stack
    assert definition_of(resources) == full_refresh_definition()


def test_state_machine_map_and_retries(resources):  # noqa: F811 - fixtures of test_stack
    states = definition_of(resources)["States"]

    assert states["Pages"]["Type"] == "Map"
    assert states["Pages"]["MaxConcurrency"] == MAP_MAX_CONCURRENCY
    page = states["Pages"]["ItemProcessor"]["States"]["Page"]
    assert page["Retry"][0]["MaxAttempts"] == 3
    assert page["Retry"][0]["BackoffRate"] == 2.0
    for name in ("Plan", "Pages", "Finalize"):
        assert states[name]["Catch"][0]["Next"] == "MarkFailed"


def test_steps_function_handler(template):  # noqa: F811 - fixtures of test_stack
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": REFRESH_STEPS_HANDLER})


def test_schedule_targets_dispatcher(template, resources):  # noqa: F811 - fixtures of test_stack
    rules = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    scheduled = [r for r in rules if r["Properties"].get("ScheduleExpression") == DELTA_DISPATCH_SCHEDULE]
    assert len(scheduled) == 1
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": DELTA_DISPATCHER_HANDLER})


def test_api_can_start_refresh(template):  # noqa: F811 - fixtures of test_stack
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "states:StartExecution", "Effect": "Allow"})]
                )
            }
        },
    )
