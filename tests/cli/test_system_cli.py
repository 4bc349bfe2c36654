"""Top-level commands: init, db upgrade, serve, verify, period close|list, checkpoint."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db import guards
from cangku.db.schema import head_revision
from cangku.db.tables import balances, checkpoints, locations, moves, periods
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.settings import get_settings
from tests.factories import CTX, build_company

Invoke = Callable[..., Result]
NOW = datetime.now(UTC)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"CANGKU_DATABASE_URL": database_url})

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    receive_stock(
        db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1", effective_at=NOW - timedelta(days=5))
    )
    return db


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_db_upgrade_reports_the_head_revision(cli: Invoke) -> None:
    assert ok(cli("db", "upgrade", "--json")) == {"revision": head_revision()}


def test_serve_listens_where_asked_and_prints_the_url_once_started(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cangku.cli import serving

    bound: list[tuple[str, int]] = []

    def fake_run(sock: Any, host: str, on_started: Any) -> None:  # uvicorn not started
        address = sock.getsockname()
        bound.append((address[0], address[1]))
        sock.close()
        on_started(f"http://{host}:{address[1]}")

    monkeypatch.setattr(serving, "run", fake_run)
    printed = ok(cli("serve", "--host", "127.0.0.1", "--port", "0", "--json"))
    host, port = bound[0]
    assert host == "127.0.0.1" and port > 0
    assert printed == {
        "url": f"http://127.0.0.1:{port}",
        "api": f"http://127.0.0.1:{port}/api/v1",
        "docs": f"http://127.0.0.1:{port}/docs",
    }
    plain = cli("serve", "--port", "0")
    assert plain.exit_code == 0
    assert plain.stdout.startswith(f"cangku serving on http://127.0.0.1:{bound[1][1]} (API ")


def test_verify_exits_0_on_a_clean_ledger(cli: Invoke, company: Database) -> None:
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stdout.startswith("verify: OK (1 moves, 2 balances, 4 items checked)")
    assert ok(cli("verify", "--json"))["ok"] is True


def test_verify_exits_1_and_prints_each_difference(cli: Invoke, company: Database) -> None:
    with company.write() as uow:  # no guard on balances: verify is the guard
        shelf = select(locations.c.id).where(locations.c.code == "WH1-A").scalar_subquery()
        uow.conn.execute(
            update(balances).where(balances.c.location_id == shelf).values(on_hand=7_000_000)
        )
        uow.commit()
    result = cli("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:] == [
        "balance_mismatch: balance=7 ledger=10 item=BOLT location=WH1-A lot_id=-",
    ]
    report = cli("verify", "--json")
    assert report.exit_code == 1
    assert json.loads(report.stdout)["problems"] == [
        {
            "check": "balance_mismatch",
            "balance": "7",
            "ledger": "10",
            "item": "BOLT",
            "location": "WH1-A",
            "lot_id": None,
        },
    ]


def test_verify_finds_an_edited_move(cli: Invoke, company: Database) -> None:
    with company.write() as uow:
        for statement in guards.drop_statements(company.dialect):
            uow.conn.exec_driver_sql(statement)
        uow.conn.execute(update(moves).values(note="nobody will notice"))
        uow.commit()
    result = cli("verify")
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[1:]] == ["move_hash_mismatch"]
    assert "move=1 warehouse=WH1 seq=1" in result.stdout


def test_period_close_and_list(cli: Invoke, company: Database) -> None:
    through = (NOW - timedelta(days=3)).date().isoformat()
    closed = ok(cli("period", "close", through, "--note", "month end", "--json"))
    assert (closed["closed_through"], closed["note"], closed["user"]) == (
        through,
        "month end",
        "admin",
    )
    listed = ok(cli("period", "list", "--json"))
    assert [p["closed_through"] for p in listed["items"]] == [through]
    assert through in cli("period", "list").stdout
    assert count(company, checkpoints) == 1


@pytest.mark.parametrize(
    ("day", "status", "code"),
    [
        pytest.param("last week", 4, "invalid_date", id="not-a-date"),
        pytest.param(date.today().isoformat(), 4, "period_not_ended", id="today"),
    ],
)
def test_period_close_refusals(
    cli: Invoke, company: Database, day: str, status: int, code: str
) -> None:
    result = cli("period", "close", day)
    assert (result.exit_code, result.stderr.split("]")[0]) == (status, f"error [{code}")
    assert count(company, periods) == 0


def test_closing_the_same_period_twice_is_refused(cli: Invoke, company: Database) -> None:
    through = (NOW - timedelta(days=3)).date().isoformat()
    ok(cli("period", "close", through, "--json"))
    again = cli("period", "close", through, "--json")
    assert (again.exit_code, json.loads(again.stdout)["error"]["code"]) == (
        5,
        "period_already_closed",
    )
    assert count(company, periods) == 1


def test_checkpoint_now_and_at_a_past_time(cli: Invoke, company: Database) -> None:
    at = (NOW - timedelta(days=1)).isoformat()
    taken = ok(cli("checkpoint", "--at", at, "--idempotency-key", "cp", "--json"))
    assert (datetime.fromisoformat(taken["as_of"]), taken["replayed"]) == (
        datetime.fromisoformat(at),
        False,
    )
    assert ok(cli("checkpoint", "--at", at, "--idempotency-key", "cp", "--json"))["replayed"]
    assert cli("checkpoint").exit_code == 0
    future = cli("checkpoint", "--at", (NOW + timedelta(days=1)).isoformat())
    assert (future.exit_code, future.stderr.split("]")[0]) == (4, "error [effective_in_future")
    assert count(company, checkpoints) == 2
