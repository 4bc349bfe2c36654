"""``cangku labels items|lots|locations CODE... --out FILE.pdf`` (issue 10): writes the PDF and
says what it wrote; a refusal exits with its code and writes no file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cangku.db.uow import Database
from cangku.services.lots import LotInput, create_lot
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company
from tests.labels import Decoded, decoded, pages_of


@pytest.fixture(autouse=True)
def company(db: Database) -> None:
    build_company(db)
    create_lot(db, CTX, LotInput("FLOUR", "F1", expires_on=date(2027, 3, 1)))


def test_items_write_the_pdf_and_json_says_what_was_written(cangku: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "items.pdf"
    result = cangku("labels", "items", "BOLT", "GLUE", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    written = out.read_bytes()
    assert json.loads(result.output) == {
        "file": str(out),
        "labels": 2,
        "pages": 1,
        "layout": "a4-3x8",
        "bytes": len(written),
    }
    assert pages_of(written) == [(210.0, 297.0)]


def test_lots_and_locations_on_a_label_printer(cangku: Invoke, tmp_path: Path) -> None:
    lots = tmp_path / "lots.pdf"
    result = cangku(
        "labels", "lots", "F1", "--item", "FLOUR", "--layout", "62x29", "--out", str(lots)
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"{lots}: 1 label on 1 page (62x29)\n"
    assert decoded(lots.read_bytes())[0] == [
        Decoded("Code128", "]C0", b"F1"),
        Decoded("QRCode", "]Q1", b"F1"),
    ]
    places = tmp_path / "locations.pdf"
    result = cangku(
        "labels", "locations", "WH1-A", "WH1-B", "--layout", "100x50", "--copies", "2",
        "--out", str(places), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (json.loads(result.output)["labels"], len(pages_of(places.read_bytes()))) == (4, 4)


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (["items", "NOPE"], 3, "item_not_found"),
        (["items", "BOLT", "--layout", "a5"], 4, "invalid_layout"),
        (["items", "BOLT", "--copies", "101"], 4, "invalid_copies"),
        (["lots", "F9", "--item", "FLOUR"], 3, "lot_not_found"),
        (["locations", "NOPE"], 3, "location_not_found"),
    ],
)
def test_a_refusal_exits_with_its_code_and_writes_no_file(
    cangku: Invoke, tmp_path: Path, args: list[str], exit_code: int, code: str
) -> None:
    out = tmp_path / "labels.pdf"
    result = cangku("labels", *args, "--out", str(out), "--json")
    assert result.exit_code == exit_code, result.output
    assert json.loads(result.output)["error"]["code"] == code
    assert not out.exists()


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(
    cangku: Invoke, tmp_path: Path
) -> None:
    result = cangku("labels", "items", "BOLT", "--out", str(tmp_path / "no" / "such" / "x.pdf"))
    assert result.exit_code == 4
    assert result.output.startswith("error [cannot_write]: cannot write ")
