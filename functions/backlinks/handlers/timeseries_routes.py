"""Routes of the velocity time series, for a project's target and for a pulled domain.

The query parameters are plain strings here and validated in logic/timeseries.py, so that a bad
granularity or date returns 400 with the allowed values, like the other parameter errors that the
logic raises.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from backlinks.handlers.context import current_team, get_services, json_response
from backlinks.handlers.lookup_routes import target_from_path
from backlinks.logic import lookup, projects, timeseries

router = Router()

Granularity = Annotated[
    str | None,
    Query(
        description="daily, weekly or monthly (default): the length of one period.",
        json_schema_extra={
            "enum": [*timeseries.GROUP_RANGES, None],
            "default": timeseries.DEFAULT_GRANULARITY,
        },
    ),
]
DateFrom = Annotated[
    str | None,
    Query(
        description="yyyy-mm-dd within the last 12 months: the first day to return periods for.",
        json_schema_extra={"format": "date"},
    ),
]
DateTo = Annotated[
    str | None,
    Query(
        description="yyyy-mm-dd within the last 12 months: the last day to return periods for.",
        json_schema_extra={"format": "date"},
    ),
]


@router.get(
    "/v1/backlinks/by-domain/<domain>/timeseries",
    summary="Backlinks and referring domains gained and lost per period over 12 months",
)
def lookup_timeseries(
    domain: str, granularity: Granularity = None, date_from: DateFrom = None, date_to: DateTo = None
):
    services = get_services()
    team_id = current_team(router)
    request = timeseries.parse_request(granularity, date_from, date_to, today=timeseries.utc_today(services))
    found = lookup.require_lookup(services, team_id, target_from_path(domain))
    return json_response(200, timeseries.velocity(services, team_id, found.target, request))


@router.get(
    "/v1/backlinks/<project>/timeseries",
    summary="Backlinks and referring domains of the project's target gained and lost per period",
)
def project_timeseries(
    project: str, granularity: Granularity = None, date_from: DateFrom = None, date_to: DateTo = None
):
    services = get_services()
    team_id = current_team(router)
    request = timeseries.parse_request(granularity, date_from, date_to, today=timeseries.utc_today(services))
    found = projects.require_project(services, team_id, project)
    body = timeseries.velocity(services, team_id, found.target, request, project_id=found.project_id)
    return json_response(200, body)
