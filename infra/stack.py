"""The Backlinks stack: composes the components and adds nothing of its own but outputs."""

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.components.api import Api
from infra.components.data import DataStore
from infra.components.fanout import FanOut
from infra.components.functions import DEFAULT_TEAM_ID, FunctionShared, create_dependency_layer
from infra.components.nag import acknowledge
from infra.components.probe import ProviderProbe
from infra.components.project_mode import DeltaSchedule, RefreshWorkflow
from infra.components.secrets import import_dfs_secret
from infra.definitions import ENV_EXPORTS_BUCKET, ENV_FULL_REFRESH_STATE_MACHINE_ARN, ENV_TABLE_NAME


class BacklinksStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, description="Backlink analysis with DataForSEO", **kwargs)

        data = DataStore(self, "Data")
        dfs_secret = import_dfs_secret(self, "DataForSeoSecret")
        # Queues come first, because every function gets every queue URL in its environment.
        fanout = FanOut(self, "FanOut")
        shared = FunctionShared(
            layer=create_dependency_layer(self, "DependencyLayer"),
            environment={
                ENV_TABLE_NAME: data.table.table_name,
                ENV_EXPORTS_BUCKET: data.exports_bucket.bucket_name,
                **fanout.queue_url_environment(),
                "DEFAULT_TEAM_ID": DEFAULT_TEAM_ID,
            },
        )
        fanout.add_consumers(shared=shared, data=data, dfs_secret=dfs_secret)
        api = Api(self, "Api", shared=shared, data=data, queues=fanout.queues.values(), dfs_secret=dfs_secret)
        ProviderProbe(self, "ProviderProbe", shared=shared, data=data, dfs_secret=dfs_secret)
        workflow = RefreshWorkflow(
            self,
            "RefreshWorkflow",
            shared=shared,
            data=data,
            dfs_secret=dfs_secret,
            spam_queue=fanout.queues["spam"],
        )
        workflow.state_machine.grant_start_execution(api.function)
        api.function.add_environment(
            ENV_FULL_REFRESH_STATE_MACHINE_ARN, workflow.state_machine.state_machine_arn
        )
        DeltaSchedule(self, "DeltaSchedule", shared=shared, data=data, delta_queue=fanout.queues["delta"])

        self._acknowledge_stack_findings()

        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "ExportsBucketName", value=data.exports_bucket.bucket_name)
        for name, queue in fanout.queues.items():
            CfnOutput(self, f"{name.title()}QueueUrl", value=queue.queue_url)
            CfnOutput(
                self, f"{name.title()}DeadLetterQueueUrl", value=fanout.dead_letter_queues[name].queue_url
            )
        CfnOutput(self, "ApiUrl", value=api.rest_api.url)

    def _acknowledge_stack_findings(self) -> None:
        acknowledge(
            self,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing (tracing active on every function) needs xray:PutTraceSegments and "
            "xray:PutTelemetryRecords, which have no resource-level permissions.",
        )
        acknowledge(
            self,
            "AwsSolutions-L1",
            "Functions run on python3.12 because the dependency layer holds CPython 3.12 wheels; "
            "moving to a newer runtime means rebuilding the layer for it.",
        )
