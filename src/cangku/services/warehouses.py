"""Use cases of warehouses and their locations.

A warehouse comes with its ledger head and its six virtual locations (supplier, customer,
adjustment, scrap, production, transit), all written in one transaction. Users build the
storage tree (internal, receiving, quality, shipping) under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from cangku.db import sites
from cangku.db.sites import Location, Warehouse
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.enums import STORAGE_KINDS, ItemType, LocationKind
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.quantities import positive_quantity, to_scaled
from cangku.services.common import Context, run_write

__all__ = [
    "UNSET",
    "Location",
    "LocationChanges",
    "LocationInput",
    "Unset",
    "Warehouse",
    "WarehouseChanges",
    "WarehouseInput",
    "create_location",
    "create_warehouse",
    "deactivate_location",
    "deactivate_warehouse",
    "reactivate_location",
    "reactivate_warehouse",
    "update_location",
    "update_warehouse",
]


class Unset:
    """Marks a field an update leaves as it is (``None`` means: clear it)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()

_WAREHOUSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_RESERVED_SUFFIXES = tuple(f"/{suffix}" for _, suffix, _ in sites.VIRTUAL_LOCATIONS)


@dataclass(frozen=True)
class WarehouseInput:
    code: str
    name: str
    address: str | None = None
    allow_negative_stock: bool = False


@dataclass(frozen=True)
class WarehouseChanges:
    name: str | Unset = UNSET
    address: str | None | Unset = UNSET
    allow_negative_stock: bool | Unset = UNSET
    version: int | None = None


@dataclass(frozen=True)
class LocationInput:
    code: str
    name: str
    kind: str = "internal"
    warehouse: str | None = None
    parent: str | None = None
    level: str | None = None
    capacity: Decimal | str | int | None = None
    allowed_item_types: list[str] | None = None


@dataclass(frozen=True)
class LocationChanges:
    name: str | Unset = UNSET
    level: str | None | Unset = UNSET
    capacity: Decimal | str | int | None | Unset = UNSET
    allowed_item_types: list[str] | None | Unset = UNSET
    parent: str | None | Unset = UNSET
    version: int | None = None


# ------------------------------------------------------------------ checks


def _check_name(name: str, limit: int = 200) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > limit:
        raise InvalidInput(f"name must have 1 to {limit} characters", code="invalid_name")
    return name


def _check_warehouse_code(code: str) -> str:
    if not isinstance(code, str) or not _WAREHOUSE_CODE.fullmatch(code):
        raise InvalidInput(
            "a warehouse code has 1 to 32 letters, digits, '-' or '_'",
            code="invalid_code",
            field="code",
        )
    return code


def _check_location_code(code: str) -> str:
    if not isinstance(code, str) or not 1 <= len(code) <= 100 or any(ch.isspace() for ch in code):
        raise InvalidInput(
            "a location code has 1 to 100 characters and no spaces",
            code="invalid_code",
            field="code",
        )
    if code.upper().endswith(_RESERVED_SUFFIXES):
        raise InvalidInput(
            f"location code {code} is reserved for a warehouse's virtual locations",
            code="location_code_reserved",
            field="code",
        )
    return code


def _storage_kind(kind: str) -> LocationKind:
    try:
        parsed = LocationKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind must be one of {', '.join(sorted(str(k) for k in STORAGE_KINDS))}",
            code="invalid_location_kind",
            kind=str(kind)[:40],
        ) from None
    if parsed not in STORAGE_KINDS:
        raise RuleViolation(
            f"{parsed} locations are created with their warehouse, not by users",
            code="virtual_kind_reserved",
            kind=str(parsed),
        )
    return parsed


def _level(level: str | None) -> str | None:
    if level is not None and (not level.strip() or len(level) > 20):
        raise InvalidInput("a level has 1 to 20 characters", code="invalid_level")
    return level


def _capacity(value: Decimal | str | int | None) -> int | None:
    return None if value is None else to_scaled(positive_quantity(value, "capacity"))


def _item_types(values: list[str] | None) -> str | None:
    if not values:
        return None
    known = {str(t) for t in ItemType}
    for value in values:
        if value not in known:
            raise InvalidInput(
                f"unknown item type {str(value)[:40]!r}; one of {', '.join(sorted(known))}",
                code="invalid_item_type",
                item_type=str(value)[:40],
            )
    return ",".join(sorted(set(values)))


