"""Lot status verbs, history and the recall trace through the REST API."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import lot_events, lots
from cangku.db.uow import Database
from cangku.services.stock import receive_stock, scrap_stock
from cangku.services.stock_commands import Receive, Scrap
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import CTX, build_company

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

API = "/api/v1/lots"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    receive_stock(db, CTX, Receive("GLUE", "30", "WH1-A", lot="G1", unit_cost="2"))
    scrap_stock(db, CTX, Scrap("GLUE", "4", "WH1-A", lot="G1"))
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def _state(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        row = conn.execute(
            select(lots.c.status, lots.c.version, lots.c.notes).where(lots.c.code == "G1")
        ).one()
        events = conn.execute(select(func.count()).select_from(lot_events)).scalar()
    return (*row, events)


def test_hold_then_release_with_history(client: TestClient) -> None:
    held = client.post(f"{API}/GLUE/G1/hold", json={"reason": "QA check"})
    released = client.post(f"{API}/GLUE/G1/release", json={"reason": "checked"})
    shown = client.get(f"{API}/GLUE/G1")

    assert held.status_code == 200
    assert (held.json()["status"], held.json()["released"]) == ("hold", [])
    assert released.json()["status"] == "available"
    history = [
        {k: e[k] for k in ("user", "from_status", "to_status", "reason", "document")}
        for e in shown.json()["history"]
    ]
    assert history == [
        {
            "user": "admin",
            "from_status": "available",
            "to_status": "hold",
            "reason": "QA check",
            "document": None,
        },
        {
            "user": "admin",
            "from_status": "hold",
            "to_status": "available",
            "reason": "checked",
            "document": None,
        },
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("GLUE/G1/release", {"reason": "x"}, 409, "lot_not_held"),
        ("GLUE/G1/hold", {"reason": " "}, 422, "reason_required"),
        ("GLUE/G1/hold", {}, 422, "invalid_input"),
        ("GLUE/G1/recall", {"reason": "x" * 501}, 422, "invalid_reason"),
        ("GLUE/NOPE/hold", {"reason": "x"}, 404, "lot_not_found"),
        ("NOPE/G1/quarantine", {"reason": "x"}, 404, "item_not_found"),
    ],
    ids=["not-held", "blank-reason", "no-reason", "long-reason", "no-lot", "no-item"],
)
def test_refusals_are_problems_and_change_nothing(
    client: TestClient, db: Database, path: str, body: dict[str, str], status: int, code: str
) -> None:
    before = _state(db)

    response = client.post(f"{API}/{path}", json=body)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert _state(db) == before


def test_holding_twice_is_a_conflict(client: TestClient, db: Database) -> None:
    client.post(f"{API}/GLUE/G1/hold", json={"reason": "one"})
    before = _state(db)

    again = client.post(f"{API}/GLUE/G1/hold", json={"reason": "two"})

    assert (again.status_code, again.json()["code"]) == (409, "lot_already_held")
    assert _state(db) == before


def test_only_managers_recall(client: TestClient, db: Database) -> None:
    inspector = token_headers(user_with_roles(db, "qa", ("quality_inspector", "WH1")))
    manager = token_headers(user_with_roles(db, "boss", ("warehouse_manager", "WH1")))
    before = _state(db)

    refused = client.post(f"{API}/GLUE/G1/recall", json={"reason": "x"}, headers=inspector)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert _state(db) == before
    recalled = client.post(f"{API}/GLUE/G1/recall", json={"reason": "x"}, headers=manager)
    assert recalled.json()["status"] == "recalled"
    lifted = client.post(f"{API}/GLUE/G1/release", json={"reason": "y"}, headers=inspector)
    assert (lifted.status_code, lifted.json()["code"]) == (403, "permission_denied")


def test_trace_json_csv_and_xlsx(client: TestClient) -> None:
    body = client.get(f"{API}/GLUE/G1/trace").json()
    assert (body["item"], body["lot"], body["status"]) == ("GLUE", "G1", "available")
    assert [(m["category"], m["quantity"]) for m in body["came_from"]] == [("received", "30")]
    assert [(p["location"], p["on_hand"], p["reserved"]) for p in body["now_at"]] == [
        ("WH1-A", "26", "0")
    ]
    assert [(m["category"], m["quantity"], m["reason_code"]) for m in body["went_to"]] == [
        ("scrapped", "4", "damaged")
    ]
    assert (body["totals"]["total_in"], body["totals"]["on_hand"], body["totals"]["total_out"]) == (
        "30",
        "26",
        "4",
    )
    assert (body["balanced"], body["complete"]) == (True, True)

    as_csv = client.get(f"{API}/GLUE/G1/trace", params={"format": "csv"})
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="trace-GLUE-G1.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Section", "Category", "Date", "Warehouse", "Location", "Quantity"]
    assert [r[:2] + r[3:6] for r in rows[1:4]] == [
        ["came_from", "received", "WH1", "WH1-A", "30"],
        ["now_at", "internal", "WH1", "WH1-A", "26"],
        ["went_to", "scrapped", "WH1", "WH1-A", "4"],
    ]

    as_xlsx = client.get(f"{API}/GLUE/G1/trace", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:6][:2] == ["came_from", "received"]
    assert sheet.cell(row=2, column=6).value == 30


def test_trace_refusals(client: TestClient, db: Database) -> None:
    unknown = client.get(f"{API}/GLUE/NOPE/trace")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "lot_not_found")
    bad = client.get(f"{API}/GLUE/G1/trace", params={"format": "pdf"})

    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    # the trace is read in the warehouses one sees: someone of WH2 sees none of it
    other = token_headers(user_with_roles(db, "other", ("viewer", "WH2")))
    partial = client.get(f"{API}/GLUE/G1/trace", headers=other).json()
    assert (partial["came_from"], partial["now_at"], partial["went_to"]) == ([], [], [])
    assert (partial["balanced"], partial["complete"]) == (True, False)


def test_openapi_documents_the_refusals(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    release = paths["/api/v1/lots/{item}/{code}/release"]["post"]["responses"]
    assert "`lot_not_held`" in release["409"]["description"]
    assert "`reason_required`" in release["422"]["description"]
    assert "404" in release
    assert "404" in paths["/api/v1/lots/{item}/{code}/trace"]["get"]["responses"]
