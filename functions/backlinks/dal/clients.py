"""Lazily created boto3 clients, so tests can point them at moto before the first call.

boto3 reads AWS_ENDPOINT_URL itself, which is how the local runtime reaches moto's server.
"""

import threading
from collections import Counter
from functools import cache

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class RequestCounter:
    """Counts AWS API requests per operation name, e.g. {"BatchWriteItem": 40}."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model, **_kwargs) -> None:
        with self._lock:
            self.counts[model.name] += 1

    def reset(self) -> None:
        self.counts.clear()


dynamodb_requests = RequestCounter()


_local = threading.local()
_generation = 0  # bumped by reset_clients, so every thread builds its resource again


def dynamodb_resource():
    """Return this thread's DynamoDB resource: boto3 resources must not be shared between threads."""
    if getattr(_local, "generation", None) != _generation:
        resource = boto3.resource("dynamodb", config=_CONFIG)
        resource.meta.client.meta.events.register("before-call.dynamodb", dynamodb_requests)
        _local.dynamodb = resource
        _local.generation = _generation
    return _local.dynamodb


@cache
def sqs_client():
    return boto3.client("sqs", config=_CONFIG)


@cache
def s3_client():
    # Signature version 4 is needed for presigned URLs with a server-side encrypted object.
    return boto3.client("s3", config=_CONFIG.merge(Config(signature_version="s3v4")))


@cache
def secrets_client():
    return boto3.client("secretsmanager", config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients, for tests that change the endpoint between runs."""
    global _generation
    _generation += 1
    for factory in (sqs_client, s3_client, secrets_client):
        factory.cache_clear()
