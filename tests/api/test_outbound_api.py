"""Outbound through the REST API: sales order -> approval by someone else -> FEFO allocation ->
pick list with a short pick -> partial shipment -> backorder shipped -> delivery -> customer
return, checked in the answers and in the stock the stock API shows; a requisition to
production; the release, cancel, close, revise and draft paths; the approval rules; each
refusal answers its code and writes nothing; a viewer is refused every new write route."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.routes import Route, api_routes
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import WATCHED, state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM = "application/problem+json"
#: what a refusal must leave as it was: the stock tables, the documents' and the reservations
DOCUMENT_TABLES = [
    *WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.document_counters,
    tables.outbox,
    tables.audit_log,
    tables.allocations,
    tables.approval_rules,
]
USERS = {
    "sales": "purchaser",
    "boss": "warehouse_manager",
    "picker": "picker_shipper",
    "viewer": "viewer",
}
SOON = date.today() + timedelta(days=30)
LATER = date.today() + timedelta(days=200)
FAR = date.today() + timedelta(days=400)
#: the new routes (a viewer may call none of their writes)
OUTBOUND_PREFIXES = (
    "/sales-orders",
    "/requisitions",
    "/pick-lists",
    "/shipments",
    "/customer-returns",
    "/approval-rules",
)
OUTBOUND_ROUTES = [
    r
    for r in api_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
    if r.path[len(API) :].startswith(OUTBOUND_PREFIXES)
]


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

    def delete(self, user: str, path: str) -> Any:
        return self.client.delete(f"{API}{path}", headers=self.headers[user])


def sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """The company; customers SHOP (with an address) and OLD (deactivated), the supplier ACME;
    a salesman, a boss, a picker and a viewer in WH1; GLUE (allocated FEFO) in three lots, BOLT
    in WH1-A; sales orders from 1,000.00 wait for approval."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in USERS.items():
        headers[name] = token_headers(user_with_roles(db, name, (role, "WH1")))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        setup = Api(client, headers)
        for partner in [
            {"code": "SHOP", "name": "Corner Shop", "is_customer": True, "address": "1 Road"},
            {"code": "OLD", "name": "Old Customer", "is_customer": True},
            {"code": "ACME", "name": "Acme Supplies", "is_supplier": True},
        ]:
            ok(setup.post("admin", "/partners", partner), 201)
        for lot, expires, where, quantity, cost in [
            ("F-LATE", LATER, "WH1-A", "40", "2"),
            ("F-SOON", SOON, "WH1-B", "30", "3"),
            ("F-FAR", FAR, "WH1-A-01", "50", "4"),
        ]:
            receipt = {"item": "GLUE", "quantity": quantity, "to_location": where, "lot": lot,
                       "expires_on": expires.isoformat(), "unit_cost": cost}  # fmt: skip
            ok(setup.post("admin", "/stock/receive", receipt), 201)
        bolts = {"item": "BOLT", "quantity": "100", "to_location": "WH1-A", "unit_cost": "0.5"}
        ok(setup.post("admin", "/stock/receive", bolts), 201)
        # the master-data faces of these flags come with another change: set here by SQL
        sql(db, "UPDATE items SET allocation_strategy = 'fefo' WHERE code = 'GLUE'")
        sql(db, "UPDATE partners SET active = false WHERE code = 'OLD'")
        rule = {"kind": "sales_order", "min_value": "1000"}
        ok(setup.post("boss", "/approval-rules", rule), 201)
        yield setup


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


def refused(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["code"])


def stock_of(api: Api, item: str) -> dict[tuple[str, str | None], tuple[str, str]]:
    page = ok(api.get("admin", "/stock", item=item, limit=100))
    return {(r["location"], r["lot"]): (r["on_hand"], r["reserved"]) for r in page["items"]}


ORDER = {
    "customer": "SHOP",
    "warehouse": "WH1",
    "reference": "C-88",
    "lines": [{"item": "GLUE", "quantity": "60", "unit_price": "20"}],
}


OUTBOUND_HEADER = (
    "ship_to", "department", "plan_reference", "planned_on", "carrier", "tracking_number",
    "packages",
)  # fmt: skip


def header_of(document: dict[str, Any]) -> dict[str, Any]:
    return {key: document[key] for key in OUTBOUND_HEADER}


