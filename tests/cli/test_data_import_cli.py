"""``cangku import template|KIND`` and ``cangku export KIND``: files in and out, dry run, the
error report, --json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from tests.cli.tree import Invoke
from tests.factories import build_company

GOOD = "code,name,item_type,units\nNUT,Hex nut,spare_part,box=100\n"
BAD = "code,name,item_type\nNUT,Hex nut,spare_part\nWASHER,Washer,gadget\n"


@pytest.fixture(autouse=True)
def company(db: Database) -> Database:
    build_company(db)
    return db


def test_the_template_is_written_with_chinese_headers(cangku: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "items.xlsx"
    result = cangku(
        "import", "template", "items", "--lang", "zh", "--output", str(target), "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["file"] == str(target)
    sheet = load_workbook(target).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["物料编码", "名称"]


def test_a_dry_run_then_the_import(cangku: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(GOOD, encoding="utf-8")
    dry = cangku("import", "items", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["created"] == 1
    done = cangku("import", "items", str(path))
    assert done.exit_code == 0, done.output
    assert done.output.strip() == ("items: 1 rows, imported: 1 created, 0 updated, 0 unchanged")
    again = cangku("import", "items", str(path), "--json")
    assert json.loads(again.output)["unchanged"] == 1


def test_bad_rows_exit_4_and_go_to_the_error_report(cangku: Invoke, tmp_path: Path) -> None:
    path, report = tmp_path / "items.csv", tmp_path / "errors.csv"
    path.write_text(BAD, encoding="utf-8")
    result = cangku("import", "items", str(path), "--errors", str(report), "--json")
    assert result.exit_code == 4
    assert json.loads(result.output)["error"]["code"] == "import_rows_invalid"
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["3", "item_type", "invalid_item_type"]
    listed = cangku("export", "items", "--json")
    assert [r["code"] for r in json.loads(listed.output)] == ["BOLT", "FLOUR", "GLUE", "PUMP"]


def test_the_export_reimports_unchanged(cangku: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "items.xlsx"
    exported = cangku("export", "items", "--output", str(target))
    assert exported.exit_code == 0, exported.output
    again = cangku("import", "items", str(target), "--json")
    assert json.loads(again.output)["unchanged"] == 4
