"""One local runtime for the end-to-end tests, driven over HTTP like a user would."""

import time

import httpx
import pytest

from infra.local.runtime import LocalRuntime

JOB_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="session")
def runtime():
    # A 1-second visibility timeout makes SQS redeliver failed messages within the test's time.
    with LocalRuntime(visibility_timeout_seconds=1, log_level="WARNING") as started:
        yield started


@pytest.fixture(scope="session")
def api(runtime):
    with httpx.Client(base_url=runtime.url, timeout=30) as client:
        yield client


@pytest.fixture
def emulator(runtime):
    runtime.emulator.clear_faults()
    runtime.emulator.reset_counts()
    yield runtime.emulator
    runtime.emulator.clear_faults()


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = JOB_TIMEOUT_SECONDS) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s: {job}")


def pull(api: httpx.Client, domain: str, **options) -> dict:
    """Start a pull and wait for its job; returns the finished job."""
    response = api.post(f"/v1/backlinks/by-domain/{domain}/pull", json=options)
    assert response.status_code in (200, 202), response.text
    return wait_for_job(api, response.json()["job"]["job_id"])
