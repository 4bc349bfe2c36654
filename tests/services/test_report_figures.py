"""The analysis reports (queries.reports) on a small ledger: figures computed by hand, and the
reports agreeing with each other (a series point with the as-of report, a warehouse's share read
per location and per warehouse, the movement identity in every scope, and a checkpoint changing
nothing), on both engines."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from cangku.db.tables import items, warehouses
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS, Report, read_query, run_report
from cangku.queries.reports.state import allocate
from cangku.queries.reports.turnover import average_points
from cangku.services.periods import take_checkpoint
from cangku.services.stock import issue_stock, receive_stock, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Transfer
from tests.factories import CTX, build_company

#: the company's zone: build_company keeps the default
ZONE = ZoneInfo("UTC")
NOW = datetime.now(UTC)
TODAY = NOW.astimezone(ZONE).date()


def days_ago(n: int, hour: int = 10) -> datetime:
    day = TODAY - timedelta(days=n)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def ledger(db: Database) -> Database:
    """BOLT (FIFO) and FLOUR (moving average) received, moved to WH2 and issued over 150 days."""
    build_company(db)
    steps: list[Any] = [
        Receive("BOLT", "100", "WH1-A", unit_cost="1", effective_at=days_ago(150)),
        Receive("BOLT", "50", "WH1-A-01", unit_cost="2", effective_at=days_ago(120)),
        Receive(
            "FLOUR",
            "40",
            "WH1-B",
            lot="F1",
            unit_cost="1.5",
            effective_at=days_ago(118),
            expires_on=TODAY - timedelta(days=5),
        ),
        Transfer("BOLT", "30", "WH1-A", "WH2-A", effective_at=days_ago(90)),
        Issue("BOLT", "60", "WH1-A", effective_at=days_ago(85)),
        Receive(
            "FLOUR",
            "20",
            "WH1-B",
            lot="F2",
            unit_cost="3",
            effective_at=days_ago(60),
            expires_on=TODAY + timedelta(days=40),
        ),
        Issue("FLOUR", "13", "WH1-B", lot="F1", to="production", effective_at=days_ago(45)),
        Issue("BOLT", "20", "WH2-A", effective_at=days_ago(20)),
    ]
    for step in steps:
        if isinstance(step, Receive):
            receive_stock(db, CTX, step)
        elif isinstance(step, Issue):
            issue_stock(db, CTX, step)
        else:
            transfer_stock(db, CTX, step)
    return db


def report(db: Database, name: str, visible: frozenset[int] | None = None, **params: str) -> Report:
    with db.read() as conn:
        return run_report(conn, read_query(conn, REPORTS[name], params, NOW, visible))


def column(found: Report, key: str) -> dict[Any, Any]:
    """The figure ``key`` per row, by the row's first cell."""
    at = found.column_keys().index(key)
    return {row[0]: row[at] for row in found.rows}


def total(found: Report, key: str) -> Any:
    assert found.totals is not None
    return found.totals[found.column_keys().index(key)]


def warehouse_ids(db: Database, *codes: str) -> frozenset[int]:
    with db.read() as conn:
        found = conn.execute(select(warehouses.c.id).where(warehouses.c.code.in_(codes)))
        return frozenset(int(row[0]) for row in found)


def test_stock_value_now_by_item_and_by_warehouse(ledger: Database) -> None:
    # BOLT: 150 in, 80 out FIFO (60 + 20 at 1): 20 at 1 + 50 at 2 = 120; FLOUR: 60 kg at an
    # average of 2 (60 + 60 for 60 kg), 13 out: 47 kg = 94
    by_item = report(ledger, "stock-value")
    assert column(by_item, "value") == {"BOLT": Decimal("120"), "FLOUR": Decimal("94")}
    assert column(by_item, "quantity") == {"BOLT": Decimal("70"), "FLOUR": Decimal("47")}
    assert total(by_item, "value") == Decimal("214")
    # BOLT is 60 in WH1, 10 in WH2: 120 x 60/70 = 102.857142857..., the remainder unit to WH1
    by_warehouse = report(ledger, "stock-value", group="warehouse")
    assert column(by_warehouse, "value") == {
        "WH1": Decimal("196.857143"),
        "WH2": Decimal("17.142857"),
    }
    assert column(by_warehouse, "share") == {"WH1": Decimal("91.99"), "WH2": Decimal("8.01")}


