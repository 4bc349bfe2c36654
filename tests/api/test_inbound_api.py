"""Inbound through the REST API: order -> approval by someone else -> receipt with a lot and
serial numbers -> inspection with a rejection -> put-away -> return to the supplier, checked
in the answers and in the stock the stock API shows; and each refusal answers its code and
writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import WATCHED, state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM = "application/problem+json"
#: what a refusal must leave as it was: the stock tables and the documents'
DOCUMENT_TABLES = [
    *WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.document_counters,
    tables.outbox,
    tables.audit_log,
]
USERS = {
    "buyer": "purchaser",
    "boss": "warehouse_manager",
    "clerk": "receiving_clerk",
    "qc": "quality_inspector",
}


class Api:
    """The test client speaking as one user or another."""

    def __init__(self, client: TestClient, headers: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers

    def post(self, user: str, path: str, body: Any = None, key: str | None = None) -> Any:
        headers = {**self.headers[user], **({"Idempotency-Key": key} if key else {})}
        return self.client.post(f"{API}{path}", json=body, headers=headers)

    def get(self, user: str, path: str, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params=params, headers=self.headers[user])


def sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


def open_api(db: Database, database_url: str) -> Iterator[Api]:
    """The company, the supplier ACME with terms for BOLT, a buyer, a boss, a clerk and an
    inspector in WH1; FLOUR is inspected, ACME may deliver 10 % more, orders above 100.00 wait
    for approval."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in USERS.items():
        headers[name] = token_headers(user_with_roles(db, name, (role, "WH1")))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        setup = Api(client, headers)
        acme = {"code": "ACME", "name": "Acme Supplies", "is_supplier": True}
        assert setup.post("admin", "/partners", acme).status_code == 201
        terms = {"price": "0.5", "currency": "CNY", "lead_time_days": 7}
        put = client.put(
            f"{API}/partners/ACME/supplier-items/BOLT", json=terms, headers=headers["admin"]
        )
        assert put.status_code == 200, put.text
        # the master-data faces of these flags come with another change: set here by SQL
        sql(db, "UPDATE items SET inspection_required = true WHERE code = 'FLOUR'")
        sql(db, "UPDATE partners SET over_receipt_tolerance = 10000000 WHERE code = 'ACME'")
        sql(db, "UPDATE company SET po_approval_threshold = 100000000")  # 100.00
        yield setup


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    yield from open_api(db, database_url)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


def refused(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["code"])


def stock_of(api: Api) -> dict[tuple[str, str, str | None], str]:
    page = ok(api.get("admin", "/stock", warehouse="WH1", limit=100))
    return {(r["item"], r["location"], r["lot"]): r["on_hand"] for r in page["items"]}


ORDER = {
    "supplier": "ACME",
    "warehouse": "WH1",
    "reference": "Q-17",
    "lines": [
        {"item": "BOLT", "quantity": "20", "unit": "box"},
        {"item": "FLOUR", "quantity": "50", "unit_price": "3"},
        {"item": "PUMP", "quantity": "3", "unit_price": "100"},
    ],
}


def approved_order(api: Api, body: dict[str, Any] = ORDER) -> str:
    number = str(ok(api.post("buyer", "/purchase-orders", body), 201)["number"])
    state_now = ok(api.post("buyer", f"/purchase-orders/{number}/confirm"))["state"]
    if state_now == "awaiting_approval":
        ok(api.post("boss", f"/purchase-orders/{number}/approve", {"note": "fine"}))
    return number


