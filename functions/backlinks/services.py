"""Dependencies of the logic on the outside world, built once per cold start and passed in.

Tests build a Services with their own store, clock or DataForSEO client instead of patching.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from backlinks.dal.secrets import read_dataforseo_credentials
from backlinks.dal.store import Store
from backlinks.dal.teams import TeamStore
from backlinks.dataforseo.client import CallRecord, DataForSEOClient
from backlinks.models.records import utc_now
from backlinks.observability import logger
from backlinks.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    clock: Callable[[], datetime] = utc_now
    dataforseo_factory: Callable[["Services"], DataForSEOClient] | None = None
    _dataforseo: DataForSEOClient | None = field(default=None, init=False, repr=False)

    def dataforseo(self) -> DataForSEOClient:
        """Return the process's DataForSEO client, created on first use."""
        if self._dataforseo is None:
            factory = self.dataforseo_factory or build_dataforseo_client
            self._dataforseo = factory(self)
        return self._dataforseo

    def dataforseo_for_api(self) -> DataForSEOClient:
        """Return the client with the timeout and retries of calls made while an API caller waits."""
        settings = self.settings
        return self.dataforseo().with_limits(
            timeout=min(settings.dfs_timeout_seconds, settings.dfs_request_timeout_seconds),
            max_retries=min(settings.dfs_max_retries, settings.dfs_request_max_retries),
        )


def record_call_cost(store: Store, record: CallRecord) -> None:
    """Write a DataForSEO call's cost to the usage ledger of the team that caused it."""
    context = record.context
    now = utc_now()
    store.record_usage(
        context.team_id,
        at=now,
        operation=context.operation,
        endpoint=record.endpoint,
        cost=record.cost,
        status_code=record.status_code,
        target=context.target,
        job_id=context.job_id,
        project_id=context.project_id,
    )
    # The month's running total is what the budget guard reads, one item instead of the ledger.
    TeamStore(store.table_name).add_spend(context.team_id, now.strftime("%Y-%m"), record.cost)
    logger.info(
        "dataforseo_call",
        extra={
            "team_id": context.team_id,
            "operation": context.operation,
            "endpoint": record.endpoint,
            "target": context.target,
            "job_id": context.job_id,
            "cost": record.cost,
            "status_code": record.status_code,
            "duration_ms": record.duration_ms,
        },
    )


def build_dataforseo_client(services: Services) -> DataForSEOClient:
    settings = services.settings
    if settings.dfs_secret_arn:
        login, password = read_dataforseo_credentials(settings.dfs_secret_arn)
    elif settings.dfs_login and settings.dfs_password:
        login, password = settings.dfs_login.get_secret_value(), settings.dfs_password.get_secret_value()
    else:
        raise RuntimeError(
            "DataForSEO credentials are not configured: set DFS_SECRET_ARN or DFS_LOGIN and DFS_PASSWORD"
        )
    return DataForSEOClient(
        str(settings.dfs_base_url).rstrip("/"),
        login,
        password,
        timeout=settings.dfs_timeout_seconds,
        max_retries=settings.dfs_max_retries,
        on_call=lambda record: record_call_cost(services.store, record),
    )


def build_services(settings: Settings) -> Services:
    return Services(settings=settings, store=Store(settings.table_name))
