"""Lookup Mode over HTTP on the local runtime: every route, the fast path, exports and failures."""

import csv
import io
from urllib.parse import quote

import httpx
import pytest

from infra.definitions import ROUTES
from tests.e2e.conftest import collect_pages, pull, wait_for_job

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def analyzed(api):
    """A target pulled with full analysis once for the read-only tests of this module."""
    job = pull(api, "Example.COM", limit=2500, full_analysis=True)
    assert job["state"] == "done", job
    return job


def test_pull_job_reports_pull_and_chunks(analyzed):
    assert analyzed["target"] == "example.com"
    assert analyzed["kind"] == "lookup_pull"
    assert analyzed["error"] is None
    # One step for the pull, then one per spam chunk of at most 1000 domains. Stale and fresh
    # domains go in separate chunks, and earlier tests may have cached some scores already.
    chunks = analyzed["result"]["chunks"]
    stale = analyzed["result"]["domains_stale"]
    fresh = analyzed["result"]["referring_domains_stored"] - stale
    assert chunks == -(-stale // 1000) + -(-fresh // 1000)
    assert analyzed["progress"] == {"done": 1 + chunks, "total": 1 + chunks}
    assert analyzed["result"]["referring_domains_stored"] <= 2500
    # The gap between what the vendor counts and what arrived is recorded, never a failure.
    assert analyzed["result"]["vendor_total_count"] >= analyzed["result"]["referring_domains_stored"]
    assert analyzed["result"]["vendor_items_received"] >= analyzed["result"]["referring_domains_stored"]


def test_summary_has_profile_figures(api, analyzed):
    response = api.get("/v1/backlinks/by-domain/example.com")

    assert response.status_code == 200
    summary = response.json()
    assert summary["target"] == "example.com"
    for field in ("rank", "backlinks", "referring_domains", "spam_score", "fetched_at"):
        assert summary[field] is not None, field
    assert 0 <= summary["dofollow_ratio"] <= 1
    assert summary["stored_referring_domains"] == analyzed["result"]["referring_domains_stored"]


def test_domains_sorted_and_paginated(api, analyzed):
    items = collect_pages(
        api, "/v1/backlinks/by-domain/example.com/domains", sort="rank", order="desc", limit=400
    )

    ranks = [item["rank"] for item in items]
    assert ranks == sorted(ranks, reverse=True)
    assert len(items) == analyzed["result"]["referring_domains_stored"]
    assert len({item["domain"] for item in items}) == len(items)


@pytest.mark.parametrize("sort", ["rank", "backlinks", "spam_score", "first_seen"])
def test_domains_sort_ascending(api, analyzed, sort):
    response = api.get(
        "/v1/backlinks/by-domain/example.com/domains", params={"sort": sort, "order": "asc", "limit": 200}
    )

    assert response.status_code == 200
    values = [item[sort] for item in response.json()["items"]]
    assert values == sorted(values)


def test_domains_only_toxic_and_active(api, analyzed):
    toxic = collect_pages(api, "/v1/backlinks/by-domain/example.com/domains", only_toxic="true", min_spam=80)
    active = collect_pages(api, "/v1/backlinks/by-domain/example.com/domains", only_active="true", limit=1000)

    assert toxic
    assert all(item["spam_score"] >= 80 and item["is_toxic"] for item in toxic)
    assert active
    assert all(item["lost_date"] is None and item["is_active"] for item in active)


def test_spam_scores_counts_add_up(api, analyzed):
    body = api.get("/v1/backlinks/by-domain/example.com/spam-scores", params={"limit": 1000}).json()

    assert body["min_spam"] == 80
    assert body["items"]
    assert all(item["spam_score"] >= 80 for item in body["items"])
    assert body["unscored"] == 0
    assert body["scored"] + body["unknown"] == body["referring_domains"]
    scores = [item["spam_score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_spam_scores_custom_threshold(api, analyzed):
    strict = api.get(
        "/v1/backlinks/by-domain/example.com/spam-scores", params={"min_spam": 95, "limit": 1000}
    ).json()
    loose = api.get(
        "/v1/backlinks/by-domain/example.com/spam-scores", params={"min_spam": 60, "limit": 1000}
    ).json()

    assert all(item["spam_score"] >= 95 for item in strict["items"])
    assert len(loose["items"]) >= len(strict["items"])


def test_disavow_export_redirects_to_file(api, analyzed):
    toxic = collect_pages(api, "/v1/backlinks/by-domain/example.com/spam-scores", limit=1000)

    response = api.get("/v1/backlinks/by-domain/example.com/disavow-export")

    assert response.status_code == 302
    download = httpx.get(response.headers["location"])
    assert download.status_code == 200
    lines = download.content.decode("utf-8").splitlines()
    entries = [line for line in lines if not line.startswith("#")]
    assert not download.content.startswith(b"\xef\xbb\xbf")
    assert entries == sorted(f"domain:{item['domain']}" for item in toxic)
    assert "attachment" in download.headers["content-disposition"]


def test_disavow_export_json_answer(api, analyzed):
    response = api.get(
        "/v1/backlinks/by-domain/example.com/disavow-export",
        params={"threshold": 90},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    body = response.json()
    content = httpx.get(body["url"]).content
    assert body["bytes"] == len(content)
    assert body["lines"] == len(content.decode().splitlines())
    assert body["entries"] == sum(1 for line in content.decode().splitlines() if line.startswith("domain:"))
    assert body["threshold"] == 90
    assert body["expires_at"]


def test_csv_export_is_spreadsheet_safe(api, analyzed):
    body = api.get(
        "/v1/backlinks/by-domain/example.com/disavow-export",
        params={"format": "csv"},
        headers={"Accept": "application/json"},
    ).json()

    text = httpx.get(body["url"]).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert body["filename"].endswith(".csv")
    assert len(rows) == body["entries"]
    assert all(int(row["spam_score (0-100)"]) >= 80 for row in rows)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_fast_path_skips_dataforseo(api, analyzed, emulator):
    response = api.post("/v1/backlinks/by-domain/example.com/pull", json={"limit": 1000})

    assert response.status_code == 200
    body = response.json()
    assert body["fast_path"] is True
    assert body["job"]["job_id"] == analyzed["job_id"]
    assert body["summary"]["target"] == "example.com"
    assert emulator.call_counts().get("total", 0) == 0


def test_forced_pull_keeps_one_in_flight(api, emulator):
    first = api.post("/v1/backlinks/by-domain/inflight-example.org/pull", json={"full_analysis": False})
    second = api.post(
        "/v1/backlinks/by-domain/inflight-example.org/pull", json={"full_analysis": False, "force": True}
    )

    assert first.status_code == 202
    assert second.status_code == 202
    assert second.json()["job"]["job_id"] == first.json()["job"]["job_id"]
    assert second.json()["already_running"] is True
    assert wait_for_job(api, first.json()["job"]["job_id"])["state"] == "done"


def test_manual_enrichment_reuses_cache(api, analyzed, emulator):
    response = api.post("/v1/backlinks/by-domain/example.com/enrich-spam-scores")

    assert response.status_code == 202
    job = wait_for_job(api, response.json()["job"]["job_id"])
    assert job["state"] == "done"
    assert job["kind"] == "spam_enrichment"
    assert emulator.call_counts().get("bulk_spam_score", 0) == 0


def test_unicode_domain_is_punycode(api):
    job = pull(api, quote("bücher.de"), full_analysis=False, limit=100)

    assert job["target"] == "xn--bcher-kva.de"
    assert api.get("/v1/backlinks/by-domain/xn--bcher-kva.de").status_code == 200
    assert api.get(f"/v1/backlinks/by-domain/{quote('BÜCHER.de')}").json()["target"] == "xn--bcher-kva.de"


def test_export_of_unscored_lookup_is_refused(api):
    job = pull(api, "unscored-example.net", full_analysis=False, limit=100)
    assert job["state"] == "done"

    response = api.get("/v1/backlinks/by-domain/unscored-example.net/disavow-export")

    assert response.status_code == 409
    assert response.json()["error"] == "empty_export"
    assert "would clear" in response.json()["message"]
    spam = api.get("/v1/backlinks/by-domain/unscored-example.net/spam-scores").json()
    assert spam["unscored"] == spam["referring_domains"] > 0


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("localhost", "single-label"),
        ("co.uk", "public suffix"),
        ("192.168.0.1", "IP address"),
        (quote("exa mple.com"), "invalid"),
        ("a" * 64 + ".com", "63"),
    ],
)
def test_pull_rejects_bad_domains(api, domain, reason):
    response = api.post(f"/v1/backlinks/by-domain/{domain}/pull", json={})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_domain"
    assert reason.lower() in body["message"].lower()
    assert body["details"]["value"]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/spam-scores", {"min_spam": 150}, "min_spam"),
        ("/domains", {"sort": "title"}, "sort"),
        ("/domains", {"limit": 0}, "limit"),
        ("/domains", {"order": "up"}, "order"),
        ("/disavow-export", {"threshold": -1}, "threshold"),
        ("/disavow-export", {"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_named(api, analyzed, path, params, parameter):
    response = api.get(f"/v1/backlinks/by-domain/example.com{path}", params=params)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["message"].startswith(f"invalid {parameter} ")


def test_pull_limit_out_of_range(api):
    response = api.post("/v1/backlinks/by-domain/example.com/pull", json={"limit": 20000})

    assert response.status_code == 422
    assert "limit" in response.json()["message"]


def test_garbled_cursor_is_rejected(api, analyzed):
    response = api.get("/v1/backlinks/by-domain/example.com/domains", params={"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["details"]["parameter"] == "cursor"


def test_unknown_lookup_and_job_answer_404(api):
    assert api.get("/v1/backlinks/by-domain/never-pulled-example.com").status_code == 404
    assert api.get("/v1/backlinks/by-domain/never-pulled-example.com/spam-scores").status_code == 404
    assert api.get("/v1/backlinks/by-domain/never-pulled-example.com/disavow-export").status_code == 404
    assert api.post("/v1/backlinks/by-domain/never-pulled-example.com/enrich-spam-scores").status_code == 404
    response = api.get("/v1/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_access_denied_fails_job_with_reason(api, emulator):
    emulator.inject_fault(endpoint="summary", kind="status", code=40204, count=1)

    job = pull(api, "denied-example.com", full_analysis=False)

    assert job["state"] == "failed"
    assert "40204" in job["error"]
    assert "subscription" in job["error"]
    assert api.get("/v1/backlinks/by-domain/denied-example.com").status_code == 404


def test_failed_refresh_keeps_previous_data(api, emulator):
    first = pull(api, "kept-example.com", full_analysis=False, limit=300)
    before = api.get("/v1/backlinks/by-domain/kept-example.com").json()
    emulator.inject_fault(endpoint="referring_domains", kind="status", code=40501, count=1)

    failed = pull(api, "kept-example.com", full_analysis=False, limit=300, force=True)

    assert failed["state"] == "failed"
    assert "40501" in failed["error"]
    after = api.get("/v1/backlinks/by-domain/kept-example.com").json()
    assert after["last_job_id"] == first["job_id"]
    assert after["stored_referring_domains"] == before["stored_referring_domains"]
    assert after["pull_in_progress"] is None


def test_rate_limit_is_retried(api, emulator):
    emulator.inject_fault(endpoint="bulk_spam_score", kind="status", code=40202, count=2)

    job = pull(api, "ratelimited-example.com", full_analysis=True, limit=500)

    assert job["state"] == "done", job
    assert emulator.call_counts()["bulk_spam_score"] >= 3


def test_openapi_lists_every_route(api):
    response = api.get("/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in ROUTES:
        assert route.path in paths, route.path
        assert route.method.lower() in paths[route.path], route


def test_unknown_route_is_refused_by_gateway(api):
    response = api.get("/v1/backlinks/by-domain/example.com/nothing-here")

    assert response.status_code == 403


def test_pull_body_needs_json_type(api):
    response = api.post(
        "/v1/backlinks/by-domain/example.com/pull",
        content=b'{"limit": 2500}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert "application/json" in response.json()["message"]


def test_pull_rejects_unknown_field(api):
    response = api.post("/v1/backlinks/by-domain/example.com/pull", json={"limt": 2500})

    assert response.status_code == 422
    assert response.json()["message"].startswith("invalid limt ")


def test_pull_rejects_invalid_json(api):
    response = api.post(
        "/v1/backlinks/by-domain/example.com/pull",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["message"] == "invalid body None: not valid JSON"


def test_openapi_describes_error_body(api):
    schema = api.get("/v1/openapi.json").json()
    body = api.get("/v1/backlinks/by-domain/example.com/domains", params={"limit": 0}).json()
    operation = schema["paths"]["/v1/backlinks/by-domain/{domain}/domains"]["get"]
    error = schema["components"]["schemas"]["ErrorBody"]

    assert set(error["required"]) == set(body)
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert "default" in operation["responses"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_openapi_declares_bearer_token(api):
    schema = api.get("/v1/openapi.json").json()

    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert schema["security"] == [{"bearerToken": []}]
