"""Unit tests of the DataForSEO result models on the vendor's published samples and the case files."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backlinks.dataforseo.models import (
    Backlink,
    BacklinksPage,
    ReferringDomainsPage,
    SpamScoreResult,
    Summary,
)
from tests.reference import CASES as FIXTURE_CASES
from tests.reference import reference_path

pytestmark = pytest.mark.usefixtures("socket_disabled")

CASES = FIXTURE_CASES / "dataforseo"


def first_result(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())["tasks"][0]["result"][0]


def test_summary_sample_parses() -> None:
    summary = Summary.model_validate(first_result(reference_path("samples", "summary_live.response.json")))

    assert summary.target == "explodingtopics.com"
    assert summary.rank == 371
    assert summary.backlinks == 41245
    assert summary.referring_domains == 12372
    assert summary.referring_main_domains == 11438
    assert summary.referring_domains_nofollow == 0
    assert summary.backlinks_spam_score == 8
    assert summary.first_seen == datetime(2020, 1, 18, 11, 50, 58, tzinfo=UTC)
    assert summary.lost_date is None
    assert summary.referring_links_attributes == {
        "noopener": 8960,
        "noreferrer": 3908,
        "external": 167,
        "sponsored": 34,
        "ugc": 20,
        "alternate": 2,
    }
    assert summary.target_spam_score == 0


def test_summary_dofollow_ratio_from_referring_pages() -> None:
    summary = Summary(target="example.com", referring_pages=200, referring_pages_nofollow=50)

    assert summary.dofollow_ratio == 0.75


def test_summary_dofollow_ratio_falls_back_to_link_attributes() -> None:
    summary = Summary(target="example.com", backlinks=100, referring_links_attributes={"nofollow": 40})

    assert summary.dofollow_ratio == pytest.approx(0.6)


def test_summary_dofollow_ratio_unknown_without_counts() -> None:
    assert Summary(target="example.com").dofollow_ratio is None
    assert Summary(target="example.com", referring_pages=0, referring_pages_nofollow=0).dofollow_ratio is None


def test_summary_sample_dofollow_ratio_is_one() -> None:
    # The sample was requested with a dofollow-only backlinks filter, so no referring page is nofollow.
    summary = Summary.model_validate(first_result(reference_path("samples", "summary_live.response.json")))

    assert summary.dofollow_ratio == 1.0


def test_referring_domains_sample_parses() -> None:
    page = ReferringDomainsPage.model_validate(
        first_result(reference_path("samples", "referring_domains_live.response.json"))
    )

    assert page.target == "backlinko.com"
    assert page.total_count == 131
    assert page.items_count == 5
    assert [item.domain for item in page.items][:2] == ["menaccessories.net", "semrush.com"]
    first = page.items[0]
    assert first.rank == 302
    assert first.backlinks == 9864
    assert first.first_seen == datetime(2021, 10, 16, 16, 46, 16, tzinfo=UTC)
    assert first.lost_date is None
    assert first.backlinks_spam_score == 0
    assert first.referring_pages == 9864
    assert first.referring_pages_nofollow == 0
    assert first.referring_links_attributes is None
    assert page.items[3].backlinks_spam_score == 14
    assert page.search_after_token is None


def test_case_pages_keep_null_spam_score_unknown() -> None:
    page = ReferringDomainsPage.model_validate(first_result(CASES / "referring_domains_page1.json"))

    scores = {item.domain: item.backlinks_spam_score for item in page.items}
    assert scores == {"a.example.org": 2, "b.example.net": None, "xn--bcher-kva.example": 81}
    assert page.search_after_token == "TOKEN-1"
    assert page.total_count == 20003


def test_vendor_datetime_is_timezone_aware() -> None:
    page = ReferringDomainsPage.model_validate(first_result(CASES / "referring_domains_page2_overlap.json"))

    first_seen = page.items[0].first_seen
    assert first_seen is not None
    assert first_seen.tzinfo is not None
    assert first_seen.utcoffset().total_seconds() == 0


def test_null_items_become_empty_list() -> None:
    page = ReferringDomainsPage.model_validate({"target": "x.example", "total_count": None, "items": None})

    assert page.items == []
    assert page.total_count == 0


def test_unknown_fields_are_ignored() -> None:
    item = {"domain_from": "a.example", "anchor": "Example", "new_vendor_field": {"x": 1}}

    backlink = Backlink.model_validate(item)

    assert backlink.domain_from == "a.example"
    assert not hasattr(backlink, "new_vendor_field")


def test_backlinks_page_parses_vendor_item() -> None:
    item = {
        "type": "backlink",
        "domain_from": "blog.example.net",
        "url_from": "https://blog.example.net/post/",
        "url_to": "https://example.com/",
        "anchor": "Example",
        "dofollow": False,
        "attributes": ["nofollow"],
        "first_seen": "2019-11-15 12:57:46 +00:00",
        "prev_seen": None,
        "last_seen": "2026-10-30 08:00:00 +00:00",
        "is_new": False,
        "is_lost": True,
        "links_count": 2,
        "page_from_rank": 40,
        "domain_from_rank": 120,
        "backlink_spam_score": 61,
        "item_type": "anchor",
    }

    page = BacklinksPage.model_validate({"total_count": 1, "items": [item], "search_after_token": "abc"})

    backlink = page.items[0]
    assert backlink.attributes == ["nofollow"]
    assert backlink.dofollow is False
    assert backlink.is_lost is True
    assert backlink.first_seen == datetime(2019, 11, 15, 12, 57, 46, tzinfo=UTC)
    assert backlink.prev_seen is None
    assert backlink.links_count == 2
    assert backlink.backlink_spam_score == 61
    assert page.search_after_token == "abc"


def test_spam_score_result_keeps_null_scores_as_none() -> None:
    result = SpamScoreResult.model_validate(
        {"items_count": 2, "items": [{"target": "a.example", "spam_score": 5}, {"target": "b.example"}]}
    )

    assert [(item.target, item.spam_score) for item in result.items] == [
        ("a.example", 5),
        ("b.example", None),
    ]
