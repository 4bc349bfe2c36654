"""A posting of many lines is checked at every point of its order, as the same lines posted
one by one would be (issue 9, defect 1): a batch whose net change is fine but which dips below
zero on the way, overfills a location or holds a serial twice is refused at the line where it
does, and nothing of it is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, InsufficientStock
from cangku.queries.asof import stock_as_of
from cangku.queries.stock import StockFilter, totals
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.locations import LocationInput, create_location
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
BINS = ["WH1-A", "WH1-A-01", "WH1-B", "WH1-RCV", "WH1-QC", "WH1-SHIP"]


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def dip(warehouse: str, location: str) -> list[BulkMove]:
    """Receive 10 at 1, issue 15, receive 10 at 3: net +5, but -5 after the second line."""
    return [
        BulkMove("BOLT", "10", f"{warehouse}/SUPPLIER", location, unit_cost="1",
                 effective_at=at(1)),
        BulkMove("BOLT", "15", location, f"{warehouse}/CUSTOMER", effective_at=at(2)),
        BulkMove("BOLT", "10", f"{warehouse}/SUPPLIER", location, unit_cost="3",
                 effective_at=at(3)),
    ]  # fmt: skip


def busy(moves_in: list[BulkMove]) -> list[BulkMove]:
    """``moves_in`` after a receipt into each of six bins: more than 16 balance keys, so the
    batch takes the set-based path."""
    spread = [
        BulkMove(item, "1", "WH1/SUPPLIER", b, lot=lot, unit_cost="1", effective_at=at(0))
        for b in BINS
        for item, lot in (("BOLT", None), ("GLUE", "L1"))
    ]
    return spread + moves_in


@pytest.fixture
def company(db: Database) -> Iterator[Database]:
    build_company(db, allow_negative_wh2=True)
    yield db
    assert_ledger_verifies(db)  # after every accepted or refused posting


def move_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def on_hand(db: Database, item: str, location: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


@pytest.mark.parametrize("spread", [False, True], ids=["row-by-row", "set-based"])
def test_a_batch_that_dips_below_zero_is_refused_at_the_line_that_does(
    company: Database, spread: bool
) -> None:
    batch = busy(dip("WH1", "WH1-A")) if spread else dip("WH1", "WH1-A")
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(company, CTX, batch)
    assert refused.value.message.endswith(
        "not enough BOLT at WH1-A: 15 requested, " + ("11" if spread else "10") + " available"
    )
    assert refused.value.data["line_index"] == len(batch) - 2  # the issue, 0-based
    assert move_count(company) == 0
    assert on_hand(company, "BOLT", "WH1-A") == Decimal(0)


def test_the_single_operations_refuse_the_same_line_with_the_same_figures(
    company: Database,
) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    with pytest.raises(InsufficientStock) as refused:
        issue_stock(company, CTX, Issue("BOLT", "15", "WH1-A"))
    assert refused.value.message == "not enough BOLT at WH1-A: 15 requested, 10 available"
    assert (refused.value.data["requested"], refused.value.data["available"]) == ("15", "10")


@pytest.mark.parametrize("spread", [False, True], ids=["row-by-row", "set-based"])
def test_a_balance_that_ends_where_it_began_is_still_checked_on_the_way(
    company: Database, spread: bool
) -> None:
    # take 5 from an empty bin and put 5 back: net 0, -5 in between
    there_and_back = [
        BulkMove("BOLT", "5", "WH1-B", "WH1-A", operation="move", effective_at=at(1)),
        BulkMove("BOLT", "5", "WH1-A", "WH1-B", operation="move", effective_at=at(2)),
    ]
    batch = busy(there_and_back) if spread else there_and_back
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(company, CTX, batch)
    assert refused.value.data["location"] == "WH1-B"
    assert refused.value.data["line_index"] == len(batch) - 2
    assert move_count(company) == 0


@pytest.mark.parametrize("spread", [False, True], ids=["row-by-row", "set-based"])
def test_a_batch_that_stays_covered_is_posted(company: Database, spread: bool) -> None:
    # receive 10, issue 10, receive 10: never below zero
    batch = dip("WH1", "WH1-A")
    batch[1] = BulkMove("BOLT", "10", "WH1-A", "WH1/CUSTOMER", effective_at=at(2))
    result = post_bulk(company, CTX, busy(batch) if spread else batch)
    assert result.posted == len(batch) + (12 if spread else 0)
    # WH1-A's total includes its bin WH1-A-01 (one more of each when spread)
    assert on_hand(company, "BOLT", "WH1-A") == Decimal(12 if spread else 10)
    with company.read() as conn:
        assert verify(conn).ok


def test_where_negative_stock_is_allowed_the_batch_posts_and_agrees_with_itself(
    company: Database,
) -> None:
    post_bulk(company, CTX, dip("WH2", "WH2-A"))
    now = datetime.now(UTC)
    with company.read() as conn:
        assert verify(conn).problems == []
        between = stock_as_of(conn, at(2), StockFilter(item="BOLT", location="WH2-A"), now)
        assert [row.on_hand for row in between] == [Decimal(-5)]
        current = stock_value(conn, now, None, "BOLT").items[0]
        as_of_now = stock_value(conn, now, now, "BOLT").items[0]
    # 5 issued below zero at the first receipt's cost; the second receipt settles them at 3
    assert (current.quantity, current.value) == (Decimal(5), Decimal(15))
    assert (as_of_now.quantity, as_of_now.value) == (current.quantity, current.value)


def test_a_batch_that_overfills_a_location_on_the_way_is_refused(company: Database) -> None:
    create_location(
        company, CTX, LocationInput("WH1-SMALL", "Small bin", warehouse="WH1", capacity="10")
    )
    batch = [
        BulkMove("BOLT", "8", "WH1/SUPPLIER", "WH1-SMALL", unit_cost="1", effective_at=at(1)),
        BulkMove("BOLT", "8", "WH1/SUPPLIER", "WH1-SMALL", unit_cost="1", effective_at=at(2)),
        BulkMove("BOLT", "8", "WH1-SMALL", "WH1/CUSTOMER", effective_at=at(3)),
    ]  # ends at 8, holds 16 after the second line
    with pytest.raises(CangkuError) as refused:
        post_bulk(company, CTX, batch)
    assert refused.value.code == "location_capacity_exceeded"
    assert (refused.value.data["would_hold"], refused.value.data["line_index"]) == ("16", 1)
    assert move_count(company) == 0


def test_a_batch_that_holds_a_serial_twice_on_the_way_is_refused(company: Database) -> None:
    batch = [
        BulkMove("PUMP", "1", "WH1/SUPPLIER", "WH1-A", lot="S-1", unit_cost="100"),
        BulkMove("PUMP", "1", "WH1/SUPPLIER", "WH1-B", lot="S-1", unit_cost="100"),
        BulkMove("PUMP", "1", "WH1-A", "WH1/CUSTOMER", lot="S-1"),
    ]  # ends with one S-1 in stock, two after the second line
    with pytest.raises(CangkuError) as refused:
        post_bulk(company, CTX, batch)
    assert (refused.value.code, refused.value.data["line_index"]) == ("serial_in_stock", 1)
    assert move_count(company) == 0
