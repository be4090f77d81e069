"""Shared cache of DataForSEO new and lost series: one item per target, granularity and UTC day.

The counts are public facts about a target, so one fetch serves every team. Items expire by TTL.
"""

from datetime import date, datetime

from backlinks.dal import keys
from backlinks.dal.clients import dynamodb_resource
from backlinks.dal.store import from_item_value, to_item_value
from backlinks.models.timeseries import Series


class TimeseriesCache:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def table(self):
        return dynamodb_resource().Table(self.table_name)

    def get(self, target: str, granularity: str, day: date) -> Series | None:
        """Return the series of `target` fetched on `day` (UTC), or None when there is none."""
        response = self.table.get_item(
            Key={"pk": keys.summary_pk(target), "sk": keys.timeseries_sk(granularity, day.isoformat())}
        )
        item = response.get("Item")
        return Series.model_validate(from_item_value(item["series"])) if item else None

    def put(self, series: Series, expires_at: datetime) -> None:
        """Store a series under the day it covers up to (`series.date_to`)."""
        self.table.put_item(
            Item={
                "pk": keys.summary_pk(series.target),
                "sk": keys.timeseries_sk(series.granularity, series.date_to.isoformat()),
                "series": to_item_value(series.model_dump(mode="json")),
                "expires_at": int(expires_at.timestamp()),
            }
        )
