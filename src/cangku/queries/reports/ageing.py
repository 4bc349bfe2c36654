"""Ageing (库龄): the stock on hand as of a day, by how long ago it came in, with slow-moving and
dead stock.

Age follows the FIFO flow of goods whatever the costing method: the units on hand are the last
ones that came in, so an item's quantity is matched with its latest receipts (from suppliers,
production, returns and adjustment gains, not transfers: moving stock does not make it younger)
back until the quantity is covered. The receipts are read newest first in windows of time
going back from the day, each for the items still short, so an item whose stock came in lately
costs only its late receipts. The value of each age
band is the item's value shared by the band's quantity (largest remainder: the bands add up to
the item's value exactly); in view of some warehouses, the share of the item held there, with
the same age profile as the company's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import checkpoint_flows, locations, moves
from cangku.domain.enums import LocationKind
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    column_sums,
    ordered,
)
from cangku.queries.reports.crossings import history
from cangku.queries.reports.flows import FEW
from cangku.queries.reports.state import allocate, item_info, item_values
from cangku.queries.reports.stock_value import LABEL_COLUMNS, places_in_view
from cangku.queries.stock import VALUED

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


#: the receipts are read back from the report's day in windows this many days long, each
#: only for the items its later ones did not cover (the last window: everything older)
WINDOWS = (31, 92, 183, 366, 731)


def _receipts(
    conn: Connection, query: ReportQuery, wanted: set[int]
) -> Iterator[tuple[int, datetime, int]]:
    """(item, effective time, quantity used) of the receipts that make up each item's company
    quantity on hand at the report's time, newest first: read back in windows of time, so an
    item whose stock came in lately costs only its late receipts."""
    at = query.at
    need = {i: q for i, (q, _) in item_values(conn, at, query.now).items() if i in wanted and q > 0}
    src, dst = locations.alias("src"), locations.alias("dst")
    later = at
    for days in (*WINDOWS, None):
        if not need:
            return
        earlier = None if days is None else at - timedelta(days=days)
        stmt = (
            select(moves.c.item_id, moves.c.effective_at, moves.c.quantity)
            .join(src, src.c.id == moves.c.from_location_id)
            .join(dst, dst.c.id == moves.c.to_location_id)
            .where(
                dst.c.kind.in_(VALUED),
                ~src.c.kind.in_(VALUED),
                src.c.kind != LocationKind.TRANSIT,
                moves.c.effective_at <= later,
            )
            .order_by(moves.c.item_id, moves.c.effective_at.desc(), moves.c.id.desc())
        )
        if earlier is not None:
            stmt = stmt.where(moves.c.effective_at > earlier)
        if len(need) <= FEW:
            stmt = stmt.where(moves.c.item_id.in_(sorted(need)))
        for item, effective, quantity in conn.execute(stmt):
            short = need.get(int(item))
            if short is None:
                continue
            used = min(int(quantity), short)
            yield int(item), effective, used
            if used == short:
                del need[int(item)]
            else:
                need[int(item)] = short - used
        if earlier is not None:
            later = earlier


def _last_issues(conn: Connection, query: ReportQuery) -> dict[int, date]:
    """The local day of each item's last issue (from stock to a customer or production) at or
    before the report's time: from the flow rows of the checkpoints up to it (``history``) and
    the moves since the last of them."""
    consumers = (LocationKind.CUSTOMER, LocationKind.PRODUCTION)
    last: dict[int, datetime] = {}
    since = None
    known = history(conn, query.at)
    if known is not None:
        chain, since = known
        rows = checkpoint_flows
        summed = (
            select(rows.c.item_id, func.max(rows.c.last_at))
            .where(rows.c.checkpoint_id.in_(chain), rows.c.to_kind.in_(consumers))
            .group_by(rows.c.item_id)
        )
        last = {int(item): at for item, at in conn.execute(summed) if at}
    dst = locations.alias("dst")
    stmt = (
        select(moves.c.item_id, func.max(moves.c.effective_at))
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(dst.c.kind.in_(consumers), moves.c.effective_at <= query.at)
        .group_by(moves.c.item_id)
    )
    if since is not None:
        stmt = stmt.where(moves.c.effective_at > since)
    for item, at in conn.execute(stmt):
        if at and (int(item) not in last or at > last[int(item)]):
            last[int(item)] = at
    return {item: at.astimezone(query.zone).date() for item, at in last.items()}


def ageing(conn: Connection, query: ReportQuery) -> Report:
    group, idle = query.option("group"), query.option("idle")
    bounds = read_buckets(query.params.get("buckets"))
    day = query.at.astimezone(query.zone).date()
    info = item_info(conn, query.scope)
    held: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    for place in places_in_view(conn, query, query.at, info, False):
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
