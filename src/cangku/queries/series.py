"""Stock over time: the value of the stock at each month end, an item's on hand at each day end.

Each series is read the way an "as of" read is (ADR 0004), once for all its points: the state
now, minus what the moves effective after each point changed. One grouped read sums the moves
since the first point per item and per interval between two points (a ``CASE`` over the
points), and the points are then folded from the newest back; no as-of read is made per point.
Every point equals the as-of read at its time exactly (``valuation.stock_value`` and
``asof.item_total_as_of``; the tests hold them equal on both engines).

Costs are kept per item for the whole company; a user's share of the value is, as in
``valuation.stock_value``, each item's value in proportion to the quantity held in their
warehouses at that time, rounded half-even per item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select
from sqlalchemy.sql import ColumnElement

from cangku.db import lookups
from cangku.db.tables import (
    balances,
    checkpoint_values,
    checkpoints,
    item_costs,
    locations,
    moves,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.stock import VALUED, item_id
from cangku.queries.valuation import value_share

__all__ = [
    "SERIES_DAYS",
    "Point",
    "check_days",
    "item_and_unit",
    "day_ends",
    "month_ends",
    "on_hand_series",
    "value_series",
]

#: the ranges an item's on-hand series may cover, in days (daily points up to 90, then weekly)
SERIES_DAYS = (30, 90, 365)
#: the last instant of a period: as-of reads include moves effective at or before it
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a series: the amount as it stood at ``at`` (moves effective up to it)."""

    at: datetime
    amount: Decimal


# ------------------------------------------------------------------ the points


def check_days(days: int) -> int:
    """``days`` if it is one of ``SERIES_DAYS``; InvalidInput ``invalid_series_days`` if not."""
    if days not in SERIES_DAYS:
        raise InvalidInput(
            f"days must be one of {', '.join(map(str, SERIES_DAYS))}",
            code="invalid_series_days",
            allowed=list(SERIES_DAYS),
        )
    return days


def _local_midnight(year: int, month: int, day: int, zone: tzinfo) -> datetime:
    return datetime(year, month, day, tzinfo=zone).astimezone(UTC)


