"""Domain records used by the logic. The data-access layer converts them to and from items."""

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


def utc_now() -> datetime:
    return datetime.now(UTC)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobKind(StrEnum):
    LOOKUP_PULL = "lookup_pull"
    SPAM_ENRICHMENT = "spam_enrichment"
    FULL_REFRESH = "full_refresh"
    DELTA_PULL = "delta_pull"
    ANCHORS_PULL = "anchors_pull"


class Job(BaseModel):
    """A unit of background work that clients poll. Progress counts finished steps of `steps_total`.

    A lookup pull counts as one step, then each spam chunk as one more.
    """

    job_id: str
    team_id: str
    kind: JobKind
    state: JobState
    target: str
    steps_total: int = 1
    steps_done: int = 0
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    parameters: dict[str, object] = Field(default_factory=dict)
    result: dict[str, object] = Field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)


class Summary(BaseModel):
    """The profile figures shown for a target, taken from DataForSEO's summary."""

    target: str
    rank: int | None = None
    backlinks: int | None = None
    referring_domains: int | None = None
    referring_main_domains: int | None = None
    dofollow_ratio: float | None = None
    spam_score: int | None = None
    fetched_at: datetime


class Lookup(BaseModel):
    """One team's Quick-Pull of one target: the generation users see and its summary."""

    team_id: str
    target: str
    generation: str | None = None
    summary: Summary | None = None
    stored_referring_domains: int = 0
    vendor_total_count: int | None = None
    active_job_id: str | None = None
    active_job_started_at: datetime | None = None
    last_job_id: str | None = None

    @property
    def scope(self) -> "Scope":
        return Scope.lookup(self.team_id, self.target)

    def view(self) -> "DataView":
        """Return the generation users see; only valid once a pull has finished (generation set)."""
        return DataView(
            scope=self.scope,
            target=self.target,
            generation=self.generation,
            stored_referring_domains=self.stored_referring_domains,
            fetched_at=self.summary.fetched_at if self.summary else None,
        )


class ReferringDomain(BaseModel):
    """A referring domain of a lookup generation.

    `spam_score` is the domain's own score from bulk_spam_score; None means not checked yet, or
    checked with no score from the vendor (`spam_checked_at` is set only in the second case). `backlinks_spam_score`
    is the vendor's average over this domain's links to the target.
    """

    domain: str
    rank: int = 0
    backlinks: int = 0
    first_seen: datetime | None = None
    lost_date: datetime | None = None
    backlinks_spam_score: int | None = None
    spam_score: int | None = None
    spam_checked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.lost_date is None


class SpamScore(BaseModel):
    """A cached bulk_spam_score result for one domain. `spam_score` None: the vendor had none."""

    domain: str
    spam_score: int | None
    checked_at: datetime


class ScopeKind(StrEnum):
    LOOKUP = "lookup"
    PROJECT = "project"


class Scope(BaseModel):
    """The owner of a set of referring domains: a team's lookup of a domain, or a team's project.

    `key` is the target domain of a lookup and the project id of a project.
    """

    model_config = {"frozen": True}

    team_id: str
    kind: ScopeKind
    key: str

    @classmethod
    def lookup(cls, team_id: str, target: str) -> "Scope":
        return cls(team_id=team_id, kind=ScopeKind.LOOKUP, key=target)

    @classmethod
    def project(cls, team_id: str, project_id: str) -> "Scope":
        return cls(team_id=team_id, kind=ScopeKind.PROJECT, key=project_id)


class DataView(BaseModel):
    """The generation of referring domains that users of a lookup or a project currently see."""

    scope: Scope
    target: str
    generation: str
    stored_referring_domains: int = 0
    fetched_at: datetime | None = None
