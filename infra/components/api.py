"""The REST API: one API Gateway method per definitions.ROUTES entry, all served by one function."""

import re
from collections.abc import Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.data import DataStore
from infra.components.functions import DEFAULTS, FunctionShared, create_function, log_retention
from infra.components.nag import acknowledge
from infra.definitions import API_HANDLER, ROUTES, Route

STAGE_NAME = "prod"
# API Gateway stops waiting for a Lambda integration after 29 seconds, so a longer function timeout
# would only bill for work no client receives.
API_FUNCTION_TIMEOUT = Duration.seconds(29)
# Stage-wide throttling in requests per second and burst size. Full refreshes and spam-score
# enrichment run as jobs behind SQS, so API requests are short reads and job submissions.
# NOTE: starting values, not measured against real traffic.
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100

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
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = create_function(
            self,
            "Function",
            shared=shared,
            handler=API_HANDLER,
            timeout=API_FUNCTION_TIMEOUT,
            description="Serves the backlinks REST API",
        )
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
        for route in ROUTES:
            self._add_route(route, integration, validator)

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
            "No AWS WAF web ACL yet: requests are signed (IAM) and the stage is throttled.",
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

        # NOTE: IAM (SigV4) authorization is temporary until token auth for teams replaces it. The
        # function then reads the team from the authorizer context instead of DEFAULT_TEAM_ID.
        method = resource.add_method(
            route.method,
            integration,
            authorization_type=apigateway.AuthorizationType.IAM,
            request_validator=validator,
            request_parameters=request_parameters or None,
        )
        acknowledge(
            method,
            "AwsSolutions-COG4",
            "Callers sign requests with IAM (SigV4) until token auth replaces it; no Cognito user pool.",
        )
