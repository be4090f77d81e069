"""Disavow, CSV and Excel exports of a lookup's or a project's referring domains, stored in S3."""

import itertools
import uuid
from collections.abc import Iterator
from datetime import timedelta

import idna

from backlinks.dal.exports import PresignedDownload, put_export
from backlinks.errors import EmptyExportError
from backlinks.logic.csv_export import build_csv
from backlinks.logic.disavow_merge import ToxicDomain, build_document
from backlinks.logic.keep_list import effective_keep_list, kept_by
from backlinks.logic.versions import save_version, version_key
from backlinks.logic.xlsx_export import build_xlsx
from backlinks.models.records import DataView, ReferringDomain, Scope
from backlinks.services import Services

EXPORT_RECORD_RETENTION = timedelta(days=365)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def export_toxic_domains(
    services: Services,
    view: DataView,
    *,
    threshold: int,
    fmt: str,
    reasons: bool = False,
    rows: str = "toxic",
) -> dict:
    """Build the export of a lookup or a project, store it and return its presigned download and counts.

    fmt "txt" is a Google disavow file of the toxic domains minus the keep lists, kept as a new
    disavow version. With `reasons`, each entry gets a comment line with its spam score. fmt "csv"
    and "xlsx" are spreadsheets of the toxic domains (rows "toxic") or of every referring domain
    (rows "all").
    """
    if fmt == "txt":
        return export_disavow_file(services, view, threshold=threshold, reasons=reasons)
    return export_spreadsheet(services, view, threshold=threshold, fmt=fmt, rows=rows)


def _empty_export_error(view: DataView, threshold: int) -> EmptyExportError:
    return EmptyExportError(
        f"no referring domain of {view.target} has a spam score of {threshold} or more, so there is nothing "
        "to export. An empty disavow file uploaded to Google would clear your current list.",
        target=view.target,
        threshold=threshold,
    )


def export_disavow_file(services: Services, view: DataView, *, threshold: int, reasons: bool) -> dict:
    """Build the disavow file of the toxic domains, store it as a new version and return its download."""
    target = view.target
    toxic = [
        ToxicDomain(record.domain, record.spam_score)
        for record in iter_toxic_domains(services, view, threshold)
    ]
    if not toxic:
        raise _empty_export_error(view, threshold)

    now = services.clock()
    fetched = view.fetched_at.date().isoformat() if view.fetched_at else "unknown"
    document = build_document(
        header=(
            f"Disavow list for {target}: referring domains with a spam score of {threshold} or more",
            f"Backlink data fetched {fetched}, file generated {now.date().isoformat()}",
        ),
        toxic=toxic,
        keep=effective_keep_list(services, view.scope),
        reasons=reasons,
        reason_text=f"(threshold {threshold}), backlink data fetched {fetched}",
    )
    counts = document.counts()
    filename = f"disavow-{display_name(target)}-{now.date().isoformat()}.txt"
    version = save_version(
        services,
        view,
        document.content,
        source="export",
        filename=filename,
        details={"threshold": threshold, "reasons": reasons, **counts},
    )
    record_export(
        services,
        view.scope,
        view.target,
        export_id=version["version_id"],
        fmt="txt",
        key=version_key(view.scope, version["version_id"]),
        filename=filename,
        fields={"threshold": threshold, "generation": view.generation, **counts},
    )
    return {
        "url": version["url"],
        "expires_at": version["expires_at"],
        "format": "txt",
        "filename": filename,
        "threshold": threshold,
        "reasons": reasons,
        "version_id": version["version_id"],
        "data_fetched_at": view.fetched_at.isoformat() if view.fetched_at else None,
        **counts,
    }


def spreadsheet_columns(threshold: int) -> tuple[str, ...]:
    """Header row of CSV and Excel exports: each column names its unit or range."""
    return (
        "domain",
        "spam_score (0-100)",
        f"is_toxic (spam_score >= {threshold})",
        "on_keep_list (true = never disavowed)",
        "rank (0-1000)",
        "backlinks (count)",
        "backlinks_spam_score (0-100)",
        "first_seen (UTC, ISO 8601)",
        "lost_date (UTC, ISO 8601)",
    )


