"""SQS consumer of delta pulls: one message pulls the changes of one project since its last pull."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.handlers.workers import consume, process_message
from backlinks.logic import delta
from backlinks.models.projects import DeltaMessage
from backlinks.observability import logger, metrics, tracer


def process_record(record: SQSRecord) -> None:
    process_message(record, DeltaMessage, delta.run_delta, delta.abandon_delta)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, process_record)
