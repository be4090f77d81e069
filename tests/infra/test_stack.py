"""Assertions on the synthesized Backlinks template, built from infra/definitions.py.

The app is synthesized once for this module (about 10 to 30 seconds, the first run unpacks jsii).
"""

import importlib.util
import re
from pathlib import Path

import pytest
from aws_cdk import Stack, Validations
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from backlinks.handlers.disavow_routes import UPLOAD_CONTENT_TYPES
from backlinks.logic.teams import new_token
from infra.app import STACK_NAME, build_app, read_cdk_json_context
from infra.components.api import (
    AUTHORIZER_CACHE_TTL,
    STAGE_NAME,
    THROTTLING_BURST_LIMIT,
    THROTTLING_RATE_LIMIT,
    TOKEN_HEADER_PATTERN,
)
from infra.definitions import (
    API_HANDLER,
    AUTHORIZER_HANDLER,
    BINARY_MEDIA_TYPES,
    ENV_DFS_SECRET_ARN,
    ENV_EXPORTS_BUCKET,
    ENV_TABLE_NAME,
    EXPORTS_EXPIRY_DAYS,
    PROVIDER_PROBE_HANDLER,
    PROVIDER_PROBE_SCHEDULE,
    QUEUES,
    ROUTES,
    TABLE,
    FunctionDefaults,
)

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = FunctionDefaults()


