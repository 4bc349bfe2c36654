"""Ageing (库龄): the stock on hand as of a day, by how long ago it came in, with slow-moving and
dead stock.

Age follows the FIFO flow of goods whatever the costing method: the units on hand are the last
ones that came in, so an item's quantity is matched with its latest receipts (from suppliers,
production, returns and adjustment gains, not transfers: moving stock does not make it younger)
back until the quantity is covered. One windowed read: per item, the running total of its
receipts newest first, kept while it is short of the quantity on hand. The value of each age
band is the item's value shared by the band's quantity (largest remainder: the bands add up to
the item's value exactly); in view of some warehouses, the share of the item held there, with
the same age profile as the company's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import locations, moves
from cangku.domain.enums import LocationKind
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import from_scaled
from cangku.queries.asof import Anchor, choose_anchor
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    column_sums,
    ordered,
)
from cangku.queries.reports.state import allocate, item_info, place_values
from cangku.queries.reports.stock_value import LABEL_COLUMNS, in_scope
from cangku.queries.stock import VALUED
from cangku.queries.valuation import value_select

__all__ = ["BUCKETS", "ageing", "read_buckets"]

GROUP = Option("group", "Group by", choices=("item", "category", "type"))
IDLE = Option("idle", "Slow after (days without an issue)", low=1, high=3650, default=90)
#: the bands' upper bounds in days (the last band is everything older)
BUCKETS = (30, 90, 180, 365)
#: no issue for this long (or never): dead stock
DEAD_DAYS = 365
TITLE = "Stock ageing"
DEFINITIONS = (
    "Age: days from the day the units came in (received from a supplier, produced, returned, "
    "or found) to the report's day. The units on hand are taken to be the last that came in "
    "(first in, first out), whatever the item's costing method; a transfer does not change "
    "their age.",
    "Each band's value is the item's value shared by the band's quantity; the bands add up to "
    "the item's value.",
    "Slow: no issue to a customer or to production for the chosen number of days; dead: none "
    "for 365 days or ever.",
)


def read_buckets(text: str | None) -> tuple[int, ...]:
    """Band bounds from ``30,90,180,365``-style text (ascending whole days, 1 to 3650, at most
    eight); the default without text. InvalidInput ``invalid_buckets``."""
    if not text:
        return BUCKETS
    parts = [part.strip() for part in text.split(",")]
    digits = all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts)
    found = tuple(int(part) for part in parts) if digits else ()
    ok = (
        1 <= len(found) <= 8
        and all(1 <= d <= 3650 for d in found)
        and list(found) == sorted(set(found))
    )
    if not ok:
        raise InvalidInput(
            "buckets are up to eight ascending whole numbers of days from 1 to 3650, "
            "separated by commas",
            code="invalid_buckets",
        )
    return found


def _band_labels(bounds: tuple[int, ...]) -> list[str]:
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f">{bounds[-1]}"]


def _receipts(conn: Connection, query: ReportQuery, wanted: set[int]) -> Any:
    """(item, effective day, quantity used) of the receipts that make up each item's company
    quantity on hand at the report's time, newest first."""
    at = query.at
    anchor = choose_anchor(conn, at, query.now) if at < query.now else Anchor(None, None)
    held = value_select(conn, at if at < query.now else None, anchor, None).subquery("held")
    src, dst = locations.alias("src"), locations.alias("dst")
    running = func.sum(moves.c.quantity).over(
        partition_by=moves.c.item_id,
        order_by=(moves.c.effective_at.desc(), moves.c.id.desc()),
    )
    came_in = (
        select(
            moves.c.item_id,
            moves.c.effective_at,
            moves.c.quantity,
            running.label("running"),
        )
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(
            dst.c.kind.in_(VALUED),
            ~src.c.kind.in_(VALUED),
            src.c.kind != LocationKind.TRANSIT,
            moves.c.effective_at <= at,
        )
    )
    if len(wanted) <= 500:
        came_in = came_in.where(moves.c.item_id.in_(sorted(wanted)))
    ins = came_in.subquery("ins")
    stmt = (
        select(ins.c.item_id, ins.c.effective_at, ins.c.quantity, ins.c.running, held.c.quantity)
        .join(held, held.c.item_id == ins.c.item_id)
        .where(held.c.quantity > 0, ins.c.running - ins.c.quantity < held.c.quantity)
    )
    for item, effective, quantity, total, on_hand in conn.execute(stmt):
        if int(item) in wanted:
            before = int(total) - int(quantity)
            yield int(item), effective, min(int(quantity), int(on_hand) - before)


