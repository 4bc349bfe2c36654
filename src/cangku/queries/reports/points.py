"""The stock at many instants at once, summed per group: what turnover's average inventory and
the trends' series are made of.

Read the way ``queries.series`` reads a series (ADR 0004), once for all the points: the state
now (the items' cost rows, and per warehouse the balances) and one grouped read of the moves
after the first point, per interval between two points; the points are then folded from the
newest back. Folding touches only the items that changed in an interval, and a group's sum
over the points is kept lazily (its value times the number of points it held for), so the work
is the number of changes, not items × points.

Values are each item's company value; in view of some warehouses only, or grouped by
warehouse, an item's value is shared among its warehouses by quantity with the largest-
remainder rule (``state.allocate``), at every point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from cangku.db.tables import balances, checkpoint_values, checkpoints, item_costs, locations
from cangku.queries.reports.crossings import crossings, item_in
from cangku.queries.reports.flows import FEW, company_crossing
from cangku.queries.reports.state import NOWHERE, allocate, item_values
from cangku.queries.stock import VALUED

__all__ = ["Folded", "fold_points", "total_points"]

#: company values are read from checkpoints when at most this many points have none
OFF_CHECKPOINT = 3
#: which group an item's stock in a warehouse (``NOWHERE``: at none; None when the fold is not
#: by warehouse) counts in; None: in none
GroupOf = Callable[[int, int | None], Hashable | None]


@dataclass
class Folded:
    """Per group: the value and quantity summed over every point, at the first point and at the
    last; with ``series``, the value and quantity at each point (oldest first)."""

    value_sum: dict[Hashable, int] = field(default_factory=dict)
    quantity_sum: dict[Hashable, int] = field(default_factory=dict)
    first: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    last: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    series: dict[Hashable, list[tuple[int, int]]] = field(default_factory=dict)


class _Fold:
    def __init__(self, group_of: GroupOf, by_warehouse: bool, points: int) -> None:
        self.group_of = group_of
        self.by_warehouse = by_warehouse
        self.points = points
        self.q: dict[int, int] = {}
        self.v: dict[int, int] = {}
        self.held: defaultdict[int, dict[int, int]] = defaultdict(dict)
        self.cur_v: defaultdict[Hashable, int] = defaultdict(int)
        self.cur_q: defaultdict[Hashable, int] = defaultdict(int)
        self.acc_v: defaultdict[Hashable, int] = defaultdict(int)
        self.acc_q: defaultdict[Hashable, int] = defaultdict(int)
        self.since: dict[Hashable, int] = {}

    def contributions(self, item: int) -> list[tuple[Hashable, int, int]]:
        """(group, quantity, value) the item adds to each group in the current state."""
        value = self.v.get(item, 0)
        if not self.by_warehouse:
            group = self.group_of(item, None)
            return [] if group is None else [(group, self.q.get(item, 0), value)]
        held = self.held.get(item, {})
        places = sorted(held.items())
        weights = [max(q, 0) for _, q in places]
        found: list[tuple[Hashable, int, int]] = []
        if sum(weights) > 0:
            shares = allocate(value, weights)
        else:
            shares = [0] * len(places)
            group = self.group_of(item, NOWHERE) if value else None
            if group is not None:
                found.append((group, 0, value))
        for (warehouse, quantity), share in zip(places, shares, strict=True):
            group = self.group_of(item, warehouse)
            if group is not None and (quantity or share):
                found.append((group, quantity, share))
        return found

    def add(self, item: int, sign: int, point: int) -> None:
        for group, quantity, value in self.contributions(item):
            held_since = self.since.get(group, self.points - 1)
            self.acc_v[group] += self.cur_v[group] * (held_since - point)
            self.acc_q[group] += self.cur_q[group] * (held_since - point)
            self.since[group] = point
            self.cur_v[group] += sign * value
            self.cur_q[group] += sign * quantity


def _now(conn: Connection, fold: _Fold, wanted: set[int]) -> None:
    stmt = select(item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value)
    if len(wanted) <= FEW:
        stmt = stmt.where(item_costs.c.item_id.in_(sorted(wanted)))
    for item, quantity, value in conn.execute(stmt):
        if int(item) in wanted:
            fold.q[int(item)], fold.v[int(item)] = int(quantity), int(value)
    if fold.by_warehouse:
        stmt = (
            select(balances.c.item_id, balances.c.warehouse_id, func.sum(balances.c.on_hand))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.kind.in_(VALUED))
            .group_by(balances.c.item_id, balances.c.warehouse_id)
        )
        for item, warehouse, quantity in conn.execute(stmt):
            if int(item) in wanted and quantity:
                fold.held[int(item)][int(warehouse)] = int(quantity)


def _changes(
    conn: Connection, points: Sequence[datetime], by_warehouse: bool, wanted: set[int]
) -> defaultdict[int, list[tuple[int, bool, bool, int, int, int, int]]]:
    """Per interval k: (item, src valued, dst valued, src warehouse, dst warehouse, quantity,
    value) of the moves after the first point, grouped."""
    # k for a move in (points[k-1], points[k]]; len(points) after the last point
    rows = crossings(
        conn, points[0], points[1:], first=1, items=_few(wanted),
        crossing=None if by_warehouse else company_crossing,
    )  # fmt: skip
    src_valued, dst_valued = rows.c.from_kind.in_(VALUED), rows.c.to_kind.in_(VALUED)
    keys = [rows.c.item_id, rows.c.k, src_valued.label("sv"), dst_valued.label("dv")]
    if by_warehouse:
        keys += [rows.c.from_warehouse_id.label("sw"), rows.c.to_warehouse_id.label("dw")]
    stmt = select(
        *keys, func.sum(rows.c.quantity).label("q"), func.sum(rows.c.value).label("v")
    ).group_by(*keys)
    found: defaultdict[int, list[tuple[int, bool, bool, int, int, int, int]]] = defaultdict(list)
    for row in conn.execute(stmt):
        item = int(row.item_id)
        if item not in wanted:
            continue
        sw = int(row.sw) if by_warehouse else 0
        dw = int(row.dw) if by_warehouse else 0
        found[int(row.k)].append(
            (item, bool(row.sv), bool(row.dv), sw, dw, int(row.q or 0), int(row.v or 0))
        )
    return found


def _few(wanted: set[int]) -> Callable[[Any], Any] | None:
    """The items named in SQL when they are few (else all are read and the wanted kept)."""
    if len(wanted) > FEW:
        return None
    return item_in(sorted(wanted))


def _undo(fold: _Fold, change: tuple[int, bool, bool, int, int, int, int]) -> None:
    """Take one grouped change back out of the state (folding towards the past)."""
    item, src_valued, dst_valued, sw, dw, quantity, value = change
    if dst_valued and not src_valued:
        fold.q[item] = fold.q.get(item, 0) - quantity
        fold.v[item] = fold.v.get(item, 0) - value
    elif src_valued and not dst_valued:
        fold.q[item] = fold.q.get(item, 0) + quantity
        fold.v[item] = fold.v.get(item, 0) + value
    if fold.by_warehouse:
        held = fold.held[item]
        if dst_valued:
            held[dw] = held.get(dw, 0) - quantity
        if src_valued:
            held[sw] = held.get(sw, 0) + quantity


def fold_points(
    conn: Connection,
    points: Sequence[datetime],
    wanted: set[int],
    group_of: GroupOf,
    *,
    by_warehouse: bool,
    series: bool = False,
    now: datetime | None = None,
) -> Folded:
    """The stock of the items ``wanted`` at each of ``points`` (ascending, the last at or
    before now), summed per group (see the module docstring). ``series`` keeps each point's
    figures per group: use it with few groups. Given ``now``, company values (not
    ``by_warehouse``, no ``series``) are read from the checkpoints at the points when all but a
    few points have one (``_from_checkpoints``)."""
    if now is not None and not by_warehouse and not series:
        found = _from_checkpoints(conn, points, wanted, group_of, now)
        if found is not None:
            return found
    count = len(points)
    fold = _Fold(group_of, by_warehouse, count)
    _now(conn, fold, wanted)
    for item in set(fold.q) | set(fold.v) | set(fold.held):
        for group, quantity, value in fold.contributions(item):
            fold.cur_v[group] += value
            fold.cur_q[group] += quantity
    changes = _changes(conn, points, by_warehouse, wanted)
    out = Folded()
    snapshots: list[tuple[dict[Hashable, int], dict[Hashable, int]]] = []
    for k in range(count, 0, -1):  # interval k lies after point k-1: undo it to reach k-1
        point = k - 1
        touched = {change[0] for change in changes.get(k, [])}
        for item in touched:
            fold.add(item, -1, point)
        for change in changes.get(k, []):
            _undo(fold, change)
        for item in touched:
            fold.add(item, 1, point)
        if k == count:
            out.last = {g: (fold.cur_q[g], fold.cur_v[g]) for g in fold.cur_v}
        if series:
            snapshots.append((dict(fold.cur_q), dict(fold.cur_v)))
    for group in set(fold.cur_v) | set(fold.acc_v):
        held_since = fold.since.get(group, count - 1)
        out.value_sum[group] = fold.acc_v[group] + fold.cur_v[group] * (held_since + 1)
        out.quantity_sum[group] = fold.acc_q[group] + fold.cur_q[group] * (held_since + 1)
        out.first[group] = (fold.cur_q[group], fold.cur_v[group])
    if series:
        snapshots.reverse()
        for group in out.first:
            out.series[group] = [(q.get(group, 0), v.get(group, 0)) for q, v in snapshots]
    return out


def _from_checkpoints(
    conn: Connection, points: Sequence[datetime], wanted: set[int], group_of: GroupOf,
    now: datetime,
) -> Folded | None:  # fmt: skip
    """The fold's company figures from ``checkpoint_values``, summed over the points that have
    a valid checkpoint in one grouped read, plus each other point's item values
    (``state.item_values``); None when more than ``OFF_CHECKPOINT`` points have none."""
    taken = conn.execute(
        select(checkpoints.c.as_of, func.max(checkpoints.c.id))
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of.in_(list(points)))
        .group_by(checkpoints.c.as_of)
    ).all()
    at = {as_of: int(checkpoint) for as_of, checkpoint in taken}
    off = [p for p in points if p not in at]
    if len(off) > OFF_CHECKPOINT:
        return None
    per_item: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = checkpoint_values
    summed = (
        select(rows.c.item_id, func.sum(rows.c.quantity), func.sum(rows.c.value))
        .where(rows.c.checkpoint_id.in_([at[p] for p in points if p in at]))
        .group_by(rows.c.item_id)
    )
    for item, quantity, value in conn.execute(summed) if len(off) < len(points) else ():
        per_item[int(item)][0] += int(quantity)
        per_item[int(item)][1] += int(value)
    ends: dict[datetime, dict[int, tuple[int, int]]] = {}
    for point in {*off, points[0], points[-1]}:
        if point in at:
            stmt = select(rows.c.item_id, rows.c.quantity, rows.c.value).where(
                rows.c.checkpoint_id == at[point]
            )
            ends[point] = {int(i): (int(q), int(v)) for i, q, v in conn.execute(stmt)}
        else:
            ends[point] = item_values(conn, point, now)
    for point in off:
        for item, (quantity, value) in ends[point].items():
            per_item[item][0] += quantity
            per_item[item][1] += value
    out = Folded()
    for name, state in (("first", ends[points[0]]), ("last", ends[points[-1]])):
        sums: defaultdict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
        for item, (quantity, value) in state.items():
            group = group_of(item, None) if item in wanted else None
            if group is not None:
                sums[group][0] += quantity
                sums[group][1] += value
        setattr(out, name, {g: (q, v) for g, (q, v) in sums.items()})
    for item, (quantity, value) in per_item.items():
        group = group_of(item, None) if item in wanted else None
        if group is not None:
            out.value_sum[group] = out.value_sum.get(group, 0) + value
            out.quantity_sum[group] = out.quantity_sum.get(group, 0) + quantity
    return out


def total_points(
    conn: Connection, points: Sequence[datetime], wanted: set[int], among: Any = None
) -> list[tuple[int, int]]:
    """The company's quantity and value of the items ``wanted`` (in SQL: ``among``, a select of
    their ids, None for every item, unless they are few) at each of ``points``: the totals
    now less the moves after each point, summed per interval in one grouped read (no item is
    read on its own: the whole company needs no shares)."""
    totals = select(func.coalesce(func.sum(item_costs.c.quantity), 0),
                    func.coalesce(func.sum(item_costs.c.value), 0))  # fmt: skip
    if len(wanted) <= FEW:
        totals = totals.where(item_costs.c.item_id.in_(sorted(wanted)))
        items = _few(wanted)
    elif among is not None:
        totals = totals.where(item_costs.c.item_id.in_(among))
        items = item_in(among)
    else:
        items = None  # every item
    rows = crossings(conn, points[0], points[1:], first=1, items=items, crossing=company_crossing)
    into, out = rows.c.to_kind.in_(VALUED), rows.c.from_kind.in_(VALUED)
    signed = case((and_(into, ~out), 1), (and_(out, ~into), -1), else_=0)
    stmt = select(
        rows.c.k, func.sum(signed * rows.c.quantity), func.sum(signed * rows.c.value)
    ).group_by(rows.c.k)
    quantity, value = (int(x) for x in conn.execute(totals).one())
    changes = {int(k): (int(q or 0), int(v or 0)) for k, q, v in conn.execute(stmt)}
    found: list[tuple[int, int]] = []
    for k in range(len(points), 0, -1):  # undo interval k to reach point k-1
        q, v = changes.get(k, (0, 0))
        quantity, value = quantity - q, value - v
        found.append((quantity, value))
    return list(reversed(found))
