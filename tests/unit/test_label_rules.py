"""Labels (issue 10): layouts and where each label sits, GTINs, and the GS1 element strings of
the DataMatrix, exactly."""

from __future__ import annotations

from datetime import date

import pytest

from cangku.domain import gs1
from cangku.domain.errors import InvalidInput
from cangku.domain.labels import (
    LAYOUTS,
    MAX_LABELS,
    Label,
    Placement,
    as_gtin14,
    check_copies,
    check_count,
    check_layout,
    check_skip,
    check_symbol,
    code128_can_carry,
    gs1_bracketed,
    gs1_elements,
    gs1_transmitted,
    item_gtin,
    item_label,
    location_label,
    lot_label,
    placements,
)


def test_a4_3x8_fills_rows_from_the_top_left_and_starts_a_page_after_24() -> None:
    layout = LAYOUTS["a4-3x8"]
    found = placements(26, layout)
    assert found[0] == Placement(0, 0.0, 259.5)
    assert found[2] == Placement(0, 140.0, 259.5)
    assert found[3] == Placement(0, 0.0, 222.5)
    assert found[23] == Placement(0, 140.0, 0.5)
    assert found[24:] == [Placement(0 + 1, 0.0, 259.5), Placement(1, 70.0, 259.5)]


def test_a4_2x7_keeps_its_margins_and_column_gap() -> None:
    found = placements(3, LAYOUTS["a4-2x7"])
    assert [(p.page, round(p.x, 2), round(p.y, 2)) for p in found] == [
        (0, 4.65, 243.75),
        (0, 106.25, 243.75),
        (0, 4.65, 205.65),
    ]


def test_skip_leaves_the_first_positions_of_the_first_sheet_empty() -> None:
    found = placements(2, LAYOUTS["a4-3x8"], skip=23)
    assert found == [Placement(0, 140.0, 0.5), Placement(1, 0.0, 259.5)]


def test_a_label_printer_prints_one_label_per_page() -> None:
    assert placements(3, LAYOUTS["62x29"]) == [Placement(n, 0.0, 0.0) for n in range(3)]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_label_of_every_layout_lies_on_its_page(name: str) -> None:
    layout = LAYOUTS[name]
    for place in placements(layout.per_page, layout):
        assert place.page == 0
        assert 0 <= place.x and place.x + layout.label_width <= layout.page_width + 1e-9
        assert 0 <= place.y and place.y + layout.label_height <= layout.page_height + 1e-9


