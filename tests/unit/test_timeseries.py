"""Velocity time series: period maths, zero-filling, slicing, parameters, errors and the vendor call."""

import itertools
from datetime import UTC, date, datetime

import pytest

from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.errors import ServerError, SubscriptionInactiveError, TransportError
from backlinks.dataforseo.models import TimeseriesNewLostSummary
from backlinks.errors import InvalidParameterError, ProviderCallError, ProviderUnavailableError
from backlinks.logic import timeseries
from backlinks.logic.timeseries import Period, TimeseriesRequest
from backlinks.models.timeseries import Series
from backlinks.services import Services
from backlinks.settings import Settings, SettingsError
from tests.unit.test_dataforseo_client import Recorder, envelope, make_client, ok, task

pytestmark = pytest.mark.usefixtures("socket_disabled")

TODAY = date(2026, 12, 4)  # a Friday
ENDPOINT = "backlinks/timeseries_new_lost_summary/live"
CONTEXT = CallContext(team_id="team-1", operation="timeseries", target="example.com")


def vendor_items(*items: dict) -> list:
    return TimeseriesNewLostSummary.model_validate({"items": list(items)}).items


def labels(periods: list[Period]) -> list[str]:
    return [period.end.isoformat() for period in periods]


# Periods ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29)),
        (date(2027, 2, 28), date(2027, 2, 1), date(2027, 2, 28)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 31)),
    ],
    ids=["leap-february", "february", "december", "first-of-month"],
)
def test_month_period(day, start, end):
    assert timeseries.period_of(day, "monthly") == Period(start, end)


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 12, 31), date(2026, 12, 28), date(2027, 1, 3)),
        (date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 6)),
        (date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 6)),
        (date(2028, 2, 29), date(2028, 2, 28), date(2028, 3, 5)),
    ],
    ids=["across-new-year", "sunday", "monday", "leap-day"],
)
def test_week_period_runs_monday_to_sunday(day, start, end):
    period = timeseries.period_of(day, "weekly")

    assert period == Period(start, end)
    assert period.start.weekday() == 0
    assert period.end.weekday() == 6


def test_day_period_is_the_day():
    assert timeseries.period_of(date(2028, 2, 29), "daily") == Period(date(2028, 2, 29), date(2028, 2, 29))


def test_period_rejects_unknown_granularity():
    with pytest.raises(ValueError, match="invalid granularity 'yearly'"):
        timeseries.period_of(TODAY, "yearly")


def test_monthly_window_is_twelve_months():
    periods = timeseries.window_periods(TODAY, "monthly")

    assert timeseries.window_start(TODAY, "monthly") == date(2026, 1, 1)
    assert labels(periods) == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
    ]


def test_monthly_window_crosses_year_and_leap_day():
    periods = timeseries.window_periods(date(2028, 1, 15), "monthly")

    assert periods[0] == Period(date(2027, 2, 1), date(2027, 2, 28))
    assert periods[-1] == Period(date(2028, 1, 1), date(2028, 1, 31))
    assert len(periods) == 12
    assert Period(date(2028, 2, 1), date(2028, 2, 29)) in timeseries.window_periods(
        date(2028, 3, 1), "monthly"
    )


def test_weekly_window_is_fifty_two_weeks():
    periods = timeseries.window_periods(TODAY, "weekly")

    assert len(periods) == 52
    assert periods[0] == Period(date(2025, 12, 8), date(2025, 12, 14))
    assert periods[-1] == Period(date(2026, 11, 30), date(2026, 12, 6))
    assert all(period.start.weekday() == 0 and period.end.weekday() == 6 for period in periods)
    assert all((later.start - earlier.end).days == 1 for earlier, later in itertools.pairwise(periods))


def test_weekly_window_on_a_sunday_ends_today():
    sunday = date(2026, 12, 6)

    periods = timeseries.window_periods(sunday, "weekly")

    assert periods[-1].end == sunday
    assert len(periods) == 52


@pytest.mark.parametrize(
    ("today", "first"),
    [(date(2028, 3, 1), date(2027, 3, 3)), (date(2027, 3, 1), date(2026, 3, 2)), (TODAY, date(2025, 12, 5))],
    ids=["leap-year", "common-year", "today"],
)
def test_daily_window_is_365_days(today, first):
    periods = timeseries.window_periods(today, "daily")

    assert len(periods) == 365
    assert periods[0] == Period(first, first)
    assert periods[-1] == Period(today, today)


# Zero-filling ----------------------------------------------------------------------------------------


