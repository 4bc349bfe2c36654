"""Negative stock and costs (issue 9, defect 2; ADR 0012): a receipt first settles the
negative quantity at its own cost, so value and quantity agree at every instant, the
difference is recorded as a cost correction, and ``verify`` checks items below zero too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from cangku.db.tables import cost_corrections, cost_layers, item_costs, items, moves
from cangku.db.uow import Database
from cangku.domain.costing import receive_into
from cangku.domain.quantities import from_scaled, to_scaled
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.factories import CTX, build_company

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(hours: int) -> datetime:
    return START + timedelta(hours=hours)


@pytest.fixture
def company(db: Database) -> Database:
    """WH2 allows negative stock."""
    build_company(db, allow_negative_wh2=True)
    return db


def value_of(db: Database, item: str, when: datetime | None = None) -> tuple[Decimal, Decimal]:
    """(quantity, value) of ``item`` now, or as of ``when``."""
    with db.read() as conn:
        found = stock_value(conn, datetime.now(UTC), when, item).items
    return (found[0].quantity, found[0].value) if found else (Decimal(0), Decimal(0))


def layers_of(db: Database) -> list[tuple[Decimal, Decimal]]:
    with db.read() as conn:
        rows = conn.execute(
            select(cost_layers.c.remaining_qty, cost_layers.c.remaining_value)
            .where(cost_layers.c.remaining_qty > 0)
            .order_by(cost_layers.c.id)
        ).all()
    return [(from_scaled(q), from_scaled(v)) for q, v in rows]


def corrections(db: Database) -> list[tuple[int, Decimal, Decimal]]:
    """(move id, quantity settled, amount) of every cost correction."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                cost_corrections.c.move_id, cost_corrections.c.quantity, cost_corrections.c.amount
            ).order_by(cost_corrections.c.id)
        ).all()
    return [(int(m), from_scaled(q), from_scaled(a)) for m, q, a in rows]


def clean(db: Database) -> bool:
    with db.read() as conn:
        report = verify(conn)
    assert report.problems == []
    return report.ok


def test_a_receipt_into_negative_fifo_stock_settles_it_at_the_receipts_cost(
    company: Database,
) -> None:
    # the issue from the report: issue 5 into negative stock, receive 10 at 2, issue 5
    issue_stock(company, CTX, Issue("BOLT", "5", "WH2-A", effective_at=at(1)))
    assert value_of(company, "BOLT") == (Decimal(-5), Decimal(0))  # no cost known yet
    receipt = receive_stock(company, CTX, Receive("BOLT", "10", "WH2-A", unit_cost="2",
                                                  effective_at=at(2)))  # fmt: skip
    assert receipt.moves[0].unit_cost == Decimal(2)
    assert receipt.moves[0].value == Decimal(10)  # what it added to stock: 5 left at 2
    assert value_of(company, "BOLT") == (Decimal(5), Decimal(10))
    assert layers_of(company) == [(Decimal(5), Decimal(10))]
    # the 5 issued below zero cost 2 each once the goods came: 10 more cost of goods
    assert corrections(company) == [(receipt.moves[0].id, Decimal(5), Decimal(10))]
    assert clean(company)
    last = issue_stock(company, CTX, Issue("BOLT", "5", "WH2-A", effective_at=at(3)))
    assert last.moves[0].value == Decimal(10)
    assert value_of(company, "BOLT") == (Decimal(0), Decimal(0))
    assert layers_of(company) == []
    assert clean(company)
    # as of every instant, value and quantity agree with what was current then
    assert value_of(company, "BOLT", at(1)) == (Decimal(-5), Decimal(0))
    assert value_of(company, "BOLT", at(2)) == (Decimal(5), Decimal(10))
    assert value_of(company, "BOLT", at(3)) == (Decimal(0), Decimal(0))


def test_negative_moving_average_stock_is_settled_at_the_receipts_cost(company: Database) -> None:
    # FLOUR had a cost of 3 (received and issued in WH1), then goes 4 kg below zero in WH2
    post_bulk(company, CTX, [
        BulkMove("FLOUR", "10", "WH1/SUPPLIER", "WH1-A", lot="L1", unit_cost="3",
                 effective_at=at(1)),
        BulkMove("FLOUR", "10", "WH1-A", "WH1/CUSTOMER", lot="L1", effective_at=at(2)),
        BulkMove("FLOUR", "4", "WH2-A", "WH2/CUSTOMER", lot="L1", effective_at=at(3)),
    ])  # fmt: skip
    assert value_of(company, "FLOUR") == (Decimal(-4), Decimal(-12))  # at the last cost, 3
    receipt = receive_stock(
        company, CTX, Receive("FLOUR", "10", "WH2-A", lot="L1", unit_cost="5", effective_at=at(4))
    )
    # after it: 6 kg at 5 = 30, from -12: the receipt added 42; the 4 kg cost 20, not 12
    assert receipt.moves[0].value == Decimal(42)
    assert value_of(company, "FLOUR") == (Decimal(6), Decimal(30))
    assert corrections(company) == [(receipt.moves[0].id, Decimal(4), Decimal(8))]
    assert clean(company)