def order(api: Api, user: str = "sales", **changes: Any) -> str:
    return str(ok(api.post(user, "/sales-orders", {**ORDER, **changes}), 201)["number"])


def allocated_order(api: Api, lines: list[dict[str, Any]]) -> str:
    """A sales order under the approval threshold, submitted (approved at once) and allocated."""
    number = order(api, lines=lines, submit=True)
    ok(api.post("picker", f"/sales-orders/{number}/allocate"))
    return number


def pick_list(api: Api, *numbers: str, kind: str = "sales_order") -> str:
    body = {"requests": list(numbers), "kind": kind}
    return str(ok(api.post("picker", "/pick-lists", body), 201)["number"])


def shipped_order(api: Api) -> tuple[str, str]:
    """20 BOLT shipped in full: (the order, its shipment)."""
    number = allocated_order(api, [{"item": "BOLT", "quantity": "20", "unit_price": "1"}])
    ok(api.post("picker", f"/pick-lists/{pick_list(api, number)}/pick"))
    shipped = ok(api.post("boss", f"/sales-orders/{number}/ship"))
    assert shipped["state"] == "shipped"
    return number, shipped["result"]["shipment"]


# ---------------------------------------------------------------- the happy path
def test_an_order_is_approved_allocated_picked_short_shipped_twice_and_partly_returned(
    api: Api, db: Database
) -> None:
    # given the salesman's order worth 60 x 20.00 = 1,200.00 for SHOP, shipped to its address
    created = ok(api.post("sales", "/sales-orders", ORDER), 201)
    number = created["number"]
    assert number.startswith("SO-WH1-") and number.endswith("-00001")
    assert (created["state"], created["partner"], created["total_value"]) == (
        "draft", "SHOP", "1200",
    )  # fmt: skip
    assert (created["reference"], created["created_by"], created["next_step"]) == (
        "C-88", "sales", "submit",
    )  # fmt: skip
    assert [
        (ln["item"], ln["quantity"], ln["unit"], ln["unit_price"], ln["value"])
        for ln in created["lines"]
    ] == [("GLUE", "60", "pcs", "20", "1200")]
    assert [s["code"] for s in created["steps"]] == ["submit", "cancel"]
    assert created["result"] == {
        "move_ids": [], "replayed": False, "allocated": None, "short": None,
        "reallocated": None, "shipment": None,
    }  # fmt: skip

    # when it is submitted it waits for approval (over 1,000.00); the salesman may not approve
    submitted = ok(api.post("sales", f"/sales-orders/{number}/submit", {"note": "urgent"}))
    assert (submitted["state"], submitted["next_step"]) == ("submitted", "approve")
    assert refused(api.post("sales", f"/sales-orders/{number}/approve"), 403) == (
        "permission_denied"
    )
    approved = ok(api.post("boss", f"/sales-orders/{number}/approve", {"note": "fine"}))
    assert (approved["state"], approved["approved_by"]) == ("approved", "boss")

    # then the picker allocates FEFO: 30 of F-SOON, then 30 of F-LATE
    allocated = ok(api.post("picker", f"/sales-orders/{number}/allocate"))
    assert allocated["state"] == "allocated"
    assert (allocated["result"]["allocated"], allocated["result"]["short"]) == ({"1": "60"}, {})
    assert stock_of(api, "GLUE") == {
        ("WH1-A", "F-LATE"): ("40", "30"),
        ("WH1-B", "F-SOON"): ("30", "30"),
        ("WH1-A-01", "F-FAR"): ("50", "0"),
    }

    # and makes a pick list in walking order (WH1-A before WH1-B)
    made = ok(api.post("picker", "/pick-lists", {"requests": [number]}), 201)
    pick = made["number"]
    assert (pick.startswith("PK-WH1-"), made["state"], made["origin"]) == (True, "open", number)
    assert [(ln["item"], ln["quantity"], ln["lot"], ln["location"]) for ln in made["lines"]] == [
        ("GLUE", "30", "F-LATE", "WH1-A"),
        ("GLUE", "30", "F-SOON", "WH1-B"),
    ]
    assert ok(api.get("sales", f"/documents/{number}"))["state"] == "picking"

    # a short pick: only 20 of F-LATE at WH1-A; the other 10 are allocated again from F-FAR
    picked = ok(
        api.post(
            "picker",
            f"/pick-lists/{pick}/pick",
            {"lines": [
                {"line": 1, "quantity": "20", "location": "WH1-A", "lot": "F-LATE",
                 "reason": "not_found"},
                {"line": 2, "quantity": 30, "location": "WH1-B", "lot": "F-SOON"},
            ]},
        )
    )  # fmt: skip
    assert (picked["state"], picked["result"]["reallocated"]) == ("done", {number: "10"})
    assert len(picked["result"]["move_ids"]) == 2
    assert [(ln["accepted"], ln["rejected"], ln["reason_code"]) for ln in picked["lines"]] == [
        ("20", "10", "not_found"),
        ("30", "0", None),
    ]
    assert stock_of(api, "GLUE") == {
        ("WH1-A", "F-LATE"): ("20", "0"),
        ("WH1-SHIP", "F-LATE"): ("20", "20"),
        ("WH1-SHIP", "F-SOON"): ("30", "30"),
        ("WH1-A-01", "F-FAR"): ("50", "10"),
    }

    # the picker ships the 50 picked: he may not see what they cost (no valuation.view)
    shipped = ok(
        api.post(
            "picker",
            f"/sales-orders/{number}/ship",
            {"carrier": "SF", "tracking_number": "SF123", "packages": 2},
        )
    )
    assert shipped["state"] == "partially_shipped"
    assert "cost_of_goods" not in shipped["result"]
    assert "total_value" not in shipped and "unit_price" not in shipped["lines"][0]
    shipment = shipped["result"]["shipment"]
    assert shipment.startswith("SH-WH1-") and len(shipped["result"]["move_ids"]) == 2
    # the boss sees it: 40 x 2.00 + 10 x 3.00 (the FIFO layers) = 110.00
    sent = ok(api.get("boss", f"/documents/{shipment}"))
    assert (sent["state"], sent["origin"], sent["total_value"]) == ("shipped", number, "110")
    # /documents shows the outbound header as /outbound does (the address stays on the order)
    assert header_of(sent) == {
        "ship_to": None, "department": None, "plan_reference": None, "planned_on": None,
        "carrier": "SF", "tracking_number": "SF123", "packages": 2,
    }  # fmt: skip
    assert header_of(ok(api.get("boss", f"/outbound/{shipment}"))) == header_of(sent)
    assert header_of(ok(api.get("sales", f"/documents/{number}"))) == {
        **dict.fromkeys(OUTBOUND_HEADER),
        "ship_to": "1 Road",
    }
    assert [(ln["item"], ln["quantity"], ln["lot"]) for ln in sent["lines"]] == [
        ("GLUE", "20", "F-LATE"),
        ("GLUE", "30", "F-SOON"),
    ]

    # the backorder: the 10 of F-FAR are picked and shipped by the boss, who sees the cost
    second = pick_list(api, number)
    ok(api.post("picker", f"/pick-lists/{second}/pick"))
    final = ok(api.post("boss", f"/sales-orders/{number}/ship", {"packages": 1}))
    assert (final["state"], final["result"]["cost_of_goods"]) == ("shipped", "30")
    assert [(ln["quantity"], ln["done"]) for ln in final["lines"]] == [("60", "60")]
    assert stock_of(api, "GLUE") == {
        ("WH1-A", "F-LATE"): ("20", "0"),
        ("WH1-A-01", "F-FAR"): ("40", "0"),
    }
    delivered = ok(api.post("picker", f"/shipments/{shipment}/deliver", {"note": "signed"}))
    assert delivered["state"] == "delivered"

    # finally the customer sends 5 of F-SOON back at the cost they left with: 2.333333
    back = ok(
        api.post(
            "picker",
            "/customer-returns",
            {"shipment": shipment, "lines": [
                {"item": "GLUE", "quantity": "5", "lot": "F-SOON", "reason": "damaged",
                 "location": "WH1-B"},
            ]},
        ),
        201,
    )  # fmt: skip
    assert (back["state"], back["partner"], back["origin"]) == ("received", "SHOP", shipment)
    (move_id,) = back["result"]["move_ids"]
    move = ok(api.get("admin", f"/moves/{move_id}"))
    assert (move["quantity"], move["unit_cost"], move["to_location"]) == ("5", "2.333333", "WH1-B")
    assert stock_of(api, "GLUE")[("WH1-B", "F-SOON")] == ("5", "0")
    events = ok(api.get("boss", f"/documents/{number}"))["events"]
    assert [(e["step"], e["user"]) for e in events] == [
        ("create", "sales"), ("submit", "sales"), ("approve", "boss"), ("allocate", "picker"),
        ("pick", "picker"), ("ship", "picker"), ("pick", "picker"), ("ship", "boss"),
    ]  # fmt: skip
    # every outbound document is read and listed through /documents
    listed = {
        kind: ok(api.get("viewer", "/documents", type=kind))["total"]
        for kind in ("sales_order", "pick_list", "shipment", "customer_return", "requisition")
    }
    assert listed == {
        "sales_order": 1, "pick_list": 2, "shipment": 2, "customer_return": 1, "requisition": 0,
    }  # fmt: skip
    assert ok(api.get("admin", "/verify"))["ok"] is True


