"""Routes of Project Mode: /v1/backlinks and /v1/backlinks/{project}/..."""

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from backlinks.domains import normalize_target
from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.views import download_response, job_view, spam_scores_body
from backlinks.logic import anchors, enrichment, exports, projects, scores
from backlinks.logic.scores import TOXIC_DEFAULT
from backlinks.models.projects import Project

router = Router()


class Activation(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    tracking_project_id: str = Field(
        min_length=1, max_length=64, description="Id of the team's tracking project."
    )
    target: str = Field(min_length=1, max_length=300, description="The tracking project's domain.")


class FullRefreshOptions(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    max_referring_domains: int = Field(
        default=projects.REFRESH_MAX_REFERRING_DOMAINS,
        ge=1,
        le=projects.REFRESH_MAX_REFERRING_DOMAINS,
        description="Referring domains to store, by rank (pages of 1000, at most 10).",
    )


def project_view(project: Project) -> dict:
    return {
        "project_id": project.project_id,
        "target": project.target,
        "created_at": project.created_at.isoformat(),
        "generation": project.generation,
        "refreshed_at": project.refreshed_at.isoformat() if project.refreshed_at else None,
        "stored_referring_domains": project.stored_referring_domains,
        "stored_links": project.stored_links,
        "refresh_in_progress": project.active_refresh_job_id,
        "last_refresh_job_id": project.last_refresh_job_id,
        "last_delta_job_id": project.last_delta_job_id,
        "last_delta_at": project.last_delta_at.isoformat() if project.last_delta_at else None,
        "next_pull_day": project.next_pull_day,
    }


@router.get("/v1/backlinks", summary="The team's backlink projects, paginated")
def list_projects(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    items, next_cursor = projects.list_projects(
        get_services(), current_team(router), limit=limit, cursor=cursor
    )
    return json_response(200, {"items": [project_view(p) for p in items], "next_cursor": next_cursor})


@router.post("/v1/backlinks", summary="Activate a backlink project for a tracking project")
def activate(body: Annotated[Activation, Body()]):
    target = normalize_target(body.target)
    result = projects.activate(get_services(), current_team(router), body.tracking_project_id, target)
    return json_response(
        201 if result.created else 200, {**project_view(result.project), "created": result.created}
    )


@router.get("/v1/backlinks/<project>", summary="Project detail: summary, distributions, 30-day counts")
def detail(project: str):
    services = get_services()
    found = projects.require_project(services, current_team(router), project)
    body = project_view(found)
    body["summary"] = found.summary.model_dump(mode="json") if found.summary else None
    body["distributions"] = dict(found.distributions)
    if found.generation:
        body["distributions"]["referring_domains_by_spam_score"] = projects.spam_distribution(services, found)
    body["last_30_days"] = projects.window_counts(services, found)
    body["anchors"] = anchors.overview(services, found.scope)
    return json_response(200, body)


@router.post("/v1/backlinks/<project>/refresh", summary="Queue a delta pull now (202)")
def refresh(project: str):
    job = projects.request_delta(get_services(), current_team(router), project)
    return json_response(202, {"job": job_view(job)})


@router.post(
    "/v1/backlinks/<project>/full-refresh", summary="Start a full refresh (202) with its estimated cost"
)
def full_refresh(project: str, options: Annotated[FullRefreshOptions | None, Body()] = None):
    options = options or FullRefreshOptions()
    result = projects.request_full_refresh(
        get_services(), current_team(router), project, options.max_referring_domains
    )
    body = {
        "job": job_view(result.job),
        "already_running": result.already_running,
        "estimated_cost_usd": result.estimated_cost_usd,
    }
    return json_response(202, body)


@router.get("/v1/backlinks/<project>/events", summary="Event log, newest first, filtered and paginated")
def events(
    project: str,
    type: Annotated[
        list[Literal["gained", "lost", "attribute_changed"]] | None,
        Query(description="Event types to return."),
    ] = None,
    since: Annotated[datetime | None, Query(description="Earliest event time (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Latest event time (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    services = get_services()
    found = projects.require_project(services, current_team(router), project)
    items, next_cursor = projects.list_events(
        services, found, types=type or (), since=since, until=until, limit=limit, cursor=cursor
    )
    return json_response(200, {"items": [projects.event_view(e) for e in items], "next_cursor": next_cursor})


@router.get("/v1/backlinks/<project>/spam-scores", summary="Toxic referring domains of a project")
def spam_scores(
    project: str,
    min_spam: Annotated[int, Query(ge=0, le=100)] = TOXIC_DEFAULT,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    services = get_services()
    view = projects.require_data(services, current_team(router), project).view()
    items, next_cursor, counts = scores.spam_score_report(
        services, view, min_spam=min_spam, limit=limit, cursor=cursor
    )
    return json_response(200, spam_scores_body(view, min_spam, items, next_cursor, counts))


@router.post("/v1/backlinks/<project>/spam-scores/refresh", summary="Queue spam score enrichment (202)")
def refresh_spam_scores(project: str):
    services = get_services()
    view = projects.require_data(services, current_team(router), project).view()
    return json_response(202, {"job": job_view(enrichment.request_enrichment(services, view))})


@router.get(
    "/v1/backlinks/<project>/disavow-export", summary="Disavow file or CSV of a project's toxic domains"
)
def disavow_export(
    project: str,
    threshold: Annotated[int, Query(ge=0, le=100)] = TOXIC_DEFAULT,
    format: Annotated[Literal["txt", "csv"], Query()] = "txt",
):
    services = get_services()
    view = projects.require_data(services, current_team(router), project).view()
    return download_response(
        router, exports.export_toxic_domains(services, view, threshold=threshold, fmt=format)
    )
