"""Unit tests of the DataForSEO client against httpx.MockTransport (no sockets)."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from backlinks.dataforseo.client import CallContext, CallRecord, DataForSEOClient
from backlinks.dataforseo.errors import (
    AccountError,
    DataForSEOError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    SubscriptionInactiveError,
    TransportError,
    error_for_status,
)
from tests.reference import CASES as FIXTURE_CASES
from tests.reference import reference_path

pytestmark = pytest.mark.usefixtures("socket_disabled")

CASES = FIXTURE_CASES / "dataforseo"
BASE_URL = "http://127.0.0.1:9"  # never contacted: every request goes to the MockTransport
LOGIN = "team-login@example.com"
PASSWORD = "s3cr3t-Pa55word"
CONTEXT = CallContext(team_id="team-1", operation="lookup_pull", target="example.com", job_id="job-1")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def envelope(code: int = 20000, *, tasks: list[dict[str, Any]] | None, cost: float = 0.0) -> dict[str, Any]:
    return {
        "version": "0.1.test",
        "status_code": code,
        "status_message": "Ok." if code == 20000 else f"status {code}",
        "time": "0.0100 sec.",
        "cost": cost,
        "tasks_count": len(tasks or []),
        "tasks_error": sum(1 for task in tasks or [] if task["status_code"] != 20000),
        "tasks": tasks,
    }


def task(code: int = 20000, result: list[dict[str, Any]] | None = None, message: str | None = None):
    return {
        "id": "t-1",
        "status_code": code,
        "status_message": message or ("Ok." if code == 20000 else f"task status {code}"),
        "time": "0.0100 sec.",
        "cost": 0.0,
        "result_count": len(result or []),
        "path": ["v3", "backlinks", "summary", "live"],
        "data": {},
        "result": result,
    }


def ok(result: dict[str, Any], cost: float = 0.02003) -> dict[str, Any]:
    return envelope(tasks=[task(result=[result])], cost=cost)


SUMMARY_RESULT = {"target": "example.com", "rank": 10, "backlinks": 5, "referring_pages": 4}


class Recorder:
    """A MockTransport handler that replays queued responses and keeps every request."""

    def __init__(self, *responses: Any) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(response, Exception):
            raise response
        if isinstance(response, httpx.Response):
            return response
        return httpx.Response(200, json=response)

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]


def make_client(recorder: Recorder, **options: Any) -> tuple[DataForSEOClient, list[float], list[CallRecord]]:
    sleeps: list[float] = []
    records: list[CallRecord] = []
    client = DataForSEOClient(
        BASE_URL,
        LOGIN,
        PASSWORD,
        sleep=sleeps.append,
        on_call=records.append,
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
        **options,
    )
    return client, sleeps, records


# --- error classes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "retryable"),
    [
        (40202, RateLimitedError, True),
        (40204, SubscriptionInactiveError, False),
        (40100, AccountError, False),
        (40200, AccountError, False),
        (40201, AccountError, False),
        (40203, AccountError, False),
        (40207, AccountError, False),
        (40103, ServerError, True),
        (50000, ServerError, True),
        (50301, ServerError, True),
        (59999, ServerError, True),
        (40501, RequestRejectedError, False),
        (40000, RequestRejectedError, False),
        (40999, RequestRejectedError, False),
    ],
)
def test_status_code_maps_to_error_class(code: int, expected: type, retryable: bool) -> None:
    error = error_for_status(code, "message", endpoint="backlinks/summary/live")

    assert type(error) is expected
    assert error.retryable is retryable
    assert error.code == code
    assert str(error) == f"DataForSEO backlinks/summary/live failed with {code}: message"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, AccountError),
        (402, AccountError),
        (404, RequestRejectedError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_http_status_maps_to_error_class(status: int, expected: type) -> None:
    recorder = Recorder(httpx.Response(status, text="<html>error</html>"))
    client, sleeps, _ = make_client(recorder, max_retries=0)

    with pytest.raises(expected) as raised:
        client.summary("example.com", context=CONTEXT)

    assert f"HTTP {status}" in str(raised.value)
    assert sleeps == []


# --- retries ------------------------------------------------------------------------------------------


def test_rate_limit_then_success_is_retried() -> None:
    recorder = Recorder(load(CASES / "http200_rate_limited.json"), ok(SUMMARY_RESULT))
    client, sleeps, records = make_client(recorder)

    summary = client.summary("example.com", context=CONTEXT)

    assert summary.target == "example.com"
    assert len(recorder.requests) == 2
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 0.5
    assert [record.status_code for record in records] == [40202, 20000]


def test_rate_limit_forever_raises_after_max_retries() -> None:
    recorder = Recorder(load(CASES / "http200_rate_limited.json"))
    client, sleeps, records = make_client(recorder, max_retries=3, backoff_base=1.0, backoff_max=3.0)

    with pytest.raises(RateLimitedError) as raised:
        client.summary("example.com", context=CONTEXT)

    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    assert all(0 <= delay <= cap for delay, cap in zip(sleeps, [1.0, 2.0, 3.0], strict=True))
    assert raised.value.code == 40202
    assert len(records) == 4


def test_rate_limited_case_is_never_an_empty_result() -> None:
    recorder = Recorder(load(CASES / "http200_rate_limited.json"))
    client, _, _ = make_client(recorder, max_retries=0)

    with pytest.raises(RateLimitedError):
        client.referring_domains_page("example.com", context=CONTEXT)
    with pytest.raises(RateLimitedError):
        client.bulk_spam_score(["a.example"], context=CONTEXT)


def test_task_error_case_raises_subscription_inactive() -> None:
    recorder = Recorder(load(CASES / "http200_task_error.json"))
    client, sleeps, records = make_client(recorder)

    with pytest.raises(SubscriptionInactiveError) as raised:
        client.collect_referring_domains("example.com", max_items=1000, context=CONTEXT)

    assert len(recorder.requests) == 1
    assert sleeps == []
    assert raised.value.code == 40204
    assert str(raised.value).startswith(
        "DataForSEO backlinks/referring_domains/live failed with 40204: Access denied"
    )
    assert records[0].status_code == 40204
    assert records[0].cost == 0


@pytest.mark.parametrize("code", [40100, 40200, 40501])
def test_non_retryable_task_codes_are_raised_at_once(code: int) -> None:
    recorder = Recorder(envelope(tasks=[task(code)]))
    client, sleeps, _ = make_client(recorder)

    with pytest.raises(DataForSEOError) as raised:
        client.summary("example.com", context=CONTEXT)

    assert raised.value.code == code
    assert raised.value.retryable is False
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_task_error_after_successful_envelope_fails() -> None:
    recorder = Recorder(envelope(tasks=[task(50000)]), ok(SUMMARY_RESULT))
    client, sleeps, _ = make_client(recorder)

    client.summary("example.com", context=CONTEXT)

    assert len(sleeps) == 1
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json=envelope(50000, tasks=None)),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200, text='{"version": "0.1", "status_code": 200'),
        httpx.Response(200, json=["not", "an", "envelope"]),
    ],
    ids=["http-500", "timeout", "connect-error", "malformed-json", "unexpected-shape"],
)
def test_transient_failures_are_retried(failure: Any) -> None:
    recorder = Recorder(failure, ok(SUMMARY_RESULT))
    client, sleeps, _ = make_client(recorder)

    summary = client.summary("example.com", context=CONTEXT)

    assert summary.backlinks == 5
    assert len(recorder.requests) == 2
    assert len(sleeps) == 1


def test_timeout_forever_raises_transport_error() -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    client, sleeps, records = make_client(recorder, max_retries=2, timeout=1.5)

    with pytest.raises(TransportError) as raised:
        client.summary("example.com", context=CONTEXT)

    assert str(raised.value) == "DataForSEO backlinks/summary/live failed: request timed out after 1.5 s"
    assert len(sleeps) == 2
    assert records == []


def test_success_envelope_without_tasks_is_an_error() -> None:
    recorder = Recorder(envelope(tasks=None))
    client, _, _ = make_client(recorder, max_retries=0)

    with pytest.raises(ServerError):
        client.referring_domains_page("example.com", context=CONTEXT)


# --- credentials ----------------------------------------------------------------------------------------


def test_credentials_absent_from_errors_and_repr() -> None:
    echoed = f"Authorization failed for {LOGIN}:{PASSWORD}"
    recorder = Recorder(envelope(40100, tasks=None) | {"status_message": echoed})
    client, _, _ = make_client(recorder)

    with pytest.raises(AccountError) as raised:
        client.summary("example.com", context=CONTEXT)

    authorization = recorder.requests[0].headers["Authorization"]
    for text in (str(raised.value), repr(raised.value), repr(client), str(raised.value.args)):
        assert LOGIN not in text
        assert PASSWORD not in text
        assert authorization.split()[1] not in text


def test_request_uses_basic_auth_and_user_agent() -> None:
    recorder = Recorder(ok(SUMMARY_RESULT))
    client, _, _ = make_client(recorder)

    client.summary("example.com", context=CONTEXT)

    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/v3/backlinks/summary/live"
    assert request.headers["Authorization"] == httpx.BasicAuth(LOGIN, PASSWORD)._auth_header
    assert "backlinks-service" in request.headers["User-Agent"]
    assert recorder.bodies()[0] == [
        {"target": "example.com", "internal_list_limit": 10, "backlinks_status_type": "live"}
    ]


# --- cost records -----------------------------------------------------------------------------------------


def test_on_call_receives_cost_of_each_call() -> None:
    page = load(reference_path("samples", "referring_domains_live.response.json"))
    recorder = Recorder(load(CASES / "http200_rate_limited.json"), page)
    client, _, records = make_client(recorder)

    client.referring_domains_page("backlinko.com", limit=5, context=CONTEXT)

    assert [record.cost for record in records] == [0.0, 0.02015]
    assert [record.status_code for record in records] == [40202, 20000]
    assert [record.items for record in records] == [0, 5]
    assert all(record.endpoint == "backlinks/referring_domains/live" for record in records)
    assert all(record.context == CONTEXT for record in records)
    assert all(record.duration_ms >= 0 for record in records)


# --- endpoints ------------------------------------------------------------------------------------------


def test_summary_parses_vendor_sample() -> None:
    recorder = Recorder(load(reference_path("samples", "summary_live.response.json")))
    client, _, _ = make_client(recorder)

    summary = client.summary("explodingtopics.com", context=CONTEXT)

    assert summary.referring_domains == 12372
    assert summary.target_spam_score == 0


def test_collect_referring_domains_drops_page_overlap() -> None:
    recorder = Recorder(
        load(CASES / "referring_domains_page1.json"), load(CASES / "referring_domains_page2_overlap.json")
    )
    client, _, _ = make_client(recorder)

    collection = client.collect_referring_domains("example.com", max_items=10, page_size=3, context=CONTEXT)

    assert [item.domain for item in collection.items] == [
        "a.example.org",
        "b.example.net",
        "xn--bcher-kva.example",
        "c.example.com",
    ]
    assert collection.duplicates_dropped == 1
    assert collection.pages == 2
    assert collection.total_count == 20001
    assert [body[0]["offset"] for body in recorder.bodies()] == [0, 3]
    assert [body[0]["limit"] for body in recorder.bodies()] == [3, 3]
    assert all(body[0]["order_by"] == ["rank,desc"] for body in recorder.bodies())


def test_collect_referring_domains_stops_at_max_items() -> None:
    items = [{"domain": f"d{i}.example", "rank": 1} for i in range(4)]
    page = ok({"target": "example.com", "total_count": 50, "items_count": 4, "items": items})
    recorder = Recorder(page)
    client, _, _ = make_client(recorder)

    collection = client.collect_referring_domains("example.com", max_items=8, page_size=4, context=CONTEXT)

    assert len(recorder.requests) == 2
    assert collection.pages == 2
    assert len(collection.items) == 4
    assert collection.duplicates_dropped == 4


def test_collect_referring_domains_rejects_more_than_ten_thousand() -> None:
    client, _, _ = make_client(Recorder(ok({})))

    with pytest.raises(ValueError, match="max_items"):
        client.collect_referring_domains("example.com", max_items=10_001, context=CONTEXT)


def backlinks_page(count: int, token: str | None, total: int = 100_000) -> dict[str, Any]:
    items = [{"type": "backlink", "domain_from": f"d{i}.example", "links_count": 1} for i in range(count)]
    result = {"target": "example.com", "total_count": total, "items_count": count, "items": items}
    return ok(result | {"search_after_token": token})


def test_backlinks_pages_switch_to_search_after_token() -> None:
    pages = [backlinks_page(1000, f"T{i}") for i in range(22)] + [backlinks_page(500, None)]
    recorder = Recorder(*pages)
    client, _, _ = make_client(recorder)

    read = list(client.backlinks_pages("example.com", max_items=30_000, context=CONTEXT))

    bodies = [body[0] for body in recorder.bodies()]
    assert len(read) == 23
    assert sum(len(page.items) for page in read) == 22_500
    assert [body.get("offset") for body in bodies[:20]] == list(range(0, 20_000, 1000))
    assert "search_after_token" not in bodies[19]
    assert bodies[20]["search_after_token"] == "T19"
    assert "offset" not in bodies[20]
    assert bodies[22]["search_after_token"] == "T21"
    assert all(body["order_by"] == ["first_seen,desc"] and body["mode"] == "as_is" for body in bodies)


def test_backlinks_pages_stop_at_max_items() -> None:
    recorder = Recorder(backlinks_page(1000, "T"), backlinks_page(500, "T"))
    client, _, _ = make_client(recorder)

    read = list(client.backlinks_pages("example.com", max_items=1500, context=CONTEXT))

    assert [body[0]["limit"] for body in recorder.bodies()] == [1000, 500]
    assert sum(len(page.items) for page in read) == 1500


def test_backlinks_pages_stop_when_token_is_null() -> None:
    recorder = Recorder(*[backlinks_page(1000, "T") for _ in range(20)], backlinks_page(1000, None))
    client, _, _ = make_client(recorder)

    read = list(client.backlinks_pages("example.com", max_items=50_000, context=CONTEXT))

    assert len(read) == 21
    assert len(recorder.requests) == 21


def test_bulk_spam_score_leaves_unknown_scores_out() -> None:
    items = [
        {"type": "backlinks_bulk_spam_score", "target": "a.example", "spam_score": 12},
        {"type": "backlinks_bulk_spam_score", "target": "b.example", "spam_score": None},
        {"type": "backlinks_bulk_spam_score", "target": "c.example", "spam_score": 0},
    ]
    recorder = Recorder(ok({"items_count": 3, "items": items}))
    client, _, _ = make_client(recorder)

    scores = client.bulk_spam_score(["a.example", "b.example", "c.example", "d.example"], context=CONTEXT)

    assert scores == {"a.example": 12, "c.example": 0}
    assert recorder.bodies() == [[{"targets": ["a.example", "b.example", "c.example", "d.example"]}]]


@pytest.mark.parametrize("count", [0, 1001])
def test_bulk_spam_score_rejects_target_count(count: int) -> None:
    recorder = Recorder(ok({"items": []}))
    client, _, _ = make_client(recorder)

    with pytest.raises(ValueError):
        client.bulk_spam_score([f"d{i}.example" for i in range(count)], context=CONTEXT)

    assert recorder.requests == []


def test_bulk_spam_score_accepts_one_thousand_targets() -> None:
    recorder = Recorder(ok({"items_count": 0, "items": None}))
    client, _, _ = make_client(recorder)

    assert client.bulk_spam_score([f"d{i}.example" for i in range(1000)], context=CONTEXT) == {}


def test_client_context_manager_closes_own_pool() -> None:
    with DataForSEOClient(BASE_URL, LOGIN, PASSWORD) as client:
        assert repr(client) == f"DataForSEOClient(base_url='{BASE_URL}')"
    assert client._http.is_closed
