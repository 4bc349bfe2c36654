"""Engines per dialect: SQLite (WAL, foreign keys, BEGIN IMMEDIATE for writers) and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool

from cangku.db import driver


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and pick the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


#: a pooled connection unused for longer than this is pinged before it is handed out
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle: a ping on
    every checkout (``pool_pre_ping``) costs a round trip per transaction, as much as a
    statement of the posting path. A connection in steady use has just proved it works; one
    that waited (a server restart, a proxy's idle timeout) is pinged, and a dead one is replaced
    by the pool (DisconnectionError: the pool connects again)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            # the ping opened a transaction: end it, so the connection is handed out idle (a
            # read without a transaction could not switch to autocommit inside one)
            dbapi_connection.rollback()
        except Exception as exc:  # any failure means: do not hand this one out
            raise DisconnectionError("the pooled connection is gone") from exc


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
    if kwargs.pop("null_pool", False):
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is wrong for us)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per connection
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("cangku_write", False)
        # on the driver's connection (exec_driver_sql costs ten times the statement itself);
        # a busy database still arrives wrapped, as a SQLAlchemy OperationalError
        driver.count(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
