"""``cangku lots hold|quarantine|recall|release`` and ``cangku trace`` with --json and files."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cangku.db.tables import lot_events, lots
from cangku.db.uow import Database
from cangku.services.stock import receive_stock, scrap_stock
from cangku.services.stock_commands import Receive, Scrap
from tests.cli.test_sites_cli import Invoke, as_json
from tests.cli.test_sites_cli import cli as cli
from tests.factories import CTX, build_company


@pytest.fixture
def run(cli: Invoke, db: Database) -> Invoke:
    build_company(db)
    receive_stock(db, CTX, Receive("GLUE", "30", "WH1-A", lot="G1", unit_cost="2"))
    scrap_stock(db, CTX, Scrap("GLUE", "4", "WH1-A", lot="G1"))
    return cli


def _state(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        row = conn.execute(select(lots.c.status, lots.c.version).where(lots.c.code == "G1")).one()
        events = conn.execute(select(func.count()).select_from(lot_events)).scalar()
    return (*row, events)


def test_verbs_and_show_with_history(run: Invoke) -> None:
    held = run("lots", "hold", "GLUE", "G1", "--reason", "QA check", "--json")
    quarantined = run("lots", "quarantine", "GLUE", "G1", "--reason", "lab", "--json")
    recalled = run("lots", "recall", "GLUE", "G1", "--reason", "supplier recall", "--json")
    released = run("lots", "release", "GLUE", "G1", "--reason", "withdrawn", "--json")
    shown = run("lots", "show", "GLUE", "G1", "--json")
    text = run("lots", "show", "GLUE", "G1")

    assert held.exit_code == 0, held.output
    assert (as_json(held)["status"], as_json(held)["released"]) == ("hold", [])
    assert as_json(quarantined)["status"] == "quarantine"
    assert as_json(recalled)["status"] == "recalled"
    assert as_json(released)["status"] == "available"
    assert [
        (e["user"], e["from_status"], e["to_status"], e["reason"], e["document"])
        for e in as_json(shown)["history"]
    ] == [
        ("admin", "available", "hold", "QA check", None),
        ("admin", "hold", "quarantine", "lab", None),
        ("admin", "quarantine", "recalled", "supplier recall", None),
        ("admin", "recalled", "available", "withdrawn", None),
    ]
    assert text.exit_code == 0
    assert "from_status" in text.stdout and "supplier recall" in text.stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (("release", "GLUE", "G1", "--reason", "x"), 5, "lot_not_held"),
        (("hold", "GLUE", "G1", "--reason", " "), 4, "reason_required"),
        (("hold", "GLUE", "NOPE", "--reason", "x"), 3, "lot_not_found"),
    ],
    ids=["not-held", "blank-reason", "no-lot"],
)
def test_refusals_exit_with_the_code_and_change_nothing(
    run: Invoke, db: Database, args: tuple[str, ...], exit_code: int, code: str
) -> None:
    before = _state(db)

    result = run("lots", *args, "--json")

    assert result.exit_code == exit_code
    assert as_json(result)["error"]["code"] == code
    assert _state(db) == before


def test_a_reason_is_required_on_the_command_line(run: Invoke, db: Database) -> None:
    before = _state(db)
    result = run("lots", "hold", "GLUE", "G1")
    assert result.exit_code == 2
    assert _state(db) == before


def test_trace_json_and_files(run: Invoke, tmp_path: Path) -> None:
    as_text = run("trace", "GLUE", "G1")
    found = run("trace", "GLUE", "G1", "--json")
    to_csv = run("trace", "GLUE", "G1", "--csv", str(tmp_path / "t.csv"), "--json")
    to_xlsx = run("trace", "GLUE", "G1", "--xlsx", str(tmp_path / "t.xlsx"))

    assert found.exit_code == 0, found.output
    body = as_json(found)
    assert [(m["category"], m["quantity"]) for m in body["came_from"]] == [("received", "30")]
    assert [(p["location"], p["on_hand"]) for p in body["now_at"]] == [("WH1-A", "26")]
    assert [(m["category"], m["quantity"]) for m in body["went_to"]] == [("scrapped", "4")]
    assert (body["totals"]["total_in"], body["balanced"]) == ("30", True)
    assert as_text.exit_code == 0
    assert "in 30 = on hand 26 + out 4 (balanced)" in as_text.stdout
    assert to_csv.exit_code == 0 and to_xlsx.exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text("utf-8-sig"))))
    assert [r[:2] + [r[5]] for r in rows[1:4]] == [
        ["came_from", "received", "30"],
        ["now_at", "internal", "26"],
        ["went_to", "scrapped", "4"],
    ]
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert sheet is not None
    assert [sheet.cell(row=2, column=c).value for c in (1, 2, 6)] == ["came_from", "received", 30]


def test_trace_by_the_lot_alone(run: Invoke, db: Database) -> None:
    """``cangku trace LOT``: the one item with a lot of that code; two items with one: name
    the item."""
    alone = as_json(run("trace", "G1", "--json"))
    assert (alone["item"], alone["lot"], alone["balanced"]) == ("GLUE", "G1", True)
    receive_stock(db, CTX, Receive("FLOUR", "5", "WH1-A", lot="G1", unit_cost="1"))
    both = run("trace", "G1", "--json")
    assert (both.exit_code, as_json(both)["error"]["code"]) == (4, "lot_ambiguous")
    assert as_json(both)["error"]["data"]["items"] == ["FLOUR", "GLUE"]
    assert as_json(run("trace", "FLOUR", "G1", "--json"))["item"] == "FLOUR"
    missing = run("trace", "NOPE", "--json")
    assert (missing.exit_code, as_json(missing)["error"]["code"]) == (3, "lot_not_found")


def test_trace_refusals(run: Invoke, tmp_path: Path) -> None:
    missing = run("trace", "GLUE", "NOPE", "--json")
    both = run("trace", "GLUE", "G1", "--csv", "a.csv", "--xlsx", "b.xlsx", "--json")

    assert (missing.exit_code, as_json(missing)["error"]["code"]) == (3, "lot_not_found")
    assert (both.exit_code, as_json(both)["error"]["code"]) == (4, "one_file_format")
