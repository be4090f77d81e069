"""The steps of the full refresh state machine: plan, page (run by a Map state), finalize, fail.

Steps pass only keys and counts: pages write their referring domains and backlinks to a new
generation themselves. Finalize switches the project to that generation only when every page
succeeded; a failed refresh leaves the previous generation as it was.
"""

import json
import math
from collections import Counter
from datetime import datetime, timedelta

from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.models import Backlink
from backlinks.domains import canonical_referring_domain
from backlinks.errors import InvalidDomainError
from backlinks.logic import anchors, enrichment, jobs, teams
from backlinks.logic.anchor_classes import ANCHOR_CLASSES, Classifier
from backlinks.logic.anchors import LinkAnchorAggregator
from backlinks.logic.delta_diff import link_id
from backlinks.logic.lookup import merge_referring_domains, summary_from_vendor
from backlinks.logic.projects import REFRESH_PAGE_SIZE, project_store
from backlinks.models.projects import StoredLink
from backlinks.models.records import JobState, Scope
from backlinks.observability import logger
from backlinks.services import Services

DATA_TTL = timedelta(days=90)
# NOTE: a cap on the backlinks stored per page of 1000 referring domains, so one page stays within
# the step function's timeout. Links beyond it are not stored and cannot yield attribute changes.
MAX_LINKS_PER_PAGE = 50_000
RANK_BUCKETS = (("0-99", 0, 99), ("100-299", 100, 299), ("300-499", 300, 499), ("500+", 500, 10**9))


def _context(job: dict, operation: str, target: str) -> CallContext:
    return CallContext(
        team_id=job["team_id"],
        operation=operation,
        target=target,
        job_id=job["job_id"],
        project_id=job["project_id"],
    )


def stored_link(row: Backlink) -> StoredLink | None:
    """Convert a vendor row; None when it has no URLs or its host is not a usable domain."""
    if not row.url_from or not row.url_to:
        return None
    try:
        domain = canonical_referring_domain(row.domain_from)
    except InvalidDomainError:
        return None
    return StoredLink(
        link_id=link_id(row.url_from, row.url_to),
        url_from=row.url_from,
        url_to=row.url_to,
        domain_from=domain,
        anchor=row.anchor,
        dofollow=bool(row.dofollow)
        if row.dofollow is not None
        else not (row.attributes and "nofollow" in row.attributes),
        links_count=row.links_count or 1,
        rank=row.page_from_rank or row.rank or 0,
        first_seen=row.first_seen,
        spam_score=row.backlink_spam_score,
    )


def plan(services: Services, job: dict) -> dict:
    """Fetch the summary, record it on the job and return the page descriptors {offset, limit}."""
    store = project_store(services)
    record = store.get_job(job["team_id"], job["job_id"], consistent=True)
    store.start_job(job["team_id"], job["job_id"], services.clock())
    target = record.target
    vendor = services.dataforseo().summary(target, context=_context(job, "full_refresh", target))
    summary = summary_from_vendor(target, vendor, services.clock())
    wanted = int(record.parameters.get("max_referring_domains", REFRESH_PAGE_SIZE))
    total = min(wanted, summary.referring_domains or 0)
    pages = [
        {
            "index": index,
            "offset": index * REFRESH_PAGE_SIZE,
            "limit": min(REFRESH_PAGE_SIZE, total - index * REFRESH_PAGE_SIZE),
        }
        for index in range(math.ceil(total / REFRESH_PAGE_SIZE))
    ]
    now = services.clock()
    store.set_job_steps(job["team_id"], job["job_id"], total=len(pages) + 1, done=0, now=now)
    store.merge_job_result(
        job["team_id"], job["job_id"], {"summary": summary.model_dump(mode="json"), "pages": len(pages)}, now
    )
    return {"pages": pages}


def page(services: Services, job: dict, descriptor: dict) -> dict:
    """Store one page of referring domains and their backlinks in the new generation; return counts."""
    store = project_store(services)
    scope = Scope.project(job["team_id"], job["project_id"])
    generation = job["job_id"]
    record = store.get_job(job["team_id"], job["job_id"])
    target = record.target
    context = _context(job, "full_refresh", target)
    client = services.dataforseo()
    now = services.clock()
    result = client.referring_domains_page(
        target, limit=descriptor["limit"], offset=descriptor["offset"], context=context
    )
    records, rejected = merge_referring_domains(result.items)
    stored_domains = store.put_referring_domains(scope, generation, records, now + DATA_TTL)

    hosts = [item.domain for item in result.items]
    links: dict[str, StoredLink] = {}
    newest: datetime | None = None
    if hosts:
        filters = [["domain_from", "in", hosts]]
        for batch in client.backlinks_pages(
            target, max_items=MAX_LINKS_PER_PAGE, filters=filters, context=context
        ):
            for row in batch.items:
                link = stored_link(row)
                if link is None:
                    continue
                links[link.link_id] = link
                if link.first_seen and (newest is None or link.first_seen > newest):
                    newest = link.first_seen
    stored_links = store.put_links(scope, generation, links.values(), now + DATA_TTL)
    store.complete_chunk(job["team_id"], job["job_id"], descriptor["index"], now)
    return {
        "index": descriptor["index"],
        "referring_domains": stored_domains,
        "links": stored_links,
        "rejected_hosts": len(rejected),
        "newest_first_seen": newest.isoformat() if newest else None,
    }


