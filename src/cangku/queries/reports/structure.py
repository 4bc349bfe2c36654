"""Structure (库存结构): each item type's, category's or warehouse's share of the stock's value
and quantity as of a day, against an earlier day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    day_end,
    ordered,
    read_day,
)
from cangku.queries.reports.state import item_info, warehouse_names
from cangku.queries.reports.stock_value import LABEL_COLUMNS, percent, places_in_view
from cangku.queries.reports.value_movement import group_label

__all__ = ["compare_day", "structure"]

GROUP = Option("group", "Group by", choices=("type", "category", "warehouse"))
TITLE = "Stock structure"
DEFINITIONS = (
    "Share of value: the group's part of the value in view; share of quantity: its part of "
    "the quantity in view, in base units (added across items only as a rough measure: units "
    "differ).",
    "Compared with: the stock at the end of that day (default: a year before); the change in "
    "share is in percentage points.",
    "Values as in the stock value report: each item as it is costed, shared by quantity "
    "between warehouses.",
)


def _sums(
    conn: Connection, query: ReportQuery, at: Any, group: str, info: Any, names: Any
) -> dict[Hashable, list[int]]:
    sums: defaultdict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    for place in places_in_view(conn, query, at, info, group == "warehouse"):
        figures = sums[group_label(group, info[place.item], place.warehouse, names)]
        figures[0] += place.quantity
        figures[1] += place.value
    return sums


def compare_day(query: ReportQuery) -> date:
    """The day compared with (default: a year before the report's day). InvalidInput
    ``invalid_report_date``, ``compare_not_before``."""
    base_day = query.at_day or query.now.astimezone(query.zone).date()
    if query.params.get("compare"):
        compare = read_day("compare", query.params["compare"])
    else:
        compare = base_day - timedelta(days=365)
    if compare >= base_day:
        raise InvalidInput(
            "compare with a day before the report's day", code="compare_not_before",
            compare=str(compare), at=str(base_day),
        )  # fmt: skip
    return compare


def structure(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    compare = compare_day(query)
    info = item_info(conn, query.scope)
    names = warehouse_names(conn) if group == "warehouse" else {}
    now_sums = _sums(conn, query, query.at, group, info, names)
    then_sums = _sums(conn, query, day_end(compare, query.zone), group, info, names)
    total_q = sum(q for q, _ in now_sums.values())
    total_v = sum(v for _, v in now_sums.values())
    then_v = sum(v for _, v in then_sums.values())
    rows: list[tuple[Any, ...]] = []
    for key in set(now_sums) | set(then_sums):
        quantity, value = now_sums.get(key, [0, 0])
        before = then_sums.get(key, [0, 0])[1]
        if not (quantity or value or before):
            continue
        share, share_then = percent(value, total_v), percent(before, then_v)
        change = None if share is None or share_then is None else share - share_then
        rows.append(
            (*key, from_scaled(quantity), percent(quantity, total_q), from_scaled(before),  # type: ignore[misc]
             share_then, from_scaled(value), share, from_scaled(value - before), change)
        )  # fmt: skip
    labels = LABEL_COLUMNS[group]
    rows = ordered(rows, len(labels) + 4, 0)
    columns = (
        *labels,
        Column("quantity", "Quantity", "quantity"),
        Column("quantity_share", "Share of quantity", "percent"),
        Column("value_then", "Value then", "money"),
        Column("share_then", "Share then", "percent"),
        Column("value", "Value", "money"),
        Column("share", "Share of value", "percent"),
        Column("change", "Change in value", "money"),
        Column("share_change", "Change in share", "percent"),
    )
    n = len(labels)
    totals: tuple[Any, ...] = (
        *([None] * n), from_scaled(total_q), percent(total_q, total_q), from_scaled(then_v),
        percent(then_v, then_v), from_scaled(total_v), percent(total_v, total_v),
        from_scaled(total_v - then_v), None,
    )  # fmt: skip
    notes = (("Compared with %(day)s", {"day": compare}),)
    chart = Chart("bar", labels[0].key, ("value", "value_then"))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query, notes)
