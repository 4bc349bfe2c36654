"""Use cases of lots (batches) and serial numbers.

A serial is a row of ``lots`` with ``is_serial`` true: a lot of exactly one unit. Stock
receiving creates lots on the fly through ``cangku.db.lots.get_or_create``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cangku.db import lots as store
from cangku.db.lookups import item_by_code, lot_by_code
from cangku.db.lots import Lot
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.stock import ItemInfo
from cangku.services.common import Context, run_write
from cangku.services.warehouses import UNSET, Unset

__all__ = [
    "Lot",
    "LotChanges",
    "LotInput",
    "SerialInput",
    "create_lot",
    "create_serial",
    "set_lot_status",
    "update_lot",
]


@dataclass(frozen=True)
class LotInput:
    item: str
    code: str
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    status: str = "available"
    notes: str | None = None


@dataclass(frozen=True)
class SerialInput:
    item: str
    serial: str
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    status: str = "available"
    notes: str | None = None


@dataclass(frozen=True)
class LotChanges:
    manufactured_on: date | None | Unset = UNSET
    expires_on: date | None | Unset = UNSET
    supplier_lot: str | None | Unset = UNSET
    notes: str | None | Unset = UNSET
    version: int | None = None


def _check_supplier_lot(value: str | None) -> str | None:
    if value is not None and len(value) > 100:
        raise InvalidInput("a supplier lot has at most 100 characters", code="invalid_supplier_lot")
    return value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _active_item(uow: UnitOfWork, code: str) -> ItemInfo:
    item = item_by_code(uow.conn, code)
    if not item.active:
        raise RuleViolation(f"item {item.code} is inactive", code="item_inactive", item=item.code)
    return item


def _create(db: Database, ctx: Context, data: LotInput, is_serial: bool) -> Lot:
    code = store.check_code(data.code, "serial" if is_serial else "code")
    status = store.check_status(data.status)
    _check_supplier_lot(data.supplier_lot)
    store.check_dates(data.manufactured_on, data.expires_on)
    payload = {
        "item": data.item,
        "code": code,
        "manufactured_on": _iso(data.manufactured_on),
        "expires_on": _iso(data.expires_on),
        "supplier_lot": data.supplier_lot,
        "status": str(status),
        "notes": data.notes,
    }

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        item = _active_item(uow, data.item)
        store.check_tracking(item, is_serial)
        if lot_by_code(uow.conn, item.id, code) is not None:
            kind = "serial" if is_serial else "lot"
            raise Conflict(
                f"item {item.code} already has {kind} {code}",
                code="serial_taken" if is_serial else "lot_code_taken",
                item=item.code,
                lot=code,
            )
        expires_on = store.default_expiry(
            data.manufactured_on, data.expires_on, store.shelf_life_days(uow.conn, item.id)
        )
        lot_id = store.insert_lot(
            uow.conn,
            item_id=item.id,
            code=code,
            is_serial=is_serial,
            manufactured_on=data.manufactured_on,
            expires_on=expires_on,
            supplier_lot=data.supplier_lot,
            status=status,
            notes=data.notes,
            now=now,
        )
        return {"id": lot_id}

    operation = "create_serial" if is_serial else "create_lot"
    result, _ = run_write(db, ctx, operation, payload, work)
    with db.read() as conn:
        return store.lot_by_id(conn, result["id"])


def create_lot(db: Database, ctx: Context, data: LotInput) -> Lot:
    """Create a lot (batch) of a lot-tracked item.

    Without an expiry date, a manufacture date plus the item's shelf life gives one.
    Raises NotFound (``item_not_found``), InvalidInput (``invalid_lot_code``,
    ``invalid_lot_status``, ``expiry_before_manufacture``, ``invalid_supplier_lot``),
    RuleViolation (``item_not_lot_tracked``, ``item_is_serial_tracked``, ``item_inactive``),
    Conflict (``lot_code_taken``). Writes: one ``lots`` row.
    """
    return _create(db, ctx, data, is_serial=False)


def create_serial(db: Database, ctx: Context, data: SerialInput) -> Lot:
    """Register a serial number (a lot of exactly one unit) of a serial-tracked item.

    Raises NotFound (``item_not_found``), InvalidInput (as for lots), RuleViolation
    (``item_not_lot_tracked``, ``item_not_serial_tracked``, ``item_inactive``), Conflict
    (``serial_taken``). Writes: one ``lots`` row with ``is_serial`` true.
    """
    lot = LotInput(
        item=data.item,
        code=data.serial,
        manufactured_on=data.manufactured_on,
        expires_on=data.expires_on,
        supplier_lot=data.supplier_lot,
        status=data.status,
        notes=data.notes,
    )
    return _create(db, ctx, lot, is_serial=True)


def _lot_payload(changes: LotChanges) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name, value in vars(changes).items():
        if isinstance(value, Unset):
            continue
        payload[name] = value.isoformat() if isinstance(value, date) else value
    return payload


def update_lot(db: Database, ctx: Context, item: str, code: str, changes: LotChanges) -> Lot:
    """Change a lot's dates, supplier lot or notes; bump its version.

    Raises NotFound (``item_not_found``, ``lot_not_found``), InvalidInput
    (``expiry_before_manufacture``, ``invalid_supplier_lot``), Conflict (``version_conflict``).
    Writes: the ``lots`` row.
    """
    if not isinstance(changes.supplier_lot, Unset):
        _check_supplier_lot(changes.supplier_lot)
    values = {k: v for k, v in vars(changes).items() if k != "version" and not isinstance(v, Unset)}
    payload = {"item": item, "code": code, **_lot_payload(changes)}

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        info = item_by_code(uow.conn, item)
        lot = store.lot_for_item(uow.conn, info.id, info.code, code)
        store.check_dates(
            values.get("manufactured_on", lot.manufactured_on),
            values.get("expires_on", lot.expires_on),
        )
        store.update_lot(uow.conn, lot.id, changes.version, values, now)
        return {"id": lot.id}

    result, _ = run_write(db, ctx, "update_lot", payload, work)
    with db.read() as conn:
        return store.lot_by_id(conn, result["id"])


def set_lot_status(
    db: Database, ctx: Context, item: str, code: str, status: str, reason: str | None = None
) -> Lot:
    """Put a lot (or serial) in another status: available, quarantine, hold, recalled, rejected.

    The change, who made it and the reason are appended to the lot's notes (there is no status
    history table yet). Raises NotFound (``item_not_found``, ``lot_not_found``), InvalidInput
    (``invalid_lot_status``, ``invalid_reason``). Writes: the ``lots`` row.
    """
    new_status = store.check_status(status)
    if reason is not None and len(reason) > 500:
        raise InvalidInput("a reason has at most 500 characters", code="invalid_reason")
    payload = {"item": item, "code": code, "status": str(new_status), "reason": reason}

    def work(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, int]:
        info = item_by_code(uow.conn, item)
        lot = store.lot_for_item(uow.conn, info.id, info.code, code)
        line = f"{now:%Y-%m-%d %H:%M} UTC {ctx.username}: status {lot.status} -> {new_status}"
        if reason:
            line += f" ({reason})"
        notes = f"{lot.notes}\n{line}" if lot.notes else line
        store.update_lot(uow.conn, lot.id, None, {"status": str(new_status), "notes": notes}, now)
        return {"id": lot.id}

    result, _ = run_write(db, ctx, "set_lot_status", payload, work)
    with db.read() as conn:
        return store.lot_by_id(conn, result["id"])
