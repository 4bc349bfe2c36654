"""``cangku tasks``: my inbox (overdue first, by type), counts per step, assigning and taking a
task, and ``cangku tasks notifications``; refusals print their code and write nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import audit_log, document_events, documents, notifications
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.partners import PartnerInput, create_partner
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A buyer, a warehouse manager, a receiving clerk and an inspector of WH1; ``as_user(name,
    *args)`` runs ``cangku args`` signed in as one of them."""
    build_company(db)
    create_partner(db, Context("admin"), PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    tokens = {
        name: user_with_roles(db, name, (role, "WH1"))
        for name, role in [
            ("buyer", "purchaser"),
            ("boss", "warehouse_manager"),
            ("clerk", "receiving_clerk"),
            ("qc", "quality_inspector"),
        ]
    }

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    return str(json.loads(result.stdout)["error"]["code"])


def written(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (documents, document_events, audit_log, notifications)
        )


def order(as_user: Any, line: str, *extra: str) -> str:
    made = ok(
        as_user(
            "buyer", "po", "create", "--supplier", "ACME", "--warehouse", "WH1", "--line", line,
            *extra, "--json",
        )
    )  # fmt: skip
    return str(made["number"])


def inbox(as_user: Any, username: str, *args: str) -> list[tuple[str, str, bool]]:
    found = ok(as_user(username, "tasks", *args, "--json"))["items"]
    return [(t["number"], t["next_step"], t["overdue"]) for t in found]


@pytest.fixture
def orders(as_user: Any) -> tuple[str, str, str]:
    """Three drafts: due in 2070, overdue since 2020, with no due date."""
    week = order(as_user, "BOLT=1@1", "--due", "2070-01-01")
    late = order(as_user, "GLUE=1@1", "--due", "2020-01-01")
    undated = order(as_user, "PUMP=1@1")
    return week, late, undated


def test_my_tasks_come_overdue_first_then_by_due_date(
    as_user: Any, orders: tuple[str, str, str]
) -> None:
    week, late, undated = orders

    assert inbox(as_user, "buyer") == [
        (late, "confirm", True),
        (week, "confirm", False),
        (undated, "confirm", False),
    ]
    assert inbox(as_user, "buyer", "--type", "purchase_order", "--limit", "1") == [
        (late, "confirm", True)
    ]
    assert inbox(as_user, "buyer", "--type", "GR") == []
    assert inbox(as_user, "clerk") == [] and inbox(as_user, "qc") == []
    counts = ok(as_user("boss", "tasks", "counts", "--json"))["items"]
    assert counts == [{"doc_type": "purchase_order", "step": "confirm", "count": 3, "overdue": 1}]
    assert refused(as_user("buyer", "tasks", "--type", "nonsense", "--json"), 4) == (
        "unknown_document_type"
    )


def test_my_tasks_print_a_table_without_json(as_user: Any, orders: tuple[str, str, str]) -> None:
    result = as_user("buyer", "tasks")

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == [
        "number", "doc_type", "next_step", "state", "warehouse", "partner", "assignee", "due_on",
        "overdue",
    ]  # fmt: skip
    assert rows[1] == [
        orders[1], "purchase_order", "confirm", "draft", "WH1", "ACME", "-", "2020-01-01", "True",
    ]  # fmt: skip
    assert rows[-1] == ["(3", "of", "3)"]


def test_a_task_is_given_to_someone_taken_and_given_back(
    as_user: Any, db: Database, orders: tuple[str, str, str]
) -> None:
    week, late, undated = orders

    given = ok(as_user("boss", "tasks", "assign", week, "buyer", "--json"))
    assert given == {"number": week, "assignee": "buyer"}
    assert [n for n, *_ in inbox(as_user, "boss")] == [late, undated]
    assert [n for n, *_ in inbox(as_user, "buyer")] == [late, week, undated]

    taken = ok(as_user("buyer", "tasks", "take", undated, "--json"))
    assert taken == {"number": undated, "assignee": "buyer"}
    assert [n for n, *_ in inbox(as_user, "boss")] == [late]

    back = ok(as_user("boss", "tasks", "assign", week, "--anyone", "--json"))
    assert back == {"number": week, "assignee": None}
    assert [n for n, *_ in inbox(as_user, "boss")] == [late, week]
    events = ok(as_user("boss", "po", "show", week, "--json"))["events"]
    assert [(e["user"], e["step"], e["from_state"], e["to_state"]) for e in events] == [
        ("buyer", "create", None, "draft"),
        ("boss", "assign", "draft", "draft"),
        ("boss", "assign", "draft", "draft"),
    ]


def test_refused_assignments_write_nothing(
    as_user: Any, db: Database, orders: tuple[str, str, str]
) -> None:
    week, late, _ = orders
    ok(as_user("buyer", "po", "cancel", late, "--json"))
    before = written(db)

    cannot = as_user("boss", "tasks", "assign", week, "qc", "--json")
    not_manager = as_user("buyer", "tasks", "assign", week, "boss", "--json")
    not_buyer = as_user("clerk", "tasks", "take", week, "--json")
    neither = as_user("boss", "tasks", "assign", week, "--json")
    both = as_user("boss", "tasks", "assign", week, "boss", "--anyone", "--json")
    closed = as_user("boss", "tasks", "assign", late, "boss", "--json")
    missing = as_user("boss", "tasks", "take", "PO-WH1-1999-00001", "--json")
    nobody = as_user("boss", "tasks", "assign", week, "nobody", "--json")

    assert refused(cannot, 5) == "assignee_cannot_do_step"
    assert refused(not_manager, 8) == "permission_denied"
    assert refused(not_buyer, 8) == "permission_denied"
    assert refused(neither, 4) == "assignee_required"
    assert refused(both, 4) == "assignee_required"
    assert refused(closed, 5) == "nothing_to_assign"
    assert refused(missing, 3) == "document_not_found"
    assert refused(nobody, 3) == "user_not_found"
    assert written(db) == before


def test_notifications_are_listed_newest_first_and_marked_read(
    as_user: Any, orders: tuple[str, str, str]
) -> None:
    week, late, undated = orders
    ok(as_user("buyer", "tasks", "notifications", "--mark-read", "--json"))  # start afresh
    ok(as_user("boss", "tasks", "assign", week, "buyer", "--json"))

    boss = ok(as_user("boss", "tasks", "notifications", "--json"))
    buyer = ok(as_user("buyer", "tasks", "notifications", "--unread", "--mark-read", "--json"))
    again = ok(as_user("buyer", "tasks", "notifications", "--unread", "--json"))
    every = ok(as_user("buyer", "tasks", "notifications", "--json"))

    assert [(n["message"]["number"], n["message"]["step"], n["read"]) for n in boss["items"]] == [
        (undated, "confirm", False),
        (late, "confirm", False),
        (week, "confirm", False),
    ]
    assert [n["message"] for n in buyer["items"]] == [
        {"doc_type": "purchase_order", "number": week, "state": "draft", "step": "confirm"}
    ]
    assert (buyer["marked"], again["items"], again["marked"]) == (1, [], 0)
    assert [(n["message"]["number"], n["read"]) for n in every["items"]][0] == (week, True)
    assert all(n["read"] for n in every["items"])


def test_a_new_process_sees_the_tasks_of_every_document_type(
    as_user: Any, db: Database, database_url: str, orders: tuple[str, str, str]
) -> None:
    # `cangku tasks` imports no inbound service itself; the steps' actions must still be known
    # (this test process has imported everything, so only a new one shows it)
    env = {**os.environ, "CANGKU_DATABASE_URL": database_url}
    env["CANGKU_TOKEN"] = user_with_roles(db, "buyer2", ("purchaser", "WH1"))
    done = subprocess.run(
        [sys.executable, "-m", "cangku.cli.main", "tasks", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    found = [(t["number"], t["next_step"]) for t in json.loads(done.stdout)["items"]]
    assert found == [(orders[1], "confirm"), (orders[0], "confirm"), (orders[2], "confirm")]