# ---------------------------------------------------------------- the happy path
def test_an_order_is_approved_received_inspected_stored_and_partly_returned(
    api: Api, db: Database
) -> None:
    # given a buyer's order worth 20 x 12 x 0.50 + 50 x 3 + 3 x 100 = 570.00
    order = ok(api.post("buyer", "/purchase-orders", ORDER), 201)
    number = order["number"]
    assert number.startswith("PO-WH1-") and number.endswith("-00001")
    assert (order["state"], order["total_value"], order["reference"]) == ("draft", "570", "Q-17")
    assert [
        (ln["item"], ln["quantity"], ln["unit"], ln["unit_quantity"], ln["unit_price"], ln["value"])
        for ln in order["lines"]
    ] == [
        ("BOLT", "240", "box", "20", "6", "120"),
        ("FLOUR", "50", "kg", "50", "3", "150"),
        ("PUMP", "3", "pcs", "3", "100", "300"),
    ]
    assert [s["code"] for s in order["steps"]] == ["confirm", "cancel"]
    assert order["result"] == {
        "move_ids": [], "replayed": False, "inspection": None, "putaway": None,
        "over_received_lines": [], "receipt_registered": None,
    }  # fmt: skip

    # when it is confirmed it waits for approval above 100.00; the buyer may not approve it
    confirmed = ok(api.post("buyer", f"/purchase-orders/{number}/confirm", {"note": "sent"}))
    cancel = {"code": "cancel", "permission": "po.close", "ends": True}
    assert (confirmed["state"], confirmed["next_step"], confirmed["steps"]) == (
        "awaiting_approval", "approve", [cancel],
    )  # fmt: skip
    denied = api.post("buyer", f"/purchase-orders/{number}/approve")
    assert refused(denied, 403) == "permission_denied"
    assert [s["code"] for s in ok(api.get("boss", f"/documents/{number}"))["steps"]] == [
        "approve", "reject", "cancel",
    ]  # fmt: skip
    approved = ok(api.post("boss", f"/purchase-orders/{number}/approve"))
    assert (approved["state"], approved["approved_by"]) == ("confirmed", "boss")
    assert ok(api.get("clerk", "/on-order", item="BOLT")) == [
        {"item": "BOLT", "item_name": "Hex bolt M8", "warehouse": "WH1", "quantity": "240",
         "unit": "pcs"},
    ]  # fmt: skip

    # and the clerk receives half the bolts, the flour (a lot) and three pumps (serials)
    receipt = ok(
        api.post(
            "clerk",
            "/receipts",
            {
                "order": number,
                "delivery_note": "DN-778",
                "lines": [
                    {"item": "BOLT", "quantity": "10", "unit": "box"},
                    {"item": "FLOUR", "quantity": 50, "lot": "F-01",
                     "manufactured_on": "2026-11-01", "expires_on": "2027-11-01"},
                    {"item": "PUMP", "quantity": "3", "serials": "SN100-SN102"},
                ],
            },
        ),
        201,
    )  # fmt: skip
    result = receipt["result"]
    assert (receipt["state"], receipt["origin"], receipt["reference"]) == (
        "received", number, "DN-778",
    )  # fmt: skip
    assert len(result["move_ids"]) == 5 and result["move_ids"] == receipt["move_ids"]
    assert result["inspection"].startswith("QC-WH1-") and result["putaway"].startswith("PA-WH1-")
    assert [(ln["item"], ln["quantity"], ln["lot"], ln["location"]) for ln in receipt["lines"]] == [
        ("BOLT", "120", None, "WH1-RCV"),
        ("FLOUR", "50", "F-01", "WH1-QC"),
        ("PUMP", "1", "SN100", "WH1-RCV"),
        ("PUMP", "1", "SN101", "WH1-RCV"),
        ("PUMP", "1", "SN102", "WH1-RCV"),
    ]
    po = ok(api.get("clerk", f"/documents/{number}"))
    assert po["state"] == "partially_received"
    assert po["children"] == [
        {"number": receipt["number"], "doc_type": "receipt", "state": "received"}
    ]
    assert [(e["step"], e["user"], e["to_state"]) for e in po["events"]] == [
        ("create", "buyer", "draft"),
        ("confirm", "buyer", "awaiting_approval"),
        ("approve", "boss", "confirmed"),
        ("receive", "clerk", "partially_received"),
    ]
    assert po["events"][1]["note"] == "sent"
    assert ok(api.get("clerk", "/on-order", warehouse="WH1")) == [
        {"item": "BOLT", "item_name": "Hex bolt M8", "warehouse": "WH1", "quantity": "120",
         "unit": "pcs"},
    ]  # fmt: skip

    # then the inspector accepts 45 kg of flour and rejects 5 kg as damaged
    inspected = ok(
        api.post(
            "qc",
            f"/inspections/{result['inspection']}/record",
            {"lines": [{"line": 1, "accepted": "45", "rejected": 5, "reason": "damaged",
                        "sample_size": "5", "note": "torn bags"}]},
        )
    )  # fmt: skip
    assert inspected["state"] == "done"
    line = inspected["lines"][0]
    assert (line["accepted"], line["rejected"], line["reason_code"], line["sample_size"]) == (
        "45", "5", "damaged", "5",
    )  # fmt: skip
    second = inspected["result"]["putaway"]
    assert second.startswith("PA-WH1-") and second != result["putaway"]

    # and the clerk stores everything: bolts and pumps in WH1-A, the flour in WH1-B
    stored = ok(
        api.post(
            "clerk",
            f"/putaways/{result['putaway']}/confirm",
            {"lines": [{"line": n, "location": "WH1-A"} for n in (1, 2, 3, 4)]},
        )
    )
    assert (stored["state"], stored["result"]["receipt_registered"]) == ("done", False)
    assert len(stored["result"]["move_ids"]) == 4
    last = ok(
        api.post(
            "clerk",
            f"/putaways/{second}/confirm",
            {"lines": [{"line": 1, "location": "WH1-B", "quantity": "45"}]},
        )
    )
    assert (last["state"], last["result"]["receipt_registered"]) == ("done", True)
    assert ok(api.get("clerk", f"/documents/{receipt['number']}"))["state"] == "registered"
    assert stock_of(api) == {
        ("BOLT", "WH1-A", None): "120",
        ("FLOUR", "WH1-B", "F-01"): "45",
        ("FLOUR", "WH1-QC", "F-01"): "5",
        ("PUMP", "WH1-A", "SN100"): "1",
        ("PUMP", "WH1-A", "SN101"): "1",
        ("PUMP", "WH1-A", "SN102"): "1",
    }

    # finally the rejected flour goes back to the supplier at the 3.00 it came in at
    back = ok(
        api.post(
            "boss",
            "/supplier-returns",
            {
                "receipt": receipt["number"],
                "lines": [{"item": "FLOUR", "quantity": "5", "location": "WH1-QC", "lot": "F-01",
                           "reason": "rejected_in_inspection"}],
            },
        ),
        201,
    )  # fmt: skip
    assert (back["state"], back["partner"], back["origin"]) == (
        "returned", "ACME", receipt["number"],
    )  # fmt: skip
    (move_id,) = back["result"]["move_ids"]
    move = ok(api.get("admin", f"/moves/{move_id}"))
    assert (move["quantity"], move["unit_cost"], move["value"], move["document_id"]) == (
        "5", "3", "15", back["number"],
    )  # fmt: skip
    assert ("FLOUR", "WH1-QC", "F-01") not in stock_of(api)
    verified = ok(api.get("admin", "/verify"))
    assert verified["ok"] is True


