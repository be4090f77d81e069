"""Anchors over HTTP on the local runtime: detailed pulls in both modes, classes, exports, failures."""

import base64
import csv
import io
import json

import httpx
import pytest

from backlinks.logic.anchor_classes import ANCHOR_CLASSES, MAX_KEYWORDS
from infra.local.emulator import dataset, endpoints
from tests.e2e.conftest import collect_pages, pull, wait_for_job, xlsx_rows
from tests.e2e.test_project_mode import activate, full_refresh

pytestmark = pytest.mark.e2e

# "anchor-edge" targets get anchors with a formula, a leading plus sign, Unicode with a no-break
# space and two spellings that differ only in whitespace (infra/local/emulator/dataset.py).
LOOKUP_TARGET = "anchor-edge.com"
PROJECT_TARGET = "anchor-edge-project.com"
PROJECT_ID = "anchors-project"
JSON = {"Accept": "application/json"}


def lookup_path(target: str, suffix: str = "anchors") -> str:
    return f"/v1/backlinks/by-domain/{target}/{suffix}"


def vendor_anchors(target: str, status: str = "live") -> list[dict]:
    """The emulator's anchors response for `target`, as DataForSEO would send it."""
    result, _ = endpoints.run_task(
        "anchors", {"target": target, "limit": 1000, "backlinks_status_type": status}, 0
    )
    return result[0]["items"]


def summary_backlinks(api, target: str) -> int:
    response = api.get(f"/v1/backlinks/by-domain/{target}")
    assert response.status_code == 200, response.text
    return response.json()["backlinks"]


def refresh(api, path: str, **body) -> dict:
    response = api.post(path, json=body) if body else api.post(path)
    assert response.status_code == 202, response.text
    return wait_for_job(api, response.json()["job"]["job_id"])


@pytest.fixture(scope="module")
def pulled_lookup(runtime, api):
    runtime.emulator.set_day(0)
    job = pull(api, LOOKUP_TARGET, limit=100, full_analysis=False)
    assert job["state"] == "done", job
    return job


@pytest.fixture(scope="module")
def detailed_lookup(api, pulled_lookup):
    job = refresh(api, lookup_path(LOOKUP_TARGET, "anchors/refresh"))
    assert job["state"] == "done", job
    return job


# Lookup Mode ----------------------------------------------------------------------------------------


def test_lookup_anchors_source_none(api, pulled_lookup):
    # Run first in this module: no detailed pull has happened for this lookup yet.
    body = api.get(lookup_path(LOOKUP_TARGET)).json()

    assert body["source"] == "none"
    assert body["items"] == []
    assert [row["class"] for row in body["classes"]] == list(ANCHOR_CLASSES)
    assert all(row["anchors"] == 0 for row in body["classes"])
    assert "anchors/refresh" in body["message"]


def test_unpulled_domain_anchors_404(api):
    response = api.get(lookup_path("never-pulled-anchors.com"))

    assert response.status_code == 404
    assert "pull" in response.json()["message"]


def test_detailed_pull_reads_live_and_lost(api, pulled_lookup, emulator):
    job = refresh(api, lookup_path(LOOKUP_TARGET, "anchors/refresh"), max_anchors=1000)
    live = vendor_anchors(LOOKUP_TARGET)
    live_texts = {" ".join(row["anchor"].split()) for row in live}
    lost_only = [
        row
        for row in vendor_anchors(LOOKUP_TARGET, "lost")
        if " ".join(row["anchor"].split()) not in live_texts
    ]

    assert job["kind"] == "anchors_pull"
    assert job["state"] == "done", job
    # One page of live anchors and one of lost anchors.
    assert emulator.call_counts().get("anchors") == 2
    assert job["result"]["anchors_total"] == len(live)
    assert len(lost_only) == 1
    assert job["result"]["lost_anchors"] == 1
    # Two vendor spellings differ only in whitespace and become one anchor.
    assert job["result"]["anchors_stored"] == len(live) - 1 + 1
    assert job["result"]["truncated"] is False


