"""What replenishment suggestions are worked out from (ADR 0033), each in one set-based read:
the item and warehouse pairs with a reorder point in force, their stock, what is on order and
on the way, the suppliers' terms, costs, and the destinations' free capacity.

- **Pairs**: an active item in an active warehouse where it has levels (``replenishment_levels``)
  or is kept (a balance row in a storage location, even of zero, as the alerts do), whose
  reorder point in force (``queries.levels``) is set. No order-up-to level: the reorder point.
- **On hand / reserved**: the balances of the warehouse's storage locations (internal,
  receiving, quality, shipping). **Free to transfer**: on hand less reserved of available lots
  (or no lot) of items not serial-tracked, less what undispatched transfers will take out.
- **On order**: open purchase orders (draft, awaiting approval, confirmed, partly received):
  ordered less received. Drafts count so that confirmed suggestions are not suggested again.
- **In transit**: transfers from another warehouse to this one: not dispatched yet (draft,
  submitted, approved): their quantity; on the way (in transit, discrepancy): dispatched less
  accepted less resolved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select, union

from cangku.db.tables import (
    balances,
    categories,
    document_lines,
    documents,
    item_costs,
    items,
    locations,
    lots,
    partners,
    replenishment_levels,
    supplier_items,
    units,
    warehouses,
)
from cangku.domain.enums import STORAGE_KINDS, LotStatus
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_ratio
from cangku.domain.suggestions import Term
from cangku.queries.levels import in_force, join_levels

__all__ = [
    "Bin",
    "Pair",
    "Stock",
    "capacity_left",
    "flows",
    "pairs",
    "stock",
    "terms",
    "transfer_bins",
    "unit_costs",
]

STORAGE = sorted(str(kind) for kind in STORAGE_KINDS)
OPEN_ORDERS = ("draft", "awaiting_approval", "confirmed", "partially_received")
NOT_DISPATCHED = ("draft", "submitted", "approved")
ON_THE_WAY = ("in_transit", "discrepancy")


def _dec(scaled: int | None) -> Decimal | None:
    return None if scaled is None else from_scaled(scaled)


@dataclass(frozen=True)
class Pair:
    item_id: int
    item: str
    item_name: str
    base_unit: str
    decimals: int
    tracking: str
    category_path: str | None
    standard_cost: Decimal | None
    warehouse_id: int
    warehouse: str
    reorder_point: Decimal
    order_up_to: Decimal
    demand: Decimal | None
    abc_class: str | None


def _kept_pairs() -> Any:
    kept = (
        select(balances.c.item_id, balances.c.warehouse_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(STORAGE))
    )
    levelled = select(replenishment_levels.c.item_id, replenishment_levels.c.warehouse_id)
    return union(kept, levelled).subquery("pairs")


def pairs(conn: Connection, seen: Warehouses = None) -> list[Pair]:
    """Every (active item, active warehouse) with a reorder point in force, by item and
    warehouse code; ``seen``: only in these warehouses (None: all)."""
    kept = _kept_pairs()
    rop, up_to = in_force("reorder_point"), in_force("order_up_to")
    source = join_levels(
        kept.join(items, items.c.id == kept.c.item_id)
        .join(warehouses, warehouses.c.id == kept.c.warehouse_id)
        .join(units, units.c.code == items.c.base_unit)
        .outerjoin(categories, categories.c.id == items.c.category_id),
        kept.c.item_id,
        kept.c.warehouse_id,
    )
    stmt = (
        select(
            items.c.id,
            items.c.code,
            items.c.name,
            items.c.base_unit,
            units.c.decimals,
            items.c.tracking,
            categories.c.path,
            items.c.standard_cost,
            warehouses.c.id,
            warehouses.c.code,
            rop,
            up_to,
            replenishment_levels.c.demand,
            replenishment_levels.c.abc_class,
        )  # fmt: skip
        .select_from(source)
        .where(items.c.active, warehouses.c.active, rop.is_not(None))
        .order_by(items.c.code, warehouses.c.code)
    )
    if seen is not None:
        stmt = stmt.where(warehouses.c.id.in_(sorted(seen)))
    return [
        Pair(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            int(r[4]),
            r[5],
            r[6],
            _dec(r[7]),
            int(r[8]),
            r[9],
            from_scaled(r[10]),
            from_scaled(r[11] if r[11] is not None else r[10]),
            _dec(r[12]),
            r[13],
        )  # fmt: skip
        for r in conn.execute(stmt)
    ]


@dataclass(frozen=True)
class Stock:
    on_hand: Decimal
    reserved: Decimal
    #: on hand less reserved that a transfer may take (active locations, available lots, not
    #: serial-tracked): what ``transfer_bins`` finds
    free: Decimal


def stock(conn: Connection, item_ids: Iterable[int]) -> dict[tuple[int, int], Stock]:
    """(item id, warehouse id) -> stock in the warehouse's storage locations, every warehouse."""
    free = case(
        (
            and_(
                items.c.tracking != "serial",
                locations.c.active,
                or_(balances.c.lot_id.is_(None), lots.c.status == str(LotStatus.AVAILABLE)),
            ),
            balances.c.on_hand - balances.c.reserved,
        ),
        else_=0,
    )
    out: dict[tuple[int, int], Stock] = {}
    for chunk in _chunks(item_ids):
        stmt = (
            select(
                balances.c.item_id,
                balances.c.warehouse_id,
                func.sum(balances.c.on_hand),
                func.sum(balances.c.reserved),
                func.sum(free),
            )  # fmt: skip
            .join(locations, locations.c.id == balances.c.location_id)
            .join(items, items.c.id == balances.c.item_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(locations.c.kind.in_(STORAGE), balances.c.item_id.in_(chunk))
            .group_by(balances.c.item_id, balances.c.warehouse_id)
        )
        for r in conn.execute(stmt):
            out[(int(r[0]), int(r[1]))] = Stock(
                from_scaled(r[2]), from_scaled(r[3]), from_scaled(r[4])
            )
    return out


def _chunks(ids: Iterable[int], size: int = 5000) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


@dataclass(frozen=True)
class Flows:
    #: (item id, warehouse id) -> ordered and not received on open purchase orders
    on_order: dict[tuple[int, int], Decimal]
    #: (item id, warehouse id) -> coming from another warehouse
    incoming: dict[tuple[int, int], Decimal]
    #: (item id, warehouse id) -> to leave on transfers not dispatched yet
    outgoing: dict[tuple[int, int], Decimal]


def flows(conn: Connection, item_ids: Iterable[int]) -> Flows:
    """What open purchase orders and transfers bring or take (see the module docstring)."""
    dl, docs = document_lines, documents
    open_po = case((dl.c.quantity > dl.c.done, dl.c.quantity - dl.c.done), else_=0)
    coming = case(
        (docs.c.state.in_(NOT_DISPATCHED), dl.c.quantity),
        else_=dl.c.done - dl.c.accepted - dl.c.resolved,
    )
    leaving = case((docs.c.state.in_(NOT_DISPATCHED), dl.c.quantity), else_=0)
    between = and_(
        docs.c.doc_type == "transfer",
        docs.c.to_warehouse_id != docs.c.warehouse_id,
        docs.c.state.in_(NOT_DISPATCHED + ON_THE_WAY),
    )
    result = Flows({}, {}, {})
    for chunk in _chunks(item_ids):
        reads = (
            (result.on_order, open_po, docs.c.warehouse_id,
             and_(docs.c.doc_type == "purchase_order", docs.c.state.in_(OPEN_ORDERS))),
            (result.incoming, coming, docs.c.to_warehouse_id, between),
            (result.outgoing, leaving, docs.c.warehouse_id, between),
        )  # fmt: skip
        for target, amount, warehouse, where in reads:
            stmt = (
                select(dl.c.item_id, warehouse, func.sum(amount))
                .join(docs, docs.c.id == dl.c.document_id)
                .where(where, dl.c.item_id.in_(chunk))
                .group_by(dl.c.item_id, warehouse)
            )
            for r in conn.execute(stmt):
                if r[2]:
                    target[(int(r[0]), int(r[1]))] = from_scaled(r[2])
    return result


def terms(conn: Connection, item_ids: Iterable[int]) -> dict[int, list[Term]]:
    """item id -> its active suppliers' terms, by supplier code."""
    out: dict[int, list[Term]] = defaultdict(list)
    si = supplier_items
    for chunk in _chunks(item_ids):
        stmt = (
            select(
                si.c.item_id,
                partners.c.code,
                si.c.price,
                si.c.min_order_qty,
                si.c.pack_size,
                si.c.preferred,
            )  # fmt: skip
            .join(partners, partners.c.id == si.c.partner_id)
            .where(si.c.item_id.in_(chunk), partners.c.active, partners.c.is_supplier)
            .order_by(si.c.item_id, partners.c.code)
        )
        for r in conn.execute(stmt):
            out[int(r[0])].append(Term(r[1], _dec(r[2]), _dec(r[3]), _dec(r[4]), bool(r[5])))
    return dict(out)


def unit_costs(conn: Connection, item_ids: Iterable[int]) -> dict[int, Decimal]:
    """item id -> its moving-average cost now (value / quantity of its stock), where it has
    stock."""
    out: dict[int, Decimal] = {}
    for chunk in _chunks(item_ids):
        stmt = select(item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value).where(
            item_costs.c.item_id.in_(chunk), item_costs.c.quantity > 0
        )
        for r in conn.execute(stmt):
            out[int(r[0])] = from_scaled(scaled_ratio(int(r[2]), int(r[1])))
    return out


def capacity_left(conn: Connection) -> dict[str, Decimal]:
    """warehouse code -> the capacity of its active internal locations that have one, less
    their on hand; only warehouses where some capacity is set."""
    held = (
        select(balances.c.location_id, func.sum(balances.c.on_hand).label("on_hand"))
        .group_by(balances.c.location_id)
        .subquery()
    )
    stmt = (
        select(
            warehouses.c.code,
            func.sum(locations.c.capacity),
            func.sum(func.coalesce(held.c.on_hand, literal(0))),
        )
        .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        .outerjoin(held, held.c.location_id == locations.c.id)
        .where(
            locations.c.kind == "internal",
            locations.c.active,
            locations.c.capacity.is_not(None),
        )
        .group_by(warehouses.c.code)
    )
    return {r[0]: from_scaled(r[1]) - from_scaled(r[2]) for r in conn.execute(stmt)}


@dataclass(frozen=True)
class Bin:
    """Stock a transfer may take: a storage location of the source warehouse, its lot."""

    location: str
    lot: str | None
    free: Decimal


def transfer_bins(
    conn: Connection, warehouse: str, item_codes: Iterable[str]
) -> dict[str, list[Bin]]:
    """item code -> the bins of ``warehouse`` with stock free to transfer (on hand less
    reserved, available lots), in the order a transfer takes them: internal locations first,
    the lot expiring first (none last), the most free, the location code."""
    free = balances.c.on_hand - balances.c.reserved
    out: dict[str, list[Bin]] = defaultdict(list)
    codes = sorted(set(item_codes))
    for start in range(0, len(codes), 5000):
        stmt = (
            select(items.c.code, locations.c.code, lots.c.code, free)
            .join(items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(warehouses, warehouses.c.id == balances.c.warehouse_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(
                warehouses.c.code == warehouse,
                items.c.code.in_(codes[start : start + 5000]),
                locations.c.kind.in_(STORAGE),
                locations.c.active,
                free > 0,
                or_(balances.c.lot_id.is_(None), lots.c.status == str(LotStatus.AVAILABLE)),
            )
            .order_by(
                items.c.code,
                case((locations.c.kind == "internal", 0), else_=1),
                case((lots.c.expires_on.is_(None), 1), else_=0),
                lots.c.expires_on,
                free.desc(),
                locations.c.code,
            )
        )
        for r in conn.execute(stmt):
            out[r[0]].append(Bin(r[1], r[2], from_scaled(r[3])))
    return dict(out)
