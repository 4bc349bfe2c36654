"""Test databases on either engine: the admin connection, fresh databases in the migrated
template's state, and snapshots of a database a fixture built, so the next test that needs the
same data gets a copy instead of building it again.

A snapshot is taken only of a database built from empty, and restored only into an empty one:
what a test gets is exactly what the build would have written (timestamps aside).

On PostgreSQL a test database is not dropped after its test: ``DROP DATABASE`` forces a
checkpoint on PostgreSQL 15 (every dirty page of the server written and synced), and one per
test made the checkpointer the run's bottleneck. A used database is put back in the template's
state instead (every table's rows and every sequence's position as the template has them) and
handed to a later test; one whose schema the test changed is dropped and replaced by a new copy.
"""

from __future__ import annotations

import os
import queue
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cangku.db.uow import Database

ENGINE = os.environ.get("CANGKU_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CANGKU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:8]

#: snapshot key -> a file path (SQLite), per worker process
_SNAPSHOTS: dict[str, str] = {}
#: snapshot key -> the database's contents (PostgreSQL), per worker process
_PG_SNAPSHOTS: dict[str, PgContents] = {}


def _connect(dbname: str | None, *, autocommit: bool) -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(PG_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=dbname if dbname is not None else url.database,
        password=url.password,
        autocommit=autocommit,
    )


def pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    return _connect(None, autocommit=True)


def pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def create_pg_database(name: str, template: str) -> None:
    """``name`` as a copy of ``template``; retried while the template's last connection ends."""
    with pg_admin() as admin:
        for attempt in range(50):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.02)
        # a test database need not survive a crash of the server: no wait for the WAL flush
        # at each commit (the commits stay atomic and isolated)
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def drop_pg_database(name: str) -> None:
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------ a PostgreSQL database's contents

#: the user tables of a database (partitioned parents hold no rows of their own)
_TABLES = """
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1
"""
_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""
#: what a test could change in a database besides its rows: relations, columns, defaults,
#: constraints, indexes, triggers (and whether they are enabled), functions, rules, policies,
#: types, privileges, extensions, schemas and the database's own settings
_SCHEMA = r"""
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
)
SELECT md5(string_agg(line, E'\n' ORDER BY line)) FROM (
  SELECT format('schema %s %s', nspname, (SELECT nspacl FROM pg_namespace p WHERE p.oid = ns.oid))
    AS line FROM ns
  UNION ALL
  SELECT format('rel %s.%s %s %s %s %s', ns.nspname, c.relname, c.relkind, c.reloptions,
                c.relacl, c.relrowsecurity)
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
  SELECT format('col %s %s %s %s %s %s %s', a.attrelid::regclass, a.attnum, a.attname,
                format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('con %s %s %s', co.conrelid::regclass, co.conname, pg_get_constraintdef(co.oid))
  FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
  UNION ALL
  SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
  SELECT format('trg %s %s %s', t.tgname, t.tgenabled, pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
  WHERE NOT t.tgisinternal
  UNION ALL
  SELECT format('fn %s %s', p.oid::regprocedure, md5(pg_get_functiondef(p.oid)))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
  UNION ALL
  SELECT format('rule %s.%s %s', schemaname, rulename, definition) FROM pg_rules
  WHERE schemaname IN (SELECT nspname FROM ns)
  UNION ALL
  SELECT format('policy %s.%s %s %s %s', schemaname, tablename, policyname, qual, with_check)
  FROM pg_policies WHERE schemaname IN (SELECT nspname FROM ns)
  UNION ALL
  SELECT format('type %s.%s %s', ns.nspname, t.typname,
                (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                 WHERE e.enumtypid = t.oid))
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  UNION ALL
  SELECT format('ext %s %s', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT format('settings %s %s', s.setrole, s.setconfig) FROM pg_db_role_setting s
  WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT format('largeobjects %s', count(*)) FROM pg_largeobject_metadata
) lines
"""


@dataclass(frozen=True)
class PgContents:
    """The rows of a database's non-empty tables (binary ``COPY``) and the position of each
    of its sequences."""

    rows: dict[str, bytes]
    sequences: dict[str, tuple[int, bool]]


def _nonempty(conn: psycopg.Connection[tuple[object, ...]], tables: list[str]) -> set[str]:
    probes = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} WHERE EXISTS (SELECT FROM {})").format(
            sql.Literal(table), sql.SQL(table)
        )
        for table in tables
    )
    return {str(row[0]) for row in conn.execute(probes)}


def _capture(conn: psycopg.Connection[tuple[object, ...]]) -> PgContents:
    tables = [str(row[0]) for row in conn.execute(_TABLES)]
    rows: dict[str, bytes] = {}
    with conn.cursor() as cursor:
        for table in sorted(_nonempty(conn, tables)):
            statement = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.SQL(table))
            with cursor.copy(statement) as copy:
                rows[table] = b"".join(bytes(chunk) for chunk in copy)
    sequences: dict[str, tuple[int, bool]] = {}
    names = [str(row[0]) for row in conn.execute(_SEQUENCES)]
    if names:
        positions = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}, last_value, is_called FROM {}").format(
                sql.Literal(name), sql.SQL(name)
            )
            for name in names
        )
        for name, last_value, is_called in conn.execute(positions):
            sequences[str(name)] = (int(str(last_value)), bool(is_called))
    return PgContents(rows, sequences)


