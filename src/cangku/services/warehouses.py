"""Use cases of warehouses.

A warehouse comes with its ledger head and its six virtual locations (supplier, customer,
adjustment, scrap, production, transit), all written in one transaction. Users build the
storage tree under it with ``services.locations`` (re-exported here for older callers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import sites
from cangku.db.sites import Location, Warehouse
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import UNSET, Unset, given_changes, plain
from cangku.domain.enums import LocationKind
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.permissions import EVERYONE, WAREHOUSE_MANAGER, Action, Actor, action
from cangku.domain.sites import VIRTUAL_LOCATIONS, check_flag, check_name, check_warehouse_code
from cangku.queries.snapshots import warehouse_fields
from cangku.services.common import Context, Subject, run_write
from cangku.services.locations import (
    LocationChanges,
    LocationInput,
    create_location,
    deactivate_location,
    reactivate_location,
    update_location,
)

__all__ = [
    "create_warehouse",
    "update_warehouse",
    "UNSET",
    "Location",
    "LocationChanges",
    "LocationInput",
    "Unset",
    "Warehouse",
    "WarehouseChanges",
    "WarehouseInput",
    "create_location",
    "deactivate_location",
    "deactivate_warehouse",
    "reactivate_location",
    "reactivate_warehouse",
    "update_location",
]

#: see warehouses and their locations (in the warehouses granted)
WAREHOUSE_VIEW = action("warehouse.view", roles=EVERYONE, scoped=True)
WAREHOUSE_CREATE = action("warehouse.create", roles=())
#: change, deactivate and reactivate a warehouse (in the warehouses granted)
WAREHOUSE_UPDATE = action("warehouse.update", roles={WAREHOUSE_MANAGER}, scoped=True)


@dataclass(frozen=True)
class WarehouseInput:
    code: str
    name: str
    address: str | None = None
    allow_negative_stock: bool = False
    allow_expired_issue: bool = False


@dataclass(frozen=True)
class WarehouseChanges:
    name: str | Unset = UNSET
    address: str | None | Unset = UNSET
    allow_negative_stock: bool | Unset = UNSET
    allow_expired_issue: bool | Unset = UNSET
    #: location codes (of this warehouse); None: back to the default
    receiving_location: str | None | Unset = UNSET
    quality_location: str | None | Unset = UNSET
    rejection_location: str | None | Unset = UNSET
    version: int | None = None


#: the inbound locations a warehouse names, and the kind each must be
INBOUND_LOCATIONS = {
    "receiving_location": LocationKind.RECEIVING,
    "quality_location": LocationKind.QUALITY,
    "rejection_location": LocationKind.QUALITY,
}


def _write_warehouse(
    db: Database,
    ctx: Context,
    operation: Action,
    payload: dict[str, Any],
    change: Callable[[Connection, datetime], int],
) -> Warehouse:
    """Run ``change(conn, now)`` (which returns the warehouse id) as the idempotent write
    ``operation``, then read the warehouse back."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
        warehouse_id = change(uow.conn, now)
        actor.require(operation, warehouse_id)
        return {"id": warehouse_id}

    code = payload["code"]
    subject = Subject(
        "warehouse",
        code,
        lambda conn: warehouse_fields(conn, code),
        lambda conn: sites.warehouse_by_code(conn, code).id,
    )
    result, _ = run_write(db, ctx, operation, payload, work, subject=subject)
    with db.read() as conn:
        return sites.warehouse_by_id(conn, result["id"])


def create_warehouse(db: Database, ctx: Context, data: WarehouseInput) -> Warehouse:
    """Create a warehouse with its ledger head and its six virtual locations.

    Raises InvalidInput (``invalid_code``, ``invalid_name``), Conflict
    (``warehouse_code_taken``, ``location_code_taken``).
    Writes: one ``warehouses`` row, one ``ledger_heads`` row, six ``locations`` rows.
    """
    code = check_warehouse_code(data.code)
    check_name(data.name)
    payload = {
        "code": code,
        "name": data.name,
        "address": data.address,
        "allow_negative_stock": bool(data.allow_negative_stock),
        "allow_expired_issue": bool(data.allow_expired_issue),
    }

    def change(conn: Connection, now: datetime) -> int:
        if sites.warehouse_code_exists(conn, code):
            raise Conflict(
                f"warehouse code {code} is already taken",
                code="warehouse_code_taken",
                warehouse=code,
            )
        for _, suffix, _ in VIRTUAL_LOCATIONS:
            taken = sites.virtual_code(code, suffix)
            if sites.location_code_exists(conn, taken):
                raise Conflict(
                    f"location code {taken} is already taken", code="location_code_taken"
                )
        return sites.insert_warehouse(
            conn,
            code=code,
            name=data.name,
            address=data.address,
            allow_negative_stock=bool(data.allow_negative_stock),
            allow_expired_issue=bool(data.allow_expired_issue),
            now=now,
        )

    return _write_warehouse(db, ctx, WAREHOUSE_CREATE, payload, change)


