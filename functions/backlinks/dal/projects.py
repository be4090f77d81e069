"""DynamoDB access of Project Mode: projects, their backlinks, event log and daily due list.

Uses the same table as Store. Every read is a GetItem, a BatchGetItem or a Query, never a Scan.
"""

import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from backlinks.dal import keys
from backlinks.dal.clients import dynamodb_resource
from backlinks.dal.store import (
    Store,
    conditional_failed,
    decode_cursor,
    encode_cursor,
    from_item_value,
    query_all,
    query_count,
    to_item_value,
)
from backlinks.models.projects import Event, Project, StoredLink
from backlinks.models.records import ReferringDomain, Scope

PROJECT_FIELDS_SKIPPED = ("pk", "sk", "expires_at")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def due_shard(team_id: str, project_id: str) -> int:
    return zlib.crc32(f"{team_id}#{project_id}".encode()) % keys.DUE_SHARDS


class ProjectStore(Store):
    """Store plus the project items; inherits the referring domain, job and usage methods."""

    # Projects --------------------------------------------------------------------------------

    @staticmethod
    def _project(item: dict) -> Project:
        values = {k: v for k, v in from_item_value(item).items() if k not in PROJECT_FIELDS_SKIPPED}
        return Project.model_validate(values)

    def _project_key(self, team_id: str, project_id: str) -> dict:
        return {"pk": keys.team_pk(team_id), "sk": keys.project_sk(project_id)}

    def create_project(self, project: Project) -> bool:
        """Write a new project. Returns False when the team already has a project of that id."""
        item = to_item_value(project.model_dump(mode="json"))
        item.update(self._project_key(project.team_id, project.project_id))
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    def get_project(self, team_id: str, project_id: str, *, consistent: bool = False) -> Project | None:
        response = self.table.get_item(Key=self._project_key(team_id, project_id), ConsistentRead=consistent)
        item = response.get("Item")
        return self._project(item) if item else None

    def list_projects(
        self, team_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Project], str | None]:
        pk = keys.team_pk(team_id)
        request = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.team_project_prefix()),
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        response = self.table.query(**request)
        last_key = response.get("LastEvaluatedKey")
        projects = [self._project(item) for item in response.get("Items", [])]
        return projects, encode_cursor(last_key) if last_key else None

    def claim_refresh(
        self, team_id: str, project_id: str, job_id: str, now: datetime, stale_after: timedelta
    ) -> str | None:
        """Mark `job_id` as the project's one refresh in flight; returns None or the holder's job id."""
        try:
            self.table.update_item(
                Key=self._project_key(team_id, project_id),
                UpdateExpression="SET active_refresh_job_id = :job, active_refresh_started_at = :now",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(active_refresh_job_id)"
                " OR active_refresh_job_id = :none OR active_refresh_started_at < :stale)",
                ExpressionAttributeValues={
                    ":job": job_id,
                    ":now": _iso(now),
                    ":none": None,
                    ":stale": _iso(now - stale_after),
                },
            )
            return None
        except ClientError as error:
            if not conditional_failed(error):
                raise
        current = self.get_project(team_id, project_id, consistent=True)
        return current.active_refresh_job_id if current else None

    def release_refresh(self, team_id: str, project_id: str, job_id: str) -> None:
        try:
            self.table.update_item(
                Key=self._project_key(team_id, project_id),
                UpdateExpression="REMOVE active_refresh_job_id, active_refresh_started_at",
                ConditionExpression="active_refresh_job_id = :job",
                ExpressionAttributeValues={":job": job_id},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def switch_project_generation(self, team_id: str, project_id: str, job_id: str, values: dict) -> bool:
        """Switch users to the generation of `job_id` if that job still has the refresh claim."""
        names = {f"#f{i}": name for i, name in enumerate(values)}
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        try:
            self.table.update_item(
                Key=self._project_key(team_id, project_id),
                UpdateExpression=f"SET generation = :job, last_refresh_job_id = :job, {assignments}"
                " REMOVE active_refresh_job_id, active_refresh_started_at",
                ConditionExpression="active_refresh_job_id = :job",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":job": job_id,
                    **{f":v{i}": to_item_value(value) for i, value in enumerate(values.values())},
                },
            )
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    def update_project(self, team_id: str, project_id: str, values: dict, *, generation: str) -> bool:
        """Set fields of a project whose generation is still `generation`; False if it changed since."""
        names = {f"#f{i}": name for i, name in enumerate(values)}
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        try:
            self.table.update_item(
                Key=self._project_key(team_id, project_id),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression="generation = :gen",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":gen": generation,
                    **{f":v{i}": to_item_value(value) for i, value in enumerate(values.values())},
                },
            )
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    # Backlinks ---------------------------------------------------------------------------------

    def put_links(
        self, scope: Scope, generation: str, links: Iterable[StoredLink], expires_at: datetime
    ) -> int:
        pk = keys.links_pk(scope, generation)
        written = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for link in links:
                item = to_item_value(link.model_dump(mode="json"))
                item.update(pk=pk, sk=keys.link_sk(link.link_id), expires_at=int(expires_at.timestamp()))
                batch.put_item(Item=item)
                written += 1
        return written

    def get_links(self, scope: Scope, generation: str, link_ids: Sequence[str]) -> dict[str, StoredLink]:
        pk = keys.links_pk(scope, generation)
        found = {}
        for item in self._batch_get([{"pk": pk, "sk": keys.link_sk(i)} for i in dict.fromkeys(link_ids)]):
            link = StoredLink.model_validate(
                {k: v for k, v in from_item_value(item).items() if k not in PROJECT_FIELDS_SKIPPED}
            )
            found[link.link_id] = link
        return found

    def iter_links(self, scope: Scope, generation: str) -> Iterator[StoredLink]:
        request = {"KeyConditionExpression": Key("pk").eq(keys.links_pk(scope, generation))}
        for item in query_all(self.table, request):
            values = {k: v for k, v in from_item_value(item).items() if k not in PROJECT_FIELDS_SKIPPED}
            yield StoredLink.model_validate(values)

    def get_referring_domains(
        self, scope: Scope, generation: str, domains: Sequence[str]
    ) -> dict[str, ReferringDomain]:
        pk = keys.generation_pk(scope, generation)
        found = {}
        for item in self._batch_get(
            [{"pk": pk, "sk": keys.referring_domain_sk(d)} for d in dict.fromkeys(domains)]
        ):
            record = self._referring_domain(item)
            found[record.domain] = record
        return found

    def iter_referring_domains(self, scope: Scope, generation: str) -> Iterator[ReferringDomain]:
        request = {"KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation))}
        for item in query_all(self.table, request):
            yield self._referring_domain(item)

    def count_spam_score_range(self, scope: Scope, generation: str, low: int, high: int) -> int:
        """Count the generation's referring domains with low <= spam score <= high (spam score index)."""
        index_name, attribute = "by_spam_score", "lsi_spam_score"
        request = {
            "IndexName": index_name,
            "KeyConditionExpression": Key("pk").eq(keys.generation_pk(scope, generation))
            & Key(attribute).between(low, high),
            "Select": "COUNT",
        }
        return query_count(self.table, request)

    # Events ------------------------------------------------------------------------------------

    @staticmethod
    def event_sk(event: Event) -> str:
        return f"{_iso(event.at)}#{event.type.value}#{event.event_id}"

    def put_events(self, scope: Scope, events: Iterable[Event], expires_at: datetime) -> int:
        """Write events; an event id is a hash of the change, so writing one again overwrites it."""
        pk = keys.events_pk(scope)
        written = 0
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for event in events:
                item = to_item_value(event.model_dump(mode="json"))
                item.update(pk=pk, sk=self.event_sk(event), expires_at=int(expires_at.timestamp()))
                batch.put_item(Item=item)
                written += 1
        return written

    def query_events(
        self,
        scope: Scope,
        *,
        types: Sequence[str],
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Event], str | None]:
        """Return one page of events, newest first, and the cursor of the next page."""
        pk = keys.events_pk(scope)
        low = _iso(since) if since else "0"
        # "~" sorts after every character of an ISO time, so the upper bound includes `until` itself.
        high = f"{_iso(until)}#~" if until else "~"
        request = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").between(low, high),
            "ScanIndexForward": False,
            "Limit": max(limit, 100),
        }
        if types:
            request["FilterExpression"] = Attr("type").is_in(list(types))
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        items: list[dict] = []
        last_key = None
        while True:
            response = self.table.query(**request)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if len(items) >= limit or not last_key:
                break
            request["ExclusiveStartKey"] = last_key
        page = items[:limit]
        next_cursor = None
        if page and (len(items) > limit or last_key):
            next_cursor = encode_cursor({"pk": page[-1]["pk"], "sk": page[-1]["sk"]})
        events = [
            Event.model_validate(
                {k: v for k, v in from_item_value(i).items() if k not in PROJECT_FIELDS_SKIPPED}
            )
            for i in page
        ]
        return events, next_cursor

    # Daily due list ------------------------------------------------------------------------------

    def schedule_pull(self, team_id: str, project_id: str, day: str, *, previous_day: str | None) -> None:
        """Move the project's due item to `day`, removing the one of `previous_day`, in one transaction."""
        shard = due_shard(team_id, project_id)
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": keys.due_pk(shard),
                        "sk": keys.due_sk(day, team_id, project_id),
                        "team_id": team_id,
                        "project_id": project_id,
                        "day": day,
                    },
                }
            }
        ]
        if previous_day and previous_day != day:
            items.append(
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {
                            "pk": keys.due_pk(shard),
                            "sk": keys.due_sk(previous_day, team_id, project_id),
                        },
                    }
                }
            )
        dynamodb_resource().meta.client.transact_write_items(TransactItems=items)

    def query_due(self, day: str) -> Iterator[dict]:
        """Yield the due items of `day` and of every earlier day, one Query per shard."""
        for shard in range(keys.DUE_SHARDS):
            request = {"KeyConditionExpression": Key("pk").eq(keys.due_pk(shard)) & Key("sk").lt(f"{day}#~")}
            yield from (from_item_value(item) for item in query_all(self.table, request))
