"""moto's server on 127.0.0.1 with the service's resources, for tests that call the logic directly."""

import os

import pytest
from moto.server import ThreadedMotoServer

from backlinks.dal.store import Store
from backlinks.services import Services
from backlinks.settings import Settings
from infra.local import resources
from infra.local.emulator import DataForSEOEmulator
from infra.local.runtime import LOCAL_AWS_ENV


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = {name: os.environ.get(name) for name in (*LOCAL_AWS_ENV, "AWS_ENDPOINT_URL")}
    os.environ.update(LOCAL_AWS_ENV, AWS_ENDPOINT_URL=endpoint)
    yield endpoint
    server.stop()
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def aws_resources(moto_endpoint):
    """Fresh table, queues and bucket for one test; returns the handlers' environment variables."""
    import httpx

    from backlinks.dal.clients import dynamodb_requests, reset_clients

    httpx.post(f"{moto_endpoint}/moto-api/reset")
    reset_clients()
    env = resources.create_all(moto_endpoint, visibility_timeout=1)
    dynamodb_requests.reset()
    return env


@pytest.fixture(scope="module")
def emulator():
    """A DataForSEO emulator on 127.0.0.1 for one test module."""
    server = DataForSEOEmulator("127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def build_services(aws_resources: dict, emulator: DataForSEOEmulator, **settings) -> Services:
    """Build Services on the test's resources and the emulator, with its faults and counts cleared.

    Keyword arguments replace Settings values, such as the DataForSEO login or retries.
    """
    emulator.clear_faults()
    emulator.reset_counts()
    values = {
        "table_name": aws_resources["TABLE_NAME"],
        "exports_bucket": aws_resources["EXPORTS_BUCKET"],
        "pull_queue_url": aws_resources["PULL_QUEUE_URL"],
        "spam_queue_url": aws_resources["SPAM_QUEUE_URL"],
        "anchors_queue_url": aws_resources["ANCHORS_QUEUE_URL"],
        "dfs_base_url": emulator.url,
        "dfs_login": "local",
        "dfs_password": "local",
        "dfs_max_retries": 1,
        **settings,
    }
    return Services(settings=Settings(**values), store=Store(values["table_name"]))