def test_missing_periods_are_zero():
    periods = timeseries.window_periods(TODAY, "monthly")
    items = vendor_items(
        {"date": "2026-03-31 00:00:00 +00:00", "new_backlinks": 7, "lost_backlinks": 2},
    )

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert [c.date.isoformat() for c in counts] == labels(periods)
    march = counts[2]
    assert (march.gained_backlinks, march.lost_backlinks) == (7, 2)
    others = counts[:2] + counts[3:]
    assert all(c.gained_backlinks == c.lost_backlinks == 0 for c in others)
    assert all(c.gained_referring_domains == c.lost_referring_domains == 0 for c in counts)


def test_null_counts_are_zero():
    items = vendor_items(
        {
            "date": "2026-11-30 00:00:00 +00:00",
            "new_backlinks": None,
            "lost_backlinks": None,
            "new_referring_domains": None,
            "lost_referring_domains": 3,
        }
    )

    (november,) = timeseries.fill_periods(
        [Period(date(2026, 11, 1), date(2026, 11, 30))], items, target="x.com"
    )

    assert november.gained_backlinks == 0
    assert november.lost_backlinks == 0
    assert november.gained_referring_domains == 0
    assert november.lost_referring_domains == 3


def test_item_not_at_period_end_is_counted(caplog):
    periods = timeseries.window_periods(TODAY, "monthly")
    items = vendor_items(
        {"date": "2026-03-15 00:00:00 +00:00", "new_referring_domains": 4},
        {"date": "2026-03-31 00:00:00 +00:00", "new_referring_domains": 1},
    )

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert counts[2].gained_referring_domains == 5
    (warning,) = caplog.records
    assert warning.getMessage() == "timeseries_item_not_period_end"
    assert (warning.date, warning.period_end) == ("2026-03-15", "2026-03-31")


def test_running_period_label_counted():
    periods = timeseries.window_periods(TODAY, "monthly")
    items = vendor_items({"date": "2026-12-31 00:00:00 +00:00", "lost_backlinks": 9})

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert counts[-1].date == date(2026, 12, 31)
    assert counts[-1].lost_backlinks == 9


def test_week_across_new_year():
    periods = timeseries.window_periods(date(2027, 1, 2), "weekly")
    items = vendor_items({"date": "2027-01-03 00:00:00 +00:00", "new_backlinks": 11})

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert counts[-1].date == date(2027, 1, 3)
    assert counts[-1].gained_backlinks == 11
    assert sum(c.gained_backlinks for c in counts) == 11


def test_stray_items_are_dropped(caplog):
    periods = timeseries.window_periods(TODAY, "monthly")
    items = vendor_items(
        {"date": "2025-12-31 00:00:00 +00:00", "new_backlinks": 100},
        {"date": "2027-01-31 00:00:00 +00:00", "new_backlinks": 100},
        {"date": None, "new_backlinks": 100},
    )

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert sum(c.gained_backlinks for c in counts) == 0
    assert [record.getMessage() for record in caplog.records] == [
        "timeseries_item_outside_window",
        "timeseries_item_outside_window",
        "timeseries_item_without_date",
    ]
    assert [getattr(record, "date", None) for record in caplog.records] == ["2025-12-31", "2027-01-31", None]


def test_vendor_date_uses_utc_day():
    periods = timeseries.window_periods(TODAY, "daily")
    items = vendor_items({"date": "2026-12-04 01:00:00 +02:00", "new_backlinks": 1})

    counts = timeseries.fill_periods(periods, items, target="example.com")

    assert counts[-2].date == date(2026, 12, 3)
    assert counts[-2].gained_backlinks == 1


# Response body and slicing ---------------------------------------------------------------------------


def monthly_series() -> Series:
    periods = timeseries.window_periods(TODAY, "monthly")
    items = vendor_items(
        *(
            {
                "date": f"{period.end.isoformat()} 00:00:00 +00:00",
                "new_backlinks": 10 * (index + 1),
                "lost_backlinks": index,
                "new_referring_domains": index + 1,
                "lost_referring_domains": 1,
            }
            for index, period in enumerate(periods)
        )
    )
    return Series(
        target="example.com",
        granularity="monthly",
        date_from=periods[0].start,
        date_to=TODAY,
        fetched_at=datetime(2026, 12, 4, 8, 30, tzinfo=UTC),
        periods=timeseries.fill_periods(periods, items, target="example.com"),
    )


def request(date_from: date | None = None, date_to: date | None = None) -> TimeseriesRequest:
    return TimeseriesRequest(
        granularity="monthly",
        today=TODAY,
        date_from=date_from or date(2026, 1, 1),
        date_to=date_to or TODAY,
    )


