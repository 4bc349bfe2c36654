"""What inbound needs of the master data through the API: items, categories and suppliers
marked for inspection, a supplier's over-receipt tolerance, the company's purchase approval
threshold, a warehouse's receiving, quality and rejection locations, and its put-away rules
(``/api/v1/warehouses/{code}/putaway-rules``). Each is set and read back exactly; each bad
value is refused with its code and nothing is written."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from cangku.app import create_app
from cangku.db.tables import audit_log, categories, company, items, partners, putaway_rules
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.services.locations import LocationInput, create_location
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import CTX, build_company


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    create_location(db, CTX, LocationInput("WH1-QC2", "QC 2", kind="quality", warehouse="WH1"))
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def _value(db: Database, column: Any, where: Any) -> Any:
    with db.read() as conn:
        return conn.execute(select(column).where(where)).scalar_one()


def _audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def _refused(
    client: TestClient, db: Database, method: str, url: str, body: Any, status: int, code: str
) -> None:
    before = _audits(db)
    answer = client.request(method, url, json=body)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert _audits(db) == before


def test_an_item_is_marked_for_inspection(client: TestClient, db: Database) -> None:
    body = {"code": "NUT", "name": "Nut", "item_type": "spare_part", "inspection_required": True}
    created = client.post("/api/v1/items", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["inspection_required"] is True
    changed = client.patch("/api/v1/items/NUT", json={"inspection_required": False})
    assert changed.json()["inspection_required"] is False
    assert client.get("/api/v1/items/BOLT").json()["inspection_required"] is False
    assert _value(db, items.c.inspection_required, items.c.code == "NUT") is False
    _refused(client, db, "PATCH", "/api/v1/items/NUT", {"inspection_required": None},
             422, "invalid_flag")  # fmt: skip
    assert _value(db, items.c.version, items.c.code == "NUT") == 2


def test_a_category_is_marked_for_inspection(client: TestClient, db: Database) -> None:
    body = {"code": "FOOD", "name": "Food", "inspection_required": True}
    created = client.post("/api/v1/categories", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["inspection_required"] is True
    changed = client.patch("/api/v1/categories/FOOD", json={"inspection_required": False})
    assert changed.json()["inspection_required"] is False
    assert client.get("/api/v1/categories/FOOD").json()["inspection_required"] is False
    _refused(client, db, "PATCH", "/api/v1/categories/FOOD", {"inspection_required": None},
             422, "invalid_flag")  # fmt: skip
    assert _value(db, categories.c.inspection_required, categories.c.code == "FOOD") is False


def test_a_supplier_gets_inspection_and_a_tolerance(client: TestClient, db: Database) -> None:
    body = {"code": "ACME", "name": "Acme", "is_supplier": True, "inspection_required": True,
            "over_receipt_tolerance": "7.25"}  # fmt: skip
    created = client.post("/api/v1/partners", json=body)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert (answer["inspection_required"], answer["over_receipt_tolerance"]) == (True, "7.25")
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 7_250_000
    changed = client.patch("/api/v1/partners/ACME", json={"over_receipt_tolerance": 12})
    assert changed.json()["over_receipt_tolerance"] == "12"
    shown = client.get("/api/v1/partners/ACME").json()
    assert (shown["inspection_required"], shown["over_receipt_tolerance"]) == (True, "12")


@pytest.mark.parametrize(
    "value", ["-1", "100.5", "0.125", 101], ids=["negative", "above", "decimals", "number"]
)
def test_a_tolerance_outside_0_to_100_is_refused(
    client: TestClient, db: Database, value: object
) -> None:
    client.post("/api/v1/partners", json={"code": "ACME", "name": "Acme", "is_supplier": True})
    _refused(client, db, "PATCH", "/api/v1/partners/ACME", {"over_receipt_tolerance": value},
             422, "invalid_over_receipt_tolerance")  # fmt: skip
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 0
    assert _value(db, partners.c.version, partners.c.code == "ACME") == 1


def test_the_approval_threshold_is_set_and_cleared(client: TestClient, db: Database) -> None:
    assert client.get("/api/v1/company").json()["po_approval_threshold"] is None
    answer = client.put("/api/v1/company", json={"po_approval_threshold": "5000.5"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["po_approval_threshold"] == "5000.5"
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) == 5_000_500_000
    cleared = client.put("/api/v1/company", json={"po_approval_threshold": None})
    assert cleared.json()["po_approval_threshold"] is None
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [("-5", "negative_value"), ("1.001", "too_many_decimals"), ("a lot", "invalid_number")],
    ids=["negative", "decimals", "text"],
)
def test_a_bad_approval_threshold_is_refused(
    client: TestClient, db: Database, value: str, code: str
) -> None:
    _refused(client, db, "PUT", "/api/v1/company", {"po_approval_threshold": value}, 422, code)
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) is None
    assert _value(db, company.c.version, company.c.id == 1) == 1


def test_a_warehouse_names_its_inbound_locations(client: TestClient, db: Database) -> None:
    body = {"receiving_location": "WH1-RCV", "quality_location": "WH1-QC2",
            "rejection_location": "WH1-QC"}  # fmt: skip
    answer = client.patch("/api/v1/warehouses/WH1", json=body)
    assert answer.status_code == 200, answer.text
    shown = client.get("/api/v1/warehouses/WH1").json()
    assert (shown["receiving_location"], shown["quality_location"],
            shown["rejection_location"]) == ("WH1-RCV", "WH1-QC2", "WH1-QC")  # fmt: skip
    cleared = client.patch("/api/v1/warehouses/WH1", json={"rejection_location": None}).json()
    assert (cleared["quality_location"], cleared["rejection_location"]) == ("WH1-QC2", None)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"receiving_location": "WH2-A"}, 422, "location_not_in_warehouse"),
        ({"receiving_location": "WH1-QC"}, 409, "wrong_location_kind"),
        ({"quality_location": "WH1-A"}, 409, "wrong_location_kind"),
        ({"rejection_location": "NOPE"}, 404, "location_not_found"),
    ],
    ids=["other_warehouse", "receiving_kind", "quality_kind", "unknown"],
)
def test_a_wrong_inbound_location_is_refused(
    client: TestClient, db: Database, body: dict[str, str], status: int, code: str
) -> None:
    _refused(client, db, "PATCH", "/api/v1/warehouses/WH1", body, status, code)
    assert _value(db, warehouse_table.c.version, warehouse_table.c.code == "WH1") == 1


def test_put_away_rules_are_added_listed_and_removed(client: TestClient, db: Database) -> None:
    url = "/api/v1/warehouses/WH1/putaway-rules"
    first = client.post(url, json={"location": "WH1-A-01", "item": "BOLT", "priority": 10})
    assert first.status_code == 201, first.text
    rule = first.json()
    assert rule == {"id": rule["id"], "warehouse": "WH1", "location": "WH1-A-01", "item": "BOLT",
                    "category": None, "item_type": None, "priority": 10}  # fmt: skip
    second = client.post(url, json={"location": "WH1-B", "item_type": "consumable"}).json()
    assert [(r["id"], r["priority"]) for r in client.get(url).json()] == [
        (rule["id"], 10),
        (second["id"], 100),
    ]
    removed = client.delete(f"{url}/{rule['id']}")
    assert (removed.status_code, removed.json()["item"]) == (200, "BOLT")
    assert [r["id"] for r in client.get(url).json()] == [second["id"]]
    gone = client.delete(f"{url}/{rule['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "putaway_rule_not_found")
    elsewhere = client.delete(f"/api/v1/warehouses/WH2/putaway-rules/{second['id']}")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "putaway_rule_not_found")
    beyond = client.delete(f"{url}/{2**64}")
    assert (beyond.status_code, beyond.json()["code"]) == (422, "invalid_input")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"location": "WH1-A", "item": "BOLT", "item_type": "consumable"}, 422,
         "putaway_rule_subject"),
        ({"location": "WH1-RCV", "item": "BOLT"}, 409, "putaway_location_not_storage"),
        ({"location": "WH2-A", "item": "BOLT"}, 422, "location_not_in_warehouse"),
        ({"location": "WH1-A", "item_type": "gizmo"}, 422, "invalid_item_type"),
        ({"location": "WH1-A", "category": "NOPE"}, 404, "category_not_found"),
        ({"location": "WH1-A", "item": "BOLT", "priority": -3}, 422, "invalid_priority"),
    ],
    ids=["two_subjects", "not_storage", "other_warehouse", "bad_type", "no_category",
         "bad_priority"],
)  # fmt: skip
def test_a_wrong_put_away_rule_is_refused(
    client: TestClient, db: Database, body: dict[str, Any], status: int, code: str
) -> None:
    _refused(client, db, "POST", "/api/v1/warehouses/WH1/putaway-rules", body, status, code)
    assert _value(db, func.count(), putaway_rules.c.id.is_not(None)) == 0


def test_put_away_rules_need_location_management_in_the_warehouse(
    client: TestClient, db: Database
) -> None:
    clerk = token_headers(user_with_roles(db, "lin", ("receiving_clerk", "WH1")))
    outsider = token_headers(user_with_roles(db, "wu", ("warehouse_manager", "WH2")))
    url = "/api/v1/warehouses/WH1/putaway-rules"
    body = {"location": "WH1-A", "item": "BOLT"}
    assert client.get(url, headers=clerk).status_code == 200
    refused = client.post(url, json=body, headers=clerk)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    unseen = client.get(url, headers=outsider)
    assert (unseen.status_code, unseen.json()["code"]) == (404, "warehouse_not_found")
    assert _value(db, func.count(), putaway_rules.c.id.is_not(None)) == 0
