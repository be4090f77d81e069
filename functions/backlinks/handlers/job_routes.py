"""Routes of jobs: /v1/jobs/{job_id}. One GetItem a request, cheap enough to poll every 10 s."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.views import job_view
from backlinks.logic import jobs

router = Router()


@router.get("/v1/jobs/<job_id>", summary="State and progress of a job")
def get_job(job_id: str):
    job = jobs.get_job(get_services(), current_team(router), job_id)
    return json_response(200, job_view(job))
