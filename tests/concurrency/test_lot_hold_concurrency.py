"""A lot held and released while requests are allocated from it (PostgreSQL): ten workers each
raise and allocate an order of 5 GLUE from lot G1 while two managers hold and release the lot
over and over. Holding takes the request's lock and then the item's, as the allocator does, so
neither waits on the other in a cycle: nothing deadlocks or answers anything but a coded
refusal, the reservation rows add up to the balances' reserved figures, a held lot keeps no
unpicked reservation, and `verify` is clean."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import allocations, balances, lots
from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.lots import hold_lot, release_lot
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.requests import NewRequest, RequestLineInput, create_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.concurrency.test_inbound_concurrency import _race
from tests.factories import CTX, build_company

pytestmark = pytest.mark.postgres_only

ORDERS = 10
MANAGERS = 2
ROUNDS = 3


def _build(db: Database) -> None:
    build_company(db)
    create_partner(db, CTX, PartnerInput("SHOP", "Corner Shop", is_customer=True))
    for n in range(ORDERS + MANAGERS):
        create_user(db, CTX, f"worker{n}", f"Worker {n}", roles=[("warehouse_manager", "WH1")])
    # 40 GLUE of lot G1 in two bins: room for eight orders of 5
    for where in ("WH1-A", "WH1-B"):
        receive_stock(db, CTX, Receive("GLUE", "20", where, lot="G1", unit_cost="2"))


def _reserved_rows(db: Database) -> tuple[Decimal, Decimal]:
    """(the reservation rows' sum, the balances' reserved), in units."""
    with db.read() as conn:
        rows = conn.execute(select(func.coalesce(func.sum(allocations.c.quantity), 0)))
        held = rows.scalar_one()
        reserved = conn.execute(select(func.coalesce(func.sum(balances.c.reserved), 0)))
        return Decimal(held) / 10**6, Decimal(reserved.scalar_one()) / 10**6


def test_holding_a_lot_while_it_is_allocated_never_deadlocks(db: Database) -> None:
    _build(db)

    def work(n: int) -> str:
        who = Context(username=f"worker{n}")
        if n >= ORDERS:  # a manager holds and releases the lot, again and again
            for _ in range(ROUNDS):
                hold_lot(db, who, "GLUE", "G1", "quality check")
                release_lot(db, who, "GLUE", "G1", "checked")
            return "toggled"
        line = RequestLineInput("GLUE", "5")
        request = NewRequest("sales_order", "WH1", [line], customer="SHOP", submit=True)
        number = create_request(db, who, request).number
        return allocate_request(db, who, "sales_order", number).state

    answers, refusals, unexpected = _race(ORDERS + MANAGERS, work)

    assert unexpected == []
    # a manager may find the lot held or released by the other one; an order may find it held
    assert set(refusals) <= {
        "lot_already_held",
        "lot_not_held",
        "no_stock_to_allocate",
        "concurrent_update",
    }, refusals
    assert sum(refusals.values()) + len(answers) == ORDERS + MANAGERS
    held, reserved = _reserved_rows(db)
    assert held == reserved
    assert held <= Decimal(40)
    # once held, the lot keeps no reservation (none of it was picked)
    hold_lot(db, CTX, "GLUE", "G1", "quality check")
    assert _reserved_rows(db) == (Decimal(0), Decimal(0))
    with db.read() as conn:
        status = conn.execute(select(lots.c.status).where(lots.c.code == "G1")).scalar_one()
        assert status == "hold"
        assert verify(conn).problems == []
