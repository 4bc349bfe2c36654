"""An import is all or nothing, recorded, refused when repeated, and resumable in chunks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import move_imports, moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, IdempotencyMismatch, InsufficientStock
from cangku.queries.stock import StockFilter, totals
from cangku.services import bulk_lines
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies

KEYED = replace(CTX, idempotency_key="opening-2026")


def receipts(n: int, quantity: str = "10") -> list[BulkMove]:
    return [
        BulkMove("BOLT", quantity, "WH1/SUPPLIER", "WH1-A", "receive", unit_cost=str(i + 1))
        for i in range(n)
    ]


def issue(quantity: str) -> BulkMove:
    return BulkMove("BOLT", quantity, "WH1-A", "WH1/CUSTOMER", "issue")


@pytest.fixture
def company(db: Database) -> Iterator[Database]:
    build_company(db)
    yield db
    assert_ledger_verifies(db)  # after every accepted, refused or resumed import


def count(db: Database, table: Any = moves) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def on_hand(db: Database) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item="BOLT", location="WH1-A")).on_hand


def records(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(move_imports).order_by(move_imports.c.id)).all())


def test_a_refusal_in_a_later_batch_leaves_nothing_posted(company: Database) -> None:
    rows = [*receipts(5), issue("51")]
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(company, CTX, rows, batch_size=2)
    assert refused.value.data["move_number"] == 6
    assert (count(company), count(company, move_imports), on_hand(company)) == (0, 0, Decimal(0))


def test_an_import_is_recorded_with_its_digest_key_user_and_moves(company: Database) -> None:
    result = post_bulk(company, KEYED, receipts(5), batch_size=2, source="opening.csv")
    assert (result.posted, result.batches, result.total, result.replayed) == (5, 3, 5, False)
    [record] = records(company)
    assert (record.id, record.idempotency_key, record.status, record.source) == (
        result.import_id,
        "opening-2026",
        "posted",
        "opening.csv",
    )
    assert (record.moves_total, record.moves_posted, record.chunked) == (5, 5, False)
    assert len(record.digest) == 64 and record.prefix_digest == record.digest
    assert record.finished_at is not None


def test_the_same_moves_again_are_refused_naming_the_first_import(company: Database) -> None:
    first = post_bulk(company, CTX, receipts(3))
    with pytest.raises(CangkuError) as refused:
        post_bulk(company, CTX, receipts(3), batch_size=1)  # batches do not change the moves
    assert refused.value.code == "import_already_posted"
    assert refused.value.status == 409
    assert (refused.value.data["import_id"], refused.value.data["posted_by"]) == (
        first.import_id,
        "admin",
    )
    assert refused.value.data["moves"] == 3
    assert (count(company), on_hand(company)) == (3, Decimal(30))


def test_a_repeat_allowed_on_purpose_is_posted_and_recorded_as_a_repeat(company: Database) -> None:
    first = post_bulk(company, CTX, receipts(3))
    again = post_bulk(company, CTX, receipts(3), allow_repeat=True)
    assert (again.posted, count(company), on_hand(company)) == (3, 6, Decimal(60))
    assert [r.repeat_of for r in records(company)] == [None, first.import_id]


def test_a_replay_with_the_same_key_posts_nothing_and_says_so(company: Database) -> None:
    first = post_bulk(company, KEYED, receipts(3))
    again = post_bulk(company, KEYED, receipts(3))
    assert (again.replayed, again.posted, again.batches) == (True, 0, 0)
    assert (again.import_id, again.previously_posted, again.posted_by) == (
        first.import_id,
        3,
        "admin",
    )
    assert again.moves_per_second == 0.0
    assert (count(company), len(records(company))) == (3, 1)


def test_the_same_key_with_other_moves_is_refused(company: Database) -> None:
    post_bulk(company, KEYED, receipts(3))
    with pytest.raises(IdempotencyMismatch):
        post_bulk(company, KEYED, receipts(4))
    assert count(company) == 3


def test_another_users_key_is_their_own(company: Database) -> None:
    # keys are per user (ADR 0013): the manager's "opening-2026" neither replays the admin's
    # import nor is told that the key exists; their other moves are posted as their own import
    create_user(company, CTX, "manager1", "Manager", PASSWORD, [("warehouse_manager", None)])
    first = post_bulk(company, KEYED, receipts(3))
    theirs = post_bulk(company, replace(KEYED, username="manager1"), receipts(4))
    assert (theirs.replayed, theirs.posted) == (False, 4)
    assert theirs.import_id != first.import_id
    found = records(company)
    assert [r.idempotency_key for r in found] == ["opening-2026", "opening-2026"]
    assert found[0].user_id != found[1].user_id
    assert count(company) == 7


def test_moves_read_once_are_identified_as_they_are_posted(company: Database) -> None:
    def generated() -> Iterator[BulkMove]:
        yield from receipts(4)

    first = post_bulk(company, KEYED, generated(), batch_size=3)
    assert (first.posted, first.total) == (4, 4)
    replay = post_bulk(company, KEYED, generated())
    assert (replay.replayed, replay.posted) == (True, 0)
    with pytest.raises(CangkuError) as refused:  # posted, found a repeat, rolled back
        post_bulk(company, CTX, generated())
    assert refused.value.code == "import_already_posted"
    assert (count(company), on_hand(company)) == (4, Decimal(40))


def test_an_empty_input_posts_and_records_nothing(company: Database) -> None:
    result = post_bulk(company, CTX, [])
    assert (result.posted, result.import_id, count(company, move_imports)) == (0, None, 0)


def test_a_chunked_import_stopped_by_a_refusal_resumes_after_its_last_batch(
    company: Database,
) -> None:
    rows = [*receipts(4), issue("999"), *receipts(1)]
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(company, CTX, rows, batch_size=2, chunked=True)
    assert (refused.value.data["move_number"], refused.value.data["resume_after"]) == (5, 4)
    assert refused.value.message.endswith("run it again in chunks to resume after move 4")
    [record] = records(company)
    assert (record.status, record.moves_posted, record.stop_code, record.stop_move) == (
        "stopped",
        4,
        "insufficient_stock",
        5,
    )
    assert count(company) == 4
    fixed = [*receipts(4), issue("9"), *receipts(1)]
    result = post_bulk(company, CTX, fixed, batch_size=2, chunked=True)
    assert (result.resumed_from, result.posted, result.batches, result.total) == (4, 2, 1, 6)
    assert result.import_id == record.id
    [record] = records(company)
    assert (record.status, record.moves_posted, record.stop_code) == ("posted", 6, None)
    assert (count(company), on_hand(company)) == (6, Decimal(41))
    with pytest.raises(CangkuError) as repeated:
        post_bulk(company, CTX, fixed, chunked=True)
    assert repeated.value.code == "import_already_posted"


def test_a_chunked_import_resumes_after_a_crash(
    company: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bulk_lines.ledger.post
    calls: list[int] = []

    def crashing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the machine went down")
        return real(*args)

    monkeypatch.setattr(bulk_lines.ledger, "post", crashing)
    with pytest.raises(RuntimeError):
        post_bulk(company, KEYED, receipts(7), batch_size=2, chunked=True)
    assert (count(company), records(company)[0].status) == (4, "running")
    monkeypatch.setattr(bulk_lines.ledger, "post", real)
    result = post_bulk(company, KEYED, receipts(7), batch_size=2, chunked=True)
    assert (result.resumed_from, result.posted, result.replayed) == (4, 3, False)
    assert (count(company), on_hand(company)) == (7, Decimal(70))
    again = post_bulk(company, KEYED, receipts(7), batch_size=2, chunked=True)
    assert (again.replayed, again.posted, again.previously_posted) == (True, 0, 7)


def test_an_unfinished_chunked_import_is_not_posted_whole_by_mistake(company: Database) -> None:
    rows = [*receipts(2), issue("999")]
    with pytest.raises(InsufficientStock):
        post_bulk(company, CTX, rows, batch_size=2, chunked=True)
    fixed = [*receipts(2), issue("1")]
    with pytest.raises(CangkuError) as refused:
        post_bulk(company, CTX, fixed)
    assert (refused.value.code, refused.value.data["resume_after"]) == ("import_unfinished", 2)
    assert count(company) == 2
    whole = post_bulk(company, CTX, fixed, allow_repeat=True)
    assert (whole.posted, count(company), on_hand(company)) == (3, 5, Decimal(39))


def test_a_chunked_import_is_one_transaction_per_batch(company: Database) -> None:
    result = post_bulk(company, CTX, receipts(5), batch_size=2, chunked=True)
    assert (result.posted, result.batches, result.resumed_from) == (5, 3, 0)
    [record] = records(company)
    assert (record.status, record.chunked, record.moves_posted) == ("posted", True, 5)


def test_two_runs_of_the_same_import_at_once_post_it_once(company: Database) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            post_bulk(company, CTX, receipts(200), batch_size=50)
            outcomes.append("posted")
        except CangkuError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["import_already_posted", "posted"]
    assert (count(company), on_hand(company)) == (200, Decimal(2000))


def test_a_chunked_import_whose_rest_was_dropped_is_completed_without_posting(
    company: Database,
) -> None:
    with pytest.raises(InsufficientStock):
        post_bulk(company, CTX, [*receipts(2), issue("999")], batch_size=2, chunked=True)
    result = post_bulk(company, CTX, receipts(2), batch_size=2, chunked=True)
    assert (result.resumed_from, result.posted, result.batches, result.total) == (2, 0, 0, 2)
    [record] = records(company)
    assert (record.status, record.moves_posted, record.moves_total) == ("posted", 2, 2)
    assert count(company) == 2
