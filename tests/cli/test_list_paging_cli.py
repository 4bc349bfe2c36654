"""``cangku stock on-hand | history | as-of | value``: ``--sort`` orders exactly, ``--cursor``
walks every row once, ``--json`` carries ``next_cursor`` and ``total_exact``, the valuation
keeps ``--limit`` with the whole total, and a sort or cursor the list did not hand out is
refused with its code (exit 4, bad input; no traceback)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import Result

from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company

#: (item, quantity, location, unit cost)
RECEIPTS = [("BOLT", "10", "WH1-A", "1"), ("BOLT", "5", "WH1-B", "2"), ("BOLT", "7", "WH2-A", "1")]


@pytest.fixture
def stocked(db: Database) -> Database:
    build_company(db)
    for item, qty, location, cost in RECEIPTS:
        receive_stock(db, CTX, Receive(item, qty, location, unit_cost=cost))
    receive_stock(db, CTX, Receive("GLUE", "2", "WH1-B", lot="G1", unit_cost="4"))
    return db


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def walk(cangku: Invoke, *args: str) -> list[Any]:
    page = ok(cangku("stock", *args, "--json"))
    rows = list(page["items"])
    while page["next_cursor"]:
        page = ok(cangku("stock", *args, "--cursor", page["next_cursor"], "--json"))
        rows += page["items"]
    return rows


def test_on_hand_sorts_and_walks_with_cursors(stocked: Database, cangku: Invoke) -> None:
    first = ok(cangku("stock", "on-hand", "--sort", "-on_hand", "--limit", "2", "--json"))
    assert [(r["location"], r["on_hand"]) for r in first["items"]] == [
        ("WH1-A", "10"),
        ("WH2-A", "7"),
    ]
    assert (first["total"], first["total_exact"], first["prev_cursor"]) == (4, True, None)
    assert first["next_cursor"]
    rows = walk(cangku, "on-hand", "--sort", "-on_hand", "--limit", "2")
    assert [r["on_hand"] for r in rows] == ["10", "7", "5", "2"]
    cursor = ok(cangku("stock", "on-hand", "--limit", "2", "--json"))["next_cursor"]
    table = cangku("stock", "on-hand", "--limit", "2")
    assert table.stdout.splitlines()[-1] == f"more: --cursor {cursor}"


def test_history_sorts_and_walks(stocked: Database, cangku: Invoke) -> None:
    by_quantity = ok(cangku("stock", "history", "--sort", "quantity", "--json"))
    assert [m["quantity"] for m in by_quantity["items"]] == ["2", "5", "7", "10"]
    assert by_quantity["next_cursor"] is None and by_quantity["total_exact"] is True
    rows = walk(cangku, "history", "--sort", "quantity", "--limit", "3")
    assert [m["quantity"] for m in rows] == ["2", "5", "7", "10"]


def test_value_keeps_the_limit_and_the_whole_total(stocked: Database, cangku: Invoke) -> None:
    page = ok(cangku("stock", "value", "--limit", "1", "--json"))
    assert [(v["item"], v["value"]) for v in page["items"]] == [("BOLT", "27")]
    assert (page["total_value"], page["total"], page["currency"]) == ("35", 2, "CNY")
    rest = ok(cangku("stock", "value", "--limit", "1", "--cursor", page["next_cursor"], "--json"))
    assert [(v["item"], v["value"]) for v in rest["items"]] == [("GLUE", "8")]
    assert rest["next_cursor"] is None and rest["total_value"] == "35"


def test_as_of_is_paged(stocked: Database, cangku: Invoke) -> None:
    at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    rows = walk(cangku, "as-of", "--at", at, "--limit", "3")
    assert [(r["item"], r["location"], r["on_hand"]) for r in rows] == [
        ("BOLT", "WH1-A", "10"),
        ("BOLT", "WH1-B", "5"),
        ("BOLT", "WH2-A", "7"),
        ("GLUE", "WH1-B", "2"),
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("on-hand", "--sort", "price"), "invalid_sort"),
        (("history", "--sort", "-value"), "invalid_sort"),
        (("on-hand", "--cursor", "nonsense"), "invalid_cursor"),
        (("history", "--cursor", "e30"), "invalid_cursor"),
        (("value", "--cursor", "e30"), "invalid_cursor"),
    ],
)
def test_a_sort_or_cursor_not_offered_is_refused(
    stocked: Database, cangku: Invoke, args: tuple[str, ...], code: str
) -> None:
    result = cangku("stock", *args, "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == code
    assert "Traceback" not in result.output
