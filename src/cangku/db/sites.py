"""Warehouses and their location trees: rows in, snapshots out (no commits here).

A location's ``path`` is the chain of ids from its root, ``/1/5/9/``, so a subtree is one
``path LIKE '/1/5/%'`` query. Virtual locations (supplier, customer, ...) are created with
their warehouse and sit outside any tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, String, and_, func, insert, literal, select, update

from cangku.db.catalog import first_or_not_found, row_exists, update_versioned
from cangku.db.tables import balances, ledger_heads, locations, warehouses
from cangku.domain.enums import VALUED_KINDS, VIRTUAL_KINDS, LocationKind
from cangku.domain.hashing import GENESIS
from cangku.domain.quantities import from_scaled
from cangku.domain.sites import VIRTUAL_LOCATIONS, virtual_code

__all__ = [
    "VIRTUAL_LOCATIONS",
    "Location",
    "Warehouse",
    "has_active_children",
    "insert_location",
    "insert_warehouse",
    "location_by_code",
    "location_by_id",
    "location_code_exists",
    "location_from_row",
    "location_select",
    "move_subtree",
    "split_types",
    "subtree_has_stock",
    "update_location",
    "update_warehouse",
    "virtual_code",
    "warehouse_by_code",
    "warehouse_by_id",
    "warehouse_code_exists",
    "warehouse_from_row",
    "warehouse_has_stock",
    "warehouse_select",
]


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    name: str
    address: str | None
    allow_negative_stock: bool
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    #: expired lots may be issued and reserved here (ADR 0016)
    allow_expired_issue: bool = False
    #: where receipts land (None: the first active receiving location by code)
    receiving_location: str | None = None
    #: where goods to inspect wait (None: the first active quality location by code)
    quality_location: str | None = None
    #: where rejected goods go (None: the quality location)
    rejection_location: str | None = None


@dataclass(frozen=True)
class Location:
    id: int
    code: str
    name: str
    kind: str
    warehouse: str
    parent: str | None
    level: str | None
    path: str
    capacity: Decimal | None
    allowed_item_types: list[str]
    active: bool
    version: int
    is_virtual: bool
    warehouse_id: int
    parent_id: int | None


# ------------------------------------------------------------------ warehouses


# the warehouse's receiving, quality and rejection locations, by code
_receiving = locations.alias("receiving")
_quality = locations.alias("quality")
_rejection = locations.alias("rejection")


def warehouse_select() -> Select[Any]:
    """Warehouse rows with the codes of their receiving, quality and rejection locations."""
    return (
        select(
            warehouses,
            _receiving.c.code.label("receiving_code"),
            _quality.c.code.label("quality_code"),
            _rejection.c.code.label("rejection_code"),
        )
        .outerjoin(_receiving, _receiving.c.id == warehouses.c.receiving_location_id)
        .outerjoin(_quality, _quality.c.id == warehouses.c.quality_location_id)
        .outerjoin(_rejection, _rejection.c.id == warehouses.c.rejection_location_id)
    )


def warehouse_from_row(row: Any) -> Warehouse:
    return Warehouse(
        id=row.id,
        code=row.code,
        name=row.name,
        address=row.address,
        allow_negative_stock=row.allow_negative_stock,
        allow_expired_issue=row.allow_expired_issue,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        receiving_location=row.receiving_code,
        quality_location=row.quality_code,
        rejection_location=row.rejection_code,
    )


def warehouse_by_code(conn: Connection, code: str) -> Warehouse:
    stmt = warehouse_select().where(warehouses.c.code == code)
    row = first_or_not_found(conn, stmt, "warehouse", code)
    return warehouse_from_row(row)


def warehouse_by_id(conn: Connection, warehouse_id: int) -> Warehouse:
    stmt = warehouse_select().where(warehouses.c.id == warehouse_id)
    row = first_or_not_found(conn, stmt, "warehouse", warehouse_id)
    return warehouse_from_row(row)


def warehouse_code_exists(conn: Connection, code: str) -> bool:
    return row_exists(conn, warehouses.c.code, code)


def insert_warehouse(
    conn: Connection,
    *,
    code: str,
    name: str,
    address: str | None,
    allow_negative_stock: bool,
    now: datetime,
    allow_expired_issue: bool = False,
) -> int:
    """Insert the warehouse, its ledger head and its virtual locations; return its id."""
    warehouse_id = int(
        conn.execute(
            insert(warehouses)
            .values(
                code=code,
                name=name,
                address=address,
                allow_negative_stock=allow_negative_stock,
                allow_expired_issue=allow_expired_issue,
                created_at=now,
                updated_at=now,
            )
            .returning(warehouses.c.id)
        ).scalar_one()
    )
    conn.execute(
        insert(ledger_heads).values(warehouse_id=warehouse_id, last_seq=0, last_hash=GENESIS)
    )
    for kind, suffix, name_ in VIRTUAL_LOCATIONS:
        insert_location(
            conn,
            warehouse_id=warehouse_id,
            parent=None,
            code=virtual_code(code, suffix),
            name=name_,
            kind=kind,
            level="virtual",
            capacity=None,
            allowed_item_types=None,
            now=now,
        )
    return warehouse_id


def update_warehouse(
    conn: Connection, warehouse_id: int, version: int | None, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``values``, bump the version; refuse when ``version`` is given and stale."""
    update_versioned(conn, warehouses, "warehouse", warehouse_id, version, values, now)


