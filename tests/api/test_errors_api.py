"""Requests the API refuses before any use case runs, and errors nobody expected: always a
problem+json answer with a stable code, never a traceback, never a partial write."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import items, moves
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
LIMIT = 512
UPLOAD_LIMIT = 4096


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    settings = Settings(
        database_url=database_url, max_request_bytes=LIMIT, max_upload_bytes=UPLOAD_LIMIT
    )
    app = create_app(settings, db)
    with TestClient(app, raise_server_exceptions=False, headers=admin_headers(db)) as test_client:
        yield test_client


def move_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_malformed_json_is_400_malformed_json(client: TestClient, db: Database) -> None:
    response = client.post(
        f"{API}/stock/receive",
        content=b'{"item": "BOLT", "quantity": ',
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")
    assert response.headers["content-type"] == "application/problem+json"
    assert move_count(db) == 0


def test_body_over_the_limit_is_413_request_too_large(client: TestClient, db: Database) -> None:
    body = {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "note": "x" * LIMIT}
    response = client.post(f"{API}/stock/receive", json=body)
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert response.json()["data"] == {"limit": LIMIT}
    assert move_count(db) == 0


def test_body_just_under_the_limit_is_accepted(client: TestClient, db: Database) -> None:
    body = {
        "item": "BOLT",
        "quantity": "1",
        "to_location": "WH1-A",
        "unit_cost": "1",
        "note": "x" * 300,
    }
    assert client.post(f"{API}/stock/receive", json=body).status_code == 201
    assert move_count(db) == 1


def test_streamed_body_over_the_limit_is_413(client: TestClient, db: Database) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "note": "'
        yield b"x" * (2 * LIMIT)
        yield b'"}'

    response = client.post(
        f"{API}/stock/receive", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert move_count(db) == 0
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")


def items_file(rows: int) -> bytes:
    lines = ["code,name,item_type", *(f"IMP-{n:04d},Imported {n},spare_part" for n in range(rows))]
    return ("\n".join(lines) + "\n").encode()


def test_a_file_upload_has_its_own_larger_limit(client: TestClient, db: Database) -> None:
    data = items_file(60)  # about 2 KB: over the request limit, under the upload limit
    assert LIMIT < len(data) < UPLOAD_LIMIT
    response = client.post(f"{API}/imports/items", files={"file": ("items.csv", data)})
    assert (response.status_code, response.json()["created"]) == (200, 60)


def test_a_file_over_the_upload_limit_is_413(client: TestClient, db: Database) -> None:
    data = items_file(200)
    assert len(data) > UPLOAD_LIMIT
    response = client.post(f"{API}/imports/items", files={"file": ("items.csv", data)})
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert response.json()["data"] == {"limit": UPLOAD_LIMIT}
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(items)).scalar_one() == 4


def test_unknown_route_is_404_route_not_found(client: TestClient) -> None:
    response = client.get(f"{API}/stock-levels")
    assert (response.status_code, response.json()["code"]) == (404, "route_not_found")
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_method_is_405_method_not_allowed(client: TestClient, db: Database) -> None:
    response = client.delete(f"{API}/moves/1")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
    assert client.get(f"{API}/stock/receive").status_code == 405
    assert move_count(db) == 0


def test_a_path_id_that_is_not_a_number_is_422(client: TestClient) -> None:
    response = client.get(f"{API}/moves/abc")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert response.json()["data"]["errors"][0]["field"] == "path.move_id"


def test_a_body_that_is_not_an_object_is_422(client: TestClient, db: Database) -> None:
    response = client.post(f"{API}/stock/receive", json=["BOLT", "1"])
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert move_count(db) == 0


def test_unexpected_error_is_500_without_a_traceback(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cangku.services import stock as stock_service

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals: /srv/cangku/db.py line 42")

    monkeypatch.setattr(stock_service, "receive_stock", explode)
    response = client.post(
        f"{API}/stock/receive", json={"item": "BOLT", "quantity": "1", "to_location": "WH1-A"}
    )
    assert (response.status_code, response.json()["code"]) == (500, "internal_error")
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    assert "secret internals" not in response.text
    assert move_count(db) == 0


def test_security_headers_are_set(client: TestClient) -> None:
    response = client.get(f"{API}/stock")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/moves/9223372036854775808", id="move-id"),
        pytest.param("/moves/0", id="move-id-zero"),
        pytest.param("/moves?offset=9223372036854775808", id="offset"),
        pytest.param("/stock?offset=9223372036854775808", id="stock-offset"),
    ],
)
def test_numbers_beyond_the_database_range_are_422(client: TestClient, path: str) -> None:
    response = client.get(f"{API}{path}")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_reversing_a_move_id_beyond_the_range_is_422(client: TestClient, db: Database) -> None:
    response = client.post(f"{API}/moves/9223372036854775808/reverse")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    body = {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "document_line": 2**40}
    response = client.post(f"{API}/stock/receive", json=body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert move_count(db) == 0