def test_live_anchor_backlinks_match_summary(api, detailed_lookup):
    body = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000}).json()

    assert sum(item["backlinks"] for item in body["items"]) == summary_backlinks(api, LOOKUP_TARGET)
    assert all(item["is_active"] for item in body["items"])
    assert sum(row["backlinks"] for row in body["classes"]) == summary_backlinks(api, LOOKUP_TARGET)


def test_lost_anchors_only_on_request(api, detailed_lookup):
    without = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000}).json()
    with_lost = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000, "include_lost": "true"}).json()
    (lost,) = [item for item in with_lost["items"] if not item["is_active"]]
    (vendor,) = [row for row in vendor_anchors(LOOKUP_TARGET, "lost") if row["anchor"] == lost["anchor"]]

    assert len(with_lost["items"]) == len(without["items"]) + 1
    assert lost["lost_date"].startswith(vendor["lost_date"][:10])
    assert lost["backlinks"] == vendor["backlinks"]


def test_detailed_anchors_match_vendor(api, detailed_lookup):
    body = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000}).json()
    vendor = vendor_anchors(LOOKUP_TARGET)
    by_text = {item["anchor"]: item for item in body["items"]}

    assert body["source"] == "detailed"
    assert body["data"]["job_id"] == detailed_lookup["job_id"]
    assert sum(item["backlinks"] for item in body["items"]) == sum(row["backlinks"] for row in vendor)
    plain = next(row for row in vendor if row["anchor"] == "read more")
    stored = by_text["read more"]
    assert stored["backlinks"] == plain["backlinks"]
    assert stored["referring_domains"] == plain["referring_domains"]
    assert stored["nofollow_referring_domains"] == plain["referring_domains_nofollow"]
    assert (
        stored["dofollow_referring_domains"]
        == plain["referring_domains"] - plain["referring_domains_nofollow"]
    )
    assert stored["spam_score"] == plain["backlinks_spam_score"]
    assert stored["first_seen"].startswith(plain["first_seen"][:10])
    assert stored["is_active"] is True
    assert stored["lost_date"] is None
    assert (
        stored["dofollow_referring_pages"] + stored["nofollow_referring_pages"] == stored["referring_pages"]
    )


def test_anchor_text_whitespace_collapsed(api, detailed_lookup):
    items = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000}).json()["items"]
    by_text = {item["anchor"]: item for item in items}
    vendor = {row["anchor"]: row for row in vendor_anchors(LOOKUP_TARGET)}

    merged = by_text["Straße für Läufer"]
    assert merged["variants"] == 2
    assert merged["backlinks"] == (
        vendor["Straße  für\u00a0Läufer"]["backlinks"] + vendor["Straße für Läufer"]["backlinks"]
    )
    assert "spaced out" in by_text
    assert '=HYPERLINK("https://evil.example/","win")' in by_text
    assert "+49 deals" in by_text


def test_classes_follow_keywords(api, detailed_lookup):
    keyword = dataset.target_keyword(LOOKUP_TARGET)
    without = {item["anchor"]: item["class"] for item in api.get(lookup_path(LOOKUP_TARGET)).json()["items"]}
    body = api.get(lookup_path(LOOKUP_TARGET), params={"keyword": keyword, "limit": 1000}).json()
    classes = {item["anchor"]: item["class"] for item in body["items"]}

    assert without[keyword] == "other"
    assert classes[keyword] == "exact_match"
    assert classes["anchor-edge"] == classes["Anchor-edge official site"] == "branded"
    assert classes["https://anchor-edge.com/"] == classes["www.anchor-edge.com"] == "naked_url"
    assert classes["click here"] == classes["read more"] == "generic"
    assert classes[""] == "empty_or_image"
    assert body["keywords"] == [keyword]
    totals = {row["class"]: row for row in body["classes"]}
    assert sum(row["anchors"] for row in body["classes"]) == len(body["items"])
    assert totals["exact_match"]["backlinks"] == sum(
        item["backlinks"] for item in body["items"] if item["class"] == "exact_match"
    )
    assert sum(row["share_of_backlinks"] for row in body["classes"]) == pytest.approx(1, abs=0.001)


