"""Per-process services and per-request helpers shared by the route modules."""

import json
from functools import lru_cache

from aws_lambda_powertools.event_handler import Response

from backlinks.errors import UnauthorizedError
from backlinks.logic import teams
from backlinks.services import Services, build_services
from backlinks.settings import get_settings


@lru_cache(maxsize=1)
def get_services() -> Services:
    """Build the services once per process (cold start), after the environment is in place."""
    return build_services(get_settings())


def caller_team(router) -> str:
    """Return the caller's team from the Lambda authorizer's context, without checking its subscription.

    Without an authorizer context (a direct invocation in tests) the team is DEFAULT_TEAM_ID. When
    that is empty, as in the deployed stack, such a request is rejected with 401.
    """
    event = router.current_event
    authorizer = event.request_context.authorizer if event else None
    team_id = authorizer.get("team_id") if authorizer is not None else None
    team_id = team_id or get_services().settings.default_team_id
    if not team_id:
        raise UnauthorizedError("the request carries no team: call the API with an API token")
    return team_id


def current_team(router) -> str:
    """Return the caller's team after checking that its backlinks subscription is active (402 if not)."""
    team_id = caller_team(router)
    teams.require_active_subscription(get_services(), team_id)
    return team_id


def json_response(status_code: int, body: dict, headers: dict | None = None) -> Response:
    return Response(
        status_code=status_code,
        content_type="application/json",
        body=json.dumps(body, default=str),
        headers=headers,
    )
