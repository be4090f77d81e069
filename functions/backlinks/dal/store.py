"""DynamoDB access: the only module that reads or writes the table.

Every read is a GetItem, a BatchGetItem or a Query on a key or local index, never a Scan. Writes of
many items go through BatchWriteItem (25 items a request).
"""

import base64
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from backlinks.dal import keys
from backlinks.dal.clients import dynamodb_resource
from backlinks.errors import InvalidParameterError
from backlinks.models.records import (
    Job,
    JobState,
    Lookup,
    ReferringDomain,
    Scope,
    SpamScore,
    Summary,
)

BATCH_GET_MAX = 100

# Sort field of the API -> (local index, its sort key attribute).
SORT_INDEXES = {
    "rank": ("by_rank", "lsi_rank"),
    "backlinks": ("by_backlinks", "lsi_backlinks"),
    "spam_score": ("by_spam_score", "lsi_spam_score"),
    "first_seen": ("by_first_seen", "lsi_first_seen"),
}


def to_item_value(value):
    """Convert a Python value to what the DynamoDB resource API accepts (no floats, no datetimes)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {key: to_item_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_item_value(item) for item in value]
    return value


def from_item_value(value):
    """Convert DynamoDB numbers back to int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_item_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_item_value(item) for item in value]
    return value


