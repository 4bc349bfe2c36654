"""What inbound steps load, a set at a time: items with what receiving needs of them, unit
conversions, supplier terms, a warehouse's inbound locations, put-away rules and bins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from cangku.db.lookups import lot_columns, lot_info
from cangku.db.tables import (
    balances,
    categories,
    company,
    item_units,
    items,
    locations,
    lots,
    partners,
    putaway_rules,
    supplier_items,
    units,
    warehouses,
)
from cangku.domain.enums import LocationKind, Tracking
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.inbound import BinInfo, PutawayRule
from cangku.domain.stock import ItemInfo, LotInfo

__all__ = [
    "InboundItem",
    "Supplier",
    "WarehouseInbound",
    "bins",
    "factors",
    "inbound_items",
    "lots_by_ids",
    "lots_with_stock",
    "putaway_rules_of",
    "supplier",
    "supplier_terms",
    "unit_places",
    "warehouse_inbound",
]


@dataclass(frozen=True)
class Supplier:
    id: int
    code: str
    name: str
    inspection_required: bool
    #: percent, scaled
    over_receipt_tolerance: int


def supplier(conn: Connection, code: str) -> Supplier:
    """An active supplier by code. Raises NotFound ``partner_not_found``, RuleViolation
    ``not_a_supplier`` / ``partner_inactive``."""
    row = conn.execute(
        select(
            partners.c.id,
            partners.c.code,
            partners.c.name,
            partners.c.inspection_required,
            partners.c.over_receipt_tolerance,
            partners.c.is_supplier,
            partners.c.active,
        ).where(partners.c.code == code)
    ).first()
    if row is None:
        raise NotFound("partner", code)
    if not row.is_supplier:
        raise RuleViolation(
            f"partner {code} is not a supplier", code="not_a_supplier", partner=code
        )
    if not row.active:
        raise RuleViolation(f"partner {code} is deactivated", code="partner_inactive", partner=code)
    return Supplier(
        int(row.id),
        row.code,
        row.name,
        bool(row.inspection_required),
        int(row.over_receipt_tolerance),
    )


def supplier_by_id(conn: Connection, partner_id: int) -> Supplier:
    code = conn.execute(select(partners.c.code).where(partners.c.id == partner_id)).scalar_one()
    return supplier(conn, code)


@dataclass(frozen=True)
class InboundItem:
    id: int
    code: str
    name: str
    item_type: str
    tracking: str
    base_unit: str
    active: bool
    lead_time_days: int | None
    inspection_required: bool
    category_path: str | None
    #: the item's category or one above it is marked for inspection
    category_inspection: bool
    default_location_id: int | None
    shelf_life_days: int | None
    costing_method: str = "fifo"
    base_places: int | None = None

    def info(self) -> ItemInfo:
        """The snapshot the ledger's rules take."""
        return ItemInfo(
            self.id, self.code, self.item_type, Tracking(self.tracking), self.costing_method,
            self.base_unit, self.active, self.base_places, self.name,
        )  # fmt: skip


def inbound_items(
    conn: Connection, ids: Iterable[int] = (), codes: Iterable[str] = ()
) -> dict[object, InboundItem]:
    """Items by id and by code (both keys), with their categories' inspection marks, in one
    statement per 5,000."""
    wanted_ids, wanted_codes = sorted(set(ids)), sorted(set(codes))
    up = categories.alias("up")
    flagged = (
        select(func.count())
        .select_from(up)
        .where(
            up.c.inspection_required.is_(True),
            categories.c.path.startswith(up.c.path, autoescape=False),
        )
        .scalar_subquery()
    )
    base = (
        select(
            items.c.id,
            items.c.code,
            items.c.name,
            items.c.item_type,
            items.c.tracking,
            items.c.base_unit,
            items.c.active,
            items.c.lead_time_days,
            items.c.inspection_required,
            categories.c.path,
            flagged,
            items.c.default_location_id,
            items.c.shelf_life_days,
            items.c.costing_method,
            units.c.decimals,
        )
        .join_from(items, categories, categories.c.id == items.c.category_id, isouter=True)
        .join(units, units.c.code == items.c.base_unit)
    )
    found: dict[object, InboundItem] = {}
    for column, keys in ((items.c.id, wanted_ids), (items.c.code, wanted_codes)):
        for start in range(0, len(keys), 5000):
            for row in conn.execute(base.where(column.in_(keys[start : start + 5000]))):
                item = InboundItem(
                    int(row[0]), row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7],
                    bool(row[8]), row[9], bool(row[10]), row[11], row[12], row[13], row[14],
                )  # fmt: skip
                found[item.id] = found[item.code] = item
    return found


