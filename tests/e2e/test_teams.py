"""Teams over HTTP: tokens and the authorizer, isolation between teams, limits and the provider status."""

import re
from datetime import UTC, datetime

import pytest

from backlinks.dal.teams import TeamStore
from backlinks.logic import budget, teams
from infra.definitions import ROUTES
from tests.e2e.conftest import pull, restore_provider, team_client, wait_for_job

pytestmark = pytest.mark.e2e

UNAUTHORIZED = {"message": "Unauthorized"}
DENIED = {"message": "User is not authorized to access this resource with an explicit deny"}


@pytest.fixture(scope="module")
def team_store(runtime) -> TeamStore:
    return TeamStore(runtime.env["TABLE_NAME"])


def now() -> datetime:
    return datetime.now(UTC)


# Authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic bG9jYWw6bG9jYWw="},
        {"Authorization": f"Bearer {teams.new_token()[1]}"},
    ],
    ids=["missing", "empty", "malformed", "basic", "unknown"],
)
def test_request_without_valid_token_is_401(api, headers):
    request = api.build_request("GET", "/v1/teams/current/backlinks-subscription")
    del request.headers["Authorization"]
    request.headers.update(headers)

    response = api.send(request)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_openapi_needs_no_token(api):
    request = api.build_request("GET", "/v1/openapi.json")
    del request.headers["Authorization"]

    assert api.send(request).status_code == 200


def test_token_lifecycle_create_list_revoke(api):
    created = api.post("/v1/teams/current/tokens", json={"name": "ci pipeline"})
    assert created.status_code == 201, created.text
    body = created.json()
    token, token_id = body["token"], body["token_id"]
    assert re.fullmatch(rf"blk_{token_id}_[A-Za-z0-9_-]{{43}}", token)
    assert body["prefix"] == f"blk_{token_id}"
    assert body["active"] is True
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/v1/teams/current/backlinks-subscription", headers=headers).status_code == 200

    listing = api.get("/v1/teams/current/tokens").json()["items"]
    entry = next(item for item in listing if item["token_id"] == token_id)
    assert entry == {
        "token_id": token_id,
        "prefix": f"blk_{token_id}",
        "name": "ci pipeline",
        "created_at": body["created_at"],
        "revoked_at": None,
        "active": True,
    }
    assert token not in api.get("/v1/teams/current/tokens").text

    revoked = api.delete(f"/v1/teams/current/tokens/{token_id}")
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False

    rejected = api.get("/v1/teams/current/backlinks-subscription", headers=headers)
    assert rejected.status_code == 403
    assert rejected.json() == DENIED
    listing = api.get("/v1/teams/current/tokens").json()["items"]
    assert next(item for item in listing if item["token_id"] == token_id)["active"] is False


def test_token_name_too_long_is_named(api):
    response = api.post("/v1/teams/current/tokens", json={"name": "x" * 101})

    assert response.status_code == 422
    assert response.json()["details"]["problems"][0]["parameter"] == "name"


def test_revoking_unknown_token_is_404(api):
    for token_id in ("0123456789ab", "not-hex"):
        response = api.delete(f"/v1/teams/current/tokens/{token_id}")
        assert response.status_code == 404
        assert response.json()["message"] == f"token {token_id!r} not found"


def test_inactive_subscription_blocks_reads(runtime, team_store):
    with team_client(runtime, "lapsed-team", tier="starter") as client:
        team_store.set_subscription("lapsed-team", tier="starter", status="inactive", now=now())

        rejected = client.get("/v1/jobs/0123456789abcdef")
        subscription = client.get("/v1/teams/current/backlinks-subscription")

    assert rejected.status_code == 402
    assert rejected.json()["error"] == "subscription_inactive"
    assert rejected.json()["details"]["usage"] == "inactive"
    assert subscription.status_code == 200
    assert subscription.json()["status"] == "inactive"


