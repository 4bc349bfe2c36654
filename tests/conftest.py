"""Test databases: every test gets a fresh, migrated database of its own.

``CANGKU_TEST_DB=sqlite`` (default) copies a migrated template file; ``CANGKU_TEST_DB=postgresql``
hands out a database in the state of a migrated template database on ``CANGKU_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``): a copy of the template, or one an earlier test
used and that was put back in the template's state (``tests.databases.PgDatabases``). Every
database a run creates is dropped at its end.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cangku.db.engine import make_engine
from cangku.db.schema import upgrade
from cangku.db.uow import Database
from tests.databases import (
    ENGINE,
    RUN_ID,
    PgDatabases,
    drop_pg_database,
    drop_snapshots,
    pg_admin,
    pg_url,
    worker,
)

#: the ``Database`` objects a test made, by test item
_MADE = pytest.StashKey[list[Database]]()


def pytest_report_header() -> str:
    return f"cangku test database engine: {ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with CANGKU_TEST_DB=postgresql)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with the smallest cost in tests (the code path is the same; only the work
    factor differs): sign-ins and new users are many here, and each costs ~50 ms at the
    production setting."""
    from argon2 import PasswordHasher

    from cangku.services import auth

    production = auth._HASHER
    auth._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth._HASHER = production


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated template: a file path (SQLite) or a database name (PostgreSQL)."""
    if ENGINE == "postgresql":
        name = f"cangku_tpl_{RUN_ID}_{worker()}"
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        engine = make_engine(pg_url(name))
        upgrade(engine)
        engine.dispose()
        yield name
        drop_snapshots()
        drop_pg_database(name)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)
        drop_snapshots()


@pytest.fixture(scope="session")
def pg_databases(template: str) -> Iterator[PgDatabases]:
    """This worker's supply of fresh PostgreSQL databases."""
    databases = PgDatabases(template)
    yield databases
    databases.close(also=(template,))  # the template's own teardown then finds it gone


@pytest.fixture
def database_url(template: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated database for one test."""
    if ENGINE == "postgresql":
        databases: PgDatabases = request.getfixturevalue("pg_databases")
        name = databases.take()
        yield pg_url(name)
        # the test's connections end before the database is made ready for another test
        for database in request.node.stash.get(_MADE, []):
            database.dispose()
        databases.give_back(name)
    else:
        path = tmp_path / "cangku.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _dispose_forgotten_databases(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every ``Database`` made during a test is disposed when it ends, so its pooled
    connections are closed here and not by the garbage collector at some later test (psycopg
    then reports a connection deleted while open; a test that made an app on its own database
    and never disposed it did that at random in the PostgreSQL run)."""
    made: list[Database] = []
    request.node.stash[_MADE] = made
    original = Database.__init__

    def recording(self: Database, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Database, "__init__", recording)
    yield
    for database in made:
        database.dispose()
