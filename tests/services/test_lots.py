"""Lots and serials: the service layer on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from cangku.db import lots as lot_store
from cangku.db.lookups import item_by_code
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.queries.lots import (
    expiry_day,
    get_lot,
    get_lot_by_id,
    list_lots,
    list_serials,
    with_expiry,
)
from cangku.services import setup
from cangku.services.common import Context
from cangku.services.lots import (
    LotChanges,
    LotInput,
    SerialInput,
    create_lot,
    create_serial,
    set_lot_status,
    update_lot,
)

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


def test_create_lot_for_serial_item_is_refused(ready: Database) -> None:
    with pytest.raises(RuleViolation) as caught:
        create_lot(ready, CTX, LotInput("PUMP", "L1"))

    assert caught.value.code == "item_is_serial_tracked"
    assert _count(ready) == 0


def test_create_serial_for_lot_item_is_refused(ready: Database) -> None:
    with pytest.raises(RuleViolation) as caught:
        create_serial(ready, CTX, SerialInput("MILK", "SN1"))

    assert caught.value.code == "item_not_serial_tracked"
    assert _count(ready) == 0


def test_create_serial_refuses_duplicate(ready: Database) -> None:
    create_serial(ready, CTX, SerialInput("PUMP", "SN1"))

    with pytest.raises(Conflict) as caught:
        create_serial(ready, CTX, SerialInput("PUMP", "SN1"))

    assert caught.value.code == "serial_taken"
    assert _count(ready) == 1


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (LotInput("MILK", ""), InvalidInput, "invalid_lot_code"),
        (LotInput("MILK", " L1"), InvalidInput, "invalid_lot_code"),
        (LotInput("MILK", "L1", status="lost"), InvalidInput, "invalid_lot_status"),
        (LotInput("MILK", "L1", supplier_lot="x" * 101), InvalidInput, "invalid_supplier_lot"),
        (LotInput("NOPE", "L1"), NotFound, "item_not_found"),
    ],
    ids=["empty", "space", "status", "supplier_lot", "item"],
)
def test_create_lot_refusals(
    ready: Database, data: LotInput, error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as caught:
        create_lot(ready, CTX, data)

    assert caught.value.code == code  # type: ignore[attr-defined]
    assert _count(ready) == 0


def test_create_lot_keeps_explicit_expiry(ready: Database) -> None:
    lot = create_lot(
        ready,
        CTX,
        LotInput("MILK", "L1", manufactured_on=date(2024, 5, 1), expires_on=date(2024, 6, 1)),
    )

    assert lot.expires_on == date(2024, 6, 1)


def test_create_lot_replays_with_idempotency_key(ready: Database) -> None:
    ctx = Context(idempotency_key="k-1")

    first = create_lot(ready, ctx, LotInput("MILK", "L1"))
    again = create_lot(ready, ctx, LotInput("MILK", "L1"))

    assert again == first
    assert _count(ready) == 1
    with pytest.raises(Conflict) as caught:
        create_lot(ready, ctx, LotInput("MILK", "L2"))
    assert caught.value.code == "idempotency_key_reused"
    assert _count(ready) == 1


def test_update_lot_changes_dates_and_notes(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1", supplier_lot="S-9"))

    lot = update_lot(
        ready,
        CTX,
        "MILK",
        "L1",
        LotChanges(expires_on=date(2024, 9, 1), notes="<b>cold</b>", supplier_lot=None, version=1),
    )

    assert (lot.expires_on, lot.notes, lot.supplier_lot, lot.version) == (
        date(2024, 9, 1),
        "<b>cold</b>",
        None,
        2,
    )


def test_update_lot_checks_dates_against_stored_ones(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1", manufactured_on=date(2024, 5, 1)))

    with pytest.raises(InvalidInput) as caught:
        update_lot(ready, CTX, "MILK", "L1", LotChanges(expires_on=date(2024, 4, 1)))

    assert caught.value.code == "expiry_before_manufacture"
    assert get_lot(ready, "MILK", "L1").expires_on == date(2024, 5, 11)


def test_update_lot_refuses_stale_version(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1"))
    update_lot(ready, CTX, "MILK", "L1", LotChanges(notes="one"))

    with pytest.raises(Conflict) as caught:
        update_lot(ready, CTX, "MILK", "L1", LotChanges(notes="two", version=1))

    assert caught.value.code == "version_conflict"
    assert get_lot(ready, "MILK", "L1").notes == "one"


def test_set_lot_status_records_reason_in_notes(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1", notes="first"))

    lot = set_lot_status(ready, CTX, "MILK", "L1", "quarantine", "smells odd")

    assert lot.status == "quarantine"
    assert lot.notes is not None
    assert lot.notes.startswith("first\n")
    assert lot.notes.endswith("admin: status available -> quarantine (smells odd)")


def test_set_lot_status_refuses_unknown_status(ready: Database) -> None:
    create_lot(ready, CTX, LotInput("MILK", "L1"))

    with pytest.raises(InvalidInput) as caught:
        set_lot_status(ready, CTX, "MILK", "L1", "gone", None)

    assert caught.value.code == "invalid_lot_status"
    assert get_lot(ready, "MILK", "L1").status == "available"


def test_set_lot_status_of_missing_lot(ready: Database) -> None:
    with pytest.raises(NotFound) as caught:
        set_lot_status(ready, CTX, "MILK", "L9", "hold", None)

    assert caught.value.code == "lot_not_found"


def test_list_lots_filters(ready: Database) -> None:
    create_lot(
        ready, CTX, LotInput("MILK", "L1", expires_on=date(2024, 6, 1), supplier_lot="ACME-7")
    )
    create_lot(ready, CTX, LotInput("MILK", "L2", expires_on=date(2024, 8, 1)))
    create_lot(ready, CTX, LotInput("MILK", "L3"))
    set_lot_status(ready, CTX, "MILK", "L2", "hold", None)
    create_serial(ready, CTX, SerialInput("PUMP", "SN1"))

    def codes(page: object) -> list[str]:
        return [lot.code for lot in page.items]  # type: ignore[attr-defined]

    assert codes(list_lots(ready, item="MILK")) == ["L1", "L2", "L3"]
    assert codes(list_lots(ready, status="hold")) == ["L2"]
    assert codes(list_lots(ready, expiring_before=date(2024, 7, 1))) == ["L1"]
    assert codes(list_lots(ready, q="acme")) == ["L1"]
    assert codes(list_serials(ready)) == ["SN1"]
    assert list_lots(ready, limit=2, offset=2).total == 4


def test_get_lot_by_id(ready: Database) -> None:
    lot = create_lot(ready, CTX, LotInput("MILK", "L1"))

    assert get_lot_by_id(ready, lot.id) == with_expiry(lot, expiry_day(ready))


def test_get_or_create_refuses_untracked_item(ready: Database) -> None:
    with ready.write() as uow:
        item = item_by_code(uow.conn, "BOLT")
        with pytest.raises(RuleViolation) as caught:
            lot_store.get_or_create(uow.conn, item, "R1", NOW)

    assert caught.value.code == "item_not_lot_tracked"
    assert _count(ready) == 0


def test_get_or_create_makes_serials_for_serial_items(ready: Database) -> None:
    with ready.write() as uow:
        item = item_by_code(uow.conn, "PUMP")
        serial = lot_store.get_or_create(uow.conn, item, "SN-9", NOW)
        uow.commit()

    assert serial.is_serial is True
