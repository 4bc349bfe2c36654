"""Turnover and days of inventory (库存周转率) over a period, by item, category, item type or
warehouse: the cost of goods issued over the average inventory value, that average taken from
as-of values at each day's end (periods up to 92 days) or each month's end (longer)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    day_end,
    ordered,
)
from cangku.queries.reports.flows import Flow, flows, sum_flows
from cangku.queries.reports.points import fold_points
from cangku.queries.reports.state import NOWHERE, item_info, warehouse_names
from cangku.queries.reports.stock_value import LABEL_COLUMNS
from cangku.queries.reports.value_movement import group_label

__all__ = ["average_points", "turnover", "turnover_ratio"]

GROUP = Option("group", "Group by", choices=("item", "category", "type", "warehouse"))
TITLE = "Turnover and days of inventory"
#: daily points up to this many days, month ends beyond
DAILY_UP_TO = 92
#: the recent demand days of supply are computed from
RECENT_DAYS = 90
DEFINITIONS = (
    "Turnover: cost of goods issued in the period ÷ average inventory value. Cost of goods "
    "issued is what went to customers and production, less what came back, at the cost the "
    "ledger posted.",
    "Average inventory value: the mean of exact as-of values, the opening and each day's end "
    "for periods up to 92 days, the opening and each month's end for longer ones (the last "
    "point is the period's end).",
    "Days of inventory: the days in the period ÷ turnover (the average value ÷ the cost of "
    "goods issued per day).",
    "Days of supply: the closing value ÷ the cost of goods issued per day over the last 90 "
    "days of the period (the whole period if shorter).",
)
FIGURES = (
    Column("cogs", "Cost of goods issued", "money"),
    Column("opening", "Opening value", "money"),
    Column("closing", "Closing value", "money"),
    Column("average", "Average value", "money"),
    Column("turnover", "Turnover", "number"),
    Column("days_of_inventory", "Days of inventory", "days"),
    Column("days_of_supply", "Days of supply", "days"),
)


def _month_end(day: date) -> date:
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return following - timedelta(days=1)


def average_points(query: ReportQuery) -> tuple[list[datetime], str]:
    """The instants the average is taken over (the opening first, the closing last) and the
    method (``daily`` or ``monthly``)."""
    assert query.start is not None and query.end is not None
    assert query.opening_at is not None and query.closing_at is not None
    ends: list[date] = []
    if query.days <= DAILY_UP_TO:
        method = "daily"
        ends = [query.start + timedelta(days=i) for i in range(query.days - 1)]
    else:
        method = "monthly"
        day = _month_end(query.start)
        while day < query.end:
            ends.append(day)
            day = _month_end(day + timedelta(days=1))
    points = [query.opening_at, *(day_end(d, query.zone) for d in ends), query.closing_at]
    return points, method


def turnover_ratio(issued: int, summed: int) -> Decimal | None:
    """Cost of goods issued (times the number of points) over the summed values, two places."""
    return _ratio(issued, summed, 2)


def _ratio(numerator: int, denominator: int, places: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places))


def turnover(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    assert query.end is not None and query.opening_at is not None
    assert query.closing_at is not None
    info = item_info(conn, query.scope)
    names = warehouse_names(conn) if group == "warehouse" else {}
    warehouses = query.scope.warehouses
    by_warehouse = warehouses is not None or group == "warehouse"

    def holding_group(item: int, warehouse: int | None) -> Hashable | None:
        if warehouse is not None and warehouses is not None:
            if warehouse == NOWHERE or warehouse not in warehouses:
                return None
        return group_label(group, info[item], warehouse or NOWHERE, names)

    points, method = average_points(query)
    folded = fold_points(conn, points, set(info), holding_group, by_warehouse=by_warehouse,
                         now=query.now)  # fmt: skip
    recent_days = min(RECENT_DAYS, query.days)
    recent_from = day_end(query.end - timedelta(days=recent_days), query.zone)
    found = flows(
        conn, query.opening_at, query.closing_at, set(info), warehouses,
        bounds=[recent_from], by_warehouse=group == "warehouse",
    )  # fmt: skip

    def flow_group(flow: Flow) -> Hashable:
        return (flow.k, group_label(group, info[flow.item], flow.warehouse, names))

    moved = sum_flows(found, flow_group)

    def cogs(key: Hashable, recent_only: bool) -> int:
        total = 0
        for k in (1,) if recent_only else (0, 1):
            kinds = moved.get((k, key))
            if kinds is not None:
                total += kinds["issued"][1] - kinds["returned"][1]
        return total

    count = len(points)
    keys: set[Any] = set(folded.value_sum) | {pair[1] for pair in moved}  # type: ignore[index]
    rows: list[tuple[Any, ...]] = []
    for key in keys:
        issued, recent = cogs(key, False), cogs(key, True)
        value_sum = folded.value_sum.get(key, 0)
        opening = folded.first.get(key, (0, 0))[1]
        closing = folded.last.get(key, (0, 0))[1]
        if not (issued or value_sum or opening or closing):
            continue
        average = Decimal(value_sum) / count
        times = _ratio(issued * count, value_sum, 2)
        days = _ratio(value_sum * query.days, issued * count, 1) if issued > 0 else None
        supply = _ratio(closing * recent_days, recent, 1) if recent > 0 else None
        rows.append(
            (
                *key,
                from_scaled(issued),
                from_scaled(opening),
                from_scaled(closing),
                from_scaled(int(average.to_integral_value())),
                times,
                days,
                supply,
            )
        )
    labels = LABEL_COLUMNS[group]
    rows = ordered(rows, len(labels), 0)
    columns = (*labels, *FIGURES)
    n = len(labels)
    total_cogs = sum((r[n] for r in rows), Decimal(0))
    total_avg = Decimal(sum(folded.value_sum.values())) / count
    totals: tuple[Any, ...] = (
        *([None] * n),
        total_cogs,
        sum((r[n + 1] for r in rows), Decimal(0)),
        sum((r[n + 2] for r in rows), Decimal(0)),
        from_scaled(int(total_avg.to_integral_value())),
        _ratio(int(total_cogs * 10**6) * count, sum(folded.value_sum.values()), 2),
        None,
        None,
    )
    notes = (("Average of %(count)s points, method: %(method)s", {"count": count,
                                                                   "method": method}),)  # fmt: skip
    chart = Chart("bar", labels[0].key, ("turnover",))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query, notes)
