"""Lambda task of the full refresh state machine; the Parameters' "step" names the step to run.

Errors propagate, so the state machine's Retry and Catch see them.
"""

from backlinks.handlers.context import get_services
from backlinks.logic import refresh
from backlinks.observability import logger, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    services = get_services()
    job = event["job"]
    logger.append_keys(
        team_id=job["team_id"], project_id=job["project_id"], job_id=job["job_id"], step=event["step"]
    )
    step = event["step"]
    if step == "plan":
        return refresh.plan(services, job)
    if step == "page":
        return refresh.page(services, job, event["page"])
    if step == "finalize":
        return refresh.finalize(services, job, event["pages"])
    if step == "fail":
        return refresh.fail(services, job, event.get("error"))
    raise ValueError(f"unknown full refresh step {step!r}")
