"""The new and lost series of one target, as the velocity routes cache and serve it."""

import datetime

from pydantic import BaseModel


class PeriodCounts(BaseModel):
    """Backlinks and referring domains gained and lost in one period."""

    date: datetime.date
    """The period's last day, which is also the date DataForSEO gives the period's item."""
    gained_backlinks: int = 0
    lost_backlinks: int = 0
    gained_referring_domains: int = 0
    lost_referring_domains: int = 0


class Series(BaseModel):
    """One DataForSEO fetch of a target's series: every period of the window, in date order.

    Periods the vendor reported as empty or left out have zero counts.
    """

    target: str
    granularity: str
    date_from: datetime.date
    """The first day of the window, which is also the first day of its first period."""
    date_to: datetime.date
    """The UTC day of the fetch: the last day the series covers."""
    fetched_at: datetime.datetime
    periods: list[PeriodCounts]