def test_a_requisition_approves_itself_or_waits_for_the_rules_role_and_ships_to_production(
    api: Api, db: Database
) -> None:
    # a small requisition approves itself and says why
    body = {
        "warehouse": "WH1",
        "department": "Assembly",
        "plan_reference": "MO-7",
        "planned_on": "2027-01-15",
        "submit": True,
        "lines": [{"item": "BOLT", "quantity": "10"}],
    }
    made = ok(api.post("sales", "/requisitions", body), 201)
    number = made["number"]
    assert header_of(ok(api.get("viewer", f"/documents/{number}"))) == {
        **dict.fromkeys(OUTBOUND_HEADER), "department": "Assembly", "plan_reference": "MO-7",
        "planned_on": "2027-01-15",
    }  # fmt: skip
    assert (number.startswith("MR-WH1-"), made["state"], made["total_value"]) == (
        True, "approved", "5",
    )  # fmt: skip
    assert made["events"][-1]["data"] == {
        "approved": "automatically",
        "why": "under every approval threshold",
    }
    ok(api.post("picker", f"/requisitions/{number}/allocate"))
    pick = pick_list(api, number, kind="requisition")
    ok(api.post("picker", f"/pick-lists/{pick}/pick"))
    shipped = ok(api.post("boss", f"/requisitions/{number}/ship"))
    assert (shipped["state"], shipped["result"]["cost_of_goods"]) == ("shipped", "5")
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("90", "0")}

    # from 50 pieces a requisition waits for an administrator: the boss may not approve it
    rule = {"kind": "requisition", "min_quantity": "50", "approver_role": "administrator"}
    ok(api.post("boss", "/approval-rules", rule), 201)
    sixty = {**body, "lines": [{"item": "BOLT", "quantity": "60"}]}
    big = ok(api.post("sales", "/requisitions", sixty), 201)
    assert big["state"] == "submitted"
    before = state(db, DOCUMENT_TABLES)
    denied = api.post("boss", f"/requisitions/{big['number']}/approve")
    assert refused(denied, 403) == "approver_role_required"
    assert denied.json()["data"]["role"] == "administrator"
    assert state(db, DOCUMENT_TABLES) == before
    assert ok(api.post("admin", f"/requisitions/{big['number']}/approve"))["state"] == "approved"


