"""Test databases: every test gets a fresh, migrated database of its own.

``CANGKU_TEST_DB=sqlite`` (default) copies a migrated template file; ``CANGKU_TEST_DB=postgresql``
creates a database from a migrated template database on ``CANGKU_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Every database a run creates is dropped at its end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from cangku.db.engine import make_engine
from cangku.db.schema import upgrade
from cangku.db.uow import Database

ENGINE = os.environ.get("CANGKU_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CANGKU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:8]


def pytest_report_header() -> str:
    return f"cangku test database engine: {ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with CANGKU_TEST_DB=postgresql)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(PG_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        autocommit=True,
    )


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated template: a file path (SQLite) or a database name (PostgreSQL)."""
    if ENGINE == "postgresql":
        name = f"cangku_tpl_{RUN_ID}_{_worker()}"
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        engine = make_engine(_pg_url(name))
        upgrade(engine)
        engine.dispose()
        yield name
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)


@pytest.fixture
def database_url(template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database for one test."""
    if ENGINE == "postgresql":
        name = f"cangku_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _pg_url(name)
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "cangku.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()
