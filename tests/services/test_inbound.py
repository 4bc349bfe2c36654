"""Inbound on the document framework: order -> approval -> receipt with lots and serials ->
inspection with a partial rejection -> put-away -> supplier return, checked to the unit and
the cent, with the timeline and `verify`; and each refusal writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cangku.db.tables import audit_log, balances, documents, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.domain.errors import (
    InvalidInput,
    InvalidTransition,
    LotRequired,
    NeedsConfirmation,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.inbound.inspections import InspectionLineInput, record_inspection
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    approve_order,
    cancel_order,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import PutawayLineInput, put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.inbound.returns import (
    NewSupplierReturn,
    ReturnLineInput,
    create_supplier_return,
)
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.users import create_user
from tests.factories import CTX, build_company

BUYER = Context(username="buyer")
BOSS = Context(username="boss")
CLERK = Context(username="clerk")
QC = Context(username="qc")


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement), params)
        uow.commit()


@pytest.fixture
def inbound(db: Database) -> Database:
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    set_supplier_item(
        db,
        CTX,
        SupplierItemInput("ACME", "BOLT", price=Decimal("0.5"), currency="CNY", lead_time_days=7),
    )
    for name, role in [
        ("buyer", "purchaser"),
        ("boss", "warehouse_manager"),
        ("clerk", "receiving_clerk"),
        ("qc", "quality_inspector"),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, "WH1")])
    _sql(db, "UPDATE items SET inspection_required = true WHERE code = 'FLOUR'")
    _sql(db, "UPDATE partners SET over_receipt_tolerance = 10000000 WHERE code = 'ACME'")  # 10 %
    _sql(db, "UPDATE company SET po_approval_threshold = 100000000")  # 100.00
    return db


def _on_hand(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.on_hand != 0, locations.c.kind.not_in(["supplier"]))
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _state(db: Database, number: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(select(documents.c.state).where(documents.c.number == number)).scalar_one()
        )


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(moves)).scalar_one(),
            conn.execute(select(func.count()).select_from(documents)).scalar_one(),
            conn.execute(select(func.count()).select_from(audit_log)).scalar_one(),
        )


def _order(db: Database, *lines: OrderLineInput) -> str:
    return create_purchase_order(db, BUYER, NewPurchaseOrder("ACME", "WH1", list(lines))).number


def test_an_order_goes_from_approval_to_registered_stock_and_back_to_the_supplier(
    inbound: Database,
) -> None:
    db = inbound
    # given an order worth 20 x 12 x 0.5 + 50 x 3 = 270.00, above the 100.00 threshold
    number = _order(
        db,
        OrderLineInput("BOLT", "20", unit="box"),
        OrderLineInput("FLOUR", "50", unit_price="3"),
        OrderLineInput("PUMP", "3", unit_price="100"),
    )
    assert number.startswith("PO-WH1-") and number.endswith("-00001")
    assert confirm_order(db, BUYER, number).state == "awaiting_approval"
    with pytest.raises(PermissionDenied):  # a purchaser does not approve
        approve_order(db, BUYER, number)
    assert approve_order(db, BOSS, number).state == "confirmed"

    # when the clerk receives part of it: bolts (no inspection), flour (inspected), pumps
    received = create_receipt(
        db,
        CLERK,
        NewReceipt(
            order=number,
            delivery_note="DN-778",
            lines=[
                ReceiptLineInput("BOLT", "10", unit="box"),
                ReceiptLineInput("FLOUR", "50", lot="F-01", manufactured_on=None),
                ReceiptLineInput("PUMP", "3", serials="SN100-SN102"),
            ],
        ),
    )
    assert received.state == "received"
    assert _state(db, number) == "partially_received"
    assert _on_hand(db) == {
        ("BOLT", "WH1-RCV", None): Decimal(120),
        ("FLOUR", "WH1-QC", "F-01"): Decimal(50),
        ("PUMP", "WH1-RCV", "SN100"): Decimal(1),
        ("PUMP", "WH1-RCV", "SN101"): Decimal(1),
        ("PUMP", "WH1-RCV", "SN102"): Decimal(1),
    }
    with db.read() as conn:
        values = dict(
            conn.execute(
                select(items.c.code, func.sum(moves.c.value))
                .join(items, items.c.id == moves.c.item_id)
                .where(moves.c.document_id == received.number)
                .group_by(items.c.code)
            ).all()
        )
        flour_status = conn.execute(select(lots.c.status).where(lots.c.code == "F-01")).scalar_one()
    assert values == {"BOLT": 60_000_000, "FLOUR": 150_000_000, "PUMP": 300_000_000}
    assert flour_status == "quarantine"
    inspection, putaway = received.data["inspection"], received.data["putaway"]
    assert inspection.startswith("QC-WH1-") and putaway.startswith("PA-WH1-")

    # then the inspector accepts 45 kg and rejects 5 kg as damaged
    done = record_inspection(
        db, QC, inspection,
        [InspectionLineInput(1, accepted="45", rejected="5", reason="damaged", sample_size="5")],
    )  # fmt: skip
    assert done.state == "done"
    assert _on_hand(db)[("FLOUR", "WH1-QC", "F-01")] == Decimal(50)  # the fallback: one QC spot
    second = done.data["putaway"]

    # and the clerk stores everything: bolts and pumps scanned into WH1-A, flour into WH1-B
    assert (
        put_away(db, CLERK, putaway, [PutawayLineInput(n, "WH1-A") for n in (1, 2, 3, 4)]).state
        == "done"
    )
    assert _state(db, received.number) == "received"  # the flour still waits
    stored = put_away(db, CLERK, second, [PutawayLineInput(1, "WH1-B")])
    assert stored.state == "done" and stored.data["receipt_registered"] is True
    assert _state(db, received.number) == "registered"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(120),
        ("FLOUR", "WH1-B", "F-01"): Decimal(45),
        ("FLOUR", "WH1-QC", "F-01"): Decimal(5),
        ("PUMP", "WH1-A", "SN100"): Decimal(1),
        ("PUMP", "WH1-A", "SN101"): Decimal(1),
        ("PUMP", "WH1-A", "SN102"): Decimal(1),
    }

    # finally the rejected flour goes back at the cost it came in with (3.00 / kg)
    back = create_supplier_return(
        db, BOSS,
        NewSupplierReturn(
            receipt=received.number,
            lines=[
                ReturnLineInput("FLOUR", "5", "WH1-QC", lot="F-01", reason="rejected_in_inspection")
            ],
        ),
    )  # fmt: skip
    assert back.state == "returned"
    with db.read() as conn:
        value = conn.execute(
            select(moves.c.value).where(moves.c.id == back.move_ids[0])
        ).scalar_one()
        assert verify(conn).ok
    assert value == 15_000_000
    assert ("FLOUR", "WH1-QC", "F-01") not in _on_hand(db)


def test_refusals_write_nothing(inbound: Database) -> None:
    db = inbound
    number = _order(db, OrderLineInput("BOLT", "10"))
    confirm_order(db, BUYER, number)  # 5.00: no approval needed
    before = _counts(db)
    cases = [
        (
            NewReceipt(order=number, lines=[ReceiptLineInput("GLUE", "1", lot="G")]),
            "item_not_on_order",
        ),
        (NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "11")]), "over_receipt"),
        (NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "11.5")]), "too_many_decimals"),
        (
            NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "20")]),
            "over_receipt_beyond_tolerance",
        ),
        (
            NewReceipt(warehouse="WH1", supplier="ACME", lines=[ReceiptLineInput("GLUE", "1")]),
            "lot_required",
        ),
        (
            NewReceipt(
                warehouse="WH1",
                supplier="ACME",
                lines=[ReceiptLineInput("PUMP", "2", serials="S1,S1")],
            ),
            "duplicate_serial",
        ),
    ]
    for command, code in cases:
        with pytest.raises(
            (InvalidInput, RuleViolation, NeedsConfirmation, LotRequired)
        ) as refused:
            create_receipt(db, CLERK, command)
        assert refused.value.code == code, command
    assert _counts(db) == before
    # over-receipt with confirmation within 10 %: 11 of 10
    ok = create_receipt(
        db,
        CLERK,
        NewReceipt(order=number, confirm_over_receipt=True, lines=[ReceiptLineInput("BOLT", "11")]),
    )
    assert ok.data["over_received_lines"] == [1]
    assert _state(db, number) == "received"
    with pytest.raises(InvalidTransition):
        cancel_order(db, BUYER, number)
    with pytest.raises(InvalidTransition):
        create_receipt(db, CLERK, NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "1")]))


def test_the_same_step_twice_is_an_invalid_transition(inbound: Database) -> None:
    db = inbound
    number = _order(db, OrderLineInput("BOLT", "1"))
    confirm_order(db, BUYER, number)
    with pytest.raises(InvalidTransition) as again:
        confirm_order(db, BUYER, number)
    assert again.value.data["state"] == "confirmed"
    with pytest.raises(PermissionDenied):
        confirm_order(db, CLERK, number)


def _on_order(db: Database) -> Decimal:
    from cangku.queries.documents import on_order_of

    with db.read() as conn:
        return on_order_of(conn, "BOLT")


def _inbox(db: Database, ctx: Context) -> list[tuple[str, str | None]]:
    from cangku.queries.documents import my_tasks
    from cangku.services.common import load_actor

    with db.read() as conn:
        actor = load_actor(conn, ctx)
        page = my_tasks(conn, actor, date(2026, 12, 3))
        return [(task.number, task.next_step) for task in page.items]


def test_each_role_sees_the_step_that_waits_on_it_and_is_told_when_it_arrives(
    inbound: Database,
) -> None:
    from cangku.services.tasks import assign_document, notifications_of, take_document

    db = inbound
    number = _order(db, OrderLineInput("BOLT", "300"))  # 150.00: above the threshold
    assert _inbox(db, BUYER) == [(number, "confirm")]
    assert _inbox(db, CLERK) == [] and _inbox(db, BOSS) == [(number, "confirm")]
    confirm_order(db, BUYER, number)
    assert _inbox(db, BUYER) == [] and _inbox(db, BOSS) == [(number, "approve")]
    assert [n.message["step"] for n in notifications_of(db, BOSS)] == ["approve", "confirm"]
    approve_order(db, BOSS, number)
    assert _on_order(db) == Decimal(300)
    assert _inbox(db, CLERK) == [(number, "receive")]
    assert notifications_of(db, CLERK, unread_only=True)[0].message == {
        "doc_type": "purchase_order",
        "number": number,
        "state": "confirmed",
        "step": "receive",
    }
    # given to the boss, the clerk no longer sees it; the clerk takes it back
    assign_document(db, BOSS, number, "boss")
    assert _inbox(db, CLERK) == [] and _inbox(db, BOSS) == [(number, "receive")]
    with pytest.raises(RuleViolation) as cannot:
        assign_document(db, BOSS, number, "qc")
    assert cannot.value.code == "assignee_cannot_do_step"
    take_document(db, CLERK, number)
    assert _inbox(db, CLERK) == [(number, "receive")] and _inbox(db, BOSS) == []
    received = create_receipt(
        db, CLERK, NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "300")])
    )
    assert _inbox(db, CLERK) == [(received.data["putaway"], "put_away")]
    assert _on_order(db) == Decimal(0)
    with db.read() as conn:
        from cangku.queries.documents import get_document

        view = get_document(conn, number)
    assert [(e.step, e.from_state, e.to_state) for e in view.events] == [
        ("create", None, "draft"),
        ("confirm", "draft", "awaiting_approval"),
        ("approve", "awaiting_approval", "confirmed"),
        ("assign", "confirmed", "confirmed"),
        ("take", "confirmed", "confirmed"),
        ("receive", "confirmed", "received"),
    ]
    assert [(c[1], c[2]) for c in view.children] == [("receipt", "received")]
