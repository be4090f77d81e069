"""Contract tests: the emulator's responses validate against the vendor's OpenAPI description.

The spec is DataForSEO's OpenAPI 3.0.1 file. Every property in it is optional and objects allow extra
properties, so schema validation alone would accept an almost empty item. The field-set tests below
therefore also check that items carry exactly the properties the spec lists.
"""

import copy
import json
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from infra.local.emulator import DataForSEOEmulator
from tests.reference import reference_path

pytestmark = pytest.mark.integration

AUTH = ("emulator-login", "emulator-password")

REQUESTS = {
    "summary": {"target": "example.com", "internal_list_limit": 10},
    "referring_domains": {"target": "example.com", "limit": 50, "order_by": ["rank,desc"]},
    "backlinks": {"target": "example.com", "limit": 50, "mode": "as_is", "filters": ["dofollow", "=", True]},
    "bulk_spam_score": {"targets": ["example.org", "blog.example.net", "https://www.example.de/page"]},
    "anchors": {"target": "example.com", "limit": 10, "order_by": ["backlinks,desc"]},
    "timeseries_new_lost_summary": {
        "target": "example.com",
        "date_from": "2026-01-15",
        "group_range": "month",
    },
}
ITEM_SCHEMAS = {
    "summary": None,
    "referring_domains": "BacklinksReferringDomainsLiveItem",
    "backlinks": "BacklinksBacklinksLiveItem",
    "bulk_spam_score": "BacklinksBulkSpamScoreLiveItem",
    "anchors": "BacklinksAnchorsLiveItem",
    "timeseries_new_lost_summary": "BacklinksTimeseriesNewLostSummaryLiveItem",
}
RESULT_SCHEMAS = {
    "summary": "BacklinksSummaryLiveResultInfo",
    "referring_domains": "BacklinksReferringDomainsLiveResultInfo",
    "backlinks": "BacklinksBacklinksLiveResultInfo",
    "bulk_spam_score": "BacklinksBulkSpamScoreLiveResultInfo",
    "anchors": "BacklinksAnchorsLiveResultInfo",
    "timeseries_new_lost_summary": "BacklinksTimeseriesNewLostSummaryLiveResultInfo",
}


class _SpecLoader(yaml.SafeLoader):
    """PyYAML reads a bare ``=`` (a filter operator in the spec's examples) as the YAML value tag."""


_SpecLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _resolve(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"recursive $ref {name} in the spec")
            return _resolve(schemas[name], schemas, (*seen, name))
        return {key: _resolve(value, schemas, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, schemas, seen) for item in node]
    return node


