"""DataForSEO cost estimates, the monthly budget guard and the usage report.

Estimates use the vendor's sample prices: $0.02 per call plus $0.00003 per returned item, derived
from the cost fields of DataForSEO's published response examples. The real charge is the `cost` of
each response, which the usage ledger records. Estimates are upper bounds: a pull assumes every
requested referring domain exists and, with full analysis, that none has a cached spam score.
"""

import math
from collections import defaultdict
from datetime import timedelta

from backlinks.errors import BudgetExceededError, InvalidParameterError
from backlinks.logic import teams
from backlinks.models.records import DataView
from backlinks.services import Services

COST_PER_CALL_USD = 0.02
COST_PER_ITEM_USD = 0.00003
ITEMS_PER_PAGE = 1000  # referring_domains returns at most 1000 items a call
DOMAINS_PER_SPAM_CALL = 1000  # bulk_spam_score accepts at most 1000 targets a call


def calls_cost(calls: int, items: int) -> float:
    return round(calls * COST_PER_CALL_USD + items * COST_PER_ITEM_USD, 5)


def estimate_enrichment_cost(stale_domains: int) -> float:
    """Estimate ceil(stale / 1000) bulk_spam_score calls. Domains with a fresh cached score cost nothing."""
    return calls_cost(math.ceil(stale_domains / DOMAINS_PER_SPAM_CALL), stale_domains)


def estimate_pull_cost(limit: int, *, full_analysis: bool) -> float:
    """Estimate one summary call plus ceil(limit / 1000) pages, and with full analysis the enrichment of all."""
    cost = calls_cost(1, 1) + calls_cost(math.ceil(limit / ITEMS_PER_PAGE), limit)
    if full_analysis:
        cost += estimate_enrichment_cost(limit)
    return round(cost, 5)


def count_stale_domains(services: Services, view: DataView) -> int:
    """Count the view's referring domains without a spam score younger than the recheck age."""
    store = services.store
    now = services.clock()
    max_age = timedelta(days=services.settings.score_max_age_days)
    domains = list(store.iter_referring_domain_names(view.scope, view.generation))
    cached = store.get_spam_scores(domains)
    return sum(1 for d in domains if d not in cached or now - cached[d].checked_at >= max_age)


def check_budget(services: Services, team_id: str, estimated_cost: float) -> float:
    """Raise BudgetExceededError (402) when the estimate exceeds the rest of this month's budget.

    Returns the remaining budget before the request. Reads one item: the month's running total.
    NOTE: two requests checked at the same moment can both pass; the overshoot is at most their
    estimates, because the check is not a reservation.
    """
    tier = teams.require_active_subscription(services, team_id)
    now = services.clock()
    spent = teams.team_store(services).get_spend(team_id, teams.month_of(now))
    remaining = round(tier.monthly_budget_usd - spent, 5)
    if estimated_cost > remaining:
        resets_at = teams.next_month_start(now).isoformat()
        raise BudgetExceededError(
            f"estimated DataForSEO cost ${estimated_cost:.5f} exceeds the ${max(remaining, 0):.5f} left of "
            f"this month's ${tier.monthly_budget_usd:.2f} budget; the budget resets at {resets_at}",
            limit_name="monthly_dataforseo_budget_usd",
            limit=tier.monthly_budget_usd,
            usage=round(spent, 5),
            resets_at=resets_at,
            estimated_cost=estimated_cost,
        )
    return remaining


def usage_report(services: Services, team_id: str, month: str | None) -> dict:
    """Sum the team's usage ledger of one month by UTC day and operation."""
    month = month or teams.month_of(services.clock())
    if (
        len(month) != 7
        or month[4] != "-"
        or not (month[:4] + month[5:]).isdigit()
        or not 1 <= int(month[5:]) <= 12
    ):
        raise InvalidParameterError("month", month, "expected a calendar month as YYYY-MM")
    groups: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"calls": 0, "cost_usd": 0.0, "failed_calls": 0}
    )
    total_cost = 0.0
    for entry in services.store.list_usage(team_id, month):
        day = str(entry["sk"])[:10]
        group = groups[(day, entry.get("operation") or "unknown")]
        cost = float(entry.get("cost") or 0)
        group["calls"] += 1
        group["cost_usd"] += cost
        if entry.get("status_code") != 20000:
            group["failed_calls"] += 1
        total_cost += cost
    items = [
        {"day": day, "operation": operation, **values, "cost_usd": round(values["cost_usd"], 5)}
        for (day, operation), values in sorted(groups.items())
    ]
    return {
        "team_id": team_id,
        "month": month,
        "total_cost_usd": round(total_cost, 5),
        "total_calls": sum(item["calls"] for item in items),
        "items": items,
    }
