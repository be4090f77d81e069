"""Upload of an existing disavow file: parse it, merge it with the toxic domains, keep the result.

Lookup and project routes call import_disavow_upload with their DataView.
"""

from backlinks.errors import PayloadTooLargeError
from backlinks.logic.disavow_import import Action, parse_disavow
from backlinks.logic.disavow_merge import ToxicDomain, build_document
from backlinks.logic.exports import display_name, iter_toxic_domains
from backlinks.logic.keep_list import effective_keep_list
from backlinks.logic.versions import save_version
from backlinks.models.records import DataView
from backlinks.services import Services

# Google accepts 2 MB; a larger upload may still fit once its URL lines are folded into domain: lines.
# 4,000,000 bytes stay below Lambda's 6 MB request payload limit after base64 encoding (5,333,336).
MAX_UPLOAD_BYTES = 4_000_000
MAX_REPORTED_LINES = 5000
REPORT_PROBLEMS = "problems"
REPORT_ALL = "all"


def import_disavow_upload(
    services: Services,
    view: DataView,
    data: bytes,
    *,
    threshold: int,
    reasons: bool = False,
    report: str = REPORT_PROBLEMS,
) -> dict:
    """Parse an uploaded file, merge it with the toxic domains minus the keep lists and save a version.

    Returns the per-line report (every line with `report` "all", else only lines that were not
    accepted unchanged or kept), the counts and the new version with its download URL. Raises
    PayloadTooLargeError (413), InvalidParameterError (400) for an undecodable file,
    EmptyExportError (409) and ExportLimitError (422).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"the uploaded file is {len(data):,} bytes, but uploads are limited to {MAX_UPLOAD_BYTES:,} bytes",
            byte_count=len(data),
            limit=MAX_UPLOAD_BYTES,
        )
    parsed = parse_disavow(data)

    now = services.clock()
    fetched = view.fetched_at.date().isoformat() if view.fetched_at else "unknown"
    toxic = [
        ToxicDomain(record.domain, record.spam_score)
        for record in iter_toxic_domains(services, view, threshold)
    ]
    document = build_document(
        header=(
            f"Disavow list for {view.target}: the uploaded file merged with the referring domains with a "
            f"spam score of {threshold} or more",
            f"Backlink data fetched {fetched}, file generated {now.date().isoformat()}",
        ),
        toxic=toxic,
        keep=effective_keep_list(services, view.scope),
        imported=parsed,
        reasons=reasons,
        reason_text=f"(threshold {threshold}), backlink data fetched {fetched}",
    )

    summary = line_summary(parsed.lines)
    counts = document.counts()
    filename = f"disavow-{display_name(view.target)}-{now.date().isoformat()}-merged.txt"
    version = save_version(
        services,
        view,
        document.content,
        source="import",
        filename=filename,
        details={"threshold": threshold, "reasons": reasons, "upload": summary, **counts},
    )

    shown_lines = [
        line.report()
        for line in parsed.lines
        if report == REPORT_ALL or line.action not in (Action.ACCEPTED, Action.KEPT) or line.warnings
    ]
    return {
        "encoding": parsed.encoding,
        "upload": summary,
        "lines": shown_lines[:MAX_REPORTED_LINES],
        "lines_truncated": len(shown_lines) > MAX_REPORTED_LINES,
        "merged": counts,
        "version": version,
    }


def line_summary(lines) -> dict:
    """Count the uploaded lines by action and the rejected ones by reason."""
    by_action = {action.value: 0 for action in Action}
    by_reason: dict[str, int] = {}
    for line in lines:
        by_action[line.action.value] += 1
        if line.reason is not None:
            by_reason[line.reason.value] = by_reason.get(line.reason.value, 0) + 1
    return {"lines": len(lines), **by_action, "rejected_by_reason": by_reason}
