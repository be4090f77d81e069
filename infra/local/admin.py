"""Operator commands for teams: create a team with its subscription and first API token.

    python -m infra.local.admin create-team --team-id acme --tier pro --aws-endpoint-url http://127.0.0.1:PORT
    TABLE_NAME=<table> python -m infra.local.admin create-team --team-id acme --tier pro

With --aws-endpoint-url the command writes to the local runtime's moto server, in the local table
unless --table-name names another. Without it, boto3's usual configuration and TABLE_NAME select the
table. The token is printed once and stored only as a hash.
"""

import argparse
import os
import sys

from backlinks.dal.clients import reset_clients
from backlinks.dal.teams import TeamExistsError, TeamStore
from backlinks.errors import InvalidParameterError
from backlinks.logic import teams
from backlinks.models.records import utc_now
from infra.local import resources
from infra.local.runtime import LOCAL_AWS_ENV

LOCAL_HOSTS = ("http://127.0.0.1:", "http://localhost:")


def create_team(table_name: str, team_id: str, tier: str, name: str = "") -> str:
    """Create the team in `table_name` and return its first token."""
    _entry, token = teams.create_team(TeamStore(table_name), team_id, tier=tier, name=name, now=utc_now())
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage teams of the backlinks service.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-team", help="create a team, its active subscription and a token")
    create.add_argument("--team-id", required=True, help="3-40 lowercase letters, digits and hyphens")
    create.add_argument("--tier", default="starter", choices=sorted(teams.TIERS), help="subscription tier")
    create.add_argument("--name", default="", help="display name (default: the team id)")
    create.add_argument(
        "--aws-endpoint-url",
        help="the local runtime's moto endpoint, such as http://127.0.0.1:5000 (127.0.0.1 or localhost only)",
    )
    create.add_argument("--table-name", help="table to write to (default: TABLE_NAME, or the local table)")
    args = parser.parse_args(argv)

    if args.aws_endpoint_url:
        if not args.aws_endpoint_url.startswith(LOCAL_HOSTS):
            parser.error(f"invalid --aws-endpoint-url {args.aws_endpoint_url!r}: only 127.0.0.1 or localhost")
        for name, value in LOCAL_AWS_ENV.items():
            os.environ.setdefault(name, value)
        os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint_url
        reset_clients()
    table_name = (
        args.table_name
        or os.environ.get("TABLE_NAME")
        or (resources.TABLE_NAME if args.aws_endpoint_url else None)
    )
    if not table_name:
        parser.error("missing table: set TABLE_NAME or pass --table-name (or --aws-endpoint-url for local)")

    try:
        token = create_team(table_name, args.team_id, args.tier, args.name)
    except (InvalidParameterError, TeamExistsError) as error:
        print(f"error: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    print(f"created team {args.team_id} (tier {args.tier}) in table {table_name}")
    print("API token (shown once, store it now):")
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
