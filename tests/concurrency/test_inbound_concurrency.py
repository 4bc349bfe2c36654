"""Inbound documents under concurrency (PostgreSQL): sixteen clerks receiving against one order
line never take it past what was ordered without confirmation, and two clerks pressing the
same button at once give one step and one ``invalid_transition``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import (
    audit_log,
    balances,
    document_events,
    document_lines,
    documents,
    items,
    locations,
    moves,
)
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import PutawayLineInput, put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.users import create_user
from tests.factories import CTX, build_company

pytestmark = pytest.mark.postgres_only

WORKERS = 16
BUYER = Context(username="buyer")


def _build(db: Database) -> None:
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    create_user(db, CTX, "buyer", "Buyer", roles=[("purchaser", "WH1")])
    for n in range(WORKERS):
        create_user(db, CTX, f"clerk{n}", f"Clerk {n}", roles=[("receiving_clerk", "WH1")])


def _race(count: int, work: Callable[[int], Any]) -> tuple[list[Any], Counter[str], list[Any]]:
    """Run ``work(n)`` on ``count`` threads released at once: (answers, refusal codes,
    anything else raised)."""
    start = threading.Barrier(count)
    answers: list[Any] = []
    refusals: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        start.wait()
        try:
            answer = work(n)
        except CangkuError as exc:
            with lock:
                refusals[exc.code] += 1
        except BaseException as exc:
            with lock:
                unexpected.append(exc)
        else:
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, refusals, unexpected


def _count(db: Database, table: Any, *where: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _confirmed_order(db: Database, quantity: str) -> str:
    number = create_purchase_order(
        db,
        BUYER,
        NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", quantity, unit_price="2")]),
    ).number
    confirm_order(db, BUYER, number)
    return number


def test_sixteen_clerks_receiving_one_order_line_never_over_receive(db: Database) -> None:
    _build(db)
    order = _confirmed_order(db, "100")
    receipts_before = _count(db, documents, documents.c.doc_type == "receipt")
    audit_before = _count(db, audit_log)

    def receive(n: int) -> str:
        command = NewReceipt(
            [ReceiptLineInput("BOLT", "10", order_line=1)],
            order=order,
            delivery_note=f"DN-{n}",
            confirm_over_receipt=False,
        )
        return create_receipt(db, Context(username=f"clerk{n}"), command).number

    answers, refusals, unexpected = _race(WORKERS, receive)

    assert unexpected == []
    assert len(answers) == 10
    assert sum(refusals.values()) == WORKERS - 10
    # the order is "received" after the tenth: a receipt behind it finds it closed to receiving,
    # or (had it read the line before) would go over the order
    assert set(refusals) <= {"invalid_transition", "over_receipt"}
    with db.read() as conn:
        order_row = conn.execute(
            select(documents.c.id, documents.c.state).where(documents.c.number == order)
        ).one()
        line = conn.execute(
            select(document_lines.c.quantity, document_lines.c.done).where(
                document_lines.c.document_id == order_row.id
            )
        ).one()
        received = conn.execute(
            select(func.sum(balances.c.on_hand))
            .join(items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(items.c.code == "BOLT", locations.c.code == "WH1-RCV")
        ).scalar_one()
        report = verify(conn)
    assert order_row.state == "received"
    assert (line.quantity, line.done) == (100 * 10**6, 100 * 10**6)
    assert Decimal(received) / 10**6 == Decimal(100)
    # nothing half-written: one receipt, one move and one put-away per success, no more
    assert _count(db, documents, documents.c.doc_type == "receipt") == receipts_before + 10
    assert _count(db, documents, documents.c.doc_type == "putaway") == 10
    assert _count(db, moves, moves.c.document_type == "receipt") == 10
    assert _count(db, audit_log) == audit_before + 10
    assert sorted(answers) == sorted(set(answers))
    assert report.problems == []


def test_two_clerks_confirming_one_order_at_once_one_wins(db: Database) -> None:
    _build(db)
    create_user(db, CTX, "buyer2", "Second buyer", roles=[("purchaser", "WH1")])
    number = create_purchase_order(
        db, BUYER, NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "5", unit_price="1")])
    ).number
    audit_before = _count(db, audit_log)

    answers, refusals, unexpected = _race(
        2, lambda n: confirm_order(db, Context(username="buyer" if n == 0 else "buyer2"), number)
    )

    assert unexpected == []
    assert [a.state for a in answers] == ["confirmed"]
    assert refusals == Counter({"invalid_transition": 1})
    with db.read() as conn:
        steps = conn.execute(
            select(document_events.c.step)
            .join(documents, documents.c.id == document_events.c.document_id)
            .where(documents.c.number == number)
            .order_by(document_events.c.id)
        ).scalars()
        assert list(steps) == ["create", "confirm"]
    assert _count(db, audit_log) == audit_before + 1


def test_two_clerks_putting_away_the_same_goods_at_once_one_wins(db: Database) -> None:
    _build(db)
    order = _confirmed_order(db, "30")
    received = create_receipt(
        db, Context(username="clerk0"), NewReceipt([ReceiptLineInput("BOLT", "30")], order=order)
    )
    putaway = received.data["putaway"]
    assert putaway is not None
    moves_before = _count(db, moves)

    answers, refusals, unexpected = _race(
        2,
        lambda n: put_away(
            db, Context(username=f"clerk{n}"), putaway, [PutawayLineInput(1, "WH1-A")]
        ),
    )

    assert unexpected == []
    assert [a.state for a in answers] == ["done"]
    assert refusals == Counter({"invalid_transition": 1})
    assert _count(db, moves) == moves_before + 1
    with db.read() as conn:
        stored = conn.execute(
            select(balances.c.on_hand)
            .join(items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(items.c.code == "BOLT", locations.c.code == "WH1-RCV")
        ).scalar_one()
        assert stored == 0
        assert verify(conn).problems == []