def test_a_draft_receipt_is_received_later_and_a_create_is_replayed_by_its_key(
    api: Api, db: Database
) -> None:
    patch = {"default_location": "WH1-A"}  # the bin the put-away suggests
    assert api.client.patch(
        f"{API}/items/BOLT", json=patch, headers=api.headers["admin"]
    ).is_success
    number = approved_order(api, {**ORDER, "lines": [{"item": "BOLT", "quantity": "10"}]})
    draft = {"order": number, "receive": False, "lines": [{"item": "BOLT", "quantity": "4"}]}
    first = api.post("clerk", "/receipts", draft, key="draft-1")
    again = api.post("clerk", "/receipts", draft, key="draft-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["result"]["replayed"] is True
    receipt = first.json()["number"]
    assert (first.json()["state"], first.json()["move_ids"]) == ("draft", [])

    received = ok(api.post("clerk", f"/receipts/{receipt}/receive", {"note": "at the dock"}))
    assert received["state"] == "received"
    assert len(received["result"]["move_ids"]) == 1
    assert received["result"]["putaway"].startswith("PA-WH1-")
    assert stock_of(api) == {("BOLT", "WH1-RCV", None): "4"}
    everything = ok(api.post("clerk", f"/putaways/{received['result']['putaway']}/confirm"))
    assert (everything["state"], everything["lines"][0]["target_location"]) == ("done", "WH1-A")
    assert stock_of(api) == {("BOLT", "WH1-A", None): "4"}


# ---------------------------------------------------------------- refusals
def test_receiving_refusals_answer_their_code_and_write_nothing(api: Api, db: Database) -> None:
    number = approved_order(api, {**ORDER, "lines": [{"item": "BOLT", "quantity": "10"}]})
    cancelled = approved_order(api, {**ORDER, "lines": [{"item": "BOLT", "quantity": "1"}]})
    ok(api.post("buyer", f"/purchase-orders/{cancelled}/cancel", {"note": "not needed"}))
    standalone = {"warehouse": "WH1", "supplier": "ACME"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"order": cancelled, "lines": [{"item": "BOLT", "quantity": "1"}]},
         409, "invalid_transition"),
        ({"order": number, "lines": [{"item": "GLUE", "quantity": "1", "lot": "G"}]},
         409, "item_not_on_order"),
        ({**standalone, "lines": [{"item": "GLUE", "quantity": "1"}]}, 422, "lot_required"),
        ({**standalone, "lines": [{"item": "PUMP", "quantity": "2", "serials": "S1,S1"}]},
         422, "duplicate_serial"),
        ({**standalone, "lines": [{"item": "GLUE", "quantity": "1", "lot": "G",
                                   "manufactured_on": "2026-06-01", "expires_on": "2026-05-01"}]},
         422, "expiry_before_manufacture"),
        ({"order": number, "lines": [{"item": "BOLT", "quantity": "11"}]}, 409, "over_receipt"),
        ({"order": number, "lines": [{"item": "BOLT", "quantity": "20"}],
          "confirm_over_receipt": True}, 409, "over_receipt_beyond_tolerance"),
        ({"order": "GR-WH1-2026-00001", "lines": [{"item": "BOLT", "quantity": "1"}]},
         404, "purchase_order_not_found"),
    ]  # fmt: skip
    before = state(db, DOCUMENT_TABLES)
    for body, status, code in cases:
        assert refused(api.post("clerk", "/receipts", body), status) == code, body
    assert state(db, DOCUMENT_TABLES) == before

    # with the confirmation, 11 of 10 is within the supplier's 10 %
    over = {
        "order": number,
        "confirm_over_receipt": True,
        "lines": [{"item": "BOLT", "quantity": "11"}],
    }
    accepted = ok(api.post("clerk", "/receipts", over), 201)
    assert accepted["result"]["over_received_lines"] == [1]
    assert ok(api.get("clerk", f"/documents/{number}"))["state"] == "received"


