"""Stock operations through the service layer: exact quantities, values and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import balances, moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.queries.stock import StockFilter, totals
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import (
    adjust_stock,
    issue_stock,
    receive_stock,
    reserve_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import (
    Adjust,
    Issue,
    Receive,
    Reservation,
    Reverse,
    Scrap,
    Transfer,
)
from tests.factories import CTX, build_company


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    return db


def on_hand(
    db: Database, item: str, location: str | None = None, lot: str | None = None
) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location, lot=lot)).on_hand


def move_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def assert_verified(db: Database) -> None:
    with db.read() as conn:
        report = verify(conn)
    assert report.problems == []


def test_receive_puts_stock_and_value_at_the_location(company: Database) -> None:
    result = receive_stock(company, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.25"))
    assert [m.quantity for m in result.moves] == [Decimal("100")]
    assert result.moves[0].from_location == "WH1/SUPPLIER"
    assert result.moves[0].value == Decimal("25")
    assert on_hand(company, "BOLT", "WH1-A") == Decimal("100")
    with company.read() as conn:
        valuation = stock_value(conn, datetime.now(UTC))
    assert [(v.item, v.quantity, v.value) for v in valuation.items] == [
        ("BOLT", Decimal("100"), Decimal("25"))
    ]
    assert_verified(company)


def test_receive_in_boxes_converts_to_pieces_and_cost_per_piece(company: Database) -> None:
    result = receive_stock(company, CTX, Receive("BOLT", "2", "WH1-A", unit="box", unit_cost="6"))
    assert result.moves[0].quantity == Decimal("24")
    assert result.moves[0].unit_cost == Decimal("0.5")
    assert result.moves[0].value == Decimal("12")


def test_fifo_issue_takes_the_oldest_layers_first(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="2"))
    issued = issue_stock(company, CTX, Issue("BOLT", "15", "WH1-A"))
    assert issued.moves[0].value == Decimal("20")  # 10 x 1 + 5 x 2
    assert issued.moves[0].unit_cost == Decimal("1.333333")
    assert on_hand(company, "BOLT") == Decimal("5")
    with company.read() as conn:
        assert stock_value(conn, datetime.now(UTC)).total_value == Decimal("10")
    assert_verified(company)


def test_moving_average_issue_uses_the_average(company: Database) -> None:
    receive_stock(company, CTX, Receive("FLOUR", "10", "WH1-A", lot="F1", unit_cost="1"))
    receive_stock(company, CTX, Receive("FLOUR", "30", "WH1-A", lot="F1", unit_cost="2"))
    issued = issue_stock(company, CTX, Issue("FLOUR", "4", "WH1-A", lot="F1", to="production"))
    assert issued.moves[0].value == Decimal("7")  # average 70 / 40 = 1.75
    with company.read() as conn:
        assert stock_value(conn, datetime.now(UTC)).total_value == Decimal("63")
    assert_verified(company)


def test_transfer_moves_stock_without_changing_value(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    transfer_stock(company, CTX, Transfer("BOLT", "4", "WH1-A", "WH2-A"))
    assert on_hand(company, "BOLT", "WH1-A") == Decimal("6")
    assert on_hand(company, "BOLT", "WH2-A") == Decimal("4")
    with company.read() as conn:
        assert stock_value(conn, datetime.now(UTC)).total_value == Decimal("10")
    assert_verified(company)


def test_location_query_includes_sub_locations(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "3", "WH1-A", unit_cost="1"))
    receive_stock(company, CTX, Receive("BOLT", "4", "WH1-A-01", unit_cost="1"))
    assert on_hand(company, "BOLT", "WH1-A") == Decimal("7")
    assert on_hand(company, "BOLT", "WH1-A-01") == Decimal("4")


def test_adjust_gain_and_loss_with_reason(company: Database) -> None:
    adjust_stock(company, CTX, Adjust("BOLT", "5", "WH1-A", "found", unit_cost="1"))
    loss = adjust_stock(company, CTX, Adjust("BOLT", "-2", "WH1-A", "damaged"))
    assert loss.moves[0].to_location == "WH1/ADJUSTMENT"
    assert loss.moves[0].reason_code == "damaged"
    assert on_hand(company, "BOLT") == Decimal("3")
    assert_verified(company)


def test_scrap_moves_to_the_scrap_location(company: Database) -> None:
    receive_stock(company, CTX, Receive("GLUE", "5", "WH1-A", lot="G1", unit_cost="3"))
    scrapped = scrap_stock(company, CTX, Scrap("GLUE", "2", "WH1-A", "expired", lot="G1"))
    assert scrapped.moves[0].to_location == "WH1/SCRAP"
    assert scrapped.moves[0].value == Decimal("6")
    assert on_hand(company, "GLUE", lot="G1") == Decimal("3")


def test_reverse_a_receipt_restores_stock_and_value(company: Database) -> None:
    first = receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="3"))
    reversal = reverse_move(company, CTX, Reverse(first.moves[0].id))
    assert reversal.moves[0].value == Decimal("10")  # the reversed receipt's own layer
    assert reversal.moves[0].reverses_move_id == first.moves[0].id
    assert on_hand(company, "BOLT") == Decimal("10")
    with company.read() as conn:
        assert stock_value(conn, datetime.now(UTC)).total_value == Decimal("30")
    assert_verified(company)


def test_reversing_twice_is_refused(company: Database) -> None:
    first = receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    reverse_move(company, CTX, Reverse(first.moves[0].id))
    with pytest.raises(CangkuError) as refused:
        reverse_move(company, CTX, Reverse(first.moves[0].id))
    assert refused.value.code == "move_already_reversed"
    assert move_count(company) == 2


def test_serial_item_moves_one_unit(company: Database) -> None:
    receive_stock(company, CTX, Receive("PUMP", "1", "WH1-A", lot="SN-001", unit_cost="500"))
    assert on_hand(company, "PUMP") == Decimal("1")


def test_idempotent_receive_replays_without_writing(company: Database) -> None:
    ctx = Context("admin", idempotency_key="rcv-1")
    first = receive_stock(company, ctx, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    again = receive_stock(company, ctx, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    assert again.replayed is True
    assert [m.id for m in again.moves] == [m.id for m in first.moves]
    assert move_count(company) == 1
    with pytest.raises(CangkuError) as refused:
        receive_stock(company, ctx, Receive("BOLT", "11", "WH1-A", unit_cost="1"))
    assert refused.value.code == "idempotency_key_reused"
    assert on_hand(company, "BOLT") == Decimal("10")


def test_reserved_stock_is_not_available_for_issue(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    reserve_stock(company, CTX, Reservation("BOLT", "8", "WH1-A"))
    with pytest.raises(CangkuError) as refused:
        issue_stock(company, CTX, Issue("BOLT", "3", "WH1-A"))
    assert refused.value.code == "insufficient_stock"
    assert refused.value.data["available"] == "2"


def test_negative_stock_allowed_where_the_warehouse_allows_it(db: Database) -> None:
    build_company(db, allow_negative_wh2=True)
    issue_stock(db, CTX, Issue("BOLT", "5", "WH2-A"))
    assert on_hand(db, "BOLT", "WH2-A") == Decimal("-5")
    with pytest.raises(CangkuError) as refused:
        issue_stock(db, CTX, Issue("BOLT", "5", "WH1-A"))
    assert refused.value.code == "insufficient_stock"


YESTERDAY = datetime.now(UTC) - timedelta(days=1)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        pytest.param(Receive("NOPE", "1", "WH1-A"), "item_not_found", id="unknown-item"),
        pytest.param(Receive("BOLT", "1", "NOWHERE"), "location_not_found", id="unknown-location"),
        pytest.param(Receive("BOLT", "0", "WH1-A"), "quantity_not_positive", id="zero"),
        pytest.param(Receive("BOLT", "-3", "WH1-A"), "quantity_not_positive", id="negative"),
        pytest.param(Receive("BOLT", "abc", "WH1-A"), "invalid_number", id="not-a-number"),
        pytest.param(Receive("BOLT", "1.5", "WH1-A"), "too_many_decimals", id="decimals"),
        pytest.param(Receive("BOLT", "1", "WH1-A", unit="parsec"), "unit_not_found", id="unit"),
        pytest.param(Receive("FLOUR", "1", "WH1-A"), "lot_required", id="lot-missing"),
        pytest.param(
            Receive("PUMP", "2", "WH1-A", lot="SN-9"), "serial_quantity_not_one", id="serial"
        ),
        pytest.param(Receive("BOLT", "1", "WH1/CUSTOMER"), "location_kind_not_allowed", id="kinds"),
        pytest.param(Issue("BOLT", "1", "WH1-A"), "insufficient_stock", id="more-than-available"),
        pytest.param(Issue("GLUE", "1", "WH1-A", lot="NOLOT"), "lot_not_found", id="unknown-lot"),
        pytest.param(Transfer("BOLT", "1", "WH1-A", "WH1-A"), "same_location", id="same-location"),
        pytest.param(Adjust("BOLT", "1", "WH1-A", "whim"), "unknown_reason_code", id="reason"),
        pytest.param(Adjust("BOLT", "0", "WH1-A", "found"), "quantity_zero", id="adjust-zero"),
        pytest.param(
            Receive("BOLT", "1", "WH1-A", effective_at=datetime.now(UTC) + timedelta(days=2)),
            "effective_in_future",
            id="future",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    company: Database, command: object, code: str
) -> None:
    operation = {
        Receive: receive_stock,
        Issue: issue_stock,
        Transfer: transfer_stock,
        Adjust: adjust_stock,
        Scrap: scrap_stock,
    }[type(command)]
    with pytest.raises(CangkuError) as refused:
        operation(company, CTX, command)  # type: ignore[operator]
    assert refused.value.code == code
    assert move_count(company) == 0
    with company.read() as conn:
        assert conn.execute(select(func.count()).select_from(balances)).scalar_one() == 0


def test_sql_and_html_in_notes_are_stored_verbatim(company: Database) -> None:
    note = "<script>alert(1)</script>'; DROP TABLE moves; --"
    result = receive_stock(company, CTX, Receive("BOLT", "1", "WH1-A", unit_cost="1", note=note))
    assert result.moves[0].note == note
    assert_verified(company)


def test_back_dated_move_is_allowed_after_the_closed_period(company: Database) -> None:
    from cangku.services.periods import close_period

    receive_stock(
        company,
        CTX,
        Receive("BOLT", "10", "WH1-A", unit_cost="1", effective_at=YESTERDAY - timedelta(days=5)),
    )
    close_period(company, CTX, (YESTERDAY - timedelta(days=3)).date())
    with pytest.raises(CangkuError) as refused:
        issue_stock(
            company, CTX, Issue("BOLT", "1", "WH1-A", effective_at=YESTERDAY - timedelta(days=4))
        )
    assert refused.value.code == "period_closed"
    issue_stock(company, CTX, Issue("BOLT", "1", "WH1-A", effective_at=YESTERDAY))
    assert on_hand(company, "BOLT") == Decimal("9")
    assert_verified(company)


def test_expired_or_blocked_lots_cannot_be_issued(company: Database) -> None:
    receive_stock(
        company,
        CTX,
        Receive("GLUE", "5", "WH1-A", lot="OLD", unit_cost="1", expires_on=date(2020, 1, 1)),
    )
    with pytest.raises(CangkuError) as refused:
        issue_stock(company, CTX, Issue("GLUE", "1", "WH1-A", lot="OLD"))
    assert refused.value.code == "lot_expired"


def test_a_serial_number_is_in_stock_once(company: Database) -> None:
    receive_stock(company, CTX, Receive("PUMP", "1", "WH1-A", lot="SN-7", unit_cost="500"))
    with pytest.raises(CangkuError) as refused:
        receive_stock(company, CTX, Receive("PUMP", "1", "WH1-B", lot="SN-7", unit_cost="500"))
    assert refused.value.code == "serial_in_stock"
    assert move_count(company) == 1
    transfer_stock(company, CTX, Transfer("PUMP", "1", "WH1-A", "WH1-B", lot="SN-7"))
    assert on_hand(company, "PUMP", "WH1-B") == Decimal("1")


def test_location_capacity_is_enforced(company: Database) -> None:
    from cangku.services.warehouses import LocationInput, create_location

    create_location(
        company, CTX, LocationInput("WH1-SMALL", "Small bin", warehouse="WH1", capacity="10")
    )
    receive_stock(company, CTX, Receive("BOLT", "8", "WH1-SMALL", unit_cost="1"))
    with pytest.raises(CangkuError) as refused:
        receive_stock(company, CTX, Receive("BOLT", "3", "WH1-SMALL", unit_cost="1"))
    assert refused.value.code == "location_capacity_exceeded"
    assert refused.value.data["would_hold"] == "11"
    assert on_hand(company, "BOLT", "WH1-SMALL") == Decimal("8")


def test_stock_that_would_overflow_is_refused(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "999999999999", "WH1-A", unit_cost="0"))
    with pytest.raises(CangkuError) as refused:
        receive_stock(company, CTX, Receive("BOLT", "999999999999", "WH1-A", unit_cost="0"))
    assert refused.value.code == "number_too_large"
    assert on_hand(company, "BOLT") == Decimal("999999999999")
    assert_verified(company)


def test_a_lot_may_be_issued_back_dated_to_before_it_expired(company: Database) -> None:
    expiry = (YESTERDAY - timedelta(days=2)).date()
    receive_stock(
        company,
        CTX,
        Receive(
            "GLUE",
            "5",
            "WH1-A",
            lot="G9",
            unit_cost="1",
            expires_on=expiry,
            effective_at=YESTERDAY - timedelta(days=5),
        ),
    )
    issued = issue_stock(
        company,
        CTX,
        Issue("GLUE", "2", "WH1-A", lot="G9", effective_at=YESTERDAY - timedelta(days=3)),
    )
    assert issued.moves[0].quantity == Decimal("2")
    with pytest.raises(CangkuError) as refused:
        issue_stock(company, CTX, Issue("GLUE", "1", "WH1-A", lot="G9"))
    assert refused.value.code == "lot_expired"


@pytest.mark.parametrize(
    ("source", "location"),
    [("customer", "WH1/CUSTOMER"), ("production", "WH1/PRODUCTION"), ("supplier", "WH1/SUPPLIER")],
)
def test_goods_are_received_from_returns_and_production_too(
    company: Database, source: str, location: str
) -> None:
    result = receive_stock(
        company, CTX, Receive("BOLT", "4", "WH1-A", unit_cost="2", source=source)
    )
    assert (result.moves[0].from_location, result.moves[0].value) == (location, Decimal("8"))
    assert on_hand(company, "BOLT") == Decimal("4")


def test_an_unknown_receipt_source_is_refused(company: Database) -> None:
    with pytest.raises(CangkuError) as refused:
        receive_stock(company, CTX, Receive("BOLT", "4", "WH1-A", source="thin air"))
    assert refused.value.code == "invalid_receipt_source"
    assert move_count(company) == 0


def test_a_posting_answers_the_same_records_as_the_move_query(
    company: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A posting answers with records built from what it held (no read-back); the driver-level
    read-back (``moves_by_ids``) and the query side (SQLAlchemy Core, ``get_move``) give the
    same records, field for field, on both engines."""
    import dataclasses

    from cangku.queries.stock import get_move, moves_by_ids
    from cangku.services import stock as stock_service
    from cangku.services.stock_commands import Reference

    def no_read_back(*_: object) -> None:
        raise AssertionError("the posting read its moves back")

    monkeypatch.setattr(stock_service, "moves_by_ids", no_read_back)

    received = receive_stock(
        company,
        CTX,
        Receive(
            "FLOUR",
            "12.5",
            "WH1-A",
            lot="L-7",
            unit_cost="1.10",
            note="<b>mill</b>",
            reference=Reference("purchase_order", "PO-1", 3),
        ),
    ).moves[0]
    issued = issue_stock(company, CTX, Issue("FLOUR", "2", "WH1-A", lot="L-7")).moves[0]
    reversal = reverse_move(company, CTX, Reverse(issued.id)).moves[0]
    moved = transfer_stock(company, CTX, Transfer("FLOUR", "1.5", "WH1-A", "WH2-A", lot="L-7"))
    with company.read() as conn:
        again = moves_by_ids(conn, [reversal.id, received.id, issued.id])
        by_query = [get_move(conn, m.id) for m in (reversal, received, issued)]
        assert moved.moves == [get_move(conn, moved.moves[0].id)]
    assert again == by_query
    # what each posting answered (built from what it held) is what the ledger holds
    assert received == by_query[1]
    assert reversal == by_query[0]
    assert dataclasses.replace(issued, reversed_by=reversal.id) == by_query[2]
    assert (moved.moves[0].warehouse, moved.moves[0].stock_change) == ("WH1", Decimal(0))
    assert (received.lot, received.document_id, received.document_line) == ("L-7", "PO-1", 3)
    assert (received.note, received.quantity, received.value) == (
        "<b>mill</b>",
        Decimal("12.5"),
        Decimal("13.75"),
    )
    assert again[2].reversed_by == reversal.id
    assert received.effective_at.tzinfo is not None


