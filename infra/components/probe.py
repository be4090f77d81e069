"""The scheduled DataForSEO probe: restores the provider status after the vendor refused the account."""

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.components.data import DataStore
from infra.components.functions import FunctionShared, create_function
from infra.definitions import ENV_DFS_SECRET_ARN, PROVIDER_PROBE_HANDLER, PROVIDER_PROBE_SCHEDULE

# One DataForSEO call with the client's default retries: up to 5 attempts of at most 60 s each and
# back-offs of at most 20 s between them.
PROBE_TIMEOUT = Duration.seconds(400)
# The probe reads the provider status and writes it, the usage ledger entry and the month's spend.
PROBE_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]


class ProviderProbe(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: FunctionShared,
        data: DataStore,
        dfs_secret: secretsmanager.ISecret,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = create_function(
            self,
            "Function",
            shared=shared,
            handler=PROVIDER_PROBE_HANDLER,
            timeout=PROBE_TIMEOUT,
            description="Probes DataForSEO while its status is inactive and restores it",
            extra_environment={ENV_DFS_SECRET_ARN: dfs_secret.secret_arn},
        )
        iam.Grant.add_to_principal(
            grantee=self.function, actions=PROBE_TABLE_ACTIONS, resource_arns=[data.table.table_arn]
        )
        dfs_secret.grant_read(self.function)
        self.rule = events.Rule(
            self,
            "Schedule",
            schedule=events.Schedule.expression(PROVIDER_PROBE_SCHEDULE),
            description="Probe DataForSEO while the provider status is inactive",
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
