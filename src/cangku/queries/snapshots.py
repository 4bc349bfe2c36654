"""One master-data record's fields as plain JSON values, read in a write transaction just
before and just after an audited change, so the audit entry can say what changed.

Each reader locks the record's row first (``FOR UPDATE`` on PostgreSQL; SQLite writers are
serialized anyway), so the "before" is the state the change is applied to, not one a concurrent
writer is about to replace. A record that does not exist (yet) reads as None. Ids, paths and
timestamps are left out: codes say the same to a reader and do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, bindparam, select

from cangku.db import auth as auth_store
from cangku.db import catalog, sites
from cangku.db import categories as category_store
from cangku.db import lots as lot_store
from cangku.db import partners as partner_store
from cangku.db.tables import (
    categories,
    items,
    locations,
    lots,
    partners,
    supplier_items,
    warehouses,
)
from cangku.domain.catalog import plain

__all__ = [
    "category_fields",
    "item_fields",
    "location_fields",
    "lot_fields",
    "partner_fields",
    "role_fields",
    "user_fields",
    "warehouse_fields",
]

_HIDDEN = frozenset({"id", "created_at", "updated_at", "path", "depth", "item_id", "parent_id"})


def _locked_id(
    conn: Connection, key: Column[Any], value: object, *where: Any, lock: bool = True
) -> int | None:
    """The id of the row whose ``key`` is ``value`` (locked unless ``lock`` is False)."""
    length = getattr(key.type, "length", None)
    if isinstance(value, str) and ("\x00" in value or (length and len(value) > length)):
        return None  # cannot exist (PostgreSQL would refuse the comparison); the service says why
    if where:
        stmt = select(key.table.c.id).where(key == value, *where)
        found = conn.execute(stmt.with_for_update() if lock else stmt).scalar()
    else:  # every audited change of a record reads this twice: the statement is built once
        found = conn.execute(_id_by(key, lock), {"value": value}).scalar()
    return None if found is None else int(found)


@cache
def _id_by(key: Column[Any], lock: bool) -> Any:
    stmt = select(key.table.c.id).where(key == bindparam("value"))
    return stmt.with_for_update() if lock else stmt


def _fields(record: Any, **extra: Any) -> dict[str, Any]:
    values = {k: v for k, v in asdict(record).items() if k not in _HIDDEN}
    values.update(extra)
    result: dict[str, Any] = plain(values)
    return result


def item_fields(
    conn: Connection, code: str, keep: Callable[[catalog.Item], object] | None = None
) -> dict[str, Any] | None:
    """An item with its units (``{unit: factor}``) and barcodes (``{barcode: unit}``);
    ``keep`` is given the item read (a service answers with it instead of reading again)."""
    item_id = _locked_id(conn, items.c.code, code)
    if item_id is None:
        return None
    item = catalog.load_item(conn, item_id)
    if keep is not None:
        keep(item)
    return _fields(
        item,
        units={u.unit: u.factor for u in item.units},
        barcodes={b.barcode: b.unit or item.base_unit for b in item.barcodes},
    )


def partner_fields(conn: Connection, code: str) -> dict[str, Any] | None:
    """A partner with its contacts (by id) and its supplier terms (by item code)."""
    partner_id = _locked_id(conn, partners.c.code, code)
    if partner_id is None:
        return None
    partner = partner_store.partner_by_code(conn, code)
    stmt = partner_store.supplier_item_select().where(supplier_items.c.partner_id == partner_id)
    terms = partner_store.load_supplier_items(list(conn.execute(stmt)))
    kept = ("supplier_code", "price", "currency", "min_order_qty", "lead_time_days")
    return _fields(
        partner,
        contacts={
            str(c.id): {"name": c.name, "role": c.role, "email": c.email, "phone": c.phone}
            for c in partner.contacts
        },
        supplier_items={t.item: {name: getattr(t, name) for name in kept} for t in terms},
    )


def warehouse_fields(conn: Connection, code: str) -> dict[str, Any] | None:
    warehouse_id = _locked_id(conn, warehouses.c.code, code)
    if warehouse_id is None:
        return None
    return _fields(sites.warehouse_by_id(conn, warehouse_id))


def location_fields(conn: Connection, code: str) -> dict[str, Any] | None:
    """A location; its warehouse and parent by code."""
    location_id = _locked_id(conn, locations.c.code, code)
    if location_id is None:
        return None
    location = sites.location_by_id(conn, location_id)
    values = _fields(location)
    del values["warehouse_id"]
    return values


def lot_fields(conn: Connection, item: str, code: str) -> dict[str, Any] | None:
    """A lot or serial number of the item ``item``."""
    item_id = _locked_id(conn, items.c.code, item, lock=False)
    if item_id is None:
        return None
    lot_id = _locked_id(conn, lots.c.code, code, lots.c.item_id == item_id)
    if lot_id is None:
        return None
    return _fields(lot_store.lot_by_id(conn, lot_id))


def category_fields(conn: Connection, code: str) -> dict[str, Any] | None:
    """A category; its parent by code and its place in the tree as codes (``tools/hand``)."""
    if _locked_id(conn, categories.c.code, code) is None:
        return None
    category = category_store.category_by_code(conn, code)
    return _fields(category, path=category.path)


def user_fields(conn: Connection, username: str) -> dict[str, Any] | None:
    """A user's name, active flag, whether a password is set and its roles (``role@WH``,
    ``role@*`` for all warehouses); never the password hash."""
    user = auth_store.user_by_username(conn, username)
    if user is None:
        return None
    grants = auth_store.user_grant_records(conn, user.id)
    return {
        "display_name": user.display_name,
        "active": user.active,
        "password_set": user.password_hash is not None,
        "roles": sorted(f"{g.role}@{g.warehouse or '*'}" for g in grants),
    }


def role_fields(conn: Connection, code: str) -> dict[str, Any] | None:
    """A role's name, description, active flag and permissions."""
    if auth_store.find_role(conn, code) is None:
        return None
    role = auth_store.role_by_code(conn, code)
    return {
        "name": role.name,
        "description": role.description,
        "active": role.active,
        "permissions": sorted(auth_store.role_permission_codes(conn, role)),
    }
