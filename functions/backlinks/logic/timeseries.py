"""Velocity time series: backlinks and referring domains gained and lost per day, week or month.

The counts come from DataForSEO's backlinks/timeseries_new_lost_summary/live, not from the event log,
so a target has a history before its first pull. One call fetches the whole window of a granularity,
the last 12 months up to today (UTC), and the series is cached for that UTC day in an item that every
team shares. A request with date_from or date_to receives the periods of that series that overlap its
range. Weeks run from Monday to Sunday, and every period carries its last day as its date, the way
the vendor dates its items.
"""

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from backlinks.dal.timeseries import TimeseriesCache
from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.errors import AccountError, DataForSEOError, SubscriptionInactiveError
from backlinks.dataforseo.models import TimeseriesNewLostItem
from backlinks.errors import InvalidParameterError, ProviderCallError, ProviderUnavailableError, ServiceError
from backlinks.logic import admission, jobs
from backlinks.models.timeseries import PeriodCounts, Series
from backlinks.observability import logger
from backlinks.services import Services

GROUP_RANGES = {"daily": "day", "weekly": "week", "monthly": "month"}
"""The API's granularities and the vendor's group_range for each."""
DEFAULT_GRANULARITY = "monthly"
WINDOW_MONTHS = 12  # including the current, partial month
WINDOW_WEEKS = 52  # including the current, partial week
WINDOW_DAYS = 365  # including today
# An item serves one UTC day and expires 2 days after its fetch. Reads find it by the day in its
# key, so DynamoDB deleting an expired item late never serves an old series.
CACHE_TTL = timedelta(days=2)
SOURCE = "dataforseo:timeseries_new_lost_summary"
OPERATION = "timeseries"
_DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


# Period maths ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One day, week (Monday to Sunday) or calendar month. `end` is also the vendor's item date."""

    start: date
    end: date


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_of(day: date, granularity: str) -> Period:
    """Return the whole day, week or month that contains `day`."""
    if granularity == "daily":
        return Period(day, day)
    if granularity == "weekly":
        # NOTE: DataForSEO's docs do not say which weekday ends its weeks. Sunday is an assumption,
        # shared with the local emulator. An item dated on another day still counts in its week.
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    if granularity == "monthly":
        return Period(day.replace(day=1), _first_of_next_month(day) - timedelta(days=1))
    raise ValueError(f"invalid granularity {granularity!r}: expected one of {', '.join(GROUP_RANGES)}")