def test_release_cancel_close_revise_and_drafts_take_their_paths(api: Api, db: Database) -> None:
    line = [{"item": "BOLT", "quantity": "10", "unit_price": "1"}]
    # release takes the reservation back; cancel releases it too
    number = allocated_order(api, line)
    released = ok(api.post("picker", f"/sales-orders/{number}/release"))
    assert released["state"] == "approved"
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("100", "0")}
    ok(api.post("picker", f"/sales-orders/{number}/allocate"))
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("100", "10")}
    cancelled = ok(api.post("sales", f"/sales-orders/{number}/cancel", {"note": "lost"}))
    assert (cancelled["state"], cancelled["closed_at"] is not None) == ("cancelled", True)
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("100", "0")}

    # a rejected order is revised back to draft
    big = order(api, submit=True)
    rejected = ok(api.post("boss", f"/sales-orders/{big}/reject", {"note": "too much"}))
    assert rejected["state"] == "rejected"
    assert ok(api.post("sales", f"/sales-orders/{big}/revise"))["state"] == "draft"

    # a partly shipped order is closed without its backorder
    partly = allocated_order(api, [{"item": "BOLT", "quantity": "150", "unit_price": "1"}])
    assert ok(api.get("sales", f"/documents/{partly}"))["events"][-1]["data"] == {
        "allocated": {"1": "100"},
        "short": {"1": "50"},
    }
    ok(api.post("picker", f"/pick-lists/{pick_list(api, partly)}/pick"))
    assert ok(api.post("picker", f"/sales-orders/{partly}/ship"))["state"] == "partially_shipped"
    assert ok(api.post("sales", f"/sales-orders/{partly}/close"))["state"] == "closed"

    # an open pick list is cancelled: its reservation stays with its order
    restock(api, "10")
    kept = allocated_order(api, line)
    pick = pick_list(api, kept)
    assert ok(api.post("picker", f"/pick-lists/{pick}/cancel"))["state"] == "cancelled"
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("10", "10")}
    assert ok(api.get("picker", f"/documents/{kept}"))["state"] == "picking"

    # a draft customer return is received later (scrapped), another one cancelled
    restock(api, "20")
    _, shipment = shipped_order(api)
    draft = {"shipment": shipment, "receive": False,
             "lines": [{"item": "BOLT", "quantity": "2", "disposition": "scrap"}]}  # fmt: skip
    first = ok(api.post("picker", "/customer-returns", draft), 201)
    assert (first["state"], first["move_ids"]) == ("draft", [])
    received = ok(api.post("picker", f"/customer-returns/{first['number']}/receive"))
    assert (received["state"], len(received["result"]["move_ids"])) == ("received", 2)
    second = ok(api.post("picker", "/customer-returns", draft), 201)["number"]
    assert ok(api.post("picker", f"/customer-returns/{second}/cancel"))["state"] == "cancelled"
    assert ok(api.get("admin", "/verify"))["ok"] is True


