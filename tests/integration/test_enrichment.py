"""Spam enrichment against moto's DynamoDB and SQS and the DataForSEO emulator, without pollers."""

import json
import math
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from backlinks.dal.clients import dynamodb_requests
from backlinks.logic import enrichment, jobs
from backlinks.models.messages import SpamChunkMessage
from backlinks.models.records import DataView, JobKind, JobState, ReferringDomain, Scope, SpamScore
from backlinks.services import Services
from tests.integration.conftest import build_services

pytestmark = pytest.mark.integration

TEAM = "team-a"
TARGET = "example.com"
GENERATION = "gen-1"
SCOPE = Scope.lookup(TEAM, TARGET)
VIEW = DataView(scope=SCOPE, target=TARGET, generation=GENERATION)


@pytest.fixture
def services(aws_resources, emulator):
    return build_services(aws_resources, emulator)


def store_domains(services: Services, count: int) -> list[str]:
    domains = [f"site{index:06d}.com" for index in range(count)]
    records = [
        ReferringDomain(domain=domain, rank=index % 500, backlinks=1) for index, domain in enumerate(domains)
    ]
    expires = datetime.now(UTC) + timedelta(days=1)
    services.store.put_referring_domains(SCOPE, GENERATION, records, expires)
    return domains


def drain_spam_queue(services: Services) -> list[SpamChunkMessage]:
    client = boto3.client("sqs")
    messages = []
    while True:
        received = client.receive_message(QueueUrl=services.settings.spam_queue_url, MaxNumberOfMessages=10)
        batch = received.get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(SpamChunkMessage.model_validate(json.loads(message["Body"])))
            client.delete_message(
                QueueUrl=services.settings.spam_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )


def run_enrichment(services: Services) -> tuple[str, list[SpamChunkMessage]]:
    job = jobs.create_job(services, team_id=TEAM, kind=JobKind.SPAM_ENRICHMENT, target=TARGET, parameters={})
    services.store.start_job(TEAM, job.job_id, services.clock())
    enrichment.plan_enrichment(services, job, VIEW, steps_before=0)
    chunks = drain_spam_queue(services)
    for chunk in chunks:
        enrichment.score_chunk(services, chunk)
    return job.job_id, chunks


def test_vendor_calls_equal_stale_chunks(services, emulator):
    store_domains(services, 2500)

    job_id, chunks = run_enrichment(services)

    assert len(chunks) == 3
    assert all(len(chunk.domains) <= 1000 for chunk in chunks)
    assert emulator.call_counts().get("bulk_spam_score", 0) == math.ceil(2500 / 1000)
    job = services.store.get_job(TEAM, job_id)
    assert job.state == JobState.DONE
    assert (job.steps_done, job.steps_total) == (3, 3)


def test_second_enrichment_uses_cache(services, emulator):
    store_domains(services, 1200)
    run_enrichment(services)
    emulator.reset_counts()

    job_id, chunks = run_enrichment(services)

    assert emulator.call_counts().get("bulk_spam_score", 0) == 0
    assert len(chunks) == 2
    assert services.store.get_job(TEAM, job_id).state == JobState.DONE


def test_stale_domains_are_grouped_first(services, emulator):
    domains = store_domains(services, 1500)
    now = datetime.now(UTC)
    # Every other domain has a fresh score from another team; the rest must cost one call.
    cached = [SpamScore(domain=d, spam_score=10, checked_at=now) for d in domains[::2]]
    services.store.put_spam_scores(cached, now + timedelta(days=90))

    run_enrichment(services)

    assert emulator.call_counts().get("bulk_spam_score", 0) == math.ceil(750 / 1000)


def test_scores_older_than_30_days_are_rechecked(services, emulator):
    domains = store_domains(services, 10)
    old = datetime.now(UTC) - timedelta(days=31)
    services.store.put_spam_scores(
        [SpamScore(domain=d, spam_score=5, checked_at=old) for d in domains], old + timedelta(days=90)
    )

    run_enrichment(services)

    assert emulator.call_counts().get("bulk_spam_score", 0) == 1
    fresh = services.store.get_spam_scores(domains)
    assert all(score.checked_at > old + timedelta(days=30) for score in fresh.values())


def test_repeated_chunk_counts_once(services, emulator):
    store_domains(services, 1500)
    job = jobs.create_job(services, team_id=TEAM, kind=JobKind.SPAM_ENRICHMENT, target=TARGET, parameters={})
    services.store.start_job(TEAM, job.job_id, services.clock())
    enrichment.plan_enrichment(services, job, VIEW, steps_before=0)
    first, second = drain_spam_queue(services)

    enrichment.score_chunk(services, first)
    enrichment.score_chunk(services, first)

    running = services.store.get_job(TEAM, job.job_id)
    assert running.state == JobState.RUNNING
    assert (running.steps_done, running.steps_total) == (1, 2)
    enrichment.score_chunk(services, second)
    assert services.store.get_job(TEAM, job.job_id).state == JobState.DONE


def test_unknown_scores_are_not_zero(services, emulator):
    domains = store_domains(services, 1000)
    run_enrichment(services)

    scores = services.store.get_spam_scores(domains)
    unknown = [score for score in scores.values() if score.spam_score is None]
    items, _ = services.store.query_referring_domains(
        SCOPE, GENERATION, sort="spam_score", descending=False, limit=1000, min_spam_score=0
    )

    assert len(scores) == 1000
    assert unknown, "the emulator leaves about 2% of domains without a score"
    assert len(items) == 1000 - len(unknown)
    assert services.store.count_unknown_referring_domains(SCOPE, GENERATION) == len(unknown)


def test_dynamodb_writes_are_batched(services, emulator):
    store_domains(services, 2000)
    dynamodb_requests.reset()

    run_enrichment(services)

    counts = dynamodb_requests.counts
    # 2000 cache entries and 2000 referring domain items, 25 per BatchWriteItem request.
    assert counts["BatchWriteItem"] <= 2 * math.ceil(2000 / 25) + 4
    # One PutItem for the job, one usage ledger entry per vendor call.
    assert counts["PutItem"] == 1 + emulator.call_counts()["bulk_spam_score"]
    assert counts.get("Scan", 0) == 0
    assert counts.get("UpdateItem", 0) < 20


def test_second_enrichment_writes_nothing_new(services, emulator):
    store_domains(services, 1000)
    run_enrichment(services)
    dynamodb_requests.reset()

    run_enrichment(services)

    # Only the job's own items change: the scores were cached and already on the items.
    assert dynamodb_requests.counts.get("BatchWriteItem", 0) == 0
    assert emulator.call_counts().get("bulk_spam_score", 0) == 1