def _load(conn: psycopg.Connection[tuple[object, ...]], contents: PgContents) -> None:
    """Makes the database hold exactly ``contents``, in one transaction. Triggers are off
    meanwhile (``session_replication_role``): the guards that refuse changes to the ledger, and
    the foreign keys, whose order the copied rows need not follow."""
    tables = [str(row[0]) for row in conn.execute(_TABLES)]
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in sorted(_nonempty(conn, tables) | set(contents.rows)):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.SQL(table)))
        with conn.cursor() as cursor:
            for table, data in contents.rows.items():
                statement = sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.SQL(table))
                with cursor.copy(statement) as copy:
                    copy.write(data)
        if contents.sequences:
            positions = sql.SQL(", ").join(
                sql.SQL("setval({}, {}, {})").format(
                    sql.Literal(name), sql.Literal(value), sql.Literal(called)
                )
                for name, (value, called) in contents.sequences.items()
            )
            conn.execute(sql.SQL("SELECT ") + positions)
        left = _nonempty(conn, tables)
        if left != set(contents.rows):
            raise RuntimeError(f"the reset left rows in {sorted(left - set(contents.rows))}")


def _schema(conn: psycopg.Connection[tuple[object, ...]]) -> str:
    row = conn.execute(_SCHEMA).fetchone()
    assert row is not None
    return str(row[0])


def _close_other_connections(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Ends every other session on ``conn``'s database (one a test left open would hold
    locks, or write into the next test's data)."""
    others = (
        "SELECT pid FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    for _ in range(500):
        pids = [row[0] for row in conn.execute(others)]
        if not pids:
            return
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.01)
    raise RuntimeError("sessions of a test database would not end")


class PgDatabases:
    """This worker's PostgreSQL test databases: each one taken is in the template's state.

    A database given back is put back in that state on a background thread (so the work
    overlaps the tests'), or dropped and replaced by a new copy of the template when its schema
    is no longer the template's. A few databases serve the whole run."""

    def __init__(self, template: str, ahead: int = 2) -> None:
        self._template = template
        self._ahead = ahead
        self._ready: queue.Queue[str] = queue.Queue()
        self._used: queue.Queue[str] = queue.Queue()
        self._made: set[str] = set()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        first = self._create()
        with _connect(first, autocommit=True) as conn:
            self._pristine = _capture(conn)
            self._schema = _schema(conn)
        self._ready.put(first)
        self._thread = threading.Thread(target=self._run, name="pg-databases", daemon=True)
        self._thread.start()

    def take(self) -> str:
        while True:
            try:
                return self._ready.get(timeout=1)
            except queue.Empty:
                if self._failure is not None:
                    raise RuntimeError("could not prepare a test database") from self._failure

    def give_back(self, name: str) -> None:
        self._used.put(name)

    def close(self, *, also: tuple[str, ...] = ()) -> None:
        """Drops this worker's databases and ``also`` those."""
        self._stop.set()
        self._thread.join()
        # at once: the checkpoint each DROP waits for is then shared by all of them
        names = [*self._made, *also]
        drops = [threading.Thread(target=drop_pg_database, args=(name,)) for name in names]
        for drop in drops:
            drop.start()
        for drop in drops:
            drop.join()
        self._made.clear()

    def _create(self) -> str:
        name = f"cangku_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        create_pg_database(name, self._template)
        self._made.add(name)
        return name

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    used = self._used.get(timeout=0.05)
                except queue.Empty:
                    if self._ready.qsize() < self._ahead:
                        self._ready.put(self._create())
                    continue
                self._ready.put(self._reset(used))
        except BaseException as exc:  # reported to the test that waits for a database
            self._failure = exc

    def _reset(self, name: str) -> str:
        with _connect(name, autocommit=True) as conn:
            _close_other_connections(conn)
            if _schema(conn) == self._schema:
                _load(conn, self._pristine)
                return name
        drop_pg_database(name)
        self._made.discard(name)
        return self._create()


def build_once(db: Database, key: str, build: Callable[[], object]) -> None:
    """Runs ``build`` on ``db``, or, when this worker already built ``key`` on an empty
    database and ``db`` is empty too, restores that result into ``db`` instead.

    SQLite copies the snapshot file. PostgreSQL copies the snapshot's rows and sequence
    positions into ``db`` (far cheaper than the build or a ``CREATE DATABASE``)."""
    empty = _is_empty(db)
    if empty and (key in _SNAPSHOTS or key in _PG_SNAPSHOTS):
        _restore(db, key)
        return
    build()
    if empty:
        _save(db, key)


def drop_snapshots() -> None:
    """Removes this worker's snapshots."""
    for path in _SNAPSHOTS.values():
        Path(path).unlink(missing_ok=True)
    _SNAPSHOTS.clear()
    _PG_SNAPSHOTS.clear()


def _is_empty(db: Database) -> bool:
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM warehouses)"
                " + (SELECT count(*) FROM items) + (SELECT count(*) FROM audit_log)"
            )
        ).scalar_one()
    return rows == 0


def _database_name(db: Database) -> str:
    name = make_url(db.url).database
    assert name is not None
    return name


def _save(db: Database, key: str) -> None:
    if ENGINE == "postgresql":
        with _connect(_database_name(db), autocommit=True) as conn:
            _PG_SNAPSHOTS[key] = _capture(conn)
        return
    db.dispose()
    source = Path(_database_name(db))
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"cangku_snap_{RUN_ID}_{worker()}_{key}.db"
    shutil.copyfile(source, target)
    _SNAPSHOTS[key] = str(target)


def _restore(db: Database, key: str) -> None:
    if ENGINE == "postgresql":
        with _connect(_database_name(db), autocommit=True) as conn:
            _load(conn, _PG_SNAPSHOTS[key])
        return
    db.dispose()
    path = Path(_database_name(db))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(_SNAPSHOTS[key], path)
