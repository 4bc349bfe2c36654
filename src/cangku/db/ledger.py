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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db import arrays, driver
from cangku.db.balances import apply_balances, check_limits
from cangku.db.costs import INSERT_CORRECTIONS, INSERT_LAYERS, apply_costs
from cangku.db.statements import for_update
from cangku.db.tables import (
    ledger_heads,
    moves,
    periods,
)
from cangku.db.types import to_micros
from cangku.db.uow import mark_posted
from cangku.domain.costing import Layer
from cangku.domain.errors import RuleViolation
from cangku.domain.hashing import MOVE_HASH_FIELDS, move_hash_micros
from cangku.domain.stock import MoveLine, check_effective_time


def closed_through(conn: Connection) -> date | None:
    result: date | None = conn.execute(select(func.max(periods.c.closed_through))).scalar()
    return result


@dataclass(frozen=True)
class Posted:
    """What the ledger made of one line: the move's id, its place in its warehouse's chain,
    its cost and value (scaled) and its hash."""

    id: int
    seq: int
    unit_cost: int
    value: int
    hash: str


def post(conn: Connection, lines: Sequence[MoveLine], user_id: int, now: datetime) -> list[int]:
    """Post ``lines`` as moves; return their ids in order (see ``post_lines``)."""
    return [posted.id for posted in post_lines(conn, lines, user_id, now)]


def post_lines(
    conn: Connection, lines: Sequence[MoveLine], user_id: int, now: datetime
) -> list[Posted]:
    """Post ``lines`` as moves; return what was posted, in order. Raises domain errors; writes
    nothing that survives if it raises (the caller's transaction is rolled back).

    The closed period is read with the chain heads, once they are locked (closing a period locks
    every head, so it cannot move under us): a posting into a closed period is refused there,
    after the balance and cost work that a refusal rolls back.
    """
    if not lines:
        return []
    mark_posted(conn)
    for line in lines:
        line.effective_at = (line.effective_at or now).astimezone(UTC)
        check_effective_time(line.effective_at, now, None)
    apply_balances(conn, lines)
    check_limits(conn, lines)
    tail = driver.Tail()  # writes nobody waits for: one round trip on PostgreSQL
    costed = apply_costs(conn, lines, tail)
    costs, new_layers = costed.costs, costed.new_layers
    chains = sorted({line.chain_warehouse_id for line in lines})
    heads, closed = _lock_heads(conn, chains)
    if closed is not None:
        for line in lines:
            assert line.effective_at is not None
            check_effective_time(line.effective_at, now, closed)
    sqlite = conn.dialect.name == "sqlite"
    recorded_us = to_micros(now)
    recorded = recorded_us if sqlite else now
    rows: list[tuple[Any, ...]] = []
    chained: list[tuple[int, int, int, str]] = []  # seq, unit cost, value, hash per line
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
        effective = to_micros(line.effective_at)  # type: ignore[arg-type]
        digest = move_hash_micros(fields, effective, recorded_us, prev)
        heads[warehouse_id] = (seq, digest)
        chained.append((seq, unit_cost, value, digest))
        if sqlite:  # UTCDateTime's SQLite form: integer microseconds since the epoch
            rows.append((*fields[:9], effective, recorded, *fields[11:], prev, digest))
        else:
            rows.append((*fields, prev, digest))
    tail.add(_UPDATE_HEAD, [(last, digest, w) for w, (last, digest) in heads.items()])
    earliest = min(line.effective_at for line in lines if line.effective_at is not None)
    tail.add(
        _INVALIDATE_SQLITE if sqlite else _INVALIDATE,
        [(to_micros(earliest) if sqlite else earliest,)],
    )
    if len(rows) == 1 and not sqlite and not costed.corrections:
        # the move (and its layer) go in the tail's round trip
        sql, params = _INSERT_ONE, rows[0]
        if new_layers:
            layer = new_layers[0][1]
            sql = _INSERT_ONE_WITH_LAYER
            params = (*params, lines[0].item.id, lines[0].quantity, *_layer_figures(layer))
        ids = [int(tail.run(conn, first=(sql, params))[0][0])]
        return [Posted(ids[0], *chained[0])]
    ids = _insert_moves(conn, rows)
    tail.add(
        INSERT_LAYERS,
        [
            (lines[index].item.id, ids[index], lines[index].quantity, *_layer_figures(layer))
            for index, layer in new_layers
        ],
    )
    tail.add(
        INSERT_CORRECTIONS,
        [
            (lines[index].item.id, ids[index], settled, amount)
            for index, settled, amount in costed.corrections
        ],
    )
    tail.run(conn)
    return [Posted(move_id, *chain) for move_id, chain in zip(ids, chained, strict=True)]


