"""Issue 12's story, end to end through the services, every setting through its own face:
a buyer's order waits for approval, the manager approves, the clerk receives lots and serials,
the inspector rejects part of a lot, the clerk stores the rest, the rejected goods go back to
the supplier at the cost they came in with. At each step: what each role's inbox holds, stock
by location and lot, cost layers and values to the cent, the timeline, and ``verify``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from cangku.db.tables import cost_layers, items, moves
from cangku.db.uow import Database
from cangku.domain.company import CompanyChanges
from cangku.queries.documents import get_document, my_tasks
from cangku.queries.stock import StockFilter, on_hand
from cangku.queries.verify import verify
from cangku.services.common import Context, load_actor
from cangku.services.company import update_company
from cangku.services.inbound.inspections import InspectionLineInput, record_inspection
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    approve_order,
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
from cangku.services.items import update_item
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.putaway_rules import add_putaway_rule
from cangku.services.users import create_user
from cangku.services.warehouses import (
    LocationInput,
    WarehouseChanges,
    create_location,
    update_warehouse,
)
from tests.factories import CTX, build_company

ROLES = {
    "buyer": "purchaser",
    "boss": "warehouse_manager",
    "clerk": "receiving_clerk",
    "qc": "quality_inspector",
}
DAY = date(2026, 12, 3)


def inboxes(db: Database) -> dict[str, list[tuple[str, str | None]]]:
    """Each role's tasks: (document type, next step), overdue first."""
    found = {}
    with db.read() as conn:
        for name in ROLES:
            actor = load_actor(conn, Context(username=name))
            found[name] = [(t.doc_type, t.next_step) for t in my_tasks(conn, actor, DAY).items]
    return found


