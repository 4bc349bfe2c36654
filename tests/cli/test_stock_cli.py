"""``cangku stock ...``: operations, reads, idempotency and refusals (message and exit status,
never a traceback, nothing written)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.tables import balances, moves
from cangku.db.uow import Database
from cangku.settings import get_settings
from tests.factories import build_company

Invoke = Callable[..., Result]
NOW = datetime.now(UTC)


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    build_company(db)
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["stock", *args], env={"CANGKU_DATABASE_URL": database_url})

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


def on_hand(cli: Invoke, *filters: str) -> str:
    totals: dict[str, str] = ok(cli("on-hand", *filters, "--json"))["totals"]
    return totals["on_hand"]


def test_receive_prints_the_move_as_json(cli: Invoke) -> None:
    posted = ok(
        cli(
            "receive",
            "BOLT",
            "2",
            "--to",
            "WH1-A",
            "--unit",
            "box",
            "--unit-cost",
            "6",
            "--doc-type",
            "po",
            "--doc-id",
            "PO-1",
            "--doc-line",
            "2",
            "--json",
        )
    )
    [move] = posted["moves"]
    assert (move["quantity"], move["unit_cost"], move["value"]) == ("24", "0.5", "12")
    assert (move["document_type"], move["document_id"], move["document_line"]) == ("po", "PO-1", 2)
    assert posted["replayed"] is False
    assert on_hand(cli, "--item", "BOLT") == "24"


def test_receive_prints_a_table_without_json(cli: Invoke) -> None:
    result = cli(
        "receive",
        "GLUE",
        "5",
        "--to",
        "WH1-A",
        "--lot",
        "G1",
        "--expires-on",
        "2099-12-31",
        "--unit-cost",
        "3",
        "--supplier",
        "ACME",
        "--note",
        "first",
    )
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header.split() == [
        "id",
        "effective_at",
        "operation",
        "item",
        "lot",
        "quantity",
        "unit",
        "from_location",
        "to_location",
        "value",
        "user",
    ]
    assert row.split()[2:] == [
        "receive",
        "GLUE",
        "G1",
        "5",
        "pcs",
        "WH1/SUPPLIER",
        "WH1-A",
        "15",
        "admin",
    ]


def test_issue_move_adjust_scrap_change_stock_exactly(cli: Invoke, db: Database) -> None:
    ok(cli("receive", "BOLT", "100", "--to", "WH1-A", "--unit-cost", "1", "--json"))
    issued = ok(cli("issue", "BOLT", "30", "--from", "WH1-A", "--to", "production", "--json"))
    assert issued["moves"][0]["to_location"] == "WH1/PRODUCTION"
    ok(cli("move", "BOLT", "20", "--from", "WH1-A", "--to", "WH2-A", "--json"))
    loss = ok(cli("adjust", "BOLT", "-2", "--location", "WH1-A", "--reason", "lost", "--json"))
    assert (loss["moves"][0]["to_location"], loss["moves"][0]["quantity"]) == (
        "WH1/ADJUSTMENT",
        "2",
    )
    gain = ok(
        cli(
            "adjust",
            "BOLT",
            "5",
            "--location",
            "WH1-A",
            "--reason",
            "found",
            "--unit-cost",
            "1",
            "--json",
        )
    )
    assert gain["moves"][0]["stock_change"] == "5"
    scrapped = ok(cli("scrap", "BOLT", "3", "--from", "WH2-A", "--reason", "damaged", "--json"))
    assert scrapped["moves"][0]["to_location"] == "WH2/SCRAP"
    assert on_hand(cli, "--location", "WH1-A") == "53"
    assert on_hand(cli, "--warehouse", "WH2") == "17"
    assert count(db, moves) == 6


def test_negative_adjustment_also_works_after_double_dash(cli: Invoke) -> None:
    ok(cli("receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "1", "--json"))
    ok(cli("adjust", "BOLT", "--location", "WH1-A", "--reason", "lost", "--json", "--", "-2.0"))
    assert on_hand(cli) == "8"


def test_reverse_and_show_a_move(cli: Invoke) -> None:
    first = ok(cli("receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "1", "--json"))
    move_id = str(first["moves"][0]["id"])
    reversal = ok(cli("reverse", move_id, "--note", "typo", "--json"))["moves"][0]
    assert (reversal["reverses_move_id"], reversal["note"]) == (int(move_id), "typo")
    assert on_hand(cli) == "0"
    shown = ok(cli("move-show", move_id, "--json"))
    assert (shown["id"], shown["quantity"], shown["hash"]) == (
        int(move_id),
        "10",
        first["moves"][0]["hash"],
    )
    assert ok(cli("show-move", move_id, "--json")) == shown
    text = cli("move-show", move_id)
    assert text.exit_code == 0
    assert ["to_location", "WH1-A"] in [line.split() for line in text.stdout.splitlines()]


def test_reserve_and_release(cli: Invoke) -> None:
    ok(cli("receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "1", "--json"))
    reserved = ok(cli("reserve", "BOLT", "4", "--location", "WH1-A", "--json"))
    assert reserved == {
        "item": "BOLT",
        "location": "WH1-A",
        "lot": None,
        "quantity": "4",
        "replayed": False,
    }
    assert ok(cli("on-hand", "--json"))["totals"] == {
        "on_hand": "10",
        "reserved": "4",
        "available": "6",
    }
    ok(cli("release", "BOLT", "4", "--location", "WH1-A", "--json"))
    assert ok(cli("on-hand", "--json"))["totals"]["available"] == "10"


def test_idempotency_key_replays_and_refuses_another_payload(cli: Invoke, db: Database) -> None:
    args = [
        "receive",
        "BOLT",
        "10",
        "--to",
        "WH1-A",
        "--unit-cost",
        "1",
        "--idempotency-key",
        "k-1",
        "--json",
    ]
    first = ok(cli(*args))
    again = ok(cli(*args))
    assert again["replayed"] is True
    assert again["moves"] == first["moves"]
    text = cli(*args[:-1])
    assert "replayed" in text.stdout
    other = cli("receive", "BOLT", "11", "--to", "WH1-A", "--idempotency-key", "k-1")
    assert other.exit_code == 6
    assert "error [idempotency_key_reused]" in other.stderr
    assert count(db, moves) == 1


def test_on_hand_as_of_history_and_value(cli: Invoke) -> None:
    three_days = (NOW - timedelta(days=3)).isoformat()
    ok(
        cli(
            "receive",
            "BOLT",
            "10",
            "--to",
            "WH1-A",
            "--unit-cost",
            "1",
            "--effective-at",
            three_days,
            "--json",
        )
    )
    ok(cli("receive", "BOLT", "5", "--to", "WH1-A-01", "--unit-cost", "2", "--json"))
    ok(cli("receive", "GLUE", "4", "--to", "WH2-A", "--lot", "G1", "--unit-cost", "1", "--json"))
    listed = ok(cli("on-hand", "--location", "WH1-A", "--json"))
    assert [(r["location"], r["on_hand"]) for r in listed["items"]] == [
        ("WH1-A", "10"),
        ("WH1-A-01", "5"),
    ]
    assert ok(cli("on-hand", "--q", "glu", "--json"))["total"] == 1
    assert ok(cli("on-hand", "--lot", "G1", "--json"))["totals"]["on_hand"] == "4"
    table = cli("on-hand")
    assert table.stdout.splitlines()[-2:] == [
        "total  on hand 19 pcs  reserved 0  available 19",
        "(3 rows)",
    ]
    yesterday = (NOW - timedelta(days=1)).isoformat()
    past = ok(cli("as-of", "--at", yesterday, "--json"))["items"]
    assert [(r["item"], r["location"], r["on_hand"]) for r in past] == [("BOLT", "WH1-A", "10")]
    assert ok(cli("history", "--json"))["total"] == 3
    history = ok(cli("history", "--item", "BOLT", "--json"))
    assert [m["quantity"] for m in history["items"]] == ["5", "10"]
    assert ok(cli("history", "--until", yesterday, "--json"))["total"] == 1
    assert ok(cli("history", "--operation", "receive", "--limit", "2", "--json"))["total"] == 3
    value = ok(cli("value", "--json"))
    assert value["total_value"] == "24"
    assert ok(cli("value", "--at", yesterday, "--item", "BOLT", "--json"))["total_value"] == "10"
    assert cli("value").stdout.splitlines()[-1] == "total value 24 CNY"


@pytest.mark.parametrize(
    ("args", "status", "code"),
    [
        pytest.param(["receive", "NOPE", "1", "--to", "WH1-A"], 3, "item_not_found", id="item"),
        pytest.param(
            ["receive", "BOLT", "1", "--to", "NOWHERE"], 3, "location_not_found", id="location"
        ),
        pytest.param(
            ["receive", "BOLT", "0", "--to", "WH1-A"], 4, "quantity_not_positive", id="zero"
        ),
        pytest.param(
            ["receive", "BOLT", "1.5", "--to", "WH1-A"], 4, "too_many_decimals", id="decimals"
        ),
        pytest.param(
            ["receive", "BOLT", "abc", "--to", "WH1-A"], 4, "invalid_number", id="not-a-number"
        ),
        pytest.param(["receive", "FLOUR", "1", "--to", "WH1-A"], 5, "lot_required", id="lot"),
        pytest.param(
            ["issue", "BOLT", "1", "--from", "WH1-A"], 5, "insufficient_stock", id="insufficient"
        ),
        pytest.param(
            ["issue", "BOLT", "1", "--from", "WH1-A", "--to", "moon"],
            4,
            "invalid_issue_target",
            id="issue-target",
        ),
        pytest.param(
            ["receive", "BOLT", "1", "--to", "WH1-A", "--effective-at", "yesterday"],
            4,
            "invalid_datetime",
            id="bad-time",
        ),
        pytest.param(
            ["receive", "GLUE", "1", "--to", "WH1-A", "--lot", "G", "--expires-on", "soon"],
            4,
            "invalid_date",
            id="bad-date",
        ),
        pytest.param(
            ["adjust", "BOLT", "-1", "--location", "WH1-A", "--reason", "whim"],
            4,
            "unknown_reason_code",
            id="reason",
        ),
        pytest.param(["move-show", "999"], 3, "move_not_found", id="no-move"),
        pytest.param(["on-hand", "--limit", "0"], 4, "invalid_limit", id="limit"),
    ],
)
def test_refusals_exit_with_the_code_and_write_nothing(
    cli: Invoke, db: Database, args: list[str], status: int, code: str
) -> None:
    result = cli(*args)
    assert result.exit_code == status
    assert result.stderr.startswith(f"error [{code}]: ")
    assert "Traceback" not in result.output
    as_json = cli(*args, "--json")
    assert (as_json.exit_code, json.loads(as_json.stdout)["error"]["code"]) == (status, code)
    assert count(db, moves) == 0
    assert count(db, balances) == 0


@pytest.mark.parametrize("command", ["move-show", "reverse"])
def test_move_id_beyond_the_database_range_is_a_usage_error(
    cli: Invoke, db: Database, command: str
) -> None:
    result = cli(command, "9223372036854775808")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert count(db, moves) == 0


def test_missing_required_option_is_a_usage_error(cli: Invoke, db: Database) -> None:
    result = cli("receive", "BOLT", "1")
    assert result.exit_code == 2
    assert "--to" in result.output
    assert count(db, moves) == 0


def test_receive_a_customer_return(cli: Invoke) -> None:
    posted = ok(cli("receive", "BOLT", "3", "--to", "WH1-A", "--source", "customer", "--json"))
    assert posted["moves"][0]["from_location"] == "WH1/CUSTOMER"
