"""Per-process services and per-request helpers shared by the route modules."""

import json
from functools import lru_cache

from aws_lambda_powertools.event_handler import Response

from backlinks.services import Services, build_services
from backlinks.settings import get_settings


@lru_cache(maxsize=1)
def get_services() -> Services:
    """Build the services once per process (cold start), after the environment is in place."""
    return build_services(get_settings())


def current_team(router) -> str:
    """Return the caller's team: from the authorizer when there is one, else the default team.

    NOTE: until token authentication exists every caller is the default team; the keys already
    carry the team so adding authentication changes no stored data.
    """
    authorizer = (router.current_event.request_context.authorizer or {}) if router.current_event else {}
    team_id = authorizer.get("team_id") if isinstance(authorizer, dict) else None
    return team_id or get_services().settings.default_team_id


def json_response(status_code: int, body: dict, headers: dict | None = None) -> Response:
    return Response(
        status_code=status_code,
        content_type="application/json",
        body=json.dumps(body, default=str),
        headers=headers,
    )
