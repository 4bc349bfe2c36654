"""The item catalogue store: units, items, their unit conversions and barcodes.

Reads return the ``Item`` read model (loaded in batches, never one query per row); writes never
commit (the service that opened the unit of work does). Categories live in ``db.categories``
(re-exported here). ``update_versioned`` and ``row_exists`` serve every master-data store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
    update,
)

from cangku.db.categories import (
    Category,
    category_by_code,
    category_code_taken,
    category_id_path,
    category_select,
    insert_category,
    load_categories,
    move_category,
    subtree_ids,
    update_category,
)
from cangku.db.lookups import unit_decimals, unit_factor
from cangku.db.tables import (
    categories,
    item_barcodes,
    item_units,
    items,
    locations,
    moves,
    units,
)
from cangku.domain.allocation import default_strategy
from cangku.domain.catalog import scaled_base_quantity
from cangku.domain.errors import Conflict, InvalidInput, NotFound
from cangku.domain.quantities import SCALE, from_scaled, parse_decimal
from cangku.domain.stock import ItemInfo

__all__ = [
    "ITEM_COLUMNS",
    "Category",
    "Item",
    "ItemBarcode",
    "ItemUnit",
    "Unit",
    "barcode_owner",
    "category_by_code",
    "category_code_taken",
    "category_id_path",
    "category_select",
    "code_taken",
    "first_or_not_found",
    "has_moves",
    "insert_category",
    "insert_item",
    "insert_unit",
    "item_id_by_barcode",
    "item_id_by_code",
    "item_select",
    "list_units",
    "load_categories",
    "load_item",
    "load_items",
    "move_category",
    "replace_barcodes",
    "replace_units",
    "row_exists",
    "scaled_base_quantity",
    "subtree_ids",
    "to_base_quantity",
    "unit_by_code",
    "unit_exists",
    "update_category",
    "update_item",
    "update_versioned",
]

# ---------------------------------------------------------------- shared by the stores


def row_exists(conn: Connection, column: Column[Any], value: object) -> bool:
    """Whether any row has ``value`` in ``column`` (a code, usually)."""
    return conn.execute(select(exists().where(column == value))).scalar() is True


def first_or_not_found(conn: Connection, stmt: Any, kind: str, key: object) -> Any:
    """The first row of ``stmt``; NotFound ``{kind}_not_found`` naming ``key`` if there is none."""
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(kind, key)
    return row


def update_versioned(
    conn: Connection,
    table: Table,
    kind: str,
    row_id: int,
    version: int | None,
    values: dict[str, Any],
    now: datetime,
    current_key: str = "actual",
) -> None:
    """Apply ``values`` to one row of a master-data ``table`` and bump its version, in one
    statement that also checks ``version`` when it is given.

    Raises NotFound ``{kind}_not_found`` for no such row, Conflict ``version_conflict`` with
    data ``expected`` and ``current_key`` (the stored version) for a stale one.
    """
    stmt = update(table).where(table.c.id == row_id)
    if version is not None:
        stmt = stmt.where(table.c.version == version)
    done = conn.execute(stmt.values(**values, version=table.c.version + 1, updated_at=now)).rowcount
    if done != 1:
        current = conn.execute(select(table.c.version).where(table.c.id == row_id)).scalar()
        if current is None:
            raise NotFound(kind, row_id)
        raise Conflict(
            f"the {kind} was changed by someone else; reload and try again",
            code="version_conflict",
            expected=version,
            **{current_key: int(current)},
        )


# ---------------------------------------------------------------- unit conversion


def to_base_quantity(conn: Connection, item: ItemInfo, quantity: Decimal, unit: str | None) -> int:
    """``quantity`` in ``unit`` (the base unit when None) as a scaled quantity of the base unit.

    Raises NotFound ``unit_not_found`` for an unknown unit, InvalidInput ``unit_not_convertible``
    when the item has no conversion for the unit, ``too_many_decimals`` when the quantity or its
    conversion has more decimals than the unit allows. Reads only.
    """
    quantity = parse_decimal(quantity)
    base_places = item.base_places
    if base_places is None:
        base_places = unit_decimals(conn, item.base_unit)
    if unit is None or unit == item.base_unit:
        return scaled_base_quantity(
            quantity, SCALE, item.base_unit, base_places, item.base_unit, base_places
        )
    unit_places = unit_decimals(conn, unit)
    factor = unit_factor(conn, item.id, unit)
    if factor is None:
        raise InvalidInput(
            f"item {item.code} has no conversion from {unit!r} to {item.base_unit!r}",
            code="unit_not_convertible",
            item=item.code,
            unit=unit,
        )
    return scaled_base_quantity(quantity, factor, unit, unit_places, item.base_unit, base_places)


# ---------------------------------------------------------------- the read model


@dataclass(frozen=True)
class ItemUnit:
    unit: str
    factor: Decimal  # base units in one of this unit


@dataclass(frozen=True)
class ItemBarcode:
    barcode: str
    unit: str | None


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    name: str
    description: str | None
    item_type: str
    category: str | None
    base_unit: str
    tracking: str
    costing_method: str
    shelf_life_days: int | None
    safety_stock: Decimal | None
    reorder_point: Decimal | None
    max_stock: Decimal | None
    lead_time_days: int | None
    default_location: str | None
    standard_cost: Decimal | None
    units: list[ItemUnit]
    barcodes: list[ItemBarcode]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    #: received goods of this item go through inspection (its category may ask for it too)
    inspection_required: bool = False
    #: how outbound requests allocate this item, as set: "fifo", "fefo" or None (the default)
    allocation_strategy: str | None = None

    @property
    def effective_allocation_strategy(self) -> str:
        """The strategy allocation uses: the one set, else FEFO for a lot- or serial-tracked
        item with a shelf life, else FIFO (``allocation.default_strategy``)."""
        return default_strategy(self.tracking, self.shelf_life_days, self.allocation_strategy)


def _maybe(value: int | None) -> Decimal | None:
    return None if value is None else from_scaled(value)


ITEM_COLUMNS = (
    items,
    categories.c.code.label("category_code"),
    locations.c.code.label("location_code"),
)


def item_select() -> Any:
    """``SELECT`` of item rows with their category and default location codes."""
    return (
        select(*ITEM_COLUMNS)
        .outerjoin(categories, categories.c.id == items.c.category_id)
        .outerjoin(locations, locations.c.id == items.c.default_location_id)
    )


# built once: SQLAlchemy's statement building costs more than SQLite's running the statement
_UNITS_OF = (
    select(item_units)
    .where(item_units.c.item_id.in_(bindparam("ids", expanding=True)))
    .order_by(item_units.c.unit)
)
_BARCODES_OF = (
    select(item_barcodes)
    .where(item_barcodes.c.item_id.in_(bindparam("ids", expanding=True)))
    .order_by(item_barcodes.c.barcode)
)


def load_items(conn: Connection, rows: Sequence[Any]) -> list[Item]:
    """Turn rows of ``item_select()`` into ``Item``s (two more queries for the whole batch)."""
    ids = [row.id for row in rows]
    conversions: dict[int, list[ItemUnit]] = defaultdict(list)
    codes: dict[int, list[ItemBarcode]] = defaultdict(list)
    if ids:
        for u in conn.execute(_UNITS_OF, {"ids": ids}):
            conversions[u.item_id].append(ItemUnit(u.unit, from_scaled(u.factor)))
        for b in conn.execute(_BARCODES_OF, {"ids": ids}):
            codes[b.item_id].append(ItemBarcode(b.barcode, b.unit))
    return [
        Item(
            id=r.id,
            code=r.code,
            name=r.name,
            description=r.description,
            item_type=r.item_type,
            category=r.category_code,
            base_unit=r.base_unit,
            tracking=r.tracking,
            costing_method=r.costing_method,
            shelf_life_days=r.shelf_life_days,
            safety_stock=_maybe(r.safety_stock),
            reorder_point=_maybe(r.reorder_point),
            max_stock=_maybe(r.max_stock),
            lead_time_days=r.lead_time_days,
            default_location=r.location_code,
            standard_cost=_maybe(r.standard_cost),
            units=conversions[r.id],
            barcodes=codes[r.id],
            active=r.active,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            inspection_required=bool(r.inspection_required),
            allocation_strategy=r.allocation_strategy,
        )
        for r in rows
    ]


_ITEM_BY_ID = item_select().where(items.c.id == bindparam("item_id"))


def load_item(conn: Connection, item_id: int) -> Item:
    row = conn.execute(_ITEM_BY_ID, {"item_id": item_id}).first()
    if row is None:
        raise NotFound("item", item_id)
    return load_items(conn, [row])[0]


def item_id_by_code(conn: Connection, code: str) -> int:
    """The id of the item with this exact code (barcodes are not tried)."""
    found = conn.execute(select(items.c.id).where(items.c.code == code)).scalar()
    if found is None:
        raise NotFound("item", code)
    return int(found)


def item_id_by_barcode(conn: Connection, barcode: str) -> int:
    found = barcode_owner(conn, barcode)
    if found is None:
        raise NotFound("barcode", barcode)
    return found


# ---------------------------------------------------------------- item writes


_CODE_TAKEN = select(exists().where(items.c.code == bindparam("code")))


def code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(_CODE_TAKEN, {"code": code}).scalar() is True


def barcode_owner(conn: Connection, barcode: str) -> int | None:
    found = conn.execute(
        select(item_barcodes.c.item_id).where(item_barcodes.c.barcode == barcode)
    ).scalar()
    return int(found) if found is not None else None


def has_moves(conn: Connection, item_id: int) -> bool:
    return row_exists(conn, moves.c.item_id, item_id)


_INSERT_ITEM = insert(items).returning(items.c.id)


def insert_item(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    created = {**values, "active": True, "version": 1, "created_at": now, "updated_at": now}
    return int(conn.execute(_INSERT_ITEM, created).scalar_one())


def update_item(
    conn: Connection, item_id: int, values: dict[str, Any], version: int | None, now: datetime
) -> None:
    """Change columns of one item and bump its version; Conflict ``version_conflict`` when
    ``version`` is given and is not the stored one (checked in the same statement)."""
    update_versioned(conn, items, "item", item_id, version, values, now, current_key="current")


def replace_units(conn: Connection, item_id: int, conversions: Sequence[tuple[str, int]]) -> None:
    """Replace the item's conversions with ``(unit, scaled factor)`` pairs."""
    conn.execute(delete(item_units).where(item_units.c.item_id == item_id))
    add_units(conn, item_id, conversions)


