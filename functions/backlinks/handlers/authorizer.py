"""API Gateway Lambda authorizer (TOKEN type): resolves "Authorization: Bearer <token>" to a team.

API Gateway responds 401 when the header is missing or this function raises "Unauthorized", and
403 when it returns a Deny policy (a revoked token). An Allow policy carries the team in its context,
which the API function reads as requestContext.authorizer.team_id.
"""

from backlinks.errors import UnauthorizedError
from backlinks.handlers.context import get_services
from backlinks.logic import teams
from backlinks.observability import logger, tracer

# API Gateway turns exactly this exception message into a 401 response.
UNAUTHORIZED = "Unauthorized"


def api_wide_resource(method_arn: str) -> str:
    """Widen a method ARN to every method and path of its stage.

    API Gateway caches the policy by token for all routes, so a policy that named only the first
    route would deny the token's next request to any other route.
    """
    parts = method_arn.split("/")
    if len(parts) < 2:
        raise ValueError(f"invalid methodArn {method_arn!r}: expected <api arn>/<stage>/<method>/<path>")
    return "/".join(parts[:2]) + "/*/*"


def policy(principal_id: str, effect: str, method_arn: str, context: dict | None = None) -> dict:
    document = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": api_wide_resource(method_arn)}
            ],
        },
    }
    if context:
        document["context"] = context
    return document


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    store = teams.team_store(get_services())
    method_arn = event.get("methodArn", "")
    try:
        caller = teams.authenticate(store, event.get("authorizationToken"))
    except UnauthorizedError as error:
        logger.info("token_rejected", extra={"reason": error.message})
        raise Exception(UNAUTHORIZED) from None  # noqa: TRY002 - API Gateway matches this exact message
    except teams.TokenRevokedError as error:
        logger.info("token_revoked_used", extra={"token_id": str(error)})
        return policy(f"revoked:{error}", "Deny", method_arn)
    return policy(
        caller.team_id,
        "Allow",
        method_arn,
        {"team_id": caller.team_id, "token_id": caller.token_id},
    )
