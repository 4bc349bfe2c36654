"""Items: create, read, change, units and barcodes; conversions to the base unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.catalog import to_base_quantity
from cangku.db.lookups import item_by_code
from cangku.db.tables import item_barcodes, item_units, items
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize

CTX = Context()


@pytest.fixture
def cat(db: Database) -> Database:
    initialize(db)
    return db


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _nothing_written(db: Database) -> None:
    assert _count(db, items) == 0
    assert _count(db, item_units) == 0
    assert _count(db, item_barcodes) == 0


def _bolt(**changes: object) -> ItemInput:
    data = ItemInput(
        code="BOLT-M6",
        name="Bolt M6",
        item_type="spare_part",
        units=[("box", Decimal("12"))],
        barcodes=[("6901234567892", None), ("6901234567908", "box")],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_create_item_stores_every_field(cat: Database) -> None:
    item = create_item(
        cat,
        CTX,
        _bolt(
            safety_stock=Decimal("10"),
            reorder_point=Decimal("20"),
            max_stock=Decimal("100"),
            standard_cost=Decimal("0.125"),
            shelf_life_days=365,
            lead_time_days=7,
            description="zinc plated",
        ),
    )

    assert item.code == "BOLT-M6"
    assert item.base_unit == "pcs"
    assert item.tracking == "none"
    assert item.costing_method == "fifo"
    assert [(u.unit, u.factor) for u in item.units] == [("box", Decimal("12"))]
    assert [(b.barcode, b.unit) for b in item.barcodes] == [
        ("6901234567892", None),
        ("6901234567908", "box"),
    ]
    assert item.safety_stock == Decimal("10")
    assert item.reorder_point == Decimal("20")
    assert item.max_stock == Decimal("100")
    assert item.standard_cost == Decimal("0.125")
    assert item.shelf_life_days == 365
    assert item.lead_time_days == 7
    assert item.description == "zinc plated"
    assert item.active is True
    assert item.version == 1


def test_to_base_quantity_converts_boxes_to_pieces(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        assert to_base_quantity(conn, info, Decimal("3"), "box") == 36_000_000
        assert to_base_quantity(conn, info, Decimal("5"), None) == 5_000_000
        assert to_base_quantity(conn, info, Decimal("5"), "pcs") == 5_000_000


def test_to_base_quantity_refuses_fractional_pieces(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("1.5"), None)
        assert err.value.code == "too_many_decimals"
        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("0.5"), "box")
        assert err.value.code == "too_many_decimals"


def test_to_base_quantity_refuses_a_result_finer_than_the_base_unit(cat: Database) -> None:
    create_item(cat, CTX, _bolt(base_unit="kg", units=[("g", Decimal("0.001"))], barcodes=[]))
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        assert to_base_quantity(conn, info, Decimal("2500"), "g") == 2_500_000
        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("0.5"), "g")
        assert err.value.code == "too_many_decimals"


def test_to_base_quantity_unknown_and_unconvertible_units(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        with pytest.raises(NotFound) as missing:
            to_base_quantity(conn, info, Decimal("1"), "crate")
        with pytest.raises(InvalidInput) as foreign:
            to_base_quantity(conn, info, Decimal("1"), "kg")

    assert missing.value.code == "unit_not_found"
    assert foreign.value.code == "unit_not_convertible"


def test_create_item_refuses_a_taken_code(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(Conflict) as err:
        create_item(cat, CTX, _bolt(barcodes=[]))

    assert err.value.code == "item_code_taken"
    assert _count(cat, items) == 1


def test_create_item_refuses_a_taken_barcode(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(Conflict) as err:
        create_item(cat, CTX, _bolt(code="NUT-M6", barcodes=[("6901234567892", None)]))

    assert err.value.code == "barcode_taken"
    assert _count(cat, items) == 1