def _plain(value: Any) -> Any:
    """A payload value for the idempotency hash (UNSET is left out by the caller)."""
    return str(value) if isinstance(value, Decimal) else value


def _changes_payload(changes: Any) -> dict[str, Any]:
    return {
        name: _plain(value) for name, value in vars(changes).items() if not isinstance(value, Unset)
    }


# -------------------------------------------------------------- warehouses


def create_warehouse(db: Database, ctx: Context, data: WarehouseInput) -> Warehouse:
    """Create a warehouse with its ledger head and its six virtual locations.

    Raises InvalidInput (``invalid_code``, ``invalid_name``), Conflict
    (``warehouse_code_taken``, ``location_code_taken``).
    Writes: one ``warehouses`` row, one ``ledger_heads`` row, six ``locations`` rows.
    """
    code = _check_warehouse_code(data.code)
    _check_name(data.name)
    payload = {
        "code": code,
        "name": data.name,
        "address": data.address,
        "allow_negative_stock": bool(data.allow_negative_stock),
    }

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        if sites.warehouse_code_exists(uow.conn, code):
            raise Conflict(
                f"warehouse code {code} is already taken",
                code="warehouse_code_taken",
                warehouse=code,
            )
        for _, suffix, _ in sites.VIRTUAL_LOCATIONS:
            taken = sites.virtual_code(code, suffix)
            if sites.location_code_exists(uow.conn, taken):
                raise Conflict(
                    f"location code {taken} is already taken", code="location_code_taken"
                )
        warehouse_id = sites.insert_warehouse(
            uow.conn,
            code=code,
            name=data.name,
            address=data.address,
            allow_negative_stock=bool(data.allow_negative_stock),
            now=now,
        )
        return {"id": warehouse_id}

    result, _ = run_write(db, ctx, "create_warehouse", payload, work)
    with db.read() as conn:
        return sites.warehouse_by_id(conn, result["id"])


def update_warehouse(db: Database, ctx: Context, code: str, changes: WarehouseChanges) -> Warehouse:
    """Change a warehouse's name, address or negative-stock policy; bump its version.

    Raises NotFound (``warehouse_not_found``), InvalidInput (``invalid_name``), Conflict
    (``version_conflict`` when ``changes.version`` is stale).
    Writes: the ``warehouses`` row.
    """
    if not isinstance(changes.name, Unset):
        _check_name(changes.name)
    if not isinstance(changes.allow_negative_stock, (Unset, bool)):
        raise InvalidInput("allow_negative_stock must be true or false", code="invalid_flag")
    values = {k: v for k, v in _changes_payload(changes).items() if k != "version"}
    payload = {"code": code, **_changes_payload(changes)}

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        warehouse = sites.warehouse_by_code(uow.conn, code)
        sites.update_warehouse(uow.conn, warehouse.id, changes.version, values, now)
        return {"id": warehouse.id}

    result, _ = run_write(db, ctx, "update_warehouse", payload, work)
    with db.read() as conn:
        return sites.warehouse_by_id(conn, result["id"])


def _set_warehouse_active(db: Database, ctx: Context, code: str, active: bool) -> Warehouse:
    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        warehouse = sites.warehouse_by_code(uow.conn, code)
        if not active and sites.warehouse_has_stock(uow.conn, warehouse.id):
            raise RuleViolation(
                f"warehouse {code} still holds stock; move or issue it first",
                code="warehouse_has_stock",
                warehouse=code,
            )
        sites.update_warehouse(uow.conn, warehouse.id, None, {"active": active}, now)
        return {"id": warehouse.id}

    operation = "reactivate_warehouse" if active else "deactivate_warehouse"
    result, _ = run_write(db, ctx, operation, {"code": code}, work)
    with db.read() as conn:
        return sites.warehouse_by_id(conn, result["id"])


def deactivate_warehouse(db: Database, ctx: Context, code: str) -> Warehouse:
    """Mark a warehouse inactive (never deleted).

    Raises NotFound, RuleViolation (``warehouse_has_stock``: any non-zero balance in its
    storage or transit locations). Writes: the ``warehouses`` row (active, version).
    """
    return _set_warehouse_active(db, ctx, code, False)


