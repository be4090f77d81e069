"""SQS consumer of delta pulls: one message pulls the changes of one project since its last pull."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.handlers.context import get_services
from backlinks.handlers.workers import run_with_failure_policy
from backlinks.logic import delta
from backlinks.models.projects import DeltaMessage
from backlinks.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def process_record(record: SQSRecord) -> None:
    message = DeltaMessage.model_validate_json(record.body)
    services = get_services()
    logger.append_keys(team_id=message.team_id, project_id=message.project_id, job_id=message.job_id)
    run_with_failure_policy(
        services,
        record,
        work=lambda: delta.run_delta(services, message),
        fail=lambda reason: delta.abandon_delta(services, message, reason),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=process_record, processor=processor, context=context
    )
