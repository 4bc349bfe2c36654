"""The cycle-count plan through the command line: ``cangku count abc --recompute``, ``count
frequency``, ``count due``, ``count create --plan --limit``, ``count accuracy`` with
``--json``; refusals print their code and exit status and write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import Result

from cangku.db import tables
from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.auth import user_with_roles
from tests.cli.test_outbound_cli import ok, refused
from tests.cli.tree import Invoke
from tests.factories import build_company
from tests.snapshot import WATCHED, state

ADMIN = Context("admin")
TABLES = [*WATCHED, tables.abc_runs, tables.abc_classes, tables.count_frequencies,
          tables.documents, tables.count_plan_places, tables.audit_log]  # fmt: skip


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """WH1-A: 100 BOLT at 0.50 (60 issued: 30.00) and 40 GLUE lot G1 at 2.00 (2 issued:
    4.00); WH1-B: 10 BOLT. A counter and a manager in WH1."""
    build_company(db)
    receive_stock(db, ADMIN, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, ADMIN, Receive("BOLT", "10", "WH1-B", unit_cost="0.50"))
    receive_stock(db, ADMIN, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    issue_stock(db, ADMIN, Issue("BOLT", "60", "WH1-A"))
    issue_stock(db, ADMIN, Issue("GLUE", "2", "WH1-A", lot="G1"))
    tokens = {"admin": signed_in}
    for name, role in [("zhao", "stock_counter"), ("qian", "warehouse_manager")]:
        tokens[name] = user_with_roles(db, name, (role, "WH1"))

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def test_a_plan_through_the_command_line(as_user: Any, db: Database) -> None:
    abc = ok(as_user("qian", "count", "abc", "--warehouse", "WH1", "--recompute", "--json"))
    assert [(i["item"], i["abc_class"], i["consumption"]) for i in abc["items"]] == [
        ("BOLT", "A", "30"),
        ("GLUE", "B", "4"),
    ]
    shown = ok(as_user("admin", "count", "frequency", "--class", "A=14", "--location",
                       "WH1-B=7", "--json"))  # fmt: skip
    assert shown == {"classes": {"A": 14, "B": 91, "C": 365}, "set_classes": ["A"],
                     "locations": [["WH1-B", 7]]}  # fmt: skip
    due = ok(as_user("zhao", "count", "due", "--warehouse", "WH1", "--json"))
    assert (due["places"], due["due"]) == (3, 3)
    assert [(r["item"], r["location"], r["days"], r["source"]) for r in due["rows"]] == [
        ("BOLT", "WH1-A", 14, "A"),
        ("BOLT", "WH1-B", 7, "WH1-B"),
        ("GLUE", "WH1-A", 91, "B"),
    ]
    made = ok(as_user("zhao", "count", "create", "--warehouse", "WH1", "--plan", "--limit", "1",
                      "--start", "--json"))  # fmt: skip
    number = made["number"]
    assert made["snapshot_lines"] == 1
    ok(as_user("zhao", "count", "enter", number, "--line", "WH1-A:BOLT=39", "--json"))
    for step in ("close", "approve", "post"):
        ok(as_user("qian", "count", step, number, "--json"))
    today = datetime.now(UTC).date()
    later = ok(as_user("zhao", "count", "due", "--warehouse", "WH1", "--all", "--on",
                       str(today + timedelta(days=14)), "--json"))  # fmt: skip
    assert [(r["item"], r["location"], r["last_counted"], r["due"]) for r in later["rows"]] == [
        ("BOLT", "WH1-B", None, True),
        ("GLUE", "WH1-A", None, True),
        ("BOLT", "WH1-A", str(today), True),
    ]
    [history] = ok(as_user("admin", "count", "accuracy", "--warehouse", "WH1", "--json"))
    assert [history[k] for k in ("number", "lines_counted", "lines_right", "accuracy",
                                 "net_variance")] == [number, 1, 0, "0.0", "-0.5"]  # fmt: skip
    with db.read() as conn:
        assert verify(conn).problems == []


def test_refusals_print_their_code_and_write_nothing(as_user: Any, db: Database) -> None:
    before = state(db, TABLES)
    for user, args, status, code in [
        ("zhao", ("abc", "--warehouse", "WH1", "--recompute"), 8, "permission_denied"),
        ("qian", ("abc", "--warehouse", "WH1", "--recompute", "--months", "x"), 4,
         "invalid_months"),
        ("qian", ("abc", "--warehouse", "WH1"), 3, "abc_run_not_found"),
        ("qian", ("abc", "--warehouse", "NOPE", "--recompute"), 3, "warehouse_not_found"),
        ("qian", ("frequency", "--class", "A=14"), 8, "permission_denied"),
        ("admin", ("frequency", "--class", "A=x"), 4, "invalid_frequency"),
        ("admin", ("frequency", "--class", "Q=7"), 4, "invalid_abc_class"),
        ("admin", ("frequency", "--location", "WH1-A=0"), 4, "invalid_frequency"),
        ("zhao", ("due", "--warehouse", "WH2"), 3, "warehouse_not_found"),
        ("zhao", ("due", "--warehouse", "WH1", "--on", "soon"), 4, "invalid_date"),
        ("zhao", ("due", "--warehouse", "WH1", "--limit", "0"), 4, "invalid_limit"),
        ("zhao", ("create", "--warehouse", "WH1", "--plan", "--limit", "x"), 4, "invalid_limit"),
        ("admin", ("create", "--warehouse", "WH2", "--plan"), 5, "nothing_due"),
    ]:  # fmt: skip
        result = as_user(user, "count", *args, "--json")
        assert refused(result, status)["code"] == code, args
    assert state(db, TABLES) == before