def test_body_covers_whole_window():
    body = timeseries.series_body(monthly_series(), request(), cached=False)

    assert body["target"] == "example.com"
    assert body["granularity"] == "monthly"
    assert body["date_from"] == "2026-01-01"
    assert body["date_to"] == "2026-12-04"
    assert body["source"] == "dataforseo:timeseries_new_lost_summary"
    assert body["fetched_at"] == "2026-12-04T08:30:00+00:00"
    assert body["cached"] is False
    assert len(body["items"]) == 12
    assert body["items"][0] == {
        "date": "2026-01-31",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "complete": True,
        "gained_backlinks": 10,
        "lost_backlinks": 0,
        "gained_referring_domains": 1,
        "lost_referring_domains": 1,
        "net_backlinks": 10,
        "net_referring_domains": 0,
    }
    assert body["items"][-1] == {
        "date": "2026-12-31",
        "period_start": "2026-12-01",
        "period_end": "2026-12-04",
        "complete": False,
        "gained_backlinks": 120,
        "lost_backlinks": 11,
        "gained_referring_domains": 12,
        "lost_referring_domains": 1,
        "net_backlinks": 109,
        "net_referring_domains": 11,
    }
    assert [item["complete"] for item in body["items"]] == [True] * 11 + [False]


def test_totals_sum_items():
    body = timeseries.series_body(monthly_series(), request(), cached=True)

    assert body["totals"] == {
        "gained_backlinks": 780,
        "lost_backlinks": 66,
        "gained_referring_domains": 78,
        "lost_referring_domains": 12,
        "net_backlinks": 714,
        "net_referring_domains": 66,
    }
    assert body["cached"] is True


def test_slice_returns_overlapping_periods():
    body = timeseries.series_body(
        monthly_series(), request(date(2026, 3, 15), date(2026, 4, 10)), cached=True
    )

    assert [item["date"] for item in body["items"]] == ["2026-03-31", "2026-04-30"]
    assert body["date_from"] == "2026-03-01"
    assert body["date_to"] == "2026-04-30"
    assert body["totals"]["gained_backlinks"] == 30 + 40


def test_slice_of_one_day_returns_its_period():
    body = timeseries.series_body(
        monthly_series(), request(date(2026, 12, 2), date(2026, 12, 2)), cached=True
    )

    assert [item["date"] for item in body["items"]] == ["2026-12-31"]
    assert body["date_from"] == "2026-12-01"
    assert body["date_to"] == "2026-12-04"


def test_weekly_slice_of_mid_week_days():
    periods = timeseries.window_periods(TODAY, "weekly")
    series = Series(
        target="example.com",
        granularity="weekly",
        date_from=periods[0].start,
        date_to=TODAY,
        fetched_at=datetime(2026, 12, 4, tzinfo=UTC),
        periods=timeseries.fill_periods(periods, [], target="example.com"),
    )
    sliced = TimeseriesRequest(granularity="weekly", today=TODAY, date_from=date(2026, 11, 25), date_to=TODAY)

    body = timeseries.series_body(series, sliced, cached=False)

    assert [item["date"] for item in body["items"]] == ["2026-11-29", "2026-12-06"]
    assert [item["period_start"] for item in body["items"]] == ["2026-11-23", "2026-11-30"]
    assert body["items"][-1]["period_end"] == "2026-12-04"
    assert body["totals"]["net_backlinks"] == 0


# Parameters ------------------------------------------------------------------------------------------


def test_defaults_cover_monthly_window():
    parsed = timeseries.parse_request(None, None, None, today=TODAY)

    assert parsed == TimeseriesRequest(
        granularity="monthly", today=TODAY, date_from=date(2026, 1, 1), date_to=TODAY
    )


def test_daily_defaults_start_364_days_back():
    parsed = timeseries.parse_request("daily", None, "2026-06-30", today=TODAY)

    assert parsed.date_from == date(2025, 12, 5)
    assert parsed.date_to == date(2026, 6, 30)


@pytest.mark.parametrize("value", ["yearly", "Monthly", "", "day"])
def test_bad_granularity_message(value):
    with pytest.raises(InvalidParameterError) as raised:
        timeseries.parse_request(value, None, None, today=TODAY)

    assert raised.value.message == f"invalid granularity {value!r}: expected one of daily, weekly, monthly"
    assert raised.value.details["parameter"] == "granularity"


