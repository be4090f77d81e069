"""Teams, limits, the budget guard, the provider gate and the probe, against moto and the emulator."""

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backlinks.dal.teams import TeamExistsError, TeamStore
from backlinks.errors import (
    BudgetExceededError,
    DailyLimitError,
    NotFoundError,
    PlanLimitError,
    ProviderUnavailableError,
    SubscriptionRequiredError,
)
from backlinks.handlers.workers import run_with_failure_policy
from backlinks.logic import budget, enrichment, lookup, provider, teams
from backlinks.models.messages import PullMessage
from backlinks.models.records import DataView, JobState, ReferringDomain, Scope
from tests.integration.conftest import build_services

pytestmark = pytest.mark.integration

TEAM = "acme"
OTHER_TEAM = "globex"
LOGIN = "probe-login-7c1e"
PASSWORD = "probe-password-93fd"


@pytest.fixture
def services(aws_resources, emulator):
    return build_services(aws_resources, emulator, dfs_login=LOGIN, dfs_password=PASSWORD, dfs_max_retries=0)


@pytest.fixture
def team_store(services) -> TeamStore:
    return teams.team_store(services)


@pytest.fixture
def acme(services, team_store) -> str:
    teams.create_team(team_store, TEAM, tier="starter", now=services.clock())
    return TEAM


def queued_messages(queue_url: str) -> list[dict]:
    client = boto3.client("sqs")
    response = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return response.get("Messages", [])


def sqs_record(body: str, receive_count: int = 1) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": "m-1",
            "receiptHandle": "r-1",
            "body": body,
            "attributes": {"ApproximateReceiveCount": str(receive_count)},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
    )


# Teams and tokens ------------------------------------------------------------------------------


def test_create_team_writes_active_subscription(services, team_store, acme):
    subscription = team_store.get_subscription(acme)

    assert subscription["tier"] == "starter"
    assert subscription["status"] == "active"
    assert teams.require_active_subscription(services, acme) == teams.TIERS["starter"]


def test_create_team_twice_is_refused(services, team_store, acme):
    with pytest.raises(TeamExistsError, match="team 'acme' already exists"):
        teams.create_team(team_store, acme, tier="pro", now=services.clock())
    assert team_store.get_subscription(acme)["tier"] == "starter"


def test_token_round_trip_and_revocation(services, team_store, acme):
    entry, token = teams.create_token(team_store, acme, "ci", services.clock())

    assert teams.authenticate(team_store, f"Bearer {token}").team_id == acme
    listed = {item["token_id"]: item for item in teams.list_tokens(services, acme)}
    assert listed[entry["token_id"]]["active"] is True
    assert all("token_hash" not in item and "token" not in item for item in listed.values())

    revoked = teams.revoke_token(services, acme, entry["token_id"])

    assert revoked["active"] is False
    with pytest.raises(teams.TokenRevokedError):
        teams.authenticate(team_store, f"Bearer {token}")


def test_other_team_cannot_revoke_token(services, team_store, acme):
    teams.create_team(team_store, OTHER_TEAM, tier="pro", now=services.clock())
    entry, token = teams.create_token(team_store, acme, "ci", services.clock())

    with pytest.raises(NotFoundError, match=f"token '{entry['token_id']}' not found"):
        teams.revoke_token(services, OTHER_TEAM, entry["token_id"])

    assert teams.authenticate(team_store, f"Bearer {token}").team_id == acme
    assert entry["token_id"] not in {item["token_id"] for item in teams.list_tokens(services, OTHER_TEAM)}


def test_inactive_subscription_is_402(services, team_store, acme):
    team_store.set_subscription(acme, tier="starter", status="inactive", now=services.clock())

    with pytest.raises(SubscriptionRequiredError) as raised:
        teams.require_active_subscription(services, acme)

    assert raised.value.details == {
        "limit_name": "subscription",
        "limit": "active",
        "usage": "inactive",
        "resets_at": None,
    }


def test_team_without_subscription_is_402(services):
    with pytest.raises(SubscriptionRequiredError, match="has no backlinks subscription"):
        teams.require_active_subscription(services, "nobody")


# Limits on pulls --------------------------------------------------------------------------------


