"""``cangku alerts``: the open alerts of the warehouses I see (exact table and JSON), ``alerts
check`` answering what it opened and closed, ``alerts ack``; each refusal prints its code,
exits with its status and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import alerts, audit_log, outbox
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company, create_levelled_nut

STOCK = ["low_stock", "below_safety_stock", "stock_out", "overstock"]


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """NUT (reorder point 10, safety stock 5, maximum 100) with 3 in WH1 and 200 in WH2; a
    warehouse manager (boss) and a receiving clerk (clerk) of WH1; ``as_user(name, *args)``
    runs ``cangku args`` signed in as one of them (or admin)."""
    build_company(db)
    create_levelled_nut(db)
    tokens = {
        "admin": signed_in,
        "boss": user_with_roles(db, "boss", ("warehouse_manager", "WH1")),
        "clerk": user_with_roles(db, "clerk", ("receiving_clerk", "WH1")),
    }

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def written(db: Database) -> tuple[Any, ...]:
    """Every alert row as it is, and how many outbox rows and audit entries there are."""
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(alerts).order_by(alerts.c.id))]
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (outbox, audit_log)
        ]
    return (rows, *counts)


def test_check_answers_what_it_opened_then_what_stayed_open(as_user: Any) -> None:
    # WH1: 3 <= 10 (low) and 3 < 5 (below safety); WH2: 200 > 100 (overstock)
    first = as_user("boss", "alerts", "check", *STOCK, "--json")
    again = as_user("boss", "alerts", "check", *STOCK)

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"kinds": STOCK, "opened": 3, "closed": 0, "still_open": 0}
    assert again.stdout.splitlines() == [
        "kinds       " + json.dumps(STOCK),
        "opened      0",
        "closed      0",
        "still_open  3",
    ]


def test_alerts_lists_those_of_my_warehouses_newest_first(as_user: Any) -> None:
    as_user("boss", "alerts", "check", *STOCK)

    mine = json.loads(as_user("boss", "alerts", "--json").stdout)
    every = json.loads(as_user("admin", "alerts", "--json").stdout)
    low = json.loads(as_user("admin", "alerts", "--kind", "low_stock", "--json").stdout)
    wh2 = json.loads(as_user("admin", "alerts", "--warehouse", "WH2", "--json").stdout)

    # opened in one statement in KINDS order: low (1), below safety (2), overstock (3)
    assert [(a["id"], a["kind"]) for a in mine["items"]] == [
        (2, "below_safety_stock"),
        (1, "low_stock"),
    ]
    assert [a["id"] for a in every["items"]] == [3, 2, 1] and every["total"] == 3
    assert [a["id"] for a in low["items"]] == [1]
    assert low["items"][0]["figures"] == {
        "available": "3",
        "on_hand": "3",
        "reorder_point": "10",
        "reserved": "0",
    }
    assert [(a["kind"], a["warehouse"]) for a in wh2["items"]] == [("overstock", "WH2")]


def test_the_table_shows_kind_title_warehouse_and_figures(as_user: Any) -> None:
    as_user("boss", "alerts", "check", "low_stock")

    shown = as_user("boss", "alerts")

    assert shown.exit_code == 0, shown.output
    head, row, count = shown.stdout.splitlines()
    assert head.split() == [
        "id",
        "kind",
        "title",
        "warehouse",
        "opened_at",
        "figures",
        "acknowledged_by",
    ]
    assert row.startswith("1   low_stock  Low stock: NUT in WH1  WH1        ")
    assert row.rstrip().endswith(
        '{"available": "3", "on_hand": "3", "reorder_point": "10", "reserved": "0"}  -'
    )
    assert count == "(1 of 1)"


def test_a_cleared_alert_is_listed_only_with_all(as_user: Any, db: Database) -> None:
    as_user("boss", "alerts", "check", *STOCK)
    receive_stock(db, CTX, Receive("NUT", "20", "WH1-A", unit_cost="1"))  # 23: > 10, >= 5

    done = json.loads(as_user("boss", "alerts", "check", *STOCK, "--json").stdout)
    open_now = json.loads(as_user("boss", "alerts", "--json").stdout)
    every = json.loads(as_user("boss", "alerts", "--all", "--json").stdout)

    assert (done["opened"], done["closed"], done["still_open"]) == (0, 2, 1)
    assert open_now["items"] == []
    assert [(a["id"], a["closed_at"] is not None) for a in every["items"]] == [
        (2, True),
        (1, True),
    ]


def test_ack_records_who_and_refuses_a_second_time(as_user: Any, db: Database) -> None:
    as_user("boss", "alerts", "check", *STOCK)

    done = as_user("boss", "alerts", "ack", "1", "--json")
    before = written(db)
    again = as_user("admin", "alerts", "ack", "1", "--json")

    assert done.exit_code == 0, done.output
    acked = json.loads(done.stdout)
    assert (acked["id"], acked["kind"], acked["acknowledged_by"]) == (1, "low_stock", "boss")
    assert again.exit_code == 5
    assert json.loads(again.stdout)["error"]["code"] == "alert_already_acknowledged"
    assert written(db) == before


@pytest.mark.parametrize(
    ("user", "args", "exit_code", "code"),
    [
        ("clerk", ["alerts", "check"], 8, "permission_denied"),
        ("boss", ["alerts", "check", "nope"], 4, "unknown_alert_kind"),
        ("boss", ["alerts", "check", "--idle-days", "0"], 4, "invalid_alert_days"),
        ("boss", ["alerts", "ack", "3"], 8, "permission_denied"),  # overstock in WH2
        ("clerk", ["alerts", "ack", "1"], 8, "permission_denied"),
        ("boss", ["alerts", "ack", "99"], 3, "alert_not_found"),
        ("boss", ["alerts", "--kind", "nope"], 4, "unknown_alert_kind"),
        ("boss", ["alerts", "--warehouse", "WH2"], 3, "warehouse_not_found"),
    ],
    ids=[
        "clerk-checks",
        "unknown-kind",
        "idle-zero",
        "other-warehouse",
        "clerk-acks",
        "no-such-alert",
        "list-unknown-kind",
        "list-unseen-warehouse",
    ],
)
def test_each_refusal_prints_its_code_exits_and_writes_nothing(
    as_user: Any, db: Database, user: str, args: list[str], exit_code: int, code: str
) -> None:
    as_user("boss", "alerts", "check", *STOCK)
    before = written(db)

    result = as_user(user, *args, "--json")

    assert result.exit_code == exit_code, result.output
    assert json.loads(result.stdout)["error"]["code"] == code
    assert written(db) == before
