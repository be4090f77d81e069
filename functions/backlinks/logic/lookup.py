"""Lookup Mode (Quick-Pull): pull any domain's summary and top referring domains for a team.

A pull writes a new generation of referring domains and switches the lookup to it only after every
page arrived, so a failed pull leaves the data users see as it was.
"""

from dataclasses import dataclass
from datetime import timedelta

from backlinks.dal.queues import send_messages
from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.models import ReferringDomain as VendorReferringDomain
from backlinks.dataforseo.models import Summary as VendorSummary
from backlinks.domains import canonical_referring_domain
from backlinks.errors import InvalidDomainError, NotFoundError
from backlinks.logic import admission, enrichment, jobs, teams
from backlinks.models.messages import PullMessage
from backlinks.models.records import DataView, Job, JobKind, Lookup, ReferringDomain, Scope, Summary
from backlinks.observability import logger
from backlinks.services import Services

PULL_DEFAULT_LIMIT = 1000
PULL_MAX_LIMIT = 10_000  # 10 pages of 1000 referring domains
# A claim on a lookup older than this is taken over: the pull worker's timeout is 5 minutes and
# SQS delivers a message at most 3 times, each after a 30-minute visibility timeout.
PULL_CLAIM_STALE_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class PullRequestResult:
    job: Job
    fast_path: bool
    already_running: bool
    lookup: Lookup | None = None


def require_lookup(services: Services, team_id: str, target: str) -> Lookup:
    lookup = services.store.get_lookup(team_id, target)
    if lookup is None or lookup.generation is None:
        raise NotFoundError(
            f"no data for {target!r} yet: start a pull with POST /v1/backlinks/by-domain/{target}/pull",
            target=target,
        )
    return lookup


def _fast_path_job(services: Services, team_id: str, lookup: Lookup | None, limit: int, full_analysis: bool):
    """Return the last finished pull if it is fresh and covers this request, else None."""
    if lookup is None or lookup.summary is None or lookup.last_job_id is None:
        return None
    age = services.clock() - lookup.summary.fetched_at
    if age >= timedelta(seconds=services.settings.summary_fresh_seconds):
        return None
    last = services.store.get_job(team_id, lookup.last_job_id)
    if last is None or last.state.value == "failed":
        return None
    covered_limit = int(last.parameters.get("limit", 0)) >= limit
    covered_analysis = bool(last.parameters.get("full_analysis")) or not full_analysis
    return last if covered_limit and covered_analysis else None


def request_pull(
    services: Services, team_id: str, target: str, *, limit: int, full_analysis: bool, force: bool
) -> PullRequestResult:
    """Start a pull of `target`, or return fresh data, or return the pull already running."""
    store = services.store
    lookup = store.get_lookup(team_id, target)
    if not force:
        last = _fast_path_job(services, team_id, lookup, limit, full_analysis)
        if last is not None:
            return PullRequestResult(job=last, fast_path=True, already_running=False, lookup=lookup)

    job_id = jobs.new_job_id()
    holder = store.claim_lookup_pull(team_id, target, job_id, services.clock(), PULL_CLAIM_STALE_AFTER)
    if holder is not None:
        running = store.get_job(team_id, holder)
        if running is not None:
            return PullRequestResult(job=running, fast_path=False, already_running=True, lookup=lookup)

    try:
        counted_on = admission.admit_pull(services, team_id, limit=limit, full_analysis=full_analysis)
    except Exception:
        store.release_lookup_pull(team_id, target, job_id)
        raise
    parameters = {"limit": limit, "full_analysis": full_analysis}
    job = jobs.create_job(
        services,
        team_id=team_id,
        kind=JobKind.LOOKUP_PULL,
        target=target,
        parameters=parameters,
        job_id=job_id,
    )
    message = PullMessage(
        team_id=team_id, job_id=job.job_id, target=target, limit=limit, full_analysis=full_analysis
    )
    try:
        send_messages(services.settings.pull_queue_url, [message])
    except Exception:
        jobs.fail_job(services, job, "the pull could not be queued; try again")
        store.release_lookup_pull(team_id, target, job.job_id)
        teams.release_lookup_slot(services, team_id, counted_on)
        raise
    logger.info(
        "pull_queued", extra={"team_id": team_id, "job_id": job.job_id, "target": target, "limit": limit}
    )
    return PullRequestResult(job=job, fast_path=False, already_running=False, lookup=lookup)


def summary_from_vendor(target: str, vendor: VendorSummary, fetched_at) -> Summary:
    return Summary(
        target=target,
        rank=vendor.rank,
        backlinks=vendor.backlinks,
        referring_domains=vendor.referring_domains,
        referring_main_domains=vendor.referring_main_domains,
        dofollow_ratio=vendor.dofollow_ratio,
        spam_score=vendor.backlinks_spam_score,
        fetched_at=fetched_at,
    )


