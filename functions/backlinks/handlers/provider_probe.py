"""Scheduled function: probes DataForSEO while its status is inactive and restores it on success."""

from backlinks.handlers.context import get_services
from backlinks.logic import provider
from backlinks.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    result = provider.run_probe(get_services())
    logger.info("provider_probe", extra=result)
    return result