def warehouse_has_stock(conn: Connection, warehouse_id: int) -> bool:
    """Any non-zero balance in the warehouse's storage or transit locations."""
    found = conn.execute(
        select(balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.warehouse_id == warehouse_id,
            locations.c.kind.in_([str(k) for k in VALUED_KINDS]),
            balances.c.on_hand != 0,
        )
        .limit(1)
    ).first()
    return found is not None


# ------------------------------------------------------------------- locations

# Core's alias, the same SQL as the ORM's aliased(): importing sqlalchemy.orm for it cost every
# command a twentieth of a second (issue 11)
_parent = locations.alias("parent")


def location_select() -> Select[Any]:
    return (
        select(
            locations,
            warehouses.c.code.label("warehouse_code"),
            _parent.c.code.label("parent_code"),
        )
        .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        .outerjoin(_parent, _parent.c.id == locations.c.parent_id)
    )


def split_types(value: str | None) -> list[str]:
    return [t for t in (value or "").split(",") if t]


def location_from_row(row: Any) -> Location:
    return Location(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        warehouse=row.warehouse_code,
        parent=row.parent_code,
        level=row.level,
        path=row.path,
        capacity=from_scaled(row.capacity) if row.capacity is not None else None,
        allowed_item_types=split_types(row.allowed_item_types),
        active=row.active,
        version=row.version,
        is_virtual=LocationKind(row.kind) in VIRTUAL_KINDS,
        warehouse_id=row.warehouse_id,
        parent_id=row.parent_id,
    )


def location_by_code(conn: Connection, code: str) -> Location:
    stmt = location_select().where(locations.c.code == code)
    row = first_or_not_found(conn, stmt, "location", code)
    return location_from_row(row)


def location_by_id(conn: Connection, location_id: int) -> Location:
    stmt = location_select().where(locations.c.id == location_id)
    row = first_or_not_found(conn, stmt, "location", location_id)
    return location_from_row(row)


def location_code_exists(conn: Connection, code: str) -> bool:
    return row_exists(conn, locations.c.code, code)


def insert_location(
    conn: Connection,
    *,
    warehouse_id: int,
    parent: Location | None,
    code: str,
    name: str,
    kind: LocationKind,
    level: str | None,
    capacity: int | None,
    allowed_item_types: str | None,
    now: datetime,
) -> int:
    """Insert one location and set its path (which needs its own id); return the id."""
    location_id = int(
        conn.execute(
            insert(locations)
            .values(
                warehouse_id=warehouse_id,
                parent_id=parent.id if parent else None,
                code=code,
                name=name,
                kind=str(kind),
                level=level,
                path="/",
                capacity=capacity,
                allowed_item_types=allowed_item_types,
                created_at=now,
                updated_at=now,
            )
            .returning(locations.c.id)
        ).scalar_one()
    )
    path = f"{parent.path if parent else '/'}{location_id}/"
    conn.execute(update(locations).where(locations.c.id == location_id).values(path=path))
    return location_id


def update_location(
    conn: Connection, location_id: int, version: int | None, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``values``, bump the version; refuse when ``version`` is given and stale."""
    update_versioned(conn, locations, "location", location_id, version, values, now)


def move_subtree(conn: Connection, old_path: str, new_path: str) -> None:
    """Rewrite the path prefix ``old_path`` to ``new_path`` for a location and its subtree."""
    tail = func.substr(locations.c.path, len(old_path) + 1, type_=String)
    conn.execute(
        update(locations)
        .where(locations.c.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String) + tail)
    )


def subtree_has_stock(conn: Connection, path: str) -> bool:
    """Any non-zero balance at the location with ``path`` or below it."""
    found = conn.execute(
        select(balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(and_(locations.c.path.startswith(path, autoescape=True), balances.c.on_hand != 0))
        .limit(1)
    ).first()
    return found is not None


def has_active_children(conn: Connection, location_id: int) -> bool:
    found = conn.execute(
        select(locations.c.id)
        .where(locations.c.parent_id == location_id, locations.c.active.is_(True))
        .limit(1)
    ).first()
    return found is not None
