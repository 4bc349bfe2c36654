"""Outbound on the document framework: sales order -> approval -> FEFO allocation -> pick list
with a short pick -> partial shipment -> backorder -> final shipment -> customer return, and a
requisition to production; exact quantities, lots, reserved figures and cost of goods, with
`verify` clean; and each refusal writes nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cangku.db.tables import allocations, balances, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.domain.errors import (
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.outbound.allocation import allocate_request, release_request
from cangku.services.outbound.picking import PickLineInput, confirm_pick, create_pick_list
from cangku.services.outbound.requests import (
    NewRequest,
    RequestLineInput,
    approve_request,
    cancel_request,
    close_request,
    create_request,
    reject_request,
    submit_request,
)
from cangku.services.outbound.rules import ApprovalRuleInput, add_approval_rule
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.factories import CTX, build_company

SALES = Context(username="sales")
BOSS = Context(username="boss")
PICKER = Context(username="picker")
FAR = date.today() + timedelta(days=400)
SOON = date.today() + timedelta(days=30)
LATER = date.today() + timedelta(days=200)


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement), params)
        uow.commit()


@pytest.fixture
def outbound(db: Database) -> Database:
    return build_outbound(db)


def build_outbound(db: Database) -> Database:
    """The company with a customer, users, three GLUE lots allocated FEFO, 100 bolts and a
    rule: sales orders from 1,000 wait for approval."""
    build_company(db)
    create_partner(db, CTX, PartnerInput("SHOP", "Corner Shop", is_customer=True, address="1 Road"))
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    for name, role in [
        ("sales", "purchaser"),
        ("boss", "warehouse_manager"),
        ("picker", "picker_shipper"),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, "WH1")])
    # GLUE (FIFO costed, allocated FEFO): three lots, the one expiring first in the far bin
    for lot, expires, where, qty, cost in [
        ("F-LATE", LATER, "WH1-A", "40", "2.00"),
        ("F-SOON", SOON, "WH1-B", "30", "3.00"),
        ("F-FAR", FAR, "WH1-A-01", "50", "4.00"),
    ]:
        receive_stock(
            db, CTX, Receive("GLUE", qty, where, lot=lot, expires_on=expires, unit_cost=cost)
        )
    _sql(db, "UPDATE items SET allocation_strategy = 'fefo' WHERE code = 'GLUE'")
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    add_approval_rule(db, CTX, ApprovalRuleInput("sales_order", min_value=Decimal("1000")))
    return db


def _reserved(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.reserved)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(lots, lots.c.id == balances.c.lot_id, isouter=True)
            .where(balances.c.reserved != 0)
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _on_hand(db: Database, item: str, where: str, lot: str | None) -> Decimal:
    with db.read() as conn:
        value = conn.execute(
            select(balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(lots, lots.c.id == balances.c.lot_id, isouter=True)
            .where(items.c.code == item, locations.c.code == where)
            .where(lots.c.code == lot if lot else balances.c.lot_id.is_(None))
        ).scalar()
    return Decimal(value or 0) / 10**6


def _order(db: Database, **kw: Any) -> str:
    lines = kw.pop("lines", [RequestLineInput("GLUE", "60", unit_price="20")])
    return create_request(
        db, SALES, NewRequest("sales_order", "WH1", lines, customer="SHOP", **kw)
    ).number


def test_refusals_write_nothing(outbound: Database) -> None:
    mine = create_request(
        outbound,
        BOSS,
        NewRequest(
            "sales_order",
            "WH1",
            [RequestLineInput("BOLT", "5000", unit_price="1")],
            customer="SHOP",
            submit=True,
        ),
    ).number
    with pytest.raises(RuleViolation) as own:
        approve_request(outbound, BOSS, "sales_order", mine)
    assert own.value.code == "own_document_approval"
    number = _order(outbound)
    with pytest.raises(InvalidTransition):
        ship_request(outbound, PICKER, "sales_order", number)
    with pytest.raises(InvalidTransition):
        allocate_request(outbound, PICKER, "sales_order", number)
    submit_request(outbound, SALES, "sales_order", number)
    with pytest.raises(InvalidInput):
        reject_request(outbound, BOSS, "sales_order", number, None)
    approve_request(outbound, BOSS, "sales_order", number)
    _sql(outbound, "UPDATE lots SET status = 'hold' WHERE code IN ('F-SOON', 'F-LATE', 'F-FAR')")
    with pytest.raises(InsufficientStock) as none:
        allocate_request(outbound, PICKER, "sales_order", number)
    assert none.value.code == "no_stock_to_allocate"
    _sql(outbound, "UPDATE lots SET status = 'available' WHERE code = 'F-FAR'")
    partial = allocate_request(outbound, PICKER, "sales_order", number)
    assert partial.data == {"allocated": {"1": "50"}, "short": {"1": "10"}}
    pick = create_pick_list(outbound, PICKER, [number])
    with pytest.raises(RuleViolation) as wrong_lot:
        confirm_pick(outbound, PICKER, pick.number, [PickLineInput(1, "50", lot="F-SOON")])
    assert wrong_lot.value.code == "lot_not_allocated"
    with pytest.raises(RuleViolation) as more:
        confirm_pick(outbound, PICKER, pick.number, [PickLineInput(1, "51")])
    assert more.value.code == "pick_exceeds_allocation"
    with pytest.raises(InvalidInput) as why:
        confirm_pick(outbound, PICKER, pick.number, [PickLineInput(1, "49")])
    assert why.value.code == "short_pick_reason_required"
    with pytest.raises(InvalidTransition):
        cancel_request(outbound, SALES, "sales_order", number)
    assert _reserved(outbound) == {("GLUE", "WH1-A-01", "F-FAR"): Decimal(50)}
    with pytest.raises(PermissionDenied):
        confirm_pick(outbound, SALES, pick.number)
    with outbound.read() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(moves).where(moves.c.document_type == "pick_list")
            ).scalar()
            == 0
        )
        assert verify(conn).ok


def test_cancel_releases_and_close_drops_the_backorder(outbound: Database) -> None:
    number = _order(outbound, lines=[RequestLineInput("BOLT", "10", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", number)
    assert _reserved(outbound) == {("BOLT", "WH1-A", None): Decimal(10)}
    assert release_request(outbound, PICKER, "sales_order", number).state == "approved"
    allocate_request(outbound, PICKER, "sales_order", number)
    assert cancel_request(outbound, SALES, "sales_order", number).state == "cancelled"
    assert _reserved(outbound) == {}
    with outbound.read() as conn:
        assert conn.execute(select(func.count()).select_from(allocations)).scalar() == 0
    with pytest.raises(InvalidTransition):
        close_request(outbound, SALES, "sales_order", number)


def test_request_lines_reservations_demand_and_delivery_note(outbound: Database) -> None:
    from cangku.queries.outbound import demand, request_lines, reservations, shipment_note

    number = _order(
        outbound,
        lines=[RequestLineInput("GLUE", "100", unit_price="1"), RequestLineInput("BOLT", "30")],
        submit=True,
        planned_on=date.today() + timedelta(days=3),
    )  # worth 115 (BOLT at its cost): approved at once
    with outbound.read() as conn:
        wanted = {
            (r.item, r.demand, r.covered, r.available, r.shortage)
            for r in demand(conn, date.today(), 7)
        }
        assert demand(conn, date.today(), 1) == []  # planned in 3 days
    assert wanted == {
        ("GLUE", Decimal(100), Decimal(0), Decimal(120), Decimal(0)),
        ("BOLT", Decimal(30), Decimal(0), Decimal(100), Decimal(0)),
    }
    allocate_request(outbound, PICKER, "sales_order", number)
    pick = create_pick_list(outbound, PICKER, [number])
    confirm_pick(outbound, PICKER, pick.number, [PickLineInput(1, "30")])  # BOLT, WH1-A
    shipped = ship_request(outbound, PICKER, "sales_order", number, carrier="SF", packages=3)
    with outbound.read() as conn:
        lines = request_lines(conn, number)
        held = reservations(conn, number)
        note = shipment_note(conn, shipped.data["shipment"])
        left = {(r.item, r.demand, r.covered, r.available) for r in demand(conn, date.today(), 7)}
    assert [
        (ln.item, ln.ordered, ln.reserved, ln.picked, ln.shipped, ln.backorder) for ln in lines
    ] == [
        ("GLUE", Decimal(100), Decimal(100), Decimal(0), Decimal(0), Decimal(0)),
        ("BOLT", Decimal(30), Decimal(0), Decimal(0), Decimal(30), Decimal(0)),
    ]
    assert [(r.line_no, r.location, r.lot, r.quantity) for r in held] == [
        (1, "WH1-A", "F-LATE", Decimal(40)),
        (1, "WH1-A-01", "F-FAR", Decimal(30)),
        (1, "WH1-B", "F-SOON", Decimal(30)),
    ]
    assert all(r.pick_list == pick.number for r in held)
    assert (note.customer_code, note.carrier, note.packages, note.ship_to) == (
        "SHOP",
        "SF",
        3,
        "1 Road",
    )
    assert [(ln.item, ln.quantity, ln.value) for ln in note.lines] == [
        ("BOLT", Decimal(30), Decimal(15))
    ]
    assert note.cost_of_goods == Decimal(15)
    assert left == {("GLUE", Decimal(100), Decimal(100), Decimal(20))}


def _text(pdf: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(text.split())  # cells wrap their words onto lines


def test_delivery_note_pdf_prints_the_shipment_and_costs_only_for_valuation(
    outbound: Database,
) -> None:
    from cangku.services.auth import whoami
    from cangku.services.outbound.delivery_note import delivery_note_pdf

    number = _order(outbound, lines=[RequestLineInput("BOLT", "12", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", number)
    confirm_pick(outbound, PICKER, create_pick_list(outbound, PICKER, [number]).number)
    shipment = ship_request(
        outbound, PICKER, "sales_order", number, carrier="顺丰 SF Express", tracking_number="SF9"
    ).data["shipment"]
    pdf, note = delivery_note_pdf(outbound, whoami(outbound, CTX), shipment, "en")
    text = _text(pdf)
    assert pdf.startswith(b"%PDF")
    for expected in (
        shipment,
        number,
        "Corner Shop",
        "1 Road",
        "顺丰 SF Express",
        "SF9",
        "BOLT",
        "Hex bolt M8",
        "Cost of goods",
        "6",
    ):
        assert expected in text
    picker_pdf, _ = delivery_note_pdf(outbound, whoami(outbound, PICKER), shipment, "zh")
    assert "Cost of goods" not in _text(picker_pdf) and "销售成本" not in _text(picker_pdf)
    # the Chinese font is embedded (a TrueType subset: pdfium shows no unembedded CID font),
    # and its text extracts (ToUnicode)
    assert re.findall(rb"/BaseFont /(\S+)", picker_pdf) == [
        b"Helvetica",
        b"AAAAAA+WenQuanYiMicroHei-0",
    ]
    assert picker_pdf.count(b"/FontFile2") == 1 and b"STSong" not in picker_pdf
    assert len(picker_pdf) < 60_000
    for expected in (
        "发货单 / 装箱单",
        "序号 物料编码 名称",
        "收货人（姓名、日期、签字）",
        "顺丰 SF Express",
    ):
        assert expected in _text(picker_pdf)
    assert note.cost_of_goods == Decimal(6)


@pytest.mark.parametrize(
    ("status", "expires", "code"),
    [("hold", None, "lot_not_available"), ("available", "2020-01-01", "lot_expired")],
    ids=["held", "expired"],
)
def test_a_chosen_lot_that_may_not_be_reserved_is_refused(
    outbound: Database, status: str, expires: str | None, code: str
) -> None:
    _sql(outbound, "UPDATE lots SET status = :s WHERE code = 'F-LATE'", s=status)
    if expires:
        _sql(outbound, "UPDATE lots SET expires_on = :e WHERE code = 'F-LATE'", e=expires)
    number = _order(
        outbound, lines=[RequestLineInput("GLUE", "5", unit_price="1", lot="F-LATE")], submit=True
    )
    with pytest.raises(RuleViolation) as refused:
        allocate_request(outbound, PICKER, "sales_order", number)
    assert refused.value.code == code
    assert _reserved(outbound) == {}


def test_each_step_lands_in_the_inbox_of_who_takes_it(outbound: Database) -> None:
    from cangku.queries.documents import my_tasks
    from cangku.services.auth import whoami

    def inbox(ctx: Context) -> set[tuple[str, str | None]]:
        with outbound.read() as conn:
            page = my_tasks(conn, whoami(outbound, ctx), date.today())
        return {(row.number, row.next_step) for row in page.items}

    number = _order(outbound)
    assert (number, "submit") in inbox(SALES)
    submit_request(outbound, SALES, "sales_order", number)
    assert (number, "approve") in inbox(BOSS)
    assert (number, "approve") not in inbox(PICKER)
    approve_request(outbound, BOSS, "sales_order", number)
    assert (number, "allocate") in inbox(PICKER)
    allocate_request(outbound, PICKER, "sales_order", number)
    assert (number, "pick") in inbox(PICKER)
    pick = create_pick_list(outbound, PICKER, [number]).number
    assert (pick, "pick") in inbox(PICKER)
    assert (number, "ship") in inbox(PICKER)
