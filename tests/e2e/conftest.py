"""One local runtime for the end-to-end tests, driven over HTTP like a user would."""

import io
import time
import zipfile
from xml.etree import ElementTree

import httpx
import pytest

from infra.local.runtime import LocalRuntime

JOB_TIMEOUT_SECONDS = 120
# moto responds slowly when the 2 cores are busy (its transactions copy the whole table), so one
# request may take long without anything being wrong.
REQUEST_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="session")
def runtime():
    # A 1-second visibility timeout makes SQS redeliver failed messages within the test's time.
    # Short vendor timeouts and two retries keep the fault tests within seconds.
    quick_vendor = {"DFS_TIMEOUT_SECONDS": "2", "DFS_MAX_RETRIES": "2"}
    with LocalRuntime(visibility_timeout_seconds=1, log_level="WARNING", extra_env=quick_vendor) as started:
        yield started


@pytest.fixture(scope="session")
def api(runtime):
    """A client of the runtime's default team ("local", tier pro)."""
    headers = {"Authorization": f"Bearer {runtime.token}"}
    with httpx.Client(base_url=runtime.url, timeout=REQUEST_TIMEOUT_SECONDS, headers=headers) as client:
        yield client


def team_client(runtime, team_id: str, tier: str = "pro") -> httpx.Client:
    """Create a team with an active subscription and return a client that sends its token."""
    from infra.local.admin import create_team

    token = create_team(runtime.env["TABLE_NAME"], team_id, tier)
    return httpx.Client(
        base_url=runtime.url, timeout=REQUEST_TIMEOUT_SECONDS, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture(scope="session")
def second_team_api(runtime):
    """A client of another team ("second-team", tier pro), for cross-team tests."""
    with team_client(runtime, "second-team") as client:
        yield client


@pytest.fixture
def emulator(runtime):
    runtime.emulator.clear_faults()
    runtime.emulator.reset_counts()
    yield runtime.emulator
    runtime.emulator.clear_faults()
    restore_provider()


def restore_provider() -> None:
    """Run the scheduled provider probe, so a test that made DataForSEO refuse the account (40204)
    leaves the provider status active for the next test."""
    from backlinks.handlers.provider_probe import handler
    from infra.local.gateway import LambdaContext

    result = handler({}, LambdaContext("backlinks-provider-probe"))
    assert result["status"] == "active", result


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


def collect_pages(api, path: str, **params) -> list[dict]:
    """Follow next_cursor from the first page to the last and return every item."""
    items, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def xlsx_rows(content: bytes) -> list[list[str]]:
    """Read the cell texts of the first sheet; fails if any cell contains a formula."""
    namespace = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    assert sheet.findall(".//s:f", namespace) == []
    rows = []
    for row in sheet.iterfind(".//s:sheetData/s:row", namespace):
        cells = []
        for cell in row.iterfind("s:c", namespace):
            text = cell.find("s:is/s:t", namespace)
            value = cell.find("s:v", namespace)
            if text is not None:
                cells.append(text.text)
            elif value is not None:
                cells.append(value.text)
            else:
                cells.append("")
        rows.append(cells)
    return rows
