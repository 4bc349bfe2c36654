"""ABC / XYZ over a period: items ranked by consumption value (ABC) and by how steady their
weekly demand is (XYZ), per item or as the 3 × 3 matrix with counts and values.

The classes are the cycle-count plan's rules (``domain.counts.abc_classes``,
``domain.cycle_counts.xyz_class``, ADR 0026) applied to the period and the stock in view,
computed when asked; the plan keeps its own runs per warehouse (``cangku count abc``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import moves
from cangku.domain.counts import abc_classes
from cangku.domain.cycle_counts import ABC_CLASSES, XYZ_CLASSES, xyz_class
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import Chart, Column, Option, Report, ReportQuery, day_end
from cangku.queries.reports.flows import demand
from cangku.queries.reports.state import item_info
from cangku.queries.reports.stock_value import percent, places_in_view

__all__ = ["abc_xyz"]

GROUP = Option("group", "Show", choices=("item", "matrix"))
TITLE = "ABC / XYZ analysis"
DEFINITIONS = (
    "Consumption value: issued to customers and production in the period, less what came "
    "back, at the cost the ledger posted.",
    "ABC: items by consumption value, largest first; A until 80 % of the total is reached "
    "(the item crossing it included), B until 95 %, C the rest and every item with none.",
    "XYZ: the coefficient of variation (standard deviation ÷ mean) of the weekly quantity "
    "consumed over the period's whole weeks (seven days ending with its last day; those since "
    "the ledger began): X up to 0.5, Y up to 1.0, Z above or without demand.",
    "Stock value: as of the end of the period, as in the stock value report.",
)


def _weeks(conn: Connection, query: ReportQuery) -> list[Any]:
    """The ends of the period's whole weeks (seven-day blocks ending with its last day) since
    the ledger began, the start of the first one first."""
    assert query.start is not None and query.end is not None
    began = conn.execute(select(func.min(moves.c.effective_at))).scalar()
    start = query.start
    if began is not None:
        start = max(start, began.astimezone(query.zone).date())
    weeks = max(0, (query.end - start).days + 1) // 7
    first = query.end - timedelta(days=7 * weeks)
    return [day_end(first + timedelta(days=7 * k), query.zone) for k in range(weeks + 1)]


def abc_xyz(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    assert query.opening_at is not None and query.closing_at is not None
    info = item_info(conn, query.scope)
    held: defaultdict[int, int] = defaultdict(int)
    for place in places_in_view(conn, query, query.closing_at, info, False):
        held[place.item] += place.value
    consumed: defaultdict[int, int] = defaultdict(int)
    wanted, warehouses = set(info), query.scope.warehouses
    for (item, _), (_, worth) in demand(conn, query.opening_at, query.closing_at, wanted,
                                        warehouses).items():  # fmt: skip
        consumed[item] += worth
    bounds = _weeks(conn, query)
    weekly: defaultdict[int, list[int]] = defaultdict(lambda: [0] * (len(bounds) - 1))
    if len(bounds) > 1:
        found = demand(conn, bounds[0], bounds[-1], wanted, warehouses, bounds=bounds[1:-1])
        for (item, k), (quantity, _) in found.items():
            weekly[item][k] += quantity
    value = {item: consumed.get(item, 0) for item in set(consumed) | set(held)}
    ranked = abc_classes(value)
    total = sum(v for v in value.values() if v > 0)
    rows: list[tuple[Any, ...]] = []
    matrix: dict[str, list[int]] = {a + x: [0, 0, 0] for a in ABC_CLASSES for x in XYZ_CLASSES}
    running = 0
    for item in sorted(value, key=lambda i: (-value[i], i)):
        abc = ranked[item]
        xyz, cv = xyz_class(weekly.get(item, []))
        running += max(value[item], 0)
        series = weekly.get(item, [])
        mean = from_scaled(sum(series)) / len(series) if series else None
        cell = matrix[abc + xyz]
        cell[0] += 1
        cell[1] += value[item]
        cell[2] += held.get(item, 0)
        meta = info[item]
        rows.append(
            (
                meta.code,
                meta.name,
                from_scaled(value[item]),
                percent(max(value[item], 0), total),
                percent(running, total),
                abc,
                mean.quantize(Decimal("0.01")) if mean is not None else None,
                Decimal(cv).scaleb(-6) if cv is not None else None,
                xyz,
                abc + xyz,
                from_scaled(held.get(item, 0)),
            )
        )
    notes = (("Whole weeks: %(weeks)s", {"weeks": len(bounds) - 1}),)
    if group == "matrix":
        columns: tuple[Column, ...] = (
            Column("class", "Class"),
            Column("items", "Items", "count"),
            Column("consumption", "Consumption value", "money"),
            Column("share", "Share", "percent"),
            Column("stock_value", "Stock value", "money"),
        )
        cells = [(c, n, from_scaled(v), percent(max(v, 0), total), from_scaled(s))
                 for c, (n, v, s) in matrix.items()]  # fmt: skip
        totals: tuple[Any, ...] = (
            None, sum(r[1] for r in cells), from_scaled(total), percent(total, total),
            sum((r[4] for r in cells), from_scaled(0)),
        )  # fmt: skip
        chart = Chart("bar", "class", ("consumption", "stock_value"))
        return Report(query.name, TITLE, columns, cells, totals, chart, DEFINITIONS, query, notes)
    columns = (
        Column("item", "Item"),
        Column("name", "Name"),
        Column("consumption", "Consumption value", "money"),
        Column("share", "Share", "percent"),
        Column("cumulative", "Cumulative share", "percent"),
        Column("abc", "ABC"),
        Column("weekly_mean", "Weekly demand (mean)", "quantity"),
        Column("cv", "Coefficient of variation", "number"),
        Column("xyz", "XYZ"),
        Column("class", "Class"),
        Column("stock_value", "Stock value", "money"),
    )
    totals = (None, None, from_scaled(sum(value.values())), None, None, None, None, None, None,
              None, sum((r[10] for r in rows), from_scaled(0)))  # fmt: skip
    chart = Chart("bar", "item", ("consumption",))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query, notes)
