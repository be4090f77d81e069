"""Project Mode: backlink projects bound to a team's tracking projects, their reads and requests.

Full refreshes run in the state machine (logic/refresh.py), daily delta pulls behind SQS
(logic/delta.py). This module activates projects and serves what users read.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from backlinks.dal.projects import ProjectStore
from backlinks.dal.queues import send_messages
from backlinks.dal.workflows import start_execution
from backlinks.errors import ConflictError, InvalidParameterError, NotFoundError
from backlinks.logic import budget, jobs, provider, teams
from backlinks.models.projects import DeltaMessage, Event, Project
from backlinks.models.records import Job, JobKind
from backlinks.observability import logger
from backlinks.services import Services

PROJECT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
REFRESH_MAX_REFERRING_DOMAINS = 10_000  # 10 pages of 1000
REFRESH_PAGE_SIZE = 1000
# A claim older than this is taken over: the state machine times out after 1 hour.
REFRESH_CLAIM_STALE_AFTER = timedelta(hours=2)
# NOTE: an estimate for the cost guard; the real count of backlinks per referring domain varies.
ESTIMATED_LINKS_PER_DOMAIN = 10
COUNTS_WINDOW = timedelta(days=30)
SPAM_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-79", 61, 79), ("80-100", 80, 100))


def project_store(services: Services) -> ProjectStore:
    return ProjectStore(services.store.table_name)


def validate_project_id(project_id: str) -> str:
    if not PROJECT_ID_PATTERN.fullmatch(project_id):
        raise InvalidParameterError(
            "project",
            project_id,
            "expected 1-64 letters, digits, '-' or '_', starting with a letter or digit",
        )
    return project_id


def require_project(services: Services, team_id: str, project_id: str) -> Project:
    project = project_store(services).get_project(team_id, validate_project_id(project_id))
    if project is None:
        # Another team's project gets the same 404, so ids do not leak.
        raise NotFoundError(f"backlink project {project_id!r} not found", project=project_id)
    return project


def require_data(services: Services, team_id: str, project_id: str) -> Project:
    project = require_project(services, team_id, project_id)
    if project.generation is None:
        raise ConflictError(
            f"backlink project {project_id!r} has no data yet: start a full refresh with "
            f"POST /v1/backlinks/{project_id}/full-refresh",
            project=project_id,
        )
    return project


@dataclass(frozen=True)
class Activation:
    project: Project
    created: bool


def activate(services: Services, team_id: str, project_id: str, target: str) -> Activation:
    """Create the team's backlink project for a tracking project, or return the existing one."""
    store = project_store(services)
    validate_project_id(project_id)
    existing = store.get_project(team_id, project_id)
    if existing is not None:
        if existing.target != target:
            raise ConflictError(
                f"tracking project {project_id!r} is already active for {existing.target!r}, not {target!r}",
                project=project_id,
                target=existing.target,
            )
        return Activation(existing, created=False)
    teams.check_project_limit(services, team_id)
    project = Project(team_id=team_id, project_id=project_id, target=target, created_at=services.clock())
    if not store.create_project(project):
        # Another request created it a moment ago.
        return Activation(store.get_project(team_id, project_id, consistent=True), created=False)
    logger.info("project_activated", extra={"team_id": team_id, "project_id": project_id, "target": target})
    return Activation(project, created=True)


def list_projects(services: Services, team_id: str, *, limit: int, cursor: str | None):
    return project_store(services).list_projects(team_id, limit=limit, cursor=cursor)


def estimate_refresh_cost(max_referring_domains: int) -> float:
    """Summary, referring domain pages, their backlinks and the spam enrichment of every domain."""
    links = max_referring_domains * ESTIMATED_LINKS_PER_DOMAIN
    cost = budget.estimate_pull_cost(max_referring_domains, full_analysis=True)
    cost += budget.calls_cost(math.ceil(links / budget.ITEMS_PER_PAGE), links)
    return round(cost, 5)


@dataclass(frozen=True)
class RefreshRequest:
    job: Job
    already_running: bool
    estimated_cost_usd: float


