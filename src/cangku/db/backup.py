"""Backup and restore on the database side: one consistent snapshot to read every table from,
rows in a form both engines share, and an empty schema to load them into (ADR 0007).

Values travel by column *kind* (``domain.backup.KINDS``), not by engine type: times are integer
microseconds since the epoch, dates ISO text, booleans JSON booleans. Rows are read in primary
key order (strings in byte order on both engines), so the same data gives the same table hashes
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    Table,
    Text,
    column,
    delete,
    func,
    insert,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeEngine

from cangku.db import guards
from cangku.db.schema import alembic_config
from cangku.db.tables import metadata
from cangku.db.types import EPOCH, MICROSECOND, UTCDateTime, to_micros
from cangku.domain.errors import InvalidInput

#: rows fetched per round trip while dumping
FETCH = 5000

Columns = list[tuple[str, str]]


def kind_of(col: Column[Any]) -> str:
    """The backup kind of a column (``int``, ``str``, ``bool``, ``date``, ``utc``)."""
    kind = col.type
    if isinstance(kind, UTCDateTime):
        return "utc"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, String):
        return "str"
    raise TypeError(f"no backup kind for {col.table.name}.{col.name} ({kind!r})")


_ENCODE: dict[str, Callable[[Any], Any] | None] = {
    "utc": to_micros,
    "date": date.isoformat,
    "bool": bool,
    "int": None,
    "str": None,
}
_DECODE: dict[str, Callable[[Any], Any] | None] = {
    "utc": lambda micros: EPOCH + int(micros) * MICROSECOND,
    "date": date.fromisoformat,
    "bool": bool,
    "int": int,
    "str": str,
}
_TYPES: dict[str, TypeEngine[Any]] = {
    "utc": UTCDateTime(),
    "date": Date(),
    "bool": Boolean(),
    "int": BigInteger(),
    "str": Text(),
}


# ---------------------------------------------------------------- revisions


# alembic is imported where it is used: a tenth of a second, for the few commands that
# read or run migrations (issue 11)


def revision(conn: Connection) -> str | None:
    """The revision the database of ``conn`` is at, None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def is_known(revision: str) -> bool:
    """Whether this code's migrations include ``revision`` (so it is not newer than head)."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def upgrade(conn: Connection, revision: str) -> None:
    """Run the migrations up to ``revision`` on ``conn``, inside its open transaction."""
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


# ---------------------------------------------------------------- reading


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees one state of the whole database while others write:
    REPEATABLE READ on PostgreSQL; on SQLite (WAL) a read transaction is a snapshot from its
    first read on."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        conn.begin()
        try:
            yield conn
        finally:
            conn.rollback()


def tables(conn: Connection) -> list[tuple[Table, Columns]]:
    """The tables to back up, in dependency order, with the columns the database has.

    Follows ``metadata`` (a table added later is included without a change here); a database
    at an older revision lacks some tables and columns, which are left out. Raises
    ``backup_schema_mismatch`` when the database has a column this code does not know.
    """
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    found: list[tuple[Table, Columns]] = []
    for tbl in metadata.sorted_tables:
        if tbl.name not in present:
            continue
        names = {c["name"] for c in inspector.get_columns(tbl.name)}
        unknown = names - set(tbl.c.keys())
        if unknown:
            raise InvalidInput(
                f"table {tbl.name} has columns this version does not know: {sorted(unknown)}",
                code="backup_schema_mismatch",
            )
        found.append((tbl, [(c.name, kind_of(c)) for c in tbl.c if c.name in names]))
    return found


def rows(conn: Connection, tbl: Table, columns: Columns) -> Iterator[list[Any]]:
    """The table's rows as JSON-ready lists, in primary-key order (at an older revision whose
    table lacks a primary-key column of today's, such as ``idempotency_keys.id`` before 0005:
    in the order of all its columns)."""
    present = {name for name, _ in columns}
    keys = [key for key in tbl.primary_key.columns if key.name in present]
    if len(keys) < len(tbl.primary_key.columns):
        keys = [tbl.c[name] for name, _ in columns]
    order: list[Any] = []
    for key in keys:
        if isinstance(key.type, String) and conn.dialect.name == "postgresql":
            order.append(key.collate("C"))  # byte order, as on SQLite
        else:
            order.append(key)
    stmt = select(*(tbl.c[name] for name, _ in columns)).order_by(*order)
    encoders = [_ENCODE[kind] for _, kind in columns]
    if all(e is None for e in encoders):
        for row in conn.execute(stmt.execution_options(yield_per=FETCH)):
            yield list(row)
        return
    for row in conn.execute(stmt.execution_options(yield_per=FETCH)):
        yield [v if e is None or v is None else e(v) for e, v in zip(encoders, row, strict=True)]


def heads(conn: Connection, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows of the chain-head tables among ``names``, as the manifest records them."""
    found: dict[str, list[dict[str, Any]]] = {}
    for tbl, columns in tables(conn):
        if tbl.name in names:
            found[tbl.name] = [
                dict(zip((c for c, _ in columns), values, strict=True))
                for values in rows(conn, tbl, columns)
            ]
    return found