# Isolation between teams ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def owned(api):
    """Objects of the default team that another team must not reach: a lookup, a job and a token."""
    job = pull(api, "crossteam-example.com", limit=300, full_analysis=True)
    assert job["state"] == "done", job
    token = api.post("/v1/teams/current/tokens", json={"name": "cross-team target"}).json()
    objects = {"domain": "crossteam-example.com", "job_id": job["job_id"], "token_id": token["token_id"]}

    # Objects of features that may not exist in every build: a route without its object is skipped.
    project = api.post(
        "/v1/backlinks", json={"tracking_project_id": "tp-crossteam", "target": "crossteam-example.com"}
    )
    if project.status_code in (200, 201):
        objects["project"] = project.json()["project_id"]
    entry = api.put("/v1/backlinks/by-domain/crossteam-example.com/keep-list/kept-example.org", json={})
    if entry.status_code in (200, 201):
        objects["entry"] = "kept-example.org"
    upload = api.post(
        "/v1/backlinks/by-domain/crossteam-example.com/disavow-import",
        content=b"domain:spam-example.com\n",
        headers={"Content-Type": "text/plain"},
    )
    version_id = (upload.json().get("version") or {}).get("version_id") if upload.status_code == 200 else None
    if version_id:
        objects["version_id"] = version_id
    if "project" in objects:
        refresh = api.post(
            f"/v1/backlinks/{objects['project']}/full-refresh", json={"max_referring_domains": 300}
        )
        assert wait_for_job(api, refresh.json()["job"]["job_id"])["state"] == "done"
        project_upload = api.post(
            f"/v1/backlinks/{objects['project']}/disavow-import",
            content=b"domain:spam-example.com\n",
            headers={"Content-Type": "text/plain"},
        )
        assert project_upload.status_code == 200, project_upload.text
        objects["project_version_id"] = project_upload.json()["version"]["version_id"]
    return objects


def route_objects(route, owned: dict) -> dict:
    """The owned objects a route's path names; project routes name the project's own version."""
    if route.path.startswith("/v1/backlinks/{project}") and "project_version_id" in owned:
        return {**owned, "version_id": owned["project_version_id"]}
    return owned


# Routes whose path names no existing object of another team: they create an object of the
# caller's own team, or edit the caller's team-wide keep list, where {domain} is a list entry.
OWN_TEAM_ROUTES = {
    ("POST", "/v1/backlinks/by-domain/{domain}/pull"),
    ("POST", "/v1/teams/current/tokens"),
    ("PUT", "/v1/keep-list/{domain}"),
    ("DELETE", "/v1/keep-list/{domain}"),
}
OWNED_ROUTES = [
    route
    for route in ROUTES
    if not route.public and "{" in route.path and (route.method, route.path) not in OWN_TEAM_ROUTES
]


# Objects that a route names in its query string rather than its path.
QUERY_OBJECTS = {
    ("GET", "/v1/backlinks/by-domain/{domain}/disavow-versions/diff"): ["version_id"],
    ("GET", "/v1/backlinks/{project}/disavow-versions/diff"): ["version_id"],
}


def request_options(route) -> dict:
    """A valid body for routes that need one, so the request reaches the ownership check."""
    if route.path.endswith("/disavow-import"):
        return {"content": b"domain:spam-example.com\n", "headers": {"Content-Type": "text/plain"}}
    if route.method in ("POST", "PUT", "PATCH"):
        return {"json": {}}
    return {}


@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_other_team_gets_404(api, second_team_api, owned, route):
    names = re.findall(r"\{(\w+)\}", route.path)
    needed = names + QUERY_OBJECTS.get((route.method, route.path), [])
    missing = [name for name in needed if name not in owned]
    if missing:
        pytest.skip(f"no object of the first team for {missing}: add one to the `owned` fixture")
    objects = route_objects(route, owned)
    path = route.path.format(**objects)
    if (route.method, route.path) in QUERY_OBJECTS:
        path += f"?from={objects['version_id']}&to={objects['version_id']}"

    options = request_options(route)
    headers = {"Accept": "application/json", **options.pop("headers", {})}

    response = second_team_api.request(route.method, path, headers=headers, **options)

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    if route.method == "GET":
        # The owner still reaches the object.
        assert api.request(route.method, path, headers=headers).status_code != 404