def test_step_refusals_answer_their_code_and_write_nothing(api: Api, db: Database) -> None:
    # given the buyer's order over the threshold and the boss's own one
    mine = ok(api.post("boss", "/purchase-orders", ORDER), 201)["number"]
    ok(api.post("boss", f"/purchase-orders/{mine}/confirm"))
    number = approved_order(api)
    receipt = ok(
        api.post(
            "clerk",
            "/receipts",
            {"order": number, "lines": [
                {"item": "BOLT", "quantity": "12"},
                {"item": "FLOUR", "quantity": "10", "lot": "F-02"},
            ]},
        ),
        201,
    )  # fmt: skip
    inspection, putaway = receipt["result"]["inspection"], receipt["result"]["putaway"]
    before = state(db, DOCUMENT_TABLES)
    cases: list[tuple[str, str, Any, int, str]] = [
        ("boss", f"/purchase-orders/{mine}/approve", None, 409, "own_document_approval"),
        ("buyer", f"/purchase-orders/{number}/confirm", None, 409, "invalid_transition"),
        ("boss", f"/purchase-orders/{number}/approve", {"note": "again"}, 409,
         "invalid_transition"),
        ("clerk", f"/receipts/{receipt['number']}/receive", None, 409, "invalid_transition"),
        ("qc", f"/inspections/{inspection}/record",
         {"lines": [{"line": 1, "accepted": "8", "rejected": "3", "reason": "damaged"}]},
         409, "inspect_more_than_received"),
        ("qc", f"/inspections/{inspection}/record",
         {"lines": [{"line": 1, "rejected": "3"}]}, 422, "reason_required"),
        ("qc", f"/inspections/{inspection}/record",
         {"lines": [{"line": 9, "accepted": "1"}]}, 422, "unknown_line"),
        ("clerk", f"/putaways/{putaway}/confirm",
         {"lines": [{"line": 1, "location": "WH1-SHIP"}]}, 409, "putaway_location_not_storage"),
        ("clerk", f"/putaways/{putaway}/confirm",
         {"lines": [{"line": 1, "location": "WH1-A", "quantity": "13"}]}, 409,
         "putaway_more_than_waiting"),
        ("clerk", f"/putaways/{putaway}/confirm",
         {"lines": [{"line": 1, "location": "WH2-A"}]}, 422, "location_not_in_warehouse"),
        # a number of another type in the path is not found, never a 500
        ("boss", f"/purchase-orders/{receipt['number']}/approve", None, 404,
         "purchase_order_not_found"),
        ("clerk", f"/receipts/{number}/receive", None, 404, "receipt_not_found"),
        ("qc", f"/inspections/{putaway}/record", {"lines": [{"line": 1, "accepted": "1"}]},
         404, "inspection_not_found"),
        ("clerk", f"/putaways/{inspection}/confirm", None, 404, "putaway_not_found"),
        ("boss", f"/supplier-returns/{number}/ship", None, 404, "supplier_return_not_found"),
        ("boss", "/documents/PO-NOPE", None, 404, "document_not_found"),
        # a role without the step's permission
        ("clerk", f"/inspections/{inspection}/record",
         {"lines": [{"line": 1, "accepted": "10"}]}, 403, "permission_denied"),
    ]  # fmt: skip
    for user, path, body, status, code in cases:
        if path.startswith("/documents/"):
            response = api.get(user, path)
        else:
            response = api.post(user, path, body)
        assert refused(response, status) == code, (user, path)
    assert state(db, DOCUMENT_TABLES) == before

    # the inspection is then recorded once; the same step again is refused
    body = {"lines": [{"line": 1, "accepted": "10"}]}
    assert ok(api.post("qc", f"/inspections/{inspection}/record", body))["state"] == "done"
    again = api.post("qc", f"/inspections/{inspection}/record", body)
    assert refused(again, 409) == "invalid_transition"
    assert again.json()["data"]["state"] == "done"


