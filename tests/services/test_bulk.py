"""Bulk posting through the batched balance path (more than 16 balance keys in one batch)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.domain.errors import InsufficientStock, InvalidInput, PermissionDenied
from cangku.queries.stock import StockFilter, totals
from cangku.services.bulk import BULK_GC_THRESHOLD, BulkMove, post_bulk, rare_collections
from cangku.services.common import Context
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies

BINS = ["WH1-A", "WH1-A-01", "WH1-B", "WH1-RCV", "WH1-QC", "WH1-SHIP", "WH2-A"]


def _wh(location: str) -> str:
    return location.split("-")[0]


@pytest.fixture
def stocked(db: Database) -> Iterator[Database]:
    """5 BOLT and 5 GLUE (lot L1) in each of seven bins of two warehouses."""
    build_company(db)
    receipts = [
        BulkMove(item, "5", f"{_wh(b)}/SUPPLIER", b, lot=lot, unit_cost="1")
        for b in BINS
        for item, lot in (("BOLT", None), ("GLUE", "L1"))
    ]
    post_bulk(db, CTX, receipts)
    yield db
    assert_ledger_verifies(db)  # after every accepted or refused import


def on_hand(db: Database, item: str, location: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def move_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def issues(extra: list[BulkMove]) -> list[BulkMove]:
    """One piece of each item from each bin (18 balance keys with the customers), then ``extra``."""
    return [
        BulkMove(item, "1", b, f"{_wh(b)}/CUSTOMER", lot=lot)
        for b in BINS
        for item, lot in (("BOLT", None), ("GLUE", "L1"))
    ] + extra


def test_a_large_batch_that_fits_is_posted(stocked: Database) -> None:
    result = post_bulk(stocked, CTX, issues([BulkMove("BOLT", "4", "WH1-B", "WH1/CUSTOMER")]))
    assert (result.posted, result.batches) == (15, 1)
    assert on_hand(stocked, "BOLT", "WH1-B") == Decimal("0")
    assert on_hand(stocked, "GLUE", "WH2-A") == Decimal("4")


def test_a_large_batch_that_goes_short_names_the_balance_and_writes_nothing(
    stocked: Database,
) -> None:
    before = move_count(stocked)
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(stocked, CTX, issues([BulkMove("BOLT", "6", "WH1-B", "WH1/CUSTOMER")]))
    # an earlier move took one BOLT from WH1-B: the 15th asks 6 of the 4 left, as one by one
    assert refused.value.message.endswith("not enough BOLT at WH1-B: 6 requested, 4 available")
    assert refused.value.data["location"] == "WH1-B"
    assert move_count(stocked) == before
    assert on_hand(stocked, "BOLT", "WH1-B") == Decimal("5")


def test_an_unknown_operation_is_refused_with_its_position(stocked: Database) -> None:
    before = move_count(stocked)
    moves_in = [BulkMove("BOLT", "1", "WH1-A", "WH1-B", operation="move"),
                BulkMove("BOLT", "1", "WH1-A", "WH1-B", operation="teleport")]  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        post_bulk(stocked, CTX, moves_in)
    assert refused.value.code == "invalid_operation"
    assert refused.value.message == "move 2: unknown operation 'teleport'"
    assert refused.value.data["move_number"] == 2
    assert move_count(stocked) == before


def test_a_manager_of_one_warehouse_may_not_bulk_post_into_another(stocked: Database) -> None:
    create_user(stocked, CTX, "wh1boss", "WH1 manager", PASSWORD, [("warehouse_manager", "WH1")])
    manager = Context("wh1boss")
    before = move_count(stocked)
    inside = [BulkMove("BOLT", "1", "WH1-A", "WH1-B", operation="move")] * 3
    post_bulk(stocked, manager, inside)
    assert move_count(stocked) == before + 3
    with pytest.raises(PermissionDenied) as refused:
        post_bulk(stocked, manager, [*inside, BulkMove("BOLT", "1", "WH1-A", "WH2-A")])
    assert refused.value.message == "you are not allowed to do stock.import in warehouse WH2"
    assert refused.value.data == {"permission": "stock.import", "warehouse": "WH2"}
    assert move_count(stocked) == before + 3


def test_the_collector_runs_rarely_during_a_bulk_posting_and_as_before_after_it(
    stocked: Database,
) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    def rows(extra: BulkMove) -> Iterator[BulkMove]:
        seen.append(gc.get_threshold())
        yield BulkMove("BOLT", "1", "WH1-A", "WH1-B", operation="move")
        yield extra

    post_bulk(stocked, CTX, rows(BulkMove("BOLT", "1", "WH1-A", "WH1-B", operation="move")))
    assert seen == [(BULK_GC_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before
    with pytest.raises(InsufficientStock):  # a refused batch restores it too
        post_bulk(stocked, CTX, rows(BulkMove("BOLT", "99", "WH1-A", "WH1-B", operation="move")))
    assert gc.get_threshold() == before


def test_overlapping_bulk_postings_restore_the_threshold_after_the_last() -> None:
    before = gc.get_threshold()
    with rare_collections():
        with rare_collections():
            assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
    assert gc.get_threshold() == before
    try:  # a threshold already above ours is left alone
        gc.set_threshold(BULK_GC_THRESHOLD * 2, *before[1:])
        with rare_collections():
            assert gc.get_threshold()[0] == BULK_GC_THRESHOLD * 2
    finally:
        gc.set_threshold(*before)