def restock(api: Api, quantity: str) -> None:
    bolts = {"item": "BOLT", "quantity": quantity, "to_location": "WH1-A", "unit_cost": "1"}
    ok(api.post("admin", "/stock/receive", bolts), 201)


# ---------------------------------------------------------------- refusals
def test_request_refusals_answer_their_code_and_write_nothing(api: Api, db: Database) -> None:
    sql(db, "UPDATE items SET active = false WHERE code = 'PUMP'")
    bolt = {"item": "BOLT", "quantity": "1"}
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/sales-orders", {**ORDER, "lines": [{"item": "PUMP", "quantity": "1"}]}, 409,
         "item_inactive"),
        ("/sales-orders", {**ORDER, "customer": "OLD"}, 409, "partner_inactive"),
        ("/sales-orders", {**ORDER, "customer": "ACME"}, 409, "not_a_customer"),
        ("/sales-orders", {**ORDER, "customer": "NOPE"}, 404, "partner_not_found"),
        ("/sales-orders", {**ORDER, "lines": [{"item": "NOPE", "quantity": "1"}]}, 404,
         "item_not_found"),
        ("/sales-orders", {**ORDER, "lines": [{**bolt, "location": "WH2-A"}]}, 422,
         "location_not_in_warehouse"),
        ("/sales-orders", {**ORDER, "lines": [{**bolt, "unit": "kg"}]}, 422,
         "unit_not_convertible"),
        ("/sales-orders", {"warehouse": "WH1", "lines": [bolt]}, 422, "invalid_input"),
        ("/sales-orders", {**ORDER, "lines": []}, 422, "invalid_input"),
        ("/requisitions", {"warehouse": "WH1", "lines": [{"item": "PUMP", "quantity": "1"}]},
         409, "item_inactive"),
        ("/requisitions", {"warehouse": "WH1", "customer": "SHOP", "lines": [bolt]}, 422,
         "invalid_input"),
        ("/requisitions", {"warehouse": "NOPE", "lines": [bolt]}, 404, "warehouse_not_found"),
    ]  # fmt: skip
    before = state(db, DOCUMENT_TABLES)
    for path, body, status, code in cases:
        assert refused(api.post("sales", path, body), status) == code, body
    # a picker may raise requisitions, not sales orders
    assert refused(api.post("picker", "/sales-orders", ORDER), 403) == "permission_denied"
    assert state(db, DOCUMENT_TABLES) == before


