"""Outbound under concurrency (PostgreSQL): sixteen pickers each raising, allocating, picking
and shipping an order for the same scarce stock, while a clerk issues from it too, never
reserve more than is on hand nor take a balance below zero; every refusal is coded, the
reservation rows add up to the balances' reserved figures, and `verify` is clean."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import (
    allocations,
    balances,
    document_lines,
    documents,
    items,
    locations,
    moves,
)
from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import NewRequest, RequestLineInput, create_request
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests.concurrency.test_inbound_concurrency import _race
from tests.factories import CTX, build_company

pytestmark = pytest.mark.postgres_only

WORKERS = 16


def _build(db: Database) -> None:
    build_company(db)
    create_partner(db, CTX, PartnerInput("SHOP", "Corner Shop", is_customer=True))
    for n in range(WORKERS):
        create_user(db, CTX, f"picker{n}", f"Picker {n}", roles=[("warehouse_manager", "WH1")])
    # 60 bolts in three bins: room for six orders of 10
    for where in ("WH1-A", "WH1-A-01", "WH1-B"):
        receive_stock(db, CTX, Receive("BOLT", "20", where, unit_cost="1"))


def _sum(db: Database, column: object, *where: object) -> Decimal:
    with db.read() as conn:
        value = conn.execute(
            select(func.coalesce(func.sum(column), 0))  # type: ignore[arg-type]
            .select_from(balances)
            .join(items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(items.c.code == "BOLT", locations.c.kind.in_(["internal", "shipping"]), *where)  # type: ignore[arg-type]
        ).scalar_one()
    return Decimal(value) / 10**6


def test_sixteen_pickers_on_scarce_stock_never_over_reserve(db: Database) -> None:
    _build(db)

    def one_order(n: int) -> str:
        who = Context(username=f"picker{n}")
        if n == WORKERS - 1:  # a clerk issues 15 straight from a bin meanwhile
            issue_stock(db, who, Issue("BOLT", "15", "WH1-B", to="customer"))
            return "issue"
        number = create_request(
            db,
            who,
            NewRequest(
                "sales_order", "WH1", [RequestLineInput("BOLT", "10")], customer="SHOP", submit=True
            ),
        ).number
        allocate_request(db, who, "sales_order", number)
        pick = create_pick_list(db, who, [number]).number
        confirm_pick(db, who, pick)
        return ship_request(db, who, "sales_order", number).state

    answers, refusals, unexpected = _race(WORKERS, one_order)

    assert unexpected == []
    # every refusal is coded: stock gone, or a race lost and retried past its attempts
    assert set(refusals) <= {"no_stock_to_allocate", "insufficient_stock", "concurrent_update"}
    shipped = _shipped(db)
    issued = Decimal(15) if "issue" in answers else Decimal(0)
    # whatever happened, the bolts are accounted for: shipped + issued + left = 60
    assert shipped + issued + _sum(db, balances.c.on_hand) == Decimal(60)
    assert shipped == Decimal(10) * sum(
        1 for a in answers if a in ("shipped", "partially_shipped")
    ) - _short(db)
    assert _sum(db, balances.c.on_hand, balances.c.on_hand < 0) == 0
    with db.read() as conn:
        held = conn.execute(select(func.coalesce(func.sum(allocations.c.quantity), 0))).scalar_one()
        reserved = conn.execute(
            select(func.coalesce(func.sum(balances.c.reserved), 0))
        ).scalar_one()
        report = verify(conn)
    assert held == reserved
    assert report.problems == []
    assert Counter(answers)["shipped"] >= 1


def _shipped(db: Database) -> Decimal:
    with db.read() as conn:
        value = conn.execute(
            select(func.coalesce(func.sum(moves.c.quantity), 0)).where(
                moves.c.document_type == "sales_order"
            )
        ).scalar_one()
    return Decimal(value) / 10**6


def _short(db: Database) -> Decimal:
    """What partly shipped orders did not get (their backorders)."""
    with db.read() as conn:
        value = conn.execute(
            select(func.coalesce(func.sum(document_lines.c.quantity - document_lines.c.done), 0))
            .join(documents, documents.c.id == document_lines.c.document_id)
            .where(documents.c.doc_type == "sales_order", documents.c.state == "partially_shipped")
        ).scalar_one()
    return Decimal(value) / 10**6


def test_sixteen_pickers_allocating_one_request_reserve_it_once(db: Database) -> None:
    _build(db)
    number = create_request(
        db,
        CTX,
        NewRequest(
            "sales_order", "WH1", [RequestLineInput("BOLT", "25")], customer="SHOP", submit=True
        ),
    ).number

    answers, refusals, unexpected = _race(
        WORKERS,
        lambda n: allocate_request(db, Context(username=f"picker{n}"), "sales_order", number),
    )

    assert unexpected == []
    assert len(answers) == 1
    assert refusals == Counter({"nothing_to_allocate": WORKERS - 1})
    assert _sum(db, balances.c.reserved) == Decimal(25)
    with db.read() as conn:
        assert conn.execute(select(func.sum(allocations.c.quantity))).scalar_one() == 25 * 10**6
        assert verify(conn).problems == []
