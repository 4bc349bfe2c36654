"""Reservation rows (``allocations``) and the balances' reserved figures they add up to, a set at
a time: read, add, take off, tie to pick list lines.

A balance's ``reserved`` is the sum of its allocation rows: every function here that adds,
moves or removes rows changes ``reserved`` by the same amounts in the same transaction
(``verify`` proves the two agree).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    any_,
    bindparam,
    cast,
    delete,
    select,
    update,
)

from cangku.db import arrays, driver
from cangku.db.tables import allocations
from cangku.db.types import to_micros
from cangku.db.uow import RetryableConflict

__all__ = [
    "ALLOCATION_ROW",
    "AllocationRow",
    "add_allocations",
    "allocations_of",
    "bare_allocations",
    "change_reserved",
    "clear_pick_lines",
    "members",
    "remove_allocations",
    "set_pick_lines",
]

#: ids per IN list on SQLite (its limit is 32,766 variables); PostgreSQL takes one array
_CHUNK = 30000


def members(conn: Connection, column: Any, ids: Sequence[int]) -> Iterator[Any]:
    """``column`` in ``ids``, as few conditions as the engine allows: one ``= ANY(array)`` on
    PostgreSQL, IN lists of up to ``_CHUNK`` on SQLite. A step's statements so stay the same
    in number for 5 lines or 10,000."""
    if not ids:
        return
    if conn.dialect.name == "postgresql":
        yield column == any_(cast(bindparam("ids", list(ids), expanding=False), ARRAY(BigInteger)))
        return
    for start in range(0, len(ids), _CHUNK):
        yield column.in_(ids[start : start + _CHUNK])


@dataclass(frozen=True)
class AllocationRow:
    id: int
    document_id: int | None
    line_id: int | None
    item_id: int
    location_id: int
    lot_id: int | None
    warehouse_id: int
    quantity: int
    pick_line_id: int | None


#: the columns of an ``AllocationRow``, in its order
ALLOCATION_ROW = select(
    allocations.c.id,
    allocations.c.document_id,
    allocations.c.line_id,
    allocations.c.item_id,
    allocations.c.location_id,
    allocations.c.lot_id,
    allocations.c.warehouse_id,
    allocations.c.quantity,
    allocations.c.pick_line_id,
)


def allocations_of(
    conn: Connection,
    document_ids: Sequence[int] = (),
    pick_line_ids: Sequence[int] = (),
) -> list[AllocationRow]:
    """The reservation rows of documents (or of pick list lines), in id order."""
    out: list[AllocationRow] = []
    for column, wanted in (
        (allocations.c.document_id, sorted(set(document_ids))),
        (allocations.c.pick_line_id, sorted(set(pick_line_ids))),
    ):
        for member in members(conn, column, wanted):
            rows = conn.execute(ALLOCATION_ROW.where(member).order_by(allocations.c.id))
            out.extend(AllocationRow(*r) for r in rows)
    return out


def bare_allocations(
    conn: Connection, item_id: int, location_id: int, lot_key: int
) -> list[AllocationRow]:
    """The reservations without a document on a balance (the stock.reserve operation's)."""
    rows = conn.execute(
        ALLOCATION_ROW.where(
            allocations.c.document_id.is_(None),
            allocations.c.item_id == item_id,
            allocations.c.location_id == location_id,
            allocations.c.lot_key == lot_key,
        ).order_by(allocations.c.id)
    )
    return [AllocationRow(*r) for r in rows]


def add_allocations(
    conn: Connection, rows: Sequence[dict[str, Any]], user_id: int, now: datetime
) -> None:
    """Insert reservation rows (item_id, location_id, lot_id, warehouse_id, quantity and
    maybe document_id, line_id, pick_line_id) and add them to their balances' reserved, each
    balance guarded: never more reserved than on hand minus what was reserved already. A
    balance that no longer covers its rows (a posting or another request took the stock since
    it was read) raises a retryable conflict: the step runs again on what is there now."""
    if not rows:
        return
    stamp = to_micros(now) if conn.dialect.name == "sqlite" else now
    driver.many(
        conn,
        _INSERT_ALLOCATION,
        [
            (
                row.get("document_id"),
                row.get("line_id"),
                row["item_id"],
                row["location_id"],
                row["lot_id"] or 0,
                row["lot_id"],
                row["warehouse_id"],
                row["quantity"],
                row.get("pick_line_id"),
                stamp,
                user_id,
            )  # fmt: skip
            for row in rows
        ],
    )
    deltas: dict[tuple[int, int, int], int] = {}
    for row in rows:
        key = (row["item_id"], row["location_id"], row["lot_id"] or 0)
        deltas[key] = deltas.get(key, 0) + row["quantity"]
    if change_reserved(conn, deltas) != len(deltas):
        raise RetryableConflict(
            "the stock being allocated changed meanwhile; try again", code="allocation_raced"
        )


#: fixed SQL for the driver (ADR 0009); batches of 32 rows or more run over arrays on
#: PostgreSQL (``db.arrays``)
_INSERT_ALLOCATION = arrays.register(
    "INSERT INTO allocations (document_id, line_id, item_id, location_id, lot_key, lot_id,"
    " warehouse_id, quantity, pick_line_id, created_at, created_by)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_SET_PICK_LINE = arrays.register("UPDATE allocations SET pick_line_id = %s WHERE id = %s")


def remove_allocations(
    conn: Connection, rows: Sequence[AllocationRow | tuple[AllocationRow, int]]
) -> None:
    """Take reservation rows off (a row, or (row, quantity) for part of one) and their
    quantities off their balances' reserved."""
    whole = [r for r in rows if isinstance(r, AllocationRow)]
    parts = [r for r in rows if not isinstance(r, AllocationRow)]
    deltas: dict[tuple[int, int, int], int] = {}
    for row in whole:
        key = (row.item_id, row.location_id, row.lot_id or 0)
        deltas[key] = deltas.get(key, 0) - row.quantity
    ids = sorted(row.id for row in whole)
    for member in members(conn, allocations.c.id, ids):
        conn.execute(delete(allocations).where(member))
    for row, quantity in parts:
        key = (row.item_id, row.location_id, row.lot_id or 0)
        deltas[key] = deltas.get(key, 0) - quantity
        conn.execute(
            update(allocations)
            .where(allocations.c.id == row.id)
            .values(quantity=allocations.c.quantity - quantity)
        )
    if change_reserved(conn, deltas) != len([d for d in deltas.values() if d]):
        raise AssertionError("a balance holds less reserved than its allocation rows")


def set_pick_lines(conn: Connection, pairs: Sequence[tuple[int, int]]) -> None:
    """(allocation id, pick line id): the rows a pick list now picks."""
    if pairs:
        driver.many(conn, _SET_PICK_LINE, [(line, row) for row, line in pairs])


def clear_pick_lines(conn: Connection, pick_line_ids: Sequence[int]) -> None:
    wanted = sorted(set(pick_line_ids))
    for member in members(conn, allocations.c.pick_line_id, wanted):
        conn.execute(update(allocations).where(member).values(pick_line_id=None))


def change_reserved(conn: Connection, deltas: dict[tuple[int, int, int], int]) -> int:
    """Add each delta to its balance's reserved, in key order, guarded (never below zero,
    never above on hand); answers how many balances changed (a guarded one that did not is
    left as it was)."""
    keys = sorted(k for k, d in deltas.items() if d)
    changed = 0
    size = (len(keys) or 1) if conn.dialect.name == "postgresql" else _CHUNK // 4
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        if conn.dialect.name == "postgresql":
            columns = list(zip(*((*k, deltas[k]) for k in chunk), strict=True))
            changed += driver.count(conn, _CHANGE_PG, [list(c) for c in columns])
        else:
            sql = _CHANGE_SQLITE.format(rows=",".join(["(%s,%s,%s,%s)"] * len(chunk)))
            params = [x for k in chunk for x in (*k, deltas[k])]
            changed += driver.count(conn, sql, params)
    return changed


_CHANGE_PG = (
    "UPDATE balances AS b SET reserved = b.reserved + u.q"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS u(i, l, k, q)"
    " WHERE b.item_id = u.i AND b.location_id = u.l AND b.lot_key = u.k"
    " AND b.reserved + u.q >= 0 AND (u.q <= 0 OR b.on_hand - b.reserved >= u.q)"
)
#: ``{rows}`` is a run of ``(%s,%s,%s,%s)`` placeholders, never input
_CHANGE_SQLITE = (
    "UPDATE balances AS b SET reserved = b.reserved + k.column4 FROM (VALUES {rows}) AS k"
    " WHERE b.item_id = k.column1 AND b.location_id = k.column2 AND b.lot_key = k.column3"
    " AND b.reserved + k.column4 >= 0"
    " AND (k.column4 <= 0 OR b.on_hand - b.reserved >= k.column4)"
)