def test_other_team_cannot_revoke_token(api, second_team_api, owned):
    response = second_team_api.delete(f"/v1/teams/current/tokens/{owned['token_id']}")

    assert response.status_code == 404
    listing = api.get("/v1/teams/current/tokens").json()["items"]
    assert next(item for item in listing if item["token_id"] == owned["token_id"])["active"] is True


def test_other_team_pulls_its_own_copy(api, second_team_api, owned):
    job = pull(second_team_api, owned["domain"], limit=200, full_analysis=False)

    assert job["state"] == "done", job
    mine = second_team_api.get(f"/v1/backlinks/by-domain/{owned['domain']}").json()
    theirs = api.get(f"/v1/backlinks/by-domain/{owned['domain']}").json()
    assert mine["stored_referring_domains"] == 200
    assert theirs["stored_referring_domains"] == 300
    assert second_team_api.get(f"/v1/jobs/{owned['job_id']}").status_code == 404
    assert api.get(f"/v1/jobs/{job['job_id']}").status_code == 404


def test_usage_and_tokens_are_per_team(api, second_team_api, owned):
    mine = {item["token_id"] for item in api.get("/v1/teams/current/tokens").json()["items"]}
    theirs = {item["token_id"] for item in second_team_api.get("/v1/teams/current/tokens").json()["items"]}

    assert owned["token_id"] in mine
    assert not mine & theirs
    assert api.get("/v1/teams/current/usage").json()["team_id"] == "local"
    assert second_team_api.get("/v1/teams/current/usage").json()["team_id"] == "second-team"


# Subscription and usage ------------------------------------------------------------------------------


def test_subscription_shows_tier_limits_and_usage(api, owned):
    response = api.get("/v1/teams/current/backlinks-subscription")

    assert response.status_code == 200
    body = response.json()
    assert body["team_id"] == "local"
    assert body["tier"] == "pro"
    assert body["status"] == "active"
    assert body["limits"] == {
        "projects": 25,
        "referring_domains_per_refresh": 10_000,
        "lookups_per_day": 200,
        "monthly_budget_usd": 200.0,
    }
    usage = body["usage"]
    assert usage["month"] == teams.month_of(now())
    assert usage["lookups_today"] >= 1
    assert usage["dataforseo_cost_usd"] > 0
    assert usage["budget_remaining_usd"] == pytest.approx(200.0 - usage["dataforseo_cost_usd"], abs=1e-4)
    assert usage["budget_resets_at"] == teams.next_month_start(now()).isoformat()
    assert body["provider"]["name"] == "dataforseo"
    assert body["provider"]["backlinks_subscription"] == "active"


def test_usage_by_day_and_operation(api, owned):
    body = api.get("/v1/teams/current/usage").json()
    subscription = api.get("/v1/teams/current/backlinks-subscription").json()

    today = now().strftime("%Y-%m-%d")
    operations = {item["operation"] for item in body["items"] if item["day"] == today}
    assert {"lookup_pull", "spam_enrichment"} <= operations
    assert body["total_calls"] == sum(item["calls"] for item in body["items"])
    assert body["total_cost_usd"] == pytest.approx(subscription["usage"]["dataforseo_cost_usd"], abs=1e-4)


@pytest.mark.parametrize("month", ["2026-13", "2026/12", "december"])
def test_usage_rejects_bad_month(api, month):
    response = api.get("/v1/teams/current/usage", params={"month": month})

    assert response.status_code in (400, 422)
    assert month in response.text


def test_usage_of_past_month_is_empty(api):
    body = api.get("/v1/teams/current/usage", params={"month": "2020-01"}).json()

    assert body == {
        "team_id": "local",
        "month": "2020-01",
        "total_cost_usd": 0.0,
        "total_calls": 0,
        "items": [],
    }


# Limits --------------------------------------------------------------------------------------------


