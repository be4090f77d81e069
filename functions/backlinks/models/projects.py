"""Project Mode records: projects, stored backlinks, events and the messages of the delta queue."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from backlinks.models.records import DataView, Scope, Summary


class EventType(StrEnum):
    GAINED = "gained"
    LOST = "lost"
    ATTRIBUTE_CHANGED = "attribute_changed"


class Project(BaseModel):
    """A team's backlink project, bound to one tracking project (`project_id` is the tracking id).

    `generation` is the full refresh users see. The watermarks are the latest vendor times the
    stored data covers, so delta pulls ask only for what changed after them.
    """

    team_id: str
    project_id: str
    target: str
    created_at: datetime
    generation: str | None = None
    summary: Summary | None = None
    distributions: dict[str, dict[str, int]] = Field(default_factory=dict)
    stored_referring_domains: int = 0
    stored_links: int = 0
    refreshed_at: datetime | None = None
    active_refresh_job_id: str | None = None
    active_refresh_started_at: datetime | None = None
    last_refresh_job_id: str | None = None
    first_seen_watermark: datetime | None = None
    lost_watermark: datetime | None = None
    last_delta_at: datetime | None = None
    last_delta_job_id: str | None = None
    next_pull_day: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope.project(self.team_id, self.project_id)

    def view(self) -> DataView:
        """Return the generation users see; only valid once a full refresh has finished."""
        return DataView(
            scope=self.scope,
            target=self.target,
            generation=self.generation,
            stored_referring_domains=self.stored_referring_domains,
            fetched_at=self.refreshed_at,
        )


class StoredLink(BaseModel):
    """One backlink of a project: one referring page linking to the target (vendor row)."""

    link_id: str
    url_from: str
    url_to: str
    domain_from: str
    anchor: str | None = None
    dofollow: bool = True
    links_count: int = 1
    rank: int = 0
    first_seen: datetime | None = None
    lost_at: datetime | None = None
    spam_score: int | None = None
    """The vendor's spam score of this link (backlink_spam_score); None when unknown."""

    @property
    def is_active(self) -> bool:
        return self.lost_at is None


class Event(BaseModel):
    """One change of a project's backlink profile. `at` is when the vendor saw the change."""

    event_id: str
    type: EventType
    at: datetime
    link_id: str
    url_from: str
    url_to: str
    domain_from: str
    anchor: str | None = None
    dofollow: bool | None = None
    changes: dict[str, dict[str, object]] = Field(default_factory=dict)
    job_id: str | None = None


class DeltaMessage(BaseModel):
    """One daily (or requested) delta pull of one project."""

    team_id: str
    project_id: str
    job_id: str
    scheduled_day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
