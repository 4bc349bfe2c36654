"""``cangku replenishment``: recompute, the levels (exact table and JSON), show with the
working, override and clear with who and why; each refusal prints its code, exits with its
status and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import audit_log, replenishment_levels
from cangku.db.uow import Database
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company
from tests.replenishment_factory import WEEKS, build_levelled_bolt


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The hand-worked ledger (tests.replenishment_factory); buyer: purchaser in WH1, vic:
    viewer in WH1; ``as_user(name, *args)`` runs ``cangku args`` signed in as one of them."""
    build_company(db)
    build_levelled_bolt(db)
    tokens = {
        "admin": signed_in,
        "buyer": user_with_roles(db, "buyer", ("purchaser", "WH1")),
        "vic": user_with_roles(db, "vic", ("viewer", "WH1")),
    }

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def written(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(replenishment_levels))]
        audits = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    return rows, audits


def test_recompute_list_show_override_and_clear(as_user: Any) -> None:
    done = as_user("buyer", "replenishment", "recompute", "--weeks", str(WEEKS), "--json")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert (answer["computed"], answer["cleared"], answer["methods"]) == (
        1, 0, {"moving_average": 1}
    )  # fmt: skip

    shown = as_user("vic", "replenishment", "levels")
    assert shown.exit_code == 0, shown.output
    assert [line.split() for line in shown.stdout.splitlines()] == [
        ["item", "warehouse", "safety_stock", "reorder_point", "order_up_to", "source", "method",
         "mase", "demand", "lead_time"],
        ["BOLT", "WH1", "15", "29", "43", "computed/computed/computed", "moving_average", "0",
         "2", "7"],
        ["(1", "of", "1)"],
    ]  # fmt: skip
    one = json.loads(as_user("vic", "replenishment", "show", "BOLT", "WH1", "--json").stdout)
    assert (one["demand_sd"], one["working"]["deviation"]) == ("2.566756", "8.838419")
    text = as_user("vic", "replenishment", "show", "BOLT", "WH1").stdout.splitlines()
    assert text[:2] == [
        "safety_stock: 15 (computed; computed 15, override None)",
        "reorder_point: 29 (computed; computed 29, override None)",
    ]

    held = as_user(
        "buyer", "replenishment", "override", "BOLT", "WH1", "--reason", "strike",
        "--reorder-point", "60", "--max", "80", "--json",
    )  # fmt: skip
    assert held.exit_code == 0, held.output
    assert json.loads(held.stdout) == {
        "safety_stock": "15", "reorder_point": "60", "order_up_to": "80"
    }  # fmt: skip
    listed = json.loads(as_user("vic", "replenishment", "levels", "--overridden", "--json").stdout)
    (row,) = listed["items"]
    assert (row["override_by"], row["override_reason"]) == ("buyer", "strike")

    cleared = as_user("buyer", "replenishment", "clear", "BOLT", "WH1", "--json")
    assert cleared.exit_code == 0, cleared.output
    listed = json.loads(as_user("vic", "replenishment", "levels", "--overridden", "--json").stdout)
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("user", "args", "exit_code", "code"),
    [
        ("vic", ["recompute"], 8, "permission_denied"),
        ("buyer", ["recompute", "--weeks", "5"], 4, "invalid_weeks"),
        ("buyer", ["recompute", "--warehouse", "WH2"], 8, "permission_denied"),
        ("buyer", ["override", "BOLT", "WH1", "--reason", " ", "--max", "90"], 4,
         "reason_required"),
        ("buyer", ["override", "BOLT", "WH1", "--reason", "x", "--max", "-1"], 4,
         "negative_level"),
        ("buyer", ["override", "BOLT", "WH1", "--reason", "x", "--max", "20"], 4,
         "max_below_reorder_point"),
        ("buyer", ["override", "NOPE", "WH1", "--reason", "x", "--max", "90"], 3,
         "item_not_found"),
        ("vic", ["override", "BOLT", "WH1", "--reason", "x", "--max", "90"], 8,
         "permission_denied"),
        ("buyer", ["clear", "BOLT", "WH1"], 3, "override_not_found"),
        ("vic", ["show", "GLUE", "WH1"], 3, "replenishment_levels_not_found"),
        ("vic", ["levels", "--warehouse", "WH9"], 3, "warehouse_not_found"),
    ],
    ids=["viewer-recomputes", "weeks", "other-warehouse", "no-reason", "negative",
         "max-below", "unknown-item", "viewer-overrides", "nothing-to-clear", "not-stored",
         "unknown-warehouse"],
)  # fmt: skip
def test_each_refusal_prints_its_code_exits_and_writes_nothing(
    as_user: Any, db: Database, user: str, args: list[str], exit_code: int, code: str
) -> None:
    as_user("admin", "replenishment", "recompute", "--weeks", str(WEEKS))
    before = written(db)
    result = as_user(user, "replenishment", *args, "--json")
    assert result.exit_code == exit_code, result.output
    assert json.loads(result.stdout)["error"]["code"] == code
    assert written(db) == before
