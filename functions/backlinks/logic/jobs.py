"""Job records: creation, completion and the reasons users read when a job fails."""

import uuid
from datetime import timedelta

from backlinks.dataforseo.errors import AccountError, DataForSEOError, SubscriptionInactiveError
from backlinks.errors import NotFoundError
from backlinks.models.records import Job, JobKind, JobState
from backlinks.observability import logger
from backlinks.services import Services

JOB_RETENTION = timedelta(days=30)


def new_job_id() -> str:
    return uuid.uuid4().hex


def create_job(
    services: Services,
    *,
    team_id: str,
    kind: JobKind,
    target: str,
    parameters: dict,
    job_id: str | None = None,
) -> Job:
    now = services.clock()
    job = Job(
        job_id=job_id or new_job_id(),
        team_id=team_id,
        kind=kind,
        state=JobState.QUEUED,
        target=target,
        created_at=now,
        updated_at=now,
        parameters=parameters,
    )
    services.store.create_job(job, expires_at=now + JOB_RETENTION)
    return job


def get_job(services: Services, team_id: str, job_id: str) -> Job:
    job = services.store.get_job(team_id, job_id)
    if job is None:
        # The same error for a missing job and another team's job, so ids do not leak.
        raise NotFoundError(f"job {job_id!r} not found")
    return job


def fail_job(services: Services, job: Job, reason: str) -> None:
    if services.store.finish_job(job.team_id, job.job_id, JobState.FAILED, services.clock(), error=reason):
        logger.warning("job_failed", extra={"team_id": job.team_id, "job_id": job.job_id, "reason": reason})


def finish_if_complete(services: Services, team_id: str, job_id: str) -> bool:
    """Mark the job done when all its steps are counted. Safe to call from every chunk worker."""
    job = services.store.get_job(team_id, job_id, consistent=True)
    if job is None or job.finished or job.steps_done < job.steps_total:
        return False
    finished = services.store.finish_job(
        team_id, job_id, JobState.DONE, services.clock(), only_when_complete=True
    )
    if finished:
        logger.info("job_done", extra={"team_id": team_id, "job_id": job_id, "kind": job.kind.value})
    return finished


def vendor_failure_reason(error: DataForSEOError) -> str:
    """Turn a DataForSEO error into the reason a user reads on the failed job."""
    if isinstance(error, SubscriptionInactiveError):
        return (
            f"DataForSEO denied access ({error.code}): the Backlinks API subscription of the DataForSEO "
            "account is not active. Activate it in the DataForSEO dashboard, then start the job again."
        )
    if isinstance(error, AccountError):
        return (
            f"DataForSEO rejected the account ({error.code}: {error.message}). Check the API credentials, "
            "balance and limits in the DataForSEO dashboard, then start the job again."
        )
    if error.retryable:
        return f"DataForSEO did not answer successfully after retries: {error}"
    return f"DataForSEO rejected the request: {error}"


def note_provider_status(services: Services, error: DataForSEOError) -> None:
    """Record that the provider refused the account, so the status is visible to operators."""
    if isinstance(error, SubscriptionInactiveError | AccountError):
        services.store.set_provider_status("inactive", vendor_failure_reason(error), services.clock())
