"""Exact stock and value "as of" past instants, from the balances or from a checkpoint, and
what a back-dated move does to checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.tables import checkpoints
from cangku.db.uow import Database
from cangku.queries.asof import (
    choose_anchor,
    item_total_as_of,
    stock_as_of,
    totals_by_item_as_of,
)
from cangku.queries.stock import StockFilter
from cangku.queries.valuation import stock_value
from cangku.services.periods import take_checkpoint
from cangku.services.stock import issue_stock, receive_stock, scrap_stock, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Scrap, Transfer
from tests.factories import CTX, build_company

T0 = (datetime.now(UTC) - timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
Row = tuple[str, str, str | None, Decimal]
Values = list[tuple[str, Decimal, Decimal]]


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def now() -> datetime:
    return datetime.now(UTC)


def snapshot(db: Database, at: datetime, use: str = "auto", **filters: str) -> list[Row]:
    with db.read() as conn:
        rows = stock_as_of(conn, at, StockFilter(**filters), now(), use=use)  # type: ignore[arg-type]
    return [(r.item, r.location, r.lot, r.on_hand) for r in rows]


def item_totals(
    db: Database, at: datetime, use: str = "auto", **filters: str | bool
) -> list[tuple[str, str, str, Decimal]]:
    with db.read() as conn:
        rows = totals_by_item_as_of(conn, at, now(), StockFilter(**filters), use)  # type: ignore[arg-type]
    return [(r.item, r.item_name, r.unit, r.on_hand) for r in rows]


def values(db: Database, at: datetime | None = None) -> Values:
    with db.read() as conn:
        valuation = stock_value(conn, now(), at)
    return [(v.item, v.quantity, v.value) for v in valuation.items]


def build_history(db: Database) -> dict[int, Values]:
    """Moves over six days, posted in business-time order; the value after each day."""
    build_company(db)
    posted: dict[int, Values] = {}
    days: list[list[object]] = [
        [
            Receive("BOLT", "100", "WH1-A", unit_cost="1", effective_at=day(0)),
            Receive("FLOUR", "40", "WH1-B", lot="F1", unit_cost="1.5", effective_at=day(0)),
        ],
        [
            Receive("BOLT", "50", "WH1-A-01", unit_cost="2", effective_at=day(1)),
            Receive("GLUE", "10", "WH1-A", lot="G1", unit_cost="3", effective_at=day(1)),
        ],
        [
            Issue("BOLT", "30", "WH1-A", effective_at=day(2)),
            Receive("FLOUR", "20", "WH1-B", lot="F2", unit_cost="3", effective_at=day(2)),
        ],
        [Transfer("BOLT", "20", "WH1-A", "WH2-A", effective_at=day(3))],
        [Issue("FLOUR", "15", "WH1-B", lot="F1", to="production", effective_at=day(4))],
        [Scrap("GLUE", "4", "WH1-A", "damaged", lot="G1", effective_at=day(5))],
    ]
    operations = {
        Receive: receive_stock,
        Issue: issue_stock,
        Transfer: transfer_stock,
        Scrap: scrap_stock,
    }
    for n, commands in enumerate(days):
        for command in commands:
            operations[type(command)](db, CTX, command)  # type: ignore[operator]
        posted[n] = values(db)
    return posted


@pytest.fixture
def history(db: Database) -> dict[int, Values]:
    return build_history(db)


BOLT_AFTER_DAY_3 = [
    ("BOLT", "WH1-A", None, Decimal("50")),
    ("BOLT", "WH1-A-01", None, Decimal("50")),
    ("BOLT", "WH2-A", None, Decimal("20")),
]


def test_one_item_as_of_several_instants(db: Database, history: dict[int, Values]) -> None:
    assert snapshot(db, day(-1), item="BOLT") == []
    assert snapshot(db, day(0), item="BOLT") == [("BOLT", "WH1-A", None, Decimal("100"))]
    assert snapshot(db, day(0) - timedelta(microseconds=1), item="BOLT") == []
    assert snapshot(db, day(1.5), item="BOLT") == [
        ("BOLT", "WH1-A", None, Decimal("100")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
    ]
    assert snapshot(db, day(2.5), item="BOLT") == [
        ("BOLT", "WH1-A", None, Decimal("70")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
    ]
    assert snapshot(db, day(3.5), item="BOLT") == BOLT_AFTER_DAY_3
    with db.read() as conn:
        assert item_total_as_of(conn, "BOLT", day(2.5), now()) == Decimal("120")


def test_location_subtree_as_of(db: Database, history: dict[int, Values]) -> None:
    assert snapshot(db, day(1.5), location="WH1-A") == [
        ("BOLT", "WH1-A", None, Decimal("100")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
        ("GLUE", "WH1-A", "G1", Decimal("10")),
    ]
    assert snapshot(db, day(5.5), location="WH1-A") == [
        ("BOLT", "WH1-A", None, Decimal("50")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
        ("GLUE", "WH1-A", "G1", Decimal("6")),
    ]
    assert snapshot(db, day(3.5), location="WH1-A-01") == [
        ("BOLT", "WH1-A-01", None, Decimal("50"))
    ]


def test_one_lot_as_of(db: Database, history: dict[int, Values]) -> None:
    assert snapshot(db, day(3.5), lot="F1") == [("FLOUR", "WH1-B", "F1", Decimal("40"))]
    assert snapshot(db, day(4.5), lot="F1") == [("FLOUR", "WH1-B", "F1", Decimal("25"))]
    assert snapshot(db, day(1.5), lot="F2") == []


def test_all_items_as_of(db: Database, history: dict[int, Values]) -> None:
    assert snapshot(db, day(2.5)) == [
        ("BOLT", "WH1-A", None, Decimal("70")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
        ("FLOUR", "WH1-B", "F1", Decimal("40")),
        ("FLOUR", "WH1-B", "F2", Decimal("20")),
        ("GLUE", "WH1-A", "G1", Decimal("10")),
    ]
    assert snapshot(db, now()) == [
        *BOLT_AFTER_DAY_3,
        ("FLOUR", "WH1-B", "F1", Decimal("25")),
        ("FLOUR", "WH1-B", "F2", Decimal("20")),
        ("GLUE", "WH1-A", "G1", Decimal("6")),
    ]


INSTANTS = [-1, 0, 0.5, 1.5, 2, 2.5, 2.75, 3.5, 4.5, 5.5]
FILTERS: list[dict[str, str]] = [
    {},
    {"item": "BOLT"},
    {"location": "WH1-A"},
    {"lot": "F1"},
    {"warehouse": "WH1"},
]


def test_checkpoint_and_balances_give_the_same_answer(
    db: Database, history: dict[int, Values]
) -> None:
    checkpoint = take_checkpoint(db, CTX, as_of=day(2.5))
    with db.read() as conn:
        assert choose_anchor(conn, day(3.5), now(), use="checkpoint").checkpoint_id == checkpoint.id
        assert choose_anchor(conn, day(2), now(), use="checkpoint").checkpoint_id is None
    for at in INSTANTS:
        for filters in FILTERS:
            from_balances = snapshot(db, day(at), "balances", **filters)
            assert snapshot(db, day(at), "checkpoint", **filters) == from_balances, (at, filters)
            assert snapshot(db, day(at), "auto", **filters) == from_balances, (at, filters)


def checkpoint_validity(db: Database) -> dict[int, bool]:
    with db.read() as conn:
        return {r.id: r.valid for r in conn.execute(select(checkpoints.c.id, checkpoints.c.valid))}


def test_back_dated_move_invalidates_later_checkpoints_and_stays_exact(
    db: Database, history: dict[int, Values]
) -> None:
    early = take_checkpoint(db, CTX, as_of=day(0.5)).id
    late = take_checkpoint(db, CTX, as_of=day(2.5)).id
    receive_stock(
        db, CTX, Receive("BOLT", "7", "WH1-A-01", unit_cost="1", effective_at=day(1.25))
    )  # posted last, dated before `late`
    assert checkpoint_validity(db) == {early: True, late: False}
    assert snapshot(db, day(1), item="BOLT") == [
        ("BOLT", "WH1-A", None, Decimal("100")),
        ("BOLT", "WH1-A-01", None, Decimal("50")),
    ]
    assert snapshot(db, day(2.5), "checkpoint", item="BOLT") == [
        ("BOLT", "WH1-A", None, Decimal("70")),
        ("BOLT", "WH1-A-01", None, Decimal("57")),
    ]
    assert snapshot(db, day(3.5), "checkpoint", item="BOLT") == [
        ("BOLT", "WH1-A", None, Decimal("50")),
        ("BOLT", "WH1-A-01", None, Decimal("57")),
        ("BOLT", "WH2-A", None, Decimal("20")),
    ]
    fresh = take_checkpoint(db, CTX, as_of=day(3.5)).id
    for at in INSTANTS:
        for filters in FILTERS:
            from_balances = snapshot(db, day(at), "balances", **filters)
            assert snapshot(db, day(at), "checkpoint", **filters) == from_balances, (at, filters)
    assert checkpoint_validity(db) == {early: True, late: False, fresh: True}


def test_value_as_of_a_past_time_is_the_value_at_that_time(
    db: Database, history: dict[int, Values]
) -> None:
    assert history[2] == [
        ("BOLT", Decimal("120"), Decimal("170")),  # FIFO: 70 x 1 + 50 x 2
        ("FLOUR", Decimal("60"), Decimal("120")),  # average: (40 x 1.5 + 20 x 3) / 60 = 2
        ("GLUE", Decimal("10"), Decimal("30")),
    ]
    assert history[4] == [
        ("BOLT", Decimal("120"), Decimal("170")),  # a transfer changes no value
        ("FLOUR", Decimal("45"), Decimal("90")),  # 15 issued at the average 2
        ("GLUE", Decimal("10"), Decimal("30")),
    ]
    for n, expected in history.items():
        assert values(db, day(n + 0.5)) == expected, n
    take_checkpoint(db, CTX, as_of=day(2.5))
    for n, expected in history.items():
        assert values(db, day(n + 0.5)) == expected, n
    with db.read() as conn:
        assert stock_value(conn, now(), day(-1)).total_value == Decimal(0)
        assert stock_value(conn, now(), day(2.5)).total_value == Decimal("320")


def test_totals_by_item_as_of_several_instants(db: Database, history: dict[int, Values]) -> None:
    assert item_totals(db, day(-1)) == []
    assert item_totals(db, day(0)) == [
        ("BOLT", "Hex bolt M8", "pcs", Decimal("100")),
        ("FLOUR", "Wheat flour", "kg", Decimal("40")),
    ]
    assert item_totals(db, day(2.5)) == [
        ("BOLT", "Hex bolt M8", "pcs", Decimal("120")),
        ("FLOUR", "Wheat flour", "kg", Decimal("60")),
        ("GLUE", "Wood glue", "pcs", Decimal("10")),
    ]
    assert [(t[0], t[3]) for t in item_totals(db, day(5.5))] == [
        ("BOLT", Decimal("120")),  # the transfer to WH2 stays in storage
        ("FLOUR", Decimal("45")),
        ("GLUE", Decimal("6")),
    ]


def test_totals_by_item_as_of_location_and_warehouse(
    db: Database, history: dict[int, Values]
) -> None:
    def totals(at: float, **filters: str | bool) -> list[tuple[str, Decimal]]:
        return [(t[0], t[3]) for t in item_totals(db, day(at), **filters)]

    assert totals(1.5, location="WH1-A") == [("BOLT", Decimal("150")), ("GLUE", Decimal("10"))]
    assert totals(3.5, location="WH1-A") == [("BOLT", Decimal("100")), ("GLUE", Decimal("10"))]
    assert totals(3.5, location="WH1-A-01") == [("BOLT", Decimal("50"))]
    assert totals(3.5, warehouse="WH2") == [("BOLT", Decimal("20"))]
    assert totals(2.5, warehouse="WH2") == []
    assert totals(4.5, warehouse="WH1") == [
        ("BOLT", Decimal("100")),
        ("FLOUR", Decimal("45")),
        ("GLUE", Decimal("10")),
    ]
    assert totals(4.5, item="FLOUR") == [("FLOUR", Decimal("45"))]
    # every move is balanced: over all locations, virtual ones included, each item nets to zero
    assert totals(4.5, include_virtual=True) == []


def summed_rows(db: Database, at: datetime, use: str, **filters: str) -> list[tuple[str, Decimal]]:
    per_item: dict[str, Decimal] = {}
    for item, _, _, on_hand in snapshot(db, at, use, **filters):
        per_item[item] = per_item.get(item, Decimal(0)) + on_hand
    return [(item, total) for item, total in sorted(per_item.items()) if total != 0]


def test_totals_by_item_as_of_agree_with_the_rows_from_either_anchor(
    db: Database, history: dict[int, Values]
) -> None:
    take_checkpoint(db, CTX, as_of=day(2.5))
    for at in INSTANTS:
        for filters in FILTERS:
            from_rows = summed_rows(db, day(at), "balances", **filters)
            for use in ("balances", "checkpoint", "auto"):
                totals = [(t[0], t[3]) for t in item_totals(db, day(at), use, **filters)]
                assert totals == from_rows, (at, filters, use)


def test_totals_by_item_as_of_see_back_dated_moves(
    db: Database, history: dict[int, Values]
) -> None:
    take_checkpoint(db, CTX, as_of=day(2.5))
    receive_stock(
        db, CTX, Receive("BOLT", "7", "WH1-A-01", unit_cost="1", effective_at=day(1.25))
    )  # posted last, dated before the checkpoint
    for use in ("balances", "checkpoint", "auto"):
        assert [(t[0], t[3]) for t in item_totals(db, day(1.2), use)] == [
            ("BOLT", Decimal("150")),
            ("FLOUR", Decimal("40")),
            ("GLUE", Decimal("10")),
        ], use
        assert [(t[0], t[3]) for t in item_totals(db, day(1.25), use)] == [
            ("BOLT", Decimal("157")),
            ("FLOUR", Decimal("40")),
            ("GLUE", Decimal("10")),
        ], use
        assert [(t[0], t[3]) for t in item_totals(db, day(2.5), use)] == [
            ("BOLT", Decimal("127")),
            ("FLOUR", Decimal("60")),
            ("GLUE", Decimal("10")),
        ], use
        assert [(t[0], t[3]) for t in item_totals(db, day(3.5), use, warehouse="WH1")] == [
            ("BOLT", Decimal("107")),
            ("FLOUR", Decimal("60")),
            ("GLUE", Decimal("10")),
        ], use
