"""Project Mode infrastructure: the full refresh state machine and the daily delta schedule."""

import json

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.components.data import DataStore
from infra.components.functions import FunctionShared, create_function
from infra.components.nag import acknowledge, arn_reference
from infra.definitions import (
    DELTA_DISPATCH_SCHEDULE,
    DELTA_DISPATCHER_HANDLER,
    ENV_DFS_SECRET_ARN,
    REFRESH_STEPS_HANDLER,
)
from infra.workflows.full_refresh import STEPS_FUNCTION_SUBSTITUTION, full_refresh_definition

STEPS_FUNCTION_TIMEOUT = Duration.minutes(5)


class RefreshWorkflow(Construct):
    """The steps function and the state machine built from the one ASL definition."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: FunctionShared,
        data: DataStore,
        dfs_secret: secretsmanager.ISecret,
        spam_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.steps_function = create_function(
            self,
            "StepsFunction",
            shared=shared,
            handler=REFRESH_STEPS_HANDLER,
            timeout=STEPS_FUNCTION_TIMEOUT,
            description="Runs the plan, page, finalize and fail steps of the full refresh",
            extra_environment={ENV_DFS_SECRET_ARN: dfs_secret.secret_arn},
        )
        data.grant_table_read_write(self.steps_function)
        dfs_secret.grant_read(self.steps_function)
        spam_queue.grant_send_messages(self.steps_function)

        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_MONTH)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_string(json.dumps(full_refresh_definition())),
            definition_substitutions={STEPS_FUNCTION_SUBSTITUTION: self.steps_function.function_arn},
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        )
        self.steps_function.grant_invoke(self.state_machine)
        acknowledge(
            self.state_machine,
            f"AwsSolutions-IAM5[Resource::{arn_reference(self.steps_function)}:*]",
            "The state machine invokes the steps function by any version or alias of that one function, "
            "which grant_invoke writes as the function ARN with ':*'.",
        )


class DeltaSchedule(Construct):
    """An EventBridge rule that starts the dispatcher, which queues one delta pull per due project."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: FunctionShared,
        data: DataStore,
        delta_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = create_function(
            self,
            "Dispatcher",
            shared=shared,
            handler=DELTA_DISPATCHER_HANDLER,
            timeout=Duration.minutes(5),
            description="Queues the daily delta pull of every due backlink project",
        )
        data.grant_table_read_write(self.function)
        delta_queue.grant_send_messages(self.function)
        self.rule = events.Rule(
            self,
            "Rule",
            schedule=events.Schedule.expression(DELTA_DISPATCH_SCHEDULE),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
