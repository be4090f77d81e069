"""End-to-end tests: the real DataForSEO client against the emulator on 127.0.0.1."""

import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from backlinks.dataforseo.client import CallContext, CallRecord, DataForSEOClient
from backlinks.dataforseo.errors import (
    AccountError,
    RateLimitedError,
    RequestRejectedError,
    SubscriptionInactiveError,
)
from infra.local.emulator import DataForSEOEmulator
from infra.local.emulator.dataset import BASE_DATE

pytestmark = pytest.mark.integration

LOGIN = "local-login"
PASSWORD = "local-password"
CONTEXT = CallContext(team_id="team-1", operation="lookup_pull", target="example.com")
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _reset(emulator: DataForSEOEmulator):
    emulator.clear_faults()
    emulator.reset_counts()
    emulator.set_day(0)
    yield
    emulator.clear_faults()


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(emulator: DataForSEOEmulator, records: list[CallRecord], sleeps: list[float]):
    with DataForSEOClient(
        emulator.url, LOGIN, PASSWORD, timeout=5, on_call=records.append, sleep=sleeps.append
    ) as dfs:
        yield dfs


def test_summary_round_trip(client: DataForSEOClient, records: list[CallRecord]) -> None:
    summary = client.summary("example.com", context=CONTEXT)

    assert summary.target == "example.com"
    assert summary.referring_domains and summary.referring_domains >= 800
    assert summary.dofollow_ratio is not None
    assert 0.5 <= summary.dofollow_ratio <= 0.9
    assert summary.target_spam_score is None or 0 <= summary.target_spam_score <= 100
    assert records[0].cost == pytest.approx(0.02003)
    assert records[0].items == 1


def test_collect_referring_domains_reads_all_pages(
    client: DataForSEOClient, emulator: DataForSEOEmulator, records: list[CallRecord]
) -> None:
    collection = client.collect_referring_domains("rd2500.example", max_items=10_000, context=CONTEXT)

    assert len(collection.items) == 2500
    assert collection.total_count == 2500
    assert collection.pages == 3
    assert collection.duplicates_dropped == 0
    ranks = [item.rank for item in collection.items]
    assert ranks == sorted(ranks, reverse=True)
    assert emulator.call_counts() == {"referring_domains": 3, "total": 3}
    assert sum(record.cost for record in records) == pytest.approx(3 * 0.02 + 2500 * 0.00003)


def test_collect_referring_domains_caps_at_max_items(client: DataForSEOClient) -> None:
    collection = client.collect_referring_domains("rd2500.example", max_items=1500, context=CONTEXT)

    assert len(collection.items) == 1500
    assert collection.total_count == 2500
    assert collection.pages == 2


def test_backlinks_pages_cross_offset_limit(client: DataForSEOClient, emulator: DataForSEOEmulator) -> None:
    pages = list(client.backlinks_pages("rd12000.example", max_items=100_000, context=CONTEXT))

    total = pages[0].total_count
    urls = [item.url_from for page in pages for item in page.items]
    assert total > 20_000
    assert len(urls) == total
    assert len(set(urls)) == total
    assert emulator.call_counts()["backlinks"] == len(pages)
    first_seen = [item.first_seen for page in pages for item in page.items]
    assert first_seen == sorted(first_seen, reverse=True)


def test_bulk_spam_score_agrees_with_referring_domains(client: DataForSEOClient) -> None:
    page = client.referring_domains_page("example.com", limit=1000, context=CONTEXT)
    domains = [item.domain for item in page.items]

    scores = client.bulk_spam_score(domains, context=CONTEXT)

    expected = {
        item.domain: item.backlinks_spam_score for item in page.items if item.backlinks_spam_score is not None
    }
    assert scores == expected
    assert len(scores) < len(domains)
    assert any(score >= 80 for score in scores.values())


def test_day_change_moves_referring_domains(client: DataForSEOClient, emulator: DataForSEOEmulator) -> None:
    before = client.collect_referring_domains("churn.example", max_items=10_000, context=CONTEXT)
    emulator.set_day(60)
    after = client.collect_referring_domains("churn.example", max_items=10_000, context=CONTEXT)

    before_domains = {item.domain for item in before.items}
    after_domains = {item.domain for item in after.items}
    gained = [item for item in after.items if item.domain not in before_domains]
    assert before_domains - after_domains
    assert gained
    assert all(item.first_seen is not None and item.first_seen >= BASE_DATE for item in gained)


# --- injected faults ----------------------------------------------------------------------------------