def test_stock_value_as_of_a_past_day(ledger: Database) -> None:
    # the end of the day 100 days ago: BOLT 150 (100 at 1 + 50 at 2), FLOUR 40 at 1.5
    day = (TODAY - timedelta(days=100)).isoformat()
    found = report(ledger, "stock-value", at=day)
    assert column(found, "value") == {"BOLT": Decimal("200"), "FLOUR": Decimal("60")}
    assert column(found, "unit_cost") == {"BOLT": Decimal("1.333333"), "FLOUR": Decimal("1.5")}


def test_value_movement_over_the_whole_history(ledger: Database) -> None:
    start = (TODAY - timedelta(days=200)).isoformat()
    found = report(ledger, "value-movement", start=start, end=TODAY.isoformat())
    assert column(found, "received") == {"BOLT": Decimal("200"), "FLOUR": Decimal("120")}
    assert column(found, "issued") == {"BOLT": Decimal("80"), "FLOUR": Decimal("26")}
    assert column(found, "cogs") == {"BOLT": Decimal("80"), "FLOUR": Decimal("26")}
    assert column(found, "closing") == {"BOLT": Decimal("120"), "FLOUR": Decimal("94")}
    assert total(found, "opening") == Decimal("0")
    assert total(found, "revaluation") == Decimal("0")


@pytest.mark.parametrize("scope", [None, ("WH1",), ("WH2",)], ids=["company", "WH1", "WH2"])
@pytest.mark.parametrize("group", ["item", "warehouse", "type"])
def test_value_movement_reconciles_in_every_scope(
    ledger: Database, scope: tuple[str, ...] | None, group: str
) -> None:
    visible = warehouse_ids(ledger, *scope) if scope else None
    start = (TODAY - timedelta(days=100)).isoformat()
    found = report(ledger, "value-movement", visible, group=group, start=start)
    keys = found.column_keys()
    for row in found.rows:
        f = dict(zip(keys, row, strict=True))
        flows = (
            f["received"] + f["produced"] - f["supplier_return"] - f["issued"] + f["returned"]
            + f["adjusted"] + f["revaluation"]
        )  # fmt: skip
        assert f["opening"] + flows == f["closing"], row
    if scope is None:  # per warehouse it carries the transfers; for the company it is zero
        assert total(found, "revaluation") == 0
        if group != "warehouse":
            assert all(row[keys.index("revaluation")] == 0 for row in found.rows)
    # closing and opening agree with the stock value as of those days, in the same scope
    opening_day = (TODAY - timedelta(days=101)).isoformat()
    assert total(found, "opening") == total(
        report(ledger, "stock-value", visible, at=opening_day), "value"
    )
    assert total(found, "closing") == total(report(ledger, "stock-value", visible), "value")


@pytest.mark.parametrize("scope", [None, ("WH1",), ("WH2",)], ids=["company", "WH1", "WH2"])
def test_a_warehouse_share_is_the_same_per_location_and_per_warehouse(
    ledger: Database, scope: tuple[str, ...] | None
) -> None:
    visible = warehouse_ids(ledger, *scope) if scope else None
    for day in (None, (TODAY - timedelta(days=88)).isoformat()):
        at = {"at": day} if day else {}
        by_location = report(ledger, "stock-value", visible, group="location", **at)
        per_house: defaultdict[str, Decimal] = defaultdict(Decimal)
        for code, value in column(by_location, "value").items():
            per_house[code.split("-")[0]] += value
        by_house = report(ledger, "stock-value", visible, group="warehouse", **at)
        assert dict(per_house) == column(by_house, "value")
        assert total(by_location, "value") == total(by_house, "value")


@pytest.mark.parametrize("scope", [None, ("WH1",), ("WH2",)], ids=["company", "WH1", "WH2"])
def test_each_trend_point_equals_the_stock_value_as_of_its_day(
    ledger: Database, scope: tuple[str, ...] | None
) -> None:
    visible = warehouse_ids(ledger, *scope) if scope else None
    start = (TODAY - timedelta(days=160)).isoformat()
    trend = report(ledger, "trends", visible, start=start, interval="week")
    keys = trend.column_keys()
    for row in trend.rows[:-1]:
        to: date = row[keys.index("to")]
        as_of = report(ledger, "stock-value", visible, at=to.isoformat())
        assert row[keys.index("value")] == total(as_of, "value"), to
    assert trend.rows[-1][keys.index("value")] == total(
        report(ledger, "stock-value", visible), "value"
    )
    # inflow and outflow add up to the change over the period
    opening = total(report(ledger, "stock-value", visible, at=(TODAY - timedelta(days=161))
                           .isoformat()), "value")  # fmt: skip
    change = total(trend, "in_value") - total(trend, "out_value")
    assert opening + change == trend.rows[-1][keys.index("value")] or scope is not None


