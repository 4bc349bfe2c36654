"""Key figures (关键指标) for the goals of lowering inventory cost, raising turnover and avoiding
overstock: each figure computed by the report it comes from, over the same period and stock
in view, with that report's name so a face can link to it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import cycle_counts as count_store
from cangku.db.tables import items
from cangku.db.tables import warehouses as warehouse_table
from cangku.domain.counts import accuracy
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import Column, Report, ReportQuery
from cangku.queries.reports.expiry import expiry
from cangku.queries.reports.flows import flows
from cangku.queries.reports.points import total_points
from cangku.queries.reports.state import item_info
from cangku.queries.reports.stock_value import places_in_view
from cangku.queries.reports.turnover import average_points, turnover, turnover_ratio
from cangku.queries.valuation import value_share

__all__ = ["kpis"]

TITLE = "Key figures"
DEFINITIONS = (
    "Stock value, overstock, stock-outs and expiring value: at the end of the period (now when "
    "it ends today).",
    "Turnover and days of inventory: over the period, as the turnover report computes them.",
    "Stock-outs: active items with a reorder point or safety stock set that have nothing on "
    "hand in the stock in view.",
    "Overstock value: for items with a maximum set, the value of the quantity above it (the "
    "item's value shared by quantity).",
    "Expiring value: lots expired and still in stock or expiring within 30 days.",
    "Count accuracy: lines counted right ÷ lines counted, over the counts posted in the period.",
)


def _counted(conn: Connection, query: ReportQuery) -> Decimal | None:
    """Lines right ÷ lines counted (per cent, one place) of the counts posted in the period,
    in the warehouses in view."""
    assert query.opening_at is not None and query.closing_at is not None
    ids = [int(i) for i in conn.execute(select(warehouse_table.c.id)).scalars()]
    right = counted = 0
    for warehouse in ids:
        if query.scope.warehouses is not None and warehouse not in query.scope.warehouses:
            continue
        for count in count_store.posted_counts(conn, warehouse, limit=10_000):
            at = count.posted_at
            if at is not None and query.opening_at < at <= query.closing_at:
                good, lines = accuracy(count.lines)
                right, counted = right + good, counted + lines
    if counted == 0:
        return None
    return (Decimal(100 * right) / counted).quantize(Decimal("0.1"))


def _turnover(
    conn: Connection, query: ReportQuery, info: dict[int, Any]
) -> tuple[Decimal | None, Decimal, Decimal]:
    """(turnover, cost of goods issued, average value) as the turnover report's totals: for the
    whole company from totals per interval (no item read on its own), else from that report."""
    if query.scope.warehouses is not None:
        turned = turnover(conn, replace(query, options={"group": "type"}))
        keys = turned.column_keys()
        assert turned.totals is not None
        figures = (turned.totals[keys.index(k)] for k in ("turnover", "cogs", "average"))
        return tuple(figures)
    assert query.opening_at is not None and query.closing_at is not None
    among: Any = None
    if query.scope.items_filtered:
        among = select(items.c.id).where(*query.scope.item_conditions())
    points, _ = average_points(query)
    summed = sum(v for _, v in total_points(conn, points, set(info), among))
    issued = 0
    for flow in flows(conn, query.opening_at, query.closing_at, set(info), None,
                      per_item=False, among=among):  # fmt: skip
        if flow.kind in ("issued", "returned"):
            issued += flow.value if flow.kind == "issued" else -flow.value
    average = from_scaled(int((Decimal(summed) / len(points)).to_integral_value()))
    times = turnover_ratio(issued * len(points), summed)
    return times, from_scaled(issued), average


def kpis(conn: Connection, query: ReportQuery) -> Report:
    assert query.closing_at is not None
    info = item_info(conn, query.scope)
    limits = {
        int(i): (reorder, safety, most)
        for i, reorder, safety, most, active in conn.execute(
            select(
                items.c.id,
                items.c.reorder_point,
                items.c.safety_stock,
                items.c.max_stock,
                items.c.active,
            )  # fmt: skip
        )
        if active
    }
    held: dict[int, list[int]] = {}
    for place in places_in_view(conn, query, query.closing_at, info, False):
        figures = held.setdefault(place.item, [0, 0])
        figures[0] += place.quantity
        figures[1] += place.value
    value = sum(v for _, v in held.values())
    outs = over = 0
    for item in info:
        reorder, safety, most = limits.get(item, (None, None, None))
        quantity, worth = held.get(item, [0, 0])
        if (reorder is not None or safety is not None) and item in limits and quantity <= 0:
            outs += 1
        if most is not None and quantity > max(int(most), 0):
            over += value_share(worth, quantity - int(most), quantity)
    times, cogs, average = _turnover(conn, query, info)
    days = (average * query.days / cogs).quantize(Decimal("0.1")) if cogs and cogs > 0 else None
    expiring = expiry(conn, replace(query, at=query.closing_at, options={"group": "warehouse"}))
    ekeys = expiring.column_keys()
    assert expiring.totals is not None
    soon = sum((expiring.totals[ekeys.index(k)] for k in ("expired", "within_30")), from_scaled(0))
    rows: list[tuple[Any, ...]] = [
        ("stock_value", "Stock value", from_scaled(value), "money", "stock-value"),
        ("turnover", "Turnover", times, "times", "turnover"),
        ("days_of_inventory", "Days of inventory", days, "days", "turnover"),
        ("stock_outs", "Stock-outs", outs, "items", "stock-value"),
        ("overstock_value", "Overstock value", from_scaled(over), "money", "ageing"),
        ("expiring_value", "Expired or expiring in 30 days", soon, "money", "expiry"),
        ("count_accuracy", "Count accuracy", _counted(conn, query), "percent", ""),
    ]
    columns = (
        Column("kpi", "Key"),
        Column("label", "Figure", "message"),
        Column("value", "Value", "number"),
        Column("unit", "Unit", "label"),
        Column("report", "Report", "report"),
    )
    return Report(query.name, TITLE, columns, rows, None, None, DEFINITIONS, query)
