"""DataForSEO account status: the gate before vendor calls and the probe that restores it.

A 40204 (no Backlinks subscription) or an account error (40100 bad credentials, 40200 payment and
the like) marks the provider inactive with a reason (logic/jobs.note_provider_status). While it is
inactive, new pulls and enrichments are rejected with 503 and workers fail queued jobs with the
stored reason instead of calling the vendor. The scheduled probe makes one call while the status is
inactive, and marks it active again when that call succeeds.
"""

from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.errors import AccountError, DataForSEOError, SubscriptionInactiveError
from backlinks.errors import ProviderUnavailableError
from backlinks.logic import jobs
from backlinks.observability import logger
from backlinks.services import Services

ACTIVE = "active"
INACTIVE = "inactive"
# The usage ledger of the probe's calls. No team can have this id, because team ids start with a letter or digit.
PROBE_TEAM_ID = "_provider-probe"
PROBE_TARGET = "dataforseo.com"


def provider_status(services: Services) -> dict:
    """Return {"name", "backlinks_subscription", "reason", "changed_at"}; active until a failed call marks it inactive."""
    item = services.store.get_provider_status() or {}
    return {
        "name": "dataforseo",
        "backlinks_subscription": item.get("status", ACTIVE),
        "reason": item.get("reason"),
        "changed_at": item.get("changed_at"),
    }


def inactive_reason(services: Services) -> str | None:
    """Return the stored reason when the provider is inactive, else None."""
    status = provider_status(services)
    if status["backlinks_subscription"] == ACTIVE:
        return None
    return status["reason"] or "the DataForSEO account is inactive"


def require_provider_active(services: Services) -> None:
    """Raise ProviderUnavailableError (503) while the provider is inactive."""
    reason = inactive_reason(services)
    if reason is not None:
        raise ProviderUnavailableError(
            f"DataForSEO is unavailable for this service: {reason}", provider="dataforseo", reason=reason
        )


def run_probe(services: Services) -> dict:
    """Probe the vendor when the status is inactive and mark it active on success.

    Returns {"probed": bool, "status": ...}. An active status is left alone, so the probe costs
    nothing while the vendor accepts calls. Credentials never appear in the returned reason.
    """
    before = provider_status(services)
    if before["backlinks_subscription"] == ACTIVE:
        return {"probed": False, "status": ACTIVE}
    context = CallContext(team_id=PROBE_TEAM_ID, operation="provider_probe", target=PROBE_TARGET)
    try:
        services.dataforseo().summary(PROBE_TARGET, context=context)
    except (SubscriptionInactiveError, AccountError) as error:
        jobs.note_provider_status(services, error)
        logger.warning("provider_probe_refused", extra={"code": error.code})
        return {"probed": True, "status": INACTIVE, "reason": jobs.vendor_failure_reason(error)}
    except DataForSEOError as error:
        # A timeout or a server error says nothing about the subscription, so the status is kept.
        logger.warning("provider_probe_failed", extra={"error": str(error)})
        return {"probed": True, "status": INACTIVE, "reason": before["reason"]}
    services.store.set_provider_status(ACTIVE, None, services.clock())
    logger.info("provider_active_again", extra={"previous_reason": before["reason"]})
    return {"probed": True, "status": ACTIVE}
