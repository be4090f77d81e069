"""Step Functions access: start an execution of a state machine."""

import json

import boto3

from backlinks.dal.clients import _CONFIG


def start_execution(state_machine_arn: str, name: str, payload: dict) -> str:
    """Start an execution named `name` (unique per state machine for 90 days); returns its ARN."""
    client = boto3.client("stepfunctions", config=_CONFIG)
    response = client.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    return response["executionArn"]