def test_a_draft_return_is_shipped_or_cancelled_once(api: Api, db: Database) -> None:
    bolts = {"item": "BOLT", "quantity": "10", "to_location": "WH1-A", "unit_cost": "2"}
    ok(api.post("admin", "/stock/receive", bolts), 201)
    body = {
        "supplier": "ACME",
        "warehouse": "WH1",
        "ship": False,
        "lines": [{"item": "BOLT", "quantity": "4", "location": "WH1-A", "reason": "defective"}],
    }
    draft = ok(api.post("boss", "/supplier-returns", body), 201)
    assert (draft["state"], draft["move_ids"], draft["next_step"]) == ("draft", [], "ship")
    shipped = ok(api.post("clerk", f"/supplier-returns/{draft['number']}/ship"))
    assert (shipped["state"], len(shipped["result"]["move_ids"])) == ("returned", 1)
    assert stock_of(api) == {("BOLT", "WH1-A", None): "6"}
    other = ok(api.post("boss", "/supplier-returns", body), 201)["number"]
    assert ok(api.post("buyer", f"/supplier-returns/{other}/cancel"))["state"] == "cancelled"
    before = state(db, DOCUMENT_TABLES)
    again = api.post("clerk", f"/supplier-returns/{other}/ship")
    assert refused(again, 409) == "invalid_transition"
    odd = {"item": "BOLT", "quantity": "1", "location": "WH1-A", "reason": "too_cheap"}
    unknown = api.post("boss", "/supplier-returns", {**body, "lines": [odd]})
    assert refused(unknown, 422) == "unknown_reason_code"
    assert state(db, DOCUMENT_TABLES) == before