def _last_issues(conn: Connection, query: ReportQuery) -> dict[int, date]:
    """The local day of each item's last issue to a customer or production at or before the
    report's time."""
    dst = locations.alias("dst")
    stmt = (
        select(moves.c.item_id, func.max(moves.c.effective_at))
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(
            dst.c.kind.in_((LocationKind.CUSTOMER, LocationKind.PRODUCTION)),
            moves.c.effective_at <= query.at,
        )
        .group_by(moves.c.item_id)
    )
    return {int(item): at.astimezone(query.zone).date() for item, at in conn.execute(stmt) if at}


def ageing(conn: Connection, query: ReportQuery) -> Report:
    group, idle = query.option("group"), query.option("idle")
    bounds = read_buckets(query.params.get("buckets"))
    day = query.at.astimezone(query.zone).date()
    info = item_info(conn, query.scope)
    held: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    for place in in_scope(query, place_values(conn, query.at, query.now, info), info):
        held[place.item][0] += place.quantity
        held[place.item][1] += place.value
    bands: defaultdict[int, list[int]] = defaultdict(lambda: [0] * (len(bounds) + 1))
    for item, effective, quantity in _receipts(conn, query, set(held)):
        age = (day - effective.astimezone(query.zone).date()).days
        band = next((k for k, high in enumerate(bounds) if age <= high), len(bounds))
        bands[item][band] += quantity
    last = _last_issues(conn, query)
    sums: dict[Any, list[int]] = {}
    rows: list[tuple[Any, ...]] = []
    for item, (quantity, value) in held.items():
        if quantity <= 0 and value == 0:
            continue
        weights = bands.get(item) or [0] * len(bounds) + [max(quantity, 0)]
        if sum(weights) == 0:
            weights = [0] * len(bounds) + [1]
        values = allocate(value, weights)
        issued = last.get(item)
        idle_days = (day - issued).days if issued else None
        status = ""
        if idle_days is None or idle_days >= DEAD_DAYS:
            status = "dead"
        elif idle_days >= idle:
            status = "slow"
        meta = info[item]
        if group == "item":
            rows.append((meta.code, meta.name, meta.unit, from_scaled(quantity),
                         from_scaled(value), *map(from_scaled, values), issued, idle_days,
                         status))  # fmt: skip
            continue
        key = (meta.category or "", meta.category_name or "") if group == "category" else (
            meta.item_type,)  # fmt: skip
        figures = sums.setdefault(key, [0, 0, 0, 0] + [0] * (len(bounds) + 1))
        figures[0] += 1
        figures[1] += value
        figures[2] += value if status == "slow" else 0
        figures[3] += value if status == "dead" else 0
        for k, band_value in enumerate(values):
            figures[4 + k] += band_value
    labels = LABEL_COLUMNS[group]
    band_columns = tuple(
        Column(f"days_{name}", "%(band)s days", "money", (("band", name),))
        for name in _band_labels(bounds)
    )
    if group == "item":
        columns = (
            *labels,
            Column("quantity", "Quantity", "quantity"),
            Column("value", "Value", "money"),
            *band_columns,
            Column("last_issue", "Last issue", "date"),
            Column("idle_days", "Days without an issue", "days"),
            Column("status", "Movement", "label"),
        )
    else:
        columns = (
            *labels,
            Column("items", "Items", "count"),
            Column("value", "Value", "money"),
            *band_columns,
            Column("slow_value", "Slow-moving value", "money"),
            Column("dead_value", "Dead stock value", "money"),
        )
        for key, figures in sums.items():
            rows.append((*key, figures[0], from_scaled(figures[1]),
                         *map(from_scaled, figures[4:]), from_scaled(figures[2]),
                         from_scaled(figures[3])))  # fmt: skip
    value_at = len(labels) + 1
    rows = ordered(rows, value_at, 0)
    totals = column_sums(columns, rows, lambda c: c.kind == "money")
    chart = Chart("bar", labels[0].key, ("value",))
    notes = (("Slow after %(days)s days without an issue", {"days": idle}),)
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query, notes)