def request_full_refresh(
    services: Services, team_id: str, project_id: str, max_referring_domains: int
) -> RefreshRequest:
    """Start the full refresh state machine, or return the refresh of this project already running."""
    store = project_store(services)
    project = require_project(services, team_id, project_id)
    estimate = estimate_refresh_cost(max_referring_domains)
    if project.active_refresh_job_id:
        running = store.get_job(team_id, project.active_refresh_job_id)
        if running is not None and not running.finished:
            return RefreshRequest(
                running, True, float(running.parameters.get("estimated_cost_usd", estimate))
            )
    provider.require_provider_active(services)
    teams.check_refresh_size(services, team_id, max_referring_domains)
    budget.check_budget(services, team_id, estimate)
    if not services.settings.full_refresh_state_machine_arn:
        raise RuntimeError("FULL_REFRESH_STATE_MACHINE_ARN is not set in this function's environment")

    job_id = jobs.new_job_id()
    holder = store.claim_refresh(team_id, project_id, job_id, services.clock(), REFRESH_CLAIM_STALE_AFTER)
    if holder is not None:
        running = store.get_job(team_id, holder)
        if running is not None:
            return RefreshRequest(
                running, True, float(running.parameters.get("estimated_cost_usd", estimate))
            )
    parameters = {
        "project_id": project_id,
        "max_referring_domains": max_referring_domains,
        "estimated_cost_usd": estimate,
    }
    job = jobs.create_job(
        services,
        team_id=team_id,
        kind=JobKind.FULL_REFRESH,
        target=project.target,
        parameters=parameters,
        job_id=job_id,
    )
    payload = {"job": {"team_id": team_id, "project_id": project_id, "job_id": job_id}}
    try:
        start_execution(services.settings.full_refresh_state_machine_arn, job_id, payload)
    except Exception:
        jobs.fail_job(services, job, "the full refresh could not be started; try again")
        store.release_refresh(team_id, project_id, job_id)
        raise
    logger.info("refresh_started", extra={"team_id": team_id, "project_id": project_id, "job_id": job_id})
    return RefreshRequest(job, False, estimate)


def queue_delta(services: Services, project: Project, day: str) -> Job:
    """Create a delta pull job for the project and send its message."""
    if not services.settings.delta_queue_url:
        raise RuntimeError("DELTA_QUEUE_URL is not set in this function's environment")
    job = jobs.create_job(
        services,
        team_id=project.team_id,
        kind=JobKind.DELTA_PULL,
        target=project.target,
        parameters={"project_id": project.project_id, "scheduled_day": day},
    )
    message = DeltaMessage(
        team_id=project.team_id, project_id=project.project_id, job_id=job.job_id, scheduled_day=day
    )
    try:
        send_messages(services.settings.delta_queue_url, [message])
    except Exception:
        jobs.fail_job(services, job, "the delta pull could not be queued; try again")
        raise
    return job


def request_delta(services: Services, team_id: str, project_id: str) -> Job:
    project = require_data(services, team_id, project_id)
    teams.require_active_subscription(services, team_id)
    return queue_delta(services, project, teams.day_of(services.clock()))


def list_events(services: Services, project: Project, *, types, since, until, limit: int, cursor: str | None):
    if since and until and since > until:
        raise InvalidParameterError(
            "since", since.isoformat(), f"must not be after until ({until.isoformat()})"
        )
    return project_store(services).query_events(
        project.scope, types=types, since=since, until=until, limit=limit, cursor=cursor
    )


def data_as_of(project: Project):
    marks = [mark for mark in (project.first_seen_watermark, project.lost_watermark) if mark]
    return max(marks) if marks else None


def window_counts(services: Services, project: Project) -> dict:
    """Count the events of the 30 days up to the newest vendor time the stored data covers."""
    as_of = data_as_of(project)
    counts = {"window_days": COUNTS_WINDOW.days, "as_of": as_of.isoformat() if as_of else None}
    totals: Counter[str] = Counter()
    domains: dict[str, set[str]] = {"gained": set(), "lost": set()}
    if as_of is not None:
        cursor = None
        while True:
            events, cursor = list_events(
                services,
                project,
                types=(),
                since=as_of - COUNTS_WINDOW,
                until=as_of,
                limit=1000,
                cursor=cursor,
            )
            for event in events:
                totals[event.type.value] += 1
                if event.type.value in domains:
                    domains[event.type.value].add(event.domain_from)
            if cursor is None:
                break
    counts.update(
        gained_links=totals["gained"],
        lost_links=totals["lost"],
        attribute_changed_links=totals["attribute_changed"],
        # Referring domains with at least one gained (lost) backlink in the window.
        gained_domains=len(domains["gained"]),
        lost_domains=len(domains["lost"]),
    )
    return counts


def spam_distribution(services: Services, project: Project) -> dict[str, int]:
    store = project_store(services)
    view = project.view()
    buckets = {
        name: store.count_spam_score_range(view.scope, view.generation, low, high)
        for name, low, high in SPAM_BUCKETS
    }
    buckets["unscored"] = max(project.stored_referring_domains - sum(buckets.values()), 0)
    return buckets


def event_view(event: Event) -> dict:
    return event.model_dump(mode="json")