def factors(conn: Connection, item_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(item id, unit) -> base units in one of the unit (scaled), for the items' conversions."""
    out: dict[tuple[int, str], int] = {}
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 5000):
        rows = conn.execute(
            select(item_units.c.item_id, item_units.c.unit, item_units.c.factor).where(
                item_units.c.item_id.in_(ids[start : start + 5000])
            )
        )
        out.update(((int(r[0]), r[1]), int(r[2])) for r in rows)
    return out


def unit_places(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = conn.execute(select(units.c.code, units.c.decimals).where(units.c.code.in_(wanted)))
    return {r[0]: int(r[1]) for r in rows}


@dataclass(frozen=True)
class Terms:
    price: int | None
    min_order_qty: int | None
    lead_time_days: int | None


def supplier_terms(conn: Connection, partner_id: int, item_ids: Sequence[int]) -> dict[int, Terms]:
    ids = sorted(set(item_ids))
    out: dict[int, Terms] = {}
    for start in range(0, len(ids), 5000):
        rows = conn.execute(
            select(
                supplier_items.c.item_id,
                supplier_items.c.price,
                supplier_items.c.min_order_qty,
                supplier_items.c.lead_time_days,
            ).where(
                supplier_items.c.partner_id == partner_id,
                supplier_items.c.item_id.in_(ids[start : start + 5000]),
            )
        )
        out.update((int(r[0]), Terms(r[1], r[2], r[3])) for r in rows)
    return out


@dataclass(frozen=True)
class WarehouseInbound:
    id: int
    code: str
    active: bool
    receiving_id: int | None
    quality_id: int | None
    rejection_id: int | None

    def receiving(self) -> int:
        if self.receiving_id is None:
            raise RuleViolation(
                f"warehouse {self.code} has no receiving location: add one (kind receiving)",
                code="no_receiving_location",
                warehouse=self.code,
            )
        return self.receiving_id

    def quality(self) -> int:
        if self.quality_id is None:
            raise RuleViolation(
                f"warehouse {self.code} has no quality location: add one (kind quality)",
                code="no_quality_location",
                warehouse=self.code,
            )
        return self.quality_id

    def rejection(self) -> int:
        return self.rejection_id if self.rejection_id is not None else self.quality()


def _first_of_kind(kind: LocationKind) -> object:
    return (
        select(locations.c.id)
        .where(
            locations.c.warehouse_id == warehouses.c.id,
            locations.c.kind == str(kind),
            locations.c.active.is_(True),
        )
        .order_by(locations.c.code)
        .limit(1)
        .scalar_subquery()
    )


def warehouse_inbound(
    conn: Connection, code: str | None = None, warehouse_id: int | None = None
) -> WarehouseInbound:
    """A warehouse with its receiving, quality and rejection locations (the ones set on it,
    else the first active location of the kind by code). Raises NotFound."""
    stmt = select(
        warehouses.c.id,
        warehouses.c.code,
        warehouses.c.active,
        func.coalesce(warehouses.c.receiving_location_id, _first_of_kind(LocationKind.RECEIVING)),
        func.coalesce(warehouses.c.quality_location_id, _first_of_kind(LocationKind.QUALITY)),
        warehouses.c.rejection_location_id,
    )
    stmt = (
        stmt.where(warehouses.c.code == code)
        if code is not None
        else stmt.where(warehouses.c.id == warehouse_id)
    )
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("warehouse", code if code is not None else warehouse_id)
    return WarehouseInbound(int(row[0]), row[1], bool(row[2]), row[3], row[4], row[5])


def active_warehouse(conn: Connection, code: str) -> WarehouseInbound:
    found = warehouse_inbound(conn, code)
    if not found.active:
        raise RuleViolation(
            f"warehouse {code} is deactivated", code="warehouse_inactive", warehouse=code
        )
    return found


def putaway_rules_of(conn: Connection, warehouse_id: int) -> list[PutawayRule]:
    rows = conn.execute(
        select(
            putaway_rules.c.location_id,
            putaway_rules.c.priority,
            putaway_rules.c.item_id,
            categories.c.path,
            putaway_rules.c.item_type,
        )
        .join_from(
            putaway_rules, categories, categories.c.id == putaway_rules.c.category_id, isouter=True
        )
        .where(putaway_rules.c.warehouse_id == warehouse_id)
        .order_by(putaway_rules.c.priority, putaway_rules.c.id)
    )
    return [PutawayRule(int(r[0]), int(r[1]), r[2], r[3], r[4]) for r in rows]


def bins(
    conn: Connection,
    warehouse_id: int | None = None,
    ids: Iterable[int] = (),
    codes: Iterable[str] = (),
) -> dict[object, BinInfo]:
    """Locations (by id and by code) with their free capacity: those of a warehouse's
    put-away rules and items' defaults (``ids``), or scanned ones (``codes``)."""
    held = (
        select(func.coalesce(func.sum(balances.c.on_hand), 0))
        .where(balances.c.location_id == locations.c.id)
        .scalar_subquery()
    )
    stmt = select(
        locations.c.id,
        locations.c.code,
        locations.c.kind,
        locations.c.active,
        locations.c.allowed_item_types,
        locations.c.capacity,
        held,
        locations.c.warehouse_id,
    )
    wanted_ids, wanted_codes = sorted(set(ids)), sorted(set(codes))
    conditions = []
    if wanted_ids:
        conditions.append(locations.c.id.in_(wanted_ids))
    if wanted_codes:
        conditions.append(locations.c.code.in_(wanted_codes))
    if not conditions:
        return {}
    out: dict[object, BinInfo] = {}
    for row in conn.execute(stmt.where(or_(*conditions))):
        capacity = row[5]
        found = BinInfo(
            int(row[0]),
            row[1],
            LocationKind(row[2]),
            bool(row[3]),
            frozenset(t for t in (row[4] or "").split(",") if t),
            None if capacity is None else int(capacity) - int(row[6]),
            int(row[7]),
        )
        out[found.id] = out[found.code] = found
    return out


def check_warehouse_of(location: BinInfo, warehouse_id: int, warehouse_code: str) -> None:
    if location.warehouse_id != warehouse_id:
        raise InvalidInput(
            f"location {location.code} is not in warehouse {warehouse_code}",
            code="location_not_in_warehouse",
            location=location.code,
            warehouse=warehouse_code,
        )


def approval_threshold(conn: Connection) -> int | None:
    """The company's purchase approval threshold (scaled money), None: no approval needed."""
    value = conn.execute(select(company.c.po_approval_threshold).where(company.c.id == 1)).scalar()
    return int(value) if value is not None else None


def virtual_location(conn: Connection, warehouse_id: int, kind: LocationKind) -> int:
    """The warehouse's virtual location of a kind (every warehouse has one of each)."""
    return int(
        conn.execute(
            select(locations.c.id)
            .where(locations.c.warehouse_id == warehouse_id, locations.c.kind == str(kind))
            .order_by(locations.c.id)
            .limit(1)
        ).scalar_one()
    )


def lots_by_ids(conn: Connection, ids: Iterable[int | None]) -> dict[int, LotInfo]:
    """Lots by id, in one statement per 5,000 (a document's lines name many)."""
    wanted = sorted({i for i in ids if i is not None})
    out: dict[int, LotInfo] = {}
    for start in range(0, len(wanted), 5000):
        rows = conn.execute(
            select(*lot_columns()).where(lots.c.id.in_(wanted[start : start + 5000]))
        )
        for row in rows:
            lot = lot_info(row)
            out[lot.id] = lot
    return out


def lots_with_stock(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Those of the lots that hold stock somewhere (on hand not zero in any location)."""
    wanted = sorted(set(ids))
    out: set[int] = set()
    for start in range(0, len(wanted), 5000):
        rows = conn.execute(
            select(balances.c.lot_id)
            .where(balances.c.lot_id.in_(wanted[start : start + 5000]))
            .group_by(balances.c.lot_id)
            .having(func.sum(balances.c.on_hand) != 0)
        )
        out.update(int(r[0]) for r in rows)
    return out