def reactivate_warehouse(db: Database, ctx: Context, code: str) -> Warehouse:
    """Mark a warehouse active again. Raises NotFound. Writes: the ``warehouses`` row."""
    return _set_warehouse_active(db, ctx, code, True)


# --------------------------------------------------------------- locations


def _resolve_home(
    uow: UnitOfWork, warehouse_code: str | None, parent_code: str | None
) -> tuple[Warehouse, Location | None]:
    """The warehouse and parent a new location goes under."""
    parent = sites.location_by_code(uow.conn, parent_code) if parent_code is not None else None
    if parent is not None:
        if parent.is_virtual:
            raise RuleViolation(
                f"{parent.code} is a virtual location and cannot have children",
                code="virtual_parent",
                parent=parent.code,
            )
        if not parent.active:
            raise RuleViolation(
                f"parent location {parent.code} is inactive", code="parent_inactive"
            )
        if warehouse_code is not None and warehouse_code != parent.warehouse:
            raise InvalidInput(
                f"parent {parent.code} belongs to warehouse {parent.warehouse}, "
                f"not {warehouse_code}",
                code="warehouse_mismatch",
            )
        warehouse = sites.warehouse_by_id(uow.conn, parent.warehouse_id)
    elif warehouse_code is not None:
        warehouse = sites.warehouse_by_code(uow.conn, warehouse_code)
    else:
        raise InvalidInput("give the warehouse or the parent location", code="warehouse_required")
    if not warehouse.active:
        raise RuleViolation(f"warehouse {warehouse.code} is inactive", code="warehouse_inactive")
    return warehouse, parent


def create_location(db: Database, ctx: Context, data: LocationInput) -> Location:
    """Create a storage location (internal, receiving, quality or shipping) in the tree.

    Raises InvalidInput (``invalid_code``, ``location_code_reserved``, ``invalid_name``,
    ``invalid_location_kind``, ``invalid_level``, ``quantity_not_positive``,
    ``invalid_item_type``, ``warehouse_required``, ``warehouse_mismatch``), RuleViolation
    (``virtual_kind_reserved``, ``virtual_parent``, ``parent_inactive``,
    ``warehouse_inactive``), NotFound (warehouse or parent), Conflict (``location_code_taken``).
    Writes: one ``locations`` row.
    """
    code = _check_location_code(data.code)
    _check_name(data.name)
    kind = _storage_kind(data.kind)
    level = _level(data.level)
    capacity = _capacity(data.capacity)
    types = _item_types(data.allowed_item_types)
    payload = {
        "code": code,
        "name": data.name,
        "kind": str(kind),
        "warehouse": data.warehouse,
        "parent": data.parent,
        "level": level,
        "capacity": capacity,
        "allowed_item_types": types,
    }

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        warehouse, parent = _resolve_home(uow, data.warehouse, data.parent)
        if sites.location_code_exists(uow.conn, code):
            raise Conflict(f"location code {code} is already taken", code="location_code_taken")
        location_id = sites.insert_location(
            uow.conn,
            warehouse_id=warehouse.id,
            parent=parent,
            code=code,
            name=data.name,
            kind=kind,
            level=level,
            capacity=capacity,
            allowed_item_types=types,
            now=now,
        )
        return {"id": location_id}

    result, _ = run_write(db, ctx, "create_location", payload, work)
    with db.read() as conn:
        return sites.location_by_id(conn, result["id"])


def _move_target(uow: UnitOfWork, location: Location, parent_code: str | None) -> Location | None:
    """The new parent of ``location``, checked: same warehouse, not virtual, no cycle."""
    if parent_code is None:
        return None
    parent = sites.location_by_code(uow.conn, parent_code)
    if parent.is_virtual:
        raise RuleViolation(
            f"{parent.code} is a virtual location and cannot have children",
            code="virtual_parent",
            parent=parent.code,
        )
    if parent.warehouse_id != location.warehouse_id:
        raise RuleViolation(
            f"{location.code} cannot move to another warehouse ({parent.warehouse})",
            code="cross_warehouse_move",
        )
    if parent.path.startswith(location.path):
        raise RuleViolation(
            f"{parent.code} is {location.code} itself or below it",
            code="location_cycle",
        )
    return parent


