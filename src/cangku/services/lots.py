"""Use cases of lots (batches) and serial numbers.

A serial is a row of ``lots`` with ``is_serial`` true: a lot of exactly one unit. Stock
receiving creates lots on the fly through ``cangku.db.lots.get_or_create``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import lots as store
from cangku.db.lookups import item_by_code, lot_by_code
from cangku.db.lots import Lot
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import UNSET, Unset, given_changes, plain
from cangku.domain.enums import LotStatus
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.lot_status import LotVerb, check_verb, require_reason
from cangku.domain.lots import (
    check_code,
    check_dates,
    check_reason,
    check_status,
    check_supplier_lot,
    check_tracking,
    default_expiry,
)
from cangku.domain.permissions import (
    EVERYONE,
    QUALITY_INSPECTOR,
    RECEIVING_CLERK,
    WAREHOUSE_MANAGER,
    Action,
    Actor,
    action,
)
from cangku.domain.stock import ItemInfo
from cangku.queries.snapshots import lot_fields
from cangku.services.common import Context, Subject, run_write
from cangku.services.lot_status import Released, apply_status

__all__ = [
    "LOT_RECALL",
    "LOT_STATUS",
    "Released",
    "StatusChange",
    "change_lot_status",
    "hold_lot",
    "quarantine_lot",
    "recall_lot",
    "release_lot",
    "set_lot_status",
    "update_lot",
    "Lot",
    "LotChanges",
    "LotInput",
    "SerialInput",
    "create_lot",
    "create_serial",
]

LOT_VIEW = action("lot.view", roles=EVERYONE)
#: register lots and serial numbers
LOT_CREATE = action("lot.create", roles={WAREHOUSE_MANAGER, RECEIVING_CLERK, QUALITY_INSPECTOR})
#: change a lot's dates, supplier lot and notes
LOT_UPDATE = action("lot.update", roles={WAREHOUSE_MANAGER, RECEIVING_CLERK, QUALITY_INSPECTOR})
#: put a lot on hold, in quarantine, recall, reject or release it
LOT_STATUS = action("lot.status", roles={WAREHOUSE_MANAGER, QUALITY_INSPECTOR})
#: recall a lot, or lift a recall (with ``lot.status``): the manager's call, not the inspector's
LOT_RECALL = action("lot.recall", roles={WAREHOUSE_MANAGER})


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


def _write_lot(
    db: Database,
    ctx: Context,
    operation: Action,
    payload: dict[str, Any],
    change: Callable[[Connection, datetime], int],
) -> Lot:
    """Run ``change(conn, now)`` (which returns the lot id) as the idempotent write
    ``operation``, then read the lot back."""

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> dict[str, int]:
        return {"id": change(uow.conn, now)}

    item, code = payload["item"], payload["code"]
    subject = Subject("lot", f"{item}/{code}", lambda conn: lot_fields(conn, item, code))
    result, _ = run_write(db, ctx, operation, payload, work, subject=subject)
    with db.read() as conn:
        return store.lot_by_id(conn, result["id"])


def _active_item(conn: Connection, code: str) -> ItemInfo:
    item = item_by_code(conn, code)
    if not item.active:
        raise RuleViolation(f"item {item.code} is inactive", code="item_inactive", item=item.code)
    return item


def _lot(conn: Connection, item: str, code: str) -> Lot:
    """The lot ``code`` of the item ``item`` (NotFound for either)."""
    info = item_by_code(conn, item)
    return store.lot_for_item(conn, info.id, info.code, code)


def _create(db: Database, ctx: Context, data: LotInput, is_serial: bool) -> Lot:
    code = check_code(data.code, "serial" if is_serial else "code")
    status = check_status(data.status)
    check_supplier_lot(data.supplier_lot)
    check_dates(data.manufactured_on, data.expires_on)
    payload = {**plain(data), "status": str(status)}

    def change(conn: Connection, now: datetime) -> int:
        item = _active_item(conn, data.item)
        check_tracking(item, is_serial)
        if lot_by_code(conn, item.id, code) is not None:
            kind = "serial" if is_serial else "lot"
            raise Conflict(
                f"item {item.code} already has {kind} {code}",
                code="serial_taken" if is_serial else "lot_code_taken",
                item=item.code,
                lot=code,
            )
        expires_on = default_expiry(
            data.manufactured_on, data.expires_on, store.shelf_life_days(conn, item.id)
        )
        return store.insert_lot(
            conn,
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

    return _write_lot(db, ctx, LOT_CREATE, {**payload, "serial": is_serial}, change)


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


def update_lot(db: Database, ctx: Context, item: str, code: str, changes: LotChanges) -> Lot:
    """Change a lot's dates, supplier lot or notes; bump its version.

    Raises NotFound (``item_not_found``, ``lot_not_found``), InvalidInput
    (``expiry_before_manufacture``, ``invalid_supplier_lot``), Conflict (``version_conflict``).
    Writes: the ``lots`` row.
    """
    if not isinstance(changes.supplier_lot, Unset):
        check_supplier_lot(changes.supplier_lot)
    given = given_changes(changes)
    values = {k: v for k, v in given.items() if k != "version"}
    payload = {"item": item, "code": code, **plain(given)}

    def change(conn: Connection, now: datetime) -> int:
        lot = _lot(conn, item, code)
        check_dates(
            values.get("manufactured_on", lot.manufactured_on),
            values.get("expires_on", lot.expires_on),
        )
        store.update_lot(conn, lot.id, changes.version, values, now)
        return lot.id

    return _write_lot(db, ctx, LOT_UPDATE, payload, change)


@dataclass(frozen=True)
class StatusChange:
    """A lot after a status change, with the reservations the change took back."""

    lot: Lot
    released: list[Released] = field(default_factory=list)


def _status_write(
    db: Database,
    ctx: Context,
    operation: Action,
    payload: dict[str, Any],
    decide: Callable[[Lot, Actor], LotStatus],
    reason: str | None,
) -> StatusChange:
    """Lock the lot, ``decide`` its new status (raising to refuse: nothing is written), then
    write it with ``apply_status``; read the lot back."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        lot = _lot(uow.conn, payload["item"], payload["code"])
        store.lock_lot(uow.conn, lot.id)
        lot = store.lot_by_id(uow.conn, lot.id)
        new = decide(lot, actor)
        released = apply_status(uow.conn, actor, now, lot, new, reason)
        return {"id": lot.id, "released": [_plain_release(r) for r in released]}

    item, code = payload["item"], payload["code"]
    subject = Subject("lot", f"{item}/{code}", lambda conn: lot_fields(conn, item, code))
    result, _ = run_write(db, ctx, operation, payload, work, subject=subject)
    with db.read() as conn:
        lot = store.lot_by_id(conn, result["id"])
    released = [
        Released(r["document"], Decimal(r["quantity"]), r["state"]) for r in result["released"]
    ]
    return StatusChange(lot, released)