def test_a_busy_sqlite_database_refuses_a_write_as_a_retryable_conflict(database_url: str) -> None:
    """BEGIN IMMEDIATE runs on the driver's connection; a database another writer holds is
    still reported as the domain's RetryableConflict (after the bounded retries), never as a
    bare driver error."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from cangku.db.uow import RetryableConflict

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's writer lock")
    db = Database(database_url, pool_size=1, max_overflow=0)
    with db.engine.connect() as conn:  # the pool's only connection: wait 20 ms, not 30 s
        conn.exec_driver_sql("PRAGMA busy_timeout=20")
    holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(RetryableConflict) as refused, db.write():
            pass
        assert refused.value.code == "concurrent_update"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        db.dispose()
    with db.write() as uow:  # free again
        uow.commit()


def test_a_serial_number_leaving_stock_takes_its_own_cost(company: Database) -> None:
    """FIFO per serial: pumps S1 (100) and S2 (250) in stock; selling S2 costs 250, not the
    oldest layer's 100, and S1 keeps its 100 in the stock value."""
    receive_stock(company, CTX, Receive("PUMP", "1", "WH1-A", lot="S1", unit_cost="100"))
    receive_stock(company, CTX, Receive("PUMP", "1", "WH1-A", lot="S2", unit_cost="250"))
    sold = issue_stock(company, CTX, Issue("PUMP", "1", "WH1-A", lot="S2")).moves[0]
    assert (sold.value, sold.unit_cost) == (Decimal("250"), Decimal("250"))
    with company.read() as conn:
        valuation = stock_value(conn, datetime.now(UTC))
    assert [(v.item, v.quantity, v.value) for v in valuation.items] == [
        ("PUMP", Decimal("1"), Decimal("100"))
    ]
    scrapped = scrap_stock(company, CTX, Scrap("PUMP", "1", "WH1-A", "damaged", lot="S1"))
    assert scrapped.moves[0].value == Decimal("100")
    assert_verified(company)
