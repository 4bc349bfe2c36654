"""Test databases on either engine: the admin connection, fresh copies of a template, and
snapshots of a database a fixture built, so the next test that needs the same data gets a copy
instead of building it again.

A snapshot is taken only of a database built from empty, and restored only into an empty one:
what a test gets is exactly what the build would have written (timestamps aside).
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
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cangku.db.uow import Database

ENGINE = os.environ.get("CANGKU_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CANGKU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:8]

#: snapshot key -> a file path (SQLite) or a database name (PostgreSQL), per worker process
_SNAPSHOTS: dict[str, str] = {}
#: snapshot key -> copies of that snapshot made ahead (PostgreSQL)
_COPIES: dict[str, PgDatabases] = {}


def pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(PG_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        autocommit=True,
    )


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


class PgDatabases:
    """Fresh PostgreSQL databases from a template, made ahead of need on a background thread
    (a ``CREATE DATABASE`` mostly waits for the disk, so it overlaps the tests' own work);
    used ones are dropped there too."""

    def __init__(self, template: str, ahead: int = 2) -> None:
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._used: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pg-databases", daemon=True)
        self._thread.start()

    def take(self) -> str:
        while True:
            try:
                return self._ready.get(timeout=1)
            except queue.Empty:
                if self._failure is not None:
                    raise RuntimeError("could not create a test database") from self._failure

    def give_back(self, name: str) -> None:
        self._used.put(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for pending in (self._ready, self._used):
            while not pending.empty():
                drop_pg_database(pending.get_nowait())

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._drop_used()
                name = f"cangku_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
                create_pg_database(name, self._template)
                while True:
                    try:
                        self._ready.put(name, timeout=0.05)
                        break
                    except queue.Full:
                        if self._stop.is_set():
                            drop_pg_database(name)
                            return
                        self._drop_used()
        except BaseException as exc:  # reported to the test that waits for a database
            self._failure = exc

    def _drop_used(self) -> None:
        while not self._used.empty():
            drop_pg_database(self._used.get_nowait())


def build_once(db: Database, key: str, build: Callable[[], object]) -> None:
    """Runs ``build`` on ``db``, or, when this worker already built ``key`` on an empty
    database and ``db`` is empty too, restores that result into ``db`` instead.

    SQLite copies the snapshot file. PostgreSQL swaps in a copy made ahead on a background
    thread (a drop and a rename: far cheaper than the build or a ``CREATE DATABASE``)."""
    empty = _is_empty(db)
    if empty and key in _SNAPSHOTS:
        _restore(db, key)
        return
    build()
    if empty:
        _SNAPSHOTS[key] = _save(db, key)


def drop_snapshots() -> None:
    """Removes this worker's snapshots (files, or databases and their copies)."""
    for copies in _COPIES.values():
        copies.close()
    _COPIES.clear()
    for name in _SNAPSHOTS.values():
        if ENGINE == "postgresql":
            drop_pg_database(name)
        else:
            Path(name).unlink(missing_ok=True)
    _SNAPSHOTS.clear()


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


def _save(db: Database, key: str) -> str:
    db.dispose()
    if ENGINE == "postgresql":
        name = f"cangku_snap_{RUN_ID}_{worker()}_{key}"
        drop_pg_database(name)
        create_pg_database(name, _database_name(db))
        _COPIES[key] = PgDatabases(name)
        return name
    source = Path(_database_name(db))
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"cangku_snap_{RUN_ID}_{worker()}_{key}.db"
    shutil.copyfile(source, target)
    return str(target)


def _restore(db: Database, key: str) -> None:
    db.dispose()
    if ENGINE == "postgresql":
        copies = _COPIES[key]
        copy = copies.take()
        target = _database_name(db)
        # a DROP waits for the background CREATE; renames do not: the old one is dropped there
        old = f"cangku_old_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with pg_admin() as admin:
            admin.execute(f'ALTER DATABASE "{target}" RENAME TO "{old}"')
            admin.execute(f'ALTER DATABASE "{copy}" RENAME TO "{target}"')
        copies.give_back(old)
        return
    path = Path(_database_name(db))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(_SNAPSHOTS[key], path)
