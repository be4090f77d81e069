"""The API's routes, the stack's routes and the local gateway agree."""

import json

import pytest
from openapi_spec_validator import validate

# Imported at collection, before sockets are blocked: the X-Ray emitter behind Powertools' Tracer
# opens a UDP socket when it is built.
from backlinks.handlers.api import API_TITLE, API_VERSION, app, describe_errors
from infra.definitions import ROUTES
from infra.local.gateway import build_event, match_route

pytestmark = pytest.mark.usefixtures("socket_disabled")


def resolver_routes() -> set[tuple[str, str]]:
    found = set()
    for route in app._static_routes + app._dynamic_routes:
        path = route.path.replace("<", "{").replace(">", "}")
        found.add((route.method, path))
    return found


def test_definitions_match_resolver():
    assert {(route.method, route.path) for route in ROUTES} == resolver_routes()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/backlinks/by-domain/example.com", "/v1/backlinks/by-domain/{domain}"),
        ("POST", "/v1/backlinks/by-domain/example.com/pull", "/v1/backlinks/by-domain/{domain}/pull"),
        ("GET", "/v1/jobs/abc", "/v1/jobs/{job_id}"),
        ("DELETE", "/v1/jobs/abc", None),
        ("GET", "/v1/backlinks/by-domain/a/b/domains", None),
    ],
)
def test_gateway_matches_routes(method, path, expected):
    assert match_route(method, path) == expected


def test_gateway_event_shape():
    event = build_event(
        "GET",
        "/v1/backlinks/by-domain/b%C3%BCcher.de/spam-scores?min_spam=90&min_spam=95",
        {"Accept": ["application/json"]},
        b"",
        "/v1/backlinks/by-domain/{domain}/spam-scores",
    )

    assert event["path"] == "/v1/backlinks/by-domain/bücher.de/spam-scores"
    assert event["queryStringParameters"] == {"min_spam": "95"}
    assert event["multiValueQueryStringParameters"] == {"min_spam": ["90", "95"]}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_openapi_description_is_valid():
    schema = json.loads(describe_errors(app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION)))

    validate(schema)
    assert "ValidationError" not in json.dumps(schema)