def test_daily_lookup_limit_refuses_before_anything_starts(services, team_store, acme):
    tier = teams.TIERS["starter"]
    day = teams.day_of(services.clock())
    for _ in range(tier.lookups_per_day - 1):
        assert team_store.take_daily_slot(acme, day, teams.LOOKUPS_COUNTER, tier.lookups_per_day)
    last = lookup.request_pull(
        services, acme, "last-example.com", limit=100, full_analysis=False, force=False
    )
    assert last.job.state is JobState.QUEUED
    assert len(queued_messages(services.settings.pull_queue_url)) == 1

    with pytest.raises(DailyLimitError) as raised:
        lookup.request_pull(services, acme, "over-example.com", limit=100, full_analysis=False, force=False)

    details = raised.value.details
    assert details["limit_name"] == "lookups_per_day"
    assert details["limit"] == details["usage"] == tier.lookups_per_day
    assert details["resets_at"] == teams.next_day_start(services.clock()).isoformat()
    assert team_store.get_daily_count(acme, day, teams.LOOKUPS_COUNTER) == tier.lookups_per_day
    assert queued_messages(services.settings.pull_queue_url) == []
    rejected = services.store.get_lookup(acme, "over-example.com", consistent=True)
    assert rejected is None or rejected.active_job_id is None


def test_refresh_size_over_tier_is_402(services, team_store, acme):
    with pytest.raises(PlanLimitError) as raised:
        lookup.request_pull(services, acme, "big-example.com", limit=2001, full_analysis=False, force=False)

    assert raised.value.details["limit_name"] == "referring_domains_per_refresh"
    assert raised.value.details["limit"] == 2000
    assert raised.value.details["usage"] == 2001
    assert team_store.get_daily_count(acme, teams.day_of(services.clock()), teams.LOOKUPS_COUNTER) == 0


def test_budget_guard_refuses_before_vendor_call(services, team_store, acme, emulator):
    month = teams.month_of(services.clock())
    team_store.add_spend(acme, month, 19.95)
    estimate = budget.estimate_pull_cost(1000, full_analysis=True)

    with pytest.raises(BudgetExceededError) as raised:
        lookup.request_pull(services, acme, "costly-example.com", limit=1000, full_analysis=True, force=False)

    details = raised.value.details
    assert details["limit_name"] == "monthly_dataforseo_budget_usd"
    assert details["limit"] == 20.0
    assert details["usage"] == pytest.approx(19.95)
    assert details["estimated_cost"] == estimate
    assert details["resets_at"] == teams.next_month_start(services.clock()).isoformat()
    assert emulator.call_counts()["total"] == 0
    assert queued_messages(services.settings.pull_queue_url) == []
    assert team_store.get_daily_count(acme, teams.day_of(services.clock()), teams.LOOKUPS_COUNTER) == 0
    # A smaller pull still fits into the $0.05 left.
    small = lookup.request_pull(
        services, acme, "costly-example.com", limit=100, full_analysis=False, force=False
    )
    assert small.job.state is JobState.QUEUED


def test_spend_total_follows_recorded_calls(services, team_store, acme, emulator):
    result = lookup.request_pull(
        services, acme, "spend-example.com", limit=1500, full_analysis=False, force=False
    )
    (message,) = queued_messages(services.settings.pull_queue_url)

    lookup.run_pull(services, PullMessage.model_validate_json(message["Body"]))

    month = teams.month_of(services.clock())
    ledger = services.store.list_usage(acme, month)
    assert [entry["job_id"] for entry in ledger] == [result.job.job_id] * 3  # summary + 2 pages
    assert team_store.get_spend(acme, month) == pytest.approx(sum(entry["cost"] for entry in ledger))
    report = budget.usage_report(services, acme, month)
    (item,) = report["items"]
    assert item["operation"] == "lookup_pull"
    assert item["calls"] == 3
    assert report["total_cost_usd"] == pytest.approx(team_store.get_spend(acme, month), abs=1e-5)
    assert budget.usage_report(services, OTHER_TEAM, month)["total_calls"] == 0


