"""Teams: API tokens, subscription tiers and the limit checks that run before work starts.

A token is "blk_<token_id>_<secret>". Only its SHA-256 hash is stored, under the token id, so the
authorizer reads one item and compares hashes in constant time. The token id is the visible prefix
that lists show; the secret is shown once, when the token is created.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from backlinks.dal.teams import TeamStore
from backlinks.errors import (
    DailyLimitError,
    InvalidParameterError,
    NotFoundError,
    PlanLimitError,
    SubscriptionRequiredError,
    UnauthorizedError,
)
from backlinks.observability import logger
from backlinks.services import Services

TOKEN_PREFIX = "blk_"
TOKEN_PATTERN = re.compile(r"^blk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
TEAM_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
TOKEN_NAME_MAX = 100
LOOKUPS_COUNTER = "lookups"


@dataclass(frozen=True)
class Tier:
    """Limits of a subscription tier. Budgets are in USD of DataForSEO cost per calendar month (UTC)."""

    projects: int
    referring_domains_per_refresh: int
    lookups_per_day: int
    monthly_budget_usd: float


# A full pull of 10,000 referring domains with enrichment costs an estimated $1.03 at the vendor's
# sample prices ($0.02 a call and $0.00003 an item), so "pro" covers about 190 such pulls a month.
# NOTE: starting values for the product, not derived from customer usage.
TIERS: dict[str, Tier] = {
    "starter": Tier(
        projects=3, referring_domains_per_refresh=2000, lookups_per_day=25, monthly_budget_usd=20.0
    ),
    "pro": Tier(
        projects=25, referring_domains_per_refresh=10_000, lookups_per_day=200, monthly_budget_usd=200.0
    ),
    "agency": Tier(
        projects=100, referring_domains_per_refresh=10_000, lookups_per_day=1000, monthly_budget_usd=1000.0
    ),
}

ACTIVE = "active"


def team_store(services: Services) -> TeamStore:
    return TeamStore(services.store.table_name)


# Time windows ----------------------------------------------------------------------------------


def day_of(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def month_of(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def next_day_start(now: datetime) -> datetime:
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1)


def next_month_start(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


# Tokens ------------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return (token_id, token): a random id of 12 hex digits and a 256-bit URL-safe secret."""
    token_id = secrets.token_hex(6)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def token_view(item: dict) -> dict:
    return {
        "token_id": item["token_id"],
        "prefix": f"{TOKEN_PREFIX}{item['token_id']}",
        "name": item.get("name") or "",
        "created_at": item["created_at"],
        "revoked_at": item.get("revoked_at"),
        "active": not item.get("revoked_at"),
    }


def create_token(store: TeamStore, team_id: str, name: str, now: datetime) -> tuple[dict, str]:
    """Create a token for the team. Returns its listing entry and the token, which is never stored."""
    if len(name) > TOKEN_NAME_MAX:
        raise InvalidParameterError("name", name, f"at most {TOKEN_NAME_MAX} characters")
    token_id, token = new_token()
    store.put_token(team_id, token_id, hash_token(token), name, now)
    logger.info("token_created", extra={"team_id": team_id, "token_id": token_id})
    entry = {"token_id": token_id, "name": name, "created_at": now.isoformat(), "revoked_at": None}
    return token_view(entry), token


def list_tokens(services: Services, team_id: str) -> list[dict]:
    return [token_view(item) for item in team_store(services).list_tokens(team_id)]


def revoke_token(services: Services, team_id: str, token_id: str) -> dict:
    store = team_store(services)
    if not re.fullmatch(r"[0-9a-f]{12}", token_id) or not store.revoke_token(
        team_id, token_id, services.clock()
    ):
        # The same error for an unknown token and another team's token, so token ids do not leak.
        raise NotFoundError(f"token {token_id!r} not found")
    logger.info("token_revoked", extra={"team_id": team_id, "token_id": token_id})
    item = next(item for item in store.list_tokens(team_id) if item["token_id"] == token_id)
    return token_view(item)


@dataclass(frozen=True)
class Caller:
    team_id: str
    token_id: str


class TokenRevokedError(Exception):
    """The token exists but was revoked, which API Gateway reports as 403 rather than 401."""


