"""Lots and serials: rows of ``lots`` (a serial is a lot of exactly one unit, ``is_serial``).

No commits here. ``get_or_create`` is what stock-receiving calls to create a lot on the fly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, insert, select, update

from cangku.db.allocations import ALLOCATION_ROW, AllocationRow
from cangku.db.catalog import first_or_not_found, update_versioned
from cangku.db.lookups import lot_by_code, lot_columns, lot_info
from cangku.db.statements import upsert
from cangku.db.tables import allocations, balances, items, lot_events, lots
from cangku.domain.enums import LotStatus, Tracking
from cangku.domain.errors import NotFound
from cangku.domain.lots import (
    MAX_CODE,
    check_code,
    check_dates,
    check_status,
    check_tracking,
    default_expiry,
)
from cangku.domain.stock import ItemInfo, LotInfo

__all__ = [
    "MAX_CODE",
    "Lot",
    "add_status_events",
    "check_code",
    "check_dates",
    "check_status",
    "check_tracking",
    "default_expiry",
    "get_or_create",
    "insert_lot",
    "lot_by_id",
    "lot_for_item",
    "lot_from_row",
    "lock_lot",
    "lot_select",
    "lot_warehouses",
    "set_statuses",
    "unpicked_reservations",
    "documents_with_reservations",
    "shelf_life_days",
    "update_lot",
]


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
    row = first_or_not_found(conn, lot_select().where(lots.c.id == lot_id), "lot", lot_id)
    return lot_from_row(row)


def lot_for_item(conn: Connection, item_id: int, item_code: str, code: str) -> Lot:
    stmt = lot_select().where(lots.c.item_id == item_id, lots.c.code == code)
    row = first_or_not_found(conn, stmt, "lot", f"{item_code}/{code}")
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


def lock_lot(conn: Connection, lot_id: int) -> None:
    """Take the lot's row lock (PostgreSQL; SQLite's writer holds the database): two status
    changes of one lot take turns, the second deciding on what the first wrote."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(lots.c.id).where(lots.c.id == lot_id).with_for_update())


def update_lot(
    conn: Connection, lot_id: int, version: int | None, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``values``, bump the version; refuse when ``version`` is given and stale."""
    update_versioned(conn, lots, "lot", lot_id, version, values, now)


@dataclass(frozen=True)
class NewLot:
    item_id: int
    code: str
    is_serial: bool
    manufactured_on: date | None
    expires_on: date | None
    supplier_lot: str | None
    status: LotStatus


def lots_by_keys(conn: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], LotInfo]:
    """Lots by (item id, code), a few statements for any number (the items' lots with those
    codes, filtered to the pairs asked for)."""
    found: dict[tuple[int, str], LotInfo] = {}
    wanted = set(keys)
    item_ids = sorted({k[0] for k in wanted})
    codes = sorted({k[1] for k in wanted})
    for start in range(0, len(codes), 5000):
        rows = conn.execute(
            select(*lot_columns()).where(
                lots.c.item_id.in_(item_ids), lots.c.code.in_(codes[start : start + 5000])
            )
        )
        for row in rows:
            lot = lot_info(row)
            if (lot.item_id, lot.code) in wanted:
                found[(lot.item_id, lot.code)] = lot
    return found


def ensure_lots(
    conn: Connection, new: list[NewLot], now: datetime
) -> dict[tuple[int, str], LotInfo]:
    """The lots named, created where they do not exist yet (with their dates and status) in one
    batched insert; existing lots are answered as they are. Safe under concurrent receipts of
    the same new lot (insert-or-ignore, then read)."""
    keys = [(lot.item_id, lot.code) for lot in new]
    found = lots_by_keys(conn, keys)
    missing = {(lot.item_id, lot.code): lot for lot in new if (lot.item_id, lot.code) not in found}
    if missing:
        stmt = upsert(conn)(lots).on_conflict_do_nothing(index_elements=["item_id", "code"])
        conn.execute(
            stmt,
            [
                {
                    "item_id": lot.item_id,
                    "code": lot.code,
                    "is_serial": lot.is_serial,
                    "manufactured_on": lot.manufactured_on,
                    "expires_on": lot.expires_on,
                    "supplier_lot": lot.supplier_lot,
                    "status": str(lot.status),
                    "created_at": now,
                    "updated_at": now,
                }
                for lot in missing.values()
            ],
        )
        found.update(lots_by_keys(conn, list(missing)))
    return found


def set_statuses(
    conn: Connection,
    changes: dict[int, LotStatus],
    now: datetime,
    *,
    user_id: int,
    document_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Set lots' statuses (a document step's consequence, or a status verb) and record each
    change in the lot's history (``lot_events``: who, when, from, to, why, the document), in
    batched statements. A lot already in its new status is left alone (no history row)."""
    if not changes:
        return
    before = {
        row.id: row.status
        for row in conn.execute(
            select(lots.c.id, lots.c.status).where(lots.c.id.in_(sorted(changes)))
        )
    }
    changed = {k: v for k, v in sorted(changes.items()) if before.get(k, str(v)) != str(v)}
    if not changed:
        return
    conn.execute(
        update(lots)
        .where(lots.c.id == bindparam("lot_id"))
        .values(status=bindparam("new_status"), updated_at=now, version=lots.c.version + 1),
        [{"lot_id": k, "new_status": str(v)} for k, v in changed.items()],
    )
    add_status_events(
        conn,
        [(lot_id, before[lot_id], status) for lot_id, status in changed.items()],
        now,
        user_id=user_id,
        document_id=document_id,
        reason=reason,
    )


def add_status_events(
    conn: Connection,
    changes: list[tuple[int, str, LotStatus]],
    now: datetime,
    *,
    user_id: int,
    document_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Append (lot id, from status, to status) changes to the lots' history."""
    if changes:
        conn.execute(
            insert(lot_events),
            [
                {
                    "lot_id": lot_id,
                    "at": now,
                    "user_id": user_id,
                    "from_status": str(old),
                    "to_status": str(new),
                    "reason": reason,
                    "document_id": document_id,
                }
                for lot_id, old, new in changes
            ],
        )


def unpicked_reservations(conn: Connection, lot_id: int) -> list[AllocationRow]:
    """The lot's reservations for documents (requests) that no pick list picks yet, in id
    order: what a hold, quarantine or recall takes back."""
    rows = conn.execute(
        ALLOCATION_ROW.where(
            allocations.c.lot_id == lot_id,
            allocations.c.document_id.is_not(None),
            allocations.c.pick_line_id.is_(None),
        ).order_by(allocations.c.id)
    )
    return [AllocationRow(*row) for row in rows]


def lot_warehouses(conn: Connection, lot_id: int) -> list[int]:
    """The warehouses that hold (or held) stock of the lot, by id."""
    stmt = (
        select(balances.c.warehouse_id)
        .where(balances.c.lot_key == lot_id)
        .distinct()
        .order_by(balances.c.warehouse_id)
    )
    return [int(w) for w in conn.execute(stmt).scalars()]


def documents_with_reservations(conn: Connection, document_ids: list[int]) -> set[int]:
    """Of the documents given, those that still hold a reservation row (picked or not)."""
    if not document_ids:
        return set()
    stmt = select(allocations.c.document_id).where(
        allocations.c.document_id.in_(sorted(set(document_ids)))
    )
    return {int(d) for d in conn.execute(stmt.distinct()).scalars()}
