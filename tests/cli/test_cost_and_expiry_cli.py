"""The CLI by field (issue 10): a move's unit cost and value only with ``valuation.view``
(defect 10); lots list their expiry status and filter by it, a warehouse's expired-lot policy
is set from the command line, and an expired lot is not issued (defect 4)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company

TODAY = datetime.now(UTC).date()


@pytest.fixture
def stocked(db: Database) -> Database:
    """GLUE lots OLD (expired), SOON (in 3 days) and NEW (no expiry), 4 each at 2.5 in WH1-A."""
    build_company(db)
    for lot, expiry in (("OLD", date(2020, 1, 1)), ("SOON", TODAY + timedelta(days=3))):
        receive_stock(
            db, CTX, Receive("GLUE", "4", "WH1-A", lot=lot, unit_cost="2.5", expires_on=expiry)
        )
    receive_stock(db, CTX, Receive("GLUE", "4", "WH1-A", lot="NEW", unit_cost="2.5"))
    return db


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def move_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_the_clerk_sees_no_cost_in_history_move_show_or_a_posting(
    cangku: Invoke, stocked: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", user_with_roles(stocked, "clerk", ("receiving_clerk", None)))
    history = as_json(cangku("stock", "history", "--json"))["items"]
    assert [sorted({"unit_cost", "value"} & set(m)) for m in history] == [[], [], []]
    shown = as_json(cangku("stock", "move-show", "1", "--json"))
    assert "unit_cost" not in shown and "value" not in shown
    posted = as_json(
        cangku("stock", "receive", "BOLT", "3", "--to", "WH1-A", "--unit-cost", "2", "--json")
    )
    assert [sorted({"unit_cost", "value"} & set(m)) for m in posted["moves"]] == [[]]
    table = cangku("stock", "history")
    assert table.exit_code == 0
    assert "value" not in table.output.splitlines()[0]


def test_the_manager_sees_the_exact_cost(
    cangku: Invoke, stocked: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = user_with_roles(stocked, "boss", ("warehouse_manager", None))
    monkeypatch.setenv("CANGKU_TOKEN", token)
    shown = as_json(cangku("stock", "move-show", "1", "--json"))
    assert (shown["unit_cost"], shown["value"]) == ("2.5", "10")
    assert "value" in cangku("stock", "history").output.splitlines()[0]


def test_lots_list_their_expiry_status_and_filter_by_it(cangku: Invoke, stocked: Database) -> None:
    listed = as_json(cangku("lots", "list", "--json"))["items"]
    assert [(lot["code"], lot["expiry_status"]) for lot in listed] == [
        ("NEW", "no_expiry"),
        ("OLD", "expired"),
        ("SOON", "expiring_soon"),
    ]
    expired = as_json(cangku("lots", "list", "--expiry", "expired", "--json"))["items"]
    assert [lot["code"] for lot in expired] == ["OLD"]
    assert "expiry_status" in cangku("lots", "list").output.splitlines()[0]
    wrong = cangku("lots", "list", "--expiry", "stale", "--json")
    assert wrong.exit_code != 0
    assert json.loads(wrong.output)["error"]["code"] == "invalid_expiry_filter"


def test_a_warehouse_may_be_set_to_issue_expired_lots(cangku: Invoke, stocked: Database) -> None:
    issue = ("stock", "issue", "GLUE", "1", "--from", "WH1-A", "--lot", "OLD", "--json")
    refused = cangku(*issue)
    assert json.loads(refused.output)["error"]["code"] == "lot_expired"
    assert move_count(stocked) == 3
    changed = as_json(cangku("warehouses", "update", "WH1", "--allow-expired", "--json"))
    assert changed["allow_expired_issue"] is True
    assert [m["lot"] for m in as_json(cangku(*issue))["moves"]] == ["OLD"]
    back = as_json(cangku("warehouses", "update", "WH1", "--no-allow-expired", "--json"))
    assert back["allow_expired_issue"] is False