def test_a_receipt_smaller_than_the_negative_quantity_settles_its_share(
    company: Database,
) -> None:
    post_bulk(company, CTX, [
        BulkMove("BOLT", "1", "WH1/SUPPLIER", "WH1-A", unit_cost="4", effective_at=at(1)),
        BulkMove("BOLT", "1", "WH1-A", "WH1/CUSTOMER", effective_at=at(2)),
        BulkMove("BOLT", "10", "WH2-A", "WH2/CUSTOMER", effective_at=at(3)),  # at 4: 40
    ])  # fmt: skip
    assert value_of(company, "BOLT") == (Decimal(-10), Decimal(-40))
    post_bulk(company, CTX, [
        BulkMove("BOLT", "4", "WH2/SUPPLIER", "WH2-A", unit_cost="6", effective_at=at(4)),
        BulkMove("BOLT", "6", "WH2/SUPPLIER", "WH2-A", unit_cost="5", effective_at=at(5)),
    ])  # fmt: skip
    with company.read() as conn:
        values = conn.execute(select(moves.c.value).order_by(moves.c.id)).scalars().all()
    # 4 at 6 settle 4 of the 10 (-40 -> -24: 16 added); 6 at 5 settle the rest (-24 -> 0)
    assert [from_scaled(v) for v in values[-2:]] == [Decimal(16), Decimal(24)]
    assert value_of(company, "BOLT") == (Decimal(0), Decimal(0))
    assert value_of(company, "BOLT", at(4)) == (Decimal(-6), Decimal(-24))
    assert [(q, a) for _, q, a in corrections(company)] == [
        (Decimal(4), Decimal(8)),  # 24 paid, 16 added
        (Decimal(6), Decimal(6)),  # 30 paid, 24 added
    ]
    assert layers_of(company) == []
    assert clean(company)


@pytest.mark.parametrize(
    ("on_hand", "value", "qty", "cost", "expected"),
    [
        # (move value, settled, correction, layer quantity, layer value)
        ("4", "8", "10", "3", ("30", "0", "0", "10", "30")),  # nothing negative
        ("-5", "0", "10", "2", ("10", "5", "10", "5", "10")),
        ("-10", "-40", "4", "6", ("16", "4", "8", "0", "0")),
        ("-6", "-24", "6", "5", ("24", "6", "6", "0", "0")),
        ("-3", "-3", "1", "0.5", ("1", "1", "-0.5", "0", "0")),  # charged more than it cost
        ("-3", "-1", "1", "1", ("0.333333", "1", "0.666667", "0", "0")),  # rounded half-even
    ],
)
def test_receive_into_figures(
    on_hand: str, value: str, qty: str, cost: str, expected: tuple[str, ...]
) -> None:
    receipt = receive_into(*(to_scaled(Decimal(x)) for x in (on_hand, value, qty, cost)))
    figures = (receipt.value, receipt.settled, receipt.correction, receipt.layer_qty,
               receipt.layer_value)  # fmt: skip
    assert tuple(from_scaled(x) for x in figures) == tuple(Decimal(x) for x in expected)


def test_verify_checks_items_below_zero(company: Database) -> None:
    issue_stock(company, CTX, Issue("BOLT", "5", "WH2-A"))
    assert clean(company)
    with company.write() as uow:
        bolt = uow.conn.execute(select(items.c.id).where(items.c.code == "BOLT")).scalar_one()
        move = uow.conn.execute(select(moves.c.id)).scalars().first()
        # an open layer while the item is below zero: value that no stock backs
        uow.conn.execute(insert(cost_layers).values(
            item_id=bolt, move_id=move, quantity=to_scaled(Decimal(5)),
            unit_cost=to_scaled(Decimal(2)), remaining_qty=to_scaled(Decimal(5)),
            remaining_value=to_scaled(Decimal(10)),
        ))  # fmt: skip
        uow.commit()
    with company.read() as conn:
        report = verify(conn)
    assert report.problems == [
        {
            "check": "fifo_layers_mismatch",
            "item": "BOLT",
            "layer_quantity": "5",
            "layer_value": "10",
            "stock_quantity": "-5",
            "stock_value": "0",
        }
    ]


def test_verify_reports_value_without_quantity(company: Database) -> None:
    receive_stock(company, CTX, Receive("FLOUR", "2", "WH1-A", lot="L1", unit_cost="3"))
    issue_stock(company, CTX, Issue("FLOUR", "2", "WH1-A", lot="L1"))
    with company.write() as uow:
        flour = uow.conn.execute(select(items.c.id).where(items.c.code == "FLOUR")).scalar_one()
        uow.conn.execute(
            update(item_costs)
            .where(item_costs.c.item_id == flour)
            .values(value=to_scaled(Decimal(7)))
        )
        uow.commit()
    with company.read() as conn:
        checks = [(p["check"], p.get("stock_value")) for p in verify(conn).problems]
    assert checks == [("item_cost_mismatch", None), ("value_quantity_mismatch", "7")]
