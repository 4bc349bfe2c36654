"""Many writers on the same items at once (PostgreSQL): no lost update, no negative stock,
no deadlock, and every refusal is an insufficient-stock refusal."""

from __future__ import annotations

import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.tables import balances, locations
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.queries.stock import VALUED, StockFilter, totals
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import issue_stock, receive_stock, reserve_stock, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Reservation, Transfer
from tests.factories import CTX, build_company

pytestmark = pytest.mark.postgres_only

WORKERS = 16
OPERATIONS = 25
LOCATIONS = ["WH1-A", "WH1-B", "WH2-A"]


def test_sixteen_workers_issue_and_move_the_same_items(db: Database) -> None:
    build_company(db)
    for location in LOCATIONS:
        receive_stock(db, CTX, Receive("BOLT", "60", location, unit_cost="1"))
        receive_stock(db, CTX, Receive("GLUE", "40", location, lot="G1", unit_cost="2"))
    reserve_stock(db, CTX, Reservation("BOLT", "10", "WH1-A"))
    issued: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        start.wait()
        for _ in range(OPERATIONS):
            item, lot = rnd.choice([("BOLT", None), ("GLUE", "G1")])
            source, target = rnd.sample(LOCATIONS, 2)
            quantity = rnd.randint(1, 9)
            try:
                if rnd.random() < 0.5:
                    issue_stock(db, CTX, Issue(item, str(quantity), source, lot=lot))
                    with lock:
                        issued[item] += quantity
                else:
                    transfer_stock(db, CTX, Transfer(item, str(quantity), source, target, lot=lot))
            except CangkuError as exc:
                with lock:
                    refusals[exc.code] += 1
            except BaseException as exc:
                with lock:
                    unexpected.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert set(refusals) <= {"insufficient_stock"}
    with db.read() as conn:
        report = verify(conn)
        assert report.problems == []
        bolt = totals(conn, StockFilter(item="BOLT"))
        glue = totals(conn, StockFilter(item="GLUE"))
        negative = conn.execute(
            select(balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.on_hand < 0, locations.c.kind.in_(VALUED))
        ).all()
    assert negative == []
    assert bolt.on_hand == Decimal(180) - issued["BOLT"]
    assert glue.on_hand == Decimal(120) - issued["GLUE"]
    assert bolt.reserved == Decimal(10)
    assert sum(issued.values()) > 0


def test_the_same_idempotency_key_posts_once_under_concurrency(db: Database) -> None:
    build_company(db)
    start = threading.Barrier(8)
    answers: list[tuple[list[int], bool]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        try:
            result = receive_stock(
                db,
                Context("admin", idempotency_key="same-key"),
                Receive("BOLT", "7", "WH1-A", unit_cost="1"),
            )
        except BaseException as exc:
            with lock:
                failures.append(exc)
            return
        with lock:
            answers.append(([m.id for m in result.moves], result.replayed))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len({tuple(ids) for ids, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 7
    with db.read() as conn:
        assert totals(conn, StockFilter(item="BOLT")).on_hand == Decimal(7)
