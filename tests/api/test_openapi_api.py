"""The OpenAPI document describes the API (issue 10, defect 14): every operation declares its
problem answers (``application/problem+json``, the problem schema), its bounds are in the
schema, a time is an ISO 8601 date or time (never a Unix time), and a method a resource does
not have answers 405 with ``Allow``."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM = "application/problem+json"
DOCUMENT = create_app(Settings(database_url="sqlite://"), Database("sqlite://")).openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if path.startswith(API) and path != f"{API}/health"
]
IDS = [f"{method} {path[len(API) :]}" for method, path, _ in OPERATIONS]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    app = create_app(Settings(database_url=database_url), db)
    with TestClient(app, raise_server_exceptions=False, headers=admin_headers(db)) as test_client:
        yield test_client


def _expected(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    params = operation.get("parameters", [])
    found = {"401", "403"}
    if params or "requestBody" in operation or method in WRITES:
        found.add("422")
    if "{" in path or "requestBody" in operation:
        found.add("404")
    if method in WRITES:
        found.add("409")
    if "requestBody" in operation:
        found |= {"400", "413"}
    return found


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_declares_its_problem_answers(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    responses = operation["responses"]
    missing = _expected(method, path, operation) - set(responses)
    assert missing == set(), f"{method} {path} does not declare {sorted(missing)}"
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            assert list(response["content"]) == [PROBLEM], (method, path, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemOut"}, (method, path, status)
            assert response["description"], (method, path, status)
    assert operation["security"] == [{"bearer": []}, {"session": []}]


def test_the_problem_schema_is_the_body_every_refusal_sends(client: TestClient) -> None:
    schema = DOCUMENT["components"]["schemas"]["ProblemOut"]
    assert set(schema["required"]) == {"type", "title", "status", "code", "message", "data"}
    refused = client.get(f"{API}/items", params={"limit": 0})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert set(refused.json()) == set(schema["required"])
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]


def test_bulk_keeps_its_own_descriptions() -> None:
    """0147644: the routes that describe a refusal themselves keep their words."""
    responses = DOCUMENT["paths"][f"{API}/moves/bulk"]["post"]["responses"]
    assert "idempotency_key_reused" in responses["409"]["description"]
    assert "CANGKU_MAX_UPLOAD_BYTES" in responses["413"]["description"]
    assert "not_authenticated" in responses["401"]["description"]


def _parameter(method: str, path: str, name: str) -> dict[str, Any]:
    operation = DOCUMENT["paths"][API + path][method.lower()]
    found = [p for p in operation.get("parameters", []) if p["name"] == name]
    assert len(found) == 1, (method, path, name)
    schema: dict[str, Any] = found[0]["schema"]
    return next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)


def _enum(method: str, path: str, name: str) -> list[str]:
    (found,) = [p for p in _params(method, API + path) if p["name"] == name]
    enum: list[str] = found["schema"]["enum"]
    return enum


def test_paging_bounds_are_in_the_schema() -> None:
    limits = {(m, p) for m, p, _ in OPERATIONS if any(x["name"] == "limit" for x in _params(m, p))}
    assert len(limits) >= 10
    for method, path in limits:
        limit = _parameter(method, path[len(API) :], "limit")
        assert (limit["minimum"], limit["maximum"]) == (1, 500), path
        offset = _parameter(method, path[len(API) :], "offset")
        assert (offset["minimum"], offset["maximum"]) == (0, 2**63 - 1), path


def _params(method: str, path: str) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = DOCUMENT["paths"][path][method.lower()].get("parameters", [])
    return params


def test_an_idempotency_key_is_documented_non_empty_on_writes_only() -> None:
    key = _parameter("POST", "/stock/receive", "Idempotency-Key")
    assert (key["minLength"], key["maxLength"]) == (1, 200)
    for method, path, _ in OPERATIONS:
        names = {p["name"] for p in _params(method, path)}
        assert method in WRITES or "Idempotency-Key" not in names, (method, path)


def test_rules_that_were_only_in_prose_are_in_the_schema() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["PasswordSet"]["properties"]["password"]["minLength"] == 10
    assert schemas["LocationCreate"]["properties"]["kind"]["enum"] == [
        "internal",
        "quality",
        "receiving",
        "shipping",
    ]
    assert _enum("GET", "/locations", "kind")[0] == "internal"
    assert "recalled" in schemas["LotStatusChange"]["properties"]["status"]["enum"]
    assert "stock.view" in schemas["RoleCreate"]["properties"]["permissions"]["items"]["enum"]
    assert _enum("GET", "/partners", "role") == ["supplier", "customer"]
    assert "recalled" in _enum("GET", "/lots", "status")
    assert schemas["UnitCreate"]["properties"]["decimals"]["maximum"] == 6


@pytest.mark.parametrize("value", ["0.0", "5567", "-45938", "1e9", "yesterday", "2026-02-30"])
@pytest.mark.parametrize("path", ["/valuation", "/stock/as-of", "/stock/items/BOLT", "/moves"])
def test_a_time_is_never_a_unix_time(client: TestClient, path: str, value: str) -> None:
    name = "since" if path == "/moves" else "at"
    refused = client.get(API + path, params={name: value})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_time"
    assert refused.json()["data"]["errors"][0]["field"] == f"query.{name}"


@pytest.mark.parametrize(
    "value",
    ["2030-01-01", "2030-01-01T08:00", "2030-01-01T08:00:00Z", "2030-01-01T08:00:00.5+08:00"],
)
def test_an_iso_date_or_time_is_accepted(client: TestClient, value: str) -> None:
    assert client.get(f"{API}/stock/as-of", params={"at": value}).status_code == 200
    assert client.get(f"{API}/valuation", params={"at": value}).status_code == 200


def test_the_time_pattern_is_documented() -> None:
    at = _parameter("GET", "/stock/as-of", "at")
    assert at["type"] == "string"
    assert at["pattern"].startswith("^(000[1-9]")
    assert "format" not in at


@pytest.mark.parametrize(("method", "path", "_"), OPERATIONS, ids=IDS)
def test_unsupported_methods_answer_405_with_allow(
    client: TestClient, method: str, path: str, _: Any
) -> None:
    """What schemathesis' coverage phase sends (its unsupported_method and
    allow_header_conformance checks): TRACE and OPTIONS, which no route has, answer 405 with
    exactly the documented methods in ``Allow``; so does any other undocumented method, unless
    another template takes the path (GET /moves/bulk is GET /moves/{move_id} with "bulk")."""
    documented = {m.upper() for m in DOCUMENT["paths"][path]}
    # any value names a resource of the template (a number where the template takes one)
    url = re.sub(
        r"\{(\w+)\}", lambda m: "1" if m[1].endswith("_id") or m[1] == "seq" else m[1], path
    )
    for other in sorted({"TRACE", "OPTIONS", "GET", "PUT", "POST", "PATCH", "DELETE"} - documented):
        response = client.request(other, url)
        if other not in ("TRACE", "OPTIONS") and response.status_code != 405:
            continue
        assert response.status_code == 405, (other, url, response.status_code)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "method_not_allowed"
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == documented, (other, url, allowed)


def test_trace_on_a_page_answers_405_with_allow(client: TestClient) -> None:
    response = client.request("TRACE", "/items")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


NOT_NULL = [
    ("PATCH", "/warehouses/WH1", "WarehouseUpdate", "allow_negative_stock"),
    ("PATCH", "/warehouses/WH1", "WarehouseUpdate", "name"),
    ("PATCH", "/locations/WH1-A", "LocationUpdate", "name"),
    ("PUT", "/company", "CompanyUpdate", "currency"),
    ("PUT", "/company", "CompanyUpdate", "unit_cost_places"),
    ("PATCH", "/items/BOLT", "ItemPatch", "item_type"),
    ("PATCH", "/items/BOLT", "ItemPatch", "name"),
]


@pytest.mark.parametrize(("method", "path", "model", "field"), NOT_NULL)
def test_a_field_a_change_refuses_as_null_is_not_nullable(
    client: TestClient, method: str, path: str, model: str, field: str
) -> None:
    """Left out, the field stays as it is; sent as null, it is refused: the schema says so."""
    found = DOCUMENT["components"]["schemas"][model]["properties"][field]
    nullable = {"type": "null"} in found.get("anyOf", []) and None in found.get("enum", [None])
    assert not nullable, (model, field, found)
    refused = client.request(method, API + path, json={field: None})
    assert refused.status_code == 422, refused.text
