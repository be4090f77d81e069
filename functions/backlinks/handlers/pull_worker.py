"""SQS consumer of lookup pulls: one message pulls one target's summary and referring domains."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.handlers.workers import consume, process_message
from backlinks.logic import lookup
from backlinks.models.messages import PullMessage
from backlinks.observability import logger, metrics, tracer


def process_record(record: SQSRecord) -> None:
    process_message(record, PullMessage, lookup.run_pull, lookup.abandon_pull)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, process_record)
