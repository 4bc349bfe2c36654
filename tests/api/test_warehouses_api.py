"""Warehouses and locations through the REST API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

with warnings.catch_warnings():
    # starlette asks for httpx2 instead of httpx; the test client works the same with either
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from cangku.app import create_app
from cangku.db.tables import locations, warehouses
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import admin_headers

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    initialize(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def make_site(client: TestClient) -> None:
    assert (
        client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"}).status_code == 201
    )
    for body in (
        {"code": "A", "name": "Zone A", "warehouse": "WH1", "level": "zone"},
        {"code": "A-01", "name": "Bin", "parent": "A", "capacity": "2.5"},
        {"code": "B", "name": "Zone B", "warehouse": "WH1", "kind": "receiving"},
    ):
        assert client.post("/api/v1/locations", json=body).status_code == 201


def test_create_warehouse_returns_201_and_body(client: TestClient) -> None:
    response = client.post(
        "/api/v1/warehouses",
        json={"code": "WH1", "name": "Main", "address": "1 Road", "allow_negative_stock": True},
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("code", "name", "address", "allow_negative_stock", "active")} == {
        "code": "WH1",
        "name": "Main",
        "address": "1 Road",
        "allow_negative_stock": True,
        "active": True,
    }
    assert body["version"] == 1


def test_get_warehouse_and_missing_one(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"})

    found = client.get("/api/v1/warehouses/WH1")
    missing = client.get("/api/v1/warehouses/NOPE")

    assert (found.status_code, found.json()["code"]) == (200, "WH1")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["code"] == "warehouse_not_found"


def test_duplicate_warehouse_is_409(client: TestClient, db: Database) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"})

    response = client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Again"})

    assert response.status_code == 409
    assert response.json()["code"] == "warehouse_code_taken"
    assert count(db, warehouses) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"code": "W H", "name": "x"}, "invalid_code"),
        ({"code": "WH1", "name": ""}, "invalid_name"),
        ({"code": "WH1", "name": "x", "colour": "red"}, "invalid_input"),
        ({"name": "x"}, "invalid_input"),
    ],
    ids=["code", "name", "extra-field", "missing-code"],
)
def test_bad_warehouse_is_422(
    client: TestClient, db: Database, body: dict[str, str], code: str
) -> None:
    response = client.post("/api/v1/warehouses", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert count(db, warehouses) == 0


def test_idempotency_key_replays_and_refuses_other_payload(
    client: TestClient, db: Database
) -> None:
    headers = {"Idempotency-Key": "wh-1"}

    first = client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"}, headers=headers)
    again = client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"}, headers=headers)
    other = client.post("/api/v1/warehouses", json={"code": "WH2", "name": "Two"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert count(db, warehouses) == 1
    assert count(db, locations) == 6


def test_sql_and_html_round_trip(client: TestClient) -> None:
    name = "<img src=x onerror=alert(1)> Robert'); DROP TABLE warehouses;--"

    client.post("/api/v1/warehouses", json={"code": "WH1", "name": name, "address": name})
    created = client.post(
        "/api/v1/locations", json={"code": "L1", "name": name, "warehouse": "WH1"}
    )

    assert client.get("/api/v1/warehouses/WH1").json()["name"] == name
    assert client.get("/api/v1/warehouses/WH1").json()["address"] == name
    assert created.json()["name"] == name
    assert client.get("/api/v1/locations", params={"q": "drop table"}).json()["total"] == 1


def test_list_warehouses_pages_with_totals(client: TestClient) -> None:
    for code in ("WH1", "WH2", "WH3"):
        client.post("/api/v1/warehouses", json={"code": code, "name": f"Store {code}"})

    page = client.get("/api/v1/warehouses", params={"limit": 2, "offset": 1}).json()
    bad = client.get("/api/v1/warehouses", params={"limit": 0})

    assert [w["code"] for w in page["items"]] == ["WH2", "WH3"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_limit")


def test_patch_warehouse_and_version_conflict(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main", "address": "Road"})

    patched = client.patch("/api/v1/warehouses/WH1", json={"name": "Central", "version": 1})
    stale = client.patch("/api/v1/warehouses/WH1", json={"name": "Late", "version": 1})

    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["address"], patched.json()["version"]) == (
        "Central",
        "Road",
        2,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    assert client.get("/api/v1/warehouses/WH1").json()["name"] == "Central"


def test_deactivate_and_reactivate_warehouse(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"})

    off = client.post("/api/v1/warehouses/WH1/deactivate")
    listed = client.get("/api/v1/warehouses", params={"active": "false"}).json()
    on = client.post("/api/v1/warehouses/WH1/reactivate")

    assert (off.status_code, off.json()["active"]) == (200, False)
    assert [w["code"] for w in listed["items"]] == ["WH1"]
    assert (on.status_code, on.json()["active"]) == (200, True)


def test_virtual_location_with_slash_in_code(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"})

    response = client.get("/api/v1/locations/WH1/SUPPLIER")
    refused = client.post("/api/v1/locations/WH1/SUPPLIER/deactivate")

    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["is_virtual"]) == ("supplier", True)
    assert (refused.status_code, refused.json()["code"]) == (409, "virtual_location_fixed")


def test_create_location_returns_body(client: TestClient) -> None:
    make_site(client)

    body = client.get("/api/v1/locations/A-01").json()

    assert body["parent"] == "A"
    assert body["warehouse"] == "WH1"
    assert body["capacity"] == "2.5"
    assert body["allowed_item_types"] == []
    assert body["is_virtual"] is False


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"code": "X", "name": "x", "kind": "customer", "warehouse": "WH1"},
            409,
            "virtual_kind_reserved",
        ),
        ({"code": "A", "name": "x", "warehouse": "WH1"}, 409, "location_code_taken"),
        ({"code": "X", "name": "x", "warehouse": "NOPE"}, 404, "warehouse_not_found"),
        (
            {"code": "X", "name": "x", "warehouse": "WH1", "capacity": "-1"},
            422,
            "quantity_not_positive",
        ),
        ({"code": "X", "name": "x", "warehouse": "WH1", "capacity": "lots"}, 422, "invalid_number"),
    ],
    ids=["virtual", "taken", "no-warehouse", "capacity", "capacity-text"],
)
def test_bad_location_is_refused(
    client: TestClient, db: Database, body: dict[str, str], status: int, code: str
) -> None:
    make_site(client)
    before = count(db, locations)

    response = client.post("/api/v1/locations", json=body)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert count(db, locations) == before


def test_list_locations_filters_and_children(client: TestClient) -> None:
    make_site(client)

    storage = client.get("/api/v1/locations", params={"warehouse": "WH1"}).json()
    with_virtual = client.get(
        "/api/v1/locations", params={"warehouse": "WH1", "include_virtual": "true"}
    ).json()
    receiving = client.get("/api/v1/locations", params={"kind": "receiving"}).json()
    children = client.get("/api/v1/locations/A/children").json()

    assert [loc["code"] for loc in storage["items"]] == ["A", "A-01", "B"]
    assert with_virtual["total"] == 9
    assert [loc["code"] for loc in receiving["items"]] == ["B"]
    assert [loc["code"] for loc in children["items"]] == ["A-01"]


def test_patch_location_moves_it(client: TestClient) -> None:
    make_site(client)

    moved = client.patch("/api/v1/locations/A-01", json={"parent": "B"})
    cycle = client.patch("/api/v1/locations/A", json={"parent": "A"})

    assert (moved.status_code, moved.json()["parent"]) == (200, "B")
    assert (cycle.status_code, cycle.json()["code"]) == (409, "location_cycle")


def test_location_deactivate_reactivate(client: TestClient) -> None:
    make_site(client)

    off = client.post("/api/v1/locations/A-01/deactivate")
    on = client.post("/api/v1/locations/A-01/reactivate")
    missing = client.post("/api/v1/locations/NOPE/deactivate")

    assert (off.status_code, off.json()["active"]) == (200, False)
    assert (on.status_code, on.json()["active"]) == (200, True)
    assert (missing.status_code, missing.json()["code"]) == (404, "location_not_found")


def test_warehouse_tree(client: TestClient) -> None:
    make_site(client)

    nodes = client.get("/api/v1/warehouses/WH1/tree").json()

    assert [(n["depth"], n["location"]["code"]) for n in nodes] == [(0, "A"), (1, "A-01"), (0, "B")]


def test_patch_warehouse_refuses_null_flag(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "WH1", "name": "Main"})

    response = client.patch("/api/v1/warehouses/WH1", json={"allow_negative_stock": None})

    assert (response.status_code, response.json()["code"]) == (422, "invalid_flag")
    assert client.get("/api/v1/warehouses/WH1").json()["version"] == 1
