"""DataForSEO Backlinks API: the HTTP client, its errors and the result models."""

from backlinks.dataforseo.client import CallContext, CallRecord, DataForSEOClient
from backlinks.dataforseo.errors import (
    AccountError,
    DataForSEOError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    SubscriptionInactiveError,
    TransportError,
)
from backlinks.dataforseo.models import (
    Backlink,
    BacklinksPage,
    ReferringDomain,
    ReferringDomainsCollection,
    ReferringDomainsPage,
    SpamScoreItem,
    Summary,
)

__all__ = [
    "AccountError",
    "Backlink",
    "BacklinksPage",
    "CallContext",
    "CallRecord",
    "DataForSEOClient",
    "DataForSEOError",
    "RateLimitedError",
    "ReferringDomain",
    "ReferringDomainsCollection",
    "ReferringDomainsPage",
    "RequestRejectedError",
    "ServerError",
    "SpamScoreItem",
    "SubscriptionInactiveError",
    "Summary",
    "TransportError",
]
