"""Resource definitions shared by the CDK stack and the local runtime.

The stack builds its table, queues and routes from these values, and the local runtime creates the
same table, queues and bucket on moto from them, so a key, an index or a route cannot exist in one
and be missing in the other. Plain data only: no CDK and no boto3 imports here.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    sort_key: str
    sort_key_type: str  # "S" or "N", as DynamoDB names attribute types


@dataclass(frozen=True)
class TableDefinition:
    partition_key: str
    sort_key: str
    local_indexes: tuple[IndexDefinition, ...]
    ttl_attribute: str


@dataclass(frozen=True)
class QueueDefinition:
    name: str
    consumer_handler: str
    consumer_timeout_seconds: int
    # AWS advises a visibility timeout of six times the consumer's timeout, so a message is not
    # delivered again while its first delivery still runs.
    visibility_timeout_seconds: int
    max_receive_count: int
    batch_size: int
    env_var: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    public: bool = False


# One table for everything the service stores. Keys carry the owner: team-owned items start with
# TEAM#<team_id>, shared caches of public third-party facts with TARGET# or SCORE#.
TABLE = TableDefinition(
    partition_key="pk",
    sort_key="sk",
    # Local indexes sort one lookup's referring domains by each sortable field. An index contains only
    # items that carry its sort key, so lsi_spam_score lists scored domains only.
    local_indexes=(
        IndexDefinition("by_rank", "lsi_rank", "N"),
        IndexDefinition("by_backlinks", "lsi_backlinks", "N"),
        IndexDefinition("by_spam_score", "lsi_spam_score", "N"),
        IndexDefinition("by_first_seen", "lsi_first_seen", "S"),
    ),
    ttl_attribute="expires_at",
)

API_HANDLER = "backlinks.handlers.api.handler"
# The Lambda authorizer in front of every non-public route, deployed and local alike.
AUTHORIZER_HANDLER = "backlinks.handlers.authorizer.handler"
# The scheduled DataForSEO probe that restores an inactive provider status.
PROVIDER_PROBE_HANDLER = "backlinks.handlers.provider_probe.handler"
PROVIDER_PROBE_SCHEDULE = "rate(15 minutes)"

QUEUES = (
    QueueDefinition(
        name="pull",
        consumer_handler="backlinks.handlers.pull_worker.handler",
        consumer_timeout_seconds=300,
        visibility_timeout_seconds=1800,
        max_receive_count=3,
        batch_size=1,
        env_var="PULL_QUEUE_URL",
    ),
    QueueDefinition(
        name="spam",
        consumer_handler="backlinks.handlers.spam_worker.handler",
        consumer_timeout_seconds=120,
        visibility_timeout_seconds=720,
        max_receive_count=3,
        batch_size=1,
        env_var="SPAM_QUEUE_URL",
    ),
    QueueDefinition(
        name="delta",
        consumer_handler="backlinks.handlers.delta_worker.handler",
        consumer_timeout_seconds=300,
        visibility_timeout_seconds=1800,
        max_receive_count=3,
        batch_size=1,
        env_var="DELTA_QUEUE_URL",
    ),
    QueueDefinition(
        name="anchors",
        consumer_handler="backlinks.handlers.anchors_worker.handler",
        consumer_timeout_seconds=300,
        visibility_timeout_seconds=1800,
        max_receive_count=3,
        batch_size=1,
        env_var="ANCHORS_QUEUE_URL",
    ),
)

# Project Mode: the full refresh state machine's task function and the daily delta dispatcher.
REFRESH_STEPS_HANDLER = "backlinks.handlers.refresh_steps.handler"
DELTA_DISPATCHER_HANDLER = "backlinks.handlers.dispatcher.handler"
# Every day at 02:00 UTC, in EventBridge's six-field cron syntax.
DELTA_DISPATCH_SCHEDULE = "cron(0 2 * * ? *)"
ENV_FULL_REFRESH_STATE_MACHINE_ARN = "FULL_REFRESH_STATE_MACHINE_ARN"

# Every route the API function serves. The stack creates an API Gateway method for each one, and a
# test checks that this list and the resolver's routes are the same.
ROUTES = (
    Route("GET", "/v1/openapi.json", public=True),
    Route("POST", "/v1/backlinks/by-domain/{domain}/pull"),
    Route("GET", "/v1/backlinks/by-domain/{domain}"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/domains"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/timeseries"),
    Route("POST", "/v1/backlinks/by-domain/{domain}/enrich-spam-scores"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/spam-scores"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/disavow-export"),
    Route("POST", "/v1/backlinks/by-domain/{domain}/disavow-import"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/disavow-versions"),
    # Before .../{version_id}: the local gateway matches routes in this order.
    Route("GET", "/v1/backlinks/by-domain/{domain}/disavow-versions/diff"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/disavow-versions/{version_id}"),
    Route("POST", "/v1/backlinks/by-domain/{domain}/anchors/refresh"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/anchors"),
    Route("GET", "/v1/backlinks/by-domain/{domain}/keep-list"),
    Route("PUT", "/v1/backlinks/by-domain/{domain}/keep-list/{entry}"),
    Route("DELETE", "/v1/backlinks/by-domain/{domain}/keep-list/{entry}"),
    Route("GET", "/v1/keep-list"),
    Route("PUT", "/v1/keep-list/{domain}"),
    Route("DELETE", "/v1/keep-list/{domain}"),
    Route("GET", "/v1/jobs/{job_id}"),
    Route("GET", "/v1/backlinks"),
    Route("POST", "/v1/backlinks"),
    Route("GET", "/v1/backlinks/{project}"),
    Route("POST", "/v1/backlinks/{project}/refresh"),
    Route("POST", "/v1/backlinks/{project}/full-refresh"),
    Route("GET", "/v1/backlinks/{project}/events"),
    Route("GET", "/v1/backlinks/{project}/timeseries"),
    Route("GET", "/v1/backlinks/{project}/spam-scores"),
    Route("POST", "/v1/backlinks/{project}/spam-scores/refresh"),
    Route("GET", "/v1/backlinks/{project}/disavow-export"),
    Route("POST", "/v1/backlinks/{project}/anchors/refresh"),
    Route("GET", "/v1/backlinks/{project}/anchors"),
    Route("GET", "/v1/backlinks/{project}/keep-list"),
    Route("PUT", "/v1/backlinks/{project}/keep-list/{entry}"),
    Route("DELETE", "/v1/backlinks/{project}/keep-list/{entry}"),
    Route("POST", "/v1/backlinks/{project}/disavow-import"),
    Route("GET", "/v1/backlinks/{project}/disavow-versions"),
    # Before {version_id}: the local gateway matches routes in this order, like the resolver.
    Route("GET", "/v1/backlinks/{project}/disavow-versions/diff"),
    Route("GET", "/v1/backlinks/{project}/disavow-versions/{version_id}"),
    Route("GET", "/v1/teams/current/backlinks-subscription"),
    Route("GET", "/v1/teams/current/usage"),
    Route("GET", "/v1/teams/current/tokens"),
    Route("POST", "/v1/teams/current/tokens"),
    Route("DELETE", "/v1/teams/current/tokens/{token_id}"),
)

# Request content types that API Gateway passes to the function base64-encoded and byte for byte:
# uploaded disavow files may be UTF-16 or invalid UTF-8, which a text body would not keep.
BINARY_MEDIA_TYPES = ("application/octet-stream", "text/plain")

# Environment variable names the stack sets on the functions and the local runtime sets in-process.
ENV_TABLE_NAME = "TABLE_NAME"
ENV_EXPORTS_BUCKET = "EXPORTS_BUCKET"
ENV_DFS_SECRET_ARN = "DFS_SECRET_ARN"
ENV_DFS_BASE_URL = "DFS_BASE_URL"

EXPORTS_EXPIRY_DAYS = 7
SERVICE_NAME = "backlinks"
METRICS_NAMESPACE = "Backlinks"


@dataclass(frozen=True)
class FunctionDefaults:
    runtime: str = "python3.12"
    architecture: str = "x86_64"
    memory_mb: int = 1024
    log_retention_days: int = 30
    tags: dict[str, str] = field(default_factory=lambda: {"service": SERVICE_NAME})
