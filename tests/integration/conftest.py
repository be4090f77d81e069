"""moto's server on 127.0.0.1 with the service's resources, for tests that call the logic directly."""

import os

import pytest
from moto.server import ThreadedMotoServer

from infra.local import resources
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
