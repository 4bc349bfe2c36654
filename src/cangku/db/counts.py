"""The count session's rows (ADR 0025): the snapshot taken with the ledger's position, the
lines counters fill in, and the moves since the snapshot at each line's place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, literal, or_, select, update

from cangku.db.tables import (
    balances,
    categories,
    count_heads,
    count_lines,
    count_sessions,
    items,
    ledger_heads,
    locations,
    moves,
)
from cangku.domain.counts import Scope
from cangku.domain.enums import STORAGE_KINDS

__all__ = [
    "CountLineRow",
    "MoveSince",
    "add_lines",
    "lines_of",
    "moved_since",
    "moves_since",
    "scope_of",
    "set_counts",
    "start_session",
    "write_session",
]


def write_session(conn: Connection, document_id: int, scope: Scope, blind: bool) -> None:
    conn.execute(
        insert(count_sessions).values(
            document_id=document_id, blind=blind, scope=json.dumps(_scope_json(scope))
        )
    )


def _scope_json(scope: Scope) -> dict[str, Any]:
    return {
        "warehouse_id": scope.warehouse_id,
        "zones": list(scope.zones),
        "location_ids": list(scope.location_ids),
        "item_ids": list(scope.item_ids),
        "categories": list(scope.categories),
    }


def scope_of(conn: Connection, document_id: int) -> tuple[Scope, bool]:
    """The session's scope and whether it is blind."""
    row = conn.execute(
        select(count_sessions.c.scope, count_sessions.c.blind).where(
            count_sessions.c.document_id == document_id
        )
    ).one()
    data = json.loads(row[0])
    scope = Scope(
        int(data["warehouse_id"]),
        tuple(data["zones"]),
        tuple(int(x) for x in data["location_ids"]),
        tuple(int(x) for x in data["item_ids"]),
        tuple(data["categories"]),
    )
    return scope, bool(row[1])


def _in_scope(scope: Scope) -> list[Any]:
    conditions: list[Any] = [
        locations.c.warehouse_id == scope.warehouse_id,
        locations.c.kind.in_(sorted(str(k) for k in STORAGE_KINDS)),
    ]
    if scope.location_ids:
        conditions.append(locations.c.id.in_(scope.location_ids))
    if scope.zones:
        conditions.append(or_(*(locations.c.path.startswith(zone) for zone in scope.zones)))
    if scope.item_ids:
        conditions.append(items.c.id.in_(scope.item_ids))
    if scope.categories:
        conditions.append(or_(*(categories.c.path.startswith(c) for c in scope.categories)))
    return conditions


def start_session(conn: Connection, document_id: int, scope: Scope, now: datetime) -> int:
    """Take the snapshot: every warehouse's ledger position (its rows locked for share, so a
    posting in flight commits first and the next waits until this transaction ends: the
    balances read next and the position agree), then the scope's non-zero balances as the
    count's lines. Answers how many lines the snapshot made."""
    heads_query = select(ledger_heads.c.warehouse_id, ledger_heads.c.last_seq).order_by(
        ledger_heads.c.warehouse_id
    )
    if conn.dialect.name == "postgresql":
        heads_query = heads_query.with_for_update(read=True)
    heads = conn.execute(heads_query).all()
    if heads:
        conn.execute(
            insert(count_heads),
            [{"document_id": document_id, "warehouse_id": w, "last_seq": seq} for w, seq in heads],
        )
    source = (
        select(
            literal(document_id),
            balances.c.item_id,
            balances.c.location_id,
            balances.c.lot_key,
            balances.c.lot_id,
            balances.c.on_hand,
        )
        .join_from(balances, locations, locations.c.id == balances.c.location_id)
        .join(items, items.c.id == balances.c.item_id)
        .outerjoin(categories, categories.c.id == items.c.category_id)
        .where(balances.c.on_hand != 0, *_in_scope(scope))
    )
    conn.execute(
        insert(count_lines).from_select(
            ["document_id", "item_id", "location_id", "lot_key", "lot_id", "expected"], source
        )
    )
    conn.execute(
        update(count_sessions)
        .where(count_sessions.c.document_id == document_id)
        .values(snapshot_at=now)
    )
    # counted, not the insert's rowcount: PostgreSQL's driver answers -1 for INSERT ... SELECT
    made = select(func.count()).where(count_lines.c.document_id == document_id)
    return int(conn.execute(made).scalar_one())


