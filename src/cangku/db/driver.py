"""Fixed statements run straight on the driver's connection (sqlite3 / psycopg), under the
unit of work's transaction, for the posting path (ADR 0009).

A SQLAlchemy ``Connection.execute`` costs 15-70 microseconds of Python per statement before
the database sees it; sqlite3 runs a primary-key read in about 3. A posting runs a dozen
statements, so on the hot path we skip that layer: the SQL text is fixed (built from table
and column names, never from input; placeholders ``%s``, rewritten to ``?`` for sqlite3 once),
values are bound by the driver, and a driver error is wrapped the way SQLAlchemy wraps it, so
the unit of work translates it to a domain error by constraint name as it does for any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, StatementError

from cangku.db import arrays

_SQLITE_TEXT: dict[str, str] = {}
_CACHED_TEXT = 2000


def _text(conn: Connection, sql: str) -> str:
    if conn.dialect.name != "sqlite":
        return sql
    text = _SQLITE_TEXT.get(sql)
    if text is None:
        text = sql.replace("%s", "?")
        if len(sql) <= _CACHED_TEXT:  # long IN lists vary in length: not worth keeping
            _SQLITE_TEXT[sql] = text
    return text


#: whether psycopg's libpq can pipeline (14 or newer; the binary wheels bundle one), asked once
_PIPELINE: bool | None = None


def _pipelined(conn: Connection) -> bool:
    """Whether several statements may go to the server in one round trip here."""
    global _PIPELINE
    if conn.dialect.name != "postgresql":
        return False
    if _PIPELINE is None:
        import psycopg

        _PIPELINE = psycopg.Pipeline.is_supported()
    return _PIPELINE


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _wrapped(conn: Connection, sql: str, params: Any, exc: Exception) -> StatementError:
    dbapi = conn.dialect.loaded_dbapi
    return DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=conn.dialect)


def rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (a SELECT, or a write with RETURNING) and return every row it answers."""
    text = _text(conn, sql)
    try:
        return _driver(conn).execute(text, params).fetchall()  # type: ignore[no-any-return]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, text, params, exc) from exc


def first(conn: Connection, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    """The first row ``sql`` answers, or None."""
    found = rows(conn, sql, params)
    return found[0] if found else None


def count(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a write; return how many rows it changed."""
    text = _text(conn, sql)
    try:
        return int(_driver(conn).execute(text, params).rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, text, params, exc) from exc


def counts(conn: Connection, writes: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
    """Run each write in order; return how many rows each changed. On PostgreSQL they go in
    one pipeline (one round trip); they are run to the end even when an earlier one changed
    nothing, so a caller that refuses then rolls the whole transaction back."""
    if len(writes) < 2 or not _pipelined(conn):
        return [count(conn, sql, params) for sql, params in writes]
    raw = _driver(conn)
    try:
        with raw.pipeline():
            cursors = [raw.execute(sql, params) for sql, params in writes]
        return [int(cursor.rowcount) for cursor in cursors]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, "; ".join(sql for sql, _ in writes), None, exc) from exc


def many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """Run ``sql`` once per parameter set (the driver's executemany)."""
    if not params:
        return
    text = _text(conn, sql)
    batched = arrays.form(sql, len(params)) if conn.dialect.name == "postgresql" else None
    try:
        cursor = _driver(conn).cursor()
        try:
            if batched is not None:
                cursor.execute(batched, arrays.columns(params))
            else:
                cursor.executemany(text, params)
        finally:
            cursor.close()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, text, params, exc) from exc


class Tail:
    """Writes whose answers nobody waits for (cost rows, new layers, chain heads...), run
    together at the end of a posting: on PostgreSQL in one pipeline (one round trip for all of
    them), on SQLite (no round trips to save) or with a libpq older than 14 one after the
    other. A refusal by the database (a check constraint, say) is raised by ``run`` and rolls
    the transaction back as usual."""

    def __init__(self) -> None:
        self._writes: list[tuple[str, list[tuple[Any, ...]]]] = []

    def add(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self._writes.append((sql, params))

    def run(
        self, conn: Connection, first: tuple[str, Sequence[Any]] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run the writes; ``first`` (a write with RETURNING) runs before them, in the same
        round trip on PostgreSQL, and its rows are returned."""
        writes, self._writes = self._writes, []
        if not _pipelined(conn):
            answer = rows(conn, *first) if first is not None else []
            for sql, params in writes:
                many(conn, sql, params)
            return answer
        raw = _driver(conn)
        try:
            with raw.pipeline(), raw.cursor() as cursor:
                head = raw.execute(first[0], first[1]) if first is not None else None
                for sql, params in writes:
                    batched = arrays.form(sql, len(params))
                    if batched is not None:
                        cursor.execute(batched, arrays.columns(params))
                    else:
                        cursor.executemany(sql, params)
            return head.fetchall() if head is not None else []
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, "; ".join(sql for sql, _ in writes), None, exc) from exc
