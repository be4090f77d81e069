"""Velocity time series over HTTP on the local runtime: both routes, the daily cache and failures.

Expected counts come from calling the emulator's endpoint function directly, which neither counts
as a call nor goes through the service.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from backlinks.logic import timeseries
from infra.local.emulator import endpoints
from infra.local.emulator.server import COST_PER_CALL, COST_PER_ITEM
from tests.e2e.conftest import pull

pytestmark = pytest.mark.e2e

FUNCTION = "timeseries_new_lost_summary"
ENDPOINT = f"backlinks/{FUNCTION}/live"
LOOKUP_TARGET = "rd611.com"
PROJECT_TARGET = "rd612.com"
COUNT_FIELDS = {
    "gained_backlinks": "new_backlinks",
    "lost_backlinks": "lost_backlinks",
    "gained_referring_domains": "new_referring_domains",
    "lost_referring_domains": "lost_referring_domains",
}


def today() -> date:
    return datetime.now(UTC).date()


def vendor_items(emulator, target: str, group_range: str, date_from: str) -> dict[str, dict]:
    """The emulator's items for the window, by date (yyyy-mm-dd)."""
    task = {
        "target": target,
        "date_from": date_from,
        "date_to": today().isoformat(),
        "group_range": group_range,
    }
    result, _ = endpoints.timeseries_new_lost_summary(task, emulator.day)
    return {item["date"][:10]: item for item in result[0]["items"]}


def timeseries_calls(emulator) -> int:
    return emulator.call_counts().get(FUNCTION, 0)


def assert_matches_emulator(body: dict, emulator, group_range: str) -> None:
    expected = vendor_items(emulator, body["target"], group_range, body["date_from"])
    assert [item["date"] for item in body["items"]] == list(expected)
    for item in body["items"]:
        vendor = expected[item["date"]]
        for ours, theirs in COUNT_FIELDS.items():
            assert item[ours] == vendor[theirs], (item["date"], ours)
        assert item["net_backlinks"] == vendor["new_backlinks"] - vendor["lost_backlinks"]
        assert (
            item["net_referring_domains"]
            == vendor["new_referring_domains"] - vendor["lost_referring_domains"]
        )
    for ours, theirs in COUNT_FIELDS.items():
        assert body["totals"][ours] == sum(item[theirs] for item in expected.values()), ours


def activate(api, project_id: str, target: str) -> None:
    response = api.post("/v1/backlinks", json={"tracking_project_id": project_id, "target": target})
    assert response.status_code in (200, 201), response.text


def timeseries_cost(api) -> float:
    items = api.get("/v1/teams/current/usage").json()["items"]
    return sum(item["cost_usd"] for item in items if item["operation"] == "timeseries")


@pytest.fixture(scope="module")
def looked_up(api) -> str:
    job = pull(api, LOOKUP_TARGET, limit=100, full_analysis=False)
    assert job["state"] == "done", job
    return LOOKUP_TARGET


@pytest.fixture(scope="module")
def project(api) -> str:
    activate(api, "ts-velocity", PROJECT_TARGET)
    return "ts-velocity"


# Lookup Mode ---------------------------------------------------------------------------------------


def test_lookup_monthly_matches_emulator(api, emulator, looked_up):
    response = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target"] == LOOKUP_TARGET
    assert body["granularity"] == "monthly"
    assert body["source"] == "dataforseo:timeseries_new_lost_summary"
    assert body["cached"] is False
    assert body["date_from"] == timeseries.window_start(today(), "monthly").isoformat()
    assert body["date_to"] == today().isoformat()
    assert len(body["items"]) == 12
    assert [item["complete"] for item in body["items"]] == [True] * 11 + [False]
    assert body["items"][0]["period_start"] == body["date_from"]
    assert body["items"][-1]["period_end"] == body["date_to"]
    assert_matches_emulator(body, emulator, "month")
    assert body["totals"]["gained_referring_domains"] > 0
    assert timeseries_calls(emulator) == 1


def test_repeated_request_is_served_from_cache(api, emulator, looked_up):
    first = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries").json()

    second = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries", params={"granularity": "monthly"})

    assert second.status_code == 200
    body = second.json()
    assert body["cached"] is True
    assert body["fetched_at"] == first["fetched_at"]
    assert body["items"] == first["items"]
    assert timeseries_calls(emulator) == 0


def test_weekly_calls_vendor_once(api, emulator, looked_up):
    response = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries", params={"granularity": "weekly"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cached"] is False
    assert len(body["items"]) == 52
    assert all(date.fromisoformat(item["period_start"]).weekday() == 0 for item in body["items"])
    assert all(date.fromisoformat(item["date"]).weekday() == 6 for item in body["items"])
    assert_matches_emulator(body, emulator, "week")
    assert timeseries_calls(emulator) == 1


def test_daily_calls_vendor_once(api, emulator, looked_up):
    response = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries", params={"granularity": "daily"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cached"] is False
    assert len(body["items"]) == 365
    assert body["date_from"] == (today() - timedelta(days=364)).isoformat()
    assert body["items"][-1]["complete"] is False
    assert_matches_emulator(body, emulator, "day")
    assert timeseries_calls(emulator) == 1


