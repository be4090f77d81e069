"""Acknowledging cdk-nag findings, each with its reason.

cdk-nag 3 runs as a CDK policy validation plugin and reads acknowledgements from construct metadata
(Validations.of(...).acknowledge). A finding with a detail, such as one IAM wildcard, has its own id:
"AwsSolutions-IAM5[Resource::*]".
"""

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on scope and everything below it."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def arn_reference(resource: IConstruct, suffix: str = "") -> str:
    """Return how cdk-nag writes a resource's ARN in a finding, such as "<ExportsBucket1A2B3C4D.Arn>/*"."""
    cfn_resource = resource.node.default_child
    if not isinstance(cfn_resource, CfnElement):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    stack = Stack.of(resource)
    logical_id = stack.resolve(stack.get_logical_id(cfn_resource))
    return f"<{logical_id}.Arn>{suffix}"
