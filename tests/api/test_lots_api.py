"""Lots and serial numbers through the REST API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import lots
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():
    # starlette asks for httpx2 instead of httpx; the test client works the same with either
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(lots)).scalar_one())


def test_create_lot_returns_201_with_derived_expiry(client: TestClient) -> None:
    response = client.post(
        "/api/v1/lots",
        json={
            "item": "FLOUR",
            "code": "F-1",
            "manufactured_on": "2024-01-01",
            "supplier_lot": "S7",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert {
        k: body[k] for k in ("item", "code", "is_serial", "expires_on", "status", "version")
    } == {
        "item": "FLOUR",
        "code": "F-1",
        "is_serial": False,
        "expires_on": "2024-12-31",
        "status": "available",
        "version": 1,
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"item": "BOLT", "code": "L"}, 409, "item_not_lot_tracked"),
        ({"item": "PUMP", "code": "L"}, 409, "item_is_serial_tracked"),
        ({"item": "NOPE", "code": "L"}, 404, "item_not_found"),
        (
            {
                "item": "GLUE",
                "code": "L",
                "manufactured_on": "2024-02-02",
                "expires_on": "2024-02-01",
            },
            422,
            "expiry_before_manufacture",
        ),
        ({"item": "GLUE", "code": "L", "expires_on": "soon"}, 422, "invalid_input"),
        ({"item": "GLUE", "code": "L", "status": "lost"}, 422, "invalid_lot_status"),
        ({"item": "GLUE", "code": "L", "batch": "x"}, 422, "invalid_input"),
    ],
    ids=["untracked", "serial-item", "no-item", "dates", "bad-date", "status", "extra"],
)
def test_bad_lot_is_refused(
    client: TestClient, db: Database, body: dict[str, str], status: int, code: str
) -> None:
    response = client.post("/api/v1/lots", json=body)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert count(db) == 0


def test_duplicate_lot_is_409(client: TestClient, db: Database) -> None:
    client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1"})

    response = client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1"})

    assert (response.status_code, response.json()["code"]) == (409, "lot_code_taken")
    assert count(db) == 1


def test_idempotency_key_replays_and_refuses_other_payload(
    client: TestClient, db: Database
) -> None:
    headers = {"Idempotency-Key": "lot-1"}

    first = client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1"}, headers=headers)
    again = client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1"}, headers=headers)
    other = client.post("/api/v1/lots", json={"item": "GLUE", "code": "G2"}, headers=headers)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert count(db) == 1


def test_get_lot_by_item_and_code_and_by_id(client: TestClient) -> None:
    created = client.post("/api/v1/lots", json={"item": "GLUE", "code": "2024/05/A"}).json()

    by_code = client.get("/api/v1/lots/GLUE/2024/05/A")
    by_id = client.get(f"/api/v1/lots/{created['id']}")
    missing = client.get("/api/v1/lots/GLUE/NOPE")

    assert by_code.status_code == 200
    assert by_code.json() == {**created, "history": []}
    assert by_id.json() == created
    assert (missing.status_code, missing.json()["code"]) == (404, "lot_not_found")


def test_patch_lot(client: TestClient) -> None:
    client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1", "notes": "a"})

    patched = client.patch(
        "/api/v1/lots/GLUE/G1", json={"expires_on": "2025-01-31", "notes": None, "version": 1}
    )
    stale = client.patch("/api/v1/lots/GLUE/G1", json={"notes": "late", "version": 1})

    assert patched.status_code == 200
    assert (patched.json()["expires_on"], patched.json()["notes"]) == ("2025-01-31", None)
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")


def test_change_lot_status(client: TestClient) -> None:
    client.post("/api/v1/lots", json={"item": "GLUE", "code": "G1"})

    held = client.post("/api/v1/lots/GLUE/G1/status", json={"status": "hold", "reason": "QA"})
    bad = client.post("/api/v1/lots/GLUE/G1/status", json={"status": "gone"})

    assert (held.status_code, held.json()["status"]) == (200, "hold")
    assert held.json()["notes"].endswith("status available -> hold (QA)")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_lot_status")


def test_list_lots_with_filters_and_totals(client: TestClient) -> None:
    for code, expires in (("G1", "2024-03-01"), ("G2", "2024-06-01"), ("G3", None)):
        client.post("/api/v1/lots", json={"item": "GLUE", "code": code, "expires_on": expires})
    client.post("/api/v1/lots/GLUE/G2/status", json={"status": "quarantine"})

    page = client.get("/api/v1/lots", params={"item": "GLUE", "limit": 2}).json()
    expiring = client.get("/api/v1/lots", params={"expiring_before": "2024-04-01"}).json()
    quarantined = client.get("/api/v1/lots", params={"status": "quarantine"}).json()

    assert [lot["code"] for lot in page["items"]] == ["G1", "G2"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [lot["code"] for lot in expiring["items"]] == ["G1"]
    assert [lot["code"] for lot in quarantined["items"]] == ["G2"]


def test_serials(client: TestClient, db: Database) -> None:
    created = client.post("/api/v1/serials", json={"item": "PUMP", "serial": "SN-1"})
    refused = client.post("/api/v1/serials", json={"item": "GLUE", "serial": "SN-1"})
    listed = client.get("/api/v1/serials", params={"item": "PUMP"}).json()

    assert (created.status_code, created.json()["is_serial"]) == (201, True)
    assert (refused.status_code, refused.json()["code"]) == (409, "item_not_serial_tracked")
    assert [s["code"] for s in listed["items"]] == ["SN-1"]
    assert count(db) == 1


def test_sql_and_html_in_notes_round_trip(client: TestClient) -> None:
    notes = "<script>alert(1)</script> '; DELETE FROM lots; --"

    client.post(
        "/api/v1/lots",
        json={"item": "GLUE", "code": "G1", "notes": notes, "supplier_lot": notes[:90]},
    )

    body = client.get("/api/v1/lots/GLUE/G1").json()
    assert body["notes"] == notes
    assert body["supplier_lot"] == notes[:90]


def test_a_lot_names_the_receipt_and_order_it_came_from(client: TestClient, db: Database) -> None:
    from sqlalchemy import text

    from cangku.services.common import Context
    from cangku.services.inbound.orders import (
        NewPurchaseOrder,
        OrderLineInput,
        confirm_order,
        create_purchase_order,
    )
    from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
    from cangku.services.partners import PartnerInput, create_partner

    admin = Context(username="admin")
    create_partner(db, admin, PartnerInput("ACME", "Acme", is_supplier=True))
    order = create_purchase_order(
        db, admin, NewPurchaseOrder("ACME", "WH1", [OrderLineInput("GLUE", "8", unit_price="2")])
    ).number
    confirm_order(db, admin, order)
    receipt = create_receipt(
        db,
        admin,
        NewReceipt(
            order=order, delivery_note="DN-1", lines=[ReceiptLineInput("GLUE", "8", lot="G-9")]
        ),
    )
    with db.read() as conn:
        lot_id = conn.execute(text("SELECT id FROM lots WHERE code = 'G-9'")).scalar_one()

    answer = client.get(f"/api/v1/lots/{lot_id}/documents")

    assert answer.status_code == 200
    assert [
        (
            d["number"],
            d["doc_type"],
            d["state"],
            d["quantity"],
            d["partner"],
            d["origin"],
            d["reference"],
        )
        for d in answer.json()
    ] == [
        (receipt.number, "receipt", "received", "8", "ACME", order, "DN-1"),
        (receipt.data["putaway"], "putaway", "open", "8", "ACME", receipt.number, None),
    ]
    assert client.get("/api/v1/lots/999999/documents").json()["code"] == "lot_not_found"
