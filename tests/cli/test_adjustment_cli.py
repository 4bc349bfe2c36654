"""``cangku adjustment ...`` and ``cangku reasons ...``: raise, submit, approve by another,
post; reason codes; the manual adjust and scrap print their document (and that it waits above
the threshold). Refusals: message and exit status, nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import audit_log, document_events, documents, moves
from cangku.db.uow import Database
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company

YEAR = datetime.now(UTC).year
FIRST = f"ADJ-WH1-{YEAR}-00001"


@pytest.fixture
def tokens(db: Database, signed_in: str) -> dict[str, str]:
    build_company(db)
    found = {"admin": signed_in}
    for name, role in [("counter", "stock_counter"), ("boss", "warehouse_manager")]:
        found[name] = user_with_roles(db, name, (role, "WH1"))
    return found


@pytest.fixture
def as_user(cangku: Invoke, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    run("admin", "stock", "receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "2")
    return run


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, exit_code: int) -> dict[str, Any]:
    assert result.exit_code == exit_code, result.output
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    return error


def written(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (moves, documents, document_events, audit_log)
        )


CREATE = [
    "adjustment", "create", "--line", "BOLT=3", "--line", "BOLT=1",
    "--location", "#1=WH1-A", "--location", "#2=WH1-B",
    "--direction", "#1=loss", "--direction", "#2=gain",
    "--reason", "#1=lost", "--reason", "#2=found", "--unit-cost", "#2=4",
]  # fmt: skip


def test_raise_submit_approve_post(as_user: Any, db: Database) -> None:
    ok(as_user("admin", "company", "set", "--adjustment-approval-threshold", "5", "--json"))
    raised = ok(as_user("counter", *CREATE, "--json"))
    assert (raised["number"], raised["state"]) == (FIRST, "draft")
    assert ok(as_user("counter", "adjustment", "submit", FIRST, "--json"))["state"] == "submitted"
    own = refused(as_user("counter", "adjustment", "approve", FIRST, "--json"), 8)
    assert own["code"] == "permission_denied"
    assert ok(as_user("boss", "adjustment", "approve", FIRST, "--json"))["state"] == "approved"
    posted = ok(as_user("counter", "adjustment", "post", FIRST, "--json"))
    assert (posted["state"], len(posted["move_ids"])) == ("posted", 2)
    before = written(db)
    again = refused(as_user("counter", "adjustment", "post", FIRST, "--json"), 5)
    assert again["code"] == "invalid_transition"
    assert written(db) == before
    shown = ok(as_user("counter", "adjustment", "show", FIRST, "--json"))
    assert [(ln["reason_code"], ln["done"], ln["location"]) for ln in shown["lines"]] == [
        ("lost", "3", "WH1-A"),
        ("found", "1", "WH1-B"),
    ]
    assert shown["total_value"] == "10"
    listed = ok(as_user("counter", "adjustment", "list", "--state", "posted", "--json"))
    assert [d["number"] for d in listed["items"]] == [FIRST]
    text = as_user("counter", "adjustment", "show", FIRST)
    assert "Steps now: none" in text.output


def test_own_approval_and_reject(as_user: Any, db: Database) -> None:
    ok(as_user("admin", "company", "set", "--adjustment-approval-threshold", "1", "--json"))
    raised = ok(as_user("boss", *CREATE, "--submit", "--json"))
    assert raised["state"] == "submitted"
    before = written(db)
    own = refused(as_user("boss", "adjustment", "approve", FIRST, "--json"), 5)
    assert own["code"] == "own_document_approval"
    assert written(db) == before
    rejected = ok(as_user("admin", "adjustment", "reject", FIRST, "--reason", "recount", "--json"))
    assert rejected["state"] == "rejected"


@pytest.mark.parametrize(
    ("change", "exit_code", "code"),
    [
        pytest.param(["--reason", "#1=whim"], 4, "unknown_reason_code", id="reason"),
        pytest.param(
            [
                "--line",
                "BOLT=-1",
                "--location",
                "#3=WH1-A",
                "--direction",
                "#3=loss",
                "--reason",
                "#3=lost",
            ],
            4,
            "quantity_not_positive",
            id="negative",
        ),
        pytest.param(["--direction", "#1=up"], 4, "invalid_direction", id="direction"),
        pytest.param(["--location", "#1=NOPE"], 3, "location_not_found", id="location"),
    ],
)
def test_bad_adjustments_are_refused(
    as_user: Any, db: Database, change: list[str], exit_code: int, code: str
) -> None:
    before = written(db)
    error = refused(as_user("counter", *CREATE, *change, "--post", "--json"), exit_code)
    assert error["code"] == code
    assert written(db) == before


def test_a_line_without_its_location_is_refused(as_user: Any, db: Database) -> None:
    args = ["adjustment", "create", "--line", "BOLT=1", "--direction", "loss", "--reason", "lost"]
    error = refused(as_user("counter", *args, "--json"), 4)
    assert error["code"] == "location_required"


def test_manual_adjust_prints_its_document_and_waits_above_the_threshold(
    as_user: Any, db: Database
) -> None:
    done = ok(
        as_user(
            "counter", "stock", "adjust", "BOLT", "-1", "--location", "WH1-A", "--reason", "lost",
            "--json",
        )
    )  # fmt: skip
    assert (done["document"], done["state"], len(done["moves"])) == (FIRST, "posted", 1)
    ok(as_user("admin", "company", "set", "--adjustment-approval-threshold", "3", "--json"))
    moves_before = written(db)[0]
    scrap = ["stock", "scrap", "BOLT", "2", "--from", "WH1-A", "--reason", "damaged"]
    waiting = ok(as_user("admin", *scrap, "--json"))
    assert waiting == {
        "moves": [],
        "replayed": False,
        "document": f"ADJ-WH1-{YEAR}-00002",
        "state": "submitted",
    }
    assert written(db)[0] == moves_before
    text = as_user("admin", *scrap)
    assert text.exit_code == 0, text.output
    assert f"ADJ-WH1-{YEAR}-00003: waits for approval" in text.output


def test_reason_codes(as_user: Any, db: Database) -> None:
    listed = ok(as_user("counter", "reasons", "list", "--kind", "scrap", "--json"))["items"]
    assert [c["code"] for c in listed] == ["damaged", "expired", "defective", "obsolete", "other"]
    added = ok(as_user("boss", "reasons", "add", "scrap", "rust", "--label", "Rusted", "--json"))
    assert (added["code"], added["active"], added["builtin"]) == ("rust", True, False)
    off = ok(as_user("boss", "reasons", "deactivate", "scrap", "damaged", "--json"))
    assert (off["active"], off["builtin"]) == (False, True)
    before = written(db)
    inactive = refused(
        as_user("admin", "stock", "scrap", "BOLT", "1", "--from", "WH1-A", "--json"), 5
    )
    assert inactive["code"] == "reason_code_inactive"
    denied = refused(as_user("counter", "reasons", "activate", "scrap", "damaged", "--json"), 8)
    assert denied["code"] == "permission_denied"
    bad = refused(as_user("boss", "reasons", "add", "scrap", "Bad!", "--label", "x", "--json"), 4)
    assert bad["code"] == "invalid_reason_code"
    assert written(db) == before
    assert ok(as_user("boss", "reasons", "activate", "scrap", "damaged", "--json"))["active"]
