"""Demand history (issue 16): issues to customers and production less returns, per local day
and week, per warehouse; transfers, scraps and production output left out; outliers flagged.

The company's zone is Asia/Shanghai (UTC+8), so a move at 17:00 UTC belongs to the next local
day. The history runs Monday 2025-03-03 to Sunday 2025-03-16: two whole weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.domain.company import CompanyChanges
from cangku.queries.demand import DemandHistory, demand_history, outliers
from cangku.queries.stock import warehouse_id
from cangku.services.company import update_company
from cangku.services.stock import (
    issue_stock,
    receive_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Issue, Receive, Reference, Reverse, Scrap, Transfer
from tests.factories import CTX, build_company

START, END = date(2025, 3, 3), date(2025, 3, 16)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def sell(db: Database, quantity: str, location: str, at: datetime, to: str = "customer") -> int:
    return (
        issue_stock(db, CTX, Issue("BOLT", quantity, location, to=to, effective_at=at)).moves[0].id
    )


@pytest.fixture
def ledger(db: Database) -> Database:
    build_company(db)
    update_company(db, CTX, CompanyChanges(time_zone="Asia/Shanghai"))
    receive_stock(db, CTX, Receive("BOLT", "1000", "WH1-A", unit_cost="1", effective_at=utc(1, 2)))
    receive_stock(db, CTX, Receive("BOLT", "500", "WH2-A", unit_cost="1", effective_at=utc(1, 2)))
    # outside the history: 23:59 on 2 March and 00:30 on 17 March, Shanghai time
    sell(db, "99", "WH1-A", utc(2, 15, 59))
    sell(db, "98", "WH1-A", utc(16, 16, 30))
    # 3 March 10:00 local: 10 sold; 4 March 01:00 local: 5 to production, 3 returned at 11:00
    sell(db, "10", "WH1-A", utc(3, 2))
    sell(db, "5", "WH1-A", utc(3, 17), to="production")
    back = Reference(document_type="customer_return", document_id="CR-1")
    receive_stock(db, CTX, Receive("BOLT", "3", "WH1-A", source="customer", reference=back,
                                   effective_at=utc(4, 3)))  # fmt: skip
    # 5 March: a transfer and a scrap (not demand); WH2 sells 7; 6 March WH2's production
    # hands in 20 (output: supply, not a return)
    transfer_stock(db, CTX, Transfer("BOLT", "50", "WH1-A", "WH2-A", effective_at=utc(5, 1)))
    scrap_stock(db, CTX, Scrap("BOLT", "4", "WH1-A", effective_at=utc(5, 2)))
    sell(db, "7", "WH2-A", utc(5, 4))
    receive_stock(db, CTX, Receive("BOLT", "20", "WH2-A", source="production",
                                   unit_cost="1", effective_at=utc(6, 3)))  # fmt: skip
    # 6-10 March: 10 a day; 11 March: 200 (the outlier); 12 March: 6 sold and reversed
    for day in range(6, 11):
        sell(db, "10", "WH1-A", utc(day, 3))
    sell(db, "200", "WH1-A", utc(11, 3))
    wrong = sell(db, "6", "WH1-A", utc(12, 3))
    reverse_move(db, CTX, Reverse(wrong, effective_at=utc(12, 4)))
    return db


def read(db: Database, **kwargs: object) -> DemandHistory:
    with db.read() as conn:
        return demand_history(conn, START, END, **kwargs)  # type: ignore[arg-type]


def test_daily_and_weekly_demand_per_warehouse_nets_returns_and_leaves_out_the_rest(
    ledger: Database,
) -> None:
    history = read(ledger)
    assert [(s.item_code, s.warehouse_code) for s in history.series] == [
        ("BOLT", "WH1"), ("BOLT", "WH2"),
    ]  # fmt: skip
    wh1, wh2 = history.series
    # WH1: 3 Mar 10; 4 Mar 5 - 3 = 2; 6-10 Mar 10 each; 11 Mar 200; 12 Mar 6 - 6 = 0 (absent)
    assert wh1.daily == {
        date(2025, 3, 3): Decimal(10),
        date(2025, 3, 4): Decimal(2),
        **{date(2025, 3, d): Decimal(10) for d in range(6, 11)},
        date(2025, 3, 11): Decimal(200),
    }
    # week of 3 Mar: 10 + 2 + 4 x 10 = 52; week of 10 Mar: 10 + 200 = 210
    assert wh1.weekly == {date(2025, 3, 3): Decimal(52), date(2025, 3, 10): Decimal(210)}
    assert wh2.daily == {date(2025, 3, 5): Decimal(7)}
    assert wh2.weekly == {date(2025, 3, 3): Decimal(7)}
    assert history.weekly(wh2) == [Decimal(7), Decimal(0)]
    assert len(history.daily(wh1)) == 14
    assert sum(history.daily(wh1)) == Decimal(262)


def test_the_outlier_day_is_flagged_and_kept(ledger: Database) -> None:
    wh1 = read(ledger).series[0]
    # nonzero days 10, 2, 10 x 5, 200: median 10, MAD 0 -> floor 1; limit 10 + 5 x 1 = 15
    assert wh1.outlier_days == frozenset({date(2025, 3, 11)})
    assert wh1.daily[date(2025, 3, 11)] == Decimal(200)
    # two nonzero weeks are too few to call one an outlier
    assert wh1.outlier_weeks == frozenset()


def test_one_warehouse_and_an_item_filter(ledger: Database) -> None:
    with ledger.read() as conn:
        wh2 = warehouse_id(conn, "WH2")
    only = read(ledger, stock_warehouses=frozenset({wh2}))
    assert [(s.warehouse_code, dict(s.daily)) for s in only.series] == [
        ("WH2", {date(2025, 3, 5): Decimal(7)})
    ]
    assert read(ledger, item_ids=[10**9]).series == []


def test_outlier_rule_needs_five_nonzero_periods_and_a_real_rise() -> None:
    days = {date(2025, 1, d): Decimal(v) for d, v in enumerate([4, 5, 6, 5, 30], start=1)}
    # median 5, deviations 1, 0, 1, 0, 25 -> MAD 1; limit 5 + 5 = 10: 30 flagged
    assert outliers(days) == frozenset({date(2025, 1, 5)})
    assert outliers(dict(list(days.items())[1:])) == frozenset()
    # equal figures and a slight rise: MAD 0, floor 10 / 10 = 1; limit 15: 14 not flagged
    flat = {date(2025, 1, d): Decimal(14 if d == 6 else 10) for d in range(1, 7)}
    assert outliers(flat) == frozenset()
