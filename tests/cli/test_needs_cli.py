"""What needs attention, from the command line (issue 10): ``items list --stock``,
``stock on-hand --balance``, ``stock monthly`` (the value at month ends) and ``stock trend``
(an item's on hand), within the signed-in user's warehouses and permissions."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import Result

from cangku.db.uow import Database
from cangku.queries.asof import item_total_as_of
from cangku.queries.valuation import stock_value
from cangku.services.auth import create_token
from cangku.services.common import Context
from tests.cli.tree import Invoke
from tests.needs import BELOW, build_needs


@pytest.fixture
def needs(db: Database) -> Database:
    build_needs(db)
    return db


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sign_in(db: Database, monkeypatch: pytest.MonkeyPatch, username: str) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", create_token(db, Context(username), "tests").token)


@pytest.mark.parametrize(
    ("username", "scope"), [("boss", "all"), ("boss1", "WH1"), ("boss2", "WH2")]
)
def test_items_at_or_below_their_reorder_point(
    cangku: Invoke, needs: Database, monkeypatch: pytest.MonkeyPatch, username: str, scope: str
) -> None:
    sign_in(needs, monkeypatch, username)
    found = as_json(cangku("items", "list", "--stock", "below_reorder", "--json"))
    assert [item["code"] for item in found["items"]] == BELOW[scope]
    table = cangku("items", "list", "--stock", "below_reorder")
    assert table.exit_code == 0
    assert f"({len(BELOW[scope])} of {len(BELOW[scope])})" in table.output


def test_the_stock_filter_is_refused_without_stock_view(
    cangku: Invoke, needs: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(needs, monkeypatch, "lister")
    refused = cangku("items", "list", "--stock", "below_reorder", "--json")
    assert refused.exit_code != 0
    assert json.loads(refused.stdout)["error"]["code"] == "permission_denied"
    assert cangku("items", "list", "--json").exit_code == 0


def test_unusual_balances(cangku: Invoke, needs: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    found = as_json(cangku("stock", "on-hand", "--balance", "unusual", "--json"))
    assert [(r["item"], r["location"], Decimal(r["on_hand"])) for r in found["items"]] == [
        ("BOLT", "WH2-A", Decimal(-3))
    ]
    assert (
        as_json(cangku("stock", "on-hand", "--balance", "over_reserved", "--json"))["items"] == []
    )
    wrong = cangku("stock", "on-hand", "--balance", "odd", "--json")
    assert wrong.exit_code != 0
    assert json.loads(wrong.stdout)["error"]["code"] == "invalid_balance_filter"
    sign_in(needs, monkeypatch, "boss1")
    assert as_json(cangku("stock", "on-hand", "--balance", "unusual", "--json"))["items"] == []


def test_the_value_series(cangku: Invoke, needs: Database) -> None:
    found = as_json(cangku("stock", "monthly", "--months", "3", "--json"))
    assert found["currency"] == "CNY"
    assert len(found["points"]) == 4
    with needs.read() as conn:
        for point in found["points"]:
            at = datetime.fromisoformat(point["at"])
            assert Decimal(point["value"]) == stock_value(conn, at, at).total_value
    assert Decimal(found["points"][-1]["value"]) == Decimal(159)  # 135 parts at 1, 12 GLUE at 2
    assert cangku("stock", "monthly").exit_code == 0


def test_the_value_series_needs_valuation_view(
    cangku: Invoke, needs: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(needs, monkeypatch, "clerk")
    refused = cangku("stock", "monthly", "--json")
    assert refused.exit_code != 0
    assert json.loads(refused.stdout)["error"]["code"] == "permission_denied"


def test_the_on_hand_series(cangku: Invoke, needs: Database) -> None:
    found = as_json(cangku("stock", "trend", "--item", "NUT", "--days", "365", "--json"))
    assert (found["item"], found["unit"], found["days"], len(found["points"])) == (
        "NUT",
        "pcs",
        365,
        54,
    )
    with needs.read() as conn:
        for point in found["points"][-3:]:
            at = datetime.fromisoformat(point["at"])
            assert Decimal(point["on_hand"]) == item_total_as_of(conn, "NUT", at, at)
    assert Decimal(found["points"][-1]["on_hand"]) == Decimal(25)
    wrong = cangku("stock", "trend", "--item", "NUT", "--days", "7", "--json")
    assert json.loads(wrong.stdout)["error"]["code"] == "invalid_series_days"