def test_class_filter_and_pages(api, detailed_lookup):
    everything = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 1000}).json()["items"]
    paged = collect_pages(api, lookup_path(LOOKUP_TARGET), limit=4)
    branded = collect_pages(api, lookup_path(LOOKUP_TARGET), anchor_class="branded", limit=2)

    assert [item["anchor"] for item in paged] == [item["anchor"] for item in everything]
    assert branded and all(item["class"] == "branded" for item in branded)
    assert len(branded) == sum(1 for item in everything if item["class"] == "branded")


def test_bad_cursors_are_400(api, detailed_lookup):
    real = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 2}).json()["next_cursor"]
    key = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))
    negative = base64.urlsafe_b64encode(json.dumps({**key, "offset": -5}).encode()).decode()

    for cursor in ("garbage", negative):
        response = api.get(lookup_path(LOOKUP_TARGET), params={"cursor": cursor})
        assert response.status_code == 400, response.text
        assert response.json()["details"]["parameter"] == "cursor"


def test_cursor_of_other_filters_is_400(api, detailed_lookup):
    cursor = api.get(lookup_path(LOOKUP_TARGET), params={"limit": 2}).json()["next_cursor"]

    response = api.get(lookup_path(LOOKUP_TARGET), params={"cursor": cursor, "anchor_class": "generic"})

    assert response.status_code == 400, response.text
    assert response.json()["details"]["parameter"] == "cursor"


def test_csv_export_keeps_text(api, detailed_lookup):
    response = api.get(lookup_path(LOOKUP_TARGET), params={"format": "csv"}, headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    content = httpx.get(body["url"]).content
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    anchors = {row["anchor"] for row in rows}

    assert content.startswith(b"\xef\xbb\xbf")
    # Anchors whose links are all lost are left out, as in the JSON report.
    assert body["entries"] == len(rows) == detailed_lookup["result"]["anchors_stored"] - 1
    assert list(rows[0]) == [
        "anchor", "class", "backlinks", "referring_domains", "dofollow_referring_domains",
        "nofollow_referring_domains", "referring_pages", "dofollow_referring_pages",
        "nofollow_referring_pages", "spam_score (0-100)", "rank (0-1000)", "first_seen", "lost_date",
        "is_active", "variants",
    ]  # fmt: skip
    # A spreadsheet shows these as text instead of evaluating them.
    assert '\'=HYPERLINK("https://evil.example/","win")' in anchors
    assert "'+49 deals" in anchors
    assert "Straße für Läufer" in anchors


def test_xlsx_export_has_no_formulas(api, detailed_lookup):
    response = api.get(lookup_path(LOOKUP_TARGET), params={"format": "xlsx"}, headers=JSON)
    assert response.status_code == 200, response.text
    rows = xlsx_rows(httpx.get(response.json()["url"]).content)
    texts = {row[0] for row in rows[1:]}

    assert rows[0][0] == "anchor"
    assert '=HYPERLINK("https://evil.example/","win")' in texts
    assert "+49 deals" in texts


def test_export_redirects_by_default(api, detailed_lookup):
    response = api.get(lookup_path(LOOKUP_TARGET), params={"format": "csv"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("http://127.0.0.1")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"anchor_class": "money"}, "money"),
        ({"format": "pdf"}, "pdf"),
        ({"keyword": "   "}, "keyword"),
        ({"keyword": [f"keyword {n}" for n in range(MAX_KEYWORDS + 1)]}, "keyword"),
        ({"brand": "x" * 101}, "brand"),
    ],
)
def test_bad_report_parameters_are_400(api, detailed_lookup, params, named):
    response = api.get(lookup_path(LOOKUP_TARGET), params=params)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_parameter"
    assert named in response.json()["message"]


def test_bad_pull_options_are_rejected(api, pulled_lookup, emulator):
    too_many = api.post(lookup_path(LOOKUP_TARGET, "anchors/refresh"), json={"max_anchors": 10_001})
    unknown = api.post(lookup_path(LOOKUP_TARGET, "anchors/refresh"), json={"max_anchor": 5})

    assert too_many.status_code == 422
    assert "max_anchors" in too_many.json()["message"]
    assert unknown.status_code == 422
    assert emulator.call_counts().get("anchors") is None


