"""Project Mode over HTTP on the local runtime: activation, full refresh, daily deltas, events."""

import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.e2e.conftest import collect_pages, pull, restore_provider, wait_for_job

pytestmark = pytest.mark.e2e

TARGET = "rd400.com"  # the emulator serves exactly 400 live referring domains for rd<n> targets


def activate(api, project_id: str, target: str = TARGET) -> dict:
    response = api.post("/v1/backlinks", json={"tracking_project_id": project_id, "target": target})
    assert response.status_code in (200, 201), response.text
    return response.json()


def full_refresh(api, project_id: str) -> dict:
    response = api.post(f"/v1/backlinks/{project_id}/full-refresh", json={"max_referring_domains": 1500})
    assert response.status_code == 202, response.text
    return wait_for_job(api, response.json()["job"]["job_id"])


def dispatch_day(runtime, api, day: int) -> list[dict]:
    """Move the emulator to `day` and run the dispatcher as the schedule would on that day."""
    runtime.emulator.set_day(day)
    result = runtime.run_dispatcher(datetime.now(UTC) + timedelta(days=day))
    return [wait_for_job(api, job_id) for job_id in result["job_ids"]]


def all_events(api, project_id: str, **params) -> list[dict]:
    return collect_pages(api, f"/v1/backlinks/{project_id}/events", **params)


@pytest.fixture(scope="module")
def refreshed(runtime, api):
    runtime.emulator.set_day(0)
    activate(api, "tracking-1")
    job = full_refresh(api, "tracking-1")
    assert job["state"] == "done", job
    yield job
    runtime.emulator.set_day(0)


def test_activate_twice_returns_same(api):
    first = activate(api, "tracking-twice", "Example.org")
    second = activate(api, "tracking-twice", "example.org")

    assert first["created"] is True
    assert second["created"] is False
    assert second["project_id"] == first["project_id"] == "tracking-twice"
    assert second["target"] == "example.org"


