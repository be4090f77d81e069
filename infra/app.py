"""CDK app entry point: `cdk synth` runs `python -m infra.app` (see cdk.json)."""

import json
import os
from pathlib import Path

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import BacklinksStack

STACK_NAME = "Backlinks"
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def read_cdk_json_context() -> dict:
    """Read the context block of cdk.json (feature flags and settings such as dfs_secret_name).

    The cdk CLI passes this context to the app itself. Code that builds the app without the CLI,
    such as the infra tests, passes it to build_app so both synthesize the same template.
    """
    return json.loads(CDK_JSON.read_text())["context"]


def build_app(context: dict | None = None, *, nag_checks: bool = True) -> App:
    """Build the app with its one stack.

    With nag_checks, synthesis fails on any cdk-nag (AwsSolutions) finding that is not acknowledged
    with a reason. The infra tests turn it off and run the same checks themselves, so they can
    assert on the findings instead of catching a failed synth.
    """
    app = App(context=context)
    # The cdk CLI sets CDK_DEFAULT_ACCOUNT/REGION from the AWS configuration it finds. Without them
    # the stack is environment-agnostic, and synth needs no AWS account at all.
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account or region else None
    BacklinksStack(app, STACK_NAME, env=env)
    if nag_checks:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


if __name__ == "__main__":
    build_app().synth()
