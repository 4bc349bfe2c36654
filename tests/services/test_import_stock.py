"""Importing lots and opening stock: lots upserted by item and code with their default expiry
and status notes; opening stock posted from the warehouse's ADJUSTMENT location with reason
``opening_balance``, unchanged when imported again, refused when different; one bad row
refuses the whole file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.tables import audit_log, balances, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.domain.errors import PermissionDenied
from cangku.queries.stock import StockFilter, totals
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.imports import ImportRejected, import_file
from cangku.services.items import ItemInput, create_item, deactivate_item
from cangku.services.locations import deactivate_location
from cangku.services.periods import close_period
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies, count
from tests.importing import csv_file as csv

LOTS = "item,code,manufactured_on,expires_on,supplier_lot,status,notes"
OPENING = "item,location,lot,lot_expires_on,quantity,unit,unit_cost,date"
STOCK = (
    "BOLT,WH1-A,,,240,,0.35,2026-03-01",
    "BOLT,WH1-B,,,2,box,4.20,2026-03-01",
    "FLOUR,WH1-A-01,F-1,2027-01-01,12.5,kg,3.2,2026-03-01",
    "PUMP,WH2-A,SN-1,,1,,100,2026-03-01",
)


def written(db: Database) -> tuple[int, int, int, int]:
    return count(db, lots), count(db, moves), count(db, balances), count(db, audit_log)


def lot(db: Database, item: str, code: str) -> tuple[object, ...]:
    with db.read() as conn:
        row = conn.execute(
            select(
                lots.c.is_serial,
                lots.c.manufactured_on,
                lots.c.expires_on,
                lots.c.supplier_lot,
                lots.c.status,
                lots.c.notes,
                lots.c.version,
            )
            .join(items, items.c.id == lots.c.item_id)
            .where(items.c.code == item, lots.c.code == code)
        ).one()
    return (bool(row[0]), *row[1:])


def on_hand(db: Database, item: str, location: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def opening_moves(db: Database) -> list[tuple[object, ...]]:
    source, dest = locations.alias("source"), locations.alias("dest")
    with db.read() as conn:
        rows = conn.execute(
            select(
                items.c.code,
                source.c.code,
                dest.c.code,
                lots.c.code,
                moves.c.quantity,
                moves.c.unit_cost,
                moves.c.value,
                moves.c.operation,
                moves.c.reason_code,
                moves.c.effective_at,
            )
            .join(items, items.c.id == moves.c.item_id)
            .join(source, source.c.id == moves.c.from_location_id)
            .join(dest, dest.c.id == moves.c.to_location_id)
            .outerjoin(lots, lots.c.id == moves.c.lot_id)
            .order_by(moves.c.id)
        ).all()
    return [tuple(r) for r in rows]


def clean(db: Database) -> bool:
    with db.read() as conn:
        report = verify(conn)
    assert report.problems == []
    return report.ok


@pytest.fixture
def company(db: Database) -> Iterator[Database]:
    build_company(db)
    yield db
    assert_ledger_verifies(db)  # after every accepted or refused import


# ---------------------------------------------------------------- lots


def test_lots_and_serials_are_created_with_their_default_expiry(company: Database) -> None:
    data = csv(
        LOTS,
        "GLUE,L-1,2026-01-15,2027-01-15,S-9,,first batch",
        "FLOUR,F-1,2026-02-01,,,quarantine,",
        "PUMP,SN-1,,,,,",
    )
    summary = import_file(company, CTX, "lots", data)
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    assert lot(company, "GLUE", "L-1") == (
        False,
        date(2026, 1, 15),
        date(2027, 1, 15),
        "S-9",
        "available",
        "first batch",
        1,
    )
    assert lot(company, "FLOUR", "F-1") == (
        False,
        date(2026, 2, 1),
        date(2027, 2, 1),
        None,
        "quarantine",
        None,
        1,
    )
    assert lot(company, "PUMP", "SN-1") == (True, None, None, None, "available", None, 1)
    again = import_file(company, CTX, "lots", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert lot(company, "FLOUR", "F-1")[2] == date(2027, 2, 1)


def test_a_status_change_is_noted_and_omitted_columns_are_kept(company: Database) -> None:
    import_file(company, CTX, "lots", csv(LOTS, "GLUE,L-1,2026-01-15,2027-01-15,S-9,,first"))
    summary = import_file(company, CTX, "lots", csv("item,code,status", "GLUE,L-1,quarantine"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    kept = lot(company, "GLUE", "L-1")
    assert kept[:5] == (False, date(2026, 1, 15), date(2027, 1, 15), "S-9", "quarantine")
    notes = str(kept[5])
    assert notes.startswith("first\n")
    assert notes.endswith(" UTC admin: status available -> quarantine (import)")
    assert kept[6] == 2
    again = import_file(company, CTX, "lots", csv("item,code,status", "GLUE,L-1,quarantine"))
    assert (again.updated, again.unchanged) == (0, 1)


def test_lots_take_chinese_headers(company: Database) -> None:
    data = "物料编码,批号,生产日期,有效期至,供应商批号,状态\nGLUE,批-1,2026-01-15,,供-1,hold\n"
    assert import_file(company, CTX, "lots", data.encode()).created == 1
    assert lot(company, "GLUE", "批-1")[:5] == (False, date(2026, 1, 15), None, "供-1", "hold")


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("NOPE,L-2,,,,,", "item", "item_not_found", id="item"),
        pytest.param("OLD,L-2,,,,,", "item", "item_inactive", id="inactive"),
        pytest.param("BOLT,L-2,,,,,", "item", "item_not_lot_tracked", id="untracked"),
        pytest.param("GLUE," + "L" * 101 + ",,,,,", "code", "invalid_lot_code", id="code"),
        pytest.param("GLUE,L\tX,,,,,", "code", "invalid_lot_code", id="tab"),
        pytest.param("GLUE,L-2,2026-02-30,,,,", "manufactured_on", "invalid_date", id="made"),
        pytest.param("GLUE,L-2,,1 May,,,", "expires_on", "invalid_date", id="expires"),
        pytest.param(
            "GLUE,L-2,2026-05-01,2026-04-30,,,",
            "expires_on",
            "expiry_before_manufacture",
            id="order",
        ),
        pytest.param("GLUE,L-2,,,,lost,", "status", "invalid_lot_status", id="status"),
        pytest.param(
            "GLUE,L-2,,," + "s" * 101 + ",,", "supplier_lot", "invalid_supplier_lot", id="sup"
        ),
        pytest.param("GLUE,L-1,,,,,", "item", "import_duplicate_row", id="duplicate"),
    ],
)
def test_a_bad_lot_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    create_item(company, CTX, ItemInput("OLD", "Old glue", "consumable", tracking="lot"))
    deactivate_item(company, CTX, "OLD")
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "lots", csv(LOTS, "GLUE,L-1,,,,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert written(company) == before


# ---------------------------------------------------------------- opening stock


def test_opening_stock_is_posted_from_the_adjustment_location(company: Database) -> None:
    summary = import_file(company, CTX, "opening_stock", csv(OPENING, *STOCK))
    assert (summary.created, summary.updated, summary.unchanged, summary.posted) == (4, 0, 0, 4)
    day = datetime(2026, 3, 1, tzinfo=UTC)
    posted = [(*m[:9], m[9].astimezone(UTC)) for m in opening_moves(company)]  # type: ignore[attr-defined]
    assert posted == [
        (
            "BOLT",
            "WH1/ADJUSTMENT",
            "WH1-A",
            None,
            240_000_000,
            350_000,
            84_000_000,
            "import",
            "opening_balance",
            day,
        ),
        (
            "BOLT",
            "WH1/ADJUSTMENT",
            "WH1-B",
            None,
            24_000_000,
            350_000,
            8_400_000,
            "import",
            "opening_balance",
            day,
        ),
        (
            "FLOUR",
            "WH1/ADJUSTMENT",
            "WH1-A-01",
            "F-1",
            12_500_000,
            3_200_000,
            40_000_000,
            "import",
            "opening_balance",
            day,
        ),
        (
            "PUMP",
            "WH2/ADJUSTMENT",
            "WH2-A",
            "SN-1",
            1_000_000,
            100_000_000,
            100_000_000,
            "import",
            "opening_balance",
            day,
        ),
    ]
    assert [
        on_hand(company, "BOLT", "WH1-A"),
        on_hand(company, "BOLT", "WH1-B"),
        on_hand(company, "FLOUR", "WH1-A-01"),
        on_hand(company, "PUMP", "WH2-A"),
    ] == [Decimal(240), Decimal(24), Decimal("12.5"), Decimal(1)]
    assert lot(company, "FLOUR", "F-1")[2] == date(2027, 1, 1)
    assert lot(company, "PUMP", "SN-1")[0] is True
    assert clean(company)


def test_the_same_opening_stock_again_is_unchanged(company: Database) -> None:
    import_file(company, CTX, "opening_stock", csv(OPENING, *STOCK))
    before = written(company)
    again = import_file(company, CTX, "opening_stock", csv(OPENING, *STOCK))
    assert (again.created, again.updated, again.unchanged, again.posted) == (0, 0, 4, 0)
    assert written(company) == before
    assert clean(company)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("BOLT,WH1-A,,,241,,0.35,2026-03-01", id="quantity"),
        pytest.param("BOLT,WH1-A,,,240,,0.36,2026-03-01", id="cost"),
        pytest.param("BOLT,WH1-B,,,25,,0.35,2026-03-01", id="other-unit"),
    ],
)
def test_a_different_opening_balance_is_refused(company: Database, line: str) -> None:
    import_file(company, CTX, "opening_stock", csv(OPENING, *STOCK))
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(
            company, CTX, "opening_stock", csv(OPENING, "GLUE,WH1-A,G-1,,5,,1,2026-03-01", line)
        )
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [
        (3, "quantity", "opening_stock_exists")
    ]
    assert written(company) == before
    assert on_hand(company, "GLUE", "WH1-A") == Decimal(0)


def test_opening_stock_takes_chinese_headers_and_the_dry_run_writes_nothing(
    company: Database,
) -> None:
    head = "物料编码,库位编码,批号,批次有效期,数量,单位,单位成本,日期"
    data = f"{head}\nGLUE,WH1-B,胶-1,2027-06-30,3,,12.5,2026-03-01\n".encode()
    before = written(company)
    dry = import_file(company, CTX, "opening_stock", data, dry_run=True)
    assert (dry.dry_run, dry.created, dry.posted, dry.errors) == (True, 1, 0, [])
    assert written(company) == before
    summary = import_file(company, CTX, "opening_stock", data)
    assert (summary.created, summary.posted) == (1, 1)
    assert on_hand(company, "GLUE", "WH1-B") == Decimal(3)
    assert [m[4:7] for m in opening_moves(company)] == [(3_000_000, 12_500_000, 37_500_000)]
    assert lot(company, "GLUE", "胶-1")[2] == date(2027, 6, 30)
    assert clean(company)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("NOPE,WH1-A,,,1,,,2026-03-01", "item", "item_not_found", id="item"),
        pytest.param("OLD,WH1-A,,,1,,,2026-03-01", "item", "item_inactive", id="inactive-item"),
        pytest.param("BOLT,NOPE,,,1,,,2026-03-01", "location", "location_not_found", id="where"),
        pytest.param(
            "BOLT,WH1/SUPPLIER,,,1,,,2026-03-01",
            "location",
            "not_storage_location",
            id="virtual",
        ),
        pytest.param(
            "BOLT,WH1-OLD,,,1,,,2026-03-01", "location", "location_inactive", id="inactive-place"
        ),
        pytest.param(
            "BOLT,WH1-RAW,,,1,,,2026-03-01", "location", "item_type_not_allowed", id="type"
        ),
        pytest.param("FLOUR,WH1-A,,,1,,,2026-03-01", "lot", "lot_required", id="no-lot"),
        pytest.param("PUMP,WH1-A,,,1,,,2026-03-01", "lot", "serial_required", id="no-serial"),
        pytest.param("BOLT,WH1-A,L-1,,1,,,2026-03-01", "lot", "lot_not_allowed", id="lot"),
        pytest.param(
            "PUMP,WH1-A,SN-9,,2,,,2026-03-01", "quantity", "serial_quantity_not_one", id="serial"
        ),
        pytest.param("BOLT,WH1-A,,,0,,,2026-03-01", "quantity", "quantity_not_positive", id="0"),
        pytest.param("BOLT,WH1-A,,,1.5,,,2026-03-01", "quantity", "too_many_decimals", id="1.5"),
        pytest.param("BOLT,WH1-A,,,1,parsec,,2026-03-01", "unit", "unit_not_found", id="unit"),
        pytest.param(
            "BOLT,WH1-A,,,1,kg,,2026-03-01", "unit", "unit_not_convertible", id="no-conversion"
        ),
        pytest.param("BOLT,WH1-A,,,1,,-1,2026-03-01", "unit_cost", "negative_value", id="cost"),
        pytest.param("BOLT,WH1-A,,,1,,,2026-02-30", "date", "invalid_date", id="date"),
        pytest.param(
            "GLUE,WH1-A,G-2,soon,1,,,2026-03-01", "lot_expires_on", "invalid_date", id="expiry"
        ),
        pytest.param("BOLT,WH1-A,,,1,,,2099-01-01", "date", "effective_in_future", id="future"),
        pytest.param("BOLT,WH1-A,,,1,,,2026-01-15", "date", "period_closed", id="closed"),
        pytest.param("GLUE,WH1-A,G-1,,1,,,2026-03-01", "item", "import_duplicate_row", id="dup"),
    ],
)
def test_a_bad_opening_stock_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    create_item(company, CTX, ItemInput("OLD", "Old part", "spare_part"))
    deactivate_item(company, CTX, "OLD")
    import_file(
        company,
        CTX,
        "locations",
        csv(
            "code,name,warehouse,allowed_item_types",
            "WH1-OLD,Old,WH1,",
            "WH1-RAW,Raw,WH1,raw_material",
        ),
    )
    deactivate_location(company, CTX, "WH1-OLD")
    close_period(company, CTX, date(2026, 1, 31))
    before = written(company)
    data = csv(OPENING, "GLUE,WH1-A,G-1,,5,,1,2026-03-01", line)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "opening_stock", data)
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert written(company) == before
    assert on_hand(company, "GLUE", "WH1-A") == Decimal(0)


def test_a_viewer_may_not_import_lots_or_stock(company: Database) -> None:
    user_with_roles(company, "viewer1", ("viewer", None))
    for kind, data in [
        ("lots", csv(LOTS, "GLUE,L-1,,,,,")),
        ("opening_stock", csv(OPENING, STOCK[0])),
    ]:
        with pytest.raises(PermissionDenied):
            import_file(company, Context("viewer1"), kind, data, dry_run=True)
