"""Warehouse scoping over HTTP (no IDOR): a user granted warehouse WH1 neither sees nor changes
WH2. Lists leave WH2 out; WH2's objects named directly (a warehouse or location code, a move
id) answer 404 exactly as an unknown one does; writes into WH2 are refused and write nothing.
Master data (items, lots, partners) is company-wide."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import locations, moves, warehouses
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_token, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


class Company:
    """WH1 with BOLT (100 at WH1-A, 20 moved on to WH1-B) and FLOUR lot F1; WH2 with 10 BOLT."""

    def __init__(self, client: TestClient, db: Database) -> None:
        self.client = client
        self.db = db
        self.admin = token_headers(admin_token(db))
        receipt = {"item": "BOLT", "quantity": "100", "to_location": "WH1-A", "unit_cost": "2"}
        self.wh1_move = self.post("/stock/receive", receipt)["moves"][0]["id"]
        self.wh2_move = self.post(
            "/stock/receive", {**receipt, "quantity": "10", "to_location": "WH2-A"}
        )["moves"][0]["id"]
        flour = {"item": "FLOUR", "quantity": "5", "to_location": "WH1-A", "lot": "F1"}
        self.post("/stock/receive", {**flour, "unit_cost": "3"})
        move = {"item": "BOLT", "quantity": "20", "from_location": "WH1-A", "to_location": "WH1-B"}
        self.post("/stock/transfer", move)
        self.clerk = token_headers(user_with_roles(db, "clerk", ("receiving_clerk", "WH1")))
        self.manager = token_headers(user_with_roles(db, "boss1", ("warehouse_manager", "WH1")))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(f"{API}{path}", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found

    def get(self, path: str, headers: dict[str, str], **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params=params, headers=headers)


@pytest.fixture
def company(db: Database, database_url: str) -> Iterator[Company]:
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        yield Company(client, db)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def site_state(db: Database) -> tuple[int, ...]:
    """Rows, versions and active flags of warehouses and locations."""
    parts = [select(func.count()).select_from(table) for table in (warehouses, locations)] + [
        select(func.sum(table.c.version)) for table in (warehouses, locations)
    ]
    parts += [select(func.count()).where(t.c.active.is_(True)) for t in (warehouses, locations)]
    with db.read() as conn:
        row = conn.execute(select(*(p.scalar_subquery() for p in parts))).one()
    return tuple(int(v or 0) for v in row)


def not_found(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["message"]


# ------------------------------------------------------------------ reads


def test_stock_lists_only_the_granted_warehouse(company: Company) -> None:
    body = company.get("/stock", company.clerk).json()
    assert [(r["warehouse"], r["location"], r["item"], r["on_hand"]) for r in body["items"]] == [
        ("WH1", "WH1-A", "BOLT", "80"),
        ("WH1", "WH1-B", "BOLT", "20"),
        ("WH1", "WH1-A", "FLOUR", "5"),
    ]
    assert (body["total"], body["totals"]["on_hand"]) == (3, "105")
    everything = company.get("/stock", company.admin).json()
    assert (everything["total"], everything["totals"]["on_hand"]) == (4, "115")
    virtual = company.get("/stock", company.clerk, include_virtual="true").json()
    assert {r["warehouse"] for r in virtual["items"]} == {"WH1"}


def test_stock_as_of_and_per_item_only_show_the_granted_warehouse(company: Company) -> None:
    at = datetime.now(UTC).isoformat()
    rows = company.get("/stock/as-of", company.clerk, at=at, item="BOLT").json()["items"]
    assert [(r["location"], r["on_hand"]) for r in rows] == [("WH1-A", "80"), ("WH1-B", "20")]
    item = company.get("/stock/items/BOLT", company.clerk).json()
    assert item["on_hand"] == "100"
    assert [loc["location"] for loc in item["locations"]] == ["WH1-A", "WH1-B"]
    then = company.get("/stock/items/BOLT", company.clerk, at=at).json()
    assert (then["on_hand"], [loc["location"] for loc in then["locations"]]) == (
        "100",
        ["WH1-A", "WH1-B"],
    )
    assert company.get("/stock/items/BOLT", company.admin).json()["on_hand"] == "110"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/stock", {"warehouse": "{}"}),
        ("/stock", {"location": "{}-A"}),
        ("/stock/as-of", {"warehouse": "{}", "at": "2030-01-01T00:00:00Z"}),
        ("/stock/as-of", {"location": "{}-A", "at": "2030-01-01T00:00:00Z"}),
        ("/moves", {"location": "{}-A"}),
        ("/locations", {"warehouse": "{}"}),
        ("/locations", {"parent": "{}-A"}),
    ],
    ids=[
        "stock by warehouse",
        "stock by location",
        "as of by warehouse",
        "as of by location",
        "moves by location",
        "locations by warehouse",
        "locations by parent",
    ],
)
def test_a_filter_naming_another_warehouse_is_not_found(
    company: Company, path: str, params: dict[str, str]
) -> None:
    other = {k: v.format("WH2") for k, v in params.items()}
    unknown = {k: v.format("WH9") for k, v in params.items()}
    hidden = company.get(path, company.clerk, **other)
    absent = company.get(path, company.clerk, **unknown)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["code"] == absent.json()["code"]
    assert hidden.json()["message"] == absent.json()["message"].replace("WH9", "WH2")
    assert company.get(path, company.admin, **other).status_code == 200


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/warehouses/{}", "warehouse_not_found"),
        ("/warehouses/{}/tree", "warehouse_not_found"),
        ("/locations/{}-A", "location_not_found"),
        ("/locations/{}-A/children", "location_not_found"),
        ("/locations/{}/SUPPLIER", "location_not_found"),
    ],
    ids=["warehouse", "tree", "location", "children", "virtual location"],
)
def test_another_warehouses_object_is_not_found(company: Company, path: str, code: str) -> None:
    hidden = company.get(path.format("WH2"), company.clerk)
    absent = company.get(path.format("WH9"), company.clerk)
    assert (hidden.status_code, hidden.json()["code"]) == (404, code)
    assert (absent.status_code, absent.json()["code"]) == (404, code)
    assert company.get(path.format("WH2"), company.admin).status_code == 200


def test_another_warehouses_move_is_not_found(company: Company) -> None:
    hidden = company.get(f"/moves/{company.wh2_move}", company.clerk)
    absent = company.get("/moves/999999", company.clerk)
    assert not_found(hidden)[:2] == not_found(absent)[:2] == (404, "move_not_found")
    assert company.get(f"/moves/{company.wh1_move}", company.clerk).status_code == 200
    assert company.get(f"/moves/{company.wh2_move}", company.admin).status_code == 200


def test_move_history_only_shows_the_granted_warehouse(company: Company) -> None:
    seen = company.get("/moves", company.clerk).json()
    assert seen["total"] == 3
    assert {m["warehouse"] for m in seen["items"]} == {"WH1"}
    assert company.get("/moves", company.admin).json()["total"] == 4
    assert company.get("/moves", company.clerk, item="BOLT").json()["total"] == 2


def test_a_transfer_between_warehouses_is_seen_from_both(company: Company) -> None:
    move = {"item": "BOLT", "quantity": "5", "from_location": "WH1-A", "to_location": "WH2-A"}
    transfer = company.post("/stock/transfer", move)["moves"][0]["id"]
    wh2 = token_headers(user_with_roles(company.db, "clerk2", ("receiving_clerk", "WH2")))
    for headers in (company.clerk, wh2):
        assert company.get(f"/moves/{transfer}", headers).status_code == 200
    wh2_moves = company.get("/moves", wh2).json()
    assert sorted(m["id"] for m in wh2_moves["items"]) == [company.wh2_move, transfer]
    # but each sees only its own side of the stock
    assert company.get("/stock/items/BOLT", wh2).json()["on_hand"] == "15"


def test_warehouse_and_location_lists_only_show_the_granted_warehouse(company: Company) -> None:
    listed = company.get("/warehouses", company.clerk).json()
    assert (listed["total"], [w["code"] for w in listed["items"]]) == (1, ["WH1"])
    assert company.get("/warehouses", company.admin).json()["total"] == 2
    located = company.get("/locations", company.clerk, limit=500).json()
    assert {loc["warehouse"] for loc in located["items"]} == {"WH1"}
    assert located["total"] == 6
    virtual = company.get("/locations", company.clerk, include_virtual="true", limit=500).json()
    assert {loc["warehouse"] for loc in virtual["items"]} == {"WH1"}
    assert (
        company.get("/locations", company.clerk, kind="supplier").json()["items"][0]["code"]
        == "WH1/SUPPLIER"
    )


def test_two_grants_see_both_warehouses(company: Company) -> None:
    both = token_headers(user_with_roles(company.db, "both", ("viewer", "WH1"), ("viewer", "WH2")))
    assert company.get("/warehouses", both).json()["total"] == 2
    assert company.get("/stock", both).json()["totals"]["on_hand"] == "115"


def test_valuation_is_the_granted_warehouses_share(company: Company) -> None:
    own = company.get("/valuation", company.manager, item="BOLT").json()
    assert [(i["item"], i["quantity"], i["value"]) for i in own["items"]] == [
        ("BOLT", "100", "200")
    ]
    everything = company.get("/valuation", company.admin).json()
    assert [(i["item"], i["quantity"], i["value"]) for i in everything["items"]] == [
        ("BOLT", "110", "220"),
        ("FLOUR", "5", "15"),
    ]
    assert company.get("/valuation", company.manager).json()["total_value"] == "215"
    at = datetime.now(UTC).isoformat()
    then = company.get("/valuation", company.manager, at=at).json()
    assert then["total_value"] == "215"
    wh2 = token_headers(user_with_roles(company.db, "boss2", ("warehouse_manager", "WH2")))
    assert company.get("/valuation", wh2).json()["total_value"] == "20"


def test_master_data_is_company_wide(company: Company) -> None:
    assert company.get("/items", company.clerk).json()["total"] == 4
    assert company.get("/lots/FLOUR/F1", company.clerk).status_code == 200


# ------------------------------------------------------------------ writes


def test_a_clerk_cannot_receive_into_another_warehouse(company: Company) -> None:
    before = count(company.db, moves)
    body = {"item": "BOLT", "quantity": "1", "to_location": "WH2-A", "unit_cost": "2"}
    response = company.client.post(f"{API}/stock/receive", json=body, headers=company.clerk)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert response.json()["data"] == {"permission": "stock.receive", "warehouse": "WH2"}
    assert count(company.db, moves) == before
    own = {**body, "to_location": "WH1-A"}
    response = company.client.post(f"{API}/stock/receive", json=own, headers=company.clerk)
    assert response.status_code == 201


def test_a_clerk_cannot_transfer_into_another_warehouse(company: Company) -> None:
    before = count(company.db, moves)
    body = {"item": "BOLT", "quantity": "1", "from_location": "WH1-A", "to_location": "WH2-A"}
    response = company.client.post(f"{API}/stock/transfer", json=body, headers=company.clerk)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    back = {**body, "from_location": "WH2-A", "to_location": "WH1-A"}
    response = company.client.post(f"{API}/stock/transfer", json=back, headers=company.clerk)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert count(company.db, moves) == before


def test_a_manager_cannot_reverse_another_warehouses_move(company: Company) -> None:
    before = count(company.db, moves)
    url = f"{API}/moves/{company.wh2_move}/reverse"
    response = company.client.post(url, json={}, headers=company.manager)
    assert (response.status_code, response.json()["code"]) == (404, "move_not_found")
    assert count(company.db, moves) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("PATCH", "/warehouses/WH2", {"name": "Mine now"}, "warehouse_not_found"),
        ("POST", "/warehouses/WH2/deactivate", None, "warehouse_not_found"),
        ("PATCH", "/locations/WH2-A", {"name": "Mine now"}, "location_not_found"),
        ("POST", "/locations/WH2-A/deactivate", None, "location_not_found"),
        (
            "POST",
            "/locations",
            {"code": "WH2-Z", "name": "Z", "warehouse": "WH2"},
            "warehouse_not_found",
        ),
        (
            "POST",
            "/locations",
            {"code": "WH2-Z", "name": "Z", "parent": "WH2-A"},
            "location_not_found",
        ),
        ("PATCH", "/locations/WH1-B", {"parent": "WH2-A"}, "location_not_found"),
    ],
    ids=[
        "change warehouse",
        "deactivate warehouse",
        "change location",
        "deactivate location",
        "location in warehouse",
        "location under parent",
        "move under parent",
    ],
)
def test_a_manager_cannot_change_another_warehouse(
    company: Company, method: str, path: str, body: dict[str, Any] | None, code: str
) -> None:
    before = site_state(company.db)
    response = company.client.request(method, f"{API}{path}", json=body, headers=company.manager)
    assert (response.status_code, response.json()["code"]) == (404, code)
    assert site_state(company.db) == before
