"""Spam score enrichment of a lookup's referring domains.

Planning splits the domains into SQS chunks of at most 1000. Domains with no score younger than
30 days in the shared cache come first, so the DataForSEO calls are ceil(stale / 1000) and a domain
scored for one team costs nothing for the next. Each chunk reads the cache again, requests from DataForSEO
only the domains still stale, stores the results in the cache and copies the scores onto the
lookup's referring domain items. A chunk is counted once on its job however often it is delivered.
"""

from datetime import timedelta

from backlinks.dal.queues import send_messages
from backlinks.dataforseo.client import CallContext
from backlinks.logic import admission, jobs
from backlinks.models.messages import SPAM_CHUNK_MAX_DOMAINS, EnrichmentPlanMessage, SpamChunkMessage
from backlinks.models.records import DataView, Job, JobKind, SpamScore
from backlinks.observability import logger
from backlinks.services import Services

# Cached scores live longer than the recheck age so a stale score can still be shown until the
# recheck replaces it. DynamoDB's TTL removes entries that no enrichment read for this long.
SCORE_CACHE_TTL = timedelta(days=90)


def chunk_domains(stale: list[str], fresh: list[str], size: int = SPAM_CHUNK_MAX_DOMAINS) -> list[list[str]]:
    """Split into chunks of `size`, stale domains first and never mixed with fresh ones.

    Mixing would spread the stale domains over more chunks, and each chunk with any stale domain
    costs one DataForSEO call.
    """
    chunks = [stale[i : i + size] for i in range(0, len(stale), size)]
    chunks += [fresh[i : i + size] for i in range(0, len(fresh), size)]
    return chunks


def plan_enrichment(services: Services, job: Job, view: DataView, *, steps_before: int) -> int:
    """Queue the chunks of an enrichment and set the job's step count. Returns the chunk count.

    `steps_before` is the number of steps the job finished before enrichment (1 after a pull).
    The job's total is written before any chunk is sent, so no chunk can finish the job early.
    """
    store = services.store
    now = services.clock()
    max_age = timedelta(days=services.settings.score_max_age_days)
    domains = list(store.iter_referring_domain_names(view.scope, view.generation))
    cached = store.get_spam_scores(domains)
    fresh = [d for d in domains if d in cached and now - cached[d].checked_at < max_age]
    fresh_set = set(fresh)
    stale = [d for d in domains if d not in fresh_set]
    chunks = chunk_domains(stale, fresh)

    store.set_job_steps(job.team_id, job.job_id, total=steps_before + len(chunks), done=steps_before, now=now)
    store.merge_job_result(
        job.team_id,
        job.job_id,
        {"domains_to_score": len(domains), "domains_stale": len(stale), "chunks": len(chunks)},
        now,
    )
    messages = [
        SpamChunkMessage(
            team_id=job.team_id,
            job_id=job.job_id,
            target=job.target,
            scope=view.scope,
            generation=view.generation,
            chunk=index,
            domains=chunk,
        )
        for index, chunk in enumerate(chunks)
    ]
    send_messages(services.settings.spam_queue_url, messages)
    store.merge_job_result(job.team_id, job.job_id, {"chunks_queued": True}, services.clock())
    logger.info(
        "enrichment_planned",
        extra={
            "team_id": job.team_id,
            "job_id": job.job_id,
            "target": job.target,
            "domains": len(domains),
            "stale": len(stale),
            "chunks": len(chunks),
        },
    )
    if not chunks:
        jobs.finish_if_complete(services, job.team_id, job.job_id)
    return len(chunks)


def request_enrichment(services: Services, view: DataView) -> Job:
    """Create an enrichment job and queue its planning, which runs in the spam worker.

    Raises before creating anything when the subscription, the provider or the budget refuses it.
    """
    estimate = admission.admit_enrichment(services, view)
    job = jobs.create_job(
        services,
        team_id=view.scope.team_id,
        kind=JobKind.SPAM_ENRICHMENT,
        target=view.target,
        parameters={
            "generation": view.generation,
            "scope": view.scope.kind.value,
            "estimated_cost_usd": estimate,
        },
    )
    plan = EnrichmentPlanMessage(
        team_id=view.scope.team_id,
        job_id=job.job_id,
        target=view.target,
        scope=view.scope,
        generation=view.generation,
    )
    try:
        send_messages(services.settings.spam_queue_url, [plan])
    except Exception:
        jobs.fail_job(services, job, "the enrichment could not be queued; try again")
        raise
    return job


def run_plan(services: Services, message: EnrichmentPlanMessage) -> None:
    job = services.store.get_job(message.team_id, message.job_id, consistent=True)
    if job is None or job.finished:
        return
    if job.result.get("chunks_queued"):
        # A repeated delivery of a plan that already queued all its chunks.
        return
    services.store.start_job(job.team_id, job.job_id, services.clock())
    view = DataView(scope=message.scope, target=message.target, generation=message.generation)
    plan_enrichment(services, job, view, steps_before=0)


def score_chunk(services: Services, message: SpamChunkMessage) -> None:
    """Score one chunk and count it on its job. DataForSEO errors propagate to the caller."""
    store = services.store
    job = store.get_job(message.team_id, message.job_id)
    if job is None or job.finished:
        logger.info("chunk_skipped", extra={"job_id": message.job_id, "chunk": message.chunk})
        return
    now = services.clock()
    max_age = timedelta(days=services.settings.score_max_age_days)
    cached = store.get_spam_scores(message.domains)
    scores = {d: s for d, s in cached.items() if now - s.checked_at < max_age}
    stale = [d for d in message.domains if d not in scores]
    if stale:
        context = CallContext(
            team_id=message.team_id, operation="spam_enrichment", target=message.target, job_id=message.job_id
        )
        answered = services.dataforseo().bulk_spam_score(stale, context=context)
        checked = [SpamScore(domain=d, spam_score=answered.get(d), checked_at=now) for d in stale]
        store.put_spam_scores(checked, expires_at=now + SCORE_CACHE_TTL)
        scores.update({score.domain: score for score in checked})
    store.apply_spam_scores(message.scope, message.generation, scores)
    store.complete_chunk(message.team_id, message.job_id, message.chunk, now)
    jobs.finish_if_complete(services, message.team_id, message.job_id)
    logger.info(
        "chunk_scored",
        extra={
            "team_id": message.team_id,
            "job_id": message.job_id,
            "chunk": message.chunk,
            "domains": len(message.domains),
            "vendor_checked": len(stale),
        },
    )
