"""``cangku init`` on a database nobody has signed in to: the first administrator and their
password (policy applied), repeatable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.schema import head_revision
from cangku.db.setup import STANDARD_UNITS
from cangku.db.tables import units, users
from cangku.db.uow import Database
from cangku.services.auth import sign_in
from cangku.settings import get_settings

Invoke = Callable[..., Result]
PASSWORD = "first light over the yard"


@pytest.fixture
def signed_in() -> None:
    """Nobody is signed in: ``init`` is an operator command."""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    monkeypatch.delenv("CANGKU_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=stdin)

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_init_creates_the_administrator_with_a_password_and_is_repeatable(
    cli: Invoke, db: Database
) -> None:
    first = ok(cli("init", "--admin", "boss", "--json", stdin=PASSWORD + "\n"))
    again = ok(cli("init", "--admin", "boss", "--json"))  # no password asked again

    assert (first["revision"], first["admin_user"]) == (head_revision(), "boss")
    assert (first["admin_created"], first["password_set"]) == (True, True)
    assert (again["admin_created"], again["password_set"]) == (False, False)
    with db.read() as conn:
        assert conn.execute(select(users.c.username)).scalars().all() == ["boss"]
    assert count(db, units) == len(STANDARD_UNITS)
    assert sign_in(db, "boss", PASSWORD).username == "boss"
    assert "admin_user" in cli("init", "--admin", "boss").stdout


def test_init_reports_how_many_units_it_added(cli: Invoke) -> None:
    assert ok(cli("init", "--json", stdin=PASSWORD + "\n"))["units_added"] == len(STANDARD_UNITS)
    assert ok(cli("init", "--json"))["units_added"] == 0


def test_init_reads_the_password_from_a_file(cli: Invoke, db: Database, tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")

    ok(cli("init", "--password-file", str(secret), "--json"))

    assert sign_in(db, "admin", PASSWORD).username == "admin"


def test_init_reads_the_password_from_the_environment(
    cli: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_ADMIN_PASSWORD", PASSWORD)

    ok(cli("init", "--json"))

    assert sign_in(db, "admin", PASSWORD).username == "admin"


@pytest.mark.parametrize(
    "password", ["short", "1234567890", "the admin password"], ids=["short", "common", "name"]
)
def test_init_refuses_a_weak_password_and_creates_no_administrator(
    cli: Invoke, db: Database, password: str
) -> None:
    result = cli("init", "--json", stdin=password + "\n")

    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == "weak_password"
    assert count(db, users) == 0


def test_init_without_any_password_is_refused(cli: Invoke, db: Database) -> None:
    result = cli("init", "--json", stdin="")

    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == "password_required"
    assert count(db, users) == 0


def test_init_reset_password_gives_an_existing_administrator_a_new_one(
    cli: Invoke, db: Database
) -> None:
    ok(cli("init", "--json", stdin=PASSWORD + "\n"))

    reset = ok(cli("init", "--reset-password", "--json", stdin="a brand new secret\n"))

    assert (reset["admin_created"], reset["password_set"]) == (False, True)
    assert sign_in(db, "admin", "a brand new secret").username == "admin"