def test_step_refusals_answer_their_code_and_write_nothing(api: Api, db: Database) -> None:
    # given the boss's own order waiting for approval, one waiting for the boss, one being
    # picked, one picked and shipped in full, and one allocated
    mine = order(api, "boss", submit=True)
    waiting = order(api, submit=True)
    picking = order(api, lines=[{"item": "GLUE", "quantity": "10", "unit_price": "1"}],
                    submit=True)  # fmt: skip
    ok(api.post("picker", f"/sales-orders/{picking}/allocate"))
    pick = pick_list(api, picking)
    done, shipment = shipped_order(api)
    allocated = allocated_order(api, [{"item": "BOLT", "quantity": "5", "unit_price": "1"}])
    draft = order(api)
    sql(db, "UPDATE lots SET status = 'hold' WHERE code IN ('F-SOON', 'F-LATE', 'F-FAR')")
    held = order(api, lines=[{"item": "GLUE", "quantity": "1", "unit_price": "1"}], submit=True)
    restock = {"item": "BOLT", "quantity": "1", "location": "WH1-A"}
    before = state(db, DOCUMENT_TABLES)
    cases: list[tuple[str, str, Any, int, str]] = [
        ("boss", f"/sales-orders/{mine}/approve", None, 409, "own_document_approval"),
        ("sales", f"/sales-orders/{waiting}/approve", None, 403, "permission_denied"),
        ("boss", f"/sales-orders/{waiting}/reject", None, 422, "reason_required"),
        ("sales", f"/sales-orders/{draft}/approve", None, 403, "permission_denied"),
        ("boss", f"/sales-orders/{draft}/approve", None, 409, "invalid_transition"),
        ("picker", f"/sales-orders/{draft}/allocate", None, 409, "invalid_transition"),
        ("picker", f"/sales-orders/{draft}/ship", None, 409, "invalid_transition"),
        ("picker", f"/sales-orders/{held}/allocate", None, 409, "no_stock_to_allocate"),
        ("picker", f"/sales-orders/{allocated}/allocate", None, 409, "nothing_to_allocate"),
        ("picker", f"/sales-orders/{waiting}/release", None, 409, "invalid_transition"),
        # shipping before anything is picked, and shipping twice
        ("picker", f"/sales-orders/{picking}/ship", None, 409, "nothing_picked"),
        ("picker", f"/sales-orders/{done}/ship", None, 409, "invalid_transition"),
        ("picker", f"/sales-orders/{allocated}/ship", {"packages": 0}, 422, "invalid_input"),
        ("sales", f"/sales-orders/{picking}/cancel", None, 409, "invalid_transition"),
        ("sales", f"/sales-orders/{done}/cancel", None, 409, "invalid_transition"),
        ("sales", f"/sales-orders/{picking}/close", None, 409, "invalid_transition"),
        # picking: another lot, another bin, more than allocated, short without a reason
        ("picker", f"/pick-lists/{pick}/pick",
         {"lines": [{"line": 1, "quantity": "10", "lot": "F-LATE"}]}, 409, "lot_not_allocated"),
        ("picker", f"/pick-lists/{pick}/pick",
         {"lines": [{"line": 1, "location": "WH1-A"}]}, 409, "wrong_location"),
        ("picker", f"/pick-lists/{pick}/pick",
         {"lines": [{"line": 1, "quantity": "11"}]}, 409, "pick_exceeds_allocation"),
        ("picker", f"/pick-lists/{pick}/pick",
         {"lines": [{"line": 1, "quantity": "9"}]}, 422, "short_pick_reason_required"),
        ("picker", f"/pick-lists/{pick}/pick",
         {"lines": [{"line": 7, "quantity": "1"}]}, 422, "unknown_line"),
        ("sales", f"/pick-lists/{pick}/pick", None, 403, "permission_denied"),
        ("picker", "/pick-lists", {"requests": [draft]}, 409, "invalid_transition"),
        ("picker", "/pick-lists", {"requests": [allocated], "kind": "requisition"}, 404,
         "requisition_not_found"),
        # returns: more than shipped, something not shipped, restocking without a bin
        ("picker", "/customer-returns",
         {"shipment": shipment, "lines": [{**restock, "quantity": "21"}]}, 409,
         "return_exceeds_shipped"),
        ("picker", "/customer-returns",
         {"shipment": shipment, "lines": [{**restock, "item": "GLUE", "lot": "F-SOON"}]}, 409,
         "not_shipped"),
        ("picker", "/customer-returns",
         {"shipment": shipment, "lines": [{"item": "BOLT", "quantity": "1"}]}, 422,
         "location_required"),
        ("picker", "/customer-returns", {"shipment": done, "lines": [restock]}, 404,
         "shipment_not_found"),
        ("picker", f"/shipments/{done}/deliver", None, 404, "shipment_not_found"),
        # a number of another type in the path is not found, never a 500
        ("boss", f"/requisitions/{waiting}/approve", None, 404, "requisition_not_found"),
        ("picker", f"/pick-lists/{done}/cancel", None, 404, "pick_list_not_found"),
        ("picker", f"/customer-returns/{shipment}/receive", None, 404,
         "customer_return_not_found"),
    ]  # fmt: skip
    for user, path, body, status, code in cases:
        assert refused(api.post(user, path, body), status) == code, (user, path, body)
    assert state(db, DOCUMENT_TABLES) == before

    # the return of all 20 is then taken; one more piece is refused with what is returnable
    ok(api.post("picker", "/customer-returns",
                {"shipment": shipment, "lines": [{**restock, "quantity": "20"}]}), 201)  # fmt: skip
    again = api.post("picker", "/customer-returns", {"shipment": shipment, "lines": [restock]})
    assert refused(again, 409) == "return_exceeds_shipped"
    assert again.json()["data"]["returnable"] == "0"