def stock(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = on_hand(conn, StockFilter(), limit=500).items
    return {(r.item, r.location, r.lot): r.on_hand for r in rows}


def layers(db: Database, item: str) -> list[tuple[Decimal, Decimal, Decimal]]:
    """The item's FIFO layers, oldest first: (unit cost, remaining quantity, remaining value)."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                cost_layers.c.unit_cost, cost_layers.c.remaining_qty, cost_layers.c.remaining_value
            )
            .join(items, items.c.id == cost_layers.c.item_id)
            .where(items.c.code == item)
            .order_by(cost_layers.c.id)
        )
        return [tuple(Decimal(v) / 10**6 for v in row) for row in rows]  # type: ignore[misc]


def test_an_inbound_batch_from_order_to_registered_stock_and_back(db: Database) -> None:
    # the company: approval above 100.00, glue (lot, FIFO) inspected, a rejection location,
    # glue put away into WH1-B by rule, four people with their roles in WH1
    build_company(db)
    update_company(db, CTX, CompanyChanges(po_approval_threshold=Decimal("100")))
    update_item(db, CTX, "GLUE", {"inspection_required": True})
    create_location(
        db, CTX, LocationInput("WH1-REJ", "Rejected goods", kind="quality", warehouse="WH1")
    )
    update_warehouse(db, CTX, "WH1", WarehouseChanges(rejection_location="WH1-REJ"))
    add_putaway_rule(db, CTX, "WH1", "WH1-B", item="GLUE")
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    for name, role in ROLES.items():
        create_user(db, CTX, name, name.title(), roles=[(role, "WH1")])
    # an older glue layer at 2.00, so FIFO alone would return the wrong cost
    old = create_receipt(
        db,
        CTX,
        NewReceipt(
            warehouse="WH1",
            supplier="ACME",
            lines=[ReceiptLineInput("GLUE", "5", lot="G-0", unit_price="2")],
        ),
    )
    record_inspection(db, CTX, old.data["inspection"], [InspectionLineInput(1, accepted="5")])
    put_away(db, CTX, str(get_document_number(db, old.number, "putaway")))
    assert inboxes(db) == {"buyer": [], "boss": [], "clerk": [], "qc": []}

    # the buyer orders 20 glue at 2.50 and 3 pumps at 40.00: 170.00, above the threshold
    order = create_purchase_order(
        db,
        Context(username="buyer"),
        NewPurchaseOrder(
            "ACME",
            "WH1",
            [
                OrderLineInput("GLUE", "20", unit_price="2.5"),
                OrderLineInput("PUMP", "3", unit_price="40"),
            ],
            reference="Q-2026-118",
        ),
    ).number
    assert inboxes(db)["buyer"] == [("purchase_order", "confirm")]
    assert confirm_order(db, Context(username="buyer"), order).state == "awaiting_approval"
    assert inboxes(db) == {
        "buyer": [],
        "boss": [("purchase_order", "approve")],
        "clerk": [],
        "qc": [],
    }
    approve_order(db, Context(username="boss"), order, note="ok for December")
    assert inboxes(db)["clerk"] == [("purchase_order", "receive")]

    # the clerk receives 10 glue of lot G-1 and the three pumps by their serial range
    receipt = create_receipt(
        db,
        Context(username="clerk"),
        NewReceipt(
            order=order,
            delivery_note="DN-5521",
            lines=[
                ReceiptLineInput("GLUE", "10", lot="G-1", expires_on=date(2027, 12, 31)),
                ReceiptLineInput("PUMP", "3", serials="P-07-P-09"),
            ],
        ),
    )
    inspection, putaway = receipt.data["inspection"], receipt.data["putaway"]
    assert stock(db) == {
        ("GLUE", "WH1-B", "G-0"): Decimal(5),
        ("GLUE", "WH1-QC", "G-1"): Decimal(10),
        ("PUMP", "WH1-RCV", "P-07"): Decimal(1),
        ("PUMP", "WH1-RCV", "P-08"): Decimal(1),
        ("PUMP", "WH1-RCV", "P-09"): Decimal(1),
    }
    assert layers(db, "GLUE") == [
        (Decimal(2), Decimal(5), Decimal(10)),
        (Decimal("2.5"), Decimal(10), Decimal(25)),
    ]
    assert inboxes(db) == {
        "buyer": [],
        "boss": [("purchase_order", "receive"), ("inspection", "inspect"), ("putaway", "put_away")],
        "clerk": [("purchase_order", "receive"), ("putaway", "put_away")],
        "qc": [("inspection", "inspect")],
    }

    # the inspector takes a sample of 2, accepts 7 and rejects 3 as defective
    checked = record_inspection(
        db,
        Context(username="qc"),
        inspection,
        [InspectionLineInput(1, accepted="7", rejected="3", reason="defective", sample_size="2")],
    )
    assert stock(db)[("GLUE", "WH1-REJ", "G-1")] == Decimal(3)
    assert stock(db)[("GLUE", "WH1-QC", "G-1")] == Decimal(7)
    second = checked.data["putaway"]
    with db.read() as conn:
        suggested = get_document(conn, second).lines[0].target_location
    assert suggested == "WH1-B"  # the rule

    # the clerk stores the pumps in WH1-A and the accepted glue where the rule says
    put_away(
        db, Context(username="clerk"), putaway, [PutawayLineInput(n, "WH1-A") for n in (1, 2, 3)]
    )
    done = put_away(db, Context(username="clerk"), second)
    assert done.data["receipt_registered"] is True
    assert inboxes(db) == {
        "buyer": [],
        "boss": [("purchase_order", "receive")],
        "clerk": [("purchase_order", "receive")],
        "qc": [],
    }

    # the rejected glue goes back at 2.50, the cost it came in with (not FIFO's 2.00)
    back = create_supplier_return(
        db,
        Context(username="boss"),
        NewSupplierReturn(
            receipt=receipt.number,
            lines=[
                ReturnLineInput("GLUE", "3", "WH1-REJ", lot="G-1", reason="rejected_in_inspection")
            ],
        ),
    )
    with db.read() as conn:
        value = conn.execute(
            select(moves.c.value).where(moves.c.id == back.move_ids[0])
        ).scalar_one()
        story = get_document(conn, receipt.number)
        bought = get_document(conn, order)
        assert verify(conn).ok
    assert value == 7_500_000
    assert layers(db, "GLUE") == [
        (Decimal(2), Decimal(5), Decimal(10)),
        (Decimal("2.5"), Decimal(7), Decimal("17.5")),
    ]
    assert stock(db) == {
        ("GLUE", "WH1-B", "G-0"): Decimal(5),
        ("GLUE", "WH1-B", "G-1"): Decimal(7),
        ("PUMP", "WH1-A", "P-07"): Decimal(1),
        ("PUMP", "WH1-A", "P-08"): Decimal(1),
        ("PUMP", "WH1-A", "P-09"): Decimal(1),
    }
    # the timelines: who did what, in order
    assert [(e.user, e.step, e.to_state) for e in bought.events] == [
        ("buyer", "create", "draft"),
        ("buyer", "confirm", "awaiting_approval"),
        ("boss", "approve", "confirmed"),
        ("clerk", "receive", "partially_received"),
    ]
    assert bought.events[2].note == "ok for December"
    assert [(e.user, e.step, e.to_state) for e in story.events] == [
        ("clerk", "create", "draft"),
        ("clerk", "receive", "received"),
        ("clerk", "register", "registered"),
    ]
    assert (story.reference, story.origin) == ("DN-5521", order)
    assert [(c[1], c[2]) for c in story.children] == [
        ("inspection", "done"),
        ("putaway", "done"),
        ("putaway", "done"),
        ("supplier_return", "returned"),
    ]
    assert [(x.item, x.quantity, x.done) for x in bought.lines] == [
        ("GLUE", Decimal(20), Decimal(10)),
        ("PUMP", Decimal(3), Decimal(3)),
    ]


def get_document_number(db: Database, receipt: str, doc_type: str) -> str:
    with db.read() as conn:
        return next(c[0] for c in get_document(conn, receipt).children if c[1] == doc_type)