def _layer_figures(layer: Layer) -> tuple[int, int, int]:
    return layer.unit_cost, layer.remaining_qty, layer.remaining_value


_MOVE_COLUMNS = ("id", *MOVE_HASH_FIELDS, "prev_hash", "hash")
assert set(_MOVE_COLUMNS) == {c.name for c in moves.columns}
# built once from the table's own column names: no user input reaches this text
_INSERT_MOVES = arrays.register(
    f"INSERT INTO moves ({', '.join(_MOVE_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_MOVE_COLUMNS))})"
)
_INSERT_ONE = (
    f"INSERT INTO moves ({', '.join(_MOVE_COLUMNS[1:])}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(_MOVE_COLUMNS) - 1))}) RETURNING id"
)
#: PostgreSQL: a move and the FIFO layer it opens, in one statement (the layer needs its id)
_INSERT_ONE_WITH_LAYER = (
    f"WITH m AS ({_INSERT_ONE}) INSERT INTO cost_layers"  # noqa: S608
    " (item_id, move_id, quantity, unit_cost,"
    " remaining_qty, remaining_value) SELECT %s, m.id, %s, %s, %s, %s FROM m RETURNING move_id"
)


def _insert_moves(conn: Connection, rows: list[tuple[Any, ...]]) -> list[int]:
    """Append ``rows`` (every column but the id): one with RETURNING, many with one
    driver-level executemany and ids allocated up front."""
    if len(rows) == 1:
        return [int(driver.rows(conn, _INSERT_ONE, rows[0])[0][0])]
    ids = _allocate_ids(conn, len(rows))
    driver.many(
        conn, _INSERT_MOVES, [(move_id, *row) for move_id, row in zip(ids, rows, strict=True)]
    )
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
def _lock_heads(
    conn: Connection, warehouse_ids: list[int]
) -> tuple[dict[int, tuple[int, str]], date | None]:
    """Lock the chain heads of ``warehouse_ids`` (in id order) and read the closed period."""
    marks = ", ".join(["%s"] * len(warehouse_ids))
    lock = " FOR UPDATE OF h" if conn.dialect.name == "postgresql" else ""
    found = driver.rows(
        conn,
        # built from fixed text and a count of placeholders: no input reaches the SQL
        "SELECT h.warehouse_id, h.last_seq, h.last_hash,"  # noqa: S608
        " (SELECT max(p.closed_through) FROM periods p)"
        f" FROM ledger_heads h WHERE h.warehouse_id IN ({marks}) ORDER BY h.warehouse_id{lock}",
        warehouse_ids,
    )
    heads = {int(row[0]): (int(row[1]), str(row[2])) for row in found}
    if set(warehouse_ids) - set(heads):
        raise RuleViolation("warehouse has no ledger head", code="ledger_head_missing")
    closed = found[0][3]
    if isinstance(closed, str):  # SQLite keeps a DATE as ISO text
        closed = date.fromisoformat(closed)
    return heads, closed


_UPDATE_HEAD = "UPDATE ledger_heads SET last_seq = %s, last_hash = %s WHERE warehouse_id = %s"
#: a move on or before a checkpoint's instant makes that checkpoint wrong (DESIGN 3)
_INVALIDATE = "UPDATE checkpoints SET valid = false WHERE valid AND as_of >= %s"
_INVALIDATE_SQLITE = "UPDATE checkpoints SET valid = 0 WHERE valid = 1 AND as_of >= %s"


def lock_all_heads(conn: Connection) -> None:
    """Serialise with every poster (closing a period, taking a checkpoint)."""
    stmt = select(ledger_heads.c.warehouse_id).order_by(ledger_heads.c.warehouse_id)
    conn.execute(for_update(conn, stmt)).all()