def test_a_create_and_a_step_are_replayed_by_their_idempotency_key(api: Api, db: Database) -> None:
    first = api.post("sales", "/sales-orders", ORDER, key="so-1")
    again = api.post("sales", "/sales-orders", ORDER, key="so-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert "Idempotent-Replay" not in first.headers
    assert again.headers["Idempotent-Replay"] == "true"
    assert (again.json()["number"], again.json()["result"]["replayed"]) == (
        first.json()["number"], True,
    )  # fmt: skip
    number = first.json()["number"]
    step = api.post("sales", f"/sales-orders/{number}/submit", {"note": "a"}, key="sub-1")
    before = state(db, DOCUMENT_TABLES)
    repeat = api.post("sales", f"/sales-orders/{number}/submit", {"note": "a"}, key="sub-1")
    assert (step.status_code, repeat.status_code) == (200, 200)
    assert (repeat.headers["Idempotent-Replay"], repeat.json()["state"]) == ("true", "submitted")
    other = api.post("sales", f"/sales-orders/{number}/submit", {"note": "b"}, key="sub-1")
    assert refused(other, 409) == "idempotency_key_reused"
    assert refused(api.post("sales", "/sales-orders", ORDER, key="sub-1"), 409) == (
        "idempotency_key_reused"
    )
    assert state(db, DOCUMENT_TABLES) == before


# ---------------------------------------------------------------- approval rules
def test_approval_rules_are_listed_added_and_removed(api: Api, db: Database) -> None:
    (first,) = ok(api.get("viewer", "/approval-rules"))
    assert first == {
        "id": first["id"], "kind": "sales_order", "warehouse": None, "min_value": "1000",
        "min_quantity": None, "approver_role": None,
    }  # fmt: skip
    body = {"kind": "requisition", "min_quantity": "50", "warehouse": "WH1",
            "approver_role": "warehouse_manager"}  # fmt: skip
    added = ok(api.post("boss", "/approval-rules", body), 201)
    assert {k: v for k, v in added.items() if k != "id"} == {
        "kind": "requisition", "warehouse": "WH1", "min_value": None, "min_quantity": "50",
        "approver_role": "warehouse_manager",
    }  # fmt: skip
    assert [r["id"] for r in ok(api.get("viewer", "/approval-rules", kind="requisition"))] == [
        added["id"]
    ]
    # a viewer of WH2 only sees the company-wide rule
    api.headers["far"] = token_headers(user_with_roles(db, "far", ("viewer", "WH2")))
    assert [r["id"] for r in ok(api.get("far", "/approval-rules"))] == [first["id"]]

    before = state(db, DOCUMENT_TABLES)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("boss", {"kind": "requisition"}, 422, "threshold_required"),
        ("boss", {"kind": "transfer", "min_value": "1"}, 422, "unknown_request_kind"),
        ("boss", {"kind": "requisition", "min_value": "1", "approver_role": "chef"}, 422,
         "unknown_role"),
        ("boss", {"kind": "requisition", "min_value": "-1"}, 422, "invalid_threshold"),
        ("boss", {"kind": "requisition", "min_value": "1", "warehouse": "NOPE"}, 404,
         "warehouse_not_found"),
        ("sales", {"kind": "requisition", "min_value": "1"}, 403, "permission_denied"),
    ]  # fmt: skip
    for user, rule, status, code in cases:
        assert refused(api.post(user, "/approval-rules", rule), status) == code, rule
    assert refused(api.get("viewer", "/approval-rules", kind="nope"), 422) == (
        "unknown_request_kind"
    )
    assert refused(api.delete("sales", f"/approval-rules/{added['id']}"), 403) == (
        "permission_denied"
    )
    assert state(db, DOCUMENT_TABLES) == before

    assert api.delete("boss", f"/approval-rules/{added['id']}").status_code == 204
    assert refused(api.delete("boss", f"/approval-rules/{added['id']}"), 404) == (
        "approval_rule_not_found"
    )
    assert [r["id"] for r in ok(api.get("boss", "/approval-rules"))] == [first["id"]]