def encode_cursor(key: dict) -> str:
    payload = json.dumps(from_item_value(key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected_pk: str) -> dict:
    """Decode a cursor of this partition; a cursor of another partition or a garbled one is rejected."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameterError("cursor", cursor, "not a cursor returned by this API") from None
    if not isinstance(key, dict) or key.get("pk") != expected_pk:
        raise InvalidParameterError("cursor", cursor, "belongs to another listing or is garbled")
    return to_item_value(key)


def conditional_failed(error: ClientError) -> bool:
    """Tell whether a write failed only because its condition expression was false."""
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def query_all(table, request: dict) -> Iterator[dict]:
    """Yield every item a Query matches, following LastEvaluatedKey across pages."""
    request = dict(request)
    while True:
        response = table.query(**request)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def query_count(table, request: dict) -> int:
    """Count the items a Query matches (Select COUNT), across pages."""
    request = dict(request, Select="COUNT")
    total = 0
    while True:
        response = table.query(**request)
        total += response["Count"]
        if "LastEvaluatedKey" not in response:
            return total
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


class Store:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def table(self):
        return dynamodb_resource().Table(self.table_name)

    # Lookups -------------------------------------------------------------------------------

    def get_lookup(self, team_id: str, target: str, *, consistent: bool = False) -> Lookup | None:
        response = self.table.get_item(
            Key={"pk": keys.lookup_pk(team_id, target), "sk": keys.LOOKUP_SK}, ConsistentRead=consistent
        )
        item = response.get("Item")
        return Lookup.model_validate(from_item_value(item)) if item else None

    def claim_lookup_pull(
        self, team_id: str, target: str, job_id: str, now: datetime, stale_after: timedelta
    ) -> str | None:
        """Mark `job_id` as the lookup's one pull in flight.

        Returns None when the claim succeeded, or the id of the pull that already owns the claim. A claim
        older than `stale_after` is taken over, so a crashed worker cannot block the target forever.
        """
        try:
            self.table.update_item(
                Key={"pk": keys.lookup_pk(team_id, target), "sk": keys.LOOKUP_SK},
                UpdateExpression="SET active_job_id = :job, active_job_started_at = :now,"
                " team_id = :team, target = :target",
                ConditionExpression="attribute_not_exists(active_job_id) OR active_job_started_at < :stale",
                ExpressionAttributeValues={
                    ":job": job_id,
                    ":now": _iso(now),
                    ":team": team_id,
                    ":target": target,
                    ":stale": _iso(now - stale_after),
                },
            )
            return None
        except ClientError as error:
            if not conditional_failed(error):
                raise
        current = self.get_lookup(team_id, target, consistent=True)
        return current.active_job_id if current else None

    def release_lookup_pull(self, team_id: str, target: str, job_id: str) -> None:
        try:
            self.table.update_item(
                Key={"pk": keys.lookup_pk(team_id, target), "sk": keys.LOOKUP_SK},
                UpdateExpression="REMOVE active_job_id, active_job_started_at",
                ConditionExpression="active_job_id = :job",
                ExpressionAttributeValues={":job": job_id},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def switch_generation(
        self,
        team_id: str,
        target: str,
        *,
        job_id: str,
        summary: Summary,
        stored_referring_domains: int,
        vendor_total_count: int | None,
        expires_at: datetime,
    ) -> bool:
        """Make the generation written by `job_id` the one users see, if that job still owns the claim.

        Returns False when another pull took the claim over; the caller's data then stays unused.
        """
        try:
            self.table.update_item(
                Key={"pk": keys.lookup_pk(team_id, target), "sk": keys.LOOKUP_SK},
                UpdateExpression="SET generation = :gen, summary = :summary, stored_referring_domains = :stored,"
                " vendor_total_count = :total, last_job_id = :job, expires_at = :expires"
                " REMOVE active_job_id, active_job_started_at",
                ConditionExpression="active_job_id = :job",
                ExpressionAttributeValues={
                    ":gen": job_id,
                    ":summary": to_item_value(summary.model_dump(mode="json")),
                    ":stored": stored_referring_domains,
                    ":total": vendor_total_count,
                    ":job": job_id,
                    ":expires": _epoch(expires_at),
                },
            )
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    # Referring domains ---------------------------------------------------------------------

    @staticmethod
    def _referring_domain_item(pk: str, record: ReferringDomain, expires_at: datetime) -> dict:
        item = {
            "pk": pk,
            "sk": keys.referring_domain_sk(record.domain),
            "domain": record.domain,
            "rank": record.rank,
            "backlinks": record.backlinks,
            "first_seen": _iso(record.first_seen),
            "lost_date": _iso(record.lost_date),
            "backlinks_spam_score": record.backlinks_spam_score,
            "spam_score": record.spam_score,
            "spam_checked_at": _iso(record.spam_checked_at),
            "lsi_rank": record.rank,
            "lsi_backlinks": record.backlinks,
            # A key attribute cannot be empty; "0" sorts an unknown first_seen before every date.
            "lsi_first_seen": _iso(record.first_seen) or "0",
            "expires_at": _epoch(expires_at),
        }
        # Only scored domains enter the spam score index, so a range query on it never meets None.
        if record.spam_score is not None:
            item["lsi_spam_score"] = record.spam_score
        return item

    @staticmethod
    def _referring_domain(item: dict) -> ReferringDomain:
        return ReferringDomain.model_validate(from_item_value(item))

    def put_referring_domains(
        self,
        scope: Scope,
        generation: str,
        records: Iterable[ReferringDomain],
        expires_at: datetime,
    ) -> int:
        pk = keys.generation_pk(scope, generation)
        written = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for record in records:
                batch.put_item(Item=self._referring_domain_item(pk, record, expires_at))
                written += 1
        return written

    def query_referring_domains(
        self,
        scope: Scope,
        generation: str,
        *,
        sort: str,
        descending: bool,
        limit: int,
        cursor: str | None = None,
        only_active: bool = False,
        min_spam_score: int | None = None,
    ) -> tuple[list[ReferringDomain], str | None]:
        """Return one page of referring domains and the cursor of the next page (None at the end)."""
        pk = keys.generation_pk(scope, generation)
        index_name, sort_attribute = SORT_INDEXES[sort]
        condition = Key("pk").eq(pk)
        filters = None
        if min_spam_score is not None:
            if sort == "spam_score":
                condition = condition & Key(sort_attribute).gte(min_spam_score)
            else:
                filters = Attr("lsi_spam_score").gte(min_spam_score)
        if only_active:
            active = Attr("lost_date").not_exists() | Attr("lost_date").eq(None)
            filters = active if filters is None else filters & active
        request = {
            "IndexName": index_name,
            "KeyConditionExpression": condition,
            "ScanIndexForward": not descending,
            "Limit": max(limit, 100),
        }
        if filters is not None:
            request["FilterExpression"] = filters
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, pk)

        items: list[dict] = []
        while True:
            response = self.table.query(**request)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if len(items) >= limit or not last_key:
                break
            request["ExclusiveStartKey"] = last_key

        page = items[:limit]
        has_more = len(items) > limit or bool(last_key)
        next_cursor = None
        if has_more and page:
            last = page[-1]
            next_cursor = encode_cursor(
                {"pk": last["pk"], "sk": last["sk"], sort_attribute: last[sort_attribute]}
            )
        return [self._referring_domain(item) for item in page], next_cursor

    def iter_referring_domain_names(self, scope: Scope, generation: str) -> Iterator[str]:
        request = {
            "KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation)),
            "ProjectionExpression": "#domain",
            "ExpressionAttributeNames": {"#domain": "domain"},
        }
        for item in query_all(self.table, request):
            yield item["domain"]

    def count_referring_domains(self, scope: Scope, generation: str) -> int:
        request = {"KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation))}
        return query_count(self.table, request)

    def count_scored_referring_domains(self, scope: Scope, generation: str) -> int:
        """Count the generation's domains with a spam score, from the sparse spam score index."""
        request = {
            "IndexName": SORT_INDEXES["spam_score"][0],
            "KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation)),
            "Select": "COUNT",
        }
        return query_count(self.table, request)

    def count_unknown_referring_domains(self, scope: Scope, generation: str) -> int:
        """Count domains that were checked but have no vendor score."""
        request = {
            "KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation)),
            "FilterExpression": Attr("spam_checked_at").ne(None) & Attr("spam_score").eq(None),
            "Select": "COUNT",
        }
        return query_count(self.table, request)

    def apply_spam_scores(self, scope: Scope, generation: str, scores: dict[str, SpamScore]) -> int:
        """Write cached scores onto the generation's referring domain items. Returns items updated.

        Reads the items in batches of 100 and writes them back in batches of 25, which costs fewer
        requests than one UpdateItem per domain. Items that already carry the same check are not
        written again.
        """
        pk = keys.generation_pk(scope, generation)
        domains = list(scores)
        updated = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for item in self._batch_get([{"pk": pk, "sk": keys.referring_domain_sk(d)} for d in domains]):
                score = scores[item["domain"]]
                if item.get("spam_checked_at") == _iso(score.checked_at):
                    continue
                item["spam_score"] = score.spam_score
                item["spam_checked_at"] = _iso(score.checked_at)
                if score.spam_score is None:
                    item.pop("lsi_spam_score", None)
                else:
                    item["lsi_spam_score"] = score.spam_score
                batch.put_item(Item=item)
                updated += 1
        return updated

    def _batch_get(self, item_keys: Sequence[dict]) -> Iterator[dict]:
        """Yield the items of `item_keys` that exist, 100 keys a request, retrying unprocessed keys."""
        resource = dynamodb_resource()
        for start in range(0, len(item_keys), BATCH_GET_MAX):
            request = {self.table_name: {"Keys": list(item_keys[start : start + BATCH_GET_MAX])}}
            while request:
                response = resource.batch_get_item(RequestItems=request)
                yield from response["Responses"].get(self.table_name, [])
                request = response.get("UnprocessedKeys") or None

    # Spam score cache (shared by all teams) ----------------------------------------------------

    def get_spam_scores(self, domains: Sequence[str]) -> dict[str, SpamScore]:
        found = {}
        for item in self._batch_get([{"pk": keys.score_pk(d), "sk": keys.SCORE_SK} for d in domains]):
            score = SpamScore.model_validate(from_item_value(item))
            found[score.domain] = score
        return found

    def put_spam_scores(self, scores: Iterable[SpamScore], expires_at: datetime) -> int:
        written = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for score in scores:
                batch.put_item(
                    Item={
                        "pk": keys.score_pk(score.domain),
                        "sk": keys.SCORE_SK,
                        "domain": score.domain,
                        "spam_score": score.spam_score,
                        "checked_at": _iso(score.checked_at),
                        "expires_at": _epoch(expires_at),
                    }
                )
                written += 1
        return written

    # Summary cache (shared by all teams) -------------------------------------------------------

    def get_cached_summary(self, target: str) -> Summary | None:
        response = self.table.get_item(Key={"pk": keys.summary_pk(target), "sk": keys.SUMMARY_SK})
        item = response.get("Item")
        return Summary.model_validate(from_item_value(item["summary"])) if item else None

    def put_cached_summary(self, summary: Summary, expires_at: datetime) -> None:
        self.table.put_item(
            Item={
                "pk": keys.summary_pk(summary.target),
                "sk": keys.SUMMARY_SK,
                "summary": to_item_value(summary.model_dump(mode="json")),
                "expires_at": _epoch(expires_at),
            }
        )

    # Jobs ------------------------------------------------------------------------------------

    def create_job(self, job: Job, expires_at: datetime) -> None:
        item = to_item_value(job.model_dump(mode="json"))
        item.update(pk=keys.team_pk(job.team_id), sk=keys.job_sk(job.job_id), expires_at=_epoch(expires_at))
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get_job(self, team_id: str, job_id: str, *, consistent: bool = False) -> Job | None:
        response = self.table.get_item(
            Key={"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)}, ConsistentRead=consistent
        )
        item = response.get("Item")
        return Job.model_validate(from_item_value(item)) if item else None

    def start_job(self, team_id: str, job_id: str, now: datetime) -> bool:
        """Move a job to running. Returns False when it already finished (a repeated delivery)."""
        try:
            self.table.update_item(
                Key={"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)},
                UpdateExpression="SET #state = :running, updated_at = :now",
                ConditionExpression="#state IN (:queued, :running)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":running": JobState.RUNNING.value,
                    ":queued": JobState.QUEUED.value,
                    ":now": _iso(now),
                },
            )
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    def set_job_steps(self, team_id: str, job_id: str, *, total: int, done: int, now: datetime) -> None:
        self.table.update_item(
            Key={"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)},
            UpdateExpression="SET steps_total = :total, steps_done = :done, updated_at = :now",
            ExpressionAttributeValues={":total": total, ":done": done, ":now": _iso(now)},
        )

    def complete_chunk(self, team_id: str, job_id: str, chunk: int, now: datetime) -> bool:
        """Count one finished chunk of a job exactly once, however often its message arrives.

        Returns False when the chunk had been counted before.
        """
        # The resource's client serializes plain Python values itself, as the Table methods do.
        client = dynamodb_resource().meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                "pk": keys.job_chunks_pk(team_id, job_id),
                                "sk": keys.chunk_sk(chunk),
                                "finished_at": _iso(now),
                                "expires_at": _epoch(now + timedelta(days=30)),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": {"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)},
                            "UpdateExpression": "ADD steps_done :one SET updated_at = :now",
                            "ExpressionAttributeValues": {":one": 1, ":now": _iso(now)},
                        }
                    },
                ]
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise

    def finish_job(
        self,
        team_id: str,
        job_id: str,
        state: JobState,
        now: datetime,
        *,
        error: str | None = None,
        result: dict | None = None,
        only_when_complete: bool = False,
    ) -> bool:
        """Set a final state once. Returns False if the job had already finished (or is not complete)."""
        condition = "#state IN (:queued, :running)"
        if only_when_complete:
            condition += " AND steps_done >= steps_total"
        update = "SET #state = :state, updated_at = :now, #error = :error"
        values = {
            ":state": state.value,
            ":now": _iso(now),
            ":error": error,
            ":queued": JobState.QUEUED.value,
            ":running": JobState.RUNNING.value,
        }
        if result is not None:
            update += ", #result = :result"
            values[":result"] = to_item_value(result)
        try:
            self.table.update_item(
                Key={"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    "#state": "state",
                    "#error": "error",
                    **({"#result": "result"} if result is not None else {}),
                },
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error_:
            if not conditional_failed(error_):
                raise
            return False

    def merge_job_result(self, team_id: str, job_id: str, values: dict, now: datetime) -> None:
        names = {f"#k{i}": key for i, key in enumerate(values)}
        assignments = ", ".join(f"#result.#k{i} = :v{i}" for i in range(len(values)))
        self.table.update_item(
            Key={"pk": keys.team_pk(team_id), "sk": keys.job_sk(job_id)},
            UpdateExpression=f"SET {assignments}, updated_at = :now",
            ExpressionAttributeNames={"#result": "result", **names},
            ExpressionAttributeValues={
                **{f":v{i}": to_item_value(value) for i, value in enumerate(values.values())},
                ":now": _iso(now),
            },
        )

    # Usage ledger and provider status -------------------------------------------------------------

    def record_usage(
        self,
        team_id: str,
        *,
        at: datetime,
        operation: str,
        endpoint: str,
        cost: float,
        status_code: int,
        target: str | None,
        job_id: str | None,
        project_id: str | None = None,
    ) -> None:
        self.table.put_item(
            Item=to_item_value(
                {
                    "pk": keys.usage_pk(team_id, at.strftime("%Y-%m")),
                    "sk": f"{_iso(at)}#{uuid.uuid4().hex[:12]}",
                    "operation": operation,
                    "endpoint": endpoint,
                    "cost": cost,
                    "status_code": status_code,
                    "target": target,
                    "job_id": job_id,
                    "project_id": project_id,
                }
            )
        )

    def list_usage(self, team_id: str, month: str) -> list[dict]:
        request = {"KeyConditionExpression": Key("pk").eq(keys.usage_pk(team_id, month))}
        return [from_item_value(item) for item in query_all(self.table, request)]

    def set_provider_status(self, status: str, reason: str | None, now: datetime) -> None:
        self.table.put_item(
            Item={
                "pk": keys.PROVIDER_PK,
                "sk": keys.PROVIDER_SK,
                "status": status,
                "reason": reason,
                "changed_at": _iso(now),
            }
        )

    def get_provider_status(self) -> dict | None:
        item = self.table.get_item(Key={"pk": keys.PROVIDER_PK, "sk": keys.PROVIDER_SK}).get("Item")
        return from_item_value(item) if item else None

    def put_export_record(self, team_id: str, record: dict, now: datetime, expires_at: datetime) -> None:
        item = to_item_value(record)
        item.update(
            pk=keys.exports_pk(team_id),
            sk=f"{_iso(now)}#{record['export_id']}",
            expires_at=_epoch(expires_at),
        )
        self.table.put_item(Item=item)