def _ensure_layer_built() -> None:
    """Build layers/build with layers/build.py when it is missing (Code.from_asset needs the folder)."""
    if (ROOT / "layers" / "build" / "python").is_dir():
        return
    spec = importlib.util.spec_from_file_location("layer_build", ROOT / "layers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_layer()


@pytest.fixture(scope="module")
def synthesized():
    _ensure_layer_built()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
        patch.delenv("CDK_DEFAULT_REGION", raising=False)
        app = build_app(context=read_cdk_json_context(), nag_checks=False)
    stack = app.node.find_child(STACK_NAME)
    template = Template.from_stack(stack)
    return stack, template


@pytest.fixture(scope="module")
def stack(synthesized) -> Stack:
    return synthesized[0]


@pytest.fixture(scope="module")
def template(synthesized) -> Template:
    return synthesized[1]


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template.to_json()["Resources"]


def logical_id(construct) -> str:
    stack = Stack.of(construct)
    return stack.resolve(stack.get_logical_id(construct.node.default_child))


def of_type(resources: dict, resource_type: str) -> dict:
    return {key: value for key, value in resources.items() if value["Type"] == resource_type}


def function_by_handler(resources: dict, handler: str) -> tuple[str, dict]:
    matches = [
        (key, value)
        for key, value in of_type(resources, "AWS::Lambda::Function").items()
        if value["Properties"]["Handler"] == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {len(matches)}"
    return matches[0]


def role_statements(resources: dict, function: dict) -> list[dict]:
    """Collect the policy statements attached to a function's execution role."""
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(statements: list[dict]) -> set[str]:
    actions = set()
    for statement in statements:
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    return actions


def statements_with_action(statements: list[dict], action: str) -> list[dict]:
    return [statement for statement in statements if action in actions_of([statement])]


def api_resource_paths(resources: dict) -> dict[str, str]:
    """Map each AWS::ApiGateway::Resource logical id to its full path, such as /v1/jobs/{job_id}."""
    api_resources = of_type(resources, "AWS::ApiGateway::Resource")

    def path_of(resource_id: str) -> str:
        properties = api_resources[resource_id]["Properties"]
        parent = properties["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
        return f"{prefix}/{properties['PathPart']}"

    return {resource_id: path_of(resource_id) for resource_id in api_resources}


def methods_by_route(resources: dict) -> dict[tuple[str, str], dict]:
    paths = api_resource_paths(resources)
    methods = {}
    for method in of_type(resources, "AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        path = paths[properties["ResourceId"]["Ref"]]
        methods[(properties["HttpMethod"], path)] = properties
    return methods


# API


def test_api_has_one_method_per_route(resources):
    methods = methods_by_route(resources)
    assert set(methods) == {(route.method, route.path) for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_route_authorization(resources, route):
    method = methods_by_route(resources)[(route.method, route.path)]
    if route.public:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
        return
    (authorizer_id,) = of_type(resources, "AWS::ApiGateway::Authorizer")
    assert method["AuthorizationType"] == "CUSTOM"
    assert method["AuthorizerId"] == {"Ref": authorizer_id}


def test_token_authorizer_caches_briefly(resources):
    (authorizer,) = of_type(resources, "AWS::ApiGateway::Authorizer").values()
    properties = authorizer["Properties"]
    authorizer_function_id, _ = function_by_handler(resources, AUTHORIZER_HANDLER)
    assert properties["Type"] == "TOKEN"
    assert properties["IdentitySource"] == "method.request.header.Authorization"
    assert properties["AuthorizerResultTtlInSeconds"] == AUTHORIZER_CACHE_TTL.to_seconds() == 60
    assert properties["IdentityValidationExpression"] == TOKEN_HEADER_PATTERN
    assert authorizer_function_id in str(properties["AuthorizerUri"])


def test_token_pattern_matches_issued_tokens():
    _token_id, token = new_token()
    assert re.match(TOKEN_HEADER_PATTERN, f"Bearer {token}")
    assert not re.match(TOKEN_HEADER_PATTERN, f"Bearer {token}x")
    assert not re.match(TOKEN_HEADER_PATTERN, token)


def test_openapi_route_is_public(resources):
    methods = methods_by_route(resources)
    assert methods[("GET", "/v1/openapi.json")]["AuthorizationType"] == "NONE"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_route_uses_lambda_proxy(resources, route):
    method = methods_by_route(resources)[(route.method, route.path)]
    api_function_id, _ = function_by_handler(resources, API_HANDLER)
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert integration["IntegrationHttpMethod"] == "POST"
    assert api_function_id in str(integration["Uri"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_route_requires_path_parameters(resources, route):
    method = methods_by_route(resources)[(route.method, route.path)]
    names = re.findall(r"\{(\w+)\}", route.path)
    expected = {f"method.request.path.{name}": True for name in names}
    assert method.get("RequestParameters", {}) == expected
    assert "RequestValidatorId" in method


def test_request_validator_checks_parameters(template):
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator",
        {"ValidateRequestParameters": True, "ValidateRequestBody": True},
    )


def test_stage_throttling_and_logging(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": STAGE_NAME,
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "ThrottlingRateLimit": THROTTLING_RATE_LIMIT,
                            "ThrottlingBurstLimit": THROTTLING_BURST_LIMIT,
                            "LoggingLevel": "ERROR",
                            "DataTraceEnabled": False,
                        }
                    )
                ]
            ),
        },
    )


def test_api_passes_uploads_as_binary(template):
    rest_api = template.find_resources("AWS::ApiGateway::RestApi")
    (properties,) = [resource["Properties"] for resource in rest_api.values()]

    assert properties["BinaryMediaTypes"] == list(BINARY_MEDIA_TYPES)
    assert set(UPLOAD_CONTENT_TYPES) <= set(properties["BinaryMediaTypes"])


# Queues and consumers


@pytest.mark.parametrize("definition", QUEUES, ids=lambda definition: definition.name)
def test_event_source_reports_batch_failures(stack, resources, definition):
    queue = stack.node.find_child("FanOut").node.find_child(f"{definition.name.title()}Queue")
    function_id, _ = function_by_handler(resources, definition.consumer_handler)
    mappings = [
        mapping["Properties"]
        for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [logical_id(queue), "Arn"]}
    ]
    assert len(mappings) == 1
    assert mappings[0]["FunctionName"] == {"Ref": function_id}
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mappings[0]["BatchSize"] == definition.batch_size


