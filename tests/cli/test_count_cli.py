"""Stock counts through the command line (issue 14): ``cangku count create|enter|close|recount|
approve|post|show|list`` with ``--json``: a blind count with a move while counting, a lot
nobody knew of entered from a CSV file, a recount by another counter, approval by someone who
did not count above the threshold; refusals print their code and exit status and write
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cangku.db import tables
from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.api.test_outbound_api import sql
from tests.auth import user_with_roles
from tests.cli.test_outbound_cli import ok, refused, stock
from tests.cli.tree import Invoke
from tests.factories import build_company
from tests.snapshot import WATCHED, state

ADMIN = Context("admin")
TABLES = [
    *WATCHED,
    tables.documents,
    tables.document_events,
    tables.count_sessions,
    tables.count_lines,
    tables.lots,
    tables.audit_log,
]


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """WH1-A holds 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00; a counter and a manager who
    counts in WH1, a manager everywhere; differences above 5.00 need someone who did not
    count."""
    build_company(db)
    receive_stock(db, ADMIN, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, ADMIN, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    sql(db, "UPDATE company SET adjustment_approval_threshold = 5000000")
    tokens = {"admin": signed_in}
    for name, role, where in [
        ("zhao", "stock_counter", "WH1"),
        ("qian", "warehouse_manager", "WH1"),
        ("boss", "warehouse_manager", None),
    ]:
        tokens[name] = user_with_roles(db, name, (role, where))

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def _lines(shown: dict[str, Any], *fields: str) -> list[tuple[Any, ...]]:
    return [(ln["location"], ln["item"], ln["lot"], *(ln[f] for f in fields))
            for ln in shown["lines"]]  # fmt: skip


def test_a_blind_count_through_the_command_line(as_user: Any, db: Database, tmp_path: Path) -> None:
    made = ok(as_user("zhao", "count", "create", "--warehouse", "WH1", "--zone", "WH1-A",
                      "--blind", "--start", "--json"))  # fmt: skip
    number = made["number"]
    assert (made["state"], made["snapshot_lines"]) == ("counting", 2)
    blind = ok(as_user("zhao", "count", "show", number, "--json"))
    assert _lines(blind, "expected") == [
        ("WH1-A", "BOLT", None, None),
        ("WH1-A", "GLUE", "G1", None),
    ]
    seen = ok(as_user("boss", "count", "show", number, "--json"))
    assert _lines(seen, "expected") == [
        ("WH1-A", "BOLT", None, "100"),
        ("WH1-A", "GLUE", "G1", "40"),
    ]
    issue_stock(db, ADMIN, Issue("BOLT", "5", "WH1-A"))  # while counting
    batch = tmp_path / "counted.csv"
    batch.write_text("location,item,lot,quantity\nWH1-A,GLUE,G1,40\nWH1-A,GLUE,G2,3\n")
    entered = ok(as_user("zhao", "count", "enter", number, "--line", "WH1-A:BOLT=94",
                         "--file", str(batch), "--json"))  # fmt: skip
    assert (entered["entered"], entered["new_lines"], entered["replayed"]) == (3, 1, False)
    closed = ok(as_user("zhao", "count", "close", number, "--json"))
    assert (closed["state"], closed["right"], closed["absolute_variance"]) == ("review", 1, "6.5")
    shown = ok(as_user("boss", "count", "show", number, "--json"))
    assert _lines(shown, "moved", "book", "counted", "difference", "value") == [
        ("WH1-A", "BOLT", None, "-5", "95", "94", "-1", "-0.5"),
        ("WH1-A", "GLUE", "G1", "0", "40", "40", "0", "0"),
        ("WH1-A", "GLUE", "G2", "0", "0", "3", "3", "6"),
    ]
    bolt = str(shown["lines"][0]["id"])
    assert ok(as_user("boss", "count", "recount", number, "--line", bolt, "--json"))["state"] == (
        "counting"
    )
    assert refused(as_user("zhao", "count", "enter", number, "--line", "WH1-A:BOLT=95",
                           "--json"), 5)["code"] == "recount_by_same_counter"  # fmt: skip
    ok(as_user("qian", "count", "enter", number, "--line", "WH1-A:BOLT=95", "--json"))
    ok(as_user("qian", "count", "close", number, "--json"))
    assert refused(as_user("qian", "count", "approve", number, "--json"), 5)["code"] == (
        "counter_cannot_approve"
    )
    assert ok(as_user("boss", "count", "approve", number, "--json"))["state"] == "approved"
    posted = ok(as_user("boss", "count", "post", number, "--json"))
    assert (posted["state"], len(posted["move_ids"])) == ("posted", 1)
    assert stock(db) == {
        ("BOLT", "WH1-A", None): "95",
        ("GLUE", "WH1-A", "G1"): "40",
        ("GLUE", "WH1-A", "G2"): "3",
    }
    table = as_user("boss", "count", "show", number)
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split() == [number, "WH1", "posted,", "blind"]
    listed = ok(as_user("zhao", "count", "list", "--json"))
    assert [(c["number"], c["state"]) for c in listed["items"]] == [(number, "posted")]
    with db.read() as conn:
        assert verify(conn).problems == []


def test_refusals_print_their_code_and_write_nothing(
    as_user: Any, db: Database, tmp_path: Path
) -> None:
    before = state(db, TABLES)
    for args, status, code in [
        (("--warehouse", "NOPE"), 3, "warehouse_not_found"),
        (("--warehouse", "WH1", "--location", "WH2-A"), 4, "location_not_in_warehouse"),
    ]:
        assert refused(as_user("zhao", "count", "create", *args, "--json"), status)["code"] == code
    assert state(db, TABLES) == before
    number = ok(as_user("zhao", "count", "create", "--warehouse", "WH1", "--start",
                        "--json"))["number"]  # fmt: skip
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("where,what\nWH1-A,BOLT\n")
    before = state(db, TABLES)
    for user, args, status, code in [
        ("zhao", ("enter", number, "--line", "WH1-A=3"), 4, "invalid_line"),
        ("zhao", ("enter", number, "--file", str(bad_file)), 4, "invalid_file"),
        ("zhao", ("enter", number), 4, "no_lines"),
        ("zhao", ("enter", number, "--line", "WH2-A:BOLT=5"), 5, "count_line_out_of_scope"),
        ("zhao", ("enter", number, "--line", "WH1-A:BOLT=-1"), 4, "negative_count"),
        ("zhao", ("enter", number, "--line", "NOPE:BOLT=1"), 3, "location_not_found"),
        ("zhao", ("approve", number), 8, "permission_denied"),
        ("boss", ("post", number), 5, "invalid_transition"),
        ("boss", ("show", "CNT-WH1-2026-99999"), 3, "count_not_found"),
    ]:
        result = as_user(user, "count", *args, "--json")
        assert refused(result, status)["code"] == code, args
    assert state(db, TABLES) == before
    assert ok(as_user("zhao", "count", "cancel", number, "--json"))["state"] == "cancelled"