def _location_values(changes: LocationChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not isinstance(changes.name, Unset):
        values["name"] = _check_name(changes.name)
    if not isinstance(changes.level, Unset):
        values["level"] = _level(changes.level)
    if not isinstance(changes.capacity, Unset):
        values["capacity"] = _capacity(changes.capacity)
    if not isinstance(changes.allowed_item_types, Unset):
        values["allowed_item_types"] = _item_types(changes.allowed_item_types)
    return values


def update_location(db: Database, ctx: Context, code: str, changes: LocationChanges) -> Location:
    """Change a location's name, level, capacity, allowed item types or parent.

    Moving to another parent (or to the root with ``parent=None``) rewrites the path of the
    whole subtree. Raises NotFound, InvalidInput (as for create), RuleViolation
    (``virtual_location_fixed`` for anything but the name of a virtual location,
    ``virtual_parent``, ``cross_warehouse_move``, ``location_cycle``), Conflict
    (``version_conflict``). Writes: the ``locations`` row and, on a move, its subtree's paths.
    """
    values = _location_values(changes)
    payload = {"code": code, **_changes_payload(changes)}
    moving = not isinstance(changes.parent, Unset)

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        location = sites.location_by_code(uow.conn, code)
        row_values = dict(values)
        if location.is_virtual and (moving or set(values) - {"name"}):
            raise RuleViolation(
                f"{code} is a virtual location: only its name may change",
                code="virtual_location_fixed",
            )
        if moving:
            parent = _move_target(uow, location, changes.parent)  # type: ignore[arg-type]
            row_values["parent_id"] = parent.id if parent else None
            new_path = f"{parent.path if parent else '/'}{location.id}/"
            sites.move_subtree(uow.conn, location.path, new_path)
        sites.update_location(uow.conn, location.id, changes.version, row_values, now)
        return {"id": location.id}

    result, _ = run_write(db, ctx, "update_location", payload, work)
    with db.read() as conn:
        return sites.location_by_id(conn, result["id"])


def _check_can_deactivate(uow: UnitOfWork, location: Location) -> None:
    if location.is_virtual:
        raise RuleViolation(
            f"{location.code} is a virtual location and cannot be deactivated",
            code="virtual_location_fixed",
        )
    if sites.subtree_has_stock(uow.conn, location.path):
        raise RuleViolation(
            f"{location.code} or a location below it still holds stock",
            code="location_has_stock",
            location=location.code,
        )
    if sites.has_active_children(uow.conn, location.id):
        raise RuleViolation(
            f"{location.code} has active locations below it; deactivate them first",
            code="location_has_active_children",
            location=location.code,
        )


def _check_can_reactivate(uow: UnitOfWork, location: Location) -> None:
    if (
        location.parent_id is not None
        and not sites.location_by_id(uow.conn, location.parent_id).active
    ):
        raise RuleViolation(
            f"parent location {location.parent} is inactive", code="parent_inactive"
        )
    if not sites.warehouse_by_id(uow.conn, location.warehouse_id).active:
        raise RuleViolation(
            f"warehouse {location.warehouse} is inactive", code="warehouse_inactive"
        )


def _set_location_active(db: Database, ctx: Context, code: str, active: bool) -> Location:
    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        location = sites.location_by_code(uow.conn, code)
        if active:
            _check_can_reactivate(uow, location)
        else:
            _check_can_deactivate(uow, location)
        sites.update_location(uow.conn, location.id, None, {"active": active}, now)
        return {"id": location.id}

    operation = "reactivate_location" if active else "deactivate_location"
    result, _ = run_write(db, ctx, operation, {"code": code}, work)
    with db.read() as conn:
        return sites.location_by_id(conn, result["id"])


def deactivate_location(db: Database, ctx: Context, code: str) -> Location:
    """Mark a storage location inactive (never deleted).

    Raises NotFound, RuleViolation (``virtual_location_fixed``, ``location_has_stock`` when it
    or its subtree holds stock, ``location_has_active_children``).
    Writes: the ``locations`` row (active, version).
    """
    return _set_location_active(db, ctx, code, False)


def reactivate_location(db: Database, ctx: Context, code: str) -> Location:
    """Mark a location active again.

    Raises NotFound, RuleViolation (``parent_inactive``, ``warehouse_inactive``).
    Writes: the ``locations`` row.
    """
    return _set_location_active(db, ctx, code, True)
