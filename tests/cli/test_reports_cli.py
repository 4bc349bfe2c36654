"""``cangku report [NAME]`` (issue 15): the list, each report's exact figures with --json (the
ledger of tests/api/test_reports_api.py), the files it writes, and its refusals with the exit
codes of every command (NotFound 3, InvalidInput 4, PermissionDenied 8), nothing written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import Result

from cangku.db.tables import audit_log, moves
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS
from cangku.services.users import create_role
from tests.api.test_reports_api import day, seed
from tests.cli.test_auth_cli import signed_out as signed_out
from tests.cli.test_users_cli import as_user
from tests.cli.tree import Invoke
from tests.factories import CTX

NAMES = list(REPORTS)
#: the options that take a whole number in a range (the others take one of their choices)
INT_OPTIONS = [(n, o) for n, s in REPORTS.items() for o in s.options if not o.choices]


@pytest.fixture
def run(cangku: Invoke, db: Database) -> Invoke:
    seed(db)
    return cangku


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error(result: Result) -> tuple[int, str]:
    return result.exit_code, json.loads(result.stdout)["error"]["code"]


def cells(body: Any, *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[k] for k in keys) for row in body["rows"]]


def written(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (moves, audit_log)
        )


def test_the_list_names_every_report(run: Invoke) -> None:
    listed = ok(run("report", "--json"))
    assert [r["name"] for r in listed] == NAMES
    assert [r["formats"] for r in listed] == [list(s.formats) for s in REPORTS.values()]
    stock_value = next(r for r in listed if r["name"] == "stock-value")
    assert (stock_value["time"], stock_value["options"][0]["choices"][0]) == ("as_of", "item")
    numbers = [(r["name"], o) for r in listed for o in r["options"] if not o["choices"]]
    assert numbers == [
        (name, {"name": o.name, "choices": [], "low": o.low, "high": o.high})
        for name, o in INT_OPTIONS
    ]
    shown = run("report")
    assert shown.exit_code == 0, shown.output
    assert all(name in shown.stdout for name in NAMES)
    assert all(f"--{o.name} {o.low}-{o.high}" in shown.stdout for _, o in INT_OPTIONS)


def test_stock_value_with_json_gives_the_exact_figures(run: Invoke) -> None:
    now = ok(run("report", "stock-value", "--json"))
    assert (now["name"], now["period"]) == ("stock-value", "now")
    assert cells(now, "item", "quantity", "unit_cost", "value", "share") == [
        ("BOLT", "15", "3.333333", "50", "73.53"),
        ("FLOUR", "6", "3", "18", "26.47"),
    ]
    assert (now["totals"]["value"], now["totals"]["share"]) == ("68", "100.00")
    past = ok(run("report", "stock-value", "--at", day(6), "--group", "warehouse", "--json"))
    assert past["period"] == day(6)
    assert cells(past, "warehouse", "items", "value", "share") == [
        ("WH1", 2, "60", "66.67"),
        ("WH2", 1, "30", "33.33"),
    ]


def test_value_movement_and_turnover_over_a_period(run: Invoke) -> None:
    period = ("--start", day(9), "--end", day(2), "--json")
    movement = ok(run("report", "value-movement", *period))
    assert movement["period"] == f"{day(9)} – {day(2)}"
    assert cells(movement, "item", "opening", "received", "issued", "closing") == [
        ("BOLT", "20", "40", "10", "50"),
        ("FLOUR", "0", "30", "12", "18"),
    ]
    turnover = ok(run("report", "turnover", *period))
    assert cells(turnover, "item", "cogs", "average", "turnover", "days_of_inventory") == [
        ("FLOUR", "12", "17.333333", "0.69", "11.6"),
        ("BOLT", "10", "46.666667", "0.21", "37.3"),
    ]
    assert turnover["notes"] == ["Average of 9 points, method: daily"]


def test_trends_and_structure_take_their_own_options(run: Invoke) -> None:
    trends = ok(run("report", "trends", "--start", day(8), "--end", day(7), "--interval", "day",
                    "--json"))  # fmt: skip
    assert cells(trends, "to", "in_value", "value") == [(day(8), "40", "60"), (day(7), "30", "90")]
    structure = ok(run("report", "structure", "--compare", day(6), "--json"))
    assert cells(structure, "type", "value_then", "value", "share_change") == [
        ("spare_part", "60", "50", "6.86"),
        ("raw_material", "30", "18", "-6.86"),
    ]


def test_without_json_it_prints_a_table_with_totals_and_definitions(run: Invoke) -> None:
    shown = run("report", "stock-value", "--at", day(6))
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Stock value ({day(6)})"
    assert any(line.split()[:1] == ["total"] and "90" in line.split() for line in lines)
    assert any(line.startswith("* Value: ") for line in lines)


@pytest.mark.parametrize("name", NAMES)
def test_every_report_runs_with_json(run: Invoke, name: str) -> None:
    body = ok(run("report", name, "--json"))
    keys = [c["key"] for c in body["columns"]]
    assert body["name"] == name
    assert all(list(row) == keys for row in body["rows"])


FILES = [(name, fmt) for name, spec in REPORTS.items() for fmt in spec.formats]


@pytest.mark.parametrize(("name", "fmt"), FILES, ids=[f"{n}.{f}" for n, f in FILES])
def test_every_report_writes_each_file_it_offers(
    run: Invoke, tmp_path: Path, name: str, fmt: str
) -> None:
    path = tmp_path / f"out.{fmt}"
    body = ok(run("report", name, f"--{fmt}", str(path), "--json"))
    assert (body["name"], body["files"]) == (name, [str(path)])
    content = path.read_bytes()
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
    elif fmt == "pdf":
        assert content.startswith(b"%PDF-")
    else:
        assert load_workbook(path).sheetnames[0] == name


def test_the_files_hold_the_exact_figures(run: Invoke, tmp_path: Path) -> None:
    paths = {fmt: tmp_path / f"value.{fmt}" for fmt in ("csv", "xlsx", "pdf")}
    done = run("report", "stock-value", "--at", day(6), "--csv", str(paths["csv"]),
               "--xlsx", str(paths["xlsx"]), "--pdf", str(paths["pdf"]))  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = list(csv.reader(io.StringIO(paths["csv"].read_text("utf-8-sig"))))
    assert [r[0] for r in rows] == ["Item", f"# Stock value ({day(6)})", "BOLT", "FLOUR", "Total"]
    assert [r[5] for r in rows[2:]] == ["60", "30", "90"]
    sheet = load_workbook(paths["xlsx"])["stock-value"]
    assert [sheet.cell(row=r, column=6).value for r in (2, 3, 4)] == [60, 30, 90]
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")


# ------------------------------------------------------------------ refusals
def test_each_refusal_has_its_exit_code_and_writes_nothing(
    run: Invoke, db: Database, tmp_path: Path
) -> None:
    before = written(db)
    refusals = {
        ("nothing",): (3, "report_not_found"),
        ("stock-value", "--warehouse", "NOPE"): (3, "warehouse_not_found"),
        ("stock-value", "--category", "NOPE"): (3, "category_not_found"),
        ("stock-value", "--item", "NOPE"): (3, "item_not_found"),
        ("turnover", "--supplier", "NOPE"): (3, "supplier_not_found"),
        ("stock-value", "--type", "gadget"): (4, "invalid_item_type"),
        ("stock-value", "--at", "2026-02-30"): (4, "invalid_report_date"),
        ("trends", "--start", "yesterday"): (4, "invalid_report_date"),
        ("stock-value", "--group", "colour"): (4, "invalid_report_option"),
        ("trends", "--interval", "hour"): (4, "invalid_report_option"),
        ("value-movement", "--start", day(2), "--end", day(9)): (4, "period_reversed"),
        ("turnover", "--start", "2000-01-01", "--end", "2010-12-31"): (4, "period_too_long"),
        ("trends", "--start", day(500), "--interval", "day"): (4, "too_many_intervals"),
        ("structure", "--compare", day(0)): (4, "compare_not_before"),
    }
    answered = {args: error(run("report", *args, "--json")) for args in refusals}
    assert answered == refusals
    assert written(db) == before


@pytest.mark.parametrize(("name", "option"), INT_OPTIONS, ids=[n for n, _ in INT_OPTIONS])
def test_a_number_option_outside_its_range_is_refused(run: Invoke, name: str, option: Any) -> None:
    for value in (str(option.high + 1), "x", "-1"):
        refused = run("report", name, f"--{option.name}", value, "--json")
        assert error(refused) == (4, "invalid_report_option")


NO_PDF = [name for name, spec in REPORTS.items() if "pdf" not in spec.formats]


@pytest.mark.parametrize("name", NO_PDF)
def test_a_file_format_the_report_does_not_offer_is_refused_before_anything_is_written(
    run: Invoke, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    refused = run(
        "report", name, "--pdf", str(out / "r.pdf"), "--csv", str(out / "r.csv"), "--json"
    )
    assert error(refused) == (4, "report_format_not_offered")
    assert json.loads(refused.stdout)["error"]["data"]["offered"] == list(REPORTS[name].formats)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", NAMES)
def test_a_role_without_the_reports_permission_is_refused(
    run: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    create_role(db, CTX, "reader", "Reads items only", ["item.view"])
    as_user(monkeypatch, db, "nobody", ("reader", None))
    path = tmp_path / "r.csv"
    refused = run("report", name, "--csv", str(path), "--json")
    assert error(refused) == (8, "permission_denied")
    assert not path.exists()
    assert ok(run("report", "--json"))  # the list needs only a sign-in


def test_a_user_of_one_warehouse_sees_its_share_and_not_the_other(
    run: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, db, "wh1", ("warehouse_manager", "WH1"))
    body = ok(run("report", "stock-value", "--json"))
    assert cells(body, "item", "value") == [("FLOUR", "18"), ("BOLT", "16.666667")]
    hidden = run("report", "stock-value", "--warehouse", "WH2", "--json")
    assert error(hidden) == (3, "warehouse_not_found")


@pytest.mark.parametrize(
    "args",
    [(), ("stock-value",), ("nothing",), (NO_PDF[0], "--pdf", "r.pdf")],
    ids=["list", "a report", "an unknown report", "a file not offered"],
)
def test_signed_out_every_call_asks_for_a_sign_in_first(
    run: Invoke, signed_out: None, args: tuple[str, ...]
) -> None:
    assert error(run("report", *args, "--json")) == (9, "not_authenticated")
