"""The local runtime: the service's handlers on one machine, with no AWS or DataForSEO account.

moto's server on 127.0.0.1 provides DynamoDB, SQS and S3; the DataForSEO emulator replaces
the vendor unless DFS_LOGIN and DFS_PASSWORD are set; a gateway turns HTTP requests into API Gateway
events and pollers feed queue messages to the workers. Everything listens on 127.0.0.1 only.
"""

import importlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from moto.server import ThreadedMotoServer

from infra.definitions import (
    API_HANDLER,
    AUTHORIZER_HANDLER,
    DELTA_DISPATCHER_HANDLER,
    ENV_FULL_REFRESH_STATE_MACHINE_ARN,
    METRICS_NAMESPACE,
    QUEUES,
    REFRESH_STEPS_HANDLER,
    SERVICE_NAME,
)
from infra.local import resources
from infra.local.emulator import DataForSEOEmulator
from infra.local.gateway import LambdaContext, LocalGateway
from infra.local.moto_guard import serialize_dynamodb_writes
from infra.local.pollers import QueuePoller
from infra.local.workflows import WorkflowPoller, create_state_machine

# moto needs some credentials; these reach only moto on 127.0.0.1.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def load_handler(path: str):
    module_name, function_name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), function_name)


@dataclass
class LocalRuntime:
    port: int = 0
    use_real_dataforseo: bool = False
    emulator_latency_ms: int = 0
    visibility_timeout_seconds: int = 5
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)
    # The team that start() creates with an active subscription; its API token is `token`.
    default_team_id: str = "local"
    default_tier: str = "pro"

    moto: ThreadedMotoServer | None = field(default=None, init=False)
    emulator: DataForSEOEmulator | None = field(default=None, init=False)
    gateway: LocalGateway | None = field(default=None, init=False)
    pollers: dict[str, QueuePoller] = field(default_factory=dict, init=False)
    workflow_poller: WorkflowPoller | None = field(default=None, init=False)
    env: dict[str, str] = field(default_factory=dict, init=False)
    token: str | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def aws_endpoint_url(self) -> str:
        return self.env["AWS_ENDPOINT_URL"]

    def start(self) -> "LocalRuntime":
        # moto's server logs every request through werkzeug; the handlers' own logs are the useful ones.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        serialize_dynamodb_writes()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, moto_port = self.moto.get_host_and_port()
        endpoint = f"http://{host}:{moto_port}"
        env = dict(LOCAL_AWS_ENV)
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            MOTO_PORT=str(moto_port),
            POWERTOOLS_SERVICE_NAME=SERVICE_NAME,
            POWERTOOLS_METRICS_NAMESPACE=METRICS_NAMESPACE,
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="true",
            POWERTOOLS_LOG_LEVEL=self.log_level,
            DEFAULT_TEAM_ID="local",
        )
        os.environ.update(env)
        # moto's state is shared by every moto server in this process: start from an empty one.
        httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
        env.update(resources.create_all(endpoint, visibility_timeout=self.visibility_timeout_seconds))
        env[ENV_FULL_REFRESH_STATE_MACHINE_ARN] = create_state_machine(endpoint)

        if self.use_real_dataforseo:
            if not (os.environ.get("DFS_LOGIN") and os.environ.get("DFS_PASSWORD")):
                raise RuntimeError("DFS_LOGIN and DFS_PASSWORD must be set to use the real DataForSEO API")
        else:
            self.emulator = DataForSEOEmulator(host="127.0.0.1", port=0, latency_ms=self.emulator_latency_ms)
            self.emulator.start()
            # The emulator accepts any Basic credentials; these never reach DataForSEO.
            env.update(DFS_BASE_URL=self.emulator.url, DFS_LOGIN="local", DFS_PASSWORD="local")
            env.pop("DFS_SECRET_ARN", None)
        env.update(self.extra_env)
        os.environ.update(env)
        self.env = env
        self._forget_cached_state()

        from infra.local.admin import create_team

        self.token = create_team(env["TABLE_NAME"], self.default_team_id, self.default_tier)
        self.gateway = LocalGateway(
            load_handler(API_HANDLER), port=self.port, authorizer=load_handler(AUTHORIZER_HANDLER)
        )
        self.gateway.start()
        for queue in QUEUES:
            poller = QueuePoller(
                queue.name,
                env[queue.env_var],
                load_handler(queue.consumer_handler),
                endpoint_url=endpoint,
                batch_size=queue.batch_size,
            )
            poller.start()
            self.pollers[queue.name] = poller
        self.workflow_poller = WorkflowPoller(
            env[ENV_FULL_REFRESH_STATE_MACHINE_ARN], REFRESH_STEPS_HANDLER, endpoint_url=endpoint
        )
        self.workflow_poller.start()
        return self

    def run_dispatcher(self, at: datetime | None = None) -> dict:
        """Invoke the daily delta dispatcher now, as its EventBridge schedule would at `at` (UTC)."""
        event = {
            "source": "aws.events",
            "detail-type": "Scheduled Event",
            "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "detail": {},
        }
        return load_handler(DELTA_DISPATCHER_HANDLER)(event, LambdaContext("backlinks-delta-dispatcher"))

    def stop(self) -> None:
        if self.workflow_poller:
            self.workflow_poller.stop()
        for poller in self.pollers.values():
            poller.stop()
        if self.gateway:
            self.gateway.stop()
        if self.emulator:
            self.emulator.stop()
        if self.moto:
            self.moto.stop()

    def __enter__(self) -> "LocalRuntime":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    @staticmethod
    def _forget_cached_state() -> None:
        """Drop settings, services and clients cached by an earlier runtime in this process."""
        from backlinks.dal.clients import reset_clients
        from backlinks.handlers.context import get_services
        from backlinks.settings import get_settings

        get_settings.cache_clear()
        get_services.cache_clear()
        reset_clients()