def test_adding_an_approval_rule_is_replayed_by_its_idempotency_key(api: Api) -> None:
    body = {"kind": "requisition", "min_value": "300"}
    first = api.post("boss", "/approval-rules", body, key="rule-1")
    again = api.post("boss", "/approval-rules", body, key="rule-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert "Idempotent-Replay" not in first.headers
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    listed = ok(api.get("viewer", "/approval-rules", kind="requisition"))
    assert [r["id"] for r in listed] == [first.json()["id"]]  # added once
    other = api.post("boss", "/approval-rules", {**body, "min_value": "400"}, key="rule-1")
    assert refused(other, 409) == "idempotency_key_reused"
    assert len(ok(api.get("viewer", "/approval-rules", kind="requisition"))) == 1


# ---------------------------------------------------------------- permissions
def test_the_new_routes_are_all_here() -> None:
    assert sorted(r.id for r in OUTBOUND_ROUTES if r.path_params) == sorted(
        [f"POST /{kind}/{{number}}/{step}" for kind in ("sales-orders", "requisitions")
         for step in ("submit", "approve", "reject", "revise", "allocate", "release", "cancel",
                      "close", "ship")]
        + ["POST /pick-lists/{number}/pick", "POST /pick-lists/{number}/cancel",
           "POST /shipments/{number}/deliver", "POST /customer-returns/{number}/receive",
           "POST /customer-returns/{number}/cancel", "DELETE /approval-rules/{rule_id}",
           "GET /shipments/{number}/delivery-note.pdf"]
    )  # fmt: skip
    assert sorted(r.id for r in OUTBOUND_ROUTES if not r.path_params) == [
        "GET /approval-rules", "POST /approval-rules", "POST /customer-returns",
        "POST /pick-lists", "POST /requisitions", "POST /sales-orders",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "route",
    [r for r in OUTBOUND_ROUTES if r.writes],
    ids=[r.id for r in OUTBOUND_ROUTES if r.writes],
)
def test_a_viewer_is_refused_every_outbound_write(api: Api, db: Database, route: Route) -> None:
    number = order(api)
    before = state(db, DOCUMENT_TABLES)
    url = route.url({"number": number, "rule_id": "1"})
    response = api.client.request(route.method, url, json={}, headers=api.headers["viewer"])
    assert refused(response, 403) == "permission_denied"
    assert response.json()["data"]["permission"] == route.declared[0].code  # type: ignore[union-attr]
    assert state(db, DOCUMENT_TABLES) == before
