"""The count session's rows (ADR 0025): the snapshot taken with the ledger's position, the
lines counters fill in, and the moves since the snapshot at each line's place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    String,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)

from cangku.db import arrays, driver
from cangku.db.cycle_counts import plan_places
from cangku.db.tables import (
    balances,
    categories,
    count_heads,
    count_lines,
    count_plan_places,
    count_sessions,
    items,
    ledger_heads,
    locations,
)
from cangku.db.types import UTCDateTime, to_micros
from cangku.domain.counts import Scope
from cangku.domain.enums import STORAGE_KINDS

__all__ = [
    "CountLineRow",
    "LineNames",
    "MoveSince",
    "add_lines",
    "lines_at",
    "lines_by_ids",
    "lines_of",
    "named_lines",
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
        # a plan's places are rows of count_plan_places, not JSON
        "plan": scope.plan,
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
        bool(data.get("plan", False)),
        plan_places(conn, document_id) if data.get("plan") else frozenset(),
    )
    return scope, bool(row[1])


def _in_scope(scope: Scope, document_id: int) -> list[Any]:
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
    if scope.plan:
        planned = count_plan_places.c
        conditions.append(
            exists().where(
                planned.document_id == document_id,
                planned.item_id == items.c.id,
                planned.location_id == locations.c.id,
            )
        )
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
        .where(balances.c.on_hand != 0, *_in_scope(scope, document_id))
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


_LINE_COLUMNS = ", ".join(
    f"l.{name}"
    for name in ("id", "item_id", "location_id", "lot_key", "lot_id", "expected", "in_snapshot",
                 "counted", "counted_by", "round", "earlier_counter_id", "moved", "unit_cost")
)  # fmt: skip
#: a count's lines at given places: on SQLite a join from the VALUES rows searches the lines'
#: unique (document, item, location, lot) index once per place; on PostgreSQL three arrays
_AT_SQLITE = (
    f"SELECT {_LINE_COLUMNS} FROM (VALUES {{rows}}) AS k JOIN count_lines l"  # noqa: S608
    " ON l.document_id = %s AND l.item_id = k.column1 AND l.location_id = k.column2"
    " AND l.lot_key = k.column3"
)
_AT_PG = (
    f"SELECT {_LINE_COLUMNS} FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])"  # noqa: S608
    " AS k (item_id, location_id, lot_key) JOIN count_lines l ON l.document_id = %s"
    " AND l.item_id = k.item_id AND l.location_id = k.location_id AND l.lot_key = k.lot_key"
)
#: places per statement on SQLite (3 parameters a place, under its 32,766)
_CHUNK = 5000


def _line_row(r: Sequence[Any]) -> CountLineRow:
    # the driver's rows: SQLite answers a boolean as 0 / 1
    return CountLineRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), *r[7:13])


def lines_of(conn: Connection, document_id: int) -> list[CountLineRow]:
    """The count's lines, by id (one statement, on the driver: 50,000 rows through SQLAlchemy's
    result processing took 0.3 s)."""
    sql = f"SELECT {_LINE_COLUMNS} FROM count_lines l WHERE l.document_id = %s ORDER BY l.id"  # noqa: S608
    return [_line_row(r) for r in driver.rows(conn, sql, (document_id,))]


def lines_at(
    conn: Connection, document_id: int, places: Sequence[tuple[int, int, int]]
) -> list[CountLineRow]:
    """The count's lines at ``places`` (item, location, lot key), those that exist: what a
    batch of entries touches, not the whole count. One statement (SQLite: per 5,000)."""
    wanted = sorted(set(places))
    if conn.dialect.name == "postgresql":
        columns = ([p[0] for p in wanted], [p[1] for p in wanted], [p[2] for p in wanted])
        return [_line_row(r) for r in driver.rows(conn, _AT_PG, (*columns, document_id))]
    out = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        sql = _AT_SQLITE.format(rows=",".join(["(%s,%s,%s)"] * len(chunk)))
        params = [x for place in chunk for x in place]
        out += [_line_row(r) for r in driver.rows(conn, sql, (*params, document_id))]
    return out


def lines_by_ids(conn: Connection, document_id: int, ids: Sequence[int]) -> list[CountLineRow]:
    """The count's lines among ``ids`` (an id of another count's line is left out): one
    statement per 5,000. An id no BIGINT holds is no line (and never reaches the driver)."""
    wanted = sorted({i for i in ids if 0 < i < 2**63})
    out = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        sql = (
            f"SELECT {_LINE_COLUMNS} FROM count_lines l WHERE l.document_id = %s"  # noqa: S608
            f" AND l.id IN ({', '.join(['%s'] * len(chunk))})"
        )
        out += [_line_row(r) for r in driver.rows(conn, sql, (document_id, *chunk))]
    return out


#: the lines as a counter walks the shelves: by location, item and lot code (code point order on
#: both engines: PostgreSQL's collation would order them otherwise than the Python sort did)
_NAMED_SQL = (
    f"SELECT {_LINE_COLUMNS}, i.code, i.name, loc.code, lt.code, u.username, l.counted_at"  # noqa: S608
    " FROM count_lines l JOIN items i ON i.id = l.item_id"
    " JOIN locations loc ON loc.id = l.location_id LEFT JOIN lots lt ON lt.id = l.lot_id"
    " LEFT JOIN users u ON u.id = l.counted_by WHERE l.document_id = %s"
    " ORDER BY loc.code{c}, i.code{c}, coalesce(lt.code, ''){c}, l.id"
)
#: a line's item code and name, location code, lot code, counter's username, when counted
LineNames = tuple[str, str, str, str | None, str | None, datetime | None]


def named_lines(conn: Connection, document_id: int) -> list[tuple[CountLineRow, LineNames]]:
    """The count's lines with their names (``LineNames``), by location, item and lot code: one
    statement on the driver (the review reads 50,000 of them)."""
    postgresql = conn.dialect.name == "postgresql"
    sql = _NAMED_SQL.format(c=' COLLATE "C"' if postgresql else "")
    instant = UTCDateTime().process_result_value
    return [
        (
            _line_row(r),
            (
                r[13],
                r[14],
                r[15],
                r[16],
                r[17],
                None if r[18] is None else instant(r[18], conn.dialect),
            ),
        )
        for r in driver.rows(conn, sql, (document_id,))
    ]


def add_lines(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Lines found that the snapshot did not expect (expected 0), with their counts."""
    if rows:
        conn.execute(insert(count_lines), [{**r, "in_snapshot": False} for r in rows])


