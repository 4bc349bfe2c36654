"""Warehouses and locations: the service layer on a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import ledger_heads, locations, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.hashing import GENESIS
from cangku.services import setup
from cangku.services.common import Context
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)

CTX = Context()


@pytest.fixture
def ready(db: Database) -> Database:
    setup.initialize(db)
    return db


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_create_warehouse_writes_head_and_virtual_locations(ready: Database) -> None:
    warehouse = create_warehouse(ready, CTX, WarehouseInput("WH1", "Main warehouse"))

    assert warehouse.code == "WH1"
    assert warehouse.name == "Main warehouse"
    assert warehouse.allow_negative_stock is False
    assert warehouse.active is True
    assert warehouse.version == 1
    with ready.read() as conn:
        head = conn.execute(select(ledger_heads)).one()
        rows = conn.execute(
            select(
                locations.c.code, locations.c.kind, locations.c.level, locations.c.parent_id
            ).order_by(locations.c.id)
        ).all()
    assert (head.warehouse_id, head.last_seq, head.last_hash) == (warehouse.id, 0, GENESIS)
    assert [tuple(r) for r in rows] == [
        ("WH1/SUPPLIER", "supplier", "virtual", None),
        ("WH1/CUSTOMER", "customer", "virtual", None),
        ("WH1/ADJUSTMENT", "adjustment", "virtual", None),
        ("WH1/SCRAP", "scrap", "virtual", None),
        ("WH1/PRODUCTION", "production", "virtual", None),
        ("WH1/TRANSIT", "transit", "virtual", None),
    ]


@pytest.mark.parametrize("code", ["", "WH 1", "W/1", "x" * 33, "仓库"], ids=repr)
def test_create_warehouse_refuses_bad_code(ready: Database, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_warehouse(ready, CTX, WarehouseInput(code, "Main"))

    assert caught.value.code == "invalid_code"
    assert _count(ready, warehouses) == 0


def test_create_warehouse_refuses_duplicate_code(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))

    with pytest.raises(Conflict) as caught:
        create_warehouse(ready, CTX, WarehouseInput("WH1", "Other"))

    assert caught.value.code == "warehouse_code_taken"
    assert _count(ready, warehouses) == 1
    assert _count(ready, locations) == 6


def test_create_location_under_parent_takes_parent_warehouse_and_path(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))
    zone = create_location(
        ready, CTX, LocationInput("WH1-A", "Zone A", warehouse="WH1", level="zone")
    )

    bin_ = create_location(
        ready,
        CTX,
        LocationInput(
            "WH1-A-01",
            "Bin 1",
            parent="WH1-A",
            level="bin",
            capacity="12.5",
            allowed_item_types=["spare_part", "consumable"],
        ),
    )

    assert zone.path == f"/{zone.id}/"
    assert bin_.path == f"/{zone.id}/{bin_.id}/"
    assert bin_.warehouse == "WH1"
    assert bin_.parent == "WH1-A"
    assert bin_.kind == "internal"
    assert bin_.capacity == Decimal("12.5")
    assert bin_.allowed_item_types == ["consumable", "spare_part"]
    assert bin_.is_virtual is False


def test_create_location_refuses_virtual_kind(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))

    with pytest.raises(RuleViolation) as caught:
        create_location(ready, CTX, LocationInput("X", "X", kind="scrap", warehouse="WH1"))

    assert caught.value.code == "virtual_kind_reserved"
    assert _count(ready, locations) == 6


def test_create_location_refuses_missing_warehouse(ready: Database) -> None:
    with pytest.raises(NotFound) as caught:
        create_location(ready, CTX, LocationInput("X", "X", warehouse="NOPE"))

    assert caught.value.code == "warehouse_not_found"
    assert _count(ready, locations) == 0
