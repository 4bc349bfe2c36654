"""Set-based reads and batched writes of master data for imports (no commits here).

An import loads what exists for all its rows in a few statements keyed by code and writes its
inserts and updates as ``executemany`` batches: the same number of statements for 50,000 rows
as for 50. These run at driver level (``db/driver.py``, ADR 0009) with fixed SQL text built
from table and column names, never from input: a list of codes is ONE bound parameter
(``= ANY(%s)`` with an array on PostgreSQL, ``IN (SELECT value FROM json_each(%s))`` with a
JSON text on SQLite), so neither SQLAlchemy nor psycopg compiles a statement per chunk of
values (which, measured, was most of a 50,000-item import's time on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from cangku.db import driver
from cangku.db.types import to_micros

__all__ = [
    "delete_where_in",
    "insert_many",
    "instant",
    "rows_where_in",
    "update_many",
]


def _in(conn: Connection, column: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608


def _values(conn: Connection, values: Iterable[Any]) -> Any:
    wanted = sorted(set(values))
    return wanted if conn.dialect.name == "postgresql" else json.dumps(wanted)


def instant(conn: Connection, now: datetime) -> Any:
    """A UTC instant as the driver stores it (microseconds on SQLite, ADR 0002)."""
    return to_micros(now) if conn.dialect.name == "sqlite" else now


def rows_where_in(
    conn: Connection, columns: Sequence[str], source: str, key: str, values: Iterable[Any]
) -> list[dict[str, Any]]:
    """``SELECT columns FROM source WHERE key IN values`` as dicts (one statement)."""
    wanted = list(values)
    if not wanted:
        return []
    sql = f"SELECT {', '.join(columns)} FROM {source} WHERE {_in(conn, key)}"  # noqa: S608
    names = [c.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] for c in columns]
    return [
        dict(zip(names, row, strict=True))
        for row in driver.rows(conn, sql, (_values(conn, wanted),))
    ]


def all_rows(conn: Connection, columns: Sequence[str], source: str) -> list[dict[str, Any]]:
    """Every row of a small table (warehouses, units) as dicts."""
    sql = f"SELECT {', '.join(columns)} FROM {source}"  # noqa: S608
    names = [c.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] for c in columns]
    return [dict(zip(names, row, strict=True)) for row in driver.rows(conn, sql)]


def insert_many(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order): ``COPY`` on PostgreSQL (a third of the
    time of a pipelined ``executemany`` for 100,000 rows), one ``executemany`` on SQLite."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        driver.many(conn, sql, [tuple(row) for row in rows])
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        dbapi = conn.dialect.loaded_dbapi
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=conn.dialect) from exc


def update_many(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
    *,
    versioned: bool = True,
) -> None:
    """Set ``columns`` of many rows by ``id`` (and bump ``version``, set ``updated_at``)."""
    if not rows:
        return
    sets = [f"{c} = %s" for c in columns]
    if versioned:
        sets.append("version = version + 1")
    if now is not None:
        sets.append("updated_at = %s")
    stamp = [instant(conn, now)] if now is not None else []
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE id = %s"  # noqa: S608
    driver.many(conn, sql, [(*(row[c] for c in columns), *stamp, row["id"]) for row in rows])


def delete_where_in(conn: Connection, table: str, key: str, values: Iterable[Any]) -> None:
    wanted = list(values)
    if wanted:
        sql = f"DELETE FROM {table} WHERE {_in(conn, key)}"  # noqa: S608
        driver.count(conn, sql, (_values(conn, wanted),))


def ids_by_code(conn: Connection, table: str, codes: Iterable[str]) -> dict[str, int]:
    return {
        r["code"]: int(r["id"]) for r in rows_where_in(conn, ["id", "code"], table, "code", codes)
    }


def items_with_moves(conn: Connection, item_ids: Iterable[int]) -> set[int]:
    """Which of ``item_ids`` already have moves in the ledger."""
    found = rows_where_in(conn, ["DISTINCT item_id"], "moves", "item_id", item_ids)
    return {int(r["item_id"]) for r in found}
