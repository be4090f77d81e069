"""The REST API: one API Gateway method per definitions.ROUTES entry, all served by one function."""

import re
from collections.abc import Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.data import DataStore
from infra.components.functions import DEFAULTS, FunctionShared, create_function, log_retention
from infra.components.nag import acknowledge
from infra.definitions import (
    API_HANDLER,
    AUTHORIZER_HANDLER,
    BINARY_MEDIA_TYPES,
    ENV_DFS_SECRET_ARN,
    ROUTES,
    Route,
)

STAGE_NAME = "prod"
# API Gateway stops waiting for a Lambda integration after 29 seconds, so a longer function timeout
# would only bill for work no client receives.
API_FUNCTION_TIMEOUT = Duration.seconds(29)
# Stage-wide throttling in requests per second and burst size. Full refreshes and spam-score
# enrichment run as jobs behind SQS, so API requests are short reads and job submissions.
# NOTE: starting values, not measured against real traffic.
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100
# API Gateway caches an authorizer result per token for this long. 60 s bounds how long a revoked
# token keeps working, while a client polling a job every 10 s calls the authorizer once a minute
# instead of six times.
AUTHORIZER_CACHE_TTL = Duration.seconds(60)
AUTHORIZER_TIMEOUT = Duration.seconds(10)
# API Gateway responds 401 to a header that does not look like a token, without calling the function.
TOKEN_HEADER_PATTERN = r"^Bearer blk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$"

_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def path_parameters(path: str) -> list[str]:
    return _PATH_PARAMETER.findall(path)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: FunctionShared,
        data: DataStore,
        queues: Iterable[sqs.IQueue],
        dfs_secret: secretsmanager.ISecret,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = create_function(
            self,
            "Function",
            shared=shared,
            handler=API_HANDLER,
            timeout=API_FUNCTION_TIMEOUT,
            description="Serves the backlinks REST API",
            # The velocity time series routes call DataForSEO while the caller waits.
            extra_environment={ENV_DFS_SECRET_ARN: dfs_secret.secret_arn},
        )
        dfs_secret.grant_read(self.function)
        data.grant_table_read_write(self.function)
        data.grant_exports_read_write(self.function)
        for queue in queues:
            queue.grant_send_messages(self.function)

        self.rest_api = self._create_rest_api()
        validator = self.rest_api.add_request_validator(
            "ParameterValidator",
            request_validator_name="path-parameters",
            validate_request_parameters=True,
            # No method has a request model, so API Gateway passes bodies through, and the function's
            # resolver validates them (422 naming the invalid field).
            validate_request_body=True,
        )
        integration = apigateway.LambdaIntegration(self.function, proxy=True, allow_test_invoke=False)
        self.authorizer_function, self.authorizer = self._create_authorizer(shared, data)
        for route in ROUTES:
            self._add_route(route, integration, validator)

    def _create_authorizer(
        self, shared: FunctionShared, data: DataStore
    ) -> tuple[lambda_.Function, apigateway.TokenAuthorizer]:
        """Create the token authorizer; its function may only read single items of the table."""
        function = create_function(
            self,
            "AuthorizerFunction",
            shared=shared,
            handler=AUTHORIZER_HANDLER,
            timeout=AUTHORIZER_TIMEOUT,
            description="Resolves API tokens to teams for API Gateway",
        )
        iam.Grant.add_to_principal(
            grantee=function, actions=["dynamodb:GetItem"], resource_arns=[data.table.table_arn]
        )
        authorizer = apigateway.TokenAuthorizer(
            self,
            "TokenAuthorizer",
            handler=function,
            identity_source=apigateway.IdentitySource.header("Authorization"),
            validation_regex=TOKEN_HEADER_PATTERN,
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )
        return function, authorizer

    def _create_rest_api(self) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(DEFAULTS.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name="backlinks",
            description="Backlink profiles, spam scores and disavow exports",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            binary_media_types=list(BINARY_MEDIA_TYPES),
            # Execution logging (logging_level below) needs the account-wide API Gateway CloudWatch role.
            cloud_watch_role=True,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE_NAME,
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                # ERROR keeps request and response bodies out of the execution logs.
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )
        acknowledge(
            rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-wide logging role needs this AWS managed policy, which only allows "
            "writing CloudWatch logs.",
        )
        acknowledge(
            rest_api,
            "AwsSolutions-APIG3",
            "No AWS WAF web ACL yet: every route but the API description needs an API token and the "
            "stage is throttled.",
        )
        return rest_api

    def _add_route(
        self,
        route: Route,
        integration: apigateway.LambdaIntegration,
        validator: apigateway.RequestValidator,
    ) -> None:
        resource = self.rest_api.root.resource_for_path(route.path)
        request_parameters = {f"method.request.path.{name}": True for name in path_parameters(route.path)}
        if route.public:
            method = resource.add_method(
                route.method,
                integration,
                authorization_type=apigateway.AuthorizationType.NONE,
                request_validator=validator,
                request_parameters=request_parameters or None,
            )
            reason = f"{route.method} {route.path} is public by design: it returns the API description."
            acknowledge(method, "AwsSolutions-APIG4", reason)
            acknowledge(method, "AwsSolutions-COG4", reason)
            return

        method = resource.add_method(
            route.method,
            integration,
            authorization_type=apigateway.AuthorizationType.CUSTOM,
            authorizer=self.authorizer,
            request_validator=validator,
            request_parameters=request_parameters or None,
        )
        acknowledge(
            method,
            "AwsSolutions-COG4",
            "Callers are teams with API tokens checked by the Lambda token authorizer; there are no "
            "end-user accounts for a Cognito user pool.",
        )
