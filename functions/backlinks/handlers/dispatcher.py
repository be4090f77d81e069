"""Scheduled entry point: queue the daily delta pull of every project that is due.

EventBridge scheduled events carry their time in "time"; the dispatcher treats that as now.
"""

from datetime import datetime

from backlinks.handlers.context import get_services
from backlinks.logic import delta
from backlinks.observability import logger, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    services = get_services()
    at = (
        datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        if event.get("time")
        else services.clock()
    )
    job_ids = delta.dispatch_due(services, at)
    return {"day": at.date().isoformat(), "queued": len(job_ids), "job_ids": job_ids}
