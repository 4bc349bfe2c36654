"""Stock over time (queries.series): each point of the value series and of an item's on-hand
series equals the as-of read at its time, exactly, for the company and within warehouses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cangku.db.tables import warehouses
from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.queries.asof import item_total_as_of
from cangku.queries.series import day_ends, month_ends, on_hand_series, value_series
from cangku.queries.valuation import stock_value
from cangku.services.periods import take_checkpoint
from cangku.services.stock import issue_stock, receive_stock, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Transfer
from tests.factories import CTX, build_company

SHANGHAI = ZoneInfo("Asia/Shanghai")


def months_ago(n: int, day: int = 10, hour: int = 9) -> datetime:
    """``day`` of the month ``n`` months before this one, at ``hour`` in Shanghai."""
    local = datetime.now(SHANGHAI)
    year, month = local.year, local.month - n
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def first_of(n: int) -> datetime:
    """Midnight (Shanghai) starting the month ``n`` months before this one."""
    return months_ago(n, 1, 0)


def scope(db: Database, *codes: str) -> frozenset[int]:
    with db.read() as conn:
        found = conn.execute(select(warehouses.c.id).where(warehouses.c.code.in_(codes)))
        return frozenset(int(row[0]) for row in found)


@pytest.fixture
def company(db: Database) -> Database:
    """Moves over ten months, posted in business-time order, one at a month's first instant,
    one checkpoint between them."""
    build_company(db)
    for command in [
        Receive("BOLT", "100", "WH1-A", unit_cost="1", effective_at=months_ago(10)),
        Receive("FLOUR", "40", "WH1-B", lot="F1", unit_cost="1.5", effective_at=months_ago(9)),
        Receive("BOLT", "50", "WH1-A-01", unit_cost="2", effective_at=months_ago(8)),
        Transfer("BOLT", "30", "WH1-A", "WH2-A", effective_at=months_ago(7)),
        Receive("FLOUR", "20", "WH1-B", lot="F2", unit_cost="3", effective_at=months_ago(6)),
        Issue("BOLT", "25", "WH1-A", effective_at=months_ago(5)),
        # exactly midnight of a month's first day: counted in that month, not the one before
        Receive("GLUE", "7", "WH1-A", lot="G1", unit_cost="0.3333", effective_at=first_of(4)),
        Issue("FLOUR", "13", "WH1-B", lot="F1", to="production", effective_at=months_ago(3)),
        Transfer("FLOUR", "10", "WH1-B", "WH2-A", lot="F2", effective_at=months_ago(2)),
        Issue("BOLT", "11", "WH2-A", effective_at=months_ago(1)),
        Receive("BOLT", "3", "WH2-A", unit_cost="7", effective_at=months_ago(0, 1, 1)),
    ]:
        if isinstance(command, Receive):
            receive_stock(db, CTX, command)
            if command.item == "FLOUR" and command.lot == "F2":
                take_checkpoint(db, CTX, months_ago(6, 20))
        elif isinstance(command, Issue):
            issue_stock(db, CTX, command)
        else:
            transfer_stock(db, CTX, command)
    return db


SCOPES = [None, ("WH1",), ("WH2",), ("WH1", "WH2"), ()]


def test_value_at_each_month_end_equals_the_valuation_as_of_then(company: Database) -> None:
    now = datetime.now(UTC)
    points = month_ends(now, SHANGHAI)
    for codes in SCOPES:
        seen = None if codes is None else scope(company, *codes)
        with company.read() as conn:
            series = value_series(conn, points, warehouses=seen)
            expected = [stock_value(conn, now, at, warehouses=seen).total_value for at in points]
        assert [p.at for p in series] == points
        assert [p.amount for p in series] == expected, codes


def test_value_series_exact_figures(company: Database) -> None:
    now = datetime.now(UTC)
    points = month_ends(now, SHANGHAI)
    with company.read() as conn:
        whole = [p.amount for p in value_series(conn, points)]
        second = [p.amount for p in value_series(conn, points, warehouses=scope(company, "WH2"))]
    # month ends 12 .. 1 months ago, then now
    assert whole == [
        Decimal(0),
        Decimal(0),
        Decimal("100"),  # 100 BOLT at 1
        Decimal("160"),  # + 40 FLOUR at 1.5
        Decimal("260"),  # + 50 BOLT at 2
        Decimal("260"),  # a transfer changes no value
        Decimal("320"),  # + 20 FLOUR at 3
        Decimal("295"),  # - 25 BOLT at 1 (FIFO)
        Decimal("297.3331"),  # + 7 GLUE at 0.3333, posted at the month's first instant
        Decimal("271.3331"),  # - 13 FLOUR at 2 (moving average)
        Decimal("271.3331"),  # a transfer
        Decimal("260.3331"),  # - 11 BOLT at 1 (FIFO, the company's queue)
        Decimal("281.3331"),  # now: + 3 BOLT at 7
    ]
    # WH2 holds 30 of the company's 150 BOLT (value 200), then 30 of 125 (value 175)
    assert second[:8] == [Decimal(0)] * 5 + [Decimal(40), Decimal(40), Decimal(42)]


def test_value_series_without_a_warehouse_is_zero(company: Database) -> None:
    now = datetime.now(UTC)
    with company.read() as conn:
        series = value_series(conn, month_ends(now, SHANGHAI), warehouses=frozenset())
    assert {p.amount for p in series} == {Decimal(0)}


@pytest.mark.parametrize("days", [30, 90, 365])
def test_on_hand_at_each_point_equals_the_as_of_total(company: Database, days: int) -> None:
    now = datetime.now(UTC)
    points = day_ends(now, SHANGHAI, days)
    assert len(points) == {30: 31, 90: 91, 365: 54}[days]
    for codes in SCOPES[:3]:
        seen = None if codes is None else scope(company, *codes)
        for item in ["BOLT", "FLOUR", "GLUE", "PUMP"]:
            with company.read() as conn:
                series = on_hand_series(conn, item, points, warehouses=seen)
                expected = [item_total_as_of(conn, item, at, now, warehouses=seen) for at in points]
            assert [p.amount for p in series] == expected, (codes, item)


def test_on_hand_series_exact_figures(company: Database) -> None:
    now = datetime.now(UTC)
    points = [months_ago(9, 1), months_ago(7, 20), months_ago(1, 20), now]
    with company.read() as conn:
        everywhere = [p.amount for p in on_hand_series(conn, "BOLT", points)]
        second = on_hand_series(conn, "6901234567892", points, warehouses=scope(company, "WH2"))
    assert everywhere == [Decimal(100), Decimal(150), Decimal(114), Decimal(117)]
    assert [p.amount for p in second] == [Decimal(0), Decimal(30), Decimal(19), Decimal(22)]


def test_on_hand_series_of_an_unknown_item_is_not_found(company: Database) -> None:
    with company.read() as conn, pytest.raises(NotFound) as caught:
        on_hand_series(conn, "NOPE", [datetime.now(UTC)])
    assert caught.value.code == "item_not_found"


def test_month_ends_are_the_last_instants_of_local_months() -> None:
    now = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)
    points = month_ends(now, SHANGHAI, 3)
    assert points == [
        datetime(2025, 12, 31, 15, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 31, 15, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 2, 28, 15, 59, 59, 999999, tzinfo=UTC),
        now,
    ]
    weekly = day_ends(now, SHANGHAI, 365)
    assert weekly[-2] == datetime(2026, 3, 14, 15, 59, 59, 999999, tzinfo=UTC)
    assert weekly[-3] == datetime(2026, 3, 7, 15, 59, 59, 999999, tzinfo=UTC)
