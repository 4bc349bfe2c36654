"""``cangku import moves FILE.csv``: many moves in batches, refusals that name the move."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.uow import Database
from cangku.queries.stock import HistoryFilter, StockFilter, history, totals
from cangku.settings import get_settings
from tests.factories import build_company

Invoke = Callable[..., Result]

HEADER = (
    "item,quantity,from_location,to_location,operation,lot,lot_expires_on,unit_cost,"
    "effective_at,reason_code,note"
)
GOOD = (
    "\n".join(
        [
            HEADER,
            "BOLT,100,WH1/SUPPLIER,WH1-A,receive,,,0.5,2026-01-05T08:00:00,,opening",
            "GLUE,20,WH1/ADJUSTMENT,WH1-B,adjust,G-1,2027-06-30,3,2026-01-05,opening_balance,",
            "BOLT,30,WH1-A,WH1-B,move,,,,2026-01-06T09:30:00+08:00,,",
            'BOLT,12,WH1-B,WH1/CUSTOMER,issue,,,,2026-01-07,,"order 7, ""rush"""',
        ]
    )
    + "\n"
)


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    build_company(db)
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["import", *args], env={"CANGKU_DATABASE_URL": database_url})

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "moves.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def on_hand(db: Database, item: str, location: str | None = None) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def move_count(db: Database) -> int:
    with db.read() as conn:
        return history(conn, HistoryFilter()).total


def body(result: Result) -> Any:
    return json.loads(result.stdout)


def test_a_csv_of_moves_is_posted_in_batches(cli: Invoke, db: Database, tmp_path: Path) -> None:
    result = cli("moves", write(tmp_path, GOOD), "--batch-size", "3", "--json")
    assert result.exit_code == 0, result.output
    assert (body(result)["posted"], body(result)["batches"]) == (4, 2)
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("70")
    assert on_hand(db, "BOLT", "WH1-B") == Decimal("18")
    assert on_hand(db, "GLUE", "WH1-B") == Decimal("20")
    with db.read() as conn:
        moves = history(conn, HistoryFilter(item="BOLT")).items
    assert [m.note for m in moves][0] == 'order 7, "rush"'
    assert moves[-1].value == Decimal("50")


def test_a_refused_move_is_named_by_its_row_and_nothing_is_posted(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    text = GOOD.replace("BOLT,30,WH1-A", "NOPE,30,WH1-A")
    result = cli("moves", write(tmp_path, text), "--batch-size", "2", "--json")
    assert result.exit_code == 3
    error = body(result)["error"]
    assert (error["code"], error["data"]["move_number"], error["data"]["row"]) == (
        "item_not_found",
        3,
        4,
    )
    assert error["message"] == "move 3 (row 4): item NOPE does not exist"
    assert move_count(db) == 0  # all or nothing: the first batch is not posted either


def test_a_chunked_import_keeps_its_committed_batches_and_resumes_after_them(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD.replace("BOLT,30,WH1-A", "NOPE,30,WH1-A"))
    refused = cli("moves", path, "--batch-size", "2", "--chunked", "--json")
    assert refused.exit_code == 3
    error = body(refused)["error"]
    assert (error["data"]["move_number"], error["data"]["resume_after"]) == (3, 2)
    assert move_count(db) == 2
    write(tmp_path, GOOD)  # the row fixed
    resumed = cli("moves", path, "--batch-size", "2", "--chunked", "--json")
    assert resumed.exit_code == 0, resumed.output
    summary = body(resumed)
    assert (summary["resumed_from"], summary["posted"], summary["total"]) == (2, 2, 4)
    assert summary["import"] == error["data"]["import_id"]
    assert move_count(db) == 4
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("70")
    assert on_hand(db, "BOLT", "WH1-B") == Decimal("18")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("item,quantity,to_location\nBOLT,1,WH1-A\n", "csv_missing_columns"),
        ("item,quantity,from_location,to_location,colour\n", "csv_unknown_columns"),
        ("item,quantity,from_location,to_location\nBOLT,,WH1/SUPPLIER,WH1-A\n", "csv_empty_cell"),
        (
            "item,quantity,from_location,to_location,effective_at\n"
            "BOLT,1,WH1/SUPPLIER,WH1-A,yesterday\n",
            "invalid_datetime",
        ),
        (
            "item,quantity,from_location,to_location,note\n"
            "BOLT,1,WH1/SUPPLIER,WH1-A,ok\n"
            f'BOLT,1,WH1/SUPPLIER,WH1-A,"{"x" * 200_000}"\n',
            "csv_malformed",
        ),
    ],
    ids=["missing-column", "unknown-column", "empty-cell", "bad-time", "huge-field"],
)
def test_malformed_files_are_refused_and_nothing_is_written(
    cli: Invoke, db: Database, tmp_path: Path, text: str, code: str
) -> None:
    result = cli("moves", write(tmp_path, text), "--json")
    assert result.exit_code == 4
    assert body(result)["error"]["code"] == code
    assert move_count(db) == 0


def test_a_missing_file_is_a_clear_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("moves", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 4
    assert "file_unreadable" in result.output


def test_a_repeated_import_with_the_same_key_is_a_replay_that_posts_nothing(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    assert cli("moves", path, "--idempotency-key", "opening-2026").exit_code == 0
    again = cli("moves", path, "--idempotency-key", "opening-2026", "--json")
    assert again.exit_code == 0, again.output
    summary = body(again)
    assert (summary["replayed"], summary["posted"], summary["previously_posted"]) == (True, 0, 4)
    assert summary["posted_by"] == "admin"
    assert "moves_per_second" not in summary
    assert move_count(db) == 4
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("70")


def test_the_same_file_again_is_refused_naming_who_posted_it_and_when(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    assert cli("moves", path).exit_code == 0
    again = cli("moves", path)
    assert again.exit_code == 6
    assert "error [import_already_posted]" in again.output
    assert "posted 4 moves on " in again.output
    assert "by admin" in again.output
    assert "--allow-repeat" in again.output
    assert move_count(db) == 4
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("70")


def test_the_same_file_with_other_line_endings_is_the_same_import(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    assert cli("moves", write(tmp_path, GOOD)).exit_code == 0
    again = cli("moves", write(tmp_path, GOOD.replace("\n", "\r\n")), "--json")
    assert (again.exit_code, body(again)["error"]["code"]) == (6, "import_already_posted")
    assert move_count(db) == 4


def test_allow_repeat_posts_a_file_again_on_purpose(
    cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    first = body(cli("moves", path, "--json"))
    again = cli("moves", path, "--allow-repeat", "--json")
    assert again.exit_code == 0, again.output
    assert body(again)["posted"] == 4
    assert body(again)["import"] != first["import"]
    assert move_count(db) == 8
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("140")