def test_enrichment_estimate_counts_only_stale_domains(services, acme, emulator):
    scope = Scope.lookup(acme, "enrich-example.com")
    records = [ReferringDomain(domain=f"site{index}.com", rank=1, backlinks=1) for index in range(1500)]
    services.store.put_referring_domains(scope, "gen-1", records, datetime.now(UTC) + timedelta(days=1))
    view = DataView(
        scope=scope, target="enrich-example.com", generation="gen-1", stored_referring_domains=1500
    )

    assert budget.count_stale_domains(services, view) == 1500
    job = enrichment.request_enrichment(services, view)

    assert job.parameters["estimated_cost_usd"] == budget.estimate_enrichment_cost(1500)
    assert emulator.call_counts()["total"] == 0


def test_enrichment_over_budget_creates_nothing(services, team_store, acme):
    scope = Scope.lookup(acme, "enrich-example.com")
    records = [ReferringDomain(domain=f"site{index}.com", rank=1, backlinks=1) for index in range(10)]
    services.store.put_referring_domains(scope, "gen-1", records, datetime.now(UTC) + timedelta(days=1))
    view = DataView(scope=scope, target="enrich-example.com", generation="gen-1", stored_referring_domains=10)
    team_store.add_spend(acme, teams.month_of(services.clock()), 20.0)

    with pytest.raises(BudgetExceededError):
        enrichment.request_enrichment(services, view)

    assert queued_messages(services.settings.spam_queue_url) == []


# Provider status --------------------------------------------------------------------------------


def test_inactive_provider_rejects_new_pull(services, acme, emulator):
    services.store.set_provider_status("inactive", "DataForSEO denied access (40204)", services.clock())

    with pytest.raises(ProviderUnavailableError) as raised:
        lookup.request_pull(services, acme, "gate-example.com", limit=100, full_analysis=False, force=False)

    assert raised.value.details["reason"] == "DataForSEO denied access (40204)"
    assert queued_messages(services.settings.pull_queue_url) == []


def test_worker_stops_queued_job_without_vendor_call(services, acme, emulator):
    result = lookup.request_pull(
        services, acme, "queued-example.com", limit=100, full_analysis=False, force=False
    )
    (message,) = queued_messages(services.settings.pull_queue_url)
    reason = "DataForSEO denied access (40204): the Backlinks API subscription is not active."
    services.store.set_provider_status("inactive", reason, services.clock())
    pull = PullMessage.model_validate_json(message["Body"])

    run_with_failure_policy(
        services,
        sqs_record(message["Body"]),
        work=lambda: lookup.run_pull(services, pull),
        fail=lambda why: lookup.abandon_pull(services, pull, why),
    )

    job = services.store.get_job(acme, result.job.job_id, consistent=True)
    assert job.state is JobState.FAILED
    assert job.error == f"stopped without calling DataForSEO: {reason}"
    assert emulator.call_counts()["total"] == 0
    assert services.store.get_lookup(acme, "queued-example.com", consistent=True).active_job_id is None


def test_subscription_denial_flips_status_and_fails_job(services, acme, emulator):
    result = lookup.request_pull(
        services, acme, "denied-example.com", limit=100, full_analysis=False, force=False
    )
    (message,) = queued_messages(services.settings.pull_queue_url)
    pull = PullMessage.model_validate_json(message["Body"])
    emulator.inject_fault(endpoint="summary", kind="status", code=40204, count=1)

    run_with_failure_policy(
        services,
        sqs_record(message["Body"]),
        work=lambda: lookup.run_pull(services, pull),
        fail=lambda why: lookup.abandon_pull(services, pull, why),
    )

    status = provider.provider_status(services)
    assert status["backlinks_subscription"] == "inactive"
    assert "40204" in status["reason"]
    job = services.store.get_job(acme, result.job.job_id, consistent=True)
    assert job.state is JobState.FAILED
    assert job.error == status["reason"]
    assert emulator.call_counts()["summary"] == 1