def test_one_pull_runs_at_a_time(api, detailed_lookup, emulator):
    # A slow vendor response keeps the first pull running while the second request arrives.
    emulator.inject_fault(endpoint="anchors", kind="timeout", delay=1.5)
    path = lookup_path(LOOKUP_TARGET, "anchors/refresh")

    first = api.post(path)
    second = api.post(path)
    job = wait_for_job(api, first.json()["job"]["job_id"])

    assert first.status_code == second.status_code == 202
    assert first.json()["already_running"] is False
    assert second.json()["already_running"] is True
    assert second.json()["job"]["job_id"] == first.json()["job"]["job_id"]
    assert job["state"] == "done", job
    assert emulator.call_counts().get("anchors") == 2


def test_failed_pull_keeps_previous_anchors(api, detailed_lookup, emulator):
    before = api.get(lookup_path(LOOKUP_TARGET)).json()
    emulator.inject_fault(endpoint="anchors", code=40501, count=5)

    job = refresh(api, lookup_path(LOOKUP_TARGET, "anchors/refresh"))
    after = api.get(lookup_path(LOOKUP_TARGET)).json()

    assert job["state"] == "failed"
    assert "40501" in job["error"]
    assert after["source"] == "detailed"
    assert after["data"] == before["data"]
    assert after["refresh_in_progress"] is None


def test_subscription_error_stops_pulls(api, detailed_lookup, emulator):
    emulator.inject_fault(endpoint="anchors", code=40204, count=1)

    job = refresh(api, lookup_path(LOOKUP_TARGET, "anchors/refresh"))
    second = api.post(lookup_path(LOOKUP_TARGET, "anchors/refresh"))

    assert job["state"] == "failed"
    assert "subscription" in job["error"]
    assert second.status_code == 503


# Project Mode ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refreshed_project(runtime, api):
    runtime.emulator.set_day(0)
    activate(api, PROJECT_ID, PROJECT_TARGET)
    job = full_refresh(api, PROJECT_ID)
    assert job["state"] == "done", job
    return job


def test_project_heuristic_then_detailed(api, refreshed_project, emulator):
    path = f"/v1/backlinks/{PROJECT_ID}/anchors"
    detail = api.get(f"/v1/backlinks/{PROJECT_ID}").json()
    heuristic = api.get(path, params={"limit": 1000}).json()

    assert heuristic["source"] == "heuristic"
    assert detail["anchors"]["source"] == "heuristic"
    assert heuristic["data"]["generation"] == detail["generation"]
    assert heuristic["data"]["links_counted"] == detail["stored_links"]
    # Every stored link is one referring page of exactly one anchor.
    assert sum(item["referring_pages"] for item in heuristic["items"]) == detail["stored_links"]
    assert heuristic["data"]["anchors_stored"] == len(heuristic["items"])
    # The detail's link counts per class are the heuristic classes' referring pages.
    for row in heuristic["classes"]:
        assert row["referring_pages"] == detail["distributions"]["links_by_anchor_class"][row["class"]]

    job = refresh(api, f"/v1/backlinks/{PROJECT_ID}/anchors/refresh")
    detailed = api.get(path, params={"limit": 1000}).json()

    assert job["state"] == "done", job
    assert emulator.call_counts().get("anchors") == 2
    assert detailed["source"] == "detailed"
    assert detailed["data"]["job_id"] == job["job_id"]
    assert api.get(f"/v1/backlinks/{PROJECT_ID}").json()["anchors"]["source"] == "detailed"
    vendor = vendor_anchors(PROJECT_TARGET)
    assert sum(item["backlinks"] for item in detailed["items"]) == sum(row["backlinks"] for row in vendor)


def test_project_anchor_pull_records_cost(api, refreshed_project):
    refresh(api, f"/v1/backlinks/{PROJECT_ID}/anchors/refresh", max_anchors=50)
    usage = api.get("/v1/teams/current/usage").json()

    anchors = [item for item in usage["items"] if item["operation"] == "anchors"]
    assert anchors and all(item["cost_usd"] > 0 for item in anchors)


def test_unknown_project_anchors_404(api):
    assert api.get("/v1/backlinks/no-such-project/anchors").status_code == 404
    assert api.post("/v1/backlinks/no-such-project/anchors/refresh").status_code == 404
