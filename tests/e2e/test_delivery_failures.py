"""Faults between the parts: poison messages, vendor timeouts and malformed vendor responses."""

import json
import time

import boto3
import pytest

from tests.e2e.conftest import pull

pytestmark = pytest.mark.e2e


def test_poison_message_lands_in_dead_letter_queue(runtime):
    sqs = boto3.client("sqs", endpoint_url=runtime.aws_endpoint_url)
    queue_url = runtime.env["PULL_QUEUE_URL"]
    dlq_url = sqs.get_queue_url(QueueName="pull-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"not": "a pull"}))

    deadline = time.monotonic() + 30
    moved = []
    while time.monotonic() < deadline and not moved:
        moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])

    assert moved, "the unparsable message never reached the dead-letter queue"
    assert json.loads(moved[0]["Body"]) == {"not": "a pull"}


def test_vendor_timeout_is_retried(api, emulator):
    emulator.inject_fault(endpoint="summary", kind="timeout", count=1, delay=4.0)

    job = pull(api, "slow-vendor-example.com", full_analysis=False, limit=200)

    assert job["state"] == "done", job
    assert emulator.call_counts()["summary"] == 2


def test_malformed_vendor_answer_is_retried(api, emulator):
    emulator.inject_fault(endpoint="referring_domains", kind="malformed", count=1)

    job = pull(api, "garbled-vendor-example.com", full_analysis=False, limit=200)

    assert job["state"] == "done", job
    assert job["result"]["referring_domains_stored"] > 0


def test_vendor_server_errors_end_as_failed_job(api, emulator):
    emulator.inject_fault(endpoint="summary", kind="status", code=50000, count=100)

    job = pull(api, "broken-vendor-example.com", full_analysis=False, limit=200)

    assert job["state"] == "failed"
    assert "50000" in job["error"]
    assert api.get("/v1/backlinks/by-domain/broken-vendor-example.com").status_code == 404