class RecordingHandler(logging.Handler):
    """Keeps every record with its structured extras, as text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__}")


@pytest.fixture
def service_logs():
    """Records of the service's logger and its children, such as the DataForSEO client's."""
    handler = RecordingHandler()
    service_logger = logging.getLogger("backlinks")
    service_logger.addHandler(handler)
    yield handler.lines
    service_logger.removeHandler(handler)


def test_bad_credentials_reported_without_secrets(services, acme, emulator, service_logs):
    result = lookup.request_pull(
        services, acme, "creds-example.com", limit=100, full_analysis=False, force=False
    )
    (message,) = queued_messages(services.settings.pull_queue_url)
    pull = PullMessage.model_validate_json(message["Body"])
    emulator.inject_fault(endpoint="summary", kind="http", code=401)

    run_with_failure_policy(
        services,
        sqs_record(message["Body"]),
        work=lambda: lookup.run_pull(services, pull),
        fail=lambda why: lookup.abandon_pull(services, pull, why),
    )

    status = provider.provider_status(services)
    job = services.store.get_job(acme, result.job.job_id, consistent=True)
    assert status["backlinks_subscription"] == "inactive"
    assert "rejected the account" in status["reason"]
    assert job.error == status["reason"]
    logged = "\n".join(service_logs)
    assert "dataforseo call failed" in logged
    assert "job_failed" in logged
    basic = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    for secret in (LOGIN, PASSWORD, basic):
        assert secret not in logged
        assert secret not in json.dumps(status)
        assert secret not in job.error


def test_probe_does_nothing_while_active(services, emulator):
    assert provider.run_probe(services) == {"probed": False, "status": "active"}
    assert emulator.call_counts()["total"] == 0


def test_probe_keeps_inactive_while_vendor_refuses(services, emulator):
    services.store.set_provider_status("inactive", "old reason", services.clock())
    emulator.inject_fault(endpoint="summary", kind="status", code=40204, count=1)

    result = provider.run_probe(services)

    assert result["probed"] is True
    assert result["status"] == "inactive"
    assert "40204" in result["reason"]
    assert provider.provider_status(services)["reason"] == result["reason"]
    assert emulator.call_counts()["summary"] == 1


def test_probe_restores_status_when_vendor_answers(services, emulator):
    services.store.set_provider_status("inactive", "DataForSEO denied access (40204)", services.clock())

    assert provider.run_probe(services) == {"probed": True, "status": "active"}

    status = provider.provider_status(services)
    assert status["backlinks_subscription"] == "active"
    assert status["reason"] is None
    assert emulator.call_counts()["summary"] == 1
    ledger = services.store.list_usage(provider.PROBE_TEAM_ID, teams.month_of(services.clock()))
    assert [entry["operation"] for entry in ledger] == ["provider_probe"]


def test_probe_keeps_status_on_server_error(services, emulator):
    services.store.set_provider_status("inactive", "DataForSEO denied access (40204)", services.clock())
    emulator.inject_fault(endpoint="summary", kind="status", code=50000, count=1)

    result = provider.run_probe(services)

    assert result == {"probed": True, "status": "inactive", "reason": "DataForSEO denied access (40204)"}
    assert provider.provider_status(services)["backlinks_subscription"] == "inactive"


# Admin command ------------------------------------------------------------------------------------


def test_admin_creates_team_and_prints_token_once(aws_resources, moto_endpoint, capsys):
    from infra.local import admin

    code = admin.main(
        ["create-team", "--team-id", "initech", "--tier", "agency", "--aws-endpoint-url", moto_endpoint]
    )

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0] == f"created team initech (tier agency) in table {aws_resources['TABLE_NAME']}"
    token = lines[-1]
    store = TeamStore(aws_resources["TABLE_NAME"])
    assert teams.authenticate(store, f"Bearer {token}").team_id == "initech"
    assert store.get_subscription("initech")["tier"] == "agency"
    (listed,) = store.list_tokens("initech")
    assert token not in json.dumps(listed)


def test_admin_rejects_taken_or_invalid_team(aws_resources, moto_endpoint, capsys):
    from infra.local import admin

    arguments = ["create-team", "--tier", "pro", "--aws-endpoint-url", moto_endpoint]
    assert admin.main([*arguments, "--team-id", "initech"]) == 0
    capsys.readouterr()

    assert admin.main([*arguments, "--team-id", "initech"]) == 2
    assert capsys.readouterr().err == "error: team 'initech' already exists\n"
    assert admin.main([*arguments, "--team-id", "Bad_Team"]) == 2
    assert "invalid team_id 'Bad_Team'" in capsys.readouterr().err


def test_admin_accepts_only_local_endpoints(capsys):
    from infra.local import admin

    with pytest.raises(SystemExit) as raised:
        admin.main(["create-team", "--team-id", "initech", "--aws-endpoint-url", "http://example.com:4566"])

    assert raised.value.code == 2
    assert "only 127.0.0.1 or localhost" in capsys.readouterr().err
