"""Disavow and CSV exports of a lookup's toxic referring domains, stored in S3."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import idna

from backlinks.dal.exports import put_export
from backlinks.errors import EmptyExportError
from backlinks.logic.csv_export import build_csv
from backlinks.logic.disavow import build_disavow_file
from backlinks.models.records import DataView, ReferringDomain
from backlinks.services import Services

EXPORT_RECORD_RETENTION = timedelta(days=365)
CSV_COLUMNS = (
    "domain",
    "spam_score",
    "is_toxic",
    "rank",
    "backlinks",
    "backlinks_spam_score",
    "first_seen",
    "lost_date",
)
PAGE_SIZE = 1000


def iter_toxic_domains(services: Services, view: DataView, threshold: int) -> Iterator[ReferringDomain]:
    cursor = None
    while True:
        page, cursor = services.store.query_referring_domains(
            view.scope,
            view.generation,
            sort="spam_score",
            descending=True,
            limit=PAGE_SIZE,
            cursor=cursor,
            min_spam_score=threshold,
        )
        yield from page
        if cursor is None:
            return


def display_name(target: str) -> str:
    """Return the Unicode form of a punycode host for file names, or the host as it is."""
    try:
        return idna.decode(target)
    except idna.IDNAError:
        return target


def export_toxic_domains(services: Services, view: DataView, *, threshold: int, fmt: str) -> dict:
    """Build the export of a lookup or a project, store it and return its presigned download and counts."""
    team_id, target = view.scope.team_id, view.target
    toxic = list(iter_toxic_domains(services, view, threshold))
    fetched = view.fetched_at.date().isoformat() if view.fetched_at else "unknown"
    if not toxic:
        raise EmptyExportError(
            f"no referring domain of {target} has a spam score of {threshold} or more, so there is nothing "
            "to export. An empty disavow file uploaded to Google would clear your current list.",
            target=target,
            threshold=threshold,
        )

    now = services.clock()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if fmt == "txt":
        built = build_disavow_file(
            (record.domain for record in toxic),
            comment_lines=(
                f"Disavow list for {target}: referring domains with a spam score of {threshold} or more",
                f"Backlink data fetched {fetched}, file generated {now.date().isoformat()}",
            ),
        )
        content, content_type = built.content, "text/plain; charset=utf-8"
        counts = {
            "entries": built.entries,
            "lines": built.lines,
            "bytes": built.byte_count,
            "skipped": built.skipped,
        }
        filename = f"disavow-{display_name(target)}-{now.date().isoformat()}.txt"
    else:
        rows = (
            {
                "domain": record.domain,
                "spam_score": record.spam_score,
                "is_toxic": True,
                "rank": record.rank,
                "backlinks": record.backlinks,
                "backlinks_spam_score": record.backlinks_spam_score,
                "first_seen": record.first_seen.isoformat() if record.first_seen else None,
                "lost_date": record.lost_date.isoformat() if record.lost_date else None,
            }
            for record in toxic
        )
        content = build_csv(rows, CSV_COLUMNS)
        content_type = "text/csv; charset=utf-8"
        counts = {"entries": len(toxic), "lines": len(toxic) + 1, "bytes": len(content), "skipped": {}}
        filename = f"toxic-domains-{display_name(target)}-{now.date().isoformat()}.csv"

    export_id = uuid.uuid4().hex
    key = f"exports/{team_id}/{view.scope.kind.value}/{view.scope.key}/{stamp}-{export_id}.{fmt}"
    download = put_export(
        services.settings.exports_bucket,
        key,
        content,
        content_type=content_type,
        filename=filename,
        expiry_seconds=services.settings.presign_expiry_seconds,
    )
    record = {
        "export_id": export_id,
        "target": target,
        "scope": view.scope.model_dump(mode="json"),
        "format": fmt,
        "threshold": threshold,
        "key": key,
        "filename": filename,
        "generation": view.generation,
        **counts,
    }
    services.store.put_export_record(team_id, record, now, now + EXPORT_RECORD_RETENTION)
    return {
        "url": download.url,
        "expires_at": download.expires_at.isoformat(),
        "format": fmt,
        "filename": filename,
        "threshold": threshold,
        "data_fetched_at": view.fetched_at.isoformat() if view.fetched_at else None,
        **counts,
    }
