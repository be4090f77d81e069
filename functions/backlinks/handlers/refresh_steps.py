"""Lambda task of the full refresh state machine; the Parameters' "step" names the step to run.

Errors propagate, so the state machine's Retry and Catch see them.
"""

from backlinks.dataforseo.errors import DataForSEOError
from backlinks.errors import ProviderUnavailableError
from backlinks.handlers.context import get_services
from backlinks.logic import jobs, provider, refresh
from backlinks.observability import logger, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    services = get_services()
    job = event["job"]
    logger.append_keys(
        team_id=job["team_id"], project_id=job["project_id"], job_id=job["job_id"], step=event["step"]
    )
    step = event["step"]
    if step in ("plan", "page"):
        # Steps that call DataForSEO stop while the provider refuses the account, and a refusal
        # they meet marks it, as the queue workers do.
        reason = provider.inactive_reason(services)
        if reason:
            raise ProviderUnavailableError(reason)
        try:
            if step == "plan":
                return refresh.plan(services, job)
            return refresh.page(services, job, event["page"])
        except DataForSEOError as error:
            jobs.note_provider_status(services, error)
            raise
    if step == "finalize":
        return refresh.finalize(services, job, event["pages"])
    if step == "fail":
        return refresh.fail(services, job, event.get("error"))
    raise ValueError(f"unknown full refresh step {step!r}")