def authenticate(store: TeamStore, authorization: str | None) -> Caller:
    """Resolve an Authorization header ("Bearer blk_...") to its team.

    Raises UnauthorizedError for a missing, malformed or unknown token and TokenRevokedError for a
    revoked one. Never logs or returns the token.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise UnauthorizedError("missing bearer token: send Authorization: Bearer <token>")
    match = TOKEN_PATTERN.match(token)
    if match is None:
        raise UnauthorizedError("malformed API token")
    token_id = match.group(1)
    item = store.get_token(token_id)
    # A constant-time comparison, so response times reveal nothing about how much of a hash matched.
    matches = hmac.compare_digest((item or {}).get("token_hash") or "", hash_token(token))
    if item is None or not matches:
        raise UnauthorizedError("unknown API token")
    if item.get("revoked_at"):
        raise TokenRevokedError(token_id)
    return Caller(team_id=item["team_id"], token_id=token_id)


# Teams and subscriptions -------------------------------------------------------------------------


def validate_team_id(team_id: str) -> str:
    if not TEAM_ID_PATTERN.match(team_id):
        raise InvalidParameterError(
            "team_id",
            team_id,
            "use 3-40 lowercase letters, digits and hyphens, not starting or ending with one",
        )
    return team_id


def tier_named(name: str) -> Tier:
    if name not in TIERS:
        raise InvalidParameterError("tier", name, f"expected one of {', '.join(TIERS)}")
    return TIERS[name]


def create_team(
    store: TeamStore, team_id: str, *, tier: str, now: datetime, name: str = ""
) -> tuple[dict, str]:
    """Create a team with an active subscription of `tier` and its first token.

    Returns the token's listing entry and the token. Raises TeamExistsError for a taken id.
    """
    validate_team_id(team_id)
    tier_named(tier)
    store.create_team(team_id, name or team_id, tier, now)
    logger.info("team_created", extra={"team_id": team_id, "tier": tier})
    return create_token(store, team_id, "initial", now)


def subscription_tier(services: Services, team_id: str) -> tuple[dict, Tier]:
    """Return the team's active subscription and its tier; SubscriptionRequiredError (402) otherwise."""
    subscription = team_store(services).get_subscription(team_id)
    if subscription is None:
        raise SubscriptionRequiredError(
            f"team {team_id!r} has no backlinks subscription; ask an operator to create one",
            limit_name="subscription",
            limit=ACTIVE,
            usage="missing",
            resets_at=None,
        )
    if subscription.get("status") != ACTIVE:
        raise SubscriptionRequiredError(
            f"the backlinks subscription of team {team_id!r} is {subscription.get('status')}; "
            "reactivate it to use the API",
            limit_name="subscription",
            limit=ACTIVE,
            usage=subscription.get("status"),
            resets_at=None,
        )
    return subscription, TIERS[subscription["tier"]]


def require_active_subscription(services: Services, team_id: str) -> Tier:
    return subscription_tier(services, team_id)[1]


def check_project_limit(services: Services, team_id: str) -> None:
    """Raise PlanLimitError (402) when the team already has as many projects as its tier allows."""
    tier = require_active_subscription(services, team_id)
    count = team_store(services).count_projects(team_id)
    if count >= tier.projects:
        raise PlanLimitError(
            f"project limit reached: {count} of {tier.projects} projects exist; delete one or upgrade the tier",
            limit_name="projects",
            limit=tier.projects,
            usage=count,
            resets_at=None,
        )


def check_refresh_size(services: Services, team_id: str, referring_domains: int) -> None:
    """Raise PlanLimitError (402) when a pull or refresh requests more referring domains than the tier allows."""
    tier = require_active_subscription(services, team_id)
    if referring_domains > tier.referring_domains_per_refresh:
        raise PlanLimitError(
            f"limit of {referring_domains} referring domains exceeds the tier's "
            f"{tier.referring_domains_per_refresh} per refresh; ask for fewer or upgrade the tier",
            limit_name="referring_domains_per_refresh",
            limit=tier.referring_domains_per_refresh,
            usage=referring_domains,
            resets_at=None,
        )


def take_lookup_slot(services: Services, team_id: str) -> str:
    """Count one lookup against today's limit. Returns the day, for release_lookup_slot.

    Raises DailyLimitError (429) when the team used all of today's lookups; nothing is counted then.
    """
    tier = require_active_subscription(services, team_id)
    now = services.clock()
    day = day_of(now)
    if team_store(services).take_daily_slot(team_id, day, LOOKUPS_COUNTER, tier.lookups_per_day) is None:
        resets_at = next_day_start(now).isoformat()
        raise DailyLimitError(
            f"daily lookup limit reached: {tier.lookups_per_day} of {tier.lookups_per_day} lookups used "
            f"today; the limit resets at {resets_at}",
            limit_name="lookups_per_day",
            limit=tier.lookups_per_day,
            usage=tier.lookups_per_day,
            resets_at=resets_at,
        )
    return day


def release_lookup_slot(services: Services, team_id: str, day: str) -> None:
    team_store(services).release_daily_slot(team_id, day, LOOKUPS_COUNTER)


def subscription_view(services: Services, team_id: str, provider: dict) -> dict:
    """Describe the team's subscription: tier, status, limits, this month's usage and the provider."""
    store = team_store(services)
    subscription = store.get_subscription(team_id)
    now = services.clock()
    if subscription is None:
        return {
            "team_id": team_id,
            "tier": None,
            "status": "missing",
            "limits": None,
            "usage": None,
            "provider": provider,
        }
    tier = TIERS[subscription["tier"]]
    spent = store.get_spend(team_id, month_of(now))
    return {
        "team_id": team_id,
        "tier": subscription["tier"],
        "status": subscription["status"],
        "limits": asdict(tier),
        "usage": {
            "month": month_of(now),
            "dataforseo_cost_usd": round(spent, 5),
            "budget_remaining_usd": round(max(tier.monthly_budget_usd - spent, 0.0), 5),
            "budget_resets_at": next_month_start(now).isoformat(),
            "lookups_today": store.get_daily_count(team_id, day_of(now), LOOKUPS_COUNTER),
            "lookups_reset_at": next_day_start(now).isoformat(),
            "projects": store.count_projects(team_id),
        },
        "provider": provider,
    }