def test_one_item_trend_shows_quantities(ledger: Database) -> None:
    start = (TODAY - timedelta(days=160)).isoformat()
    trend = report(ledger, "trends", item="BOLT", start=start, interval="month")
    assert total(trend, "in_quantity") == Decimal("150")
    assert total(trend, "out_quantity") == Decimal("80")
    assert trend.rows[-1][trend.column_keys().index("quantity")] == Decimal("70")


@pytest.mark.parametrize("days", [60, 150], ids=["daily", "monthly"])
def test_turnover_average_is_the_mean_of_the_as_of_values(ledger: Database, days: int) -> None:
    start = (TODAY - timedelta(days=days - 1)).isoformat()
    found = report(ledger, "turnover", start=start)
    with ledger.read() as conn:
        points, method = average_points(read_query(conn, REPORTS["turnover"], {"start": start},
                                                   NOW))  # fmt: skip
    assert method == ("daily" if days <= 92 else "monthly")
    sums: defaultdict[str, Decimal] = defaultdict(Decimal)
    for at in points[:-1]:
        day = at.astimezone(ZONE).date().isoformat()
        for item, value in column(report(ledger, "stock-value", at=day), "value").items():
            sums[item] += value
    for item, value in column(report(ledger, "stock-value"), "value").items():
        sums[item] += value
    average = column(found, "average")
    for item, summed in sums.items():
        assert average[item] == (summed / len(points)).quantize(Decimal("0.000001")), item
    cogs = column(found, "cogs")
    expected_cogs = {60: {"BOLT": Decimal("20"), "FLOUR": Decimal("26")},
                     150: {"BOLT": Decimal("80"), "FLOUR": Decimal("26")}}[days]  # fmt: skip
    assert {k: v for k, v in cogs.items() if v} == expected_cogs
    turnover = column(found, "turnover")
    for item in expected_cogs:
        assert turnover[item] == (cogs[item] / average[item]).quantize(Decimal("0.01"))


def test_a_checkpoint_changes_no_figure(ledger: Database) -> None:
    asks = [
        ("stock-value", {"at": (TODAY - timedelta(days=70)).isoformat(), "group": "location"}),
        ("value-movement", {"start": (TODAY - timedelta(days=100)).isoformat(),
                            "group": "warehouse"}),
        ("turnover", {"start": (TODAY - timedelta(days=140)).isoformat()}),
        ("trends", {"start": (TODAY - timedelta(days=140)).isoformat(), "interval": "week"}),
        ("structure", {"compare": (TODAY - timedelta(days=100)).isoformat()}),
    ]  # fmt: skip
    before = [report(ledger, name, **params).rows for name, params in asks]
    take_checkpoint(ledger, CTX, days_ago(95))
    take_checkpoint(ledger, CTX, days_ago(50))
    after = [report(ledger, name, **params).rows for name, params in asks]
    assert before == after


def test_ageing_follows_the_latest_receipts(ledger: Database) -> None:
    # BOLT's 70 on hand: the 50 received 120 days ago and 20 of the 100 received 150 days ago;
    # FLOUR's 47: the 20 received 60 days ago and 27 of the 40 received 118 days ago, its 94
    # shared 20:27 = 40 and 54
    found = report(ledger, "ageing", idle="30")
    assert column(found, "days_91-180") == {"BOLT": Decimal("120"), "FLOUR": Decimal("54")}
    assert column(found, "days_31-90") == {"BOLT": Decimal("0"), "FLOUR": Decimal("40")}
    assert column(found, "idle_days") == {"BOLT": 20, "FLOUR": 45}
    assert column(found, "status") == {"BOLT": "", "FLOUR": "slow"}
    assert total(found, "value") == Decimal("214")
    bands = report(ledger, "ageing", group="type", buckets="100,130")
    assert bands.column_keys()[3:6] == ["days_0-100", "days_101-130", "days_>130"]
    assert column(bands, "days_101-130") == {"spare_part": Decimal("85.714286"),
                                             "raw_material": Decimal("54")}  # fmt: skip
    assert column(bands, "days_>130") == {"spare_part": Decimal("34.285714"),
                                          "raw_material": Decimal("0")}  # fmt: skip
    # as of 100 days ago BOLT's 150 (worth 200) were all on hand, 50 of them 20 days old and
    # 100 of them 50 days old (bands share the item's value by quantity); FLOUR's 40 too
    past = report(ledger, "ageing", at=(TODAY - timedelta(days=100)).isoformat())
    assert column(past, "days_0-30") == {"BOLT": Decimal("66.666667"), "FLOUR": Decimal("60")}
    assert column(past, "days_31-90") == {"BOLT": Decimal("133.333333"), "FLOUR": Decimal("0")}
    assert column(past, "status") == {"BOLT": "dead", "FLOUR": "dead"}