@dataclass(frozen=True)
class CountLineRow:
    id: int
    item_id: int
    location_id: int
    lot_key: int
    lot_id: int | None
    expected: int
    in_snapshot: bool
    counted: int | None
    counted_by: int | None
    round: int
    earlier_counter_id: int | None
    moved: int | None
    unit_cost: int | None


def lines_of(conn: Connection, document_id: int) -> list[CountLineRow]:
    rows = conn.execute(
        select(
            count_lines.c.id,
            count_lines.c.item_id,
            count_lines.c.location_id,
            count_lines.c.lot_key,
            count_lines.c.lot_id,
            count_lines.c.expected,
            count_lines.c.in_snapshot,
            count_lines.c.counted,
            count_lines.c.counted_by,
            count_lines.c.round,
            count_lines.c.earlier_counter_id,
            count_lines.c.moved,
            count_lines.c.unit_cost,
        )
        .where(count_lines.c.document_id == document_id)
        .order_by(count_lines.c.id)
    )
    return [CountLineRow(*r) for r in rows]  # type: ignore[call-arg]


def add_lines(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Lines found that the snapshot did not expect (expected 0), with their counts."""
    if rows:
        conn.execute(insert(count_lines), [{**r, "in_snapshot": False} for r in rows])


def set_counts(conn: Connection, changes: Sequence[dict[str, Any]]) -> None:
    """Each change names ``line_id`` and the columns to set (one statement per shape)."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    for shape, rows in by_shape.items():
        values: dict[str, Any] = {key: bindparam(f"v_{key}") for key in shape if key != "line_id"}
        stmt = update(count_lines).where(count_lines.c.id == bindparam("line_id")).values(**values)
        conn.execute(
            stmt,
            [
                {"line_id": r["line_id"], **{f"v_{k}": r[k] for k in shape if k != "line_id"}}
                for r in rows
            ],
        )


def _since() -> tuple[Any, Any, list[Any]]:
    """The moves after the snapshot's ledger position that touched each line's place (item,
    lot, location) before it was counted: (the signed quantity, the join, the conditions)."""
    line = count_lines
    head = func.coalesce(count_heads.c.last_seq, 0)
    signed = case(
        (moves.c.to_location_id == line.c.location_id, moves.c.quantity), else_=-moves.c.quantity
    )
    joined = line.join(
        moves,
        and_(
            moves.c.item_id == line.c.item_id,
            func.coalesce(moves.c.lot_id, 0) == line.c.lot_key,
            or_(
                moves.c.to_location_id == line.c.location_id,
                moves.c.from_location_id == line.c.location_id,
            ),
        ),
    ).outerjoin(
        count_heads,
        and_(
            count_heads.c.document_id == line.c.document_id,
            count_heads.c.warehouse_id == moves.c.warehouse_id,
        ),
    )
    conditions = [
        moves.c.seq > head,
        # after the place was counted, a move changes the shelf and the books alike
        or_(line.c.counted_at.is_(None), moves.c.recorded_at <= line.c.counted_at),
    ]
    return signed, joined, conditions


def moved_since(conn: Connection, document_id: int) -> dict[int, int]:
    """Per count line: the net quantity the moves after the snapshot's ledger position, and
    before the place was counted, brought to it (in - out). A warehouse whose chain had no head
    yet counts all its moves."""
    signed, joined, conditions = _since()
    rows = conn.execute(
        select(count_lines.c.id, func.sum(signed))
        .select_from(joined)
        .where(count_lines.c.document_id == document_id, *conditions)
        .group_by(count_lines.c.id)
    )
    return {int(r[0]): int(r[1] or 0) for r in rows}


@dataclass(frozen=True)
class MoveSince:
    """A move that changed a line's place between the snapshot and its count."""

    line_id: int
    move_id: int
    recorded_at: datetime
    operation: str
    #: base units, scaled: + into the place, - out of it
    quantity: int


def moves_since(conn: Connection, document_id: int) -> dict[int, list[MoveSince]]:
    """The moves ``moved_since`` adds up, per count line, oldest first (one statement)."""
    signed, joined, conditions = _since()
    rows = conn.execute(
        select(count_lines.c.id, moves.c.id, moves.c.recorded_at, moves.c.operation, signed)
        .select_from(joined)
        .where(count_lines.c.document_id == document_id, *conditions)
        .order_by(count_lines.c.id, moves.c.id)
    )
    out: dict[int, list[MoveSince]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(
            MoveSince(int(r[0]), int(r[1]), r[2], str(r[3]), int(r[4]))
        )
    return out