@pytest.mark.parametrize(
    ("granularity", "name", "value", "reason"),
    [
        ("monthly", "date_from", "2026/03/01", "expected a date from 2026-01-01 to 2026-12-04 as yyyy-mm-dd"),
        ("monthly", "date_to", "20260301", "expected a date from 2026-01-01 to 2026-12-04 as yyyy-mm-dd"),
        (
            "monthly",
            "date_from",
            "2026-02-30",
            "not a calendar date; expected a date from 2026-01-01 to 2026-12-04 as yyyy-mm-dd",
        ),
        (
            "monthly",
            "date_from",
            "2025-12-31",
            "outside the covered window; expected a date from 2026-01-01 to 2026-12-04 as yyyy-mm-dd",
        ),
        (
            "weekly",
            "date_to",
            "2026-12-05",
            "outside the covered window; expected a date from 2025-12-08 to 2026-12-04 as yyyy-mm-dd",
        ),
        (
            "daily",
            "date_from",
            "2025-12-04",
            "outside the covered window; expected a date from 2025-12-05 to 2026-12-04 as yyyy-mm-dd",
        ),
    ],
)
def test_bad_date_message(granularity, name, value, reason):
    with pytest.raises(InvalidParameterError) as raised:
        timeseries.parse_request(
            granularity, **{"date_from": None, "date_to": None, name: value}, today=TODAY
        )

    assert raised.value.message == f"invalid {name} {value!r}: {reason}"
    assert raised.value.details == {"parameter": name, "value": value, "reason": reason}


def test_date_from_after_date_to_is_rejected():
    with pytest.raises(InvalidParameterError) as raised:
        timeseries.parse_request(None, "2026-05-02", "2026-05-01", today=TODAY)

    assert raised.value.message == (
        "invalid date_from '2026-05-02': after date_to 2026-05-01; expected date_from <= date_to"
    )


def test_window_edges_are_accepted():
    parsed = timeseries.parse_request("weekly", "2025-12-08", "2026-12-04", today=TODAY)

    assert (parsed.date_from, parsed.date_to) == (date(2025, 12, 8), TODAY)


# Vendor failures -------------------------------------------------------------------------------------


class StatusStore:
    """The part of the store that the provider status uses."""

    table_name = "unused"

    def __init__(self) -> None:
        self.statuses: list[tuple[str, str | None]] = []

    def set_provider_status(self, status: str, reason: str | None, now: datetime) -> None:
        self.statuses.append((status, reason))


def status_services() -> tuple[Services, StatusStore]:
    settings = Settings(table_name="table", exports_bucket="bucket", pull_queue_url="q", spam_queue_url="q")
    store = StatusStore()
    return Services(settings=settings, store=store, clock=lambda: datetime(2026, 12, 4, tzinfo=UTC)), store


def test_access_denied_maps_to_503():
    services, store = status_services()
    error = SubscriptionInactiveError("Access denied.", endpoint=ENDPOINT, code=40204)

    mapped = timeseries.provider_error(services, error)

    assert isinstance(mapped, ProviderUnavailableError)
    ((status, reason),) = store.statuses
    assert status == "inactive"
    assert "40204" in reason
    assert mapped.message == f"DataForSEO is unavailable for this service: {reason}"
    assert mapped.details == {"provider": "dataforseo", "reason": reason}


def test_server_error_maps_to_502():
    services, store = status_services()
    error = ServerError("Internal Error.", endpoint=ENDPOINT, code=50000)

    mapped = timeseries.provider_error(services, error)

    assert isinstance(mapped, ProviderCallError)
    assert mapped.message == (
        "DataForSEO backlinks/timeseries_new_lost_summary/live failed with status 50000: "
        "Internal Error; try again in a few minutes"
    )
    assert mapped.details == {"endpoint": ENDPOINT, "code": 50000, "retryable": True}
    assert store.statuses == []


def test_timeout_is_502_without_code():
    services, _store = status_services()
    error = TransportError("request timed out after 10 s", endpoint=ENDPOINT)

    mapped = timeseries.provider_error(services, error)

    assert mapped.message == (
        "DataForSEO backlinks/timeseries_new_lost_summary/live failed: request timed out after 10 s; "
        "try again in a few minutes"
    )


# Client and settings ---------------------------------------------------------------------------------


TIMESERIES_RESULT = {
    "target": "example.com",
    "date_from": "2026-01-01",
    "date_to": "2026-12-04",
    "group_range": "month",
    "items_count": 2,
    "items": [
        {
            "type": "backlinks_timeseries_new_lost_summary",
            "date": "2026-01-31 00:00:00 +00:00",
            "new_backlinks": 5,
            "lost_backlinks": None,
            "new_referring_domains": 2,
            "lost_referring_domains": 1,
            "new_referring_main_domains": 2,
            "lost_referring_main_domains": 1,
        },
        {"type": "backlinks_timeseries_new_lost_summary", "date": "2026-02-28 00:00:00 +00:00"},
    ],
}


