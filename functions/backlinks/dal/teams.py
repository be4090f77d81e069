"""DynamoDB access for teams, their backlinks subscription, API tokens, counters and spend totals.

Same table as Store, same rules: GetItem, Query or transactions on keys, never a Scan.
"""

from datetime import UTC, datetime

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from backlinks.dal import keys
from backlinks.dal.clients import dynamodb_resource
from backlinks.dal.store import conditional_failed, from_item_value, query_all, query_count, to_item_value


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


class TeamExistsError(Exception):
    """A team id that is already taken, raised by create_team."""


class TeamStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def table(self):
        return dynamodb_resource().Table(self.table_name)

    # Teams and subscriptions ------------------------------------------------------------------

    def create_team(self, team_id: str, name: str, tier: str, now: datetime) -> None:
        """Write the team and its active subscription in one transaction; TeamExistsError if taken."""
        client = dynamodb_resource().meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                "pk": keys.team_pk(team_id),
                                "sk": keys.TEAM_SK,
                                "team_id": team_id,
                                "name": name,
                                "created_at": _iso(now),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                "pk": keys.team_pk(team_id),
                                "sk": keys.SUBSCRIPTION_SK,
                                "team_id": team_id,
                                "tier": tier,
                                "status": "active",
                                "changed_at": _iso(now),
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise TeamExistsError(f"team {team_id!r} already exists") from None
            raise

    def get_subscription(self, team_id: str) -> dict | None:
        item = self.table.get_item(Key={"pk": keys.team_pk(team_id), "sk": keys.SUBSCRIPTION_SK}).get("Item")
        return from_item_value(item) if item else None

    def set_subscription(self, team_id: str, *, tier: str, status: str, now: datetime) -> None:
        self.table.put_item(
            Item={
                "pk": keys.team_pk(team_id),
                "sk": keys.SUBSCRIPTION_SK,
                "team_id": team_id,
                "tier": tier,
                "status": status,
                "changed_at": _iso(now),
            }
        )

    def count_projects(self, team_id: str) -> int:
        """Count the team's project items (sort key PROJECT#<id> under the team's partition)."""
        request = {
            "KeyConditionExpression": Key("pk").eq(keys.team_pk(team_id))
            & Key("sk").begins_with(keys.team_project_prefix()),
            "Select": "COUNT",
        }
        return query_count(self.table, request)

    # API tokens --------------------------------------------------------------------------------

    def put_token(self, team_id: str, token_id: str, token_hash: str, name: str, now: datetime) -> None:
        """Write the token's lookup item and the team's list entry together."""
        common = {"team_id": team_id, "token_id": token_id, "name": name, "created_at": _iso(now)}
        client = dynamodb_resource().meta.client
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "pk": keys.token_pk(token_id),
                            "sk": keys.TOKEN_SK,
                            "token_hash": token_hash,
                            **common,
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {"pk": keys.team_pk(team_id), "sk": keys.team_token_sk(token_id), **common},
                    }
                },
            ]
        )

    def get_token(self, token_id: str) -> dict | None:
        """Return the token's lookup item (team, hash, revoked_at), read strongly consistent.

        A consistent read makes a revocation visible to the next authorizer call.
        """
        item = self.table.get_item(
            Key={"pk": keys.token_pk(token_id), "sk": keys.TOKEN_SK}, ConsistentRead=True
        ).get("Item")
        return from_item_value(item) if item else None

    def list_tokens(self, team_id: str) -> list[dict]:
        request = {
            "KeyConditionExpression": Key("pk").eq(keys.team_pk(team_id))
            & Key("sk").begins_with(keys.TEAM_TOKEN_PREFIX)
        }
        return [from_item_value(item) for item in query_all(self.table, request)]

    def revoke_token(self, team_id: str, token_id: str, now: datetime) -> bool:
        """Mark the team's token revoked. Returns False when the team has no such token.

        The condition on the lookup item's team_id keeps one team from revoking another's token.
        """
        client = dynamodb_resource().meta.client
        update = {
            "UpdateExpression": "SET revoked_at = if_not_exists(revoked_at, :now)",
            "ConditionExpression": "team_id = :team",
            "ExpressionAttributeValues": {":now": _iso(now), ":team": team_id},
        }
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": {"pk": keys.token_pk(token_id), "sk": keys.TOKEN_SK},
                            **update,
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": {"pk": keys.team_pk(team_id), "sk": keys.team_token_sk(token_id)},
                            **update,
                        }
                    },
                ]
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise

    # Daily counters and monthly spend -----------------------------------------------------------

    def take_daily_slot(self, team_id: str, day: str, name: str, limit: int) -> int | None:
        """Add one to the day's counter `name` unless it reached `limit`.

        Returns the new count, or None when the limit was already reached (nothing changed).
        """
        try:
            response = self.table.update_item(
                Key={"pk": keys.daily_counter_pk(team_id, day), "sk": name},
                UpdateExpression="ADD #count :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":one": 1,
                    ":limit": limit,
                    # Counters of a past day are never read again; keep them two days for support.
                    ":expires": int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()) + 2 * 86400,
                },
                ReturnValues="UPDATED_NEW",
            )
            return int(response["Attributes"]["count"])
        except ClientError as error:
            if conditional_failed(error):
                return None
            raise

    def release_daily_slot(self, team_id: str, day: str, name: str) -> None:
        """Give back one slot taken by take_daily_slot, for work that was never started."""
        self.table.update_item(
            Key={"pk": keys.daily_counter_pk(team_id, day), "sk": name},
            UpdateExpression="ADD #count :minus_one",
            ConditionExpression="#count > :zero",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":minus_one": -1, ":zero": 0},
        )

    def get_daily_count(self, team_id: str, day: str, name: str) -> int:
        item = self.table.get_item(Key={"pk": keys.daily_counter_pk(team_id, day), "sk": name}).get("Item")
        return int(item["count"]) if item else 0

    def add_spend(self, team_id: str, month: str, cost: float) -> None:
        self.table.update_item(
            Key={"pk": keys.monthly_spend_pk(team_id, month), "sk": keys.SPEND_SK},
            UpdateExpression="ADD cost :cost, calls :one",
            ExpressionAttributeValues={":cost": to_item_value(float(cost)), ":one": 1},
        )

    def get_spend(self, team_id: str, month: str) -> float:
        """Return the team's DataForSEO cost of the month in USD (0.0 before the first call)."""
        item = self.table.get_item(
            Key={"pk": keys.monthly_spend_pk(team_id, month), "sk": keys.SPEND_SK}, ConsistentRead=True
        ).get("Item")
        return float(item["cost"]) if item else 0.0
