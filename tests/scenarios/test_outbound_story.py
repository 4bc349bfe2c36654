"""The outbound story on SQLite and PostgreSQL: sales order -> approval -> FEFO allocation ->
pick list with one short pick -> partial shipment -> backorder -> final shipment -> customer
return, with exact quantities, lots, reserved and available figures and cost of goods to the
cent; and a requisition to production that approves itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.tables import documents, locations, moves
from cangku.db.uow import Database
from cangku.domain.errors import PermissionDenied, RuleViolation
from cangku.queries.outbound import request_lines
from cangku.queries.verify import verify
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import PickLineInput, confirm_pick, create_pick_list
from cangku.services.outbound.requests import (
    NewRequest,
    RequestLineInput,
    approve_request,
    create_request,
    submit_request,
)
from cangku.services.outbound.returns import (
    CustomerReturnLineInput,
    NewCustomerReturn,
    create_customer_return,
)
from cangku.services.outbound.shipping import ship_request
from tests.factories import CTX
from tests.services.test_outbound import (
    BOSS,
    PICKER,
    SALES,
    _on_hand,
    _order,
    _reserved,
    build_outbound,
)


@pytest.fixture
def outbound(db: Database) -> Database:
    return build_outbound(db)


def _available(db: Database, item: str, where: str, lot: str | None) -> Decimal:
    from sqlalchemy import func

    from cangku.db.tables import balances, items, locations, lots

    with db.read() as conn:
        value = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand - balances.c.reserved), 0))
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(lots, lots.c.id == balances.c.lot_id, isouter=True)
            .where(items.c.code == item, locations.c.code == where)
            .where(lots.c.code == lot if lot else balances.c.lot_id.is_(None))
        ).scalar()
    return Decimal(value) / 10**6


def test_sales_order_story_fefo_short_pick_backorder_and_return(outbound: Database) -> None:
    # given an order worth 1,200 (over the 1,000 rule): it waits for approval
    number = _order(outbound)
    assert submit_request(outbound, SALES, "sales_order", number).state == "submitted"
    with pytest.raises(PermissionDenied):
        approve_request(outbound, SALES, "sales_order", number)
    assert approve_request(outbound, BOSS, "sales_order", number).state == "approved"

    # FEFO: 30 of F-SOON, then 30 of F-LATE
    allocated = allocate_request(outbound, PICKER, "sales_order", number)
    assert allocated.state == "allocated"
    assert allocated.data["allocated"] == {"1": "60"}
    assert allocated.data["short"] == {}
    assert _reserved(outbound) == {
        ("GLUE", "WH1-B", "F-SOON"): Decimal(30),
        ("GLUE", "WH1-A", "F-LATE"): Decimal(30),
    }
    assert _available(outbound, "GLUE", "WH1-B", "F-SOON") == 0
    assert _available(outbound, "GLUE", "WH1-A", "F-LATE") == Decimal(10)
    assert _available(outbound, "GLUE", "WH1-A-01", "F-FAR") == Decimal(50)

    # a pick list in walking order: WH1-A before WH1-B
    pick = create_pick_list(outbound, PICKER, [number])
    assert pick.state == "open"
    with outbound.read() as conn:
        state = conn.execute(select(documents.c.state).where(documents.c.number == number)).scalar()
    assert state == "picking"

    # short pick: only 20 of F-LATE at WH1-A; the other 10 are allocated again from F-FAR
    confirmed = confirm_pick(
        outbound,
        PICKER,
        pick.number,
        [
            PickLineInput(1, "20", location="WH1-A", lot="F-LATE", reason="not_found"),
            PickLineInput(2, "30", location="WH1-B", lot="F-SOON"),
        ],
    )
    assert confirmed.state == "done"
    assert confirmed.data["reallocated"] == {number: "10"}
    assert _reserved(outbound) == {
        ("GLUE", "WH1-SHIP", "F-LATE"): Decimal(20),
        ("GLUE", "WH1-SHIP", "F-SOON"): Decimal(30),
        ("GLUE", "WH1-A-01", "F-FAR"): Decimal(10),
    }

    # partial shipment: the 50 picked leave at the item's FIFO layers: 40 x 2 + 10 x 3 = 110
    shipped = ship_request(
        outbound, PICKER, "sales_order", number, carrier="SF", tracking_number="SF123", packages=2
    )
    assert shipped.state == "partially_shipped"
    assert shipped.data["cost_of_goods"] == "110"
    shipment = shipped.data["shipment"]
    assert _reserved(outbound) == {("GLUE", "WH1-A-01", "F-FAR"): Decimal(10)}
    assert _on_hand(outbound, "GLUE", "WH1-SHIP", "F-LATE") == 0
    # the 20 not found at WH1-A are still on its books (a count will settle them)
    assert _available(outbound, "GLUE", "WH1-A", "F-LATE") == Decimal(20)
    assert _available(outbound, "GLUE", "WH1-A-01", "F-FAR") == Decimal(40)
    with outbound.read() as conn:
        [line] = request_lines(conn, number)
    assert (line.ordered, line.reserved, line.picked, line.shipped, line.backorder) == (
        Decimal(60),
        Decimal(10),
        Decimal(0),
        Decimal(50),
        Decimal(0),
    )

    # the backorder: pick and ship the 10 of F-FAR
    second = create_pick_list(outbound, PICKER, [number])
    confirm_pick(outbound, PICKER, second.number)
    final = ship_request(outbound, PICKER, "sales_order", number)
    assert final.state == "shipped"
    assert final.data["cost_of_goods"] == "30"  # 10 more of the 3.00 layer
    assert _reserved(outbound) == {}

    # the customer returns 5 of F-SOON at the cost they left with: its move took 20 x 2 +
    # 10 x 3 for 30 units, 2.333333 each
    back = create_customer_return(
        outbound,
        CTX,
        NewCustomerReturn(
            shipment,
            [
                CustomerReturnLineInput(
                    "GLUE", "5", lot="F-SOON", reason="damaged", location="WH1-B"
                )
            ],
        ),
    )
    assert back.state == "received"
    assert _on_hand(outbound, "GLUE", "WH1-B", "F-SOON") == Decimal(5)
    with outbound.read() as conn:
        cost = conn.execute(
            select(moves.c.unit_cost).where(moves.c.id == back.move_ids[0])
        ).scalar()
    assert cost == 2_333_333
    with pytest.raises(RuleViolation) as too_many:
        create_customer_return(
            outbound,
            CTX,
            NewCustomerReturn(
                shipment,
                [
                    CustomerReturnLineInput(
                        "GLUE", "26", lot="F-SOON", reason="damaged", location="WH1-B"
                    )
                ],
            ),
        )
    assert too_many.value.code == "return_exceeds_shipped"
    with outbound.read() as conn:
        assert verify(conn).ok


def test_small_requisition_approves_itself_and_ships_to_production(outbound: Database) -> None:
    result = create_request(
        outbound,
        SALES,
        NewRequest(
            "requisition",
            "WH1",
            [RequestLineInput("BOLT", "10")],
            department="Assembly",
            plan_reference="MO-7",
            submit=True,
        ),
    )
    assert result.state == "approved"
    allocate_request(outbound, PICKER, "requisition", result.number)
    create_pick_list(outbound, PICKER, [result.number], kind="requisition")
    with outbound.read() as conn:
        pick = conn.execute(
            select(documents.c.number).where(documents.c.doc_type == "pick_list")
        ).scalar_one()
    confirm_pick(outbound, PICKER, pick)
    shipped = ship_request(outbound, PICKER, "requisition", result.number)
    assert shipped.state == "shipped"
    assert shipped.data["cost_of_goods"] == "5"
    assert _on_hand(outbound, "BOLT", "WH1-A", None) == Decimal(90)
    # 4 bolts come back unused: from production, where they went, not from a customer
    with outbound.read() as conn:
        shipment = conn.execute(
            select(documents.c.number).where(documents.c.doc_type == "shipment")
        ).scalar_one()
    back = create_customer_return(
        outbound,
        CTX,
        NewCustomerReturn(
            shipment, [CustomerReturnLineInput("BOLT", "4", reason="not_needed", location="WH1-A")]
        ),
    )
    with outbound.read() as conn:
        came_from = conn.execute(
            select(locations.c.kind)
            .join(moves, moves.c.from_location_id == locations.c.id)
            .where(moves.c.id == back.move_ids[0])
        ).scalar_one()
        assert verify(conn).ok
    assert came_from == "production"
    assert _on_hand(outbound, "BOLT", "WH1-A", None) == Decimal(94)