def _plain_release(released: Released) -> dict[str, str]:
    return {
        "document": released.document,
        "quantity": str(released.quantity),
        "state": released.state,
    }


def _require_recall(actor: Actor, *statuses: str) -> None:
    """Recalling a lot, or lifting a recall, is the manager's call (``lot.recall``)."""
    if LotStatus.RECALLED in statuses:
        actor.require(LOT_RECALL)


def set_lot_status(
    db: Database, ctx: Context, item: str, code: str, status: str, reason: str | None = None
) -> Lot:
    """Put a lot (or serial) in another status: available, quarantine, hold, recalled, rejected
    (any status to any: the correction; the verbs below are the everyday way).

    The change is recorded in the lot's history (``lot_events``) and appended to its notes; a
    status other than available releases the lot's reservations no pick list picks yet.
    Raises NotFound (``item_not_found``, ``lot_not_found``), InvalidInput
    (``invalid_lot_status``, ``invalid_reason``), PermissionDenied (``lot.recall`` to recall
    or un-recall). Writes: the ``lots`` row, a ``lot_events`` row, released reservations.
    """
    new_status = check_status(status)
    check_reason(reason)
    payload = {"item": item, "code": code, "status": str(new_status), "reason": reason}

    def decide(lot: Lot, actor: Actor) -> LotStatus:
        _require_recall(actor, lot.status, new_status)
        return new_status

    return _status_write(db, ctx, LOT_STATUS, payload, decide, reason).lot


def change_lot_status(
    db: Database, ctx: Context, item: str, code: str, verb: str, reason: str | None
) -> StatusChange:
    """Hold, quarantine, recall or release a lot (``verb``), with a reason and the person.

    Holding, quarantining or recalling a lot releases its reservations that no pick list picks
    yet (each request gets a "release" timeline event; an allocated request left with nothing
    reserved goes back to approved), so the allocator serves them from other lots. See
    ``cangku.domain.lot_status`` for what each verb accepts.

    Raises InvalidInput (``invalid_lot_verb``, ``reason_required``, ``invalid_reason``),
    NotFound (``item_not_found``, ``lot_not_found``), RuleViolation (``lot_not_held``,
    ``lot_already_held``, ``lot_already_quarantined``, ``lot_already_recalled``,
    ``lot_recalled``, ``lot_rejected``), PermissionDenied (``lot.status``; ``lot.recall`` to
    recall or to release a recalled lot). Writes: the ``lots`` row (status, notes), a
    ``lot_events`` row, the released reservations and the requests' events.
    """
    try:
        chosen = LotVerb(verb)
    except ValueError:
        raise InvalidInput(
            f"the verb must be one of {', '.join(v.value for v in LotVerb)}",
            code="invalid_lot_verb",
            verb=str(verb)[:40],
        ) from None
    why = require_reason(reason)
    payload = {"item": item, "code": code, "verb": str(chosen), "reason": why}

    def decide(lot: Lot, actor: Actor) -> LotStatus:
        current = LotStatus(lot.status)
        new = check_verb(chosen, current, lot.code)
        _require_recall(actor, current, new)
        return new

    operation = LOT_RECALL if chosen is LotVerb.RECALL else LOT_STATUS
    return _status_write(db, ctx, operation, payload, decide, why)


def hold_lot(db: Database, ctx: Context, item: str, code: str, reason: str | None) -> StatusChange:
    """``change_lot_status`` with ``hold``."""
    return change_lot_status(db, ctx, item, code, LotVerb.HOLD, reason)


def quarantine_lot(
    db: Database, ctx: Context, item: str, code: str, reason: str | None
) -> StatusChange:
    """``change_lot_status`` with ``quarantine``."""
    return change_lot_status(db, ctx, item, code, LotVerb.QUARANTINE, reason)


def recall_lot(
    db: Database, ctx: Context, item: str, code: str, reason: str | None
) -> StatusChange:
    """``change_lot_status`` with ``recall`` (``lot.recall``: a warehouse manager's)."""
    return change_lot_status(db, ctx, item, code, LotVerb.RECALL, reason)


def release_lot(
    db: Database, ctx: Context, item: str, code: str, reason: str | None
) -> StatusChange:
    """``change_lot_status`` with ``release``: a held, quarantined or recalled lot is available
    again (``lot_not_held`` for any other)."""
    return change_lot_status(db, ctx, item, code, LotVerb.RELEASE, reason)
