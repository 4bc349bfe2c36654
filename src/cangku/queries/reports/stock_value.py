"""Stock value (库存价值) by item, category, item type, warehouse or location, now or as of any
past day: exact from the ledger (``state``), each item valued as it is costed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection

from cangku.domain.quantities import from_scaled, scaled_ratio
from cangku.queries.reports.common import Chart, Column, Option, Report, ReportQuery, ordered
from cangku.queries.reports.state import (
    NOWHERE,
    ItemInfo,
    Place,
    item_info,
    item_values,
    location_names,
    place_values,
    warehouse_names,
)

__all__ = ["GROUPS", "group_key", "group_label", "percent", "places_in_view", "stock_value"]

CENT = Decimal("0.01")
GROUPS = ("item", "category", "type", "warehouse", "location")
GROUP = Option("group", "Group by", choices=GROUPS)
TITLE = "Stock value"
DEFINITIONS = (
    "Value: FIFO items at the cost of their remaining receipt layers, moving-average items at "
    "their average cost, as the ledger posted them; nothing is re-costed afterwards.",
    "As of a day: the stock at the end of that day in the company's time zone, read exactly "
    "from the ledger (the checkpoint before it plus the moves since, or today's balances less "
    "the moves after it).",
    "The company keeps one cost per item, so the value in a warehouse or at a location is the "
    "item's value shared by quantity; the shares add up to the item's value exactly.",
    "Share: the group's part of the total value shown.",
)
#: the columns naming a group, by grouping
LABEL_COLUMNS: dict[str, tuple[Column, ...]] = {
    "item": (Column("item", "Item"), Column("name", "Name"), Column("unit", "Unit")),
    "category": (Column("category", "Category"), Column("name", "Name")),
    "type": (Column("type", "Item type", "label"),),
    "warehouse": (Column("warehouse", "Warehouse"), Column("name", "Name")),
    "location": (Column("location", "Location"), Column("name", "Name")),
}


def percent(part: int, whole: int) -> Any:
    """``part`` of ``whole`` in per cent, rounded half-even to two places, exactly (None
    without a whole)."""
    if whole == 0:
        return None
    hundredths = round(Fraction(part * 100, whole), 2)
    return (Decimal(hundredths.numerator) / Decimal(hundredths.denominator)).quantize(CENT)


def group_key(
    group: str,
    place: Place,
    info: ItemInfo,
    warehouses: dict[int, tuple[str, str]],
    locations: dict[int, tuple[str, str]],
) -> tuple[Any, ...]:
    """The label cells of the group ``place`` falls in."""
    if group == "location":
        return locations.get(place.location, ("", ""))
    return group_label(group, info, place.warehouse, warehouses)


def group_label(
    group: str, info: ItemInfo, warehouse: int, names: dict[int, tuple[str, str]]
) -> tuple[Any, ...]:
    """The label cells of the group an item's stock (in ``warehouse``) falls in."""
    if group == "item":
        return (info.code, info.name, info.unit)
    if group == "category":
        return (info.category or "", info.category_name or "")
    if group == "type":
        return (info.item_type,)
    return names.get(warehouse, ("", ""))


def in_scope(query: ReportQuery, places: list[Place], info: dict[int, ItemInfo]) -> list[Place]:
    """The places of the items in view, in the warehouses in view (a value held nowhere counts
    only when every warehouse is in view)."""
    warehouses = query.scope.warehouses
    return [
        p
        for p in places
        if p.item in info
        and (warehouses is None or (p.warehouse != NOWHERE and p.warehouse in warehouses))
    ]


def places_in_view(
    conn: Connection, query: ReportQuery, at: datetime, info: dict[int, ItemInfo], by_place: bool
) -> list[Place]:
    """``in_scope(place_values(...))`` at ``at``; for the whole company when no figure needs the
    places (not ``by_place``), each item's company quantity and value as one place at
    ``NOWHERE``: the same sums per item, without reading every place."""
    if by_place or query.scope.warehouses is not None:
        return in_scope(query, place_values(conn, at, query.now, info), info)
    values = item_values(conn, at, query.now)
    return [Place(i, NOWHERE, NOWHERE, q, v) for i, (q, v) in sorted(values.items()) if i in info]


def stock_value(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    info = item_info(conn, query.scope)
    places = in_scope(query, place_values(conn, query.at, query.now, info), info)
    warehouses = warehouse_names(conn) if group == "warehouse" else {}
    locations = location_names(conn, (p.location for p in places)) if group == "location" else {}
    sums: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    members: defaultdict[tuple[Any, ...], set[int]] = defaultdict(set)
    for place in places:
        key = group_key(group, place, info[place.item], warehouses, locations)
        figures = sums[key]
        figures[0] += place.quantity
        figures[1] += place.value
        members[key].add(place.item)
    total = sum(v for _, v, _ in sums.values())
    labels = LABEL_COLUMNS[group]
    rows: list[tuple[Any, ...]] = []
    for key, (quantity, value, _) in sums.items():
        if quantity == 0 and value == 0:
            continue
        if group in ("item", "location"):
            extra: tuple[Any, ...] = (from_scaled(quantity),)
        else:
            extra = (len(members[key]),)
        average: tuple[Any, ...] = ()
        if group == "item":
            average = (from_scaled(scaled_ratio(value, quantity)) if quantity > 0 else None,)
        rows.append((*key, *extra, *average, from_scaled(value), percent(value, total)))
    figure = len(labels) + (2 if group == "item" else 1)
    rows = ordered(rows, figure, 0)
    counted = (
        Column("quantity", "Quantity", "quantity")
        if group in ("item", "location")
        else Column("items", "Items", "count")
    )
    columns = (
        *labels,
        counted,
        *((Column("unit_cost", "Unit cost", "money"),) if group == "item" else ()),
        Column("value", "Value", "money"),
        Column("share", "Share", "percent"),
    )
    totals = tuple(
        from_scaled(total) if c.key == "value" else percent(total, total) if c.key == "share"
        else None
        for c in columns
    )  # fmt: skip
    chart = Chart("bar", labels[0].key, ("value",))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query)