def _inbound_location(conn: Connection, warehouse: Warehouse, field: str, code: str) -> int:
    """The id of the location ``code`` as the warehouse's ``field`` (receiving, quality or
    rejection location): of this warehouse, active, of the kind the field needs."""
    location = sites.location_by_code(conn, code)
    if location.warehouse_id != warehouse.id:
        raise InvalidInput(
            f"location {code} is not in warehouse {warehouse.code}",
            code="location_not_in_warehouse",
            location=code,
            warehouse=warehouse.code,
            field=field,
        )
    needed = INBOUND_LOCATIONS[field]
    if location.kind != str(needed):
        raise RuleViolation(
            f"the {field.replace('_', ' ')} must be a {needed} location; {code} is {location.kind}",
            code="wrong_location_kind",
            location=code,
            kind=location.kind,
            expected=str(needed),
            field=field,
        )
    if not location.active:
        raise RuleViolation(
            f"location {code} is deactivated", code="location_inactive", location=code
        )
    return location.id


def update_warehouse(db: Database, ctx: Context, code: str, changes: WarehouseChanges) -> Warehouse:
    """Change a warehouse's name, address, negative-stock or expired-issue policy, and the
    locations inbound uses (receiving, quality, rejection: a location code of this warehouse,
    or None for the default); bump its version.

    Raises NotFound (``warehouse_not_found``, ``location_not_found``), InvalidInput
    (``invalid_name``, ``invalid_flag``, ``location_not_in_warehouse``), RuleViolation
    (``wrong_location_kind``: receiving must be a receiving location, quality and
    rejection quality locations; ``location_inactive``), Conflict (``version_conflict`` when
    ``changes.version`` is stale). Writes: the ``warehouses`` row.
    """
    if not isinstance(changes.name, Unset):
        check_name(changes.name)
    if not isinstance(changes.allow_negative_stock, Unset):
        check_flag(changes.allow_negative_stock)
    if not isinstance(changes.allow_expired_issue, Unset):
        check_flag(changes.allow_expired_issue, "allow_expired_issue")
    given = given_changes(changes)
    values = {k: v for k, v in given.items() if k != "version" and k not in INBOUND_LOCATIONS}
    payload = {"code": code, **plain(given)}

    def change(conn: Connection, now: datetime) -> int:
        warehouse = sites.warehouse_by_code(conn, code)
        for field in INBOUND_LOCATIONS:
            if field in given:
                chosen = given[field]
                values[f"{field}_id"] = (
                    None if not chosen else _inbound_location(conn, warehouse, field, chosen)
                )
        sites.update_warehouse(conn, warehouse.id, changes.version, values, now)
        return warehouse.id

    return _write_warehouse(db, ctx, WAREHOUSE_UPDATE, payload, change)


def _set_warehouse_active(db: Database, ctx: Context, code: str, active: bool) -> Warehouse:
    def change(conn: Connection, now: datetime) -> int:
        warehouse = sites.warehouse_by_code(conn, code)
        if not active and sites.warehouse_has_stock(conn, warehouse.id):
            raise RuleViolation(
                f"warehouse {code} still holds stock; move or issue it first",
                code="warehouse_has_stock",
                warehouse=code,
            )
        sites.update_warehouse(conn, warehouse.id, None, {"active": active}, now)
        return warehouse.id

    return _write_warehouse(db, ctx, WAREHOUSE_UPDATE, {"code": code, "active": active}, change)


def deactivate_warehouse(db: Database, ctx: Context, code: str) -> Warehouse:
    """Mark a warehouse inactive (never deleted).

    Raises NotFound, RuleViolation (``warehouse_has_stock``: any non-zero balance in its
    storage or transit locations). Writes: the ``warehouses`` row (active, version).
    """
    return _set_warehouse_active(db, ctx, code, False)


def reactivate_warehouse(db: Database, ctx: Context, code: str) -> Warehouse:
    """Mark a warehouse active again. Raises NotFound. Writes: the ``warehouses`` row."""
    return _set_warehouse_active(db, ctx, code, True)
