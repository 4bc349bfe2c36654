"""The stock as it stood at one instant, for the reports: each item's quantity and value (the
company keeps one cost per item), each place's quantity, and each place's share of its item's
value.

Both reads are the ledger's exact as-of reads (ADR 0004): the latest valid checkpoint before
the instant plus the moves since, or the current balances less the moves after it, whichever
is nearer. Nothing is cached.

A place's value is its item's value shared by quantity with the largest-remainder rule (first
between warehouses by each one's net quantity, then between a warehouse's locations), so the
places of an item add up to the item's value exactly, a report grouped by location or
warehouse totals to the same figure as one grouped by item, and a warehouse's share is the
same read per location as per warehouse (``points`` shares per warehouse). Where quantities
are not positive everywhere (a warehouse that allows negative stock), only those holding some
share the value; an item valued with nothing on hand anywhere (a rounding remainder, or stock
below zero) keeps its value at no place (``NOWHERE``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from cangku.db.tables import (
    balances,
    categories,
    checkpoint_balances,
    checkpoint_values,
    checkpoints,
    item_costs,
    items,
    locations,
    moves,
)
from cangku.db.tables import warehouses as warehouse_table
from cangku.queries.asof import Anchor
from cangku.queries.reports.common import Scope
from cangku.queries.stock import VALUED
from cangku.queries.valuation import value_select

__all__ = [
    "NOWHERE",
    "ItemInfo",
    "Place",
    "allocate",
    "item_info",
    "item_values",
    "place_values",
    "warehouse_names",
]

#: the place of a value held at no location (see the module docstring)
NOWHERE = 0


@dataclass(frozen=True, slots=True)
class ItemInfo:
    id: int
    code: str
    name: str
    item_type: str
    category: str | None
    category_name: str | None
    unit: str
    costing_method: str


@dataclass(frozen=True, slots=True)
class Place:
    """An item's stock at one location (``NOWHERE``: at none) and its share of the value."""

    item: int
    location: int
    warehouse: int
    quantity: int
    value: int


def item_info(conn: Connection, scope: Scope) -> dict[int, ItemInfo]:
    """The items the scope's item filters select (every item without one), by id."""
    stmt = (
        select(
            items.c.id,
            items.c.code,
            items.c.name,
            items.c.item_type,
            categories.c.code.label("category"),
            categories.c.name.label("category_name"),
            items.c.base_unit,
            items.c.costing_method,
        )
        .select_from(items.outerjoin(categories, categories.c.id == items.c.category_id))
        .where(*scope.item_conditions())
    )
    return {int(row.id): ItemInfo(int(row.id), *row[1:]) for row in conn.execute(stmt)}


@dataclass(frozen=True)
class Base:
    """Where a past state is read from: ``empty`` (before the ledger's first move: nothing to
    read), ``now`` (the current rows, less the moves after the instant) or a checkpoint (its
    rows, plus the moves since it, or less those from the instant up to it)."""

    kind: str
    checkpoint_id: int | None = None
    as_of: datetime | None = None


def base_for(conn: Connection, at: datetime, now: datetime) -> Base:
    """The nearest exact state to ``at``: the valid checkpoint just before or just after it, or
    now, whichever lies closest in time (so the fewest moves are read); nothing at all before
    the first move."""
    first = conn.execute(select(func.min(moves.c.effective_at))).scalar()
    if first is None or at < first:
        return Base("empty")
    best, distance = Base("now"), now - at
    before = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of <= at)
        .order_by(checkpoints.c.as_of.desc())
        .limit(1)
    ).first()
    after = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of > at, checkpoints.c.as_of <= now)
        .order_by(checkpoints.c.as_of)
        .limit(1)
    ).first()
    for row in (before, after):
        if row is not None and abs(row.as_of - at) < distance:
            best, distance = Base("checkpoint", int(row.id), row.as_of), abs(row.as_of - at)
    return best


def _window(base: Base, at: datetime) -> tuple[Any, int]:
    """The moves between the base and ``at`` and the sign they are taken with."""
    effective = moves.c.effective_at
    if base.kind == "now":
        return effective > at, -1
    assert base.as_of is not None
    if base.as_of <= at:
        return and_(effective > base.as_of, effective <= at), 1
    return and_(effective > at, effective <= base.as_of), -1


def item_values(conn: Connection, at: datetime, now: datetime) -> dict[int, tuple[int, int]]:
    """(quantity, value), scaled, of each item's valued stock company-wide as of ``at``
    (``at`` at or after ``now``: now, FIFO items valued from their open layers as
    ``queries.valuation`` values them), from the nearest exact state (``base_for``)."""
    if at >= now:
        stmt = value_select(conn, None, Anchor(None, None), None)
        return {
            int(row.item_id): (int(row.quantity or 0), int(row.value or 0))
            for row in conn.execute(stmt)
            if row.quantity or row.value
        }
    base = base_for(conn, at, now)
    found: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    if base.kind == "empty":
        return {}
    if base.kind == "now":
        rows = select(item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value)
    else:
        rows = select(
            checkpoint_values.c.item_id, checkpoint_values.c.quantity, checkpoint_values.c.value
        ).where(checkpoint_values.c.checkpoint_id == base.checkpoint_id)
    for item, quantity, value in conn.execute(rows):
        found[int(item)] = [int(quantity), int(value)]
    window, sign = _window(base, at)
    src, dst = locations.alias("src"), locations.alias("dst")
    into, out = dst.c.kind.in_(VALUED), src.c.kind.in_(VALUED)
    signed = case((and_(into, ~out), 1), (and_(out, ~into), -1), else_=0)
    stmt = (
        select(
            moves.c.item_id,
            func.sum(signed * moves.c.quantity),
            func.sum(signed * moves.c.value),
        )
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(window, or_(into, out), ~and_(into, out))
        .group_by(moves.c.item_id)
    )
    for item, quantity, value in conn.execute(stmt):
        figures = found[int(item)]
        figures[0] += sign * int(quantity or 0)
        figures[1] += sign * int(value or 0)
    return {item: (q, v) for item, (q, v) in found.items() if q or v}


