"""Items, categories and units through the REST API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import categories, item_barcodes, item_units, items, units
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import admin_headers

with warnings.catch_warnings():
    # starlette asks for httpx2 instead of httpx; the test client works the same with either
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
BOLT: dict[str, Any] = {
    "code": "BOLT-M6",
    "name": "Bolt M6",
    "item_type": "spare_part",
    "units": [{"unit": "box", "factor": "12"}],
    "barcodes": [{"barcode": "6901234567892"}, {"barcode": "6901234567908", "unit": "box"}],
    "safety_stock": 10,
    "reorder_point": "20",
    "standard_cost": "0.125",
}


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


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["code"])


def test_create_item_returns_201_with_decimals_as_strings(client: TestClient) -> None:
    response = client.post("/api/v1/items", json=BOLT)

    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "BOLT-M6"
    assert body["units"] == [{"unit": "box", "factor": "12"}]
    assert body["barcodes"] == [
        {"barcode": "6901234567892", "unit": None},
        {"barcode": "6901234567908", "unit": "box"},
    ]
    assert (body["safety_stock"], body["reorder_point"], body["max_stock"]) == ("10", "20", None)
    assert body["standard_cost"] == "0.125"
    assert (body["active"], body["version"]) == (True, 1)


def test_get_item_by_code_and_by_barcode(client: TestClient) -> None:
    client.post("/api/v1/items", json=BOLT)

    by_code = client.get("/api/v1/items/BOLT-M6")
    by_barcode = client.get("/api/v1/items/by-barcode/6901234567908")
    missing = client.get("/api/v1/items/by-barcode/0000")

    assert by_code.status_code == 200
    assert by_barcode.status_code == 200
    assert by_barcode.json() == by_code.json()
    assert problem_code(missing, 404) == "barcode_not_found"
    assert problem_code(client.get("/api/v1/items/NOPE"), 404) == "item_not_found"


def test_item_code_with_a_slash_is_addressable(client: TestClient) -> None:
    client.post("/api/v1/items", json={**BOLT, "code": "M6/20", "barcodes": []})

    got = client.get("/api/v1/items/M6/20")
    patched = client.patch("/api/v1/items/M6/20", json={"name": "Short bolt"})
    units_put = client.put("/api/v1/items/M6/20/units", json={"units": []})

    assert got.json()["code"] == "M6/20"
    assert patched.json()["name"] == "Short bolt"
    assert units_put.json()["units"] == []


def test_create_item_conflicts_and_invalid_input(client: TestClient, db: Database) -> None:
    client.post("/api/v1/items", json=BOLT)

    taken = client.post("/api/v1/items", json={**BOLT, "barcodes": []})
    barcode = client.post("/api/v1/items", json={**BOLT, "code": "NUT"})
    kind = client.post("/api/v1/items", json={**BOLT, "code": "NUT", "item_type": "x"})
    unit = client.post("/api/v1/items", json={**BOLT, "code": "NUT", "base_unit": "crate"})
    extra = client.post("/api/v1/items", json={**BOLT, "code": "NUT", "colour": "red"})
    decimals = client.post(
        "/api/v1/items", json={**BOLT, "code": "NUT", "barcodes": [], "safety_stock": "1.5"}
    )

    assert problem_code(taken, 409) == "item_code_taken"
    assert problem_code(barcode, 409) == "barcode_taken"
    assert problem_code(kind, 422) == "invalid_item_type"
    assert problem_code(unit, 404) == "unit_not_found"
    assert problem_code(extra, 422) == "invalid_input"
    assert problem_code(decimals, 422) == "too_many_decimals"
    assert count(db, items) == 1
    assert count(db, item_barcodes) == 2


def test_malformed_json_is_400(client: TestClient, db: Database) -> None:
    response = client.post(
        "/api/v1/items", content=b'{"code": "X", ', headers={"content-type": "application/json"}
    )

    assert problem_code(response, 400) == "malformed_json"
    assert count(db, items) == 0


def test_idempotency_key_replays_and_refuses_another_payload(
    client: TestClient, db: Database
) -> None:
    headers = {"Idempotency-Key": "create-bolt-1"}

    first = client.post("/api/v1/items", json=BOLT, headers=headers)
    again = client.post("/api/v1/items", json=BOLT, headers=headers)
    other = client.post("/api/v1/items", json={**BOLT, "name": "Other"}, headers=headers)

    assert first.status_code == 201
    assert again.json() == first.json()
    assert problem_code(other, 409) == "idempotency_key_reused"
    assert count(db, items) == 1


@pytest.mark.parametrize(
    "text", ["Robert'); DROP TABLE items;--", "<script>alert(1)</script>", '仓库 "quoted" 100%']
)
def test_sql_and_html_in_names_round_trip(client: TestClient, text: str) -> None:
    created = client.post("/api/v1/items", json={**BOLT, "name": text, "description": text})

    got = client.get("/api/v1/items/BOLT-M6").json()

    assert created.json()["name"] == text
    assert (got["name"], got["description"]) == (text, text)
    assert client.get("/api/v1/items", params={"q": text}).json()["total"] == 1


def test_list_items_pagination_totals_are_exact(client: TestClient) -> None:
    for n in range(7):
        client.post("/api/v1/items", json={**BOLT, "code": f"I-{n}", "barcodes": []})

    page = client.get("/api/v1/items", params={"limit": 3, "offset": 6}).json()
    searched = client.get("/api/v1/items", params={"q": "i-", "limit": 2}).json()
    bad = client.get("/api/v1/items", params={"limit": 0})

    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 6)
    assert [i["code"] for i in page["items"]] == ["I-6"]
    assert (searched["total"], len(searched["items"])) == (7, 2)
    assert problem_code(bad, 422) == "invalid_limit"


def test_patch_item_and_version_conflict(client: TestClient) -> None:
    client.post("/api/v1/items", json=BOLT)

    ok = client.patch("/api/v1/items/BOLT-M6", json={"max_stock": "100", "version": 1})
    stale = client.patch("/api/v1/items/BOLT-M6", json={"name": "late", "version": 1})
    code = client.patch("/api/v1/items/BOLT-M6", json={"code": "NEW"})

    assert ok.status_code == 200
    assert (ok.json()["max_stock"], ok.json()["version"]) == ("100", 2)
    assert problem_code(stale, 409) == "version_conflict"
    assert problem_code(code, 422) == "invalid_input"
    assert client.get("/api/v1/items/BOLT-M6").json()["name"] == "Bolt M6"


def test_put_units_and_barcodes(client: TestClient, db: Database) -> None:
    client.post("/api/v1/items", json={**BOLT, "barcodes": []})

    units_put = client.put(
        "/api/v1/items/BOLT-M6/units",
        json={"units": [{"unit": "carton", "factor": 144}, {"unit": "box", "factor": "12"}]},
    )
    barcodes_put = client.put(
        "/api/v1/items/BOLT-M6/barcodes", json={"barcodes": [{"barcode": "X1", "unit": "carton"}]}
    )
    bad = client.put("/api/v1/items/BOLT-M6/units", json={"units": [{"unit": "box", "factor": 0}]})

    assert units_put.json()["units"] == [
        {"unit": "box", "factor": "12"},
        {"unit": "carton", "factor": "144"},
    ]
    assert barcodes_put.json()["barcodes"] == [{"barcode": "X1", "unit": "carton"}]
    assert problem_code(bad, 422) == "invalid_factor"
    assert count(db, item_units) == 2


def test_deactivate_and_reactivate_item(client: TestClient) -> None:
    client.post("/api/v1/items", json=BOLT)

    off = client.post("/api/v1/items/BOLT-M6/deactivate")
    stale = client.post("/api/v1/items/BOLT-M6/reactivate", json={"version": 1})
    on = client.post("/api/v1/items/BOLT-M6/reactivate", json={"version": 2})

    assert (off.status_code, off.json()["active"]) == (200, False)
    assert problem_code(stale, 409) == "version_conflict"
    assert (on.json()["active"], on.json()["version"]) == (True, 3)
    assert client.get("/api/v1/items", params={"active": "false"}).json()["total"] == 0


def test_categories_crud_tree_and_cycle(client: TestClient, db: Database) -> None:
    assert (
        client.post("/api/v1/categories", json={"code": "HW", "name": "Hardware"}).status_code
        == 201
    )
    client.post("/api/v1/categories", json={"code": "FAST", "name": "Fasteners", "parent": "HW"})
    client.post("/api/v1/items", json={**BOLT, "category": "FAST"})

    flat = client.get("/api/v1/categories").json()
    tree = client.get("/api/v1/categories/tree").json()
    cycle = client.patch("/api/v1/categories/HW", json={"parent": "FAST"})
    in_hw = client.get("/api/v1/items", params={"category": "HW"}).json()
    moved = client.patch("/api/v1/categories/FAST", json={"parent": None})
    off = client.post("/api/v1/categories/FAST/deactivate")

    assert [(c["code"], c["path"]) for c in flat["items"]] == [("HW", "HW"), ("FAST", "HW/FAST")]
    assert tree[0]["code"] == "HW"
    assert [c["code"] for c in tree[0]["children"]] == ["FAST"]
    assert problem_code(cycle, 422) == "category_cycle"
    assert in_hw["total"] == 1
    assert moved.json()["path"] == "FAST"
    assert off.json()["active"] is False
    assert problem_code(client.get("/api/v1/categories/NOPE"), 404) == "category_not_found"
    assert count(db, categories) == 2


def test_units_list_and_create(client: TestClient, db: Database) -> None:
    before = count(db, units)

    created = client.post("/api/v1/units", json={"code": "drum", "name": "Drum", "decimals": 0})
    taken = client.post("/api/v1/units", json={"code": "drum", "name": "Drum", "decimals": 0})
    places = client.post("/api/v1/units", json={"code": "gal", "name": "Gallon", "decimals": 9})
    listed = client.get("/api/v1/units").json()

    assert created.status_code == 201
    assert created.json() == {"code": "drum", "name": "Drum", "decimals": 0}
    assert problem_code(taken, 409) == "unit_code_taken"
    assert problem_code(places, 422) == "invalid_decimals"
    assert {"code": "kg", "name": "kilogram", "decimals": 3} in listed
    assert count(db, units) == before + 1


def test_items_sort_by_any_listed_column_either_way(client: TestClient) -> None:
    for code, name in [("B-2", "Zinc plate"), ("A-1", "Washer"), ("C-3", "Anchor")]:
        body = {"code": code, "name": name, "item_type": "spare_part"}
        assert client.post("/api/v1/items", json=body).status_code == 201
    by_name = client.get("/api/v1/items", params={"sort": "name"}).json()
    assert [i["code"] for i in by_name["items"]] == ["C-3", "A-1", "B-2"]
    backwards = client.get("/api/v1/items", params={"sort": "-code", "limit": 2}).json()
    assert [i["code"] for i in backwards["items"]] == ["C-3", "B-2"]
    assert backwards["total"] == 3
    refused = client.get("/api/v1/items", params={"sort": "price"})
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["code"] == "invalid_sort"
    assert problem["data"]["allowed"][:3] == ["code", "name", "item_type"]


# ---------------------------------------------------------------- allocation strategy (issue 13)


def test_allocation_strategy_round_trips_and_null_is_the_default(client: TestClient) -> None:
    glue = {"code": "GLUE", "name": "Glue", "item_type": "consumable", "tracking": "lot"}
    plain = client.post("/api/v1/items", json={**glue, "shelf_life_days": 365})
    bolt = client.post("/api/v1/items", json={**BOLT, "allocation_strategy": "fefo"})

    assert plain.status_code == 201 and bolt.status_code == 201
    assert (plain.json()["allocation_strategy"], plain.json()["effective_allocation_strategy"]) == (
        None,
        "fefo",
    )
    assert (bolt.json()["allocation_strategy"], bolt.json()["effective_allocation_strategy"]) == (
        "fefo",
        "fefo",
    )
    got = client.get("/api/v1/items/BOLT-M6").json()
    assert (got["allocation_strategy"], got["effective_allocation_strategy"]) == ("fefo", "fefo")
    listed = client.get("/api/v1/items").json()["items"]
    assert [(i["code"], i["allocation_strategy"]) for i in listed] == [
        ("BOLT-M6", "fefo"),
        ("GLUE", None),
    ]

    fifo = client.patch("/api/v1/items/GLUE", json={"allocation_strategy": "fifo", "version": 1})
    cleared = client.patch("/api/v1/items/GLUE", json={"allocation_strategy": None})
    untouched = client.patch("/api/v1/items/BOLT-M6", json={"name": "Bolt M6x20"})

    assert fifo.status_code == 200, fifo.text
    assert (fifo.json()["allocation_strategy"], fifo.json()["effective_allocation_strategy"]) == (
        "fifo",
        "fifo",
    )
    assert (cleared.json()["allocation_strategy"], cleared.json()["version"]) == (None, 3)
    assert cleared.json()["effective_allocation_strategy"] == "fefo"
    assert untouched.json()["allocation_strategy"] == "fefo"


def test_an_unknown_allocation_strategy_is_a_coded_422_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    client.post("/api/v1/items", json=BOLT)

    created = client.post(
        "/api/v1/items", json={**BOLT, "code": "NUT", "barcodes": [], "allocation_strategy": "lifo"}
    )
    patched = client.patch(
        "/api/v1/items/BOLT-M6", json={"allocation_strategy": "LIFO", "name": "changed"}
    )
    typed = client.patch("/api/v1/items/BOLT-M6", json={"allocation_strategy": 3})

    assert problem_code(created, 422) == "invalid_allocation_strategy"
    assert created.json()["data"]["allowed"] == ["fifo", "fefo"]
    assert problem_code(patched, 422) == "invalid_allocation_strategy"
    assert problem_code(typed, 422) == "invalid_input"
    assert count(db, items) == 1
    item = client.get("/api/v1/items/BOLT-M6").json()
    assert (item["allocation_strategy"], item["name"], item["version"]) == (None, "Bolt M6", 1)


def test_the_allocation_strategy_choices_and_null_are_in_the_schema(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    for model in ("ItemCreate", "ItemPatch", "ItemOut"):
        field = schemas[model]["properties"]["allocation_strategy"]
        assert field["enum"] == ["fifo", "fefo", None], model
        assert "null" in field["description"] and "fefo" in field["description"], model
    effective = schemas["ItemOut"]["properties"]["effective_allocation_strategy"]
    assert effective["enum"] == ["fifo", "fefo"]
    assert "effective_allocation_strategy" in schemas["ItemOut"]["required"]
