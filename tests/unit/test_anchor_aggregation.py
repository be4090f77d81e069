"""Anchor records from vendor rows and from stored links, and the class summary."""

from datetime import UTC, datetime

from backlinks.dataforseo.models import Anchor
from backlinks.logic.anchors import (
    LinkAnchorAggregator,
    class_summary,
    combine_listings,
    merge_vendor_anchors,
)
from backlinks.models.anchors import AnchorRecord
from backlinks.models.projects import StoredLink

EARLY = datetime(2025, 1, 1, tzinfo=UTC)
LATE = datetime(2026, 6, 1, tzinfo=UTC)


def vendor(anchor, backlinks, **values) -> Anchor:
    return Anchor(anchor=anchor, backlinks=backlinks, **values)


def test_whitespace_variants_are_summed():
    records = merge_vendor_anchors(
        [
            vendor("a  b", 10, referring_domains=4, referring_domains_nofollow=1, first_seen=LATE,
                   backlinks_spam_score=20, rank=5),
            vendor(" a\u00a0b", 30, referring_domains=6, referring_domains_nofollow=2, first_seen=EARLY,
                   backlinks_spam_score=40, rank=9),
            vendor("c", 25),
        ]
    )  # fmt: skip

    assert [record.anchor for record in records] == ["a b", "c"]
    merged = records[0]
    assert merged.backlinks == 40
    assert merged.referring_domains == 10
    assert merged.nofollow_referring_domains == 3
    assert merged.dofollow_referring_domains == 7
    assert merged.first_seen == EARLY
    assert merged.rank == 9
    assert merged.variants == 2
    # Weighted by backlinks: (20 * 10 + 40 * 30) / 40.
    assert merged.spam_score == 35


def test_anchor_lost_when_all_rows_lost():
    one_live = merge_vendor_anchors([vendor("x", 1, lost_date=EARLY), vendor("x ", 1)])
    all_lost = merge_vendor_anchors([vendor("x", 1, lost_date=EARLY), vendor(" x", 1, lost_date=LATE)])

    assert one_live[0].is_active
    assert all_lost[0].lost_date == LATE


def test_unknown_spam_scores_stay_unknown():
    (record,) = merge_vendor_anchors([vendor("x", 3), vendor("x  ", 2)])

    assert record.spam_score is None


def test_null_counts_from_vendor_are_zero():
    row = Anchor.model_validate({"anchor": None, "backlinks": None, "referring_domains": None})

    (record,) = merge_vendor_anchors([row])
    assert record.anchor == ""
    assert record.backlinks == 0


def link(link_id, domain, anchor, *, dofollow=True, links_count=1, spam=None, seen=LATE) -> StoredLink:
    return StoredLink(
        link_id=link_id,
        url_from=f"https://{domain}/{link_id}",
        url_to="https://example.com/",
        domain_from=domain,
        anchor=anchor,
        dofollow=dofollow,
        links_count=links_count,
        spam_score=spam,
        first_seen=seen,
    )


def test_links_aggregate_by_collapsed_anchor():
    aggregator = LinkAnchorAggregator()
    for item in (
        link("1", "a.com", "Example", links_count=3, spam=10, seen=EARLY),
        link("2", "a.com", " Example ", dofollow=False, spam=30),
        link("3", "b.com", "Example"),
        link("4", "c.com", "other text", links_count=2),
    ):
        aggregator.add(item)

    records = aggregator.records()
    assert aggregator.links == 4
    assert aggregator.distinct_anchors == 2
    first = records[0]
    assert first.anchor == "Example"
    assert first.backlinks == 5
    assert first.referring_pages == 3
    assert first.nofollow_referring_pages == 1
    assert first.referring_domains == 2
    assert first.nofollow_referring_domains == 1
    assert first.first_seen == EARLY
    assert first.spam_score == 20
    assert aggregator.records(limit=1) == [first]


def test_class_summary_lists_every_class():
    rows = [
        (AnchorRecord(anchor="a", backlinks=30, referring_domains=3, referring_pages=4), "branded"),
        (AnchorRecord(anchor="b", backlinks=10, referring_domains=1), "generic"),
    ]

    summary = {row["class"]: row for row in class_summary(rows)}
    assert summary["branded"] == {
        "class": "branded",
        "anchors": 1,
        "backlinks": 30,
        "referring_domains": 3,
        "referring_pages": 4,
        "share_of_backlinks": 0.75,
        "share_of_anchors": 0.5,
    }
    assert summary["exact_match"]["anchors"] == 0
    assert class_summary([])[0]["share_of_backlinks"] == 0.0


def test_live_listing_wins_over_lost():
    live = [AnchorRecord(anchor="kept", backlinks=5)]
    lost = [
        AnchorRecord(anchor="kept", backlinks=9, lost_date=EARLY),
        AnchorRecord(anchor="gone", backlinks=3, lost_date=LATE),
    ]

    records = combine_listings(live, lost)

    assert [record.anchor for record in records] == ["kept", "gone"]
    assert records[0].backlinks == 5
    assert records[0].is_active
    assert records[1].lost
    assert records[1].lost_date == LATE
