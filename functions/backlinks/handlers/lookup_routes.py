"""Routes of Lookup Mode: /v1/backlinks/by-domain/{domain}/..."""

from typing import Annotated, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from backlinks.domains import normalize_target
from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.views import (
    download_response,
    job_view,
    referring_domains_body,
    spam_scores_body,
    summary_view,
)
from backlinks.logic import enrichment, exports, lookup, scores
from backlinks.logic.scores import TOXIC_DEFAULT
from backlinks.models.records import DataView

router = Router()


class PullOptions(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    full_analysis: bool = Field(
        default=True, description="Also queue spam score enrichment of the referring domains."
    )
    limit: int = Field(
        default=lookup.PULL_DEFAULT_LIMIT,
        ge=1,
        le=lookup.PULL_MAX_LIMIT,
        description="Referring domains to pull, by rank (1000 a page, at most 10 pages).",
    )
    force: bool = Field(default=False, description="Pull again even when data younger than 1 hour exists.")


def target_from_path(domain: str) -> str:
    """Normalize the {domain} path parameter; raises InvalidDomainError (400) naming the value."""
    return normalize_target(unquote(domain))


def lookup_view(domain: str) -> DataView:
    """Return the caller's data of the {domain} lookup; NotFoundError (404) when it has none."""
    return lookup.require_lookup(get_services(), current_team(router), target_from_path(domain)).view()


@router.post(
    "/v1/backlinks/by-domain/<domain>/pull", summary="Pull a domain's backlink profile (202 with a job)"
)
def pull(domain: str, options: Annotated[PullOptions | None, Body()] = None):
    target = target_from_path(domain)
    options = options or PullOptions()
    result = lookup.request_pull(
        get_services(),
        current_team(router),
        target,
        limit=options.limit,
        full_analysis=options.full_analysis,
        force=options.force,
    )
    body = {
        "job": job_view(result.job),
        "fast_path": result.fast_path,
        "already_running": result.already_running,
    }
    if result.fast_path and result.lookup and result.lookup.summary:
        body["summary"] = summary_view(result.lookup)
        return json_response(200, body)
    return json_response(202, body)


@router.get("/v1/backlinks/by-domain/<domain>", summary="Summary of a pulled domain")
def get_summary(domain: str):
    target = target_from_path(domain)
    found = lookup.require_lookup(get_services(), current_team(router), target)
    return json_response(200, summary_view(found))


@router.get("/v1/backlinks/by-domain/<domain>/domains", summary="Referring domains, sorted and paginated")
def list_domains(
    domain: str,
    only_active: Annotated[bool, Query(description="Leave out domains whose links are all lost.")] = False,
    only_toxic: Annotated[
        bool, Query(description="Only domains with a spam score of at least min_spam.")
    ] = False,
    min_spam: Annotated[
        int, Query(ge=0, le=100, description="Toxic threshold used by only_toxic.")
    ] = TOXIC_DEFAULT,
    sort: Annotated[Literal["rank", "backlinks", "spam_score", "first_seen"], Query()] = "rank",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="next_cursor of the previous page")
    ] = None,
):
    view = lookup_view(domain)
    items, next_cursor = scores.list_referring_domains(
        get_services(),
        view,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        cursor=cursor,
        only_active=only_active,
        min_spam_score=min_spam if only_toxic else None,
    )
    return json_response(200, referring_domains_body(view, sort, order, min_spam, items, next_cursor))


@router.post(
    "/v1/backlinks/by-domain/<domain>/enrich-spam-scores", summary="Queue spam score enrichment (202)"
)
def enrich(domain: str):
    job = enrichment.request_enrichment(get_services(), lookup_view(domain))
    return json_response(202, {"job": job_view(job)})


@router.get(
    "/v1/backlinks/by-domain/<domain>/spam-scores", summary="Toxic referring domains and unscored count"
)
def spam_scores(
    domain: str,
    min_spam: Annotated[
        int, Query(ge=0, le=100, description="Spam score from which a domain is toxic.")
    ] = TOXIC_DEFAULT,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    view = lookup_view(domain)
    items, next_cursor, counts = scores.spam_score_report(
        get_services(), view, min_spam=min_spam, limit=limit, cursor=cursor
    )
    return json_response(200, spam_scores_body(view, min_spam, items, next_cursor, counts))


@router.get("/v1/backlinks/by-domain/<domain>/disavow-export", summary="Disavow file or CSV of toxic domains")
def disavow_export(
    domain: str,
    threshold: Annotated[
        int, Query(ge=0, le=100, description="Minimum spam score of an entry.")
    ] = TOXIC_DEFAULT,
    format: Annotated[
        Literal["txt", "csv", "xlsx"],
        Query(description="txt: Google disavow file (kept as a version); csv or xlsx: spreadsheet"),
    ] = "txt",
    reasons: Annotated[
        bool, Query(description="txt: a comment line with the spam score above each entry")
    ] = False,
    rows: Annotated[
        Literal["toxic", "all"],
        Query(description="csv and xlsx: the toxic domains or every referring domain"),
    ] = "toxic",
):
    result = exports.export_toxic_domains(
        get_services(), lookup_view(domain), threshold=threshold, fmt=format, reasons=reasons, rows=rows
    )
    return download_response(router, result)