def test_documents_are_listed_filtered_and_scoped(api: Api, db: Database) -> None:
    number = approved_order(api, {**ORDER, "lines": [{"item": "BOLT", "quantity": "10"}]})
    draft = ok(api.post("buyer", "/purchase-orders", {**ORDER, "reference": "Q-99"}), 201)
    everything = ok(api.get("boss", "/documents"))
    assert [d["number"] for d in everything["items"]] == [draft["number"], number]
    assert everything["total"] == 2
    by_state = ok(api.get("boss", "/documents", type="purchase_order", state="confirmed"))
    assert [d["number"] for d in by_state["items"]] == [number]
    assert [d["number"] for d in ok(api.get("boss", "/documents", q="q-99"))["items"]] == [
        draft["number"]
    ]
    assert ok(api.get("boss", "/documents", item="PUMP"))["total"] == 1
    assert ok(api.get("boss", "/documents", partner="ACME", open="true"))["total"] == 2
    assert refused(api.get("boss", "/documents", type="receipt", state="confirmed"), 422) == (
        "unknown_state"
    )
    assert refused(api.get("boss", "/documents", warehouse="NOPE"), 404) == "warehouse_not_found"
    # a user granted only WH2 sees none of them, and not one of them by number
    headers = token_headers(user_with_roles(db, "far", ("warehouse_manager", "WH2")))
    api.headers["far"] = headers
    assert ok(api.get("far", "/documents"))["total"] == 0
    assert refused(api.get("far", f"/documents/{number}"), 404) == "document_not_found"
    assert refused(api.get("far", "/documents", warehouse="WH1"), 404) == "warehouse_not_found"
    assert ok(api.get("far", "/on-order")) == []


def test_a_step_is_replayed_by_its_idempotency_key(api: Api, db: Database) -> None:
    number = ok(api.post("buyer", "/purchase-orders", ORDER), 201)["number"]
    first = api.post("buyer", f"/purchase-orders/{number}/confirm", {"note": "a"}, key="c-1")
    before = state(db, DOCUMENT_TABLES)
    again = api.post("buyer", f"/purchase-orders/{number}/confirm", {"note": "a"}, key="c-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert "Idempotent-Replay" not in first.headers
    assert again.headers["Idempotent-Replay"] == "true"
    assert (again.json()["state"], again.json()["result"]["replayed"]) == (
        "awaiting_approval",
        True,
    )
    other = api.post("buyer", f"/purchase-orders/{number}/confirm", {"note": "b"}, key="c-1")
    assert refused(other, 409) == "idempotency_key_reused"
    assert state(db, DOCUMENT_TABLES) == before
