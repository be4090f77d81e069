"""Pydantic models of the DataForSEO Backlinks results this service reads.

The models are tolerant: unknown fields are ignored and every field the vendor may send as null is
optional, because a new vendor field or a null must not fail a whole pull. Vendor timestamps such as
``2019-11-15 12:57:46 +00:00`` become timezone-aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_VENDOR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def parse_vendor_datetime(value: Any) -> Any:
    """Parse ``yyyy-mm-dd hh:mm:ss +00:00``; other values are left to pydantic's datetime parsing."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return datetime.strptime(text, _VENDOR_TIME_FORMAT)
        except ValueError:
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _none_as_empty_list(value: Any) -> Any:
    return [] if value is None else value


def _none_as_zero(value: Any) -> Any:
    return 0 if value is None else value


VendorDatetime = Annotated[datetime | None, BeforeValidator(parse_vendor_datetime)]
CountMap = dict[str, int | None]
Count = Annotated[int, BeforeValidator(_none_as_zero)]
"""A count the vendor may send as null when it is zero."""


class VendorModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TargetInfo(VendorModel):
    server: str | None = None
    cms: str | None = None
    platform_type: list[str | None] | None = None
    ip_address: str | None = None
    country: str | None = None
    is_ip: bool | None = None
    target_spam_score: int | None = None


class Summary(VendorModel):
    """Result of backlinks/summary/live: the backlink profile of one target."""

    target: str
    rank: int | None = None
    backlinks: int | None = None
    backlinks_spam_score: int | None = None
    crawled_pages: int | None = None
    info: TargetInfo | None = None
    first_seen: VendorDatetime = None
    lost_date: VendorDatetime = None
    broken_backlinks: int | None = None
    broken_pages: int | None = None
    referring_domains: int | None = None
    referring_domains_nofollow: int | None = None
    referring_main_domains: int | None = None
    referring_main_domains_nofollow: int | None = None
    referring_ips: int | None = None
    referring_subnets: int | None = None
    referring_pages: int | None = None
    referring_pages_nofollow: int | None = None
    referring_links_tld: CountMap | None = None
    referring_links_types: CountMap | None = None
    referring_links_attributes: CountMap | None = None
    referring_links_platform_types: CountMap | None = None
    referring_links_semantic_locations: CountMap | None = None
    referring_links_countries: CountMap | None = None

    @property
    def target_spam_score(self) -> int | None:
        """The spam score of the target itself (``info.target_spam_score``)."""
        return self.info.target_spam_score if self.info is not None else None

    @property
    def dofollow_ratio(self) -> float | None:
        """Share of referring pages that link to the target without nofollow, from 0 to 1.

        The vendor counts ``referring_pages_nofollow`` as the pages with at least one nofollow link, so
        this is ``(referring_pages - referring_pages_nofollow) / referring_pages``. When the page counts
        are missing, it falls back to links: ``1 - referring_links_attributes["nofollow"] / backlinks``.
        None when neither is available (for example a target without backlinks).
        """
        if self.referring_pages and self.referring_pages_nofollow is not None:
            dofollow_pages = max(0, self.referring_pages - self.referring_pages_nofollow)
            return dofollow_pages / self.referring_pages
        if self.backlinks and self.referring_links_attributes is not None:
            nofollow_links = self.referring_links_attributes.get("nofollow") or 0
            return max(0.0, 1 - nofollow_links / self.backlinks)
        return None


class ReferringDomain(VendorModel):
    """One item of backlinks/referring_domains/live."""

    domain: str
    rank: int | None = None
    backlinks: int | None = None
    first_seen: VendorDatetime = None
    lost_date: VendorDatetime = None
    backlinks_spam_score: int | None = None
    """The average spam score of this domain's links to the target; None means unknown, never 0."""
    referring_pages: int | None = None
    referring_pages_nofollow: int | None = None
    referring_links_attributes: CountMap | None = None


class ReferringDomainsPage(VendorModel):
    target: str | None = None
    total_count: Count = 0
    items_count: Count = 0
    items: Annotated[list[ReferringDomain], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list
    )
    search_after_token: str | None = None
    """Not in the vendor's referring_domains schema, but read when present."""


class ReferringDomainsCollection(VendorModel):
    """All referring domains collected over several pages, each domain once (first occurrence wins)."""

    items: list[ReferringDomain]
    total_count: int
    """The vendor's total from the last page read; it can differ from ``len(items)``."""
    pages: int
    duplicates_dropped: int


class Backlink(VendorModel):
    """One item of backlinks/backlinks/live: one referring page, with ``links_count`` links on it.

    The vendor's backlink item has no ``lost_date``; ``is_lost`` and ``last_seen`` record the loss.
    """

    item_type: str | None = None
    domain_from: str
    url_from: str | None = None
    domain_to: str | None = None
    url_to: str | None = None
    anchor: str | None = None
    dofollow: bool | None = None
    attributes: list[str] | None = None
    first_seen: VendorDatetime = None
    prev_seen: VendorDatetime = None
    last_seen: VendorDatetime = None
    is_new: bool | None = None
    is_lost: bool | None = None
    links_count: int | None = None
    rank: int | None = None
    page_from_rank: int | None = None
    domain_from_rank: int | None = None
    backlink_spam_score: int | None = None


class BacklinksPage(VendorModel):
    target: str | None = None
    total_count: Count = 0
    items_count: Count = 0
    items: Annotated[list[Backlink], BeforeValidator(_none_as_empty_list)] = Field(default_factory=list)
    search_after_token: str | None = None


class Anchor(VendorModel):
    """One item of backlinks/anchors/live: the links to the target that use one anchor text.

    ``referring_domains_nofollow`` and ``referring_pages_nofollow`` count the domains and pages with
    at least one nofollow link of this anchor. ``lost_date`` is set once every such link is lost.
    """

    anchor: str | None = None
    rank: int | None = None
    backlinks: Count = 0
    first_seen: VendorDatetime = None
    lost_date: VendorDatetime = None
    backlinks_spam_score: int | None = None
    """The average spam score of the links with this anchor; None means unknown, never 0."""
    referring_domains: Count = 0
    referring_domains_nofollow: Count = 0
    referring_main_domains: Count = 0
    referring_pages: Count = 0
    referring_pages_nofollow: Count = 0
    referring_links_attributes: CountMap | None = None


class AnchorsPage(VendorModel):
    target: str | None = None
    total_count: Count = 0
    items_count: Count = 0
    items: Annotated[list[Anchor], BeforeValidator(_none_as_empty_list)] = Field(default_factory=list)


class SpamScoreItem(VendorModel):
    """One item of backlinks/bulk_spam_score/live."""

    target: str
    spam_score: int | None = None


class SpamScoreResult(VendorModel):
    items_count: Count = 0
    items: Annotated[list[SpamScoreItem], BeforeValidator(_none_as_empty_list)] = Field(default_factory=list)


class TimeseriesNewLostItem(VendorModel):
    """One period of backlinks/timeseries_new_lost_summary/live, dated at the period's last day."""

    date: VendorDatetime = None
    new_backlinks: Count = 0
    lost_backlinks: Count = 0
    new_referring_domains: Count = 0
    lost_referring_domains: Count = 0
    new_referring_main_domains: Count = 0
    lost_referring_main_domains: Count = 0


class TimeseriesNewLostSummary(VendorModel):
    """Result of backlinks/timeseries_new_lost_summary/live: gained and lost counts per period."""

    target: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    group_range: str | None = None
    items_count: Count = 0
    items: Annotated[list[TimeseriesNewLostItem], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list
    )
