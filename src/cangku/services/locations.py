"""Use cases of the location tree: create, change, move, deactivate and reactivate locations.

Users build the storage tree (internal, receiving, quality, shipping) under a warehouse; the
six virtual locations come with the warehouse and only their name may change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import sites
from cangku.db.sites import Location, Warehouse
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import UNSET, Unset, given_changes, plain
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.permissions import WAREHOUSE_MANAGER, Action, Actor, action
from cangku.domain.sites import (
    check_can_have_children,
    check_capacity,
    check_item_types,
    check_level,
    check_location_code,
    check_move_target,
    check_name,
    check_storage_kind,
)
from cangku.queries.snapshots import location_fields
from cangku.services.common import Context, Subject, run_write

__all__ = [
    "create_location",
    "update_location",
    "Location",
    "LocationChanges",
    "LocationInput",
    "deactivate_location",
    "reactivate_location",
]

#: create, change, deactivate and reactivate locations (in the warehouses granted)
LOCATION_MANAGE = action("location.manage", roles={WAREHOUSE_MANAGER}, scoped=True)


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


def _write_location(
    db: Database,
    ctx: Context,
    operation: Action,
    payload: dict[str, Any],
    change: Callable[[Connection, datetime], int],
) -> Location:
    """Run ``change(conn, now)`` (which returns the location id) as the idempotent write
    ``operation``, then read the location back."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
        location_id = change(uow.conn, now)
        actor.require(operation, sites.location_by_id(uow.conn, location_id).warehouse_id)
        return {"id": location_id}

    code = payload["code"]
    subject = Subject(
        "location",
        code,
        lambda conn: location_fields(conn, code),
        lambda conn: sites.location_by_code(conn, code).warehouse_id,
    )
    result, _ = run_write(db, ctx, operation, payload, work, subject=subject)
    with db.read() as conn:
        return sites.location_by_id(conn, result["id"])


def _resolve_home(
    conn: Connection, warehouse_code: str | None, parent_code: str | None
) -> tuple[Warehouse, Location | None]:
    """The warehouse and parent a new location goes under."""
    parent = sites.location_by_code(conn, parent_code) if parent_code is not None else None
    if parent is not None:
        check_can_have_children(parent)
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
        warehouse = sites.warehouse_by_id(conn, parent.warehouse_id)
    elif warehouse_code is not None:
        warehouse = sites.warehouse_by_code(conn, warehouse_code)
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
    code = check_location_code(data.code)
    check_name(data.name)
    kind = check_storage_kind(data.kind)
    level = check_level(data.level)
    capacity = check_capacity(data.capacity)
    types = check_item_types(data.allowed_item_types)
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

    def change(conn: Connection, now: datetime) -> int:
        warehouse, parent = _resolve_home(conn, data.warehouse, data.parent)
        if sites.location_code_exists(conn, code):
            raise Conflict(f"location code {code} is already taken", code="location_code_taken")
        return sites.insert_location(
            conn,
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

    return _write_location(db, ctx, LOCATION_MANAGE, payload, change)


def _location_values(changes: LocationChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not isinstance(changes.name, Unset):
        values["name"] = check_name(changes.name)
    if not isinstance(changes.level, Unset):
        values["level"] = check_level(changes.level)
    if not isinstance(changes.capacity, Unset):
        values["capacity"] = check_capacity(changes.capacity)
    if not isinstance(changes.allowed_item_types, Unset):
        values["allowed_item_types"] = check_item_types(changes.allowed_item_types)
    return values


def _move(conn: Connection, location: Location, parent_code: str | None) -> int | None:
    """Move ``location`` (and its subtree) under ``parent_code`` (None: the root); the new
    parent id."""
    parent = sites.location_by_code(conn, parent_code) if parent_code is not None else None
    if parent is not None:
        check_move_target(location, parent)
    sites.move_subtree(conn, location.path, f"{parent.path if parent else '/'}{location.id}/")
    return parent.id if parent else None


def update_location(db: Database, ctx: Context, code: str, changes: LocationChanges) -> Location:
    """Change a location's name, level, capacity, allowed item types or parent.

    Moving to another parent (or to the root with ``parent=None``) rewrites the path of the
    whole subtree. Raises NotFound, InvalidInput (as for create), RuleViolation
    (``virtual_location_fixed`` for anything but the name of a virtual location,
    ``virtual_parent``, ``cross_warehouse_move``, ``location_cycle``), Conflict
    (``version_conflict``). Writes: the ``locations`` row and, on a move, its subtree's paths.
    """
    values = _location_values(changes)
    payload = {"code": code, **plain(given_changes(changes))}

    def change(conn: Connection, now: datetime) -> int:
        location = sites.location_by_code(conn, code)
        row_values = dict(values)
        moving = not isinstance(changes.parent, Unset)
        if location.is_virtual and (moving or set(values) - {"name"}):
            raise RuleViolation(
                f"{code} is a virtual location: only its name may change",
                code="virtual_location_fixed",
            )
        if not isinstance(changes.parent, Unset):
            row_values["parent_id"] = _move(conn, location, changes.parent)
        sites.update_location(conn, location.id, changes.version, row_values, now)
        return location.id

    return _write_location(db, ctx, LOCATION_MANAGE, payload, change)


def _check_can_deactivate(conn: Connection, location: Location) -> None:
    if location.is_virtual:
        raise RuleViolation(
            f"{location.code} is a virtual location and cannot be deactivated",
            code="virtual_location_fixed",
        )
    if sites.subtree_has_stock(conn, location.path):
        raise RuleViolation(
            f"{location.code} or a location below it still holds stock",
            code="location_has_stock",
            location=location.code,
        )
    if sites.has_active_children(conn, location.id):
        raise RuleViolation(
            f"{location.code} has active locations below it; deactivate them first",
            code="location_has_active_children",
            location=location.code,
        )


def _check_can_reactivate(conn: Connection, location: Location) -> None:
    if location.parent_id is not None and not sites.location_by_id(conn, location.parent_id).active:
        raise RuleViolation(
            f"parent location {location.parent} is inactive", code="parent_inactive"
        )
    if not sites.warehouse_by_id(conn, location.warehouse_id).active:
        raise RuleViolation(
            f"warehouse {location.warehouse} is inactive", code="warehouse_inactive"
        )


def _set_location_active(db: Database, ctx: Context, code: str, active: bool) -> Location:
    def change(conn: Connection, now: datetime) -> int:
        location = sites.location_by_code(conn, code)
        if active:
            _check_can_reactivate(conn, location)
        else:
            _check_can_deactivate(conn, location)
        sites.update_location(conn, location.id, None, {"active": active}, now)
        return location.id

    return _write_location(db, ctx, LOCATION_MANAGE, {"code": code, "active": active}, change)


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
