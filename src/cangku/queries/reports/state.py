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

from sqlalchemy import Connection, func, select

from cangku.db.tables import balances, categories, items, locations
from cangku.db.tables import warehouses as warehouse_table
from cangku.queries.asof import Anchor, choose_anchor, quantities_select
from cangku.queries.reports.common import Scope
from cangku.queries.stock import VALUED, StockFilter
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


def item_values(conn: Connection, at: datetime, now: datetime) -> dict[int, tuple[int, int]]:
    """(quantity, value), scaled, of each item's valued stock company-wide as of ``at``
    (``at`` at or after ``now``: now)."""
    if at >= now:
        stmt = value_select(conn, None, Anchor(None, None), None)
    else:
        stmt = value_select(conn, at, choose_anchor(conn, at, now), None)
    return {
        int(row.item_id): (int(row.quantity or 0), int(row.value or 0))
        for row in conn.execute(stmt)
        if row.quantity or row.value
    }


def _place_quantities(
    conn: Connection, at: datetime, now: datetime
) -> Iterable[tuple[int, int, int, int]]:
    """(item, location, warehouse, quantity) of every valued place holding stock at ``at``."""
    if at >= now:
        stmt = (
            select(
                balances.c.item_id,
                balances.c.location_id,
                locations.c.warehouse_id,
                func.sum(balances.c.on_hand).label("q"),
            )
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.kind.in_(VALUED))
            .group_by(balances.c.item_id, balances.c.location_id, locations.c.warehouse_id)
        )
    else:
        lots = quantities_select(conn, at, StockFilter(), choose_anchor(conn, at, now)).subquery(
            "lots"
        )
        stmt = (
            select(
                lots.c.item_id,
                lots.c.location_id,
                locations.c.warehouse_id,
                func.sum(lots.c.on_hand).label("q"),
            )
            .join(locations, locations.c.id == lots.c.location_id)
            .group_by(lots.c.item_id, lots.c.location_id, locations.c.warehouse_id)
        )
    for row in conn.execute(stmt):
        if row.q:
            yield int(row.item_id), int(row.location_id), int(row.warehouse_id), int(row.q)


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
