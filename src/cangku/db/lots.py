"""Lots and serials: rows of ``lots`` (a serial is a lot of exactly one unit, ``is_serial``).

No commits here. ``get_or_create`` is what stock-receiving calls to create a lot on the fly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from cangku.db.ledger import upsert
from cangku.db.lookups import lot_by_code
from cangku.db.tables import items, lots
from cangku.domain.enums import LotStatus, Tracking
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.stock import ItemInfo, LotInfo

MAX_CODE = 100


@dataclass(frozen=True)
class Lot:
    id: int
    item: str
    code: str
    is_serial: bool
    manufactured_on: date | None
    expires_on: date | None
    supplier_lot: str | None
    status: str
    notes: str | None
    version: int
    item_id: int


# ---------------------------------------------------------------- rules


def check_code(code: str, field: str = "code") -> str:
    """A lot or serial code: 1-100 characters, no surrounding or control whitespace."""
    if (
        not code
        or len(code) > MAX_CODE
        or code != code.strip()
        or any(ch in code for ch in "\t\r\n")
    ):
        raise InvalidInput(
            f"{field} must have 1 to {MAX_CODE} characters without surrounding spaces",
            code="invalid_lot_code",
            field=field,
        )
    return code


def check_status(status: str) -> LotStatus:
    try:
        return LotStatus(status)
    except ValueError:
        raise InvalidInput(
            f"lot status must be one of {', '.join(s.value for s in LotStatus)}",
            code="invalid_lot_status",
            status=str(status)[:40],
        ) from None


def check_dates(manufactured_on: date | None, expires_on: date | None) -> None:
    if manufactured_on and expires_on and expires_on < manufactured_on:
        raise InvalidInput(
            "the expiry date is before the manufacture date",
            code="expiry_before_manufacture",
            manufactured_on=manufactured_on.isoformat(),
            expires_on=expires_on.isoformat(),
        )


def default_expiry(
    manufactured_on: date | None, expires_on: date | None, shelf_life_days: int | None
) -> date | None:
    """The expiry given, or else manufacture date + shelf life when both are known."""
    if expires_on is None and manufactured_on is not None and shelf_life_days:
        return manufactured_on + timedelta(days=shelf_life_days)
    return expires_on


def check_tracking(item: ItemInfo, is_serial: bool) -> None:
    """A lot needs a lot-tracked item, a serial a serial-tracked one."""
    if item.tracking is Tracking.NONE:
        raise RuleViolation(
            f"item {item.code} is not tracked by lot or serial",
            code="item_not_lot_tracked",
            item=item.code,
        )
    if is_serial and item.tracking is not Tracking.SERIAL:
        raise RuleViolation(
            f"item {item.code} is not tracked by serial number",
            code="item_not_serial_tracked",
            item=item.code,
        )
    if not is_serial and item.tracking is Tracking.SERIAL:
        raise RuleViolation(
            f"item {item.code} is tracked by serial number: create serials, not lots",
            code="item_is_serial_tracked",
            item=item.code,
        )


# ---------------------------------------------------------------- reads


def lot_select() -> Select[Any]:
    return select(lots, items.c.code.label("item_code")).join(items, items.c.id == lots.c.item_id)


def lot_from_row(row: Any) -> Lot:
    return Lot(
        id=row.id,
        item=row.item_code,
        code=row.code,
        is_serial=row.is_serial,
        manufactured_on=row.manufactured_on,
        expires_on=row.expires_on,
        supplier_lot=row.supplier_lot,
        status=row.status,
        notes=row.notes,
        version=row.version,
        item_id=row.item_id,
    )


def lot_by_id(conn: Connection, lot_id: int) -> Lot:
    row = conn.execute(lot_select().where(lots.c.id == lot_id)).first()
    if row is None:
        raise NotFound("lot", lot_id)
    return lot_from_row(row)


def lot_for_item(conn: Connection, item_id: int, item_code: str, code: str) -> Lot:
    row = conn.execute(lot_select().where(lots.c.item_id == item_id, lots.c.code == code)).first()
    if row is None:
        raise NotFound("lot", f"{item_code}/{code}")
    return lot_from_row(row)


def shelf_life_days(conn: Connection, item_id: int) -> int | None:
    value = conn.execute(select(items.c.shelf_life_days).where(items.c.id == item_id)).scalar()
    return int(value) if value is not None else None


# ---------------------------------------------------------------- writes


def insert_lot(
    conn: Connection,
    *,
    item_id: int,
    code: str,
    is_serial: bool,
    manufactured_on: date | None,
    expires_on: date | None,
    supplier_lot: str | None,
    status: LotStatus,
    notes: str | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(lots)
            .values(
                item_id=item_id,
                code=code,
                is_serial=is_serial,
                manufactured_on=manufactured_on,
                expires_on=expires_on,
                supplier_lot=supplier_lot,
                status=str(status),
                notes=notes,
                created_at=now,
                updated_at=now,
            )
            .returning(lots.c.id)
        ).scalar_one()
    )


def get_or_create(
    conn: Connection,
    item: ItemInfo,
    code: str,
    now: datetime,
    expires_on: date | None = None,
    manufactured_on: date | None = None,
    is_serial: bool = False,
) -> LotInfo:
    """The item's lot ``code``, created (status available) when it does not exist yet.

    A serial-tracked item always gets a serial (``is_serial`` is implied). An existing lot is
    returned as it is (its dates are not changed). Safe under concurrent receipts of the same
    new lot (insert-or-ignore, then read). Raises RuleViolation for an item that is not
    tracked (``item_not_lot_tracked``) or a serial asked for a lot-tracked item
    (``item_not_serial_tracked``), InvalidInput for a bad code or dates.
    Writes: at most one ``lots`` row.
    """
    serial = is_serial or item.tracking is Tracking.SERIAL
    check_tracking(item, serial)
    check_code(code)
    found = lot_by_code(conn, item.id, code)
    if found is not None:
        return found
    expires_on = default_expiry(manufactured_on, expires_on, shelf_life_days(conn, item.id))
    check_dates(manufactured_on, expires_on)
    stmt = upsert(conn)(lots).values(
        item_id=item.id,
        code=code,
        is_serial=serial,
        manufactured_on=manufactured_on,
        expires_on=expires_on,
        status=str(LotStatus.AVAILABLE),
        created_at=now,
        updated_at=now,
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["item_id", "code"]))
    created = lot_by_code(conn, item.id, code)
    if created is None:  # pragma: no cover - the row was just inserted or already there
        raise NotFound("lot", f"{item.code}/{code}")
    return created


def update_lot(
    conn: Connection, lot_id: int, version: int | None, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``values``, bump the version; refuse when ``version`` is given and stale."""
    stmt = update(lots).where(lots.c.id == lot_id)
    if version is not None:
        stmt = stmt.where(lots.c.version == version)
    result = conn.execute(stmt.values(**values, version=lots.c.version + 1, updated_at=now))
    if result.rowcount != 1:
        current = lot_by_id(conn, lot_id)
        raise Conflict(
            "the lot was changed by someone else; reload and try again",
            code="version_conflict",
            expected=version,
            actual=current.version,
        )
