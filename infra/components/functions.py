"""The one place that creates Lambda functions, so every function shares runtime, layer and logging."""

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.definitions import METRICS_NAMESPACE, SERVICE_NAME, FunctionDefaults

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
LAYER_DIR = ROOT / "layers" / "build"
LAYER_STAMP_FILE = ".inputs-hash"

DEFAULTS = FunctionDefaults()
# Settings.from_env reads DEFAULT_TEAM_ID. Deployed, it is empty: the token authorizer supplies the
# team of every request, and a request without one is rejected instead of acting for a default team.
DEFAULT_TEAM_ID = ""
POWERTOOLS_LOG_LEVEL = "INFO"

_ARCHITECTURES = {arch.name: arch for arch in (lambda_.Architecture.X86_64, lambda_.Architecture.ARM_64)}
_RETENTION_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def lambda_runtime() -> lambda_.Runtime:
    runtimes = {runtime.name: runtime for runtime in lambda_.Runtime.ALL}
    if DEFAULTS.runtime not in runtimes:
        raise ValueError(f"unknown Lambda runtime in FunctionDefaults: {DEFAULTS.runtime!r}")
    return runtimes[DEFAULTS.runtime]


def lambda_architecture() -> lambda_.Architecture:
    if DEFAULTS.architecture not in _ARCHITECTURES:
        raise ValueError(f"unknown Lambda architecture in FunctionDefaults: {DEFAULTS.architecture!r}")
    return _ARCHITECTURES[DEFAULTS.architecture]


def log_retention(days: int) -> logs.RetentionDays:
    """Map a number of days to the CloudWatch retention value, which only allows fixed steps."""
    if days not in _RETENTION_DAYS:
        raise ValueError(
            f"unsupported log retention of {days} days, expected one of {sorted(_RETENTION_DAYS)}"
        )
    return _RETENTION_DAYS[days]


def create_dependency_layer(scope: Construct, construct_id: str) -> lambda_.LayerVersion:
    """Create the layer from layers/build, which layers/build.py fills before synth."""
    if not (LAYER_DIR / "python").is_dir():
        raise FileNotFoundError(
            f"the dependency layer folder {LAYER_DIR / 'python'} is missing; run: python layers/build.py"
        )
    return lambda_.LayerVersion(
        scope,
        construct_id,
        code=lambda_.Code.from_asset(str(LAYER_DIR), exclude=[LAYER_STAMP_FILE]),
        compatible_runtimes=[lambda_runtime()],
        compatible_architectures=[lambda_architecture()],
        description="Python dependencies of the backlinks functions (pyproject.toml [project].dependencies)",
    )


@dataclass(frozen=True)
class FunctionShared:
    """Settings shared by every function of the service: the dependency layer and the environment."""

    layer: lambda_.ILayerVersion
    environment: dict[str, str]


def create_function(
    scope: Construct,
    construct_id: str,
    *,
    shared: FunctionShared,
    handler: str,
    timeout: Duration,
    description: str,
    extra_environment: dict[str, str] | None = None,
) -> lambda_.Function:
    """Create a function with the shared runtime, architecture, memory, layer, tracing and log group.

    The function's role only has permission to write to its own log group (no managed policy).
    Callers add access to other resources with grants.
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=log_retention(DEFAULTS.log_retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Execution role of the {construct_id} function",
    )
    log_group.grant_write(role)

    environment = {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": POWERTOOLS_LOG_LEVEL,
        **shared.environment,
        **(extra_environment or {}),
    }
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=lambda_runtime(),
        architecture=lambda_architecture(),
        handler=handler,
        code=lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
        layers=[shared.layer],
        memory_size=DEFAULTS.memory_mb,
        timeout=timeout,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        role=role,
        environment=environment,
        description=description,
    )
    for key, value in DEFAULTS.tags.items():
        Tags.of(function).add(key, value)
    return function