def test_daily_lookup_limit_is_429(runtime, team_store, emulator):
    tier = teams.TIERS["starter"]
    day = teams.day_of(now())
    with team_client(runtime, "daily-team", tier="starter") as client:
        for _ in range(tier.lookups_per_day - 1):
            team_store.take_daily_slot("daily-team", day, teams.LOOKUPS_COUNTER, tier.lookups_per_day)
        last = client.post(
            "/v1/backlinks/by-domain/daily-last-example.com/pull", json={"full_analysis": False}
        )
        assert last.status_code == 202, last.text
        wait_for_job(client, last.json()["job"]["job_id"])
        calls_before = emulator.call_counts()["total"]

        rejected = client.post(
            "/v1/backlinks/by-domain/daily-over-example.com/pull", json={"full_analysis": False}
        )

        assert rejected.status_code == 429
        body = rejected.json()
        resets_at = teams.next_day_start(now()).isoformat()
        assert body["error"] == "daily_limit_exceeded"
        assert body["details"] == {
            "limit_name": "lookups_per_day",
            "limit": 25,
            "usage": 25,
            "resets_at": resets_at,
        }
        assert resets_at in body["message"]
        assert 0 < int(rejected.headers["Retry-After"]) <= 86_400
        assert emulator.call_counts()["total"] == calls_before
        assert client.get("/v1/backlinks/by-domain/daily-over-example.com").status_code == 404
        usage = client.get("/v1/teams/current/backlinks-subscription").json()["usage"]
        assert usage["lookups_today"] == 25


def test_refresh_size_over_tier_is_402(runtime):
    with team_client(runtime, "small-team", tier="starter") as client:
        response = client.post("/v1/backlinks/by-domain/example.com/pull", json={"limit": 5000})
        usage = client.get("/v1/teams/current/backlinks-subscription").json()["usage"]

    assert response.status_code == 402
    assert response.json()["error"] == "plan_limit_exceeded"
    assert response.json()["details"] == {
        "limit_name": "referring_domains_per_refresh",
        "limit": 2000,
        "usage": 5000,
        "resets_at": None,
    }
    assert usage["lookups_today"] == 0


def test_budget_refuses_before_vendor_call(runtime, team_store, emulator):
    estimate = budget.estimate_pull_cost(2000, full_analysis=True)
    with team_client(runtime, "budget-team", tier="starter") as client:
        team_store.add_spend("budget-team", teams.month_of(now()), 20.0 - estimate / 2)

        response = client.post(
            "/v1/backlinks/by-domain/budget-example.com/pull", json={"limit": 2000, "full_analysis": True}
        )
        usage = client.get("/v1/teams/current/backlinks-subscription").json()["usage"]

    assert response.status_code == 402
    body = response.json()
    assert body["error"] == "budget_exceeded"
    assert body["details"]["limit_name"] == "monthly_dataforseo_budget_usd"
    assert body["details"]["limit"] == 20.0
    assert body["details"]["usage"] == pytest.approx(20.0 - estimate / 2, abs=1e-5)
    assert body["details"]["estimated_cost"] == estimate
    assert body["details"]["resets_at"] == teams.next_month_start(now()).isoformat()
    assert emulator.call_counts()["total"] == 0
    assert usage["lookups_today"] == 0


# Provider status -----------------------------------------------------------------------------------


def test_access_denied_flips_status_until_probe_restores(api, emulator):
    emulator.inject_fault(endpoint="summary", kind="status", code=40204, count=100)

    failed = pull(api, "denied-flip-example.com", full_analysis=False)

    assert failed["state"] == "failed"
    provider_status = api.get("/v1/teams/current/backlinks-subscription").json()["provider"]
    assert provider_status["backlinks_subscription"] == "inactive"
    assert provider_status["reason"] == failed["error"]
    assert "40204" in provider_status["reason"]
    calls = emulator.call_counts()["total"]

    rejected = api.post("/v1/backlinks/by-domain/denied-next-example.com/pull", json={"full_analysis": False})

    assert rejected.status_code == 503
    assert rejected.json()["error"] == "provider_unavailable"
    assert rejected.json()["details"]["reason"] == provider_status["reason"]
    assert emulator.call_counts()["total"] == calls

    emulator.clear_faults()
    restore_provider()

    restored = api.get("/v1/teams/current/backlinks-subscription").json()["provider"]
    assert restored["backlinks_subscription"] == "active"
    assert restored["reason"] is None
    assert pull(api, "denied-next-example.com", full_analysis=False)["state"] == "done"
