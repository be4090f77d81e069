"""SQS consumer of detailed anchor pulls: one message pulls one lookup's or project's anchors."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.handlers.workers import consume, process_message
from backlinks.logic import anchors
from backlinks.models.anchors import AnchorsMessage
from backlinks.observability import logger, metrics, tracer


def process_record(record: SQSRecord) -> None:
    process_message(record, AnchorsMessage, anchors.run_pull, anchors.abandon_pull)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, process_record)
