"""Routes of the disavow workflow scoped to a project: keep list, file uploads and disavow versions.

They call the same logic as the Lookup Mode routes in disavow_routes.py, with the project's scope.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.disavow_routes import (
    UPLOAD_CONTENT_TYPES,
    Cursor,
    ImportReasons,
    ImportReport,
    ImportThreshold,
    KeepEntry,
    Limit,
    unsupported_upload_response,
    upload_content_type,
    uploaded_bytes,
)
from backlinks.handlers.views import download_response
from backlinks.logic import keep_list, projects, versions
from backlinks.logic.disavow_workflow import REPORT_PROBLEMS, import_disavow_upload
from backlinks.logic.scores import TOXIC_DEFAULT
from backlinks.models.records import Scope

router = Router()


def project_scope(project_id: str) -> tuple[Scope, str]:
    """Return the caller's project scope and target; NotFoundError (404) for an unknown project."""
    found = projects.require_project(get_services(), current_team(router), project_id)
    return Scope.project(found.team_id, found.project_id), found.target


@router.get("/v1/backlinks/<project>/keep-list", summary="The project's own keep list")
def list_project_keep_list(project: str, limit: Limit = 100, cursor: Cursor = None):
    scope, target = project_scope(project)
    items, next_cursor = keep_list.list_entries(
        get_services(), scope.team_id, scope, limit=limit, cursor=cursor
    )
    return json_response(200, {"target": target, "items": items, "next_cursor": next_cursor})


@router.put("/v1/backlinks/<project>/keep-list/<entry>", summary="Add a domain to the project's keep list")
def put_project_keep_entry(project: str, entry: str, body: Annotated[KeepEntry | None, Body()] = None):
    scope, _target = project_scope(project)
    note = body.note if body else None
    return json_response(200, keep_list.add_entry(get_services(), scope.team_id, scope, entry, note))


@router.delete(
    "/v1/backlinks/<project>/keep-list/<entry>", summary="Remove a domain from the project's keep list"
)
def delete_project_keep_entry(project: str, entry: str):
    scope, _target = project_scope(project)
    host = keep_list.remove_entry(get_services(), scope.team_id, scope, entry)
    return json_response(200, {"domain": host, "removed": True})


@router.post(
    "/v1/backlinks/<project>/disavow-import",
    summary="Upload a disavow file for a project: per-line report, merge, new version",
)
def project_disavow_import(
    project: str,
    threshold: ImportThreshold = TOXIC_DEFAULT,
    reasons: ImportReasons = False,
    report: ImportReport = REPORT_PROBLEMS,
):
    if upload_content_type() not in UPLOAD_CONTENT_TYPES:
        return unsupported_upload_response()
    view = projects.require_data(get_services(), current_team(router), project).view()
    result = import_disavow_upload(
        get_services(), view, uploaded_bytes(), threshold=threshold, reasons=reasons, report=report
    )
    return json_response(200, {"target": view.target, **result})


@router.get(
    "/v1/backlinks/<project>/disavow-versions", summary="The project's disavow versions, newest first"
)
def list_project_disavow_versions(project: str, limit: Limit = 50, cursor: Cursor = None):
    scope, target = project_scope(project)
    items, next_cursor = versions.list_versions(get_services(), scope, limit=limit, cursor=cursor)
    return json_response(200, {"target": target, "items": items, "next_cursor": next_cursor})


# Registered before .../disavow-versions/<version_id>: routes are matched in registration order.
@router.get(
    "/v1/backlinks/<project>/disavow-versions/diff",
    summary="Entries added and removed between two of the project's disavow versions",
)
def diff_project_disavow_versions(
    project: str,
    from_version: Annotated[str, Query(alias="from", max_length=64, description="The older version id.")],
    to_version: Annotated[str, Query(alias="to", max_length=64, description="The newer version id.")],
    limit: Annotated[
        int,
        Query(ge=1, le=versions.DIFF_MAX_LIMIT, description="Entries listed per side; counts are complete."),
    ] = versions.DIFF_DEFAULT_LIMIT,
):
    scope, target = project_scope(project)
    diff = versions.diff_versions(get_services(), scope, from_version, to_version, limit=limit)
    return json_response(200, {"target": target, **diff})


@router.get(
    "/v1/backlinks/<project>/disavow-versions/<version_id>",
    summary="Download one of the project's disavow versions",
)
def get_project_disavow_version(project: str, version_id: str):
    scope, _target = project_scope(project)
    return download_response(router, versions.version_download(get_services(), scope, version_id))