def month_ends(now: datetime, zone: tzinfo, months: int = 12) -> list[datetime]:
    """The last instant (UTC) of each of the ``months`` whole months before the one ``now``
    falls in, in ``zone``, oldest first, then ``now``."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    ends = []
    for _ in range(months):
        ends.append(_local_midnight(year, month, 1, zone) - _TICK)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [*reversed(ends), now]


def day_ends(now: datetime, zone: tzinfo, days: int) -> list[datetime]:
    """The last instant (UTC) of each of the ``days`` days before ``now``'s day in ``zone``
    (up to 90 days), or of each week, ending on ``now``'s weekday (longer ranges), oldest
    first, then ``now``."""
    step = 1 if days <= 90 else 7
    today = now.astimezone(zone).date()
    ends = []
    for back in range(0, days, step):
        day = today - timedelta(days=back)
        ends.append(_local_midnight(day.year, day.month, day.day, zone) - _TICK)
    return [*reversed(ends), now]


# ------------------------------------------------------------------ the reads


def _interval(points: Sequence[datetime]) -> Any:
    """The index of the interval a move falls in: k for (points[k-1], points[k]], and
    ``len(points)`` after the last point (moves dated later than now)."""
    whens = [(moves.c.effective_at <= at, k) for k, at in enumerate(points) if k > 0]
    return case(*whens, else_=len(points))


def _inside(kind: Any, warehouse: Any, warehouses: Warehouses) -> ColumnElement[bool]:
    """A location of valued stock, in ``warehouses`` (None: any)."""
    valued: ColumnElement[bool] = kind.in_(VALUED)
    if warehouses is None:
        return valued
    return and_(valued, warehouse.in_(sorted(warehouses)))


def _crossing(src: Any, dst: Any, warehouses: Warehouses) -> Any:
    """What a move added to (+quantity) or took from (-quantity) the stock in scope."""
    into = _inside(dst.c.kind, dst.c.warehouse_id, warehouses)
    out = _inside(src.c.kind, src.c.warehouse_id, warehouses)
    return case(
        (and_(into, ~out), moves.c.quantity), (and_(out, ~into), -moves.c.quantity), else_=0
    )


def _signed_value(src: Any, dst: Any) -> Any:
    into, out = dst.c.kind.in_(VALUED), src.c.kind.in_(VALUED)
    return case((and_(into, ~out), moves.c.value), (and_(out, ~into), -moves.c.value), else_=0)


def _scoped_now(conn: Connection, warehouses: Warehouses, item: int | None) -> dict[int, int]:
    """On hand now (scaled) per item id over the valued locations of ``warehouses``."""
    stmt = (
        select(balances.c.item_id, func.sum(balances.c.on_hand))
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(VALUED))
        .group_by(balances.c.item_id)
    )
    if warehouses is not None:
        stmt = stmt.where(balances.c.warehouse_id.in_(sorted(warehouses)))
    if item is not None:
        stmt = stmt.where(balances.c.item_id == item)
    return {int(row[0]): int(row[1] or 0) for row in conn.execute(stmt)}


def _fold(
    now: dict[int, int], changes: dict[int, dict[int, int]], points: int
) -> list[dict[int, int]]:
    """Per point (oldest first), per item: ``now`` minus the changes of every later interval."""
    states: list[dict[int, int]] = []
    current = dict(now)
    for k in range(points, 0, -1):  # interval k lies after point k-1
        for item, amount in changes.get(k, {}).items():
            current[item] = current.get(item, 0) - amount
        states.append(dict(current))
    return list(reversed(states))


def _nested() -> defaultdict[int, dict[int, int]]:
    return defaultdict(dict)


def _anchors(conn: Connection, points: Sequence[datetime]) -> dict[int, tuple[datetime, int]]:
    """For each point: the valid checkpoint nearest to it (before or after), as (its time, the
    company's total value then, scaled), where one is nearer than now. Month closes take a
    checkpoint at each month's end (in their zone), so a month end has one within hours."""
    found = list(
        conn.execute(
            select(checkpoints.c.id, checkpoints.c.as_of)
            .where(checkpoints.c.valid.is_(True))
            .order_by(checkpoints.c.as_of)
        )
    )
    if not found:
        return {}
    now = points[-1]
    chosen: dict[int, tuple[int, datetime]] = {}
    for k, at in enumerate(points):
        nearest = min(found, key=lambda row: abs(row.as_of - at))
        if abs(nearest.as_of - at) < abs(now - at):
            chosen[k] = (int(nearest.id), nearest.as_of)
    ids = sorted({cid for cid, _ in chosen.values()})
    totals = {
        int(cid): int(total or 0)
        for cid, total in conn.execute(
            select(checkpoint_values.c.checkpoint_id, func.sum(checkpoint_values.c.value))
            .where(checkpoint_values.c.checkpoint_id.in_(ids))
            .group_by(checkpoint_values.c.checkpoint_id)
        )
    }
    return {k: (as_of, totals.get(cid, 0)) for k, (cid, as_of) in chosen.items()}


def _company_value_series(conn: Connection, points: Sequence[datetime]) -> list[Point]:
    """The company's value at each point, from the state nearest to it: a checkpoint (plus the
    moves from it up to the point, or less those from the point up to it) or else now (less
    the moves after the point). One grouped read of only the moves some point needs, summed
    per segment between two consecutive boundaries; a month end closed with a checkpoint at
    its very instant reads no move at all."""
    anchors = _anchors(conn, points)
    now = int(conn.execute(select(func.coalesce(func.sum(item_costs.c.value), 0))).scalar_one())
    # per point: where its state is known, and the moves between that and the point
    bases: list[tuple[int, datetime | None, datetime | None, int]] = []
    for k, at in enumerate(points):
        if k not in anchors:
            bases.append((now, at, None, -1))  # now, less the moves after the point
        elif anchors[k][0] <= at:
            bases.append((anchors[k][1], anchors[k][0], at, 1))
        else:
            bases.append((anchors[k][1], at, anchors[k][0], -1))
    bounds = sorted({b for _, lo, hi, _ in bases for b in (lo, hi) if b is not None})
    effective = moves.c.effective_at
    segment = case(*((effective <= b, i) for i, b in enumerate(bounds)), else_=len(bounds))
    needed = [
        and_(effective > lo, effective <= hi) if hi is not None else effective > lo
        for _, lo, hi, _ in bases
        if lo != hi
    ]
    sums: dict[int, int] = {}
    if needed:
        src, dst = locations.alias("src"), locations.alias("dst")
        stmt = (
            select(segment.label("k"), func.sum(_signed_value(src, dst)).label("v"))
            .join(src, src.c.id == moves.c.from_location_id)
            .join(dst, dst.c.id == moves.c.to_location_id)
            .where(or_(*needed))
            .group_by(segment)
        )
        # segment i holds the moves in (bounds[i-1], bounds[i]]; the last, those after all
        sums = {int(row.k): int(row.v or 0) for row in conn.execute(stmt)}

    def between(lo: datetime | None, hi: datetime | None) -> int:
        first = bounds.index(lo) + 1 if lo is not None else 0
        last = bounds.index(hi) if hi is not None else len(bounds)
        return sum(sums.get(i, 0) for i in range(first, last + 1))

    values = [base + sign * between(lo, hi) for base, lo, hi, sign in bases]
    return [Point(at, from_scaled(total)) for at, total in zip(points, values, strict=True)]


def value_series(
    conn: Connection, points: Sequence[datetime], *, warehouses: Warehouses = None
) -> list[Point]:
    """The value of the valued stock at each of ``points`` (ascending), the whole company's
    or (``warehouses``) the share held in those warehouses: one read of the current totals,
    one grouped read of the moves after the first point (the whole company's: from the
    checkpoints, see ``_company_value_series``)."""
    if warehouses is None:
        return _company_value_series(conn, points)
    src, dst = locations.alias("src"), locations.alias("dst")
    interval = _interval(points).label("k")
    columns = [
        moves.c.item_id,
        interval,
        func.sum(_crossing(src, dst, None)).label("q"),
        func.sum(_signed_value(src, dst)).label("v"),
    ]
    if warehouses is not None:
        columns.append(func.sum(_crossing(src, dst, warehouses)).label("s"))
    stmt = (
        select(*columns)
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(moves.c.effective_at > points[0])
        .group_by(moves.c.item_id, interval)
    )
    dq, dv, ds = _nested(), _nested(), _nested()
    for row in conn.execute(stmt):
        k, item = int(row.k), int(row.item_id)
        dq[k][item], dv[k][item] = int(row.q or 0), int(row.v or 0)
        if warehouses is not None:
            ds[k][item] = int(row.s or 0)
    quantity_now: dict[int, int] = {}
    value_now: dict[int, int] = {}
    for item, quantity, value in conn.execute(
        select(item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value)
    ):
        quantity_now[int(item)], value_now[int(item)] = int(quantity), int(value)
    quantities = _fold(quantity_now, dq, len(points))
    values = _fold(value_now, dv, len(points))
    if warehouses is None:
        totals = [sum(state.values()) for state in values]
    else:
        held = _fold(_scoped_now(conn, warehouses, None), ds, len(points))
        totals = [
            sum(
                value_share(value, held[k].get(item, 0), quantities[k].get(item, 0))
                for item, value in values[k].items()
            )
            for k in range(len(points))
        ]
    return [Point(at, from_scaled(total)) for at, total in zip(points, totals, strict=True)]


def on_hand_series(
    conn: Connection, item: str, points: Sequence[datetime], *, warehouses: Warehouses = None
) -> list[Point]:
    """One item's on hand over the valued locations (of ``warehouses``) at each of ``points``
    (ascending). NotFound ``item_not_found`` for an unknown item (code or barcode)."""
    the_item = item_id(conn, item)
    src, dst = locations.alias("src"), locations.alias("dst")
    interval = _interval(points).label("k")
    stmt = (
        select(interval, func.sum(_crossing(src, dst, warehouses)).label("q"))
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(moves.c.item_id == the_item, moves.c.effective_at > points[0])
        .group_by(interval)
    )
    changes = {int(row.k): {the_item: int(row.q or 0)} for row in conn.execute(stmt)}
    states = _fold(_scoped_now(conn, warehouses, the_item), changes, len(points))
    return [
        Point(at, from_scaled(state.get(the_item, 0)))
        for at, state in zip(points, states, strict=True)
    ]


def item_and_unit(conn: Connection, text: str) -> tuple[str, str]:
    """The code and base unit of the item ``text`` names (code or barcode); NotFound
    ``item_not_found``."""
    found = lookups.resolve_item(conn, text)[0]
    return found.code, found.base_unit
