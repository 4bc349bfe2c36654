"""The recall story on SQLite and PostgreSQL: a lot received from a supplier on a receipt, put
away, shipped in part to a customer (sales order, pick list, shipment), partly returned,
issued in part to production (a requisition), scrapped, written off, moved between bins and
reserved; then recalled. The trace accounts for every unit: where it came from, where it is,
where it went, with the documents and partners, and received + returned = on hand + out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.tables import documents
from cangku.db.uow import Database
from cangku.queries.lot_trace import TRACE_HEADERS, TracePlace, lot_trace, trace_rows
from cangku.queries.lots import get_lot
from cangku.queries.verify import verify
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.lots import recall_lot
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import NewRequest, RequestLineInput, create_request
from cangku.services.outbound.returns import (
    CustomerReturnLineInput,
    NewCustomerReturn,
    create_customer_return,
)
from cangku.services.outbound.shipping import ship_request
from cangku.services.stock import adjust_stock, scrap_stock, transfer_stock
from cangku.services.stock_commands import Adjust, Scrap, Transfer
from tests.factories import CTX
from tests.services.test_outbound import BOSS, PICKER, SALES, _reserved, build_outbound

EXPIRES = date(2030, 1, 31)


def _request(db: Database, kind: str, quantity: str, **kw: str) -> str:
    line = RequestLineInput("GLUE", quantity, unit_price="1", lot="R-1")
    return create_request(db, SALES, NewRequest(kind, "WH1", [line], submit=True, **kw)).number


def _ship(db: Database, kind: str, number: str) -> str:
    allocate_request(db, PICKER, kind, number)
    pick = create_pick_list(db, PICKER, [number], kind=kind)
    confirm_pick(db, PICKER, pick.number)
    shipment = ship_request(db, PICKER, kind, number).data["shipment"]
    assert isinstance(shipment, str)
    return shipment


@pytest.fixture
def story(db: Database) -> dict[str, str]:
    build_outbound(db)
    receipt = create_receipt(
        db,
        CTX,
        NewReceipt(
            [ReceiptLineInput("GLUE", "100", lot="R-1", unit_price="2", expires_on=EXPIRES)],
            warehouse="WH1",
            supplier="ACME",
            delivery_note="DN-7",
        ),
    ).number
    transfer_stock(db, CTX, Transfer("GLUE", "100", "WH1-RCV", "WH1-A", lot="R-1"))
    order = _request(db, "sales_order", "40", customer="SHOP")
    shipment = _ship(db, "sales_order", order)
    requisition = _request(db, "requisition", "25", department="Assembly")
    issue = _ship(db, "requisition", requisition)
    create_customer_return(
        db,
        CTX,
        NewCustomerReturn(
            shipment,
            [CustomerReturnLineInput("GLUE", "3", lot="R-1", reason="damaged", location="WH1-B")],
        ),
    )
    scrap_stock(db, CTX, Scrap("GLUE", "5", "WH1-A", lot="R-1", reason_code="damaged"))
    adjust_stock(db, CTX, Adjust("GLUE", "-2", "WH1-A", "lost", lot="R-1"))
    transfer_stock(db, CTX, Transfer("GLUE", "10", "WH1-A", "WH1-A-01", lot="R-1"))
    # an open order holds 8 of the lot when the recall comes
    pending = _request(db, "sales_order", "8", customer="SHOP")
    allocate_request(db, PICKER, "sales_order", pending)
    return {
        "receipt": receipt,
        "order": order,
        "shipment": shipment,
        "requisition": requisition,
        "issue": issue,
        "pending": pending,
    }


def test_recall_trace_accounts_for_every_unit(db: Database, story: dict[str, str]) -> None:
    # when the lot is recalled
    recalled = recall_lot(db, BOSS, "GLUE", "R-1", "supplier recall RC-2026-3")
    assert [(r.document, r.quantity, r.state) for r in recalled.released] == [
        (story["pending"], Decimal(8), "approved")
    ]
    assert ("GLUE", "WH1-A", "R-1") not in _reserved(db)

    lot = get_lot(db, "GLUE", "R-1")
    with db.read() as conn:
        trace = lot_trace(conn, lot.id)
        assert verify(conn).ok

    # where it came from: the receipt from ACME, and the customer's return
    [back] = _numbers(db, "customer_return")
    assert trace.status == "recalled"
    assert [
        (m.category, m.quantity, m.location, m.document_type, m.document, m.partner)
        for m in trace.came_from
    ] == [
        ("received", Decimal(100), "WH1-RCV", "receipt", story["receipt"], "ACME"),
        (
            "returned_by_customers",
            Decimal(3),
            "WH1-B",
            "customer_return",
            back,
            "SHOP",
        ),
    ]
    # where every unit is now (nothing reserved any more)
    assert trace.now_at == [
        TracePlace("WH1", "WH1-A", "internal", Decimal(18), Decimal(0)),
        TracePlace("WH1", "WH1-A-01", "internal", Decimal(10), Decimal(0)),
        TracePlace("WH1", "WH1-B", "internal", Decimal(3), Decimal(0)),
    ]
    # where it went: the customer, production, scrap and a write-off (one-line adjustments)
    scrap, loss = _numbers(db, "adjustment")
    assert [
        (m.category, m.quantity, m.location, m.document, m.shipment, m.partner, m.department)
        for m in trace.went_to
    ] == [
        ("shipped", Decimal(40), "WH1-SHIP", story["order"], story["shipment"], "SHOP", None),
        (
            "issued_to_production", Decimal(25), "WH1-SHIP", story["requisition"], story["issue"],
            None, "Assembly",
        ),
        ("scrapped", Decimal(5), "WH1-A", scrap, None, None, None),
        ("adjusted_out", Decimal(2), "WH1-A", loss, None, None, None),
    ]  # fmt: skip
    assert [m.reason_code for m in trace.went_to[2:]] == ["damaged", "lost"]
    assert trace.went_to[0].partner_name == "Corner Shop"

    # and the totals reconcile: 100 + 3 = 31 + 40 + 25 + 5 + 2
    assert trace.totals == {
        "received": Decimal(100),
        "returned_by_customers": Decimal(3),
        "adjusted_in": Decimal(0),
        "from_production": Decimal(0),
        "recovered_from_scrap": Decimal(0),
        "shipped": Decimal(40),
        "issued_to_production": Decimal(25),
        "scrapped": Decimal(5),
        "adjusted_out": Decimal(2),
        "returned_to_suppliers": Decimal(0),
        "total_in": Decimal(103),
        "total_out": Decimal(72),
        "on_hand": Decimal(31),
        "reserved": Decimal(0),
    }
    assert trace.balanced
    assert trace.complete


def test_trace_as_a_table(db: Database, story: dict[str, str]) -> None:
    lot = get_lot(db, "GLUE", "R-1")
    with db.read() as conn:
        trace = lot_trace(conn, lot.id)

    rows = trace_rows(trace)

    assert len(TRACE_HEADERS) == 15
    assert [(r[0], r[1], r[5]) for r in rows[:9]] == [
        ("came_from", "received", Decimal(100)),
        ("came_from", "returned_by_customers", Decimal(3)),
        ("now_at", "internal", Decimal(18)),
        ("now_at", "internal", Decimal(10)),
        ("now_at", "internal", Decimal(3)),
        ("went_to", "shipped", Decimal(40)),
        ("went_to", "issued_to_production", Decimal(25)),
        ("went_to", "scrapped", Decimal(5)),
        ("went_to", "adjusted_out", Decimal(2)),
    ]
    assert rows[2][6] == Decimal(8)  # WH1-A: the pending order's reservation
    assert rows[-1] == ["total", "reserved", None, None, None, Decimal(8), None, *[None] * 8]
    assert all(len(r) == len(TRACE_HEADERS) for r in rows)


def test_a_lot_never_moved_has_an_empty_balanced_trace(db: Database) -> None:
    build_outbound(db)
    from cangku.services.lots import LotInput, create_lot

    lot = create_lot(db, CTX, LotInput("GLUE", "EMPTY"))
    with db.read() as conn:
        trace = lot_trace(conn, lot.id)
    assert (trace.came_from, trace.now_at, trace.went_to) == ([], [], [])
    assert trace.balanced


def _numbers(db: Database, doc_type: str) -> list[str]:
    with db.read() as conn:
        found = conn.execute(
            select(documents.c.number)
            .where(documents.c.doc_type == doc_type)
            .order_by(documents.c.id)
        )
        return [str(n) for n in found.scalars()]
