"""The ledger store: append moves, update balances and costs, extend the hash chain.

One transaction posts a batch of moves (a single move is a batch of one). Locks are taken in a
fixed order so concurrent writers never deadlock (ADR 0003):

1. balance rows, sorted by (item, location, lot) — conditional updates, never check-then-act;
2. cost rows (item_costs, then that item's open FIFO layers), sorted by item;
3. ledger heads (one hash chain per warehouse), sorted by warehouse.

Nothing here commits: the service that opened the unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from cangku.db.balances import apply_balances, check_limits
from cangku.db.costs import INSERT_LAYERS, apply_costs
from cangku.db.statements import execute_many, for_update, statements
from cangku.db.tables import (
    checkpoints,
    ledger_heads,
    moves,
    periods,
)
from cangku.db.types import to_micros
from cangku.domain.errors import RuleViolation
from cangku.domain.hashing import MOVE_HASH_FIELDS, move_hash_values
from cangku.domain.stock import MoveLine, check_effective_time


def closed_through(conn: Connection) -> date | None:
    result: date | None = conn.execute(select(func.max(periods.c.closed_through))).scalar()
    return result


def post(conn: Connection, lines: Sequence[MoveLine], user_id: int, now: datetime) -> list[int]:
    """Post ``lines`` as moves; return their ids in order. Raises domain errors; writes nothing
    that survives if it raises (the caller's transaction is rolled back)."""
    if not lines:
        return []
    closed = closed_through(conn)
    for line in lines:
        line.effective_at = (line.effective_at or now).astimezone(UTC)
        check_effective_time(line.effective_at, now, closed)
    apply_balances(conn, lines)
    check_limits(conn, lines)
    costs, new_layers = apply_costs(conn, lines)
    chains = sorted({line.chain_warehouse_id for line in lines})
    heads = _lock_heads(conn, chains)
    closed_now = closed_through(conn)
    if closed_now != closed:  # a period was closed while we waited for the heads
        for line in lines:
            assert line.effective_at is not None
            check_effective_time(line.effective_at, now, closed_now)
    sqlite = conn.dialect.name == "sqlite"
    recorded = to_micros(now) if sqlite else now
    rows: list[tuple[Any, ...]] = []
    for line, (unit_cost, value) in zip(lines, costs, strict=True):
        warehouse_id = line.chain_warehouse_id
        seq, prev = heads[warehouse_id]
        seq += 1
        fields = (
            warehouse_id,
            seq,
            line.item.id,
            line.lot.id if line.lot else None,
            line.quantity,
            line.source.id,
            line.dest.id,
            unit_cost,
            value,
            line.effective_at,
            now,
            line.operation.value,
            line.reason_code,
            line.document_type,
            line.document_id,
            line.document_line,
            user_id,
            line.reverses_move_id,
            line.note,
        )  # in MOVE_HASH_FIELDS order, which is also the table's column order
        digest = move_hash_values(fields, prev)
        heads[warehouse_id] = (seq, digest)
        if sqlite:  # UTCDateTime's SQLite form: integer microseconds since the epoch
            effective = to_micros(line.effective_at)  # type: ignore[arg-type]
            rows.append((*fields[:9], effective, recorded, *fields[11:], prev, digest))
        else:
            rows.append((*fields, prev, digest))
    ids = _insert_moves(conn, rows, sqlite)
    if new_layers:
        execute_many(
            conn,
            INSERT_LAYERS,
            [
                (
                    lines[index].item.id,
                    ids[index],
                    lines[index].quantity,
                    layer.unit_cost,
                    layer.remaining_qty,
                    layer.remaining_value,
                )
                for index, layer in new_layers
            ],
        )
    for warehouse_id, (seq, last_hash) in heads.items():
        conn.execute(
            update(ledger_heads)
            .where(ledger_heads.c.warehouse_id == warehouse_id)
            .values(last_seq=seq, last_hash=last_hash)
        )
    earliest = min(line.effective_at for line in lines if line.effective_at is not None)
    conn.execute(
        update(checkpoints)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of >= earliest)
        .values(valid=False)
    )
    return ids


_MOVE_COLUMNS = ("id", *MOVE_HASH_FIELDS, "prev_hash", "hash")
assert set(_MOVE_COLUMNS) == {c.name for c in moves.columns}
# built once from the table's own column names: no user input reaches this text
_INSERT_MOVES = (
    f"INSERT INTO moves ({', '.join(_MOVE_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_MOVE_COLUMNS))})"
)
_INSERT_SQLITE = _INSERT_MOVES.replace("%s", "?")
_INSERT_ONE = (
    f"INSERT INTO moves ({', '.join(_MOVE_COLUMNS[1:])}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(_MOVE_COLUMNS) - 1))}) RETURNING id"
)
_INSERT_ONE_SQLITE = _INSERT_ONE.replace("%s", "?")


def _insert_moves(conn: Connection, rows: list[tuple[Any, ...]], sqlite: bool) -> list[int]:
    """Append ``rows`` (every column but the id): one with RETURNING, many with one
    driver-level executemany and ids allocated up front."""
    if len(rows) == 1:
        sql = _INSERT_ONE_SQLITE if sqlite else _INSERT_ONE
        return [int(conn.exec_driver_sql(sql, rows[0]).scalar_one())]
    ids = _allocate_ids(conn, len(rows))
    sql = _INSERT_SQLITE if sqlite else _INSERT_MOVES
    conn.exec_driver_sql(sql, [(move_id, *row) for move_id, row in zip(ids, rows, strict=True)])
    return ids


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    """Ids for ``count`` new moves. SQLite: we are the only writer (BEGIN IMMEDIATE), so the
    next ids follow the largest; PostgreSQL: drawn from the table's sequence."""
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('moves', 'id')) FROM generate_series(1, %(n)s)",
            {"n": count},
        )
        return sorted(int(r[0]) for r in result)
    last = conn.execute(select(func.max(moves.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


# ------------------------------------------------------------------ chain heads
def _lock_heads(conn: Connection, warehouse_ids: list[int]) -> dict[int, tuple[int, str]]:
    heads = {
        row.warehouse_id: (row.last_seq, row.last_hash)
        for row in conn.execute(statements(conn).lock_heads, {"ids": warehouse_ids})
    }
    missing = set(warehouse_ids) - set(heads)
    if missing:
        raise RuleViolation("warehouse has no ledger head", code="ledger_head_missing")
    return heads


def lock_all_heads(conn: Connection) -> None:
    """Serialise with every poster (closing a period, taking a checkpoint)."""
    stmt = select(ledger_heads.c.warehouse_id).order_by(ledger_heads.c.warehouse_id)
    conn.execute(for_update(conn, stmt)).all()
