"""Balances (item, location, lot -> on hand, reserved), kept in the posting transaction:
conditional decrements at guarded locations, upserts elsewhere, reservations, and the
capacity / serial limits read after our own updates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from cangku.db import arrays, driver
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
    quantity: int  # net change over the posting
    lowest: int  # lowest running change, in the posting's order (0 if it never dips)
    lot_id: int | None
    warehouse_id: int
    guarded: bool
    line: MoveLine
    location_code: str


# ------------------------------------------------------------------ balances
def apply_balances(conn: Connection, lines: Sequence[MoveLine]) -> None:
    """Apply the lines' changes to the balances, refusing any line that would take a guarded
    balance below its reservation at its place in the posting's order.

    A posting of many lines is checked at every intermediate point, not only on its net
    change: receive 10, issue 15, receive 10 dips to -5 after the issue and is refused
    exactly as the same lines posted one by one are (the refusal names that line,
    ``data.line_index``). Each key's lowest running change is what its balance must cover.
    """
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
                    0, 0, lot_id, location.warehouse_id, guarded, line, location.code
                )
            delta.quantity += change
            if delta.quantity < delta.lowest:
                delta.lowest = delta.quantity
    if len(deltas) > BATCH_THRESHOLD:
        _apply_balances_batched(conn, lines, deltas)
        return
    writes: list[tuple[str, tuple[int | None, ...]]] = []
    takes: list[tuple[int, BalanceKey]] = []  # (index in writes, key) of guarded decrements
    for key in sorted(deltas):  # key order: the row locks are taken in a fixed order
        delta = deltas[key]
        item_id, location_id, lot_key = key
        if delta.lowest < 0 and delta.guarded:
            takes.append((len(writes), key))
            params: tuple[int | None, ...] = (
                delta.quantity,
                item_id,
                location_id,
                lot_key,
                delta.lowest,
            )
            writes.append((_TAKE_BALANCE, params))
        elif delta.quantity != 0:
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
    refused = [key for index, key in takes if changed[index] != 1]
    if refused:  # those rows were not changed: what is there now is what there was
        raise _first_refusal(lines, deltas, {key: _available(conn, key) for key in refused})


#: above this many balance rows a posting updates them set-based
BATCH_THRESHOLD = 16


def _apply_balances_batched(
    conn: Connection, lines: Sequence[MoveLine], deltas: dict[BalanceKey, _Delta]
) -> None:
    """One upsert for all rows (in key order, so locks are still taken in a fixed order), then
    one check that no guarded row dipped below its reservation at any point of the posting
    (what is there now, less the net change, plus the lowest running change). The rows stay
    locked by our update until commit, so the check cannot be overtaken (no check-then-act)."""
    keys = sorted(k for k, d in deltas.items() if d.quantity != 0)
    rows = [
        (*key, deltas[key].lot_id, deltas[key].warehouse_id, deltas[key].quantity) for key in keys
    ]
    driver.many(conn, _ADD_BALANCES, rows)
    guarded = sorted(k for k, d in deltas.items() if d.guarded and d.lowest < 0)
    short: list[BalanceKey] = []
    # 4 values a key: 5,000 keys stay under SQLite's 32,766 variables, and a 5,000-line
    # document checks its balances in one statement
    for start in range(0, len(guarded), _SHORT_CHUNK):
        short.extend(_short_keys(conn, guarded[start : start + _SHORT_CHUNK], deltas))
    if short:
        before = {key: _available(conn, key) - deltas[key].quantity for key in short}
        raise _first_refusal(lines, deltas, before)


_SHORT_CHUNK = 5000


def _short_keys(
    conn: Connection, keys: list[BalanceKey], deltas: dict[BalanceKey, _Delta]
) -> list[BalanceKey]:
    """Those of ``keys`` whose balance before this posting does not cover its lowest point:
    available now - net change + lowest change < 0 (a missing row holds nothing)."""
    needs = [deltas[key].quantity - deltas[key].lowest for key in keys]
    if conn.dialect.name == "sqlite":
        sql = _SHORT_SQLITE.format(rows=",".join(["(?,?,?,?)"] * len(keys)))
        params: tuple[Any, ...] = tuple(
            x for key, need in zip(keys, needs, strict=True) for x in (*key, need)
        )
    else:
        # four array parameters: psycopg parses a statement's placeholders on the client, and
        # 20,000 of them (a VALUES list of 5,000 keys) took 0.8 s of a 5,000-line shipment
        sql = _SHORT_PG
        params = ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], needs)
    return [(int(r[0]), int(r[1]), int(r[2])) for r in conn.exec_driver_sql(sql, params)]


#: SQLite plans ``(a, b, c) IN (VALUES ...)`` as a scan of the whole table; a join from the
#: VALUES rows searches the primary key once per row, so the check costs what the batch costs
_SHORT_SQLITE = (
    "SELECT k.column1, k.column2, k.column3 FROM (VALUES {rows}) AS k"
    " LEFT JOIN balances b ON b.item_id = k.column1 AND b.location_id = k.column2"
    " AND b.lot_key = k.column3"
    " WHERE coalesce(b.on_hand, 0) - coalesce(b.reserved, 0) - k.column4 < 0"
)
_SHORT_PG = (
    "SELECT k.item_id, k.location_id, k.lot_key"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
    " AS k (item_id, location_id, lot_key, need)"
    " LEFT JOIN balances b ON b.item_id = k.item_id AND b.location_id = k.location_id"
    " AND b.lot_key = k.lot_key"
    " WHERE coalesce(b.on_hand, 0) - coalesce(b.reserved, 0) - k.need < 0"
)


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


def _first_refusal(
    lines: Sequence[MoveLine], deltas: dict[BalanceKey, _Delta], before: dict[BalanceKey, int]
) -> InsufficientStock:
    """The refusal of the first line, in the posting's order, that takes one of the ``before``
    keys (available before the posting) below zero: what posting the lines one by one says."""
    running = dict(before)
    deepest: tuple[int, MoveLine, BalanceKey, int] | None = None  # where a key is lowest
    for index, line in enumerate(lines):
        lot_key = line.lot.id if line.lot else 0
        for location, change in ((line.source, -line.quantity), (line.dest, line.quantity)):
            key = (line.item.id, location.id, lot_key)
            if key not in running:
                continue
            if running[key] + change < 0:
                return _insufficient(line, deltas[key].location_code, running[key], index)
            if (
                deepest is None
                and change < 0
                and running[key] + change - before[key] == deltas[key].lowest
            ):
                deepest = (index, line, key, running[key])
            running[key] += change
    # the balance was read after a concurrent writer changed it (READ COMMITTED): name the
    # line where the posting needed most, with what was there when it was refused
    assert deepest is not None
    index, line, key, available = deepest
    return _insufficient(line, deltas[key].location_code, available, index)


def _insufficient(
    line: MoveLine, location_code: str, available: int, index: int
) -> InsufficientStock:
    lot = f" lot {line.lot.code}" if line.lot else ""
    return InsufficientStock(
        f"not enough {line.item.code}{lot} at {location_code}: "
        f"{from_scaled(line.quantity)} requested, {from_scaled(available)} available",
        item=line.item.code,
        location=location_code,
        lot=line.lot.code if line.lot else None,
        requested=str(from_scaled(line.quantity)),
        available=str(from_scaled(available)),
        line_index=index,
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
    concurrent writer of the same rows waits for us), at every point of the posting's order:
    what is there now, less the posting's net change, plus its highest running change."""
    capacities = {ln.dest.id: ln.dest for ln in lines if ln.dest.capacity is not None}
    for location_id, location in sorted(capacities.items()):
        assert location.capacity is not None
        held = int(
            conn.execute(
                select(func.coalesce(func.sum(balances.c.on_hand), 0)).where(
                    balances.c.location_id == location_id
                )
            ).scalar_one()
        )
        changes = [
            ln.quantity * ((ln.dest.id == location_id) - (ln.source.id == location_id))
            for ln in lines
        ]
        at = _first_above(held - sum(changes), changes, location.capacity)
        if at is not None:
            index, would_hold = at
            raise RuleViolation(
                f"location {location.code} holds at most {from_scaled(location.capacity)}",
                code="location_capacity_exceeded",
                location=location.code,
                capacity=str(from_scaled(location.capacity)),
                would_hold=str(from_scaled(would_hold)),
                line_index=index,
            )
    serials = {ln.lot.id: ln for ln in lines if ln.lot is not None and ln.lot.is_serial}
    for lot_id, line in sorted(serials.items()):
        changes = [
            ln.quantity * (ln.dest.kind.is_valued - ln.source.kind.is_valued)
            if ln.lot is not None and ln.lot.id == lot_id
            else 0
            for ln in lines
        ]
        if max(changes) <= 0:
            continue
        in_stock = int(
            conn.execute(
                select(func.coalesce(func.sum(balances.c.on_hand), 0))
                .join(locations, locations.c.id == balances.c.location_id)
                .where(balances.c.lot_id == lot_id, locations.c.kind.in_(_VALUED_KINDS))
            ).scalar_one()
        )
        at = _first_above(in_stock - sum(changes), changes, SCALE)
        if at is not None:
            assert line.lot is not None
            raise RuleViolation(
                f"serial number {line.lot.code} of {line.item.code} is already in stock",
                code="serial_in_stock",
                item=line.item.code,
                serial=line.lot.code,
                line_index=at[0],
            )


def _first_above(start: int, changes: list[int], limit: int) -> tuple[int, int] | None:
    """The first (line index, running total) where ``start`` plus the running sum of
    ``changes`` goes above ``limit``, if it does."""
    running = start
    for index, change in enumerate(changes):
        running += change
        if change > 0 and running > limit:
            return index, running
    return None


_VALUED_KINDS = [str(kind) for kind in VALUED_KINDS]


#: a guarded change: no row changes when the posting's lowest point (the last parameter)
#: would leave less than is reserved
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
arrays.register(_ADD_BALANCES)


def available_of(conn: Connection, key: BalanceKey) -> int:
    """On hand less reserved of one balance (0 when there is none)."""
    return _available(conn, key)