# ---------------------------------------------------------------- writing


def drop_schema(conn: Connection) -> None:
    """Drop every table this code knows, and Alembic's version table (PostgreSQL; in the
    caller's transaction, so a failed restore leaves them as they were)."""
    for tbl in reversed(metadata.sorted_tables):
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{tbl.name}" CASCADE')
    conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def empty_schema(conn: Connection, revision: str) -> None:
    """Create the schema at ``revision`` on an empty database and remove the rows its
    migrations seed (the backup brings its own)."""
    upgrade(conn, revision)
    present = set(inspect(conn).get_table_names())
    guarded = [name for name in guards.HEAD_TABLES if name in present]
    for statement in guards.drop_head_statements(conn.dialect.name) if guarded else []:
        conn.exec_driver_sql(statement)  # the seeded head rows must go: the backup has its own
    for tbl in reversed(metadata.sorted_tables):
        if tbl.name in present:
            conn.execute(delete(tbl))
    for statement in (
        guards.head_statements(conn.dialect.name, with_function=False) if guarded else []
    ):
        conn.exec_driver_sql(statement)


class Loader:
    """Inserts one table's rows in batches. A row that refers to a later row of its own table
    (a category moved under a newer one) waits until that row is in."""

    def __init__(self, conn: Connection, name: str, columns: Columns) -> None:
        self.name = name
        self._conn = conn
        self._names = [c for c, _ in columns]
        self._decoders = [_DECODE[kind] for _, kind in columns]
        self._stmt = insert(table(name, *(column(c, _TYPES[kind]) for c, kind in columns)))
        self._self_ref = _self_reference(name, self._names)
        self._waiting: dict[Any, dict[str, Any]] = {}
        self.count = 0

    def add(self, batch: list[list[Any]]) -> None:
        decoded = [
            {
                name: None if v is None or d is None else d(v)
                for name, d, v in zip(self._names, self._decoders, batch_row, strict=True)
            }
            for batch_row in batch
        ]
        if self._self_ref is not None:
            key, ref = self._self_ref
            ready = []
            for row in decoded:
                parent = row[ref]
                if parent is not None and (parent >= row[key] or parent in self._waiting):
                    self._waiting[row[key]] = row
                else:
                    ready.append(row)
            decoded = ready
        if decoded:
            self._conn.execute(self._stmt, decoded)
            self.count += len(decoded)

    def finish(self) -> None:
        while self._waiting:
            assert self._self_ref is not None
            key, ref = self._self_ref
            ready = [r for r in self._waiting.values() if r[ref] not in self._waiting]
            if not ready:
                raise InvalidInput("rows refer to each other in a cycle", code="backup_corrupt")
            self._conn.execute(self._stmt, ready)
            self.count += len(ready)
            for row in ready:
                del self._waiting[row[key]]


def _self_reference(name: str, names: list[str]) -> tuple[str, str] | None:
    tbl = metadata.tables.get(name)
    if tbl is None or len(tbl.primary_key.columns) != 1:
        return None
    key = next(iter(tbl.primary_key.columns))
    for fk in tbl.foreign_keys:
        if fk.column is key and fk.parent.name in names and key.name in names:
            return key.name, fk.parent.name
    return None


def reset_sequences(conn: Connection) -> None:
    """After rows were inserted with their own ids, the next id continues after the largest
    (PostgreSQL sequences; SQLite takes the largest rowid + 1 by itself)."""
    if conn.dialect.name != "postgresql":
        return
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    for tbl in metadata.sorted_tables:
        col = tbl.autoincrement_column
        if col is None or tbl.name not in present:
            continue
        if col.name not in {c["name"] for c in inspector.get_columns(tbl.name)}:
            continue  # an older revision's table without today's id (idempotency_keys < 0005)
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": tbl.name, "c": col.name}
        ).scalar()
        if sequence is None:
            continue
        top = conn.execute(select(func.max(col))).scalar()
        conn.execute(
            text("SELECT setval(:s, :v, :called)"),
            {"s": sequence, "v": top or 1, "called": top is not None},
        )


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for an in-memory database or another engine)."""
    parsed = make_url(url)
    name = parsed.database
    if not parsed.drivername.startswith("sqlite") or not name or name == ":memory:":
        return None
    return Path(name)


def copy_sqlite(source: Path, target: Path) -> None:
    """Replace ``target``'s content with ``source``'s in one write transaction (SQLite's online
    backup API): connections open on the target see the old or the new database, never a mix,
    and its WAL stays consistent."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
