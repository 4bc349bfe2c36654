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


def _received(db: Database, *lines: ReceiptLineInput) -> Any:
    return create_receipt(
        db, CLERK, NewReceipt(warehouse="WH1", supplier="ACME", lines=list(lines))
    )


def test_put_away_refuses_a_full_a_wrong_type_or_a_non_storage_location(inbound: Database) -> None:
    db = inbound
    _sql(db, "UPDATE locations SET capacity = 5000000 WHERE code = 'WH1-B'")  # 5 units
    _sql(db, "UPDATE locations SET allowed_item_types = 'raw_material' WHERE code = 'WH1-A-01'")
    putaway = _received(db, ReceiptLineInput("BOLT", "8")).data["putaway"]
    before = (_counts(db), _on_hand(db))
    for location, code in [
        ("WH1-B", "location_capacity_exceeded"),
        ("WH1-A-01", "item_type_not_allowed"),
        ("WH1-SHIP", "putaway_location_not_storage"),
        ("WH2-A", "location_not_in_warehouse"),
    ]:
        with pytest.raises((RuleViolation, InvalidInput)) as refused:
            put_away(db, CLERK, putaway, [PutawayLineInput(1, location)])
        assert refused.value.code == code, location
    with pytest.raises(RuleViolation) as too_much:
        put_away(db, CLERK, putaway, [PutawayLineInput(1, "WH1-A", "9")])
    assert too_much.value.code == "putaway_more_than_waiting"
    with pytest.raises(InvalidInput) as no_bin:
        put_away(db, CLERK, putaway)  # no rule and no default location: nothing to suggest
    assert no_bin.value.code == "location_required"
    assert (_counts(db), _on_hand(db)) == before
    # a partial put-away keeps the document open; the rest closes it and registers the receipt
    assert put_away(db, CLERK, putaway, [PutawayLineInput(1, "WH1-B", "5")]).state == "open"
    done = put_away(db, CLERK, putaway, [PutawayLineInput(1, "WH1-A")])
    assert (done.state, done.data["receipt_registered"]) == ("done", True)
    assert _on_hand(db) == {
        ("BOLT", "WH1-B", None): Decimal(5),
        ("BOLT", "WH1-A", None): Decimal(3),
    }


def test_inspection_refusals_and_stock_under_inspection(inbound: Database) -> None:
    from cangku.services.stock import issue_stock, reserve_stock
    from cangku.services.stock_commands import Issue, Reservation

    db = inbound
    received = _received(db, ReceiptLineInput("FLOUR", "10", lot="F-7"))
    inspection = received.data["inspection"]
    before = (_counts(db), _on_hand(db))
    for line, code in [
        (
            InspectionLineInput(1, accepted="8", rejected="3", reason="damaged"),
            "inspect_more_than_received",
        ),
        (InspectionLineInput(1, rejected="1"), "reason_required"),
        (InspectionLineInput(1, rejected="1", reason="smelly"), "unknown_reason_code"),
        (InspectionLineInput(2, accepted="1"), "unknown_line"),
        (InspectionLineInput(1), "quantity_not_positive"),
    ]:
        with pytest.raises((RuleViolation, InvalidInput)) as refused:
            record_inspection(db, QC, inspection, [line])
        assert refused.value.code == code, line
    with pytest.raises(RuleViolation) as blocked:
        issue_stock(db, CTX, Issue("FLOUR", Decimal(1), "WH1-QC", lot="F-7"))
    assert blocked.value.code == "stock_under_inspection"
    with pytest.raises(RuleViolation) as held:
        reserve_stock(db, CTX, Reservation("FLOUR", Decimal(1), "WH1-QC", lot="F-7"))
    assert held.value.code == "stock_under_inspection"
    assert (_counts(db), _on_hand(db)) == before
    # partial: 4 accepted now, the rest later; the lot is released at the first acceptance
    assert (
        record_inspection(db, QC, inspection, [InspectionLineInput(1, accepted="4")]).state
        == "open"
    )
    last = record_inspection(
        db, QC, inspection, [InspectionLineInput(1, rejected="6", reason="defective")]
    )
    assert last.state == "done"
    with pytest.raises(InvalidTransition):
        record_inspection(db, QC, inspection, [InspectionLineInput(1, accepted="1")])
    with db.read() as conn:
        status = conn.execute(select(lots.c.status).where(lots.c.code == "F-7")).scalar_one()
    assert status == "available"


def test_a_wholly_rejected_lot_is_rejected_and_its_receipt_registered(inbound: Database) -> None:
    db = inbound
    received = _received(db, ReceiptLineInput("FLOUR", "4", lot="F-8"))
    done = record_inspection(
        db,
        QC,
        received.data["inspection"],
        [InspectionLineInput(1, rejected="4", reason="expired")],
    )
    assert (done.state, done.data["putaway"], done.data["receipt_registered"]) == (
        "done",
        None,
        True,
    )
    assert _state(db, received.number) == "registered"
    with db.read() as conn:
        assert (
            conn.execute(select(lots.c.status).where(lots.c.code == "F-8")).scalar_one()
            == "rejected"
        )


def test_receipt_refusals_of_dates_orders_and_approvers(inbound: Database) -> None:
    db = inbound
    cancelled = _order(db, OrderLineInput("BOLT", "10"))
    cancel_order(db, BUYER, cancelled)
    own = create_purchase_order(
        db, BOSS, NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "400")])
    ).number
    confirm_order(db, BOSS, own)
    before = _counts(db)
    with pytest.raises(InvalidTransition) as closed:
        create_receipt(
            db, CLERK, NewReceipt(order=cancelled, lines=[ReceiptLineInput("BOLT", "1")])
        )
    assert closed.value.data["state"] == "cancelled"
    with pytest.raises(InvalidInput) as dates:
        _received(
            db,
            ReceiptLineInput(
                "GLUE", "1", lot="G1", manufactured_on=date(2026, 5, 1), expires_on=date(2026, 4, 1)
            ),
        )
    assert dates.value.code == "expiry_before_manufacture"
    with pytest.raises(RuleViolation) as mine:
        approve_order(db, BOSS, own)
    assert mine.value.code == "own_document_approval"
    assert _counts(db) == before


def test_a_step_repeated_with_its_idempotency_key_answers_once(inbound: Database) -> None:
    db = inbound
    keyed = Context(username="clerk", idempotency_key="gr-1")
    command = NewReceipt(warehouse="WH1", supplier="ACME", lines=[ReceiptLineInput("BOLT", "3")])
    first = create_receipt(db, keyed, command)
    before = _counts(db)
    again = create_receipt(db, keyed, command)
    assert (again.number, again.move_ids, again.replayed) == (first.number, first.move_ids, True)
    assert _counts(db) == before
    step = Context(username="clerk", idempotency_key="pa-1")
    stored = put_away(db, step, first.data["putaway"], [PutawayLineInput(1, "WH1-A")])
    assert (
        put_away(db, step, first.data["putaway"], [PutawayLineInput(1, "WH1-A")]).move_ids
        == stored.move_ids
    )
    assert _on_hand(db) == {("BOLT", "WH1-A", None): Decimal(3)}