def distributions(
    services: Services, scope: Scope, generation: str, target: str
) -> tuple[dict[str, dict[str, int]], LinkAnchorAggregator]:
    """Count a generation's links by attribute and anchor class and its domains by rank.

    Also returns the links aggregated by anchor text, read in the same pass, for the heuristic
    anchor set.
    """
    store = project_store(services)
    classifier = Classifier.for_target(target)
    aggregator = LinkAnchorAggregator()
    follow: Counter[str] = Counter()
    anchor_classes: Counter[str] = Counter({name: 0 for name in ANCHOR_CLASSES})
    for link in store.iter_links(scope, generation):
        follow["dofollow" if link.dofollow else "nofollow"] += 1
        anchor_classes[classifier.classify(link.anchor)] += 1
        aggregator.add(link)
    ranks: Counter[str] = Counter({name: 0 for name, _, _ in RANK_BUCKETS})
    for domain in store.iter_referring_domains(scope, generation):
        name = next(name for name, low, high in RANK_BUCKETS if low <= domain.rank <= high)
        ranks[name] += 1
    counts = {
        "links_by_attribute": {"dofollow": follow["dofollow"], "nofollow": follow["nofollow"]},
        "links_by_anchor_class": dict(anchor_classes),
        "referring_domains_by_rank": dict(ranks),
    }
    return counts, aggregator


def finalize(services: Services, job: dict, pages: list[dict]) -> dict:
    """Switch the project to the new generation, schedule its daily pull and queue spam enrichment."""
    store = project_store(services)
    team_id, project_id, job_id = job["team_id"], job["project_id"], job["job_id"]
    record = store.get_job(team_id, job_id, consistent=True)
    project = store.get_project(team_id, project_id, consistent=True)
    scope = Scope.project(team_id, project_id)
    now = services.clock()
    marks = [datetime.fromisoformat(p["newest_first_seen"]) for p in pages if p.get("newest_first_seen")]
    watermark = max(marks) if marks else None
    # Counted from the table, not summed from the pages: two pages can hold hosts that become the
    # same domain (www.x.com and x.com), and the later page's item replaces the earlier one.
    # NOTE: the replaced item's rank and backlinks are not merged into the survivor.
    stored_domains = store.count_referring_domains(scope, job_id)
    stored_links = sum(p["links"] for p in pages)
    counts, aggregator = distributions(services, scope, job_id, project.target)
    anchor_set = anchors.write_heuristic_set(services, scope, job_id, aggregator)
    values = {
        "summary": record.result.get("summary"),
        "distributions": counts,
        "stored_referring_domains": stored_domains,
        "stored_links": stored_links,
        "refreshed_at": now,
        "first_seen_watermark": watermark,
        "lost_watermark": watermark,
    }
    if not store.switch_project_generation(team_id, project_id, job_id, values):
        anchors.discard_heuristic_set(services, scope, job_id)
        raise RuntimeError(
            f"refresh {job_id} no longer owns the refresh claim of project {project_id}; its data was not used"
        )

    anchors.publish_heuristic_set(services, scope, anchor_set)

    next_day = teams.day_of(now + timedelta(days=1))
    store.schedule_pull(team_id, project_id, next_day, previous_day=project.next_pull_day)
    store.update_project(team_id, project_id, {"next_pull_day": next_day}, generation=job_id)
    switched = store.get_project(team_id, project_id, consistent=True)
    enrichment_job = enrichment.request_enrichment(services, switched.view()) if stored_domains else None
    result = {
        "referring_domains_stored": stored_domains,
        "links_stored": stored_links,
        "enrichment_job_id": enrichment_job.job_id if enrichment_job else None,
        "next_pull_day": next_day,
    }
    store.merge_job_result(team_id, job_id, result, now)
    store.set_job_steps(team_id, job_id, total=len(pages) + 1, done=len(pages) + 1, now=now)
    store.finish_job(team_id, job_id, JobState.DONE, now)
    logger.info(
        "refresh_finished",
        extra={
            "team_id": team_id,
            "project_id": project_id,
            "job_id": job_id,
            **{k: v for k, v in result.items() if isinstance(v, int)},
        },
    )
    return {"referring_domains": stored_domains, "links": stored_links}


def fail(services: Services, job: dict, error: dict | None) -> dict:
    """Fail the job with the error's reason and free the project; the old generation stays."""
    store = project_store(services)
    error = error or {}
    cause = error.get("Cause") or ""
    try:
        # Lambda task failures carry the handler's error as JSON in Cause.
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    reason = f"the full refresh failed: {error.get('Error', 'unknown error')}: {cause}"
    record = store.get_job(job["team_id"], job["job_id"])
    if record is not None:
        jobs.fail_job(services, record, reason[:1000])
    store.release_refresh(job["team_id"], job["project_id"], job["job_id"])
    return {"failed": True}
