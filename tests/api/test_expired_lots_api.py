"""Expired lots through the API and the imports (issue 10, defect 4; ADR 0016): lot answers
carry their expiry status, the list filters by it, a warehouse's ``allow_expired_issue`` is
set on create, update and import, and decides whether an expired lot is issued."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cangku.app import create_app
from cangku.db.tables import warehouses
from cangku.db.uow import Database
from cangku.services.imports import import_file
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.settings import Settings
from tests.api.routes import API
from tests.auth import admin_headers
from tests.factories import CTX, build_company
from tests.importing import csv_file
from tests.snapshot import state

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = datetime.now(UTC).date()


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    """GLUE lots OLD (expired), SOON (in 10 days) and NEW (no expiry), 5 each in WH1-A."""
    build_company(db)
    for lot, expiry in (("OLD", date(2020, 1, 1)), ("SOON", TODAY + timedelta(days=10))):
        receive_stock(
            db, CTX, Receive("GLUE", "5", "WH1-A", lot=lot, unit_cost="1", expires_on=expiry)
        )
    receive_stock(db, CTX, Receive("GLUE", "5", "WH1-A", lot="NEW", unit_cost="1"))
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        test_client.headers.update(admin_headers(db))
        yield test_client


def test_lot_answers_carry_their_expiry_status(client: TestClient) -> None:
    listed = client.get(f"{API}/lots", params={"item": "GLUE"}).json()["items"]
    assert [(lot["code"], lot["expiry_status"]) for lot in listed] == [
        ("NEW", "no_expiry"),
        ("OLD", "expired"),
        ("SOON", "expiring_soon"),
    ]
    one = client.get(f"{API}/lots/GLUE/OLD").json()
    assert (one["expires_on"], one["expiry_status"]) == ("2020-01-01", "expired")


@pytest.mark.parametrize(
    ("expiry", "codes"),
    [("expired", ["OLD"]), ("expiring_soon", ["SOON"]), ("no_expiry", ["NEW"]), ("ok", [])],
)
def test_the_lot_list_filters_by_expiry(client: TestClient, expiry: str, codes: list[str]) -> None:
    found = client.get(f"{API}/lots", params={"expiry": expiry}).json()["items"]
    assert [lot["code"] for lot in found] == codes


def test_an_unknown_expiry_filter_is_422(client: TestClient) -> None:
    assert client.get(f"{API}/lots", params={"expiry": "stale"}).status_code == 422


def test_the_warehouse_setting_decides_whether_an_expired_lot_is_issued(
    client: TestClient, db: Database
) -> None:
    issue = {"item": "GLUE", "quantity": "1", "from_location": "WH1-A", "lot": "OLD"}
    before = state(db)
    refused = client.post(f"{API}/stock/issue", json=issue)
    assert refused.status_code == 409  # a rule of the business, like insufficient_stock
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["code"], refused.json()["data"]) == (
        "lot_expired",
        {"lot": "OLD", "item": "GLUE", "expires_on": "2020-01-01", "warehouse": "WH1"},
    )
    assert state(db) == before
    changed = client.patch(f"{API}/warehouses/WH1", json={"allow_expired_issue": True})
    assert (changed.status_code, changed.json()["allow_expired_issue"]) == (200, True)
    posted = client.post(f"{API}/stock/issue", json=issue)
    assert posted.status_code == 201
    assert [m["lot"] for m in posted.json()["moves"]] == ["OLD"]


def test_a_new_warehouse_may_allow_expired_lots(client: TestClient) -> None:
    body = {"code": "WH9", "name": "Outlet", "allow_expired_issue": True}
    created = client.post(f"{API}/warehouses", json=body)
    assert (created.status_code, created.json()["allow_expired_issue"]) == (201, True)
    default = client.post(f"{API}/warehouses", json={"code": "WH8", "name": "Plain"})
    assert default.json()["allow_expired_issue"] is False
    wrong = client.patch(f"{API}/warehouses/WH8", json={"allow_expired_issue": None})
    assert wrong.status_code == 422


def test_the_warehouses_import_sets_and_keeps_the_setting(client: TestClient, db: Database) -> None:
    head = "code,name,allow_expired_issue"
    import_file(db, CTX, "warehouses", csv_file(head, "WH1,Main warehouse,true"))
    import_file(db, CTX, "warehouses", csv_file("code,name", "WH1,Main warehouse renamed"))
    with db.read() as conn:
        flag = conn.execute(
            select(warehouses.c.allow_expired_issue).where(warehouses.c.code == "WH1")
        ).scalar_one()
    assert flag is True