@pytest.mark.parametrize(
    ("barcode", "gtin"),
    [
        ("6901234567892", "06901234567892"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141000415", "10614141000415"),  # GTIN-14
        ("6901234567891", None),  # wrong check digit
        ("690123456789", None),  # 12 digits, not a UPC-A
        ("690123456789X", None),
        ("６９０１２３４５６７８９２", None),  # full-width digits
        ("BOLT", None),
    ],
)
def test_a_barcode_is_a_gtin_only_with_its_length_and_check_digit(
    barcode: str, gtin: str | None
) -> None:
    assert as_gtin14(barcode) == gtin


def test_the_item_gtin_is_its_first_base_unit_barcode_that_is_one() -> None:
    barcodes = [("6901234567908", "box"), ("BOLT-8", None), ("6901234567892", None)]
    assert item_gtin(barcodes) == "06901234567892"
    assert item_gtin([("6901234567908", "box")]) is None


def test_the_gs1_element_string_is_gtin_expiry_then_lot() -> None:
    elements = gs1_elements("06901234567892", date(2026, 12, 31), "L7-A/1")
    assert elements == (("01", "06901234567892"), ("17", "261231"), ("10", "L7-A/1"))
    assert gs1_bracketed(elements) == "[01]06901234567892[17]261231[10]L7-A/1"
    assert gs1_transmitted(elements) == "010690123456789217261231" + "10L7-A/1"


def test_a_serial_is_ai_21_and_an_item_alone_is_ai_01() -> None:
    assert gs1_elements("06901234567892", None, "SN-9", serial=True) == (
        ("01", "06901234567892"),
        ("21", "SN-9"),
    )
    assert gs1_elements("06901234567892") == (("01", "06901234567892"),)


def test_what_a_label_carries_reads_back_through_the_scan_parser() -> None:
    elements = gs1_elements("04006381333931", date(2027, 1, 31), "F-2027/01")
    assert elements is not None
    scanned = gs1.read("]d2" + gs1_transmitted(elements), today=date(2026, 12, 1))
    assert scanned is not None
    assert (scanned.gtin, scanned.expires_on, scanned.lot) == (
        "04006381333931",
        date(2027, 1, 31),
        "F-2027/01",
    )
    serial = gs1_elements("00000096385074", None, "SN-1", serial=True)
    assert serial is not None
    read_serial = gs1.read("]d2" + gs1_transmitted(serial), today=date(2026, 12, 1))
    assert read_serial is not None and read_serial.serial == "SN-1"


def test_a_gs_follows_a_variable_length_value_that_is_not_last() -> None:
    assert gs1_transmitted((("10", "A1"), ("21", "B2"))) == "10A1\x1d21B2"


@pytest.mark.parametrize("lot", ["L 7", "批次7", "L" * 21, ""])
def test_a_lot_gs1_cannot_carry_means_no_gs1_symbol(lot: str) -> None:
    assert gs1_elements("06901234567892", date(2026, 12, 31), lot) is None


def test_no_gtin_or_a_wrong_one_means_no_gs1_symbol() -> None:
    assert gs1_elements(None, date(2026, 12, 31), "L7") is None
    assert gs1_elements("06901234567891") is None


def test_labels_say_code_name_lot_expiry_and_path() -> None:
    assert item_label("BOLT", "Hex bolt", [("6901234567892", None)]) == Label(
        "BOLT", "BOLT", ("Hex bolt", "GTIN 06901234567892"), (("01", "06901234567892"),)
    )
    assert lot_label("FLOUR", "Wheat flour", [], "F1", date(2027, 1, 31)) == Label(
        "F1", "FLOUR", ("Wheat flour", "LOT F1", "EXP 2027-01-31"), None
    )
    assert lot_label("PUMP", "Pump", [("6901234567892", None)], "SN1", None, serial=True) == Label(
        "SN1", "PUMP", ("Pump", "SN SN1"), (("01", "06901234567892"), ("21", "SN1"))
    )
    assert location_label("WH1-A-01", "Bin", ["WH1", "WH1-A"]) == Label(
        "WH1-A-01", "WH1-A-01", ("Bin", "WH1 › WH1-A")
    )


def test_code_128_carries_printable_ascii_only() -> None:
    assert code128_can_carry("SH-A-01 x/1")
    assert not code128_can_carry("货位-01")
    assert not code128_can_carry("")


def test_options_are_checked_with_stable_codes() -> None:
    with pytest.raises(InvalidInput) as bad_layout:
        check_layout("a4")
    assert (bad_layout.value.code, bad_layout.value.data["allowed"]) == (
        "invalid_layout",
        ["a4-3x8", "a4-2x7", "62x29", "100x50"],
    )
    with pytest.raises(InvalidInput, match="copies") as copies:
        check_copies(0)
    assert (copies.value.code, copies.value.data) == ("invalid_copies", {"limit": 100})
    assert check_copies(100) == 100
    with pytest.raises(InvalidInput) as skip:
        check_skip(24, LAYOUTS["a4-3x8"])
    assert (skip.value.code, skip.value.data) == ("invalid_skip", {"limit": 23})
    with pytest.raises(InvalidInput) as symbol:
        check_symbol("pdf417")
    assert symbol.value.code == "invalid_symbol"


def test_nothing_or_too_much_to_print_is_refused() -> None:
    with pytest.raises(InvalidInput) as nothing:
        check_count(0, 3)
    assert nothing.value.code == "no_labels"
    assert check_count(250, 2) == MAX_LABELS
    with pytest.raises(InvalidInput) as many:
        check_count(251, 2)
    assert (many.value.code, many.value.data) == (
        "too_many_labels",
        {"limit": 500, "requested": 502},
    )
