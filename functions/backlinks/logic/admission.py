"""Checks that run before a request may spend DataForSEO credit, in the order a user can act on them.

Each check raises before anything is created or queued, so a refused request leaves no job, no
message and no counted lookup behind.
"""

from backlinks.logic import budget, provider, teams
from backlinks.models.records import DataView
from backlinks.services import Services


def admit_pull(services: Services, team_id: str, *, limit: int, full_analysis: bool) -> str:
    """Check tier, provider and budget for a lookup pull, then count it against today's lookups.

    Returns the day the lookup was counted on, for teams.release_lookup_slot if queueing fails.
    """
    teams.check_refresh_size(services, team_id, limit)
    provider.require_provider_active(services)
    budget.check_budget(services, team_id, budget.estimate_pull_cost(limit, full_analysis=full_analysis))
    return teams.take_lookup_slot(services, team_id)


def admit_enrichment(services: Services, view: DataView) -> float:
    """Check provider and budget for enriching a view's stale domains. Returns the estimated cost."""
    team_id = view.scope.team_id
    teams.require_active_subscription(services, team_id)
    provider.require_provider_active(services)
    estimate = budget.estimate_enrichment_cost(budget.count_stale_domains(services, view))
    budget.check_budget(services, team_id, estimate)
    return estimate


def admit_timeseries(services: Services, team_id: str, *, periods: int) -> float:
    """Check subscription, provider and budget for one time series call of `periods` items.

    Returns the estimated cost.
    """
    teams.require_active_subscription(services, team_id)
    provider.require_provider_active(services)
    estimate = budget.calls_cost(1, periods)
    budget.check_budget(services, team_id, estimate)
    return estimate
