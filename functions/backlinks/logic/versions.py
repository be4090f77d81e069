"""Versions of a lookup's or a project's disavow file: every generated file is kept with its counts.

Files live in S3 under disavow-versions/, which the bucket's expiry rule for exports/ does not
cover, and their records in the table sorted by time. The diff of two versions lists the entries
one has and the other lacks, so a user can see and undo a change.
"""

import re
import uuid
from datetime import datetime, timedelta

from backlinks.dal.disavow import DisavowStore, presign_download, read_object
from backlinks.dal.exports import put_export
from backlinks.errors import InvalidParameterError, NotFoundError
from backlinks.models.records import DataView, Scope
from backlinks.services import Services

VERSIONS_PREFIX = "disavow-versions"
CONTENT_TYPE = "text/plain; charset=utf-8"
# Sortable by time: microseconds make two versions of one second distinct, the suffix makes them unique.
VERSION_ID_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")
DIFF_DEFAULT_LIMIT = 1000
DIFF_MAX_LIMIT = 10_000


def new_version_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"


def version_key(scope: Scope, version_id: str) -> str:
    """Return the S3 key of a version's file."""
    return f"{VERSIONS_PREFIX}/{scope.team_id}/{scope.kind.value}/{scope.key}/{version_id}.txt"


# NOTE: versions and their files are never deleted; no retention rule (by count or age) exists yet.
def save_version(
    services: Services, view: DataView, content: bytes, *, source: str, filename: str, details: dict
) -> dict:
    """Store a generated disavow file as a new version; return its record with a download URL."""
    now = services.clock()
    version_id = new_version_id(now)
    scope = view.scope
    key = version_key(scope, version_id)
    download = put_export(
        services.settings.exports_bucket,
        key,
        content,
        content_type=CONTENT_TYPE,
        filename=filename,
        expiry_seconds=services.settings.presign_expiry_seconds,
    )
    record = {
        "version_id": version_id,
        "created_at": now.isoformat(),
        "source": source,
        "target": view.target,
        "generation": view.generation,
        "key": key,
        "filename": filename,
        **details,
    }
    DisavowStore(services.store.table_name).put_version(scope, record)
    return {
        **version_view(record),
        "url": download.url,
        "expires_at": download.expires_at.isoformat(),
    }


def version_view(record: dict) -> dict:
    """Return the record as the API shows it, without the storage key."""
    return {name: value for name, value in record.items() if name != "key"}


def list_versions(
    services: Services, scope: Scope, *, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    items, next_cursor = DisavowStore(services.store.table_name).list_versions(
        scope, limit=limit, cursor=cursor
    )
    return [version_view(item) for item in items], next_cursor


def require_version(services: Services, scope: Scope, version_id: str) -> dict:
    """Return a version's record; 400 for an id of the wrong form, 404 when the scope has none."""
    if not VERSION_ID_RE.match(version_id):
        raise InvalidParameterError(
            "version_id", version_id, "not a version id (form 20261204T203600123456Z-0a1b2c3d)"
        )
    record = DisavowStore(services.store.table_name).get_version(scope, version_id)
    if record is None:
        raise NotFoundError(f"no disavow version {version_id} for {scope.key}", version_id=version_id)
    return record


def version_download(services: Services, scope: Scope, version_id: str) -> dict:
    record = require_version(services, scope, version_id)
    expiry = services.settings.presign_expiry_seconds
    url = presign_download(
        services.settings.exports_bucket,
        record["key"],
        filename=record["filename"],
        content_type=CONTENT_TYPE,
        expiry_seconds=expiry,
    )
    return {
        **version_view(record),
        "url": url,
        "expires_at": (services.clock() + timedelta(seconds=expiry)).isoformat(),
    }


def file_entries(content: bytes) -> set[str]:
    """Return the `domain:` and URL lines of a generated file (comment and blank lines left out)."""
    lines = content.decode("utf-8").split("\n")
    return {line for line in lines if line and not line.startswith("#")}


def diff_versions(
    services: Services, scope: Scope, from_id: str, to_id: str, *, limit: int = DIFF_DEFAULT_LIMIT
) -> dict:
    """Compare the entries of two versions: `added` are in `to` only, `removed` in `from` only.

    Each list is sorted and contains at most `limit` entries, while the counts are complete.
    """
    entries = {}
    for name, version_id in (("from", from_id), ("to", to_id)):
        record = require_version(services, scope, version_id)
        content = read_object(services.settings.exports_bucket, record["key"])
        if content is None:
            raise NotFoundError(
                f"the file of disavow version {version_id} is missing from storage", version_id=version_id
            )
        entries[name] = file_entries(content)

    added = sorted(entries["to"] - entries["from"])
    removed = sorted(entries["from"] - entries["to"])
    return {
        "from": from_id,
        "to": to_id,
        "added_count": len(added),
        "removed_count": len(removed),
        "unchanged_count": len(entries["to"] & entries["from"]),
        "added": added[:limit],
        "removed": removed[:limit],
        "truncated": len(added) > limit or len(removed) > limit,
    }
