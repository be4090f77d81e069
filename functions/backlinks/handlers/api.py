"""API Gateway entry point: one REST resolver, one router per resource, errors mapped in one place."""

import json
import math
from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from backlinks.errors import (
    BudgetExceededError,
    ConflictError,
    DailyLimitError,
    EmptyExportError,
    ExportLimitError,
    InvalidDomainError,
    InvalidParameterError,
    NotFoundError,
    PayloadTooLargeError,
    PlanLimitError,
    ProviderCallError,
    ProviderUnavailableError,
    ServiceError,
    SubscriptionRequiredError,
    UnauthorizedError,
)
from backlinks.handlers import (
    anchor_routes,
    disavow_routes,
    job_routes,
    lookup_routes,
    project_disavow_routes,
    project_routes,
    team_routes,
    timeseries_routes,
)
from backlinks.handlers.context import json_response
from backlinks.observability import logger, metrics, tracer

API_TITLE = "Backlinks API"
API_VERSION = "1.0.0"
MAX_BODY_BYTES = 64 * 1024

STATUS_BY_ERROR: dict[type[ServiceError], int] = {
    InvalidDomainError: 400,
    InvalidParameterError: 400,
    NotFoundError: 404,
    ConflictError: 409,
    EmptyExportError: 409,
    ExportLimitError: 422,
    PayloadTooLargeError: 413,
    ProviderUnavailableError: 503,
    ProviderCallError: 502,
    UnauthorizedError: 401,
    SubscriptionRequiredError: 402,
    PlanLimitError: 402,
    BudgetExceededError: 402,
    DailyLimitError: 429,
}

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(lookup_routes.router)
app.include_router(job_routes.router)
app.include_router(team_routes.router)
app.include_router(project_routes.router)
app.include_router(disavow_routes.router)
app.include_router(project_disavow_routes.router)
app.include_router(anchor_routes.router)
app.include_router(timeseries_routes.router)


def error_body(code: str, message: str, details: object = None) -> dict:
    return {"error": code, "message": message, "details": details or {}}


@app.exception_handler(ServiceError)
def handle_service_error(error: ServiceError) -> Response:
    status = next((code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 400)
    headers = None
    if status == 429 and isinstance(error, DailyLimitError) and error.resets_at:
        headers = {"Retry-After": str(retry_after_seconds(error.resets_at))}
    return json_response(status, error_body(error.code, error.message, error.details), headers)


def retry_after_seconds(resets_at: str) -> int:
    """Seconds from now until an ISO 8601 reset time, at least 1."""
    remaining = datetime.fromisoformat(resets_at) - datetime.now(UTC)
    return max(1, math.ceil(remaining.total_seconds()))


@app.exception_handler(RequestValidationError)
def handle_validation_error(error: RequestValidationError) -> Response:
    problems = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            # Powertools reports a body that is not JSON with the parse position as its location.
            problems.append({"parameter": "body", "value": None, "reason": "not valid JSON"})
            continue
        location = [str(part) for part in item.get("loc", ()) if part not in ("query", "body", "path")]
        name = ".".join(location) or "request"
        problems.append({"parameter": name, "value": item.get("input"), "reason": item.get("msg")})
    first = problems[0] if problems else {"parameter": "request", "value": None, "reason": "invalid"}
    message = f"invalid {first['parameter']} {first['value']!r}: {first['reason']}"
    return json_response(422, error_body("invalid_parameter", message, {"problems": problems}))


@app.get("/v1/openapi.json", summary="OpenAPI description of this API")
def openapi():
    schema = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={
            "bearerToken": HTTPBearer(description="A team API token: Authorization: Bearer blk_...")
        },
        security=[{"bearerToken": []}],
    )
    return Response(status_code=200, content_type="application/json", body=describe_errors(schema))


ERROR_BODY_SCHEMA = {
    "type": "object",
    "title": "ErrorBody",
    "required": ["error", "message", "details"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, such as invalid_parameter or not_found."},
        "message": {"type": "string", "description": "What is wrong, naming the value, and what to do next."},
        "details": {
            "type": "object",
            "description": "The parameter, value, limit or problems behind the error.",
        },
    },
}


def describe_errors(schema_json: str) -> str:
    """Describe every operation's error responses with the body the API really sends.

    Powertools declares its own validation error shape for 422, which this API replaces with the
    ErrorBody of every other error (handle_validation_error). Other statuses are listed in docs/api.md
    and declared here as the operations' default response.
    """
    schema = json.loads(schema_json)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        components.pop(name, None)
    components["ErrorBody"] = ERROR_BODY_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "A parameter or the body is invalid", "content": error}
            responses["default"] = {
                "description": "An error (docs/api.md lists the statuses)",
                "content": error,
            }
    return json.dumps(schema)


@app.not_found
def not_found(_error: Exception) -> Response:
    path = app.current_event.path
    return json_response(404, error_body("not_found", f"no route {app.current_event.http_method} {path}"))


def body_limit(event: dict) -> int:
    """Return the maximum request body length in characters of this event's route."""
    # File uploads may be larger; their routes also check the decoded size and name their own limit.
    if event.get("resource") in disavow_routes.UPLOAD_RESOURCES:
        return disavow_routes.MAX_UPLOAD_EVENT_BODY_BYTES
    return MAX_BODY_BYTES


def unsupported_body(event: dict) -> str | None:
    """Return the Content-Type of a JSON route's body that is not declared as JSON, else None.

    A body sent without `Content-Type: application/json` (curl -d sends a form type) would
    otherwise be ignored and the defaults used, which hides the caller's mistake.
    """
    if not event.get("body") or event.get("resource") in disavow_routes.UPLOAD_RESOURCES:
        return None
    headers = event.get("headers") or {}
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), "")
    if content_type and content_type.split(";")[0].strip().lower() == "application/json":
        return None
    return content_type or "none"


def body_too_large(event: dict) -> bool:
    body = event.get("body") or ""
    return len(body) > body_limit(event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    if body_too_large(event):
        message = (
            f"request body of {len(event.get('body') or '')} bytes exceeds the limit of {body_limit(event)}"
        )
        return {
            "statusCode": 413,
            "headers": {"Content-Type": "application/json"},
            "body": json_response(413, error_body("payload_too_large", message)).body,
        }
    content_type = unsupported_body(event)
    if content_type is not None:
        message = (
            f"request body has Content-Type {content_type!r}; send JSON with Content-Type: application/json"
        )
        return {
            "statusCode": 415,
            "headers": {"Content-Type": "application/json"},
            "body": json_response(415, error_body("unsupported_media_type", message)).body,
        }
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    return app.resolve(event, context)