def merge_referring_domains(items: list[VendorReferringDomain]) -> tuple[list[ReferringDomain], list[dict]]:
    """Canonicalize vendor hosts and merge the ones that become equal (www.x.com and x.com).

    Returns the records and the rejected hosts with their reasons, which the job reports.
    """
    merged: dict[str, ReferringDomain] = {}
    rejected: list[dict] = []
    for item in items:
        try:
            domain = canonical_referring_domain(item.domain)
        except InvalidDomainError as error:
            rejected.append({"domain": item.domain, "reason": error.reason})
            continue
        record = ReferringDomain(
            domain=domain,
            rank=item.rank or 0,
            backlinks=item.backlinks or 0,
            first_seen=item.first_seen,
            lost_date=item.lost_date,
            backlinks_spam_score=item.backlinks_spam_score,
        )
        existing = merged.get(domain)
        if existing is None:
            merged[domain] = record
            continue
        existing.rank = max(existing.rank, record.rank)
        existing.backlinks += record.backlinks
        if record.first_seen and (existing.first_seen is None or record.first_seen < existing.first_seen):
            existing.first_seen = record.first_seen
        # The merged domain is lost only when every host it came from is lost.
        if existing.lost_date is None or record.lost_date is None:
            existing.lost_date = None
        else:
            existing.lost_date = max(existing.lost_date, record.lost_date)
    return list(merged.values()), rejected


def run_pull(services: Services, message: PullMessage) -> None:
    """Pull the summary and referring domains, store a new generation and switch to it."""
    store = services.store
    job = store.get_job(message.team_id, message.job_id, consistent=True)
    if job is None or job.finished or not store.start_job(job.team_id, job.job_id, services.clock()):
        logger.info("pull_skipped", extra={"job_id": message.job_id})
        return
    context = CallContext(team_id=job.team_id, operation="lookup_pull", target=job.target, job_id=job.job_id)
    client = services.dataforseo()
    now = services.clock()

    summary = store.get_cached_summary(job.target)
    fresh_for = timedelta(seconds=services.settings.summary_fresh_seconds)
    if summary is None or now - summary.fetched_at >= fresh_for:
        summary = summary_from_vendor(job.target, client.summary(job.target, context=context), now)
        store.put_cached_summary(summary, expires_at=now + timedelta(days=services.settings.lookup_ttl_days))

    collection = client.collect_referring_domains(job.target, max_items=message.limit, context=context)
    records, rejected = merge_referring_domains(collection.items)
    expires_at = now + timedelta(days=services.settings.lookup_ttl_days)
    stored = store.put_referring_domains(
        Scope.lookup(job.team_id, job.target), job.job_id, records, expires_at
    )
    result = {
        "referring_domains_stored": stored,
        "vendor_total_count": collection.total_count,
        "vendor_items_received": len(collection.items) + collection.duplicates_dropped,
        "duplicates_dropped": collection.duplicates_dropped,
        "merged_hosts": len(collection.items) - len(rejected) - stored,
        "rejected_hosts": rejected[:50],
        "rejected_host_count": len(rejected),
        "pages": collection.pages,
    }
    if not store.switch_generation(
        job.team_id,
        job.target,
        job_id=job.job_id,
        summary=summary,
        stored_referring_domains=stored,
        vendor_total_count=collection.total_count,
        expires_at=expires_at,
    ):
        jobs.fail_job(services, job, "another pull of this target replaced this one; its data was not used")
        return
    store.merge_job_result(job.team_id, job.job_id, result, services.clock())
    logger.info(
        "pull_stored",
        extra={
            "team_id": job.team_id,
            "job_id": job.job_id,
            **{k: v for k, v in result.items() if isinstance(v, int)},
        },
    )

    if message.full_analysis and stored:
        view = DataView(scope=Scope.lookup(job.team_id, job.target), target=job.target, generation=job.job_id)
        enrichment.plan_enrichment(services, job, view, steps_before=1)
    else:
        store.set_job_steps(job.team_id, job.job_id, total=1, done=1, now=services.clock())
        jobs.finish_if_complete(services, job.team_id, job.job_id)


def abandon_pull(services: Services, message: PullMessage, reason: str) -> None:
    """Fail the pull's job and free the lookup for the next pull; the old generation stays."""
    job = services.store.get_job(message.team_id, message.job_id)
    if job is not None:
        jobs.fail_job(services, job, reason)
    services.store.release_lookup_pull(message.team_id, message.target, message.job_id)
