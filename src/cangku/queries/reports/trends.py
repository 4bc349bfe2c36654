"""Trends (变化趋势): inflow, outflow and the stock at the end of each day, week or month of a
period, for the items and warehouses in view; quantities when one item is in view."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from cangku.db.tables import items
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    column_sums,
    day_end,
)
from cangku.queries.reports.flows import flows
from cangku.queries.reports.points import fold_points, total_points
from cangku.queries.reports.state import NOWHERE, item_info

__all__ = ["intervals", "trends"]

INTERVAL = Option("interval", "Interval", choices=("month", "week", "day"))
#: the most intervals one report shows
MOST = 400
TITLE = "Trends"
IN_KINDS = ("received", "produced", "returned", "adjusted_in", "transfer_in")
OUT_KINDS = ("issued", "supplier_return", "adjusted_out", "transfer_out")
DEFINITIONS = (
    "Inflow: receipts, production output, returns from customers and production, adjustment "
    "gains and (in view of some warehouses) transfers in; outflow: issues, returns to "
    "suppliers, adjustment losses and scrap, transfers out. Each at the value the ledger "
    "posted it with.",
    "Stock at the end: the exact as-of value (and, for one item, quantity) at the end of the "
    "interval's last day in the company's time zone; the last interval ends with the period.",
    "Weeks run Monday to Sunday; the first and last interval may be shorter than the others.",
)


def _next_start(day: date, interval: str) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7 - day.weekday())
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def intervals(query: ReportQuery, interval: str) -> list[tuple[date, date]]:
    """(first day, last day) of each interval of the period, oldest first. InvalidInput
    ``too_many_intervals`` beyond ``MOST``."""
    assert query.start is not None and query.end is not None
    found: list[tuple[date, date]] = []
    day = query.start
    while day <= query.end:
        following = _next_start(day, interval)
        found.append((day, min(following - timedelta(days=1), query.end)))
        day = following
        if len(found) > MOST:
            raise InvalidInput(
                f"a trend shows at most {MOST} intervals: choose a longer interval or a "
                "shorter period",
                code="too_many_intervals",
                most=MOST,
            )
    return found


def trends(conn: Connection, query: ReportQuery) -> Report:
    interval = query.option("interval")
    assert query.opening_at is not None and query.closing_at is not None
    spans = intervals(query, interval)
    info = item_info(conn, query.scope)
    warehouses = query.scope.warehouses
    one_item = query.scope.item_id is not None

    def everything(item: int, warehouse: int | None) -> Hashable | None:
        if warehouse is not None and warehouses is not None:
            if warehouse == NOWHERE or warehouse not in warehouses:
                return None
        return "all"

    ends: list[datetime] = [day_end(last, query.zone) for _, last in spans]
    ends[-1] = query.closing_at
    points = [query.opening_at, *ends]
    among: Any = None
    if query.scope.items_filtered:
        among = select(items.c.id).where(*query.scope.item_conditions())
    if warehouses is None:
        states = total_points(conn, points, set(info), among)
    else:
        folded = fold_points(conn, points, set(info), everything, by_warehouse=True, series=True)
        states = folded.series.get("all", [(0, 0)] * len(points))
    moved: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for flow in flows(conn, query.opening_at, query.closing_at, set(info), warehouses,
                      bounds=ends[:-1], per_item=False, among=among):  # fmt: skip
        figures = moved[flow.k]
        if flow.kind in IN_KINDS:
            figures[0] += flow.quantity
            figures[1] += flow.value
        else:
            figures[2] += flow.quantity
            figures[3] += flow.value
    rows: list[tuple[Any, ...]] = []
    for k, (first, last) in enumerate(spans):
        in_q, in_v, out_q, out_v = moved[k]
        end_q, end_v = states[k + 1]
        quantities = (from_scaled(in_q), from_scaled(out_q), from_scaled(end_q)) if one_item else ()
        rows.append(
            (first, last, *quantities[:1], from_scaled(in_v), *quantities[1:2], from_scaled(out_v),
             *quantities[2:], from_scaled(end_v))
        )  # fmt: skip
    quantity_columns = one_item
    columns = (
        Column("from", "From", "date"),
        Column("to", "To", "date"),
        *((Column("in_quantity", "Inflow quantity", "quantity"),) if quantity_columns else ()),
        Column("in_value", "Inflow value", "money"),
        *((Column("out_quantity", "Outflow quantity", "quantity"),) if quantity_columns else ()),
        Column("out_value", "Outflow value", "money"),
        *((Column("quantity", "On hand at the end", "quantity"),) if quantity_columns else ()),
        Column("value", "Value at the end", "money"),
    )
    flowing = ("in_value", "out_value", "in_quantity", "out_quantity")
    totals = column_sums(columns, rows, lambda c: c.key in flowing)
    opening_q, opening_v = states[0]
    notes: tuple[tuple[str, dict[str, Any]], ...] = (
        ("Opening value %(value)s", {"value": from_scaled(opening_v)}),
    )
    if one_item:
        notes += (("Opening quantity %(quantity)s", {"quantity": from_scaled(opening_q)}),)
    series = ("value", "in_value", "out_value")
    chart = Chart("line", "to", series)
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query, notes)
