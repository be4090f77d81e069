"""Anchor routes of both modes: /v1/backlinks/by-domain/{domain}/anchors and /v1/backlinks/{project}/anchors."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.lookup_routes import target_from_path
from backlinks.handlers.views import download_response, job_view
from backlinks.logic import anchors, lookup, projects
from backlinks.logic.anchor_classes import ANCHOR_CLASSES, MAX_BRAND_TERMS, MAX_KEYWORDS
from backlinks.models.anchors import MAX_ANCHORS
from backlinks.models.records import Scope

router = Router()

KEYWORD_HELP = (
    f"A keyword the site targets, repeated for several (at most {MAX_KEYWORDS}). Anchors equal to one "
    "are exact matches, and anchors with all its words are partial matches."
)
BRAND_HELP = f"A brand name besides the one in the domain, repeated for several (at most {MAX_BRAND_TERMS})."
CLASS_HELP = f"Only anchors of this class: {', '.join(ANCHOR_CLASSES)}."
FORMAT_HELP = "json (one page), or csv or xlsx: a download of every selected anchor."

# The query parameters of both report routes.
Keywords = Annotated[list[str] | None, Query(description=KEYWORD_HELP)]
Brands = Annotated[list[str] | None, Query(description=BRAND_HELP)]
AnchorClass = Annotated[
    str | None, Query(description=CLASS_HELP, json_schema_extra={"enum": [*ANCHOR_CLASSES, None]})
]
IncludeLost = Annotated[bool, Query(description="Also count anchors whose links are all lost.")]
Format = Annotated[
    str, Query(description=FORMAT_HELP, json_schema_extra={"enum": list(anchors.REPORT_FORMATS)})
]
Limit = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]


class AnchorPullOptions(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    max_anchors: int = Field(
        default=MAX_ANCHORS,
        ge=1,
        le=MAX_ANCHORS,
        description="Anchors to pull, most backlinks first (1000 a DataForSEO call).",
    )


def lookup_subject(domain: str) -> tuple[Scope, str]:
    found = lookup.require_lookup(get_services(), current_team(router), target_from_path(domain))
    return found.scope, found.target


def project_subject(project: str) -> tuple[Scope, str]:
    found = projects.require_project(get_services(), current_team(router), project)
    return found.scope, found.target


def start_pull(subject: tuple[Scope, str], options: AnchorPullOptions | None):
    scope, target = subject
    options = options or AnchorPullOptions()
    result = anchors.request_pull(get_services(), scope, target, max_anchors=options.max_anchors)
    body = {
        "job": job_view(result.job),
        "already_running": result.already_running,
        "estimated_cost_usd": anchors.estimate_pull_cost(options.max_anchors),
    }
    return json_response(202, body)


def report(subject: tuple[Scope, str], query: anchors.ReportQuery, fmt: str):
    scope, target = subject
    anchors.check_choice("format", fmt, anchors.REPORT_FORMATS)
    services = get_services()
    if fmt == "json":
        return json_response(200, anchors.anchor_report(services, scope, target, query))
    return download_response(router, anchors.export_anchors(services, scope, target, query, fmt))


def report_query(keyword, brand, anchor_class, include_lost, limit, cursor) -> anchors.ReportQuery:
    return anchors.ReportQuery(
        keywords=tuple(keyword or ()),
        brand_terms=tuple(brand or ()),
        anchor_class=anchor_class,
        include_lost=include_lost,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/v1/backlinks/by-domain/<domain>/anchors/refresh",
    summary="Queue a pull of detailed anchors from DataForSEO (202 with a job)",
)
def refresh_lookup_anchors(domain: str, options: Annotated[AnchorPullOptions | None, Body()] = None):
    return start_pull(lookup_subject(domain), options)


@router.get(
    "/v1/backlinks/by-domain/<domain>/anchors", summary="Anchor classes and anchors of a pulled domain"
)
def lookup_anchors(
    domain: str,
    keyword: Keywords = None,
    brand: Brands = None,
    anchor_class: AnchorClass = None,
    include_lost: IncludeLost = False,
    format: Format = "json",
    limit: Limit = 100,
    cursor: Cursor = None,
):
    query = report_query(keyword, brand, anchor_class, include_lost, limit, cursor)
    return report(lookup_subject(domain), query, format)


@router.post(
    "/v1/backlinks/<project>/anchors/refresh",
    summary="Queue a pull of a project's detailed anchors from DataForSEO (202 with a job)",
)
def refresh_project_anchors(project: str, options: Annotated[AnchorPullOptions | None, Body()] = None):
    return start_pull(project_subject(project), options)


@router.get("/v1/backlinks/<project>/anchors", summary="Anchor classes and anchors of a project")
def project_anchors(
    project: str,
    keyword: Keywords = None,
    brand: Brands = None,
    anchor_class: AnchorClass = None,
    include_lost: IncludeLost = False,
    format: Format = "json",
    limit: Limit = 100,
    cursor: Cursor = None,
):
    query = report_query(keyword, brand, anchor_class, include_lost, limit, cursor)
    return report(project_subject(project), query, format)
