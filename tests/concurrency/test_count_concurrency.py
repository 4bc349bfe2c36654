"""A count under concurrency (PostgreSQL): four counters enter counts into one session at once,
each place several times, while two clerks receive and issue at the counted places. After
closing, approving and posting, each place's adjustment is exactly counted - (snapshot + the
moves between the snapshot and that place's last count), computed here from the moves
themselves; each balance is counted + the moves after its count, none is negative, and
`verify` is clean."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from cangku.db.tables import balances, count_heads, count_lines, documents, locations, moves
from cangku.db.uow import Database
from cangku.domain.enums import STORAGE_KINDS
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.counts import (
    CountEntry,
    NewCount,
    approve_count,
    close_count,
    create_count,
    enter_counts,
    post_count,
)
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests.concurrency.test_inbound_concurrency import _race
from tests.factories import CTX, build_company

pytestmark = pytest.mark.postgres_only

COUNTERS = 4
CLERKS = 2
ROUNDS = 5
BOSS = Context(username="boss")
#: the counted places: (location, item, lot) with 100 on hand each
PLACES = [
    ("WH1-A", "BOLT", None), ("WH1-A-01", "BOLT", None), ("WH1-B", "BOLT", None),
    ("WH1-A", "GLUE", "G1"), ("WH1-B", "GLUE", "G1"), ("WH1-A", "FLOUR", "F1"),
    ("WH1-B", "FLOUR", "F2"), ("WH1-A-01", "GLUE", "G2"),
]  # fmt: skip
Place = tuple[int, int, int]
#: a move at a place: when recorded, the quantity (+ in, - out), whether the count posted it
Touch = tuple[datetime, int, bool]
STORAGE = {str(kind) for kind in STORAGE_KINDS}


def _build(db: Database) -> str:
    build_company(db)
    create_user(db, CTX, "boss", "Boss", roles=[("warehouse_manager", "WH1")])
    for n in range(COUNTERS):
        create_user(db, CTX, f"counter{n}", f"Counter {n}", roles=[("stock_counter", "WH1")])
    for where, item, lot in PLACES:
        receive_stock(db, CTX, Receive(item, "100", where, lot=lot, unit_cost="1"))
    number = create_count(db, Context(username="counter0"), NewCount("WH1", start=True)).number
    # a move after the snapshot, before any count
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    return number


def _work(db: Database, number: str, n: int) -> str:
    """Counters 0-3 each count every place ROUNDS times (their own figures, one batch a
    round, the places in their own order); clerks receive 3 and issue 2 at the places."""
    if n < COUNTERS:
        who = Context(username=f"counter{n}")
        for round_ in range(ROUNDS):
            order = PLACES[n:] + PLACES[:n]
            entries = [
                CountEntry(where, item, str(90 + n + round_ + k), lot)
                for k, (where, item, lot) in enumerate(order)
            ]
            enter_counts(db, who, number, entries)
        return "counted"
    for k in range(ROUNDS * 2):
        where, item, lot = PLACES[(n + k) % len(PLACES)]
        if k % 2:
            issue_stock(db, CTX, Issue(item, "2", where, lot=lot))
        else:
            receive_stock(db, CTX, Receive(item, "3", where, lot=lot, unit_cost="1"))
    return "posted"


def _read(
    db: Database, number: str
) -> tuple[list[Any], dict[Place, list[Touch]], dict[Place, Any]]:
    """The count's lines, the moves since its snapshot by place (not its own), the balances."""
    with db.read() as conn:
        doc = conn.execute(select(documents.c.id).where(documents.c.number == number)).scalar_one()
        heads = dict(
            conn.execute(
                select(count_heads.c.warehouse_id, count_heads.c.last_seq).where(
                    count_heads.c.document_id == doc
                )
            ).all()
        )
        lines = conn.execute(
            select(count_lines.c.item_id, count_lines.c.location_id, count_lines.c.lot_key,
                   count_lines.c.expected, count_lines.c.counted, count_lines.c.counted_at)
            .where(count_lines.c.document_id == doc)
        ).all()  # fmt: skip
        ledger = conn.execute(
            select(moves.c.warehouse_id, moves.c.seq, moves.c.item_id, moves.c.lot_id,
                   moves.c.from_location_id, moves.c.to_location_id, moves.c.quantity,
                   moves.c.recorded_at, moves.c.document_id)
        ).all()  # fmt: skip
        stock = {
            (r[0], r[1], r[2]): (int(r[3]), r[4])
            for r in conn.execute(
                select(balances.c.item_id, balances.c.location_id, balances.c.lot_key,
                       balances.c.on_hand, locations.c.kind)
                .join(locations, locations.c.id == balances.c.location_id)
            )
        }  # fmt: skip
    by_place: dict[Place, list[Touch]] = {}
    for m in ledger:
        if m.seq <= heads.get(m.warehouse_id, 0):
            continue
        for place, sign in (((m.item_id, m.to_location_id, m.lot_id or 0), 1),
                            ((m.item_id, m.from_location_id, m.lot_id or 0), -1)):  # fmt: skip
            by_place.setdefault(place, []).append(
                (m.recorded_at, sign * m.quantity, m.document_id == number)
            )
    return list(lines), by_place, stock


def test_four_counters_and_two_clerks_at_once_adjust_exactly(db: Database) -> None:
    number = _build(db)

    answers, refusals, unexpected = _race(COUNTERS + CLERKS, lambda n: _work(db, number, n))

    assert unexpected == []
    assert refusals == Counter()
    assert Counter(answers) == Counter({"counted": COUNTERS, "posted": CLERKS})
    # a move after every count: the shelf and the books both change, no adjustment for it
    issue_stock(db, CTX, Issue("BOLT", "1", "WH1-B"))
    assert close_count(db, BOSS, number).state == "review"
    assert approve_count(db, BOSS, number).state == "approved"
    posted = post_count(db, BOSS, number)
    assert posted.state == "posted"

    lines, by_place, stock = _read(db, number)
    assert len(lines) == len(PLACES)
    adjusted, moved_before, moved_after = 0, 0, 0
    for item_id, location_id, lot_key, expected, counted, counted_at in lines:
        place: Place = (item_id, location_id, lot_key)
        assert counted is not None and counted_at is not None
        touched = [(at, q) for at, q, own in by_place.get(place, []) if not own]
        before = sum(q for at, q in touched if at <= counted_at)
        after = sum(q for at, q in touched if at > counted_at)
        adjustment = sum(q for _, q, own in by_place.get(place, []) if own)
        assert adjustment == counted - (expected + before), place
        assert stock[place][0] == counted + after, place
        adjusted += adjustment != 0
        moved_before += any(at <= counted_at for at, _ in touched)
        moved_after += any(at > counted_at for at, _ in touched)
    assert adjusted == len(posted.move_ids)
    # both sides of the rule were exercised: moves before some places' counts, after others'
    assert moved_before >= 1 and moved_after >= 1
    assert [p for p, (q, kind) in stock.items() if q < 0 and kind in STORAGE] == []
    with db.read() as conn:
        assert verify(conn).problems == []