def set_counts(conn: Connection, changes: Sequence[dict[str, Any]]) -> None:
    """Each change names ``line_id`` and the columns to set: one statement per shape (on
    PostgreSQL over one array per column, ``db.arrays``; SQLite's executemany otherwise)."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(k for k in change if k != "line_id")), []).append(change)
    sqlite = conn.dialect.name == "sqlite"
    for shape, rows in by_shape.items():
        params = [(*(_bound(r[k], sqlite) for k in shape), r["line_id"]) for r in rows]
        driver.many(conn, _update_sql(shape), params)


def _bound(value: Any, sqlite: bool) -> Any:
    """A value as the driver takes it (what ``UTCDateTime`` does for SQLAlchemy)."""
    return to_micros(value) if sqlite and isinstance(value, datetime) else value


_UPDATES: dict[tuple[str, ...], str] = {}


def _update_sql(shape: tuple[str, ...]) -> str:
    sql = _UPDATES.get(shape)
    if sql is None:
        assigned = ", ".join(f"{column} = %s" for column in shape)
        sql = _UPDATES[shape] = arrays.register(
            f"UPDATE count_lines SET {assigned} WHERE id = %s"  # noqa: S608
        )
    return sql


#: the moves after the snapshot's ledger position: per warehouse a range of the chain's
#: (warehouse, seq) key after its recorded head (a warehouse without a head: all its moves)
_AFTER = (
    "warehouses w LEFT JOIN count_heads h ON h.document_id = :document_id"
    " AND h.warehouse_id = w.id {join} moves m ON m.warehouse_id = w.id"
    " AND m.seq > coalesce(h.last_seq, 0)"
)
#: each matched to the lines at its two ends by the lines' unique place key; until a place was
#: counted (after it, a move changes the shelf and the books alike)
_SINCE = (
    "SELECT l.id AS line_id, m.id AS move_id, m.recorded_at, m.operation,"
    " CASE WHEN m.to_location_id = l.location_id THEN m.quantity ELSE -m.quantity END"
    " AS quantity FROM {moves} {join} count_lines l ON l.document_id = :document_id"
    " AND l.item_id = m.item_id AND l.lot_key = coalesce(m.lot_id, 0)"
    " AND l.location_id IN (m.to_location_id, m.from_location_id)"
    " WHERE l.counted_at IS NULL OR m.recorded_at <= l.counted_at"
)
_MOVE_COLUMNS = (
    "m.id, m.item_id, m.lot_id, m.from_location_id, m.to_location_id, m.quantity,"
    " m.recorded_at, m.operation"
)
_SINCE_SQL = {
    # CROSS JOIN keeps SQLite's join order: without statistics it drove the join from the
    # count's 50,000 lines, reading every move into each line's bin (minutes)
    "sqlite": _SINCE.format(moves=_AFTER.format(join="CROSS JOIN"), join="CROSS JOIN"),
    # the moves since first, once, then the lines by their key; the lateral subquery (OFFSET 0
    # keeps it one) reads each chain from its head by the (warehouse, seq) key: flattened into
    # a join, the planner without statistics scanned every move of the ledger
    "postgresql": (
        f"WITH m AS MATERIALIZED (SELECT {_MOVE_COLUMNS} FROM warehouses w"  # noqa: S608
        " LEFT JOIN count_heads h ON h.document_id = :document_id AND h.warehouse_id = w.id"
        f" CROSS JOIN LATERAL (SELECT {_MOVE_COLUMNS} FROM moves m WHERE m.warehouse_id = w.id"
        " AND m.seq > coalesce(h.last_seq, 0) OFFSET 0) m) " + _SINCE.format(moves="m", join="JOIN")
    ),
}


def _since(conn: Connection, document_id: int) -> Any:
    """The moves after the snapshot's ledger position that touched a line's place (item, lot,
    location) before it was counted, as a subquery: (line id, move id, recorded at, operation,
    quantity signed + into the place). Driven from the moves since, not from the lines."""
    return (
        text(_SINCE_SQL[conn.dialect.name])
        .bindparams(document_id=document_id)
        .columns(
            line_id=Integer,
            move_id=Integer,
            recorded_at=UTCDateTime,
            operation=String,
            quantity=BigInteger,
        )  # fmt: skip
        .subquery("since")
    )


def moved_since(conn: Connection, document_id: int) -> dict[int, int]:
    """Per count line: the net quantity the moves after the snapshot's ledger position, and
    before the place was counted, brought to it (in - out). A warehouse whose chain had no head
    yet counts all its moves."""
    since = _since(conn, document_id)
    rows = conn.execute(
        select(since.c.line_id, func.sum(since.c.quantity)).group_by(since.c.line_id)
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
    since = _since(conn, document_id)
    rows = conn.execute(select(since).order_by(since.c.line_id, since.c.move_id))
    out: dict[int, list[MoveSince]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(
            MoveSince(int(r[0]), int(r[1]), r[2], str(r[3]), int(r[4]))
        )
    return out
