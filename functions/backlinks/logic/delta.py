"""Daily delta pulls: ask DataForSEO only for backlinks first seen or lost since the last pull.

The pull reads every page before writing anything, so a failed call leaves the stored state and
the event log as they were (it is never read as "every link lost"). Events are written before the
stored links and have ids derived from the change, so processing a message again writes the same
items and a repeated pull finds nothing new.

NOTE: DataForSEO offers no feed of changed links. A change of attributes is seen when the vendor
reports the page again among the rows first seen after the watermark (re-indexed), as the emulator
models it; changes the vendor does not re-report are not detected.
"""

from datetime import datetime, timedelta

from backlinks.dataforseo.client import CallContext
from backlinks.logic import jobs, teams
from backlinks.logic.delta_diff import diff_links
from backlinks.logic.projects import project_store, queue_delta
from backlinks.logic.refresh import DATA_TTL, stored_link
from backlinks.models.projects import DeltaMessage
from backlinks.models.records import JobState
from backlinks.observability import logger
from backlinks.services import Services

# Rows of the last two days are asked for again, so late indexing by the vendor is not missed; the
# diff drops what is already stored.
OVERLAP = timedelta(days=2)
# NOTE: a bound on the rows one delta reads per feed; a profile changing more in a day is cut here.
MAX_DELTA_ROWS = 100_000
EVENT_TTL = timedelta(days=400)


def vendor_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S +00:00")


def run_delta(services: Services, message: DeltaMessage) -> None:
    store = project_store(services)
    job = store.get_job(message.team_id, message.job_id, consistent=True)
    if job is None or job.finished or not store.start_job(job.team_id, job.job_id, services.clock()):
        logger.info("delta_skipped", extra={"job_id": message.job_id, "project_id": message.project_id})
        return
    project = store.get_project(message.team_id, message.project_id, consistent=True)
    if project is None or project.generation is None or project.first_seen_watermark is None:
        jobs.fail_job(
            services, job, "the project has no full refresh to compare with; run a full refresh first"
        )
        return
    context = CallContext(
        team_id=project.team_id,
        operation="delta_pull",
        target=project.target,
        job_id=job.job_id,
        project_id=project.project_id,
    )
    client = services.dataforseo()
    since_first_seen = project.first_seen_watermark - OVERLAP
    since_lost = (project.lost_watermark or project.first_seen_watermark) - OVERLAP

    live_rows, lost_rows = [], []
    newest_first_seen, newest_lost = (
        project.first_seen_watermark,
        project.lost_watermark or project.first_seen_watermark,
    )
    for page in client.backlinks_pages(
        project.target,
        max_items=MAX_DELTA_ROWS,
        filters=[["first_seen", ">", vendor_time(since_first_seen)]],
        context=context,
    ):
        for row in page.items:
            link = stored_link(row)
            if link is not None and row.first_seen:
                live_rows.append((link, row.first_seen))
                newest_first_seen = max(newest_first_seen, row.first_seen)
    for page in client.backlinks_pages(
        project.target,
        max_items=MAX_DELTA_ROWS,
        filters=[["lost_date", ">", vendor_time(since_lost)]],
        backlinks_status_type="lost",
        context=context,
    ):
        for row in page.items:
            link = stored_link(row)
            lost_at = row.last_seen or row.first_seen
            if link is not None and lost_at:
                lost_rows.append((link, lost_at))
                newest_lost = max(newest_lost, lost_at)

    ids = [link.link_id for link, _ in live_rows] + [link.link_id for link, _ in lost_rows]
    stored = store.get_links(project.scope, project.generation, ids)
    result = diff_links(stored, live_rows, lost_rows)
    now = services.clock()
    for event in result.events:
        event.job_id = job.job_id
    store.put_events(project.scope, result.events, now + EVENT_TTL)
    store.put_links(project.scope, project.generation, result.links_to_store, now + DATA_TTL)
    if not store.update_project(
        project.team_id,
        project.project_id,
        {
            "first_seen_watermark": newest_first_seen,
            "lost_watermark": newest_lost,
            "last_delta_at": now,
            "last_delta_job_id": job.job_id,
        },
        generation=project.generation,
    ):
        logger.warning(
            "delta_generation_replaced", extra={"project_id": project.project_id, "job_id": job.job_id}
        )
    counts = {
        "rows_first_seen": len(live_rows),
        "rows_lost": len(lost_rows),
        "events": len(result.events),
        "gained": sum(1 for e in result.events if e.type.value == "gained"),
        "lost": sum(1 for e in result.events if e.type.value == "lost"),
        "attribute_changed": sum(1 for e in result.events if e.type.value == "attribute_changed"),
        "uncertain_changes": result.uncertain_changes,
        "unknown_lost": result.unknown_lost,
    }
    store.merge_job_result(job.team_id, job.job_id, counts, now)
    store.set_job_steps(job.team_id, job.job_id, total=1, done=1, now=now)
    store.finish_job(job.team_id, job.job_id, JobState.DONE, now)
    logger.info(
        "delta_stored",
        extra={"team_id": project.team_id, "project_id": project.project_id, "job_id": job.job_id, **counts},
    )


def abandon_delta(services: Services, message: DeltaMessage, reason: str) -> None:
    job = services.store.get_job(message.team_id, message.job_id)
    if job is not None:
        jobs.fail_job(services, job, reason)


def dispatch_due(services: Services, at: datetime) -> list[str]:
    """Queue one delta pull per project due on `at`'s day or earlier; returns the job ids.

    Each due item moves to the next day in the same step, so a project whose pull fails is tried
    again the next day, and a dispatcher run that repeats on the same day finds nothing.
    """
    store = project_store(services)
    day = teams.day_of(at)
    next_day = teams.day_of(at + timedelta(days=1))
    job_ids = []
    for item in list(store.query_due(day)):
        project = store.get_project(item["team_id"], item["project_id"])
        if project is None or project.generation is None:
            continue
        job = queue_delta(services, project, day)
        store.schedule_pull(project.team_id, project.project_id, next_day, previous_day=item["day"])
        store.update_project(
            project.team_id, project.project_id, {"next_pull_day": next_day}, generation=project.generation
        )
        job_ids.append(job.job_id)
    logger.info("delta_dispatched", extra={"day": day, "projects": len(job_ids)})
    return job_ids