def _place_quantities(
    conn: Connection, at: datetime, now: datetime
) -> Iterable[tuple[int, int, int, int]]:
    """(item, location, warehouse, quantity) of every valued place holding stock at ``at``,
    from the nearest exact state (``base_for``)."""
    base = Base("now") if at >= now else base_for(conn, at, now)
    if base.kind == "empty":
        return
    found: defaultdict[tuple[int, int], int] = defaultdict(int)
    if base.kind == "now":
        rows = select(balances.c.item_id, balances.c.location_id, balances.c.on_hand)
    else:
        rows = select(
            checkpoint_balances.c.item_id,
            checkpoint_balances.c.location_id,
            checkpoint_balances.c.on_hand,
        ).where(checkpoint_balances.c.checkpoint_id == base.checkpoint_id)
    for item, location, quantity in conn.execute(rows):
        if quantity:
            found[(int(item), int(location))] += int(quantity)
    if at < now:
        window, sign = _window(base, at)
        for column, direction in ((moves.c.to_location_id, sign), (moves.c.from_location_id,
                                                                   -sign)):  # fmt: skip
            stmt = (
                select(moves.c.item_id, column, func.sum(moves.c.quantity))
                .where(window)
                .group_by(moves.c.item_id, column)
            )
            for item, location, quantity in conn.execute(stmt):
                found[(int(item), int(location))] += direction * int(quantity or 0)
    kinds = {
        int(i): (int(w), k)
        for i, w, k in conn.execute(
            select(locations.c.id, locations.c.warehouse_id, locations.c.kind)
        )
    }
    for (item, location), quantity in found.items():
        warehouse, kind = kinds[location]
        if quantity and kind in VALUED:
            yield item, location, warehouse, quantity


def allocate(value: int, weights: list[int]) -> list[int]:
    """``value`` shared in proportion to ``weights`` (not negative, some positive), each share
    rounded down and the remainder handed out one by one to the largest fractions (ties: the
    earlier weight): the shares add up to ``value`` exactly."""
    whole = sum(weights)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    shares, fractions = [], []
    for index, weight in enumerate(weights):
        share, rest = divmod(magnitude * weight, whole)
        shares.append(share)
        fractions.append((-rest, index))
    for _, index in sorted(fractions)[: magnitude - sum(shares)]:
        shares[index] += 1
    return [sign * share for share in shares]


def _shares(value: int, places: list[tuple[int, int, int]]) -> list[int] | None:
    """Each place's share of ``value``: first per warehouse by its net quantity, then within
    each warehouse by its locations' quantities (so a warehouse's share is the same whether
    read per location or per warehouse); None when no warehouse holds a positive quantity."""
    net: dict[int, int] = {}
    for _, warehouse, quantity in places:
        net[warehouse] = net.get(warehouse, 0) + quantity
    houses = sorted(net)
    weights = [max(net[w], 0) for w in houses]
    if sum(weights) == 0:
        return None
    per_house = dict(zip(houses, allocate(value, weights), strict=True))
    shares = [0] * len(places)
    for warehouse in houses:
        inside = [k for k, place in enumerate(places) if place[1] == warehouse]
        local = [max(places[k][2], 0) for k in inside]
        if sum(local) == 0:
            continue
        for k, share in zip(inside, allocate(per_house[warehouse], local), strict=True):
            shares[k] = share
    return shares


def place_values(
    conn: Connection, at: datetime, now: datetime, wanted: Iterable[int] | None = None
) -> list[Place]:
    """Every valued place's quantity and share of its item's value at ``at``, for the items
    ``wanted`` (None: all), ordered by item; see the module docstring for the sharing."""
    keep = None if wanted is None else set(wanted)
    values = item_values(conn, at, now)
    by_item: defaultdict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for item, location, warehouse, quantity in _place_quantities(conn, at, now):
        if keep is None or item in keep:
            by_item[item].append((location, warehouse, quantity))
    out: list[Place] = []
    for item in sorted(set(by_item) | {i for i in values if keep is None or i in keep}):
        places = sorted(by_item.get(item, []))  # by location: ties go the same way each time
        value = values.get(item, (0, 0))[1]
        shares = _shares(value, places)
        for (location, warehouse, quantity), share in zip(
            places, shares or [0] * len(places), strict=True
        ):
            out.append(Place(item, location, warehouse, quantity, share))
        if value and shares is None:
            out.append(Place(item, NOWHERE, NOWHERE, 0, value))
    return out


def warehouse_names(conn: Connection) -> dict[int, tuple[str, str]]:
    """(code, name) of every warehouse, by id."""
    stmt = select(warehouse_table.c.id, warehouse_table.c.code, warehouse_table.c.name)
    return {int(row.id): (row.code, row.name) for row in conn.execute(stmt)}


def location_names(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(code, name) of the locations ``ids``, by id."""
    wanted = sorted(set(ids) - {NOWHERE})
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        stmt = select(locations.c.id, locations.c.code, locations.c.name).where(
            locations.c.id.in_(chunk)
        )
        found.update({int(row.id): (row.code, row.name) for row in conn.execute(stmt)})
    return found
