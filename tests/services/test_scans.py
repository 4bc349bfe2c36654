"""What one scan names (``services/scans.py``): a GS1 string (its GTIN through the item
resolver: a box GTIN selects the box), an item code or barcode, a location, a lot."""

from __future__ import annotations

from datetime import date

import pytest

from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.gs1 import GS
from cangku.queries.sites import list_locations
from cangku.services.items import set_item_barcodes
from cangku.services.scans import ScanResult, interpret_scan
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import CTX, build_company

PIECE = "6901234567892"  # BOLT's EAN-13: one piece
BOX = "6901234567908"  # BOLT's box of 12
PUMP_GTIN = "16901234567899"  # a GTIN-14 stored as it is
TODAY = date(2026, 12, 2)


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(PIECE, None), (BOX, "box")])
    set_item_barcodes(db, CTX, "PUMP", [(PUMP_GTIN, None)])
    return db


def _scan(db: Database, text: str, **kwargs: object) -> ScanResult:
    return interpret_scan(db, text, today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_an_item_code_and_its_barcodes(company: Database) -> None:
    assert _scan(company, "BOLT") == ScanResult("item", item="BOLT", item_name="Hex bolt M8")
    assert _scan(company, PIECE).unit is None
    assert (_scan(company, BOX).item, _scan(company, BOX).unit) == ("BOLT", "box")


def test_a_gs1_box_gtin_selects_the_box_with_lot_expiry_and_count(company: Database) -> None:
    found = _scan(company, f"]d2010{BOX}17270200" + f"10B-7{GS}302")
    assert found == ScanResult(
        "gs1",
        item="BOLT",
        item_name="Hex bolt M8",
        unit="box",
        lot="B-7",
        expires_on=date(2027, 2, 28),
        quantity=2,
        elements=(("01", f"0{BOX}"), ("17", "270200"), ("10", "B-7"), ("30", "2")),
    )


def test_the_human_readable_form_reads_the_same(company: Database) -> None:
    raw = _scan(company, f"010{PIECE}11260115" + "10L1")
    human = _scan(company, f"(01)0{PIECE}(11)260115(10)L1")
    assert raw == human
    assert (human.item, human.unit, human.manufactured_on) == ("BOLT", None, date(2026, 1, 15))


def test_a_serial_tracked_item_takes_the_serial_number(company: Database) -> None:
    found = _scan(company, f"(01){PUMP_GTIN}(10)LOT9(21)SN-1")
    assert (found.item, found.lot) == ("PUMP", "SN-1")
    # a lot-tracked or untracked item takes the lot number
    assert _scan(company, f"(01)0{PIECE}(21)SN-1(10)LOT9").lot == "LOT9"


def test_a_gs1_gtin_no_item_has_is_not_found(company: Database) -> None:
    with pytest.raises(NotFound) as refused:
        _scan(company, "(01)09501101530003(10)X")
    assert refused.value.code == "item_not_found"
    assert refused.value.data["key"] == "09501101530003"


def test_a_malformed_gs1_string_is_invalid_input(company: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        _scan(company, "(01)09501101530004")
    assert refused.value.code == "gs1_check_digit"


def test_a_location_code_only_in_the_warehouses_given(company: Database) -> None:
    assert _scan(company, "WH1-A") == ScanResult("location", location="WH1-A")
    wh2 = frozenset(location.warehouse_id for location in list_locations(company, q="WH2-A").items)
    assert _scan(company, "WH2-A", warehouses=wh2).location == "WH2-A"
    with pytest.raises(NotFound) as refused:
        _scan(company, "WH1-A", warehouses=wh2)
    assert refused.value.code == "scan_not_found"


def test_a_lot_number_names_its_item_when_only_one_item_has_it(company: Database) -> None:
    receive_stock(company, CTX, Receive("FLOUR", "5", "WH1-A", lot="F-1", expires_on=TODAY))
    assert _scan(company, "F-1") == ScanResult(
        "lot", item="FLOUR", item_name="Wheat flour", lot="F-1", expires_on=TODAY
    )
    receive_stock(company, CTX, Receive("GLUE", "5", "WH1-A", lot="F-1"))
    assert _scan(company, "F-1") == ScanResult("lot", lot="F-1")


@pytest.mark.parametrize(
    ("text", "code"),
    [("NOPE", "scan_not_found"), ("  ", "scan_empty"), ("X" * 2501, "scan_too_long")],
)
def test_what_names_nothing_is_refused(company: Database, text: str, code: str) -> None:
    with pytest.raises((NotFound, InvalidInput)) as refused:
        _scan(company, text)
    assert refused.value.code == code
