"""JSON bodies of the API's responses, built from domain records."""

from aws_lambda_powertools.event_handler import Response

from backlinks.handlers.context import json_response
from backlinks.models.records import DataView, Job, Lookup, ReferringDomain


def job_view(job: Job) -> dict:
    return {
        "job_id": job.job_id,
        "kind": job.kind.value,
        "state": job.state.value,
        "target": job.target,
        "progress": {"done": job.steps_done, "total": job.steps_total},
        "error": job.error,
        "parameters": job.parameters,
        "result": job.result,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }


def summary_view(lookup: Lookup) -> dict:
    summary = lookup.summary
    return {
        "target": lookup.target,
        "rank": summary.rank if summary else None,
        "backlinks": summary.backlinks if summary else None,
        "referring_domains": summary.referring_domains if summary else None,
        "referring_main_domains": summary.referring_main_domains if summary else None,
        "dofollow_ratio": summary.dofollow_ratio if summary else None,
        "spam_score": summary.spam_score if summary else None,
        "fetched_at": summary.fetched_at.isoformat() if summary else None,
        "stored_referring_domains": lookup.stored_referring_domains,
        "vendor_referring_domains_total": lookup.vendor_total_count,
        "last_job_id": lookup.last_job_id,
        "pull_in_progress": lookup.active_job_id,
    }


def spam_score_status(record: ReferringDomain) -> str:
    if record.spam_score is not None:
        return "scored"
    if record.spam_checked_at is not None:
        return "unknown"
    return "unscored"


def referring_domain_view(record: ReferringDomain, toxic_threshold: int) -> dict:
    return {
        "domain": record.domain,
        "rank": record.rank,
        "backlinks": record.backlinks,
        "spam_score": record.spam_score,
        "spam_score_status": spam_score_status(record),
        # A missing score is unknown: never toxic.
        "is_toxic": record.spam_score is not None and record.spam_score >= toxic_threshold,
        "backlinks_spam_score": record.backlinks_spam_score,
        "first_seen": record.first_seen.isoformat() if record.first_seen else None,
        "lost_date": record.lost_date.isoformat() if record.lost_date else None,
        "is_active": record.is_active,
    }


def referring_domains_body(
    view: DataView,
    sort: str,
    order: str,
    min_spam: int,
    items: list[ReferringDomain],
    next_cursor: str | None,
) -> dict:
    return {
        "target": view.target,
        "sort": sort,
        "order": order,
        "items": [referring_domain_view(item, min_spam) for item in items],
        "next_cursor": next_cursor,
    }


def spam_scores_body(
    view: DataView, min_spam: int, items: list[ReferringDomain], next_cursor: str | None, counts: dict
) -> dict:
    return {
        "target": view.target,
        "min_spam": min_spam,
        **counts,
        "items": [referring_domain_view(item, min_spam) for item in items],
        "next_cursor": next_cursor,
    }


def download_response(router, result: dict) -> Response:
    """Redirect to the presigned URL, or return its JSON description for Accept: application/json."""
    headers = router.current_event.headers or {}
    accept = next((value for name, value in headers.items() if name.lower() == "accept"), "") or ""
    if "application/json" in accept.lower():
        return json_response(200, result)
    return Response(
        status_code=302,
        headers={"Location": result["url"], "Cache-Control": "no-store"},
        content_type="text/plain",
        body=f"The export is at {result['url']}\n",
    )