def test_activate_rejects_bad_project_id(api):
    response = api.post("/v1/backlinks", json={"tracking_project_id": "bad id!", "target": "example.org"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert "bad id!" in response.json()["message"]


def test_list_projects_paginates(api, refreshed):
    activate(api, "tracking-list-a", "a-list.org")
    ids, cursor = [], None
    while True:
        response = api.get("/v1/backlinks", params={"limit": 1, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        ids += [item["project_id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert "tracking-1" in ids
    assert "tracking-list-a" in ids
    assert len(ids) == len(set(ids))


def test_full_refresh_stores_generation(api, refreshed):
    detail = api.get("/v1/backlinks/tracking-1").json()

    assert refreshed["kind"] == "full_refresh"
    assert refreshed["result"]["pages"] == 1
    assert detail["generation"] == refreshed["job_id"]
    assert detail["stored_referring_domains"] == refreshed["result"]["referring_domains_stored"] == 400
    assert detail["stored_links"] == refreshed["result"]["links_stored"] > 400
    follow = detail["distributions"]["links_by_attribute"]
    assert follow["dofollow"] + follow["nofollow"] == detail["stored_links"]
    assert sum(detail["distributions"]["referring_domains_by_rank"].values()) == 400
    assert sum(detail["distributions"]["links_by_anchor_class"].values()) == detail["stored_links"]
    assert detail["summary"]["target"] == TARGET
    assert refreshed["result"]["enrichment_job_id"]


def test_full_refresh_reports_cost_estimate(api, refreshed):
    response = api.post("/v1/backlinks/tracking-1/full-refresh", json={"max_referring_domains": 1000})

    assert response.status_code == 202
    assert response.json()["estimated_cost_usd"] > 0
    assert wait_for_job(api, response.json()["job"]["job_id"])["state"] == "done"


def test_page_failure_keeps_old_generation(runtime, api, refreshed, emulator):
    before = api.get("/v1/backlinks/tracking-1").json()
    # More failures than the page's retries (3) and the client's own retries can absorb.
    emulator.inject_fault(endpoint="backlinks", kind="status", code=40501, count=50)

    response = api.post("/v1/backlinks/tracking-1/full-refresh", json={"max_referring_domains": 1000})
    job = wait_for_job(api, response.json()["job"]["job_id"])
    emulator.clear_faults()
    after = api.get("/v1/backlinks/tracking-1").json()

    assert job["state"] == "failed"
    assert "the full refresh failed" in job["error"]
    assert after["generation"] == before["generation"]
    assert after["stored_links"] == before["stored_links"]
    assert after["refresh_in_progress"] is None
    assert api.get("/v1/backlinks/tracking-1/spam-scores").status_code == 200


def test_days_yield_events(runtime, api, refreshed):
    # Projects of other test modules may be due on the same days, so only this project's jobs count.
    jobs = [[job for job in dispatch_day(runtime, api, day) if job["target"] == TARGET] for day in (1, 2, 3)]

    for day_jobs in jobs:
        assert len(day_jobs) == 1
        assert day_jobs[0]["state"] == "done", day_jobs[0]
    events = all_events(api, "tracking-1")
    types = {event["type"] for event in events}
    assert {"gained", "lost", "attribute_changed"} <= types
    times = [event["at"] for event in events]
    assert times == sorted(times, reverse=True)
    changed = [e for e in events if e["type"] == "attribute_changed"]
    assert all(e["changes"]["dofollow"]["before"] != e["changes"]["dofollow"]["after"] for e in changed)
    reported = sum(job["result"]["events"] for day_jobs in jobs for job in day_jobs)
    assert len(events) == reported
    lost_only = all_events(api, "tracking-1", type="lost")
    assert lost_only == [e for e in events if e["type"] == "lost"]
    detail = api.get("/v1/backlinks/tracking-1").json()
    assert detail["last_30_days"]["lost_links"] == len(lost_only)
    assert detail["last_30_days"]["gained_links"] == len([e for e in events if e["type"] == "gained"])


def test_duplicate_delta_adds_nothing(runtime, api, refreshed):
    before = all_events(api, "tracking-1")
    response = api.post("/v1/backlinks/tracking-1/refresh")
    assert response.status_code == 202
    job = response.json()["job"]
    first = wait_for_job(api, job["job_id"])
    after_first = all_events(api, "tracking-1")
    # SQS delivers at least once: send the same message again, as a redelivery would.
    sqs = boto3.client("sqs", endpoint_url=runtime.aws_endpoint_url)
    assert first["state"] == "done"
    message = {
        "team_id": runtime.default_team_id,
        "project_id": "tracking-1",
        "job_id": job["job_id"],
        "scheduled_day": job["parameters"]["scheduled_day"],
    }
    sqs.send_message(QueueUrl=runtime.env["DELTA_QUEUE_URL"], MessageBody=json.dumps(message))
    runtime.pollers["delta"].idle.clear()
    assert runtime.pollers["delta"].idle.wait(15)
    after_second = all_events(api, "tracking-1")

    assert len(after_first) >= len(before)
    assert after_second == after_first


def test_events_time_range(api, refreshed):
    events = all_events(api, "tracking-1")
    newest = datetime.fromisoformat(events[0]["at"])
    window = all_events(
        api, "tracking-1", since=(newest - timedelta(hours=12)).isoformat(), until=newest.isoformat()
    )

    assert window == [
        e for e in events if newest - timedelta(hours=12) <= datetime.fromisoformat(e["at"]) <= newest
    ]


def test_unknown_project_is_404(api):
    response = api.get("/v1/backlinks/no-such-project")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_project_export_without_data_is_409(api):
    activate(api, "tracking-empty", "empty-project.org")

    response = api.get("/v1/backlinks/tracking-empty/disavow-export")

    assert response.status_code == 409
    assert "full refresh" in response.json()["message"]


def scored_toxic_domains(api, project_id: str, timeout: float = 60) -> list[dict]:
    """Wait until the enrichment queued by the full refresh has scored every domain."""
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/v1/backlinks/{project_id}/spam-scores", params={"limit": 1000}).json()
        if body["unscored"] == 0 or time.monotonic() > deadline:
            return body["items"]
        time.sleep(0.5)


def test_project_keep_list_suppresses_export(api, refreshed):
    toxic = scored_toxic_domains(api, "tracking-1")
    assert toxic
    kept = toxic[0]["domain"]

    added = api.put(f"/v1/backlinks/tracking-1/keep-list/{kept}", json={"note": "our partner"})
    listed = api.get("/v1/backlinks/tracking-1/keep-list").json()
    export = api.get("/v1/backlinks/tracking-1/disavow-export", headers={"Accept": "application/json"}).json()
    removed = api.delete(f"/v1/backlinks/tracking-1/keep-list/{kept}")

    assert added.status_code == 200
    assert [item["domain"] for item in listed["items"]] == [kept]
    assert export["suppressed_by_keep_list"] == 1
    assert removed.status_code == 200
    assert api.get("/v1/backlinks/tracking-1/keep-list").json()["items"] == []


def test_project_import_and_versions(api, refreshed):
    uploaded = api.post(
        "/v1/backlinks/tracking-1/disavow-import",
        content=b"# kept by hand\ndomain:hand-kept-example.com\n",
        headers={"Content-Type": "text/plain"},
    )

    assert uploaded.status_code == 200, uploaded.text
    version_id = uploaded.json()["version"]["version_id"]
    versions = api.get("/v1/backlinks/tracking-1/disavow-versions").json()["items"]
    assert version_id in [version["version_id"] for version in versions]
    download = api.get(
        f"/v1/backlinks/tracking-1/disavow-versions/{version_id}", headers={"Accept": "application/json"}
    )
    assert download.status_code == 200
    if len(versions) > 1:
        diff = api.get(
            "/v1/backlinks/tracking-1/disavow-versions/diff",
            params={"from": versions[-1]["version_id"], "to": version_id},
        )
        assert diff.status_code == 200, diff.text
    wrong_type = api.post(
        "/v1/backlinks/tracking-1/disavow-import",
        content=b"domain:x.com\n",
        headers={"Content-Type": "text/csv"},
    )
    assert wrong_type.status_code == 415


def test_full_refresh_refused_while_provider_inactive(api, refreshed, emulator):
    emulator.inject_fault(endpoint="summary", kind="status", code=40204, count=100)
    assert pull(api, "refresh-denied-example.com", full_analysis=False)["state"] == "failed"
    calls = emulator.call_counts()["total"]

    response = api.post("/v1/backlinks/tracking-1/full-refresh", json={"max_referring_domains": 1000})

    assert response.status_code == 503
    assert response.json()["error"] == "provider_unavailable"
    assert "40204" in response.json()["details"]["reason"]
    assert emulator.call_counts()["total"] == calls
    emulator.clear_faults()
    restore_provider()
