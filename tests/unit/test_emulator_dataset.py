"""Unit tests of the emulator's deterministic data and endpoint logic (no sockets)."""

import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from infra.local.emulator import dataset, endpoints

pytestmark = pytest.mark.usefixtures("socket_disabled")

HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_explicit_count_from_target_name() -> None:
    assert dataset.referring_domain_count("rd100000.com") == 100_000
    assert dataset.referring_domain_count("rd1234.example") == 1234


def test_hashed_count_within_range() -> None:
    counts = [dataset.referring_domain_count(f"site{i}.example") for i in range(200)]

    assert min(counts) >= 800
    assert max(counts) <= 6000
    assert len(set(counts)) > 150


def test_profile_is_deterministic_across_processes() -> None:
    script = (
        "from infra.local.emulator import dataset;"
        "p = dataset.target_profile('example.com', 3);"
        "print([(d.domain, d.rank, d.spam_score, str(d.lost_date)) for d in p.domains[:50]])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }

    assert len(outputs) == 1


def test_live_count_matches_target_at_day_zero() -> None:
    profile = dataset.target_profile("rd2000.example", 0)

    live = profile.domain_indexes("live")
    lost = profile.domain_indexes("lost")
    assert len(live) == 2000
    assert len(lost) == round(2000 * dataset.PRE_LOST_SHARE)
    assert 0.07 <= len(lost) / len(profile.domains) <= 0.09


def test_domain_names_are_valid_unique_hosts() -> None:
    profile = dataset.target_profile("rd5000.example", 0)
    names = [record.domain for record in profile.domains]

    assert len(set(names)) == len(names)
    assert "rd5000.example" not in names
    for name in names:
        assert name == name.lower()
        assert len(name) <= 253
        assert all(HOST_LABEL.match(label) for label in name.split(".")), name
    assert any(name.startswith("xn--") or ".xn--" in name for name in names)
    assert any(name.endswith(".blogspot.com") for name in names)
    assert any(name.endswith(".github.io") for name in names)
    assert any(name.startswith("www.") for name in names)
    assert any(name.endswith(".co.uk") for name in names)


def test_spam_scores_are_bimodal() -> None:
    profile = dataset.target_profile("example.com", 0)
    scores = [record.spam_score for record in profile.domains]
    total = len(scores)

    unknown = sum(score is None for score in scores) / total
    low = sum(score is not None and score <= 35 for score in scores) / total
    high = sum(score is not None and score >= 60 for score in scores) / total
    middle = sum(score is not None and 35 < score < 60 for score in scores)
    assert 0.005 <= unknown <= 0.04
    assert 0.72 <= low <= 0.84
    assert 0.14 <= high <= 0.24
    assert middle == 0
    assert sum(score is not None and score >= 80 for score in scores) > 0


def test_spam_score_depends_on_domain_only() -> None:
    first = dataset.target_profile("rd1000.example", 0).domains[0]

    assert first.spam_score == dataset.spam_score(first.domain)
    assert dataset.spam_score("Blog.Example.NET") == dataset.spam_score("blog.example.net")


def test_ranks_follow_power_law() -> None:
    ranks = [record.rank for record in dataset.target_profile("example.com", 0).domains]

    assert min(ranks) >= 0
    assert max(ranks) <= 1000
    assert statistics.median(ranks) < 50
    assert sum(rank > 700 for rank in ranks) / len(ranks) < 0.10
    assert max(ranks) > 700


def test_dofollow_ratio_between_55_and_85_percent() -> None:
    for target in ("site0.example", "site1.example", "site2.example", "site3.example"):
        profile = dataset.target_profile(target, 0)
        pages = sum(record.referring_pages for record in profile.domains)
        nofollow = sum(record.referring_pages_nofollow for record in profile.domains)
        assert 0.55 <= dataset.dofollow_ratio(target) <= 0.85
        assert 0.50 <= 1 - nofollow / pages <= 0.90


def test_anchor_classes_all_present() -> None:
    rows = dataset.target_profile("example.com", 0).backlink_rows()
    classes = {dataset.anchor_class_of(row.anchor_draw) for row in rows}

    assert classes == set(dataset.ANCHOR_CLASSES)


def test_backlink_rows_cover_each_referring_page() -> None:
    profile = dataset.target_profile("rd1500.example", 0)
    rows = profile.backlink_rows()

    assert len(rows) == sum(record.referring_pages for record in profile.domains)
    assert all(row.links_count >= 1 for row in rows)
    assert sum(row.links_count for row in rows) == sum(record.backlinks for record in profile.domains)
    assert all(row.first_seen >= profile.domains[row.domain_index].first_seen for row in rows)


def test_churn_loses_and_adds_domains_per_day() -> None:
    day0 = dataset.target_profile("churn.example", 0)
    day5 = dataset.target_profile("churn.example", 5)
    live0 = {day0.domains[i].domain for i in day0.domain_indexes("live")}
    live5 = {day5.domains[i].domain for i in day5.domain_indexes("live")}

    lost = live0 - live5
    gained = live5 - live0
    assert lost
    assert gained
    by_name = {record.domain: record for record in day5.domains}
    for name in gained:
        assert dataset.today(1) <= by_name[name].first_seen < dataset.today(6)
    for name in lost:
        lost_date = by_name[name].lost_date
        assert lost_date is not None
        assert dataset.today(1) <= lost_date < dataset.today(6)


def test_churn_is_cumulative() -> None:
    day3 = dataset.target_profile("churn.example", 3)
    day4 = dataset.target_profile("churn.example", 4)

    assert [record.domain for record in day3.domains] == [record.domain for record in day4.domains][
        : len(day3.domains)
    ]


def test_referring_domains_paging_and_order() -> None:
    first, _ = endpoints.referring_domains({"target": "example.com", "limit": 100}, 0)
    second, _ = endpoints.referring_domains({"target": "example.com", "limit": 100, "offset": 100}, 0)

    items = first[0]["items"] + second[0]["items"]
    ranks = [item["rank"] for item in items]
    assert ranks == sorted(ranks, reverse=True)
    assert len({item["domain"] for item in items}) == 200
    assert first[0]["total_count"] == len(dataset.target_profile("example.com", 0).domain_indexes("live"))


def test_referring_domains_order_by_spam_score_ascending() -> None:
    result, _ = endpoints.referring_domains(
        {"target": "example.com", "limit": 1000, "order_by": ["backlinks_spam_score,asc"]}, 0
    )

    scores = [item["backlinks_spam_score"] for item in result[0]["items"]]
    assert scores[: scores.count(None)] == [None] * scores.count(None)
    known = [score for score in scores if score is not None]
    assert known == sorted(known)


@pytest.mark.parametrize(
    ("task", "field"),
    [
        ({"target": "example.com", "limit": 1001}, "limit"),
        ({"target": "example.com", "order_by": ["domain_name,desc"]}, "order_by"),
        ({"target": "example.com", "backlinks_status_type": "gone"}, "backlinks_status_type"),
        ({"limit": 10}, "target"),
    ],
)
def test_referring_domains_invalid_fields(task: dict, field: str) -> None:
    with pytest.raises(endpoints.TaskError) as raised:
        endpoints.referring_domains(task, 0)

    assert raised.value.code == 40501
    assert f"'{field}'" in raised.value.message


def test_backlinks_filters_combine_with_and_or() -> None:
    cutoff = "2024-01-01 00:00:00 +00:00"
    task = {
        "target": "example.com",
        "limit": 1000,
        "filters": [
            ["dofollow", "=", True],
            "and",
            [["first_seen", ">", cutoff], "or", ["domain_from", "like", "%.de"]],
        ],
    }

    result, _ = endpoints.backlinks(task, 0)

    items = result[0]["items"]
    assert items
    cutoff_time = dataset.parse_vendor_time(cutoff)
    for item in items:
        assert item["dofollow"] is True
        recent = dataset.parse_vendor_time(item["first_seen"]) > cutoff_time
        assert recent or item["domain_from"].endswith(".de")


def test_backlinks_offset_limit_and_token() -> None:
    task = {"target": "rd8000.example", "limit": 1000, "order_by": ["first_seen,desc"]}
    by_offset, _ = endpoints.backlinks(task | {"offset": 1000}, 0)
    first, _ = endpoints.backlinks(task, 0)
    by_token, _ = endpoints.backlinks(task | {"search_after_token": first[0]["search_after_token"]}, 0)

    assert by_offset[0]["items"] == by_token[0]["items"]
    with pytest.raises(endpoints.TaskError) as raised:
        endpoints.backlinks(task | {"offset": 20_001}, 0)
    assert "search_after_token" in raised.value.message
    with pytest.raises(endpoints.TaskError):
        endpoints.backlinks(
            task | {"order_by": ["rank,desc"], "search_after_token": first[0]["search_after_token"]}, 0
        )


def test_bulk_spam_score_agrees_with_referring_domains() -> None:
    result, _ = endpoints.referring_domains({"target": "example.com", "limit": 1000}, 0)
    domains = {item["domain"]: item["backlinks_spam_score"] for item in result[0]["items"]}

    bulk, count = endpoints.bulk_spam_score({"targets": list(domains)}, 0)

    scores = {item["target"]: item["spam_score"] for item in bulk[0]["items"]}
    assert scores == {domain: score for domain, score in domains.items() if score is not None}
    assert count == len(scores)


def test_bulk_spam_score_rejects_more_than_1000_targets() -> None:
    with pytest.raises(endpoints.TaskError) as raised:
        endpoints.bulk_spam_score({"targets": [f"d{i}.example" for i in range(1001)]}, 0)

    assert raised.value.code == 40501
    assert "'targets'" in raised.value.message


def test_timeseries_counts_churn() -> None:
    day = 40
    task = {"target": "churn.example", "date_from": "2026-11-01", "group_range": "day"}

    result, _ = endpoints.timeseries_new_lost_summary(task, day)

    items = result[0]["items"]
    assert len(items) == day + 1
    assert sum(item["new_referring_domains"] for item in items) > 0
    assert sum(item["lost_referring_domains"] for item in items) > 0


def test_timeseries_counts_whole_periods() -> None:
    task = {"target": "churn.example", "date_to": "2026-11-20", "group_range": "month"}

    from_mid_month, _ = endpoints.timeseries_new_lost_summary({**task, "date_from": "2026-03-15"}, 0)
    from_first_day, _ = endpoints.timeseries_new_lost_summary({**task, "date_from": "2026-03-01"}, 0)

    items = from_mid_month[0]["items"]
    assert [item["date"][:10] for item in items][:2] == ["2026-03-31", "2026-04-30"]
    assert items[-1]["date"][:10] == "2026-11-30"
    assert items == from_first_day[0]["items"]
    assert items[0]["new_referring_domains"] > 0


def test_summary_matches_listing() -> None:
    result, _ = endpoints.summary({"target": "example.com"}, 0)
    listing, _ = endpoints.referring_domains({"target": "example.com", "limit": 1}, 0)

    summary = result[0]
    assert summary["referring_domains"] == listing[0]["total_count"]
    ratio = 1 - summary["referring_pages_nofollow"] / summary["referring_pages"]
    assert 0.5 <= ratio <= 0.9


def test_large_target_page_is_fast_once_cached() -> None:
    endpoints.referring_domains({"target": "rd100000.com", "limit": 1000}, 0)
    started = time.perf_counter()
    result, _ = endpoints.referring_domains({"target": "rd100000.com", "limit": 1000, "offset": 5000}, 0)
    elapsed = time.perf_counter() - started

    assert result[0]["total_count"] == 100_000
    assert len(result[0]["items"]) == 1000
    assert elapsed < 0.5


def test_is_new_window() -> None:
    assert dataset.is_new_on(dataset.today(10) - timedelta(days=5), 10)
    assert not dataset.is_new_on(dataset.today(10) - timedelta(days=45), 10)
