"""Chunk planning and referring-domain merging, as plain functions."""

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlinks.dataforseo.models import ReferringDomain as VendorReferringDomain
from backlinks.logic.enrichment import chunk_domains
from backlinks.logic.lookup import merge_referring_domains

pytestmark = pytest.mark.usefixtures("socket_disabled")


@given(stale=st.integers(0, 5000), fresh=st.integers(0, 5000))
def test_chunks_keep_stale_together(stale, fresh):
    stale_domains = [f"s{i}.com" for i in range(stale)]
    fresh_domains = [f"f{i}.com" for i in range(fresh)]

    chunks = chunk_domains(stale_domains, fresh_domains)

    with_stale = [chunk for chunk in chunks if any(d.startswith("s") for d in chunk)]
    assert len(with_stale) == math.ceil(stale / 1000)
    assert all(1 <= len(chunk) <= 1000 for chunk in chunks)
    assert sorted(d for chunk in chunks for d in chunk) == sorted(stale_domains + fresh_domains)


def vendor(domain: str, **fields) -> VendorReferringDomain:
    return VendorReferringDomain.model_validate({"domain": domain, "rank": 10, "backlinks": 2, **fields})


def test_merge_joins_www_and_case_variants():
    early = datetime(2020, 1, 1, tzinfo=UTC)
    late = datetime(2022, 1, 1, tzinfo=UTC)
    items = [
        vendor("www.Example.org", rank=50, first_seen=late.isoformat()),
        vendor("example.org", rank=70, first_seen=early.isoformat()),
    ]

    records, rejected = merge_referring_domains(items)

    assert rejected == []
    assert len(records) == 1
    merged = records[0]
    assert merged.domain == "example.org"
    assert merged.rank == 70
    assert merged.backlinks == 4
    assert merged.first_seen == early


def test_merge_lost_only_when_all_lost():
    lost = datetime(2024, 5, 1, tzinfo=UTC).isoformat()
    records, _ = merge_referring_domains([vendor("a.com", lost_date=lost), vendor("www.a.com")])

    assert records[0].lost_date is None


def test_merge_reports_invalid_hosts():
    records, rejected = merge_referring_domains(
        [vendor("ok.com"), vendor("bad host.com"), vendor("10.0.0.1")]
    )

    assert [record.domain for record in records] == ["ok.com"]
    assert [item["domain"] for item in rejected] == ["bad host.com", "10.0.0.1"]
    assert all(item["reason"] for item in rejected)