def iter_all_domains(services: Services, view: DataView) -> Iterator[ReferringDomain]:
    cursor = None
    while True:
        page, cursor = services.store.query_referring_domains(
            view.scope, view.generation, sort="rank", descending=True, limit=PAGE_SIZE, cursor=cursor
        )
        yield from page
        if cursor is None:
            return


def spreadsheet_row(record: ReferringDomain, threshold: int, keep: set[str]) -> tuple:
    return (
        record.domain,
        record.spam_score,
        # A missing score is unknown: never toxic.
        record.spam_score is not None and record.spam_score >= threshold,
        kept_by(record.domain, keep) is not None,
        record.rank,
        record.backlinks,
        record.backlinks_spam_score,
        record.first_seen.isoformat() if record.first_seen else None,
        record.lost_date.isoformat() if record.lost_date else None,
    )


def export_spreadsheet(services: Services, view: DataView, *, threshold: int, fmt: str, rows: str) -> dict:
    """Build a CSV or Excel file of the toxic or of all referring domains, streamed page by page."""
    records = (
        iter_toxic_domains(services, view, threshold) if rows == "toxic" else iter_all_domains(services, view)
    )
    first = next(records, None)
    if first is None:
        if rows == "toxic":
            raise _empty_export_error(view, threshold)
        raise EmptyExportError(f"{view.target} has no referring domains to export", target=view.target)

    keep = effective_keep_list(services, view.scope)
    columns = spreadsheet_columns(threshold)
    written = 0

    def row_tuples() -> Iterator[tuple]:
        nonlocal written
        for record in itertools.chain((first,), records):
            written += 1
            yield spreadsheet_row(record, threshold, keep)

    content = spreadsheet_content(row_tuples(), columns, fmt, sheet_name="Referring domains")

    filename = f"{rows}-domains-{display_name(view.target)}-{services.clock().date().isoformat()}.{fmt}"
    counts = {"entries": written, "lines": written + 1, "bytes": len(content), "skipped": {}}
    download = publish_spreadsheet(
        services,
        view.scope,
        view.target,
        fmt=fmt,
        filename=filename,
        content=content,
        record={"threshold": threshold, "generation": view.generation, **counts},
    )
    return {
        "url": download.url,
        "expires_at": download.expires_at.isoformat(),
        "format": fmt,
        "rows": rows,
        "filename": filename,
        "threshold": threshold,
        "data_fetched_at": view.fetched_at.isoformat() if view.fetched_at else None,
        **counts,
    }


def spreadsheet_content(
    rows: Iterator[tuple], columns: tuple[str, ...], fmt: str, *, sheet_name: str
) -> bytes:
    """Build a CSV file, or an Excel file (fmt "xlsx") with one sheet, from row tuples."""
    if fmt == "xlsx":
        return build_xlsx(rows, columns, sheet_name=sheet_name)
    return build_csv((dict(zip(columns, row, strict=True)) for row in rows), columns)


def publish_spreadsheet(
    services: Services, scope: Scope, target: str, *, fmt: str, filename: str, content: bytes, record: dict
) -> PresignedDownload:
    """Store a CSV or Excel export in S3, record it for the team and return its presigned download."""
    now = services.clock()
    export_id = uuid.uuid4().hex
    key = f"exports/{scope.team_id}/{scope.kind.value}/{scope.key}/{now.strftime('%Y%m%dT%H%M%SZ')}-{export_id}.{fmt}"
    download = put_export(
        services.settings.exports_bucket,
        key,
        content,
        content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8",
        filename=filename,
        expiry_seconds=services.settings.presign_expiry_seconds,
    )
    record_export(
        services, scope, target, export_id=export_id, fmt=fmt, key=key, filename=filename, fields=record
    )
    return download


def record_export(
    services: Services,
    scope: Scope,
    target: str,
    *,
    export_id: str,
    fmt: str,
    key: str,
    filename: str,
    fields: dict,
) -> None:
    """Keep a record of an export in the team's export history."""
    now = services.clock()
    record = {
        "export_id": export_id,
        "target": target,
        "scope": scope.model_dump(mode="json"),
        "format": fmt,
        "key": key,
        "filename": filename,
        **fields,
    }
    services.store.put_export_record(scope.team_id, record, now, now + EXPORT_RECORD_RETENTION)
