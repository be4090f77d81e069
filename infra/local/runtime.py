"""The local runtime: the service's handlers on one machine, with no AWS or DataForSEO account.

moto's server on 127.0.0.1 provides DynamoDB, SQS and S3; the DataForSEO emulator stands in for
the vendor unless DFS_LOGIN and DFS_PASSWORD are set; a gateway turns HTTP requests into API Gateway
events and pollers feed queue messages to the workers. Everything listens on 127.0.0.1 only.
"""

import importlib
import logging
import os
from dataclasses import dataclass, field

import httpx
from moto.server import ThreadedMotoServer

from infra.definitions import API_HANDLER, METRICS_NAMESPACE, QUEUES, SERVICE_NAME
from infra.local import resources
from infra.local.emulator import DataForSEOEmulator
from infra.local.gateway import LocalGateway
from infra.local.pollers import QueuePoller

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

    moto: ThreadedMotoServer | None = field(default=None, init=False)
    emulator: DataForSEOEmulator | None = field(default=None, init=False)
    gateway: LocalGateway | None = field(default=None, init=False)
    pollers: dict[str, QueuePoller] = field(default_factory=dict, init=False)
    env: dict[str, str] = field(default_factory=dict, init=False)

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def aws_endpoint_url(self) -> str:
        return self.env["AWS_ENDPOINT_URL"]

    def start(self) -> "LocalRuntime":
        # moto's server logs every request through werkzeug; the handlers' own logs are the useful ones.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
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

        self.gateway = LocalGateway(load_handler(API_HANDLER), port=self.port)
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
        return self

    def stop(self) -> None:
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
