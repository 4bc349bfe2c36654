"""Partners, contacts and supplier items through the REST API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import partner_contacts, partners, supplier_items
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import admin_headers

with warnings.catch_warnings():
    # starlette asks for httpx2 instead of httpx; the test client works the same with either
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
ACME: dict[str, Any] = {
    "code": "ACME",
    "name": "Acme Supplies",
    "is_supplier": True,
    "email": "sales@acme.example",
    "contacts": [{"name": "Li Wei", "role": "sales"}],
}


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    initialize(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        test_client.post(
            "/api/v1/items", json={"code": "BOLT", "name": "Bolt", "item_type": "spare_part"}
        )
        yield test_client


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["code"])


def test_create_and_get_partner(client: TestClient) -> None:
    created = client.post("/api/v1/partners", json=ACME)
    got = client.get("/api/v1/partners/ACME")

    assert created.status_code == 201
    assert got.json() == created.json()
    body = got.json()
    assert (body["is_supplier"], body["is_customer"], body["version"]) == (True, False, 1)
    assert [(c["name"], c["role"]) for c in body["contacts"]] == [("Li Wei", "sales")]
    assert problem_code(client.get("/api/v1/partners/NOPE"), 404) == "partner_not_found"


def test_create_partner_refusals_write_nothing(client: TestClient, db: Database) -> None:
    client.post("/api/v1/partners", json=ACME)

    taken = client.post("/api/v1/partners", json=ACME)
    role = client.post("/api/v1/partners", json={**ACME, "code": "X", "is_supplier": False})
    email = client.post("/api/v1/partners", json={**ACME, "code": "X", "email": "nope"})
    extra = client.post("/api/v1/partners", json={**ACME, "code": "X", "vip": True})
    malformed = client.post(
        "/api/v1/partners", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert problem_code(taken, 409) == "partner_code_taken"
    assert problem_code(role, 422) == "partner_needs_role"
    assert problem_code(email, 422) == "invalid_email"
    assert problem_code(extra, 422) == "invalid_input"
    assert problem_code(malformed, 400) == "malformed_json"
    assert count(db, partners) == 1
    assert count(db, partner_contacts) == 1


def test_idempotent_create_partner(client: TestClient, db: Database) -> None:
    headers = {"Idempotency-Key": "acme-1"}

    first = client.post("/api/v1/partners", json=ACME, headers=headers)
    again = client.post("/api/v1/partners", json=ACME, headers=headers)
    other = client.post("/api/v1/partners", json={**ACME, "code": "B"}, headers=headers)

    assert again.json() == first.json()
    assert problem_code(other, 409) == "idempotency_key_reused"
    assert count(db, partners) == 1


@pytest.mark.parametrize("text", ["Robert'); DROP TABLE partners;--", "<script>alert(1)</script>"])
def test_sql_and_html_round_trip(client: TestClient, text: str) -> None:
    client.post("/api/v1/partners", json={**ACME, "name": text, "notes": text, "address": text})

    body = client.get("/api/v1/partners/ACME").json()

    assert (body["name"], body["notes"], body["address"]) == (text, text, text)


def test_list_partners_filters_and_totals(client: TestClient) -> None:
    for n in range(5):
        client.post("/api/v1/partners", json={**ACME, "code": f"S{n}", "contacts": []})
    client.post("/api/v1/partners", json={"code": "C1", "name": "Shop", "is_customer": True})

    suppliers = client.get("/api/v1/partners", params={"role": "supplier", "limit": 2}).json()
    customers = client.get("/api/v1/partners", params={"role": "customer"}).json()
    found = client.get("/api/v1/partners", params={"q": "shop"}).json()

    assert (suppliers["total"], [p["code"] for p in suppliers["items"]]) == (5, ["S0", "S1"])
    assert [p["code"] for p in customers["items"]] == ["C1"]
    assert found["total"] == 1
    assert problem_code(client.get("/api/v1/partners", params={"role": "x"}), 422) == "invalid_role"


def test_patch_deactivate_reactivate(client: TestClient) -> None:
    client.post("/api/v1/partners", json=ACME)

    patched = client.patch("/api/v1/partners/ACME", json={"is_customer": True, "version": 1})
    stale = client.patch("/api/v1/partners/ACME", json={"name": "x", "version": 1})
    off = client.post("/api/v1/partners/ACME/deactivate")
    on = client.post("/api/v1/partners/ACME/reactivate", json={"version": 3})

    assert (patched.json()["is_customer"], patched.json()["version"]) == (True, 2)
    assert problem_code(stale, 409) == "version_conflict"
    assert off.json()["active"] is False
    assert (on.json()["active"], on.json()["version"]) == (True, 4)


def test_contacts_endpoints(client: TestClient, db: Database) -> None:
    client.post("/api/v1/partners", json={**ACME, "contacts": []})

    added = client.post("/api/v1/partners/ACME/contacts", json={"name": "Wang", "email": "w@a.cn"})
    contact_id = added.json()["id"]
    patched = client.patch(f"/api/v1/partners/ACME/contacts/{contact_id}", json={"role": "buyer"})
    listed = client.get("/api/v1/partners/ACME/contacts").json()
    removed = client.delete(f"/api/v1/partners/ACME/contacts/{contact_id}")
    again = client.delete(f"/api/v1/partners/ACME/contacts/{contact_id}")

    assert added.status_code == 201
    assert patched.json() == {
        "id": contact_id,
        "name": "Wang",
        "role": "buyer",
        "email": "w@a.cn",
        "phone": None,
    }
    assert [c["name"] for c in listed] == ["Wang"]
    assert removed.status_code == 204
    assert problem_code(again, 404) == "contact_not_found"
    assert count(db, partner_contacts) == 0


def test_supplier_items_endpoints(client: TestClient, db: Database) -> None:
    client.post("/api/v1/partners", json=ACME)
    client.post("/api/v1/partners", json={"code": "SHOP", "name": "Shop", "is_customer": True})
    terms = {"supplier_code": "AC-1", "price": "0.35", "currency": "CNY", "min_order_qty": 100}

    put = client.put("/api/v1/partners/ACME/supplier-items/BOLT", json=terms)
    put_again = client.put(
        "/api/v1/partners/ACME/supplier-items/BOLT", json={**terms, "price": 0.3}
    )
    customer = client.put("/api/v1/partners/SHOP/supplier-items/BOLT", json=terms)
    money = client.put(
        "/api/v1/partners/ACME/supplier-items/BOLT", json={**terms, "currency": "RMB1"}
    )
    by_supplier = client.get("/api/v1/partners/ACME/supplier-items").json()
    by_item = client.get("/api/v1/items/BOLT/suppliers").json()

    assert put.status_code == 200
    assert (put.json()["price"], put.json()["min_order_qty"]) == ("0.35", "100")
    assert put_again.json()["price"] == "0.3"
    assert problem_code(customer, 409) == "partner_not_supplier"
    assert problem_code(money, 422) == "invalid_currency"
    assert [s["item"] for s in by_supplier] == ["BOLT"]
    assert [(s["partner"], s["supplier_code"]) for s in by_item] == [("ACME", "AC-1")]
    assert count(db, supplier_items) == 1
    assert client.delete("/api/v1/partners/ACME/supplier-items/BOLT").status_code == 204
    assert count(db, supplier_items) == 0
