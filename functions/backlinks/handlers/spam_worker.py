"""SQS consumer of spam enrichment: plans a job's chunks, or scores one chunk of at most 1000 domains."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import TypeAdapter

from backlinks.handlers.context import get_services
from backlinks.handlers.workers import consume, run_with_failure_policy
from backlinks.logic import enrichment, jobs
from backlinks.models.messages import EnrichmentPlanMessage, SpamChunkMessage
from backlinks.observability import logger, metrics, tracer

MESSAGE = TypeAdapter(EnrichmentPlanMessage | SpamChunkMessage)


def fail_job(services, team_id: str, job_id: str, reason: str) -> None:
    job = services.store.get_job(team_id, job_id)
    if job is not None:
        jobs.fail_job(services, job, reason)


def process_record(record: SQSRecord) -> None:
    message = MESSAGE.validate_json(record.body)
    services = get_services()
    logger.append_keys(team_id=message.team_id, job_id=message.job_id, target=message.target)
    if isinstance(message, EnrichmentPlanMessage):
        work = lambda: enrichment.run_plan(services, message)  # noqa: E731
    else:
        logger.append_keys(chunk=message.chunk)
        work = lambda: enrichment.score_chunk(services, message)  # noqa: E731
    run_with_failure_policy(
        services,
        record,
        work=work,
        fail=lambda reason: fail_job(services, message.team_id, message.job_id, reason),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return consume(event, context, process_record)