def test_client_posts_timeseries_task():
    recorder = Recorder(ok(TIMESERIES_RESULT, cost=0.02006))
    client, _sleeps, records = make_client(recorder)

    result = client.timeseries_new_lost_summary(
        "example.com", date_from=date(2026, 1, 1), date_to=TODAY, group_range="month", context=CONTEXT
    )

    assert recorder.requests[0].url.path == "/v3/backlinks/timeseries_new_lost_summary/live"
    assert recorder.bodies() == [
        [
            {
                "target": "example.com",
                "date_from": "2026-01-01",
                "date_to": "2026-12-04",
                "group_range": "month",
            }
        ]
    ]
    assert [item.date for item in result.items] == [
        datetime(2026, 1, 31, tzinfo=UTC),
        datetime(2026, 2, 28, tzinfo=UTC),
    ]
    assert result.items[0].lost_backlinks == 0
    assert result.items[1].new_backlinks == 0
    assert records[0].endpoint == ENDPOINT
    assert records[0].cost == 0.02006
    assert records[0].items == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"group_range": "quarter"}, "invalid group_range 'quarter'"),
        ({"date_from": date(2019, 1, 29)}, "the earliest is 2019-01-30"),
        ({"date_from": date(2026, 12, 5)}, "date_from 2026-12-05 is after date_to 2026-12-04"),
    ],
)
def test_client_rejects_bad_timeseries_arguments(options, message):
    recorder = Recorder(ok(TIMESERIES_RESULT))
    client, _sleeps, _records = make_client(recorder)
    arguments = {"date_from": date(2026, 1, 1), "date_to": TODAY, "group_range": "month", **options}

    with pytest.raises(ValueError, match=message):
        client.timeseries_new_lost_summary("example.com", context=CONTEXT, **arguments)

    assert recorder.requests == []


def test_limited_client_retries_less():
    failure = envelope(tasks=[task(code=50000, message="Internal Error.")])
    recorder = Recorder(failure)
    client, sleeps, records = make_client(recorder, max_retries=4)
    limited = client.with_limits(timeout=3.0, max_retries=1)

    with pytest.raises(ServerError):
        limited.timeseries_new_lost_summary(
            "example.com", date_from=date(2026, 1, 1), date_to=TODAY, group_range="month", context=CONTEXT
        )

    assert len(recorder.requests) == 2
    assert len(sleeps) == 1
    assert len(records) == 2
    assert recorder.requests[0].extensions["timeout"]["read"] == 3.0
    limited.close()
    recorder.requests.clear()
    with pytest.raises(ServerError):
        client.summary("example.com", context=CONTEXT)
    assert len(recorder.requests) == 5


def test_limits_reject_bad_values():
    client, _sleeps, _records = make_client(Recorder(ok(TIMESERIES_RESULT)))

    with pytest.raises(ValueError, match="invalid timeout 0"):
        client.with_limits(timeout=0, max_retries=1)
    with pytest.raises(ValueError, match="invalid max_retries -1"):
        client.with_limits(timeout=1, max_retries=-1)


BASE_ENV = {"TABLE_NAME": "table", "EXPORTS_BUCKET": "bucket", "PULL_QUEUE_URL": "q", "SPAM_QUEUE_URL": "q"}


def test_request_limits_defaults():
    settings = Settings.from_env(BASE_ENV)

    assert settings.dfs_request_timeout_seconds == 10.0
    assert settings.dfs_request_max_retries == 1


@pytest.mark.parametrize(
    ("name", "value"), [("DFS_REQUEST_MAX_RETRIES", "2"), ("DFS_REQUEST_TIMEOUT_SECONDS", "30")]
)
def test_request_limits_over_bound_rejected(name, value):
    with pytest.raises(SettingsError, match=name.lower()):
        Settings.from_env({**BASE_ENV, name: value})


def test_api_client_uses_smaller_limits():
    settings = Settings.from_env({**BASE_ENV, "DFS_TIMEOUT_SECONDS": "2", "DFS_MAX_RETRIES": "0"})
    client, _sleeps, _records = make_client(Recorder(ok(TIMESERIES_RESULT)))
    services = Services(settings=settings, store=None, dataforseo_factory=lambda _services: client)

    limited = services.dataforseo_for_api()

    assert limited._timeout == 2.0
    assert limited._max_retries == 0
    assert limited._http is client._http
