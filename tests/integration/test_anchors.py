"""Anchor pulls and reports against moto's DynamoDB and the DataForSEO emulator, without pollers."""

from datetime import UTC, datetime, timedelta

import pytest

from backlinks.dal.clients import dynamodb_requests
from backlinks.logic import anchors, jobs
from backlinks.models.anchors import AnchorRecord, AnchorSet, AnchorsMessage
from backlinks.models.records import JobKind, JobState, Scope
from backlinks.services import Services
from tests.integration.conftest import build_services

pytestmark = pytest.mark.integration

TEAM = "team-a"
TARGET = "rd400.com"
SCOPE = Scope.lookup(TEAM, TARGET)


@pytest.fixture
def services(aws_resources, emulator):
    return build_services(aws_resources, emulator)


def claimed_message(services: Services) -> AnchorsMessage:
    job = jobs.create_job(services, team_id=TEAM, kind=JobKind.ANCHORS_PULL, target=TARGET, parameters={})
    assert (
        anchors.anchor_store(services).claim_pull(SCOPE, job.job_id, services.clock(), timedelta(hours=2))
        is None
    )
    return AnchorsMessage(team_id=TEAM, job_id=job.job_id, target=TARGET, scope=SCOPE, max_anchors=1000)


def test_retry_clears_earlier_attempt(services):
    message = claimed_message(services)
    store = anchors.anchor_store(services)
    # An earlier delivery that failed after writing 50 anchors to the same set.
    stale = [AnchorRecord(anchor=f"stale {index}", backlinks=1) for index in range(50)]
    store.put_anchors(SCOPE, message.job_id, stale, datetime.now(UTC) + timedelta(days=1))

    anchors.run_pull(services, message)

    job = services.store.get_job(TEAM, message.job_id)
    stored = list(store.iter_anchors(SCOPE, message.job_id))
    assert job.state is JobState.DONE
    assert len(stored) == job.result["anchors_stored"]
    assert not [record for record in stored if record.anchor.startswith("stale")]


def test_new_pull_deletes_replaced_set(services):
    first = claimed_message(services)
    anchors.run_pull(services, first)
    second = claimed_message(services)
    anchors.run_pull(services, second)

    store = anchors.anchor_store(services)
    assert store.get_state(SCOPE).detailed.job_id == second.job_id
    assert list(store.iter_anchors(SCOPE, first.job_id)) == []


def test_report_reads_state_and_set_only(services):
    store = anchors.anchor_store(services)
    now = datetime.now(UTC)
    records = [AnchorRecord(anchor=f"anchor text {index}", backlinks=index + 1) for index in range(300)]
    store.put_anchors(SCOPE, "set-1", records, now + timedelta(days=1))
    store.put_heuristic(
        SCOPE,
        AnchorSet(set_id="set-1", source="heuristic", built_at=now, anchors_total=300, anchors_stored=300),
        now + timedelta(days=1),
    )
    dynamodb_requests.reset()

    body = anchors.anchor_report(services, SCOPE, TARGET, anchors.ReportQuery(limit=50))

    assert len(body["items"]) == 50
    assert sum(row["anchors"] for row in body["classes"]) == 300
    # One GetItem for the state, one Query page for 300 small items.
    assert dynamodb_requests.counts == {"GetItem": 1, "Query": 1}