def test_rate_limit_fault_is_retried(client, emulator, sleeps, records) -> None:
    emulator.inject_fault(endpoint="summary", kind="status", code=40202, count=2)

    summary = client.summary("example.com", context=CONTEXT)

    assert summary.target == "example.com"
    assert len(sleeps) == 2
    assert emulator.call_counts()["summary"] == 3
    assert [record.status_code for record in records] == [40202, 40202, 20000]


def test_subscription_fault_is_not_retried(client, emulator, sleeps) -> None:
    emulator.inject_fault(endpoint="*", kind="status", code=40204, count=5)

    with pytest.raises(SubscriptionInactiveError) as raised:
        client.collect_referring_domains("example.com", max_items=1000, context=CONTEXT)

    assert "Access denied" in str(raised.value)
    assert emulator.call_counts()["total"] == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("kind", "code"),
    [("http", 500), ("status", 50000), ("malformed", None), ("timeout", None)],
)
def test_transient_faults_are_retried(emulator, records, sleeps, kind: str, code: int | None) -> None:
    emulator.inject_fault(endpoint="bulk_spam_score", kind=kind, code=code, delay=1.0)
    with DataForSEOClient(emulator.url, LOGIN, PASSWORD, timeout=0.3, sleep=sleeps.append) as dfs:
        scores = dfs.bulk_spam_score(["example.org"], context=CONTEXT)

    assert isinstance(scores, dict)
    assert emulator.call_counts()["bulk_spam_score"] == 2
    assert len(sleeps) == 1


def test_http_401_is_account_error(client, emulator, sleeps) -> None:
    emulator.inject_fault(kind="http", code=401)

    with pytest.raises(AccountError) as raised:
        client.summary("example.com", context=CONTEXT)

    assert "HTTP 401" in str(raised.value)
    assert LOGIN not in str(raised.value)
    assert sleeps == []


def test_invalid_filter_is_rejected(client, emulator) -> None:
    with pytest.raises(RequestRejectedError) as raised:
        client.referring_domains_page("example.com", filters=["no_such_field", "=", 1], context=CONTEXT)

    assert raised.value.code == 40501
    assert emulator.call_counts()["total"] == 1


def test_per_minute_limit_returns_rate_limit() -> None:
    with DataForSEOEmulator(max_calls_per_minute=3) as limited:
        with DataForSEOClient(limited.url, LOGIN, PASSWORD, max_retries=0) as dfs:
            for _ in range(3):
                dfs.summary("example.com", context=CONTEXT)
            with pytest.raises(RateLimitedError):
                dfs.summary("example.com", context=CONTEXT)


def test_concurrency_limit_returns_rate_limit() -> None:
    codes: list[int] = []
    with DataForSEOEmulator(latency_ms=300, max_concurrent_requests=2) as limited:

        def call() -> None:
            response = httpx.post(
                f"{limited.url}/v3/backlinks/summary/live", json=[{"target": "example.com"}], auth=("a", "b")
            )
            codes.append(response.json()["status_code"])

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert codes.count(20000) >= 2
    assert 40202 in codes


# --- control routes and command line ---------------------------------------------------------------


def test_control_routes_over_http(emulator: DataForSEOEmulator, client: DataForSEOClient) -> None:
    base = emulator.url
    assert (
        httpx.post(f"{base}/_emulator/faults", json={"endpoint": "summary", "code": 40204}).status_code == 200
    )

    with pytest.raises(SubscriptionInactiveError):
        client.summary("example.com", context=CONTEXT)

    assert httpx.get(f"{base}/_emulator/calls").json() == {"summary": 1, "total": 1}
    assert httpx.post(f"{base}/_emulator/faults", json={"kind": "status", "count": 3}).status_code == 200
    assert httpx.delete(f"{base}/_emulator/faults").status_code == 200
    assert client.summary("example.com", context=CONTEXT).target == "example.com"
    assert httpx.post(f"{base}/_emulator/calls/reset").status_code == 200
    assert httpx.get(f"{base}/_emulator/calls").json() == {"total": 0}
    assert httpx.post(f"{base}/_emulator/day", json={"day": 7}).json() == {"day": 7}
    assert emulator.day == 7
    assert httpx.post(f"{base}/_emulator/day", json={"day": -1}).status_code == 400
    assert httpx.post(f"{base}/_emulator/faults", json={"kind": "explode"}).status_code == 400


def test_emulator_refuses_other_hosts() -> None:
    with pytest.raises(ValueError, match="127.0.0.1"):
        DataForSEOEmulator("0.0.0.0")


def test_command_line_serves_in_foreground() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.emulator", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(
            f"{url}/v3/backlinks/summary/live", json=[{"target": "example.com"}], auth=("a", "b")
        )
        assert response.json()["status_code"] == 20000
    finally:
        process.terminate()
        process.wait(timeout=10)
