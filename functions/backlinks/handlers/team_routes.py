"""Routes of the caller's team: /v1/teams/current/... (subscription, usage, API tokens).

They work with an inactive subscription too, so a team can always see why it is blocked.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from backlinks.handlers.context import caller_team, get_services, json_response
from backlinks.logic import budget, provider, teams

router = Router()


class TokenOptions(BaseModel):
    # An unknown field is a typo the caller should hear about, not a silently ignored option.
    model_config = {"extra": "forbid"}

    name: str = Field(
        default="", max_length=teams.TOKEN_NAME_MAX, description="A label shown in the token list."
    )


@router.get("/v1/teams/current/backlinks-subscription", summary="Tier, status, limits and usage of the team")
def get_subscription():
    services = get_services()
    body = teams.subscription_view(services, caller_team(router), provider.provider_status(services))
    return json_response(200, body)


@router.get("/v1/teams/current/usage", summary="DataForSEO calls and cost of a month, by day and operation")
def get_usage(
    month: Annotated[
        str | None,
        Query(min_length=7, max_length=7, description="Calendar month YYYY-MM (UTC); default: now"),
    ] = None,
):
    return json_response(200, budget.usage_report(get_services(), caller_team(router), month))


@router.get("/v1/teams/current/tokens", summary="The team's API tokens by prefix (never the secret)")
def list_tokens():
    items = teams.list_tokens(get_services(), caller_team(router))
    return json_response(200, {"items": items})


@router.post("/v1/teams/current/tokens", summary="Create an API token; the response shows it once")
def create_token(options: Annotated[TokenOptions | None, Body()] = None):
    options = options or TokenOptions()
    services = get_services()
    entry, token = teams.create_token(
        teams.team_store(services), caller_team(router), options.name, services.clock()
    )
    return json_response(201, {**entry, "token": token})


@router.delete("/v1/teams/current/tokens/<token_id>", summary="Revoke an API token")
def revoke_token(token_id: str):
    return json_response(200, teams.revoke_token(get_services(), caller_team(router), token_id))
