"""DynamoDB access of anchor data: the state item of a lookup or a project and its anchor sets.

A set is written whole under its own partition before the state item names it, so readers see the
previous set until the new one is complete. Every read is a GetItem or a Query.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from backlinks.dal import keys
from backlinks.dal.store import Store, conditional_failed, from_item_value, query_all, to_item_value
from backlinks.models.anchors import AnchorRecord, AnchorSet, AnchorState
from backlinks.models.records import Scope

ITEM_FIELDS_SKIPPED = ("pk", "sk", "expires_at")


class AnchorStore(Store):
    def _state_key(self, scope: Scope) -> dict:
        return {"pk": keys.anchors_state_pk(scope), "sk": keys.ANCHORS_STATE_SK}

    def get_state(self, scope: Scope, *, consistent: bool = False) -> AnchorState:
        item = self.table.get_item(Key=self._state_key(scope), ConsistentRead=consistent).get("Item")
        if not item:
            return AnchorState()
        values = {k: v for k, v in from_item_value(item).items() if k not in ITEM_FIELDS_SKIPPED}
        return AnchorState.model_validate(values)

    def claim_pull(self, scope: Scope, job_id: str, now: datetime, stale_after: timedelta) -> str | None:
        """Mark `job_id` as the one detailed pull in flight. Returns None, or the holder's job id.

        A claim older than `stale_after` is taken over, so a crashed worker cannot block the scope.
        """
        try:
            self.table.update_item(
                Key=self._state_key(scope),
                UpdateExpression="SET active_job_id = :job, active_job_started_at = :now",
                ConditionExpression="attribute_not_exists(active_job_id) OR active_job_id = :none"
                " OR active_job_started_at < :stale",
                ExpressionAttributeValues={
                    ":job": job_id,
                    ":now": to_item_value(now),
                    ":none": None,
                    ":stale": to_item_value(now - stale_after),
                },
            )
            return None
        except ClientError as error:
            if not conditional_failed(error):
                raise
        return self.get_state(scope, consistent=True).active_job_id

    def release_pull(self, scope: Scope, job_id: str) -> None:
        try:
            self.table.update_item(
                Key=self._state_key(scope),
                UpdateExpression="REMOVE active_job_id, active_job_started_at",
                ConditionExpression="active_job_id = :job",
                ExpressionAttributeValues={":job": job_id},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def switch_detailed(
        self, scope: Scope, anchor_set: AnchorSet, expires_at: datetime
    ) -> AnchorSet | None | bool:
        """Make `anchor_set` the detailed set and end its job's claim.

        Returns the detailed set it replaced (None if there was none), or False when the job no
        longer has the claim, in which case nothing changes.
        """
        try:
            response = self.table.update_item(
                Key=self._state_key(scope),
                UpdateExpression="SET detailed = :set, expires_at = :expires"
                " REMOVE active_job_id, active_job_started_at",
                ConditionExpression="active_job_id = :job",
                ExpressionAttributeValues={
                    ":set": to_item_value(anchor_set.model_dump(mode="json")),
                    ":job": anchor_set.job_id,
                    ":expires": int(expires_at.timestamp()),
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False
        previous = from_item_value(response.get("Attributes", {})).get("detailed")
        return AnchorSet.model_validate(previous) if previous else None

    def put_heuristic(self, scope: Scope, anchor_set: AnchorSet, expires_at: datetime) -> AnchorSet | None:
        """Make `anchor_set` the heuristic set and return the heuristic set it replaced, if any.

        The state item expires at `expires_at`, like the anchors of the newest set it names.
        """
        response = self.table.update_item(
            Key=self._state_key(scope),
            UpdateExpression="SET heuristic = :set, expires_at = :expires",
            ExpressionAttributeValues={
                ":set": to_item_value(anchor_set.model_dump(mode="json")),
                ":expires": int(expires_at.timestamp()),
            },
            ReturnValues="UPDATED_OLD",
        )
        previous = from_item_value(response.get("Attributes", {})).get("heuristic")
        return AnchorSet.model_validate(previous) if previous else None

    def put_anchors(
        self, scope: Scope, set_id: str, records: Iterable[AnchorRecord], expires_at: datetime
    ) -> int:
        """Write a set's anchors in the given order (position 0 first) and return how many."""
        pk = keys.anchor_set_pk(scope, set_id)
        written = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for position, record in enumerate(records):
                item = to_item_value(record.model_dump(mode="json", exclude_none=True))
                item.update(pk=pk, sk=keys.anchor_sk(position), expires_at=int(expires_at.timestamp()))
                batch.put_item(Item=item)
                written += 1
        return written

    def iter_anchors(self, scope: Scope, set_id: str) -> Iterator[AnchorRecord]:
        request = {"KeyConditionExpression": Key("pk").eq(keys.anchor_set_pk(scope, set_id))}
        for item in query_all(self.table, request):
            values = {k: v for k, v in from_item_value(item).items() if k not in ITEM_FIELDS_SKIPPED}
            yield AnchorRecord.model_validate(values)

    def delete_set(self, scope: Scope, set_id: str) -> int:
        """Delete a replaced set's anchors and return how many were deleted."""
        request = {
            "KeyConditionExpression": Key("pk").eq(keys.anchor_set_pk(scope, set_id)),
            "ProjectionExpression": "pk, sk",
        }
        deleted = 0
        with self.table.batch_writer() as batch:
            for item in query_all(self.table, request):
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                deleted += 1
        return deleted
