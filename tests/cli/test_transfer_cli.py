"""Transfers through the command line (issue 14): ``cangku transfer create|approve|dispatch|
receive|resolve|transit|show`` with ``--json``, each step by the user whose role it is, in the
warehouse it is taken in; refusals print their code and exit status and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import Result

from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.cli.test_outbound_cli import ok, refused, stock, written
from tests.cli.tree import Invoke
from tests.factories import build_company

ADMIN = Context("admin")


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """WH1 holds 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00 in WH1-A; an asker and a
    picker in WH1, a receiver in WH2, a manager everywhere."""
    build_company(db)
    receive_stock(db, ADMIN, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, ADMIN, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    tokens = {"admin": signed_in}
    for name, role, where in [
        ("asker", "receiving_clerk", "WH1"),
        ("picker", "picker_shipper", "WH1"),
        ("receiver", "receiving_clerk", "WH2"),
        ("boss", "warehouse_manager", None),
    ]:
        tokens[name] = user_with_roles(db, name, (role, where))

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def _create(as_user: Any, *extra: str) -> dict[str, Any]:
    return dict(
        ok(
            as_user(
                "asker", "transfer", "create", "--from", "WH1", "--to", "WH2",
                "--line", "BOLT=30", "--line", "GLUE=10", "--from-bin", "WH1-A",
                "--to-bin", "BOLT=WH2-A", "--lot", "GLUE=G1", *extra, "--json",
            )
        )
    )  # fmt: skip


def test_a_transfer_with_a_discrepancy_through_the_command_line(as_user: Any, db: Database) -> None:
    made = _create(as_user, "--submit")
    number = made["number"]
    assert made["state"] == "submitted"
    assert ok(as_user("boss", "transfer", "approve", number, "--json"))["state"] == "approved"
    sent = ok(as_user("picker", "transfer", "dispatch", number, "--json"))
    assert (sent["state"], len(sent["move_ids"])) == ("in_transit", 2)
    transit = ok(as_user("boss", "transfer", "transit", "--json"))
    assert [(r["line_no"], r["item"], r["quantity"], r["value"]) for r in transit] == [
        (1, "BOLT", "30", "15"),
        (2, "GLUE", "10", "20"),
    ]
    # the receiver's list shows what arrives without its value
    arriving = ok(as_user("receiver", "transfer", "transit", "--warehouse", "WH2", "--json"))
    assert [(r["item"], r["value"]) for r in arriving] == [("BOLT", None), ("GLUE", None)]
    got = ok(
        as_user(
            "receiver", "transfer", "receive", number, "--line", "1=29", "--damaged", "1=1",
            "--bin", "2=WH2-A", "--json",
        )
    )  # fmt: skip
    assert got["state"] == "discrepancy"
    done = ok(as_user("boss", "transfer", "resolve", number, "--line", "1=1:scrapped", "--json"))
    assert done["state"] == "received"
    assert stock(db) == {
        ("BOLT", "WH1-A", None): "70",
        ("BOLT", "WH2-A", None): "29",
        ("GLUE", "WH1-A", "G1"): "30",
        ("GLUE", "WH2-A", "G1"): "10",
    }
    shown = ok(as_user("receiver", "transfer", "show", number, "--json"))
    assert [
        (ln["line_no"], ln["done"], ln["accepted"], ln["rejected"], ln["resolved"])
        for ln in shown["lines"]
    ] == [(1, "30", "29", "1", "1"), (2, "10", "10", "0", "0")]
    with db.read() as conn:
        assert verify(conn).problems == []


def test_refusals_print_their_code_and_write_nothing(as_user: Any, db: Database) -> None:
    before = written(db)
    too_much = as_user(
        "asker", "transfer", "create", "--from", "WH1", "--to", "WH2", "--line", "BOLT=101",
        "--from-bin", "WH1-A", "--json",
    )  # fmt: skip
    assert refused(too_much, 5)["code"] == "insufficient_stock"
    no_bin = as_user("asker", "transfer", "create", "--from", "WH1", "--line", "BOLT=1", "--json")
    assert refused(no_bin, 4)["code"] == "from_location_required"
    assert written(db) == before
    number = _create(as_user, "--submit")["number"]
    before = written(db)
    assert refused(as_user("asker", "transfer", "approve", number, "--json"), 8)["code"] == (
        "permission_denied"
    )
    bad = as_user("boss", "transfer", "resolve", number, "--line", "1=1", "--json")
    assert refused(bad, 4)["code"] == "invalid_line"
    assert refused(as_user("receiver", "transfer", "receive", number, "--json"), 5)["code"] == (
        "invalid_transition"
    )
    assert written(db) == before


def test_within_a_warehouse_in_one_command_each(as_user: Any, db: Database) -> None:
    made = ok(
        as_user(
            "picker", "transfer", "create", "--from", "WH1", "--line", "BOLT=1:box",
            "--from-bin", "WH1-A", "--to-bin", "WH1-B", "--submit", "--json",
        )
    )  # fmt: skip
    assert made["state"] == "approved"
    done = ok(as_user("picker", "transfer", "dispatch", made["number"], "--json"))
    assert done["state"] == "received"
    assert stock(db)[("BOLT", "WH1-B", None)] == "12"