def test_date_range_slices_cached_series(api, emulator, looked_up):
    full = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries").json()
    third, fourth = full["items"][2], full["items"][3]
    middle = date.fromisoformat(third["period_start"]) + timedelta(days=10)

    response = api.get(
        f"/v1/backlinks/by-domain/{looked_up}/timeseries",
        params={"date_from": middle.isoformat(), "date_to": fourth["period_start"]},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cached"] is True
    assert body["items"] == [third, fourth]
    assert body["date_from"] == third["period_start"]
    assert body["date_to"] == fourth["period_end"]
    assert body["totals"]["gained_backlinks"] == third["gained_backlinks"] + fourth["gained_backlinks"]
    assert timeseries_calls(emulator) == 0


def test_lookup_without_pull_is_404(api, emulator):
    response = api.get("/v1/backlinks/by-domain/never-pulled-example.com/timeseries")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "never-pulled-example.com" in response.json()["message"]
    assert timeseries_calls(emulator) == 0


def test_other_team_lookup_is_404(second_team_api, emulator, looked_up):
    response = second_team_api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries")

    assert response.status_code == 404
    assert timeseries_calls(emulator) == 0


# Parameters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yearly", "MONTHLY", "month"])
def test_bad_granularity_is_400(api, emulator, looked_up, value):
    response = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries", params={"granularity": value})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["message"] == f"invalid granularity {value!r}: expected one of daily, weekly, monthly"
    assert body["details"]["parameter"] == "granularity"
    assert timeseries_calls(emulator) == 0


def bad_dates() -> list[tuple[dict, str, str]]:
    """Return cases of (query, parameter, value). The allowed range is the monthly window ending today."""
    first = timeseries.window_start(today(), "monthly")
    return [
        ({"date_from": "2026/01/01"}, "date_from", "2026/01/01"),
        ({"date_to": "2026-02-30"}, "date_to", "2026-02-30"),
        (
            {"date_from": (first - timedelta(days=1)).isoformat()},
            "date_from",
            (first - timedelta(days=1)).isoformat(),
        ),
        (
            {"date_to": (today() + timedelta(days=1)).isoformat()},
            "date_to",
            (today() + timedelta(days=1)).isoformat(),
        ),
    ]


@pytest.mark.parametrize("case", range(4), ids=["format", "not-a-date", "before-window", "after-today"])
def test_bad_date_is_400(api, emulator, looked_up, case):
    query, name, value = bad_dates()[case]
    allowed = f"from {timeseries.window_start(today(), 'monthly').isoformat()} to {today().isoformat()}"

    response = api.get(f"/v1/backlinks/by-domain/{looked_up}/timeseries", params=query)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["details"]["parameter"] == name
    assert body["details"]["value"] == value
    assert value in body["message"]
    assert allowed in body["message"]
    assert timeseries_calls(emulator) == 0


def test_date_from_after_date_to_is_400(api, looked_up):
    later, earlier = today().isoformat(), (today() - timedelta(days=1)).isoformat()

    response = api.get(
        f"/v1/backlinks/by-domain/{looked_up}/timeseries", params={"date_from": later, "date_to": earlier}
    )

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"invalid date_from {later!r}: after date_to {earlier}; expected date_from <= date_to"
    )


# Project Mode ----------------------------------------------------------------------------------------


def test_project_matches_emulator_and_records_cost(api, emulator, project):
    cost_before = timeseries_cost(api)

    response = api.get(f"/v1/backlinks/{project}/timeseries")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target"] == PROJECT_TARGET
    assert body["cached"] is False
    assert_matches_emulator(body, emulator, "month")
    assert timeseries_calls(emulator) == 1
    expected_cost = round(COST_PER_CALL + COST_PER_ITEM * len(body["items"]), 5)
    assert timeseries_cost(api) == pytest.approx(cost_before + expected_cost, abs=1e-6)


def test_cache_is_shared_between_projects(api, emulator, project):
    activate(api, "ts-velocity-twin", PROJECT_TARGET)
    first = api.get(f"/v1/backlinks/{project}/timeseries").json()

    twin = api.get("/v1/backlinks/ts-velocity-twin/timeseries")

    assert twin.status_code == 200
    assert twin.json()["cached"] is True
    assert twin.json()["items"] == first["items"]
    assert timeseries_calls(emulator) == 0


def test_unknown_project_is_404(api, emulator):
    response = api.get("/v1/backlinks/no-such-project/timeseries")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert timeseries_calls(emulator) == 0


# Vendor failures -------------------------------------------------------------------------------------


def test_access_denied_is_503_and_stops_calls(api, emulator):
    activate(api, "ts-denied", "rd613.com")
    emulator.inject_fault(endpoint=FUNCTION, kind="status", code=40204, count=5)

    response = api.get("/v1/backlinks/ts-denied/timeseries")

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "provider_unavailable"
    assert "40204" in body["message"]
    provider = api.get("/v1/teams/current/backlinks-subscription").json()["provider"]
    assert provider["backlinks_subscription"] == "inactive"
    assert provider["reason"] == body["details"]["reason"]
    assert timeseries_calls(emulator) == 1

    again = api.get("/v1/backlinks/ts-denied/timeseries", params={"granularity": "weekly"})

    assert again.status_code == 503
    assert timeseries_calls(emulator) == 1


def test_server_error_is_502_after_retries(api, emulator):
    activate(api, "ts-failing", "rd614.com")
    emulator.inject_fault(endpoint=FUNCTION, kind="status", code=50000, count=10)

    response = api.get("/v1/backlinks/ts-failing/timeseries")

    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "provider_call_failed"
    assert body["message"] == (
        f"DataForSEO {ENDPOINT} failed with status 50000: Internal Error; try again in a few minutes"
    )
    assert body["details"] == {"endpoint": ENDPOINT, "code": 50000, "retryable": True}
    # One attempt and one retry, because the request limits cap the runtime's two retries.
    assert timeseries_calls(emulator) == 2

    emulator.clear_faults()
    recovered = api.get("/v1/backlinks/ts-failing/timeseries")

    assert recovered.status_code == 200
    assert recovered.json()["cached"] is False
    assert timeseries_calls(emulator) == 3