def window_start(today: date, granularity: str) -> date:
    """Return the first day of the window that ends today: 12 months, 52 weeks or 365 days."""
    if granularity == "daily":
        return today - timedelta(days=WINDOW_DAYS - 1)
    if granularity == "weekly":
        return period_of(today, "weekly").start - timedelta(weeks=WINDOW_WEEKS - 1)
    if granularity == "monthly":
        # Months counted from year 0, so that going back across a year boundary is one subtraction.
        first_month = today.year * 12 + today.month - 1 - (WINDOW_MONTHS - 1)
        return date(first_month // 12, first_month % 12 + 1, 1)
    raise ValueError(f"invalid granularity {granularity!r}: expected one of {', '.join(GROUP_RANGES)}")


def window_periods(today: date, granularity: str) -> list[Period]:
    """Return the whole periods of the window that ends today, oldest first.

    The last period is the one still running, so it may end after today.
    """
    periods = []
    cursor = window_start(today, granularity)
    while cursor <= today:
        period = period_of(cursor, granularity)
        periods.append(period)
        cursor = period.end + timedelta(days=1)
    return periods


def fill_periods(
    periods: list[Period], vendor_items: Iterable[TimeseriesNewLostItem], *, target: str
) -> list[PeriodCounts]:
    """Add up the vendor's items per period. A period without an item keeps zero counts.

    Each item goes to the period that contains its date, so an item dated on another day than the
    period's last one still counts (with a warning). Items without a date or outside every period
    are left out with a warning, because no period can contain them.
    """
    starts = [period.start for period in periods]
    counts = [PeriodCounts(date=period.end) for period in periods]
    for item in vendor_items:
        if item.date is None:
            logger.warning("timeseries_item_without_date", extra={"target": target})
            continue
        day = item.date.astimezone(UTC).date()
        index = bisect_right(starts, day) - 1
        if index < 0 or day > periods[index].end:
            logger.warning("timeseries_item_outside_window", extra={"target": target, "date": str(day)})
            continue
        if day != periods[index].end:
            logger.warning(
                "timeseries_item_not_period_end",
                extra={"target": target, "date": str(day), "period_end": str(periods[index].end)},
            )
        slot = counts[index]
        slot.gained_backlinks += item.new_backlinks
        slot.lost_backlinks += item.lost_backlinks
        slot.gained_referring_domains += item.new_referring_domains
        slot.lost_referring_domains += item.lost_referring_domains
    return counts


# Request parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeseriesRequest:
    """Validated query parameters. `date_from` and `date_to` lie within the window that ends `today`."""

    granularity: str
    today: date
    date_from: date
    date_to: date


def parse_granularity(value: str | None) -> str:
    if value is None:
        return DEFAULT_GRANULARITY
    if value not in GROUP_RANGES:
        raise InvalidParameterError("granularity", value, f"expected one of {', '.join(GROUP_RANGES)}")
    return value


def parse_date(name: str, value: str, first: date, last: date) -> date:
    """Parse a yyyy-mm-dd date that must lie from `first` to `last`."""
    allowed = f"expected a date from {first.isoformat()} to {last.isoformat()} as yyyy-mm-dd"
    if not _DATE_FORMAT.fullmatch(value):
        raise InvalidParameterError(name, value, allowed)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidParameterError(name, value, f"not a calendar date; {allowed}") from None
    if not first <= parsed <= last:
        raise InvalidParameterError(name, value, f"outside the covered window; {allowed}")
    return parsed


def parse_request(
    granularity: str | None, date_from: str | None, date_to: str | None, *, today: date
) -> TimeseriesRequest:
    """Validate the query parameters. InvalidParameterError (400) names the value and what is allowed."""
    chosen = parse_granularity(granularity)
    first = window_start(today, chosen)
    start = first if date_from is None else parse_date("date_from", date_from, first, today)
    end = today if date_to is None else parse_date("date_to", date_to, first, today)
    if start > end:
        raise InvalidParameterError(
            "date_from", date_from, f"after date_to {end.isoformat()}; expected date_from <= date_to"
        )
    return TimeseriesRequest(granularity=chosen, today=today, date_from=start, date_to=end)


# Fetching and caching ------------------------------------------------------------------------------


def utc_today(services: Services) -> date:
    return services.clock().astimezone(UTC).date()


def series_cache(services: Services) -> TimeseriesCache:
    return TimeseriesCache(services.store.table_name)


def provider_error(services: Services, error: DataForSEOError) -> ServiceError:
    """Return the API error for a failed vendor call: 503 when DataForSEO rejects the account, else 502.

    A rejected account (40204 or an account error) also marks the provider inactive, as a failed job does.
    """
    jobs.note_provider_status(services, error)
    if isinstance(error, SubscriptionInactiveError | AccountError):
        reason = jobs.vendor_failure_reason(error)
        return ProviderUnavailableError(
            f"DataForSEO is unavailable for this service: {reason}", provider="dataforseo", reason=reason
        )
    status = f" with status {error.code}" if error.code is not None else ""
    advice = "; try again in a few minutes" if error.retryable else ""
    return ProviderCallError(
        f"DataForSEO {error.endpoint} failed{status}: {error.message.rstrip('.')}{advice}",
        endpoint=error.endpoint,
        code=error.code,
        retryable=error.retryable,
    )


def fetch_series(
    services: Services, team_id: str, target: str, request: TimeseriesRequest, *, project_id: str | None
) -> Series:
    """Call DataForSEO for the whole window of the request's granularity and cache the series."""
    periods = window_periods(request.today, request.granularity)
    admission.admit_timeseries(services, team_id, periods=len(periods))
    context = CallContext(team_id=team_id, operation=OPERATION, target=target, project_id=project_id)
    try:
        result = services.dataforseo_for_api().timeseries_new_lost_summary(
            target,
            date_from=periods[0].start,
            date_to=request.today,
            group_range=GROUP_RANGES[request.granularity],
            context=context,
        )
    except DataForSEOError as error:
        logger.warning(
            "timeseries_fetch_failed",
            extra={"team_id": team_id, "project_id": project_id, "target": target, "code": error.code},
        )
        raise provider_error(services, error) from error
    now = services.clock()
    series = Series(
        target=target,
        granularity=request.granularity,
        date_from=periods[0].start,
        date_to=request.today,
        fetched_at=now,
        periods=fill_periods(periods, result.items, target=target),
    )
    series_cache(services).put(series, now + CACHE_TTL)
    return series


def period_view(counts: PeriodCounts, series: Series) -> dict:
    period = period_of(counts.date, series.granularity)
    return {
        "date": counts.date.isoformat(),
        "period_start": max(period.start, series.date_from).isoformat(),
        "period_end": min(period.end, series.date_to).isoformat(),
        "complete": period.end < series.date_to,
        "gained_backlinks": counts.gained_backlinks,
        "lost_backlinks": counts.lost_backlinks,
        "gained_referring_domains": counts.gained_referring_domains,
        "lost_referring_domains": counts.lost_referring_domains,
        "net_backlinks": counts.gained_backlinks - counts.lost_backlinks,
        "net_referring_domains": counts.gained_referring_domains - counts.lost_referring_domains,
    }


def select_periods(series: Series, date_from: date, date_to: date) -> list[PeriodCounts]:
    """Return the periods of the series that overlap the range from `date_from` to `date_to`."""
    return [
        counts
        for counts in series.periods
        if period_of(counts.date, series.granularity).start <= date_to and counts.date >= date_from
    ]


def series_body(series: Series, request: TimeseriesRequest, *, cached: bool) -> dict:
    items = [
        period_view(counts, series) for counts in select_periods(series, request.date_from, request.date_to)
    ]
    totals = {
        name: sum(item[name] for item in items)
        for name in (
            "gained_backlinks",
            "lost_backlinks",
            "gained_referring_domains",
            "lost_referring_domains",
            "net_backlinks",
            "net_referring_domains",
        )
    }
    return {
        "target": series.target,
        "granularity": series.granularity,
        "date_from": items[0]["period_start"],
        "date_to": items[-1]["period_end"],
        "source": SOURCE,
        "fetched_at": series.fetched_at.isoformat(),
        "cached": cached,
        "items": items,
        "totals": totals,
    }


def velocity(
    services: Services,
    team_id: str,
    target: str,
    request: TimeseriesRequest,
    *,
    project_id: str | None = None,
) -> dict:
    """Build the response body for `target` from today's cached series, fetched first on a cache miss."""
    series = series_cache(services).get(target, request.granularity, request.today)
    cached = series is not None
    if series is None:
        series = fetch_series(services, team_id, target, request, project_id=project_id)
    logger.info(
        "timeseries_served",
        extra={
            "team_id": team_id,
            "project_id": project_id,
            "target": target,
            "granularity": request.granularity,
            "cached": cached,
        },
    )
    return series_body(series, request, cached=cached)
