"""Tokens, tiers, time windows, cost estimates and the authorizer's policy, as plain functions."""

import re
from datetime import UTC, datetime

import pytest

from backlinks.errors import InvalidParameterError, UnauthorizedError
from backlinks.handlers.authorizer import api_wide_resource, policy
from backlinks.logic import budget, teams

pytestmark = pytest.mark.usefixtures("socket_disabled")


class FakeTokenStore:
    """The one TeamStore method that authenticate reads, over a dict of token items."""

    def __init__(self, items: dict[str, dict]) -> None:
        self.items = items
        self.reads: list[str] = []

    def get_token(self, token_id: str) -> dict | None:
        self.reads.append(token_id)
        return self.items.get(token_id)


def issued(team_id: str = "acme", revoked: bool = False) -> tuple[str, FakeTokenStore]:
    token_id, token = teams.new_token()
    item = {"team_id": team_id, "token_id": token_id, "token_hash": teams.hash_token(token)}
    if revoked:
        item["revoked_at"] = "2026-12-01T00:00:00+00:00"
    return token, FakeTokenStore({token_id: item})


def test_new_token_has_visible_prefix_and_secret():
    token_id, token = teams.new_token()

    match = teams.TOKEN_PATTERN.match(token)
    assert match is not None
    assert match.group(1) == token_id
    assert token.startswith(f"blk_{token_id}_")
    assert len(match.group(2)) == 43  # 32 random bytes, URL-safe base64 without padding


def test_new_tokens_differ():
    tokens = {teams.new_token()[1] for _ in range(50)}
    assert len(tokens) == 50


def test_hash_token_is_sha256_hex():
    assert teams.hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_authenticate_returns_team_of_token():
    token, store = issued("acme")

    caller = teams.authenticate(store, f"Bearer {token}")

    assert caller.team_id == "acme"
    assert store.reads == [caller.token_id]


def test_authenticate_accepts_lowercase_scheme():
    token, store = issued("acme")
    assert teams.authenticate(store, f"bearer {token}").team_id == "acme"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing bearer token: send Authorization: Bearer <token>"),
        ("", "missing bearer token: send Authorization: Bearer <token>"),
        ("Basic dXNlcjpwYXNz", "missing bearer token: send Authorization: Bearer <token>"),
        ("Bearer", "missing bearer token: send Authorization: Bearer <token>"),
        ("Bearer not-a-token", "malformed API token"),
        ("Bearer blk_0123456789ab_short", "malformed API token"),
    ],
)
def test_authenticate_rejects_bad_headers(header, message):
    _token, store = issued()

    with pytest.raises(UnauthorizedError) as raised:
        teams.authenticate(store, header)

    assert raised.value.message == message
    assert store.reads == []


def test_authenticate_rejects_unknown_token():
    _token, store = issued()
    _other_id, other = teams.new_token()

    with pytest.raises(UnauthorizedError) as raised:
        teams.authenticate(store, f"Bearer {other}")

    assert raised.value.message == "unknown API token"


def test_authenticate_rejects_wrong_secret_for_known_id():
    token, store = issued()
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(UnauthorizedError) as raised:
        teams.authenticate(store, f"Bearer {forged}")

    assert raised.value.message == "unknown API token"


def test_authenticate_reports_revoked_token():
    token, store = issued(revoked=True)

    with pytest.raises(teams.TokenRevokedError):
        teams.authenticate(store, f"Bearer {token}")


@pytest.mark.parametrize("team_id", ["acme", "local", "team-42", "a" * 40])
def test_valid_team_ids(team_id):
    assert teams.validate_team_id(team_id) == team_id


@pytest.mark.parametrize("team_id", ["ab", "Acme", "-acme", "acme-", "a_b_c", "a" * 41, "_provider-probe"])
def test_invalid_team_ids(team_id):
    with pytest.raises(InvalidParameterError) as raised:
        teams.validate_team_id(team_id)
    assert raised.value.details["value"] == team_id


def test_unknown_tier_is_named():
    with pytest.raises(InvalidParameterError) as raised:
        teams.tier_named("gold")
    assert raised.value.message == "invalid tier 'gold': expected one of starter, pro, agency"


def test_tiers_grow_with_price():
    starter, pro, agency = teams.TIERS["starter"], teams.TIERS["pro"], teams.TIERS["agency"]
    assert starter.projects < pro.projects < agency.projects
    assert starter.lookups_per_day < pro.lookups_per_day < agency.lookups_per_day
    assert starter.monthly_budget_usd < pro.monthly_budget_usd < agency.monthly_budget_usd
    assert agency.referring_domains_per_refresh == 10_000  # the maximum limit of a pull


@pytest.mark.parametrize(
    ("now", "day", "next_day", "next_month"),
    [
        (
            datetime(2026, 12, 4, 20, 0, tzinfo=UTC),
            "2026-12-04",
            "2026-12-05T00:00:00+00:00",
            "2027-01-01T00:00:00+00:00",
        ),
        (
            datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
            "2026-01-31",
            "2026-02-01T00:00:00+00:00",
            "2026-02-01T00:00:00+00:00",
        ),
    ],
)
def test_time_windows_are_utc(now, day, next_day, next_month):
    assert teams.day_of(now) == day
    assert teams.next_day_start(now).isoformat() == next_day
    assert teams.next_month_start(now).isoformat() == next_month


def test_pull_estimate_counts_summary_pages_and_items():
    # summary (1 call, 1 item) + 3 pages with 2500 items
    assert budget.estimate_pull_cost(2500, full_analysis=False) == pytest.approx(0.02003 + 0.06 + 0.075)


def test_pull_estimate_with_full_analysis_adds_enrichment():
    # plus 3 bulk_spam_score calls for 2500 domains
    assert budget.estimate_pull_cost(2500, full_analysis=True) == pytest.approx(0.15503 + 0.06 + 0.075)


@pytest.mark.parametrize(("stale", "expected"), [(0, 0.0), (1, 0.02003), (1000, 0.05), (1001, 0.07003)])
def test_enrichment_estimate_is_one_call_per_thousand(stale, expected):
    assert budget.estimate_enrichment_cost(stale) == pytest.approx(expected)


def test_api_wide_resource_covers_stage():
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/v1/jobs/42"
    assert api_wide_resource(arn) == "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*"


def test_api_wide_resource_rejects_garbage():
    with pytest.raises(ValueError, match="invalid methodArn"):
        api_wide_resource("not-an-arn")


def test_allow_policy_carries_team():
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/v1/jobs/42"

    document = policy("acme", "Allow", arn, {"team_id": "acme", "token_id": "0123456789ab"})

    assert document == {
        "principalId": "acme",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*",
                }
            ],
        },
        "context": {"team_id": "acme", "token_id": "0123456789ab"},
    }


def test_token_view_never_shows_hash():
    view = teams.token_view(
        {
            "token_id": "0123456789ab",
            "token_hash": "f" * 64,
            "name": "ci",
            "created_at": "2026-12-04T00:00:00+00:00",
        }
    )
    assert view == {
        "token_id": "0123456789ab",
        "prefix": "blk_0123456789ab",
        "name": "ci",
        "created_at": "2026-12-04T00:00:00+00:00",
        "revoked_at": None,
        "active": True,
    }
    assert not re.search("f{64}", str(view))
