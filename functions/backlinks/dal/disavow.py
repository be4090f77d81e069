"""Keep-list entries and disavow file versions in the single table, and version files in S3.

Every read is a GetItem or a Query on one partition, never a Scan.
"""

from datetime import datetime

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from backlinks.dal import keys
from backlinks.dal.clients import dynamodb_resource, s3_client
from backlinks.dal.exports import content_disposition
from backlinks.dal.store import decode_cursor, encode_cursor, from_item_value, query_all, to_item_value
from backlinks.models.records import Scope

_ITEM_KEYS = ("pk", "sk")


def _strip_keys(item: dict) -> dict:
    return {name: value for name, value in from_item_value(item).items() if name not in _ITEM_KEYS}


class DisavowStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def table(self):
        return dynamodb_resource().Table(self.table_name)

    # Keep lists ------------------------------------------------------------------------------

    def put_keep_entry(self, pk: str, domain: str, note: str | None, added_at: datetime) -> None:
        self.table.put_item(
            Item={
                "pk": pk,
                "sk": keys.keep_entry_sk(domain),
                "domain": domain,
                "note": note,
                "added_at": to_item_value(added_at),
            }
        )

    def delete_keep_entry(self, pk: str, domain: str) -> bool:
        """Delete an entry; returns False when it did not exist."""
        response = self.table.delete_item(
            Key={"pk": pk, "sk": keys.keep_entry_sk(domain)}, ReturnValues="ALL_OLD"
        )
        return "Attributes" in response

    def list_keep_entries(
        self, pk: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[dict], str | None]:
        """Return one page of entries sorted by domain and the cursor of the next page."""
        request = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.KEEP_SK_PREFIX),
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        response = self.table.query(**request)
        last_key = response.get("LastEvaluatedKey")
        items = [_strip_keys(item) for item in response.get("Items", [])]
        return items, encode_cursor(last_key) if last_key else None

    def keep_domains(self, pk: str) -> set[str]:
        """Return every domain of one keep list (all pages)."""
        request = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.KEEP_SK_PREFIX),
            "ProjectionExpression": "#domain",
            "ExpressionAttributeNames": {"#domain": "domain"},
        }
        return {item["domain"] for item in query_all(self.table, request)}

    # Disavow versions ------------------------------------------------------------------------

    def put_version(self, scope: Scope, record: dict) -> None:
        item = to_item_value(record)
        item.update(pk=keys.disavow_versions_pk(scope), sk=keys.disavow_version_sk(record["version_id"]))
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get_version(self, scope: Scope, version_id: str) -> dict | None:
        response = self.table.get_item(
            Key={"pk": keys.disavow_versions_pk(scope), "sk": keys.disavow_version_sk(version_id)}
        )
        item = response.get("Item")
        return _strip_keys(item) if item else None

    def list_versions(
        self, scope: Scope, *, limit: int, cursor: str | None = None
    ) -> tuple[list[dict], str | None]:
        """Return one page of versions, newest first, and the cursor of the next page."""
        pk = keys.disavow_versions_pk(scope)
        request = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.VERSION_SK_PREFIX),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        response = self.table.query(**request)
        last_key = response.get("LastEvaluatedKey")
        items = [_strip_keys(item) for item in response.get("Items", [])]
        return items, encode_cursor(last_key) if last_key else None


def read_object(bucket: str, key: str) -> bytes | None:
    """Return an object's bytes, or None when it does not exist (for example after expiry)."""
    try:
        response = s3_client().get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return response["Body"].read()


def presign_download(bucket: str, key: str, *, filename: str, content_type: str, expiry_seconds: int) -> str:
    """Return a presigned GET URL of a stored file that downloads under `filename`."""
    return s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
            "ResponseContentType": content_type,
        },
        ExpiresIn=expiry_seconds,
    )
