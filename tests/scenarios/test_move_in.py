"""Moving in: a whole small company from XLSX templates (master data, opening stock), a month
of moves, then everything exported and the export imported again with zero changes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.common import utcnow
from cangku.services.imports import KINDS, export_rows_of, import_file, template
from cangku.services.imports.files import write_file
from cangku.services.setup import initialize
from tests.factories import CTX

OPENING = utcnow().date() - timedelta(days=40)


def day(n: int) -> str:
    return (OPENING + timedelta(days=n)).isoformat()


#: the company's data, by kind, in the template's own columns (the Chinese headers)
COMPANY: dict[str, list[list[str]]] = {
    "categories": [["RAW", "Raw materials", ""], ["FAST", "Fasteners", "RAW"]],
    "warehouses": [["SH", "Shanghai", "Jinqiao Road 88", "false"]],
    "locations": [
        ["SH-A", "Zone A", "SH", "", "internal", "zone", "", ""],
        ["SH-A-01", "Bin A-01", "", "SH-A", "internal", "bin", "5000", ""],
        ["SH-RCV", "Receiving", "SH", "", "receiving", "", "", ""],
    ],
    "items": [
        [
            "BOLT",
            "Hex bolt M8",
            "spare_part",
            "RAW/FAST",
            "pcs",
            "box=12",
            "6901; 6902=box",
            "none",
            "fifo",
            "",
            "10",
            "20",
            "500",
            "7",
            "SH-A-01",
            "0.35",
            "",
        ],
        [
            "GLUE",
            "Wood glue",
            "consumable",
            "RAW",
            "kg",
            "",
            "",
            "lot",
            "moving_average",
            "365",
            "",
            "",
            "",
            "",
            "",
            "",
            "500 g tubes",
        ],
    ],
    "partners": [
        ["SUP-1", "Fasteners Co.", "true", "false", "s@example.com", "", "", "", ""],
        ["CUS-1", "Furniture Ltd.", "false", "true", "", "", "", "", ""],
    ],
    "contacts": [["SUP-1", "Li Wei", "Sales", "li@example.com", ""]],
    "supplier_items": [["SUP-1", "BOLT", "F-M8", "0.3", "CNY", "1000", "5"]],
    "lots": [["GLUE", "G-1", day(-30), day(300), "SL-9", "available", ""]],
    "opening_stock": [
        ["BOLT", "SH-A-01", "", "", "20", "box", "4.2", day(0)],
        ["GLUE", "SH-A", "G-1", "", "12.5", "kg", "8", day(0)],
    ],
}


def xlsx_of(kind: str, rows: list[list[str]]) -> bytes:
    """The Chinese template of ``kind`` with its sample row replaced by ``rows``."""
    book = load_workbook(io.BytesIO(template(kind, "zh", "xlsx")))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == KINDS[kind].columns[0].zh
    sheet.delete_rows(3)  # the sample row (row 2 is the comment row, skipped on import)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def month_of_moves() -> list[BulkMove]:
    moves = []
    for week in range(4):
        when = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(
            days=30 - 7 * week
        )
        moves.append(
            BulkMove(
                "BOLT",
                "120",
                "SH/SUPPLIER",
                "SH-RCV",
                "receive",
                unit_cost="0.4",
                effective_at=when,
            )
        )
        moves.append(
            BulkMove(
                "BOLT", "120", "SH-RCV", "SH-A-01", "move", effective_at=when + timedelta(hours=1)
            )
        )
        moves.append(
            BulkMove(
                "BOLT",
                "100",
                "SH-A-01",
                "SH/CUSTOMER",
                "issue",
                effective_at=when + timedelta(hours=2),
            )
        )
        moves.append(
            BulkMove(
                "GLUE",
                "1.5",
                "SH-A",
                "SH/CUSTOMER",
                "issue",
                lot="G-1",
                effective_at=when + timedelta(hours=3),
            )
        )
    return moves


def test_a_company_moves_in_from_templates_and_its_export_imports_again_unchanged(
    db: Database,
) -> None:
    initialize(db)
    created = {kind: import_file(db, CTX, kind, xlsx_of(kind, COMPANY[kind])) for kind in KINDS}
    assert {k: s.created for k, s in created.items()} == {k: len(r) for k, r in COMPANY.items()}
    assert created["opening_stock"].posted == 2
    post_bulk(db, CTX, month_of_moves())
    with db.read() as conn:
        bolt = totals(conn, StockFilter(item="BOLT", location="SH-A-01")).on_hand
        glue = totals(conn, StockFilter(item="GLUE")).on_hand
        value = stock_value(conn, utcnow()).total_value
        assert verify(conn).ok
    assert bolt == Decimal("320")  # 20 boxes of 12 + 4 x (120 - 100)
    assert glue == Decimal("6.5")  # 12.5 - 4 x 1.5
    # FIFO: the 240 opening pieces at 0.35 went first (400 issued: 240 + 160 of the 0.40 ones)
    assert value == Decimal("320") * Decimal("0.4") + Decimal("6.5") * Decimal("8")

    for kind in KINDS:
        exported = export_rows_of(db, CTX, kind, "zh")
        data = write_file("xlsx", exported.headers, exported.rows)
        again = import_file(db, CTX, kind, data)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(COMPANY[kind])), kind
    with db.read() as conn:
        assert verify(conn).ok
        assert totals(conn, StockFilter(item="BOLT", location="SH-A-01")).on_hand == bolt


def test_the_exported_items_are_the_rows_imported(db: Database) -> None:
    initialize(db)
    for kind in ("categories", "warehouses", "locations", "items"):
        import_file(db, CTX, kind, xlsx_of(kind, COMPANY[kind]))
    exported = export_rows_of(db, CTX, "items")
    assert exported.headers[:3] == ["code", "name", "item_type"]
    assert [str(v) if v is not None else "" for v in exported.rows[0]] == [
        "BOLT",
        "Hex bolt M8",
        "spare_part",
        "RAW/FAST",
        "pcs",
        "box=12",
        "6901; 6902=box",
        "none",
        "fifo",
        "",
        "10",
        "20",
        "500",
        "7",
        "SH-A-01",
        "0.35",
        "",
        "False",  # inspection_required (issue 12): not marked
        "",  # allocation_strategy (issue 13): the default
    ]
    assert exported.rows[1][9] == 365 and exported.rows[1][0] == "GLUE"
    assert date.fromisoformat(day(0)) == OPENING
