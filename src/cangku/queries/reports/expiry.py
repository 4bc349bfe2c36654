"""Expiry (效期): the lots in stock as of a day that have expired or expire within 30, 60 or 90
days, with their quantity and value, per lot or summed per item, category or warehouse."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import balances, locations, lots
from cangku.domain.quantities import from_scaled
from cangku.queries.asof import choose_anchor, quantities_select
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    column_sums,
    ordered,
)
from cangku.queries.reports.state import item_info, item_values, warehouse_names
from cangku.queries.stock import VALUED, StockFilter
from cangku.queries.valuation import value_share

__all__ = ["WINDOWS", "expiry"]

GROUP = Option("group", "Group by", choices=("lot", "item", "category", "warehouse"))
#: the windows (days from the report's day) a lot is counted in
WINDOWS = (30, 60, 90)
STATUSES = ("expired", "within_30", "within_60", "within_90")
TITLE = "Expiry"
DEFINITIONS = (
    "Expired: the lot's expiry date is before the report's day and it is still in stock; "
    "within 30, 60 or 90 days: it expires on the report's day or up to that many days later "
    "(each lot in the first window it falls in).",
    "A lot's value is its quantity at the item's value per unit as of the day (the company "
    "keeps one cost per item, not one per lot).",
    "Only lots with an expiry date, expired or expiring within 90 days, are listed.",
)


def _lot_quantities(conn: Connection, query: ReportQuery) -> Iterator[tuple[int, int, int, int]]:
    """(item, lot, warehouse, quantity) of the lots with an expiry date in valued stock at the
    report's time, in the warehouses in view."""
    warehouses = query.scope.warehouses
    dated = select(lots.c.id).where(lots.c.expires_on.is_not(None))
    if query.at >= query.now:
        stmt = (
            select(
                balances.c.item_id,
                balances.c.lot_id,
                balances.c.warehouse_id,
                func.sum(balances.c.on_hand),
            )  # fmt: skip
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.kind.in_(VALUED), balances.c.lot_id.in_(dated))
            .group_by(balances.c.item_id, balances.c.lot_id, balances.c.warehouse_id)
        )
        if warehouses is not None:
            stmt = stmt.where(balances.c.warehouse_id.in_(sorted(warehouses)))
    else:
        anchor = choose_anchor(conn, query.at, query.now)
        held = quantities_select(
            conn, query.at, StockFilter(), anchor, warehouses=warehouses
        ).subquery("held")
        stmt = (
            select(
                held.c.item_id, held.c.lot_key, locations.c.warehouse_id, func.sum(held.c.on_hand)
            )  # fmt: skip
            .join(locations, locations.c.id == held.c.location_id)
            .where(held.c.lot_key.in_(dated))
            .group_by(held.c.item_id, held.c.lot_key, locations.c.warehouse_id)
        )
    for item, lot, warehouse, quantity in conn.execute(stmt):
        if quantity:
            yield int(item), int(lot), int(warehouse), int(quantity)


def expiry(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    day = query.at.astimezone(query.zone).date()
    info = item_info(conn, query.scope)
    values = item_values(conn, query.at, query.now)
    found = [row for row in _lot_quantities(conn, query) if row[0] in info]
    dated = {
        int(lot_id): (code, expires)
        for lot_id, code, expires in conn.execute(
            select(lots.c.id, lots.c.code, lots.c.expires_on).where(
                lots.c.id.in_(sorted({lot for _, lot, _, _ in found}))
            )
        )
    }
    names = warehouse_names(conn) if group == "warehouse" else {}
    per_lot: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    sums: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 9)
    for item, lot, warehouse, quantity in found:
        code, expires = dated[lot]
        left = (expires - day).days
        if left > WINDOWS[-1]:
            continue
        status = 0 if left < 0 else 1 + next(k for k, w in enumerate(WINDOWS) if left <= w)
        company_q, company_v = values.get(item, (0, 0))
        value = value_share(company_v, quantity, company_q)
        meta = info[item]
        if group == "lot":
            key: tuple[Any, ...] = (meta.code, meta.name, code, expires, left,
                                    STATUSES[status], meta.unit)  # fmt: skip
            per_lot[key][0] += quantity
            per_lot[key][1] += value
            continue
        if group == "item":
            key = (meta.code, meta.name, meta.unit)
        elif group == "category":
            key = (meta.category or "", meta.category_name or "")
        else:
            key = names.get(warehouse, ("", ""))
        figures = sums[key]
        figures[status] += value
        figures[4] += value
        figures[5 + status] += quantity
    if group == "lot":
        columns: tuple[Column, ...] = (
            Column("item", "Item"),
            Column("name", "Name"),
            Column("lot", "Lot"),
            Column("expires_on", "Expires on", "date"),
            Column("days_left", "Days left", "days"),
            Column("status", "Expiry", "label"),
            Column("unit", "Unit"),
            Column("quantity", "Quantity", "quantity"),
            Column("value", "Value", "money"),
        )
        rows = [(*key, from_scaled(q), from_scaled(v)) for key, (q, v) in per_lot.items()]
        rows.sort(key=lambda row: (row[3], row[0], row[2]))
        totals = column_sums(columns, rows, lambda c: c.key == "value")
        chart = Chart("bar", "lot", ("value",))
    else:
        labels = {
            "item": (Column("item", "Item"), Column("name", "Name"), Column("unit", "Unit")),
            "category": (Column("category", "Category"), Column("name", "Name")),
            "warehouse": (Column("warehouse", "Warehouse"), Column("name", "Name")),
        }[group]
        columns = (
            *labels,
            Column("expired", "Expired", "money"),
            Column("within_30", "Within 30 days", "money"),
            Column("within_60", "In 31 to 60 days", "money"),
            Column("within_90", "In 61 to 90 days", "money"),
            Column("value", "Value", "money"),
        )
        rows = [(*key, *map(from_scaled, figures[:5])) for key, figures in sums.items()]
        rows = ordered(rows, len(labels) + 4, 0)
        totals = column_sums(columns, rows, lambda c: c.kind == "money")
        chart = Chart("bar", labels[0].key, ("expired", "within_30"))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query)
