"""Anchor records: one anchor text of a lookup or a project, the stored sets and the queue message."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backlinks.models.records import Scope

MAX_ANCHORS = 10_000  # 10 pages of 1000 from DataForSEO's anchors endpoint
MAX_LOST_ANCHORS = 1000  # one page of anchors whose links are all lost

AnchorSource = Literal["detailed", "heuristic"]


class AnchorRecord(BaseModel):
    """The links to a target that use one anchor text.

    `anchor` is the vendor's text with whitespace collapsed and nothing else changed. The nofollow
    counts are the referring domains and pages with at least one nofollow link of this anchor, as
    DataForSEO counts them. `variants` counts the vendor rows whose texts became this one when
    their whitespace was collapsed, and their counts are summed.
    """

    anchor: str
    backlinks: int = 0
    referring_domains: int = 0
    nofollow_referring_domains: int = 0
    referring_pages: int = 0
    nofollow_referring_pages: int = 0
    first_seen: datetime | None = None
    lost: bool = False
    """True when every link with this anchor is lost. Its counts are then of the lost links."""
    lost_date: datetime | None = None
    spam_score: int | None = None
    """The average spam score of the anchor's links, or None when unknown."""
    rank: int | None = None
    variants: int = 1

    @property
    def is_active(self) -> bool:
        return not self.lost

    @property
    def dofollow_referring_domains(self) -> int:
        return max(0, self.referring_domains - self.nofollow_referring_domains)

    @property
    def dofollow_referring_pages(self) -> int:
        return max(0, self.referring_pages - self.nofollow_referring_pages)


class AnchorSet(BaseModel):
    """One stored set of anchors: detailed from DataForSEO's anchors endpoint, or heuristic from
    the backlinks a project's full refresh stored."""

    set_id: str
    source: AnchorSource
    built_at: datetime
    anchors_total: int
    """Detailed: the vendor's count of live anchors. Heuristic: the distinct anchors of the links."""
    anchors_stored: int
    """Live and lost anchors stored."""
    truncated: bool = False
    """Whether live anchors beyond the stored ones exist (the pull stopped at its maximum)."""
    lost_anchors_total: int | None = None
    """Detailed: the vendor's count of anchors with lost links, some of which are still live."""
    lost_truncated: bool = False
    job_id: str | None = None
    generation: str | None = None
    links_counted: int | None = None


class AnchorState(BaseModel):
    """The anchor sets of a lookup or a project, and the detailed pull in flight, if any."""

    detailed: AnchorSet | None = None
    heuristic: AnchorSet | None = None
    active_job_id: str | None = None
    active_job_started_at: datetime | None = None

    def current(self, expired_before: datetime) -> AnchorSet | None:
        """Return the set users see: detailed data when present, otherwise the heuristic aggregation.

        A set built before `expired_before` is ignored, because DynamoDB's TTL deletes its anchors.
        """
        for anchor_set in (self.detailed, self.heuristic):
            if anchor_set is not None and anchor_set.built_at >= expired_before:
                return anchor_set
        return None


class AnchorsMessage(BaseModel):
    """One pull of detailed anchors for a lookup or a project."""

    team_id: str
    job_id: str
    target: str
    scope: Scope
    max_anchors: int = Field(ge=1, le=MAX_ANCHORS)