@pytest.mark.parametrize("definition", QUEUES, ids=lambda definition: definition.name)
def test_queue_redrives_to_its_dead_letter_queue(stack, resources, definition):
    fanout = stack.node.find_child("FanOut")
    queue_id = logical_id(fanout.node.find_child(f"{definition.name.title()}Queue"))
    dead_letter_id = logical_id(fanout.node.find_child(f"{definition.name.title()}DeadLetterQueue"))
    properties = resources[queue_id]["Properties"]
    assert properties["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id, "Arn"]},
        "maxReceiveCount": definition.max_receive_count,
    }
    assert properties["VisibilityTimeout"] == definition.visibility_timeout_seconds


@pytest.mark.parametrize("definition", QUEUES, ids=lambda definition: definition.name)
def test_visibility_timeout_exceeds_consumer_timeout(stack, resources, definition):
    queue = stack.node.find_child("FanOut").node.find_child(f"{definition.name.title()}Queue")
    _, function = function_by_handler(resources, definition.consumer_handler)
    visibility_timeout = resources[logical_id(queue)]["Properties"]["VisibilityTimeout"]
    assert function["Properties"]["Timeout"] == definition.consumer_timeout_seconds
    assert visibility_timeout > function["Properties"]["Timeout"]


def test_queues_encrypted_and_ssl_only(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    assert len(queues) == 2 * len(QUEUES)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    policies = of_type(resources, "AWS::SQS::QueuePolicy")
    ssl_denied = [
        policy
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(ssl_denied) == len(queues)


# Storage


def test_table_keys_and_billing(template):
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [
                {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
                {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
            ],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": TABLE.ttl_attribute, "Enabled": True},
        },
    )


def test_table_is_retained(template):
    template.has_resource(
        "AWS::DynamoDB::Table", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )


def test_table_local_indexes(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    indexes = {index["IndexName"]: index for index in properties["LocalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in TABLE.local_indexes}
    attribute_types = {
        item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]
    }
    for definition in TABLE.local_indexes:
        index = indexes[definition.name]
        assert index["KeySchema"] == [
            {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
            {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}
        assert attribute_types[definition.sort_key] == definition.sort_key_type


def test_exports_bucket_private_encrypted_expiring(stack, resources):
    bucket_id = logical_id(stack.node.find_child("Data").node.find_child("Exports"))
    logs_id = logical_id(stack.node.find_child("Data").node.find_child("AccessLogs"))
    properties = resources[bucket_id]["Properties"]
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    expirations = [rule.get("ExpirationInDays") for rule in properties["LifecycleConfiguration"]["Rules"]]
    assert expirations == [EXPORTS_EXPIRY_DAYS]
    # Disavow versions live outside exports/ and are kept.
    prefixes = [rule.get("Prefix") for rule in properties["LifecycleConfiguration"]["Rules"]]
    assert prefixes == ["exports/"]
    assert properties["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


def test_buckets_deny_plain_http(resources):
    buckets = of_type(resources, "AWS::S3::Bucket")
    policies = of_type(resources, "AWS::S3::BucketPolicy")
    ssl_only = {
        policy["Properties"]["Bucket"]["Ref"]
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }
    assert ssl_only == set(buckets)


# Functions


def test_functions_share_runtime_and_tracing(resources):
    functions = of_type(resources, "AWS::Lambda::Function")
    # The API, one consumer per queue, the token authorizer, the provider probe, the full refresh
    # steps function and the delta dispatcher.
    assert len(functions) == 1 + len(QUEUES) + 4
    for function in functions.values():
        properties = function["Properties"]
        assert properties["Runtime"] == DEFAULTS.runtime
        assert properties["Architectures"] == [DEFAULTS.architecture]
        assert properties["MemorySize"] == DEFAULTS.memory_mb
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert len(properties["Layers"]) == 1
        assert "LoggingConfig" in properties


def test_log_groups_have_retention(resources):
    for log_group in of_type(resources, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == DEFAULTS.log_retention_days


def test_function_environment(resources):
    queue_variables = {definition.env_var for definition in QUEUES}
    common = {
        ENV_TABLE_NAME,
        ENV_EXPORTS_BUCKET,
        "DEFAULT_TEAM_ID",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    } | queue_variables
    _, api_function = function_by_handler(resources, API_HANDLER)
    # The API starts full refreshes, so it alone gets the state machine's ARN. It calls DataForSEO
    # for the velocity time series.
    api_variables = set(api_function["Properties"]["Environment"]["Variables"])
    assert api_variables == common | {"FULL_REFRESH_STATE_MACHINE_ARN", ENV_DFS_SECRET_ARN}
    for definition in QUEUES:
        _, worker = function_by_handler(resources, definition.consumer_handler)
        variables = worker["Properties"]["Environment"]["Variables"]
        assert set(variables) == common | {ENV_DFS_SECRET_ARN}
        # Deployed, every team comes from the token authorizer: there is no default team.
        assert variables["DEFAULT_TEAM_ID"] == ""
    _, authorizer = function_by_handler(resources, AUTHORIZER_HANDLER)
    assert set(authorizer["Properties"]["Environment"]["Variables"]) == common
    _, probe = function_by_handler(resources, PROVIDER_PROBE_HANDLER)
    assert set(probe["Properties"]["Environment"]["Variables"]) == common | {ENV_DFS_SECRET_ARN}


# IAM, per function


def test_api_function_permissions(stack, resources):
    _, function = function_by_handler(resources, API_HANDLER)
    statements = role_statements(resources, function)
    actions = actions_of(statements)
    # The velocity time series routes call DataForSEO, so the API reads its credentials.
    assert "secretsmanager:GetSecretValue" in actions
    assert {"s3:PutObject", "s3:GetObject", "dynamodb:Query", "dynamodb:PutItem"} <= actions
    assert "dynamodb:Scan" not in actions
    (send,) = statements_with_action(statements, "sqs:SendMessage")
    fanout = stack.node.find_child("FanOut")
    queue_arns = [
        {"Fn::GetAtt": [logical_id(fanout.node.find_child(f"{definition.name.title()}Queue")), "Arn"]}
        for definition in QUEUES
    ]
    assert sorted(map(str, send["Resource"])) == sorted(map(str, queue_arns))


def test_pull_worker_permissions(stack, resources):
    (pull,) = [definition for definition in QUEUES if definition.name == "pull"]
    _, function = function_by_handler(resources, pull.consumer_handler)
    statements = role_statements(resources, function)
    actions = actions_of(statements)
    assert "secretsmanager:GetSecretValue" in actions
    assert not {action for action in actions if action.startswith("s3:")}
    (send,) = statements_with_action(statements, "sqs:SendMessage")
    spam_queue = stack.node.find_child("FanOut").node.find_child("SpamQueue")
    assert send["Resource"] == {"Fn::GetAtt": [logical_id(spam_queue), "Arn"]}


def test_spam_worker_permissions(resources):
    (spam,) = [definition for definition in QUEUES if definition.name == "spam"]
    _, function = function_by_handler(resources, spam.consumer_handler)
    actions = actions_of(role_statements(resources, function))
    assert not {action for action in actions if action.startswith("s3:")}
    assert "sqs:SendMessage" not in actions
    assert "secretsmanager:GetSecretValue" in actions
    assert {"dynamodb:Query", "dynamodb:BatchWriteItem"} <= actions


def test_anchors_worker_permissions(stack, resources):
    (anchors,) = [definition for definition in QUEUES if definition.name == "anchors"]
    _, function = function_by_handler(resources, anchors.consumer_handler)
    statements = role_statements(resources, function)
    actions = actions_of(statements)
    assert "secretsmanager:GetSecretValue" in actions
    assert not {action for action in actions if action.startswith("s3:")}
    assert "sqs:SendMessage" not in actions
    assert {"dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"} <= actions
    assert "dynamodb:Scan" not in actions
    # It consumes its own queue, and only that one.
    (receive,) = statements_with_action(statements, "sqs:ReceiveMessage")
    queue = stack.node.find_child("FanOut").node.find_child("AnchorsQueue")
    assert receive["Resource"] == {"Fn::GetAtt": [logical_id(queue), "Arn"]}


def test_table_access_names_each_index(stack, resources):
    table_id = logical_id(stack.node.find_child("Data").node.find_child("Table"))
    expected = [{"Fn::GetAtt": [table_id, "Arn"]}] + [
        {"Fn::Join": ["", [{"Fn::GetAtt": [table_id, "Arn"]}, f"/index/{index.name}"]]}
        for index in TABLE.local_indexes
    ]
    single_item_handlers = {AUTHORIZER_HANDLER, PROVIDER_PROBE_HANDLER}
    for function in of_type(resources, "AWS::Lambda::Function").values():
        if function["Properties"]["Handler"] in single_item_handlers:
            continue
        (statement,) = statements_with_action(role_statements(resources, function), "dynamodb:Query")
        # The IAM policy minimizer sorts resources, so compare without order.
        assert sorted(map(str, statement["Resource"])) == sorted(map(str, expected))


def test_authorizer_reads_single_items_only(stack, resources):
    _, function = function_by_handler(resources, AUTHORIZER_HANDLER)
    statements = [
        statement
        for statement in role_statements(resources, function)
        if not actions_of([statement]) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        and not any(action.startswith("logs:") for action in actions_of([statement]))
    ]
    table_id = logical_id(stack.node.find_child("Data").node.find_child("Table"))
    assert statements == [
        {"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": {"Fn::GetAtt": [table_id, "Arn"]}}
    ]


def test_provider_probe_permissions(stack, resources):
    _, function = function_by_handler(resources, PROVIDER_PROBE_HANDLER)
    statements = role_statements(resources, function)
    actions = actions_of(statements)
    assert "secretsmanager:GetSecretValue" in actions
    dynamodb_actions = {action for action in actions if action.startswith("dynamodb:")}
    assert dynamodb_actions == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert not {action for action in actions if action.startswith(("s3:", "sqs:"))}


def test_provider_probe_schedule(resources):
    probe_id, _ = function_by_handler(resources, PROVIDER_PROBE_HANDLER)
    ((rule_id, rule),) = [
        (key, rule)
        for key, rule in of_type(resources, "AWS::Events::Rule").items()
        if rule["Properties"]["ScheduleExpression"] == PROVIDER_PROBE_SCHEDULE
    ]
    properties = rule["Properties"]
    assert properties["ScheduleExpression"] == PROVIDER_PROBE_SCHEDULE == "rate(15 minutes)"
    assert properties["State"] == "ENABLED"
    (target,) = properties["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [probe_id, "Arn"]}
    permissions = [
        permission["Properties"]
        for permission in of_type(resources, "AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "events.amazonaws.com"
        and permission["Properties"]["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
    ]
    assert [permission["FunctionName"] for permission in permissions] == [{"Fn::GetAtt": [probe_id, "Arn"]}]


def test_roles_have_no_managed_policies_except_api_logging(resources):
    roles = of_type(resources, "AWS::IAM::Role")
    with_managed = [key for key, role in roles.items() if role["Properties"].get("ManagedPolicyArns")]
    # Only API Gateway's account-wide CloudWatch role uses an AWS managed policy.
    assert len(with_managed) == 1
    assert "CloudWatchRole" in with_managed[0]


# cdk-nag


def test_cdk_nag_has_no_unacknowledged_findings(stack, template):
    # cdk-nag 3 is a policy validation plugin, not an aspect, so its findings are not annotations:
    # the pack checks the synthesized construct tree directly.
    report = AwsSolutionsChecks(verbose=True).validate_scope(stack)
    findings = [
        f"{violation.severity} {violation.rule_name}: "
        + ", ".join(resource.construct_path for resource in violation.violating_resources)
        for violation in report.violations
    ]
    assert findings == []


def test_synth_reports_no_errors(stack, template):
    errors = Annotations.from_stack(stack).find_error("*", Match.any_value())
    assert errors == []


def test_every_acknowledgement_has_reason(stack, template):
    acknowledgements = []
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                acknowledgements.extend(entry.data.items())
    assert acknowledgements, "expected acknowledged cdk-nag findings, found none"
    for rule_id, reason in acknowledgements:
        assert len(reason.strip()) >= 20, f"{rule_id} is acknowledged without a real reason: {reason!r}"
