"""Label PDFs (issue 10), on a real database: pages per layout, and every bar code decodes to
exactly what it should: Code 128 the code, a real GS1 DataMatrix (``]d2``: FNC1 first) with
GTIN, expiry and lot, a QR code where there is no GTIN. Printing writes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.labels import Symbol
from cangku.queries.labels import item_labels, location_labels, lot_labels
from cangku.queries.sites import get_warehouse
from cangku.services.items import ItemInput, create_item, set_item_barcodes
from cangku.services.label_pdf import symbol_input
from cangku.services.labels import Printed, PrintOptions, print_labels
from cangku.services.lots import LotInput, SerialInput, create_lot, create_serial
from tests.factories import CTX, build_company
from tests.labels import Decoded, decoded, pages_of, text_of
from tests.snapshot import state

FLOUR_GTIN = "4006381333931"  # EAN-13


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    set_item_barcodes(db, CTX, "FLOUR", [(FLOUR_GTIN, None), ("14006381333938", "kg")])
    create_lot(db, CTX, LotInput("FLOUR", "F-2027/01", expires_on=date(2027, 1, 31)))
    create_lot(db, CTX, LotInput("GLUE", "G1", expires_on=date(2026, 12, 31)))
    set_item_barcodes(db, CTX, "PUMP", [("96385074", None)])  # EAN-8
    create_serial(db, CTX, SerialInput("PUMP", "SN-0042"))
    return db


def items(db: Database, *codes: str, **options: object) -> Printed:
    return print_labels(PrintOptions(**options), lambda: item_labels(db, codes))  # type: ignore[arg-type]


def test_item_labels_decode_to_the_code_and_a_gs1_datamatrix_of_the_gtin(company: Database) -> None:
    printed = items(company, "BOLT", "GLUE", layout="62x29")
    assert (printed.labels, printed.pages, printed.layout) == (2, 2, "62x29")
    assert pages_of(printed.pdf) == [(62.0, 29.0), (62.0, 29.0)]
    assert decoded(printed.pdf) == [
        [
            Decoded("Code128", "]C0", b"BOLT"),
            Decoded("DataMatrix", "]d2", b"0106901234567892"),
        ],
        [Decoded("Code128", "]C0", b"GLUE"), Decoded("QRCode", "]Q1", b"GLUE")],
    ]
    text = text_of(printed.pdf)
    assert "Hex bolt M8" in text and "GTIN 06901234567892" in text


def test_a_lot_label_carries_gtin_expiry_and_lot_in_a_gs1_datamatrix(company: Database) -> None:
    printed = print_labels(
        PrintOptions(layout="100x50"), lambda: lot_labels(company, codes=["F-2027/01"])
    )
    [[code128, datamatrix]] = decoded(printed.pdf)
    assert code128 == Decoded("Code128", "]C0", b"F-2027/01")
    # ]d2: the symbol starts with FNC1; the lot is last, so no GS follows it
    assert datamatrix == Decoded("DataMatrix", "]d2", b"01040063813339311727013110F-2027/01")
    assert "\x1d" + datamatrix.content.decode() == "\x1d010400638133393117270131" + "10F-2027/01"
    text = text_of(printed.pdf)
    assert "LOT F-2027/01" in text and "EXP 2027-01-31" in text


def test_a_serial_label_carries_ai_21(company: Database) -> None:
    printed = print_labels(
        PrintOptions(layout="62x29"), lambda: lot_labels(company, codes=["SN-0042"], item="PUMP")
    )
    assert decoded(printed.pdf)[0][1] == Decoded("DataMatrix", "]d2", b"010000009638507421SN-0042")


def test_a_lot_without_a_gtin_gets_a_qr_code_of_its_code(company: Database) -> None:
    printed = print_labels(PrintOptions(layout="62x29"), lambda: lot_labels(company, codes=["G1"]))
    assert decoded(printed.pdf) == [
        [Decoded("Code128", "]C0", b"G1"), Decoded("QRCode", "]Q1", b"G1")]
    ]


def test_the_symbol_can_be_chosen(company: Database) -> None:
    qr = items(company, "BOLT", layout="62x29", symbol="qr")
    assert decoded(qr.pdf)[0][1] == Decoded("QRCode", "]Q1", b"BOLT")
    plain = items(company, "GLUE", layout="62x29", symbol="datamatrix")
    assert decoded(plain.pdf)[0][1] == Decoded("DataMatrix", "]d1", b"GLUE")
    [label] = item_labels(company, ["BOLT"]).labels
    assert symbol_input(label, Symbol.AUTO) == ("datamatrix", "[01]06901234567892", True)


@pytest.mark.parametrize(
    ("layout", "count", "copies", "skip", "pages"),
    [
        ("a4-3x8", 4, 6, 0, 1),  # 24 labels: one sheet
        ("a4-3x8", 5, 5, 0, 2),  # 25 labels
        ("a4-3x8", 1, 2, 23, 2),  # the last position of a used sheet, then a new one
        ("a4-2x7", 4, 4, 0, 2),  # 16 labels, 14 a sheet
        ("62x29", 2, 3, 0, 6),
    ],
)
def test_pages_follow_the_layout(
    company: Database, layout: str, count: int, copies: int, skip: int, pages: int
) -> None:
    codes = ["BOLT", "FLOUR", "PUMP", "GLUE", "BOLT"][:count]
    printed = items(company, *codes, layout=layout, copies=copies, skip=skip)
    assert (printed.labels, printed.pages) == (count * copies, pages)
    size = (210.0, 297.0) if layout.startswith("a4") else (62.0, 29.0)
    assert pages_of(printed.pdf) == [size] * pages


def test_copies_of_a_label_follow_one_another(company: Database) -> None:
    printed = items(company, "BOLT", "GLUE", layout="62x29", copies=2)
    assert [page[0].content for page in decoded(printed.pdf)] == [
        b"BOLT",
        b"BOLT",
        b"GLUE",
        b"GLUE",
    ]


def test_a_filter_prints_what_the_list_finds(company: Database) -> None:
    found = lot_labels(company, item="FLOUR")
    assert (found.total, [label.code for label in found.labels]) == (1, ["F-2027/01"])
    assert [label.code for label in item_labels(company, tracking="lot").labels] == [
        "FLOUR",
        "GLUE",
    ]


def test_location_labels_show_the_path_and_stay_in_the_warehouses_seen(company: Database) -> None:
    [label] = location_labels(company, ["WH1-A-01"]).labels
    assert (label.code, label.lines) == ("WH1-A-01", ("Location WH1-A-01", "WH1 › WH1-A"))
    seen = frozenset({get_warehouse(company, "WH1").id})
    assert location_labels(company, ["WH1-A"], warehouses=seen).labels[0].lines == (
        "Location WH1-A",
        "WH1",
    )
    with pytest.raises(NotFound) as outside:
        location_labels(company, ["WH2-A"], warehouses=seen)
    assert outside.value.code == "location_not_found"


def test_a_chinese_name_is_printed_with_the_cjk_font(company: Database) -> None:
    create_item(company, CTX, ItemInput("SCREW", "十字螺钉 M3", "spare_part"))
    printed = items(company, "SCREW")
    # embedded as a TrueType subset (pdfium, Chrome's viewer, shows no unembedded CID font)
    assert re.findall(rb"/BaseFont /(\S+)", printed.pdf) == [
        b"Helvetica",
        b"Helvetica-Bold",
        b"AAAAAA+WenQuanYiMicroHei-0",
    ]
    assert printed.pdf.count(b"/FontFile2") == 1 and b"STSong" not in printed.pdf
    assert len(printed.pdf) < 30_000
    assert text_of(printed.pdf).splitlines() == ["SCREW", "十字螺钉 M3"]
    assert decoded(printed.pdf)[0][0] == Decoded("Code128", "]C0", b"SCREW")


def test_a_lot_code_several_items_use_needs_the_item(company: Database) -> None:
    create_lot(company, CTX, LotInput("GLUE", "F-2027/01"))
    with pytest.raises(InvalidInput) as ambiguous:
        lot_labels(company, codes=["F-2027/01"])
    assert (ambiguous.value.code, ambiguous.value.data) == (
        "lot_ambiguous",
        {"lot": "F-2027/01", "items": ["FLOUR", "GLUE"]},
    )
    assert lot_labels(company, codes=["F-2027/01"], item="GLUE").labels[0].title == "GLUE"


@pytest.mark.parametrize(
    ("options", "select", "code"),
    [
        ({"layout": "a5"}, lambda db: item_labels(db, ["BOLT"]), "invalid_layout"),
        ({"copies": 0}, lambda db: item_labels(db, ["BOLT"]), "invalid_copies"),
        ({"copies": 101}, lambda db: item_labels(db, ["BOLT"]), "invalid_copies"),
        ({"skip": 24}, lambda db: item_labels(db, ["BOLT"]), "invalid_skip"),
        ({"symbol": "aztec"}, lambda db: item_labels(db, ["BOLT"]), "invalid_symbol"),
        ({}, lambda db: item_labels(db, ["BOLT", "NOPE"]), "item_not_found"),
        ({}, lambda db: lot_labels(db, codes=["NOPE"]), "lot_not_found"),
        ({}, lambda db: lot_labels(db, ids=[999999]), "lot_not_found"),
        ({}, lambda db: location_labels(db, ["NOPE"]), "location_not_found"),
        ({}, lambda db: item_labels(db, q="no such item"), "no_labels"),
        ({"copies": 100}, lambda db: item_labels(db, ["BOLT"] * 6), "too_many_labels"),
        ({}, lambda db: item_labels(db, ["NOPE"] * 501), "too_many_labels"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_refusal_has_its_code_and_writes_nothing(
    company: Database, options: dict[str, object], select: object, code: str
) -> None:
    before = state(company)
    with pytest.raises((InvalidInput, NotFound)) as refused:
        print_labels(PrintOptions(**options), lambda: select(company))  # type: ignore[arg-type, operator]
    assert refused.value.code == code
    assert state(company) == before


def test_too_many_says_the_limit_and_how_many_were_asked_for(company: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        items(company, "BOLT", "GLUE", "PUMP", "FLOUR", "BOLT", "GLUE", copies=100)
    assert refused.value.data == {"limit": 500, "requested": 600}


def test_without_the_font_package_the_cid_font_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from cangku.services import pdf_fonts

    monkeypatch.setattr(pdf_fonts, "_PACKAGE", "no_such_font_package")
    pdf_fonts.cjk_font.cache_clear()
    try:
        assert pdf_fonts.cjk_font() == "STSong-Light"
    finally:
        pdf_fonts.cjk_font.cache_clear()
