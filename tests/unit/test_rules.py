"""Move rules, quantities and the hash chain, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cangku.domain.enums import LocationKind, LotStatus, Operation, Tracking
from cangku.domain.errors import CangkuError
from cangku.domain.hashing import GENESIS, MOVE_HASH_FIELDS, move_hash
from cangku.domain.quantities import SCALE, from_scaled, parse_decimal, positive_quantity, to_scaled
from cangku.domain.stock import (
    ItemInfo,
    LocationInfo,
    LotInfo,
    MoveLine,
    check_effective_time,
    check_move,
)

ITEM = ItemInfo(1, "BOLT", "spare_part", Tracking.NONE, "fifo", "pcs")
LOT_ITEM = ItemInfo(2, "GLUE", "consumable", Tracking.LOT, "fifo", "pcs")
SERIAL_ITEM = ItemInfo(3, "PUMP", "finished_good", Tracking.SERIAL, "fifo", "pcs")


def location(kind: LocationKind, id_: int = 1) -> LocationInfo:
    return LocationInfo(id_, f"L{id_}", kind, 1)


STOCK, OTHER = location(LocationKind.INTERNAL, 1), location(LocationKind.INTERNAL, 2)
SUPPLIER, CUSTOMER = location(LocationKind.SUPPLIER, 3), location(LocationKind.CUSTOMER, 4)
SCRAP, ADJUST = location(LocationKind.SCRAP, 5), location(LocationKind.ADJUSTMENT, 6)
TODAY = date(2026, 11, 25)


def refusal(line: MoveLine) -> str | None:
    try:
        check_move(line, TODAY)
    except CangkuError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("operation", "source", "dest", "code"),
    [
        (Operation.RECEIVE, SUPPLIER, STOCK, None),
        (Operation.RECEIVE, STOCK, OTHER, "location_kind_not_allowed"),
        (Operation.ISSUE, STOCK, CUSTOMER, None),
        (Operation.ISSUE, STOCK, SCRAP, "location_kind_not_allowed"),
        (Operation.MOVE, STOCK, OTHER, None),
        (Operation.MOVE, STOCK, CUSTOMER, "location_kind_not_allowed"),
        (Operation.MOVE, STOCK, STOCK, "same_location"),
        (Operation.SCRAP, STOCK, SCRAP, None),
        (Operation.ADJUST, ADJUST, STOCK, None),
        (Operation.ADJUST, STOCK, ADJUST, None),
        (Operation.ADJUST, SUPPLIER, STOCK, "location_kind_not_allowed"),
        (Operation.REVERSE, CUSTOMER, STOCK, None),
        (Operation.REVERSE, SUPPLIER, CUSTOMER, "location_kind_not_allowed"),
    ],
    ids=lambda v: getattr(v, "value", None) or getattr(v, "code", None) or str(v),
)
def test_location_kinds_per_operation(
    operation: Operation, source: LocationInfo, dest: LocationInfo, code: str | None
) -> None:
    assert refusal(MoveLine(operation, ITEM, source, dest, SCALE)) == code


def test_tracking_rules() -> None:
    lot = LotInfo(7, 2, "L1", LotStatus.AVAILABLE)
    serial = LotInfo(8, 3, "SN1", LotStatus.AVAILABLE, is_serial=True)
    assert refusal(MoveLine(Operation.RECEIVE, LOT_ITEM, SUPPLIER, STOCK, SCALE)) == "lot_required"
    assert (
        refusal(MoveLine(Operation.RECEIVE, ITEM, SUPPLIER, STOCK, SCALE, lot=lot))
        == "lot_not_allowed"
    )
    assert refusal(
        MoveLine(Operation.RECEIVE, SERIAL_ITEM, SUPPLIER, STOCK, 2 * SCALE, lot=serial)
    ) == ("serial_quantity_not_one")
    assert (
        refusal(MoveLine(Operation.RECEIVE, SERIAL_ITEM, SUPPLIER, STOCK, SCALE, lot=serial))
        is None
    )
    other_items_lot = LotInfo(9, 99, "X", LotStatus.AVAILABLE)
    assert refusal(
        MoveLine(Operation.RECEIVE, LOT_ITEM, SUPPLIER, STOCK, SCALE, lot=other_items_lot)
    ) == ("lot_item_mismatch")


@pytest.mark.parametrize("status", [s for s in LotStatus if s is not LotStatus.AVAILABLE])
def test_only_available_lots_are_issued(status: LotStatus) -> None:
    lot = LotInfo(7, 2, "L1", status)
    assert (
        refusal(MoveLine(Operation.ISSUE, LOT_ITEM, STOCK, CUSTOMER, SCALE, lot=lot))
        == "lot_not_available"
    )
    assert refusal(MoveLine(Operation.MOVE, LOT_ITEM, STOCK, OTHER, SCALE, lot=lot)) is None


def test_closed_periods_and_the_future_are_refused() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    check_effective_time(now - timedelta(days=1), now, date(2026, 11, 23))
    with pytest.raises(CangkuError) as closed:
        check_effective_time(datetime(2026, 11, 23, 23, 59, tzinfo=UTC), now, date(2026, 11, 23))
    assert closed.value.code == "period_closed"
    with pytest.raises(CangkuError) as future:
        check_effective_time(now + timedelta(hours=1), now, None)
    assert future.value.code == "effective_in_future"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "1e400", "abc", "", "1,5"])
def test_non_numbers_are_refused(text: str) -> None:
    with pytest.raises(CangkuError) as refused:
        parse_decimal(text)
    assert refused.value.code in {"invalid_number", "number_too_large"}


@pytest.mark.parametrize("text", ["0", "-1", "-0.000001"])
def test_quantities_must_be_positive(text: str) -> None:
    with pytest.raises(CangkuError) as refused:
        positive_quantity(text)
    assert refused.value.code == "quantity_not_positive"


@given(st.decimals(min_value=Decimal("-999999999999"), max_value=Decimal("999999999999"), places=6))
def test_scaled_round_trip_is_exact(number: Decimal) -> None:
    assert from_scaled(to_scaled(number)) == number


def _move(**changes: object) -> dict[str, object]:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    move: dict[str, object] = dict.fromkeys(MOVE_HASH_FIELDS)
    move.update(
        warehouse_id=1,
        seq=1,
        item_id=1,
        quantity=SCALE,
        from_location_id=1,
        to_location_id=2,
        unit_cost=0,
        value=0,
        effective_at=now,
        recorded_at=now,
        operation="receive",
        user_id=1,
    )
    move.update(changes)
    return move


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 2 * SCALE},
        {"to_location_id": 3},
        {"note": "x"},
        {"value": 1},
        {"effective_at": datetime(2026, 11, 24, tzinfo=UTC)},
        {"user_id": 2},
        {"seq": 2},
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_changed_field_changes_the_hash(change: dict[str, object]) -> None:
    assert move_hash(_move(**change), GENESIS) != move_hash(_move(), GENESIS)


def test_free_text_cannot_forge_a_field_boundary() -> None:
    one = _move(reason_code="a|b", document_type=None)
    other = _move(reason_code="a", document_type="b")
    assert move_hash(one, GENESIS) != move_hash(other, GENESIS)
