"""Lots and serials: the service layer on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from cangku.db import lots as lot_store
from cangku.db.lookups import item_by_code
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.services import setup
from cangku.services.common import Context
from cangku.services.lots import LotInput, SerialInput, create_lot, create_serial

CTX = Context()
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def add_item(db: Database, code: str, tracking: str, shelf_life_days: int | None = None) -> None:
    with db.write() as uow:
        uow.conn.execute(
            insert(items).values(
                code=code,
                name=code,
                item_type="raw_material",
                base_unit="pcs",
                tracking=tracking,
                shelf_life_days=shelf_life_days,
                costing_method="fifo",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.commit()


@pytest.fixture
def ready(db: Database) -> Database:
    setup.initialize(db)
    add_item(db, "MILK", "lot", shelf_life_days=10)
    add_item(db, "BOLT", "none")
    add_item(db, "PUMP", "serial")
    return db


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(lots)).scalar_one())


def test_create_lot_derives_expiry_from_shelf_life(ready: Database) -> None:
    lot = create_lot(ready, CTX, LotInput("MILK", "L1", manufactured_on=date(2024, 5, 1)))

    assert lot.item == "MILK"
    assert lot.code == "L1"
    assert lot.expires_on == date(2024, 5, 11)
    assert lot.status == "available"
    assert lot.is_serial is False
    assert lot.version == 1


def test_create_lot_refuses_untracked_item(ready: Database) -> None:
    with pytest.raises(RuleViolation) as caught:
        create_lot(ready, CTX, LotInput("BOLT", "L1"))

    assert caught.value.code == "item_not_lot_tracked"
    assert _count(ready) == 0


def test_create_lot_refuses_expiry_before_manufacture(ready: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_lot(
            ready,
            CTX,
            LotInput("MILK", "L1", manufactured_on=date(2024, 5, 2), expires_on=date(2024, 5, 1)),
        )

    assert caught.value.code == "expiry_before_manufacture"
    assert _count(ready) == 0


def test_create_lot_refuses_duplicate(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1"))

    with pytest.raises(Conflict) as caught:
        create_lot(ready, CTX, LotInput("MILK", "L1"))

    assert caught.value.code == "lot_code_taken"
    assert _count(ready) == 1


def test_create_serial_is_a_serial_lot(ready: Database) -> None:
    serial = create_serial(ready, CTX, SerialInput("PUMP", "SN-0001"))

    assert serial.is_serial is True
    assert serial.code == "SN-0001"


def test_get_or_create_creates_once(ready: Database) -> None:
    with ready.write() as uow:
        item = item_by_code(uow.conn, "MILK")
        first = lot_store.get_or_create(uow.conn, item, "R1", NOW, manufactured_on=date(2024, 5, 1))
        again = lot_store.get_or_create(uow.conn, item, "R1", NOW)
        uow.commit()

    assert first == again
    assert first.expires_on == date(2024, 5, 11)
    assert _count(ready) == 1
