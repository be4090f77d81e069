"""SQS consumer of detailed anchor pulls: one message pulls one lookup's or project's anchors."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.handlers.context import get_services
from backlinks.handlers.workers import run_with_failure_policy
from backlinks.logic import anchors
from backlinks.models.anchors import AnchorsMessage
from backlinks.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def process_record(record: SQSRecord) -> None:
    # A body that does not parse raises here, so SQS moves it to the dead-letter queue.
    message = AnchorsMessage.model_validate_json(record.body)
    services = get_services()
    logger.append_keys(team_id=message.team_id, job_id=message.job_id, target=message.target)
    run_with_failure_policy(
        services,
        record,
        work=lambda: anchors.run_pull(services, message),
        fail=lambda reason: anchors.abandon_pull(services, message, reason),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
