"""``cangku demo``: builds the company on a fresh database (nobody signed in), prints sign-ins
that work, refuses a second time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.uow import Database
from cangku.services.demo_users import DEMO_ADMIN_PASSWORD, DEMO_PASSWORD, DEMO_USERS
from cangku.settings import get_settings

runner = CliRunner()


@pytest.fixture
def signed_in() -> None:
    """Nobody is signed in: ``demo`` is an operator command on a fresh database."""


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    yield db
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


# Each build of the demo costs seconds: a test builds it once and checks all that build shows.


def test_demo_json_builds_the_company_lists_the_credentials_and_refuses_a_second_time(
    cli: Database,
) -> None:
    result = runner.invoke(app, ["demo", "--json", "--months", "1", "--activity", "0.1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["warehouses"] == 2
    assert summary["items"] == 189
    assert sorted(summary["items_by_type"]) == [
        "consumable",
        "finished_good",
        "raw_material",
        "semi_finished",
        "spare_part",
    ]
    assert summary["moves"] > 189
    credentials = summary["credentials"]
    assert credentials[0] == {
        "username": "admin",
        "display_name": "Administrator",
        "role": "administrator",
        "warehouse": None,
        "password": DEMO_ADMIN_PASSWORD,
    }
    assert [(c["username"], c["role"], c["warehouse"]) for c in credentials[1:]] == [
        (user, role, warehouse) for user, _, role, warehouse in DEMO_USERS
    ]

    again = runner.invoke(app, ["demo", "--json", "--months", "1"])

    assert again.exit_code == 5
    assert json.loads(again.stdout)["error"]["code"] == "database_not_empty"


def test_demo_prints_a_summary_and_sign_ins_that_work(cli: Database, token_file: Path) -> None:
    result = runner.invoke(app, ["demo", "--months", "1", "--activity", "0.1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "warehouses" in result.stdout
    assert "total stock value (CNY)" in result.stdout
    printed = result.stdout[result.stdout.index("Demo sign-ins") :]
    rows = {line.split()[0]: line.split() for line in printed.splitlines()[2:-1]}

    assert rows["admin"][1:] == [DEMO_ADMIN_PASSWORD, "administrator"]
    assert rows["clerk"][1:] == [DEMO_PASSWORD, "receiving_clerk", "(SH", "only)"]
    assert sorted(rows) == sorted(["admin", *(user for user, *_ in DEMO_USERS)])
    for user, fields in rows.items():
        login = runner.invoke(app, ["login", "-u", user, "--json"], input=fields[1] + "\n")
        assert login.exit_code == 0, login.output
        me = runner.invoke(app, ["whoami", "--json"])
        assert me.exit_code == 0, (me.output, me.exception)
        assert json.loads(me.stdout)["username"] == user
    assert token_file.exists()
