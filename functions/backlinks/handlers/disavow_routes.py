"""Routes of the disavow workflow: keep lists, file uploads and disavow versions (Lookup Mode)."""

import base64
import binascii
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from backlinks.errors import InvalidParameterError
from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.lookup_routes import lookup_view
from backlinks.handlers.views import download_response
from backlinks.logic import keep_list, versions
from backlinks.logic.disavow_workflow import (
    MAX_UPLOAD_BYTES,
    REPORT_PROBLEMS,
    import_disavow_upload,
)
from backlinks.logic.scores import TOXIC_DEFAULT

router = Router()

IMPORT_PATH = "/v1/backlinks/by-domain/{domain}/disavow-import"
PROJECT_IMPORT_PATH = "/v1/backlinks/{project}/disavow-import"
UPLOAD_RESOURCES = frozenset({IMPORT_PATH, PROJECT_IMPORT_PATH})
# API Gateway passes binary bodies base64-encoded, which makes 4 bytes of 3. The slack above that lets
# the route itself reject a slightly larger file with a message naming the file size limit.
MAX_UPLOAD_EVENT_BODY_BYTES = 8 * 1024 * 1024
UPLOAD_CONTENT_TYPES = ("text/plain", "application/octet-stream")

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]


# Query parameters of the upload routes of both modes.
ImportThreshold = Annotated[
    int, Query(ge=0, le=100, description="Minimum spam score of added toxic domains.")
]
ImportReasons = Annotated[
    bool, Query(description="Write a comment line with the spam score above each added entry.")
]
ImportReport = Annotated[
    Literal["problems", "all"],
    Query(description="problems: only lines not accepted unchanged; all: every line"),
]


class KeepEntry(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    note: str | None = Field(
        default=None, max_length=keep_list.MAX_NOTE_LENGTH, description="Why the domain is kept."
    )


def _page(items: list[dict], next_cursor: str | None) -> dict:
    return {"items": items, "next_cursor": next_cursor}


# Team-wide keep list -----------------------------------------------------------------------------


@router.get("/v1/keep-list", summary="The team's keep list: domains never disavowed")
def list_team_keep_list(limit: Limit = 100, cursor: Cursor = None):
    items, next_cursor = keep_list.list_entries(
        get_services(), current_team(router), None, limit=limit, cursor=cursor
    )
    return json_response(200, _page(items, next_cursor))


@router.put("/v1/keep-list/<domain>", summary="Add a domain to the team's keep list")
def put_team_keep_entry(domain: str, entry: Annotated[KeepEntry | None, Body()] = None):
    note = entry.note if entry else None
    return json_response(200, keep_list.add_entry(get_services(), current_team(router), None, domain, note))


@router.delete("/v1/keep-list/<domain>", summary="Remove a domain from the team's keep list")
def delete_team_keep_entry(domain: str):
    host = keep_list.remove_entry(get_services(), current_team(router), None, domain)
    return json_response(200, {"domain": host, "removed": True})


# Keep list of one lookup ------------------------------------------------------------------------


@router.get("/v1/backlinks/by-domain/<domain>/keep-list", summary="The lookup's own keep list")
def list_lookup_keep_list(domain: str, limit: Limit = 100, cursor: Cursor = None):
    view = lookup_view(domain)
    items, next_cursor = keep_list.list_entries(
        get_services(), view.scope.team_id, view.scope, limit=limit, cursor=cursor
    )
    return json_response(200, {"target": view.target, **_page(items, next_cursor)})


@router.put(
    "/v1/backlinks/by-domain/<domain>/keep-list/<entry>", summary="Add a domain to the lookup's keep list"
)
def put_lookup_keep_entry(domain: str, entry: str, body: Annotated[KeepEntry | None, Body()] = None):
    view = lookup_view(domain)
    note = body.note if body else None
    return json_response(
        200, keep_list.add_entry(get_services(), view.scope.team_id, view.scope, entry, note)
    )


@router.delete(
    "/v1/backlinks/by-domain/<domain>/keep-list/<entry>",
    summary="Remove a domain from the lookup's keep list",
)
def delete_lookup_keep_entry(domain: str, entry: str):
    view = lookup_view(domain)
    host = keep_list.remove_entry(get_services(), view.scope.team_id, view.scope, entry)
    return json_response(200, {"domain": host, "removed": True})


# Upload and versions ----------------------------------------------------------------------------


def uploaded_bytes() -> bytes:
    """Return the request body as sent: API Gateway base64-encodes binary media types."""
    event = router.current_event
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise InvalidParameterError("body", body[:40], f"not valid base64: {error}") from None


def upload_content_type() -> str:
    headers = router.current_event.headers or {}
    value = next((value for name, value in headers.items() if name.lower() == "content-type"), "") or ""
    return value.split(";")[0].strip().lower()


def unsupported_upload_response():
    content_type = upload_content_type()
    message = (
        f"unsupported Content-Type {content_type or '(none)'!r}: send the file as text/plain or "
        f"application/octet-stream (at most {MAX_UPLOAD_BYTES:,} bytes)"
    )
    return json_response(415, {"error": "unsupported_media_type", "message": message, "details": {}})


@router.post(
    "/v1/backlinks/by-domain/<domain>/disavow-import",
    summary="Upload a disavow file: per-line report, merge with the toxic domains, new version",
)
def disavow_import(
    domain: str,
    threshold: ImportThreshold = TOXIC_DEFAULT,
    reasons: ImportReasons = False,
    report: ImportReport = REPORT_PROBLEMS,
):
    if upload_content_type() not in UPLOAD_CONTENT_TYPES:
        return unsupported_upload_response()
    view = lookup_view(domain)
    result = import_disavow_upload(
        get_services(), view, uploaded_bytes(), threshold=threshold, reasons=reasons, report=report
    )
    return json_response(200, {"target": view.target, **result})


@router.get(
    "/v1/backlinks/by-domain/<domain>/disavow-versions", summary="Disavow file versions, newest first"
)
def list_disavow_versions(domain: str, limit: Limit = 50, cursor: Cursor = None):
    view = lookup_view(domain)
    items, next_cursor = versions.list_versions(get_services(), view.scope, limit=limit, cursor=cursor)
    return json_response(200, {"target": view.target, **_page(items, next_cursor)})


# Registered before .../disavow-versions/<version_id>: routes are matched in registration order.
@router.get(
    "/v1/backlinks/by-domain/<domain>/disavow-versions/diff",
    summary="Entries added and removed between two disavow versions",
)
def diff_disavow_versions(
    domain: str,
    from_version: Annotated[str, Query(alias="from", max_length=64, description="The older version id.")],
    to_version: Annotated[str, Query(alias="to", max_length=64, description="The newer version id.")],
    limit: Annotated[
        int,
        Query(ge=1, le=versions.DIFF_MAX_LIMIT, description="Entries listed per side; counts are complete."),
    ] = versions.DIFF_DEFAULT_LIMIT,
):
    view = lookup_view(domain)
    diff = versions.diff_versions(get_services(), view.scope, from_version, to_version, limit=limit)
    return json_response(200, {"target": view.target, **diff})


@router.get(
    "/v1/backlinks/by-domain/<domain>/disavow-versions/<version_id>",
    summary="Download one disavow version (redirect, or JSON with Accept: application/json)",
)
def get_disavow_version(domain: str, version_id: str):
    view = lookup_view(domain)
    return download_response(router, versions.version_download(get_services(), view.scope, version_id))
