"""SQS fan-out: one queue, dead-letter queue and consumer function per definitions.QUEUES entry."""

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.data import DataStore
from infra.components.functions import FunctionShared, create_function
from infra.definitions import ENV_DFS_SECRET_ARN, QUEUES, QueueDefinition

# The queues each consumer may send to, by queue name. A pull finds new referring domains and
# queues their spam-score enrichment. Every queue in definitions.QUEUES needs an entry here, so a new
# queue cannot get send rights by accident.
CONSUMER_SENDS_TO: dict[str, tuple[str, ...]] = {
    "pull": ("spam",),
    "spam": (),
    "delta": (),
    "anchors": (),
}
# The maximum retention SQS allows, so a poison message can be inspected and redriven later.
DEAD_LETTER_RETENTION = Duration.days(14)


class FanOut(Construct):
    """Queues with their dead-letter queues, and (after add_consumers) one consumer function per queue."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        missing = {definition.name for definition in QUEUES} - set(CONSUMER_SENDS_TO)
        if missing:
            raise ValueError(f"CONSUMER_SENDS_TO has no entry for queue(s): {', '.join(sorted(missing))}")

        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.consumers: dict[str, lambda_.Function] = {}
        for definition in QUEUES:
            self._create_queue(definition)

    def _create_queue(self, definition: QueueDefinition) -> None:
        prefix = definition.name.title()
        dead_letter_queue = sqs.Queue(
            self,
            f"{prefix}DeadLetterQueue",
            retention_period=DEAD_LETTER_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"{prefix}Queue",
            visibility_timeout=Duration.seconds(definition.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=definition.max_receive_count, queue=dead_letter_queue
            ),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queues[definition.name] = queue
        self.dead_letter_queues[definition.name] = dead_letter_queue

    def queue_url_environment(self) -> dict[str, str]:
        """Map each queue's environment variable (QueueDefinition.env_var) to its URL."""
        return {definition.env_var: self.queues[definition.name].queue_url for definition in QUEUES}

    def add_consumers(
        self, *, shared: FunctionShared, data: DataStore, dfs_secret: secretsmanager.ISecret
    ) -> None:
        """Create each queue's consumer function, its event source mapping and its grants."""
        for definition in QUEUES:
            self.consumers[definition.name] = self._create_consumer(definition, shared, data, dfs_secret)

    def _create_consumer(
        self,
        definition: QueueDefinition,
        shared: FunctionShared,
        data: DataStore,
        dfs_secret: secretsmanager.ISecret,
    ) -> lambda_.Function:
        # Both consumers call DataForSEO, so both get the secret, but the API function does not.
        consumer = create_function(
            self,
            f"{definition.name.title()}Worker",
            shared=shared,
            handler=definition.consumer_handler,
            timeout=Duration.seconds(definition.consumer_timeout_seconds),
            description=f"Consumes the {definition.name} queue",
            extra_environment={ENV_DFS_SECRET_ARN: dfs_secret.secret_arn},
        )
        consumer.add_event_source(
            event_sources.SqsEventSource(
                self.queues[definition.name],
                batch_size=definition.batch_size,
                report_batch_item_failures=True,
            )
        )
        data.grant_table_read_write(consumer)
        dfs_secret.grant_read(consumer)
        for target in CONSUMER_SENDS_TO[definition.name]:
            self.queues[target].grant_send_messages(consumer)
        return consumer
