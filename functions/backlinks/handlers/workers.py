"""Helpers shared by the SQS consumers: parsing, final-delivery detection and the failure policy."""

from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

from backlinks.dataforseo.errors import DataForSEOError
from backlinks.handlers.context import get_services
from backlinks.logic import jobs, provider
from backlinks.observability import logger
from backlinks.services import Services

MessageT = TypeVar("MessageT", bound=BaseModel)
# Message fields added to every log line while a message is processed, when the message has them.
LOG_KEYS = ("team_id", "project_id", "job_id", "target")

INTERNAL_FAILURE = "the job failed on an internal error after repeated attempts; see the service logs"


def is_final_delivery(record: SQSRecord, max_receive_count: int) -> bool:
    """Tell whether SQS moves this message to the dead-letter queue if it fails again."""
    attempts = int(record.attributes.approximate_receive_count or 1)
    return attempts >= max_receive_count


def run_with_failure_policy(
    services: Services,
    record: SQSRecord,
    work: Callable[[], None],
    fail: Callable[[str], None],
) -> None:
    """Run `work`, turning errors into job failures or SQS retries.

    DataForSEO errors that are not retryable fail the job at once. Retryable ones (the client has
    already retried them with backoff) and unexpected errors go back to SQS for another delivery,
    and fail the job on the final delivery so it never stays "running" behind a dead-letter queue.
    """
    final = is_final_delivery(record, services.settings.max_receive_count)
    # While DataForSEO refuses the account, queued jobs stop with the stored reason instead of
    # calling the vendor again; the provider probe restores the status.
    inactive = provider.inactive_reason(services)
    if inactive is not None:
        logger.warning("job_stopped_provider_inactive", extra={"message_id": record.message_id})
        fail(f"stopped without calling DataForSEO: {inactive}")
        return
    try:
        work()
    except DataForSEOError as error:
        jobs.note_provider_status(services, error)
        if error.retryable and not final:
            logger.warning(
                "dataforseo_retry_later", extra={"error": str(error), "message_id": record.message_id}
            )
            raise
        fail(jobs.vendor_failure_reason(error))
    except Exception:
        logger.exception("record_failed", extra={"message_id": record.message_id, "final": final})
        if final:
            fail(INTERNAL_FAILURE)
        raise


def process_message(
    record: SQSRecord,
    model: type[MessageT],
    work: Callable[[Services, MessageT], None],
    fail: Callable[[Services, MessageT, str], None],
) -> None:
    """Parse a record into `model`, log its ids on every line and run `work` under the failure policy.

    A body that does not parse raises here, so SQS moves it to the dead-letter queue.
    """
    message = model.model_validate_json(record.body)
    services = get_services()
    logger.append_keys(**{key: getattr(message, key) for key in LOG_KEYS if hasattr(message, key)})
    run_with_failure_policy(
        services,
        record,
        work=lambda: work(services, message),
        fail=lambda reason: fail(services, message, reason),
    )


def consume(event: dict, context, record_handler: Callable[[SQSRecord], None]) -> dict:
    """Run `record_handler` on each record of an SQS batch and report the failed ones to SQS."""
    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
