"""Balances (item, location, lot -> on hand, reserved), kept in the posting transaction:
conditional decrements at guarded locations, upserts elsewhere, reservations, and the
capacity / serial limits read after our own updates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, tuple_, update

from cangku.db import driver
from cangku.db.tables import (
    balances,
    locations,
)
from cangku.domain.enums import VALUED_KINDS
from cangku.domain.errors import InsufficientStock, RuleViolation
from cangku.domain.quantities import SCALE, from_scaled
from cangku.domain.stock import MoveLine

BalanceKey = tuple[int, int, int]  # item, location, lot (0 = none)


@dataclass(slots=True)
class _Delta:
    quantity: int
    lot_id: int | None
    warehouse_id: int
    guarded: bool
    line: MoveLine
    location_code: str


# ------------------------------------------------------------------ balances
def apply_balances(conn: Connection, lines: Sequence[MoveLine]) -> None:
    deltas: dict[BalanceKey, _Delta] = {}
    found = deltas.get
    for line in lines:
        lot_id = line.lot.id if line.lot else None
        item_id, lot_key, quantity = line.item.id, lot_id or 0, line.quantity
        for location, change in ((line.source, -quantity), (line.dest, quantity)):
            key = (item_id, location.id, lot_key)
            delta = found(key)
            if delta is None:
                guarded = location.kind.is_valued and not location.allow_negative
                delta = deltas[key] = _Delta(
                    0, lot_id, location.warehouse_id, guarded, line, location.code
                )
            delta.quantity += change
    if len(deltas) > BATCH_THRESHOLD:
        _apply_balances_batched(conn, deltas)
        return
    writes: list[tuple[str, tuple[int | None, ...]]] = []
    takes: list[tuple[int, BalanceKey]] = []  # (index in writes, key) of guarded decrements
    for key in sorted(deltas):  # key order: the row locks are taken in a fixed order
        delta = deltas[key]
        if delta.quantity == 0:
            continue
        item_id, location_id, lot_key = key
        if delta.quantity < 0 and delta.guarded:
            takes.append((len(writes), key))
            params: tuple[int | None, ...] = (
                delta.quantity,
                item_id,
                location_id,
                lot_key,
                delta.quantity,
            )
            writes.append((_TAKE_BALANCE, params))
        else:
            params = (
                item_id,
                location_id,
                lot_key,
                delta.lot_id,
                delta.warehouse_id,
                delta.quantity,
            )
            writes.append((_ADD_BALANCES, params))
    changed = driver.counts(conn, writes)
    for index, key in takes:
        if changed[index] != 1:
            raise _insufficient(conn, key, deltas[key])


#: above this many balance rows a posting updates them set-based
BATCH_THRESHOLD = 16


def _apply_balances_batched(conn: Connection, deltas: dict[BalanceKey, _Delta]) -> None:
    """One upsert for all rows (in key order, so locks are still taken in a fixed order), then
    one check that no guarded row went below its reservation. The rows stay locked by our
    update until commit, so the check cannot be overtaken (no check-then-act)."""
    keys = sorted(k for k, d in deltas.items() if d.quantity != 0)
    rows, guarded = [], []
    for key in keys:
        delta = deltas[key]
        rows.append((*key, delta.lot_id, delta.warehouse_id, delta.quantity))
        if delta.guarded and delta.quantity < 0:
            guarded.append(key)
    driver.many(conn, _ADD_BALANCES, rows)
    for start in range(0, len(guarded), 500):
        chunk = guarded[start : start + 500]
        short = _first_short(conn, chunk)
        if short is not None:
            key = short
            delta = deltas[key]
            available = _available(conn, key) - delta.quantity  # before this batch
            line = delta.line
            raise InsufficientStock(
                f"not enough {line.item.code} at {delta.location_code}: "
                f"{from_scaled(-delta.quantity)} requested, {from_scaled(available)} available",
                item=line.item.code,
                location=delta.location_code,
                lot=line.lot.code if line.lot else None,
                requested=str(from_scaled(-delta.quantity)),
                available=str(from_scaled(available)),
            )


#: SQLite plans ``(a, b, c) IN (VALUES ...)`` as a scan of the whole table; a join from the
#: VALUES rows searches the primary key once per row, so the check costs what the batch costs
_SHORT_SQLITE = (
    "SELECT b.item_id, b.location_id, b.lot_key FROM (VALUES {rows}) AS k"
    " JOIN balances b ON b.item_id = k.column1 AND b.location_id = k.column2"
    " AND b.lot_key = k.column3 WHERE b.on_hand - b.reserved < 0 LIMIT 1"
)


def _first_short(conn: Connection, keys: list[BalanceKey]) -> BalanceKey | None:
    """The first of ``keys`` whose balance is below its reservation, if any."""
    if conn.dialect.name == "sqlite":
        sql = _SHORT_SQLITE.format(rows=",".join(["(?,?,?)"] * len(keys)))
        row = conn.exec_driver_sql(sql, tuple(x for key in keys for x in key)).first()
    else:
        row = conn.execute(
            select(balances.c.item_id, balances.c.location_id, balances.c.lot_key)
            .where(
                tuple_(balances.c.item_id, balances.c.location_id, balances.c.lot_key).in_(keys),
                balances.c.on_hand - balances.c.reserved < 0,
            )
            .limit(1)
        ).first()
    return (int(row[0]), int(row[1]), int(row[2])) if row is not None else None


def _available(conn: Connection, key: BalanceKey) -> int:
    item_id, location_id, lot_key = key
    value = conn.execute(
        select(balances.c.on_hand - balances.c.reserved).where(
            balances.c.item_id == item_id,
            balances.c.location_id == location_id,
            balances.c.lot_key == lot_key,
        )
    ).scalar()
    return int(value or 0)


def _insufficient(conn: Connection, key: BalanceKey, delta: _Delta) -> InsufficientStock:
    available = _available(conn, key)
    line = delta.line
    lot = f" lot {line.lot.code}" if line.lot else ""
    return InsufficientStock(
        f"not enough {line.item.code}{lot} at {delta.location_code}: "
        f"{from_scaled(-delta.quantity)} requested, {from_scaled(available)} available",
        item=line.item.code,
        location=delta.location_code,
        lot=line.lot.code if line.lot else None,
        requested=str(from_scaled(-delta.quantity)),
        available=str(from_scaled(available)),
    )


def change_reservation(conn: Connection, key: BalanceKey, quantity: int) -> None:
    """Reserve (``quantity`` > 0) or release (< 0); refuses more than available / reserved."""
    item_id, location_id, lot_key = key
    where = [
        balances.c.item_id == item_id,
        balances.c.location_id == location_id,
        balances.c.lot_key == lot_key,
    ]
    if quantity > 0:
        where.append(balances.c.on_hand - balances.c.reserved >= quantity)
    else:
        where.append(balances.c.reserved + quantity >= 0)
    result = conn.execute(
        update(balances).where(*where).values(reserved=balances.c.reserved + quantity)
    )
    if result.rowcount != 1:
        if quantity > 0:
            available = _available(conn, key)
            raise InsufficientStock(
                f"cannot reserve {from_scaled(quantity)}: {from_scaled(available)} available",
                requested=str(from_scaled(quantity)),
                available=str(from_scaled(available)),
            )
        raise RuleViolation(
            f"cannot release {from_scaled(-quantity)}: more than is reserved",
            code="release_exceeds_reserved",
        )


def check_limits(conn: Connection, lines: Sequence[MoveLine]) -> None:
    """Location capacity and one-place-only serials, read after our own balance updates (so a
    concurrent writer of the same rows waits for us)."""
    capacities = {ln.dest.id: ln.dest for ln in lines if ln.dest.capacity is not None}
    for location_id, location in sorted(capacities.items()):
        held = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0)).where(
                balances.c.location_id == location_id
            )
        ).scalar_one()
        if location.capacity is not None and int(held) > location.capacity:
            raise RuleViolation(
                f"location {location.code} holds at most {from_scaled(location.capacity)}",
                code="location_capacity_exceeded",
                location=location.code,
                capacity=str(from_scaled(location.capacity)),
                would_hold=str(from_scaled(int(held))),
            )
    serials = {ln.lot.id: ln for ln in lines if ln.lot is not None and ln.lot.is_serial}
    for lot_id, line in sorted(serials.items()):
        if not line.dest.kind.is_valued:
            continue
        in_stock = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.lot_id == lot_id, locations.c.kind.in_(_VALUED_KINDS))
        ).scalar_one()
        if int(in_stock) > SCALE:
            assert line.lot is not None
            raise RuleViolation(
                f"serial number {line.lot.code} of {line.item.code} is already in stock",
                code="serial_in_stock",
                item=line.item.code,
                serial=line.lot.code,
            )


_VALUED_KINDS = [str(kind) for kind in VALUED_KINDS]


#: a guarded decrement: no row changes when it would leave less than is reserved
_TAKE_BALANCE = (
    "UPDATE balances SET on_hand = on_hand + %s WHERE item_id = %s AND location_id = %s"
    " AND lot_key = %s AND on_hand - reserved + %s >= 0"
)
# fixed SQL for the driver (db/driver.py, ADR 0003 and 0009)
_ADD_BALANCES = (
    "INSERT INTO balances (item_id, location_id, lot_key, lot_id, warehouse_id, on_hand, reserved)"
    " VALUES (%s, %s, %s, %s, %s, %s, 0) ON CONFLICT (item_id, location_id, lot_key)"
    " DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
)