def _fix_spec(schemas: dict[str, Any]) -> dict[str, Any]:
    """Correct the spec where it contradicts the vendor's own examples."""
    fixed = copy.deepcopy(schemas)
    # The spec types every value of a task's "data" echo as an object, but the echo contains the posted
    # fields as sent: "api": "backlinks", "limit": 5 (see the published summary and referring_domains
    # examples). Any JSON value is allowed here.
    fixed["BaseResponseTaskInfo"]["properties"]["data"]["additionalProperties"] = {}
    return fixed


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document = yaml.load(reference_path("backlinks-openapi.yml").read_text(), Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
    return document


@pytest.fixture(scope="module")
def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return _fix_spec(spec["components"]["schemas"])


def response_schema(spec: dict[str, Any], schemas: dict[str, Any], function: str) -> dict[str, Any]:
    operation = spec["paths"][f"/v3/backlinks/{function}/live"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return _resolve(schema, schemas)


@pytest.fixture(scope="module")
def http(emulator: DataForSEOEmulator):
    with httpx.Client(base_url=emulator.url, auth=AUTH, timeout=30) as client:
        yield client


def post(http: httpx.Client, function: str, body: Any) -> httpx.Response:
    return http.post(f"/v3/backlinks/{function}/live", json=body)


@pytest.fixture(autouse=True)
def _clean_faults(emulator: DataForSEOEmulator):
    emulator.clear_faults()
    yield
    emulator.clear_faults()


@pytest.mark.parametrize("function", sorted(REQUESTS))
def test_success_response_validates(spec, schemas, http, function: str) -> None:
    response = post(http, function, [REQUESTS[function]])

    assert response.status_code == 200
    body = response.json()
    OAS30Validator(response_schema(spec, schemas, function)).validate(body)
    assert body["status_code"] == 20000
    assert body["tasks"][0]["status_code"] == 20000
    assert body["tasks"][0]["path"] == ["v3", "backlinks", function, "live"]
    assert body["tasks"][0]["data"]["function"] == function
    assert body["time"].endswith(" sec.")


@pytest.mark.parametrize("function", sorted(REQUESTS))
def test_items_carry_exactly_spec_fields(schemas, http, function: str) -> None:
    result = post(http, function, [REQUESTS[function]]).json()["tasks"][0]["result"][0]

    result_fields = set(_resolve(schemas[RESULT_SCHEMAS[function]], schemas)["properties"])
    assert set(result) == result_fields
    item_schema = ITEM_SCHEMAS[function]
    if item_schema is not None:
        item_fields = set(schemas[item_schema]["properties"])
        assert result["items"]
        for item in result["items"]:
            assert set(item) == item_fields


@pytest.mark.parametrize(
    ("function", "body", "envelope_code", "task_code"),
    [
        ("referring_domains", [{"target": "example.com", "limit": 1001}], 20000, 40501),
        ("backlinks", [{"target": "example.com", "offset": 20_001}], 20000, 40501),
        ("bulk_spam_score", [{"targets": [f"d{i}.example" for i in range(1001)]}], 20000, 40501),
        ("summary", [{"target": "a.example"}, {"target": "b.example"}], 40000, None),
        ("summary", [], 40502, None),
        ("anchors", {"target": "example.com"}, 40503, None),
    ],
)
def test_error_response_validates(spec, schemas, http, function, body, envelope_code, task_code) -> None:
    response = post(http, function, body)

    assert response.status_code == 200
    payload = response.json()
    OAS30Validator(response_schema(spec, schemas, function)).validate(payload)
    assert payload["status_code"] == envelope_code
    if task_code is None:
        assert payload["tasks"] is None
    else:
        assert payload["tasks_error"] == 1
        assert payload["tasks"][0]["status_code"] == task_code
        assert payload["tasks"][0]["result"] is None
        assert payload["tasks"][0]["cost"] == 0


def test_invalid_json_body_is_40503(spec, schemas, http) -> None:
    response = http.post("/v3/backlinks/summary/live", content=b"[{not json")

    payload = response.json()
    OAS30Validator(response_schema(spec, schemas, "summary")).validate(payload)
    assert payload["status_code"] == 40503


@pytest.mark.parametrize(
    ("code", "in_envelope"),
    [(40202, True), (40204, False), (50000, False), (40100, True)],
)
def test_injected_status_validates(spec, schemas, http, emulator, code: int, in_envelope: bool) -> None:
    emulator.inject_fault(endpoint="referring_domains", kind="status", code=code)

    payload = post(http, "referring_domains", [REQUESTS["referring_domains"]]).json()

    OAS30Validator(response_schema(spec, schemas, "referring_domains")).validate(payload)
    if in_envelope:
        assert payload["status_code"] == code
        assert payload["tasks"] is None
    else:
        assert payload["status_code"] == 20000
        assert payload["tasks"][0]["status_code"] == code
        assert payload["tasks"][0]["result"] is None


def test_missing_authorization_is_http_401(spec, schemas, emulator) -> None:
    response = httpx.post(f"{emulator.url}/v3/backlinks/summary/live", json=[{"target": "example.com"}])

    assert response.status_code == 401
    payload = response.json()
    OAS30Validator(response_schema(spec, schemas, "summary")).validate(payload)
    assert payload["status_code"] == 40100


def test_cost_follows_per_item_rule(http) -> None:
    payload = post(http, "referring_domains", [{"target": "example.com", "limit": 7}]).json()

    assert payload["cost"] == pytest.approx(0.02 + 7 * 0.00003)
    assert payload["tasks"][0]["cost"] == payload["cost"]


def test_sample_request_bodies_are_accepted(http) -> None:
    for function in ("summary", "referring_domains", "backlinks", "bulk_spam_score", "anchors"):
        body = json.loads(reference_path("samples", f"{function}_live.request.json").read_text())

        payload = post(http, function, body).json()

        assert payload["tasks"][0]["status_code"] == 20000, (function, payload["tasks"][0]["status_message"])


@pytest.mark.parametrize("sample", ["summary_live.response.json", "referring_domains_live.response.json"])
def test_vendor_samples_validate_against_fixed_spec(spec, schemas, sample: str) -> None:
    body = json.loads(reference_path("samples", sample).read_text())
    function = body["tasks"][0]["data"]["function"]

    OAS30Validator(response_schema(spec, schemas, function)).validate(body)


def test_validator_rejects_wrong_types(spec, schemas, http) -> None:
    body = post(http, "referring_domains", [REQUESTS["referring_domains"]]).json()
    body["tasks"][0]["result"][0]["items"][0]["rank"] = "high"

    errors = list(OAS30Validator(response_schema(spec, schemas, "referring_domains")).iter_errors(body))

    assert errors