def add_units(conn: Connection, item_id: int, conversions: Sequence[tuple[str, int]]) -> None:
    """Give a new item its conversions (``(unit, scaled factor)`` pairs)."""
    if conversions:
        conn.execute(
            insert(item_units),
            [{"item_id": item_id, "unit": u, "factor": f} for u, f in conversions],
        )


def replace_barcodes(
    conn: Connection, item_id: int, barcodes: Sequence[tuple[str, str | None]]
) -> None:
    """Replace the item's barcodes with ``(barcode, unit or None)`` pairs."""
    conn.execute(delete(item_barcodes).where(item_barcodes.c.item_id == item_id))
    add_barcodes(conn, item_id, barcodes)


def add_barcodes(
    conn: Connection, item_id: int, barcodes: Sequence[tuple[str, str | None]]
) -> None:
    """Give a new item its barcodes (``(barcode, unit or None)`` pairs)."""
    if barcodes:
        conn.execute(
            insert(item_barcodes),
            [{"item_id": item_id, "barcode": b, "unit": u} for b, u in barcodes],
        )


# ---------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    decimals: int


def list_units(conn: Connection) -> list[Unit]:
    rows = conn.execute(select(units).order_by(units.c.code))
    return [Unit(r.code, r.name, r.decimals) for r in rows]


def unit_by_code(conn: Connection, code: str) -> Unit:
    row = first_or_not_found(conn, select(units).where(units.c.code == code), "unit", code)
    return Unit(row.code, row.name, row.decimals)


def unit_exists(conn: Connection, code: str) -> bool:
    return row_exists(conn, units.c.code, code)


def insert_unit(conn: Connection, code: str, name: str, decimals: int) -> None:
    conn.execute(insert(units).values(code=code, name=name, decimals=decimals))