def test_expiry_lists_expired_and_expiring_lots(ledger: Database) -> None:
    # F1: 27 kg left, expired 5 days ago; F2: 20 kg, expires in 40 days; 94 shared by quantity
    found = report(ledger, "expiry")
    keys = found.column_keys()
    rows = {row[keys.index("lot")]: row for row in found.rows}
    assert rows["F1"][keys.index("status")] == "expired"
    assert rows["F1"][keys.index("days_left")] == -5
    assert rows["F1"][keys.index("value")] == Decimal("54")
    assert rows["F2"][keys.index("status")] == "within_60"
    assert rows["F2"][keys.index("quantity")] == Decimal("20")
    per_item = report(ledger, "expiry", group="item")
    assert column(per_item, "expired") == {"FLOUR": Decimal("54")}
    assert column(per_item, "within_60") == {"FLOUR": Decimal("40")}
    # 50 days from now F2 is expired too, and the report as of 100 days ago shows F1 only
    # later than 90 days: nothing listed
    early = report(ledger, "expiry", at=(TODAY - timedelta(days=100)).isoformat())
    assert early.rows == []


def test_abc_xyz_classes_and_matrix(ledger: Database) -> None:
    # the last 100 days: BOLT consumed 80 (60 and 20 in two of 14 weeks), FLOUR 26 (13 kg in
    # one week): both A (FLOUR starts at 80/106 < 80 %); CV of BOLT sqrt(7.75), FLOUR sqrt(13)
    start = (TODAY - timedelta(days=99)).isoformat()
    found = report(ledger, "abc-xyz", start=start)
    assert column(found, "consumption") == {"BOLT": Decimal("80"), "FLOUR": Decimal("26")}
    assert column(found, "class") == {"BOLT": "AZ", "FLOUR": "AZ"}
    assert column(found, "cv") == {"BOLT": Decimal("2.783882"), "FLOUR": Decimal("3.605551")}
    assert column(found, "cumulative") == {"BOLT": Decimal("75.47"), "FLOUR": Decimal("100.00")}
    matrix = report(ledger, "abc-xyz", start=start, group="matrix")
    assert column(matrix, "items")["AZ"] == 2
    assert column(matrix, "consumption")["AZ"] == Decimal("106")
    assert column(matrix, "stock_value")["AZ"] == Decimal("214")
    assert sum(column(matrix, "items").values()) == 2


def test_key_figures(ledger: Database) -> None:
    # PUMP has a reorder point and nothing on hand: a stock-out; BOLT's maximum is 50 of its
    # 70 (worth 120): 20/70 of 120 over; F1 (54) expired; no count posted
    with ledger.write() as uow:
        uow.conn.execute(update(items).where(items.c.code == "PUMP").values(reorder_point=10**6))
        uow.conn.execute(update(items).where(items.c.code == "BOLT").values(max_stock=50 * 10**6))
        uow.commit()
    start = (TODAY - timedelta(days=99)).isoformat()
    found = report(ledger, "kpis", start=start)
    figures = {row[0]: row[2] for row in found.rows}
    assert figures["stock_value"] == Decimal("214")
    assert figures["stock_outs"] == 1
    assert figures["overstock_value"] == Decimal("34.285714")
    assert figures["expiring_value"] == Decimal("54")
    assert figures["count_accuracy"] is None
    turned = report(ledger, "turnover", start=start)
    assert figures["turnover"] == total(turned, "turnover")
    assert {row[0]: row[4] for row in found.rows}["turnover"] == "turnover"


@pytest.mark.parametrize(
    ("value", "weights", "shares"),
    [
        (10, [1, 1, 1], [4, 3, 3]),
        (-10, [1, 1, 1], [-4, -3, -3]),
        (120_000_000, [60, 10], [102_857_143, 17_142_857]),
        (7, [0, 5, 0], [0, 7, 0]),
        (2, [1, 1, 1, 1], [1, 1, 0, 0]),
    ],
)
def test_allocate_hands_out_the_whole_value(
    value: int, weights: list[int], shares: list[int]
) -> None:
    assert allocate(value, weights) == shares
    assert sum(allocate(value, weights)) == value
