"""A blind count of WH1 with stock moving while it is counted, an unexpected lot found, a
recount by another counter and approval by someone who did not count above the threshold;
posting writes exactly the differences against the books when each place was counted, and
`verify` stays clean. Each refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from cangku.db.tables import balances, count_lines, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, InvalidTransition, RuleViolation
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
    recount_lines,
)
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests.factories import CTX, build_company

ZHAO = Context(username="zhao")  # a stock counter
QIAN = Context(username="qian")  # a manager who counts too
BOSS = Context(username="boss")


@pytest.fixture
def counted(db: Database) -> Database:
    """WH1-A: 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00; WH1-B: 10 BOLT; WH2-A: 5 BOLT."""
    build_company(db)
    for name, role in [("zhao", "stock_counter"), ("qian", "warehouse_manager"),
                       ("boss", "warehouse_manager")]:  # fmt: skip
        create_user(db, CTX, name, name.title(), roles=[(role, None)])
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-B", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("BOLT", "5", "WH2-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    with db.write() as uow:  # differences above 5.00 need someone who did not count
        uow.conn.execute(text("UPDATE company SET adjustment_approval_threshold = 5000000"))
        uow.commit()
    return db


def _stock(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(lots, lots.c.id == balances.c.lot_id, isouter=True)
            .where(balances.c.on_hand != 0, locations.c.kind == "internal")
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _lines(db: Database) -> dict[tuple[str, str, str | None], tuple[Decimal, Decimal | None]]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, count_lines.c.expected,
                   count_lines.c.counted)
            .join_from(count_lines, items, items.c.id == count_lines.c.item_id)
            .join(locations, locations.c.id == count_lines.c.location_id)
            .join(lots, lots.c.id == count_lines.c.lot_id, isouter=True)
        )  # fmt: skip
        return {
            (r[0], r[1], r[2]): (
                Decimal(r[3]) / 10**6,
                None if r[4] is None else Decimal(r[4]) / 10**6,
            )
            for r in rows
        }


def _moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_a_blind_count_with_moves_while_counting_a_recount_and_approval(
    counted: Database,
) -> None:
    db = counted
    made = create_count(db, ZHAO, NewCount("WH1", blind=True, start=True))
    number = made.state and made.number
    assert (made.state, number.startswith("CNT-WH1-")) == ("counting", True)
    # the snapshot: WH1's three balances (not WH2's)
    assert _lines(db) == {
        ("BOLT", "WH1-A", None): (Decimal(100), None),
        ("BOLT", "WH1-B", None): (Decimal(10), None),
        ("GLUE", "WH1-A", "G1"): (Decimal(40), None),
    }
    # while counting, 5 BOLT leave WH1-A and 2 GLUE arrive
    issue_stock(db, CTX, Issue("BOLT", "5", "WH1-A"))
    receive_stock(db, CTX, Receive("GLUE", "2", "WH1-A", lot="G1", unit_cost="2.00"))
    before = _moves(db)
    for entry, code in [
        (CountEntry("WH2-A", "BOLT", "5"), "count_line_out_of_scope"),
        (CountEntry("WH1-A", "BOLT", "-1"), "negative_count"),
        (CountEntry("WH1-A", "GLUE", "1"), "lot_required"),
    ]:
        with pytest.raises((InvalidInput, RuleViolation)) as refused:
            enter_counts(db, ZHAO, number, [entry])
        assert refused.value.code == code
    assert _lines(db)[("BOLT", "WH1-A", None)][1] is None
    # the counter finds 94 BOLT (the books say 95 now), 42 GLUE (right), 10 BOLT in WH1-B,
    # and 3 GLUE of a lot G2 nobody knew of
    entered = enter_counts(
        db, ZHAO, number,
        [CountEntry("WH1-A", "BOLT", "94"), CountEntry("WH1-A", "GLUE", "42", "G1"),
         CountEntry("WH1-B", "BOLT", "10"), CountEntry("WH1-B", "GLUE", "3", "G2")],
    )  # fmt: skip
    assert (entered["entered"], entered["new_lines"]) == (4, 1)
    # 2 BOLT leave WH1-B after it was counted: the shelf and the books both lose them
    issue_stock(db, CTX, Issue("BOLT", "2", "WH1-B"))
    closed = close_count(db, ZHAO, number)
    assert closed.state == "review"
    # -1 BOLT (-0.50) and +3 GLUE (+6.00): 5.50 net, 6.50 in all; 2 of 4 lines right
    assert closed.data == {
        "lines": 4, "counted": 4, "right": 2,
        "value_variance": "5.5", "absolute_variance": "6.5",
    }  # fmt: skip
    # the manager has WH1-A's BOLT counted again, by someone else
    with db.read() as conn:
        bolt_a = conn.execute(
            select(count_lines.c.id)
            .join(locations, locations.c.id == count_lines.c.location_id)
            .join(items, items.c.id == count_lines.c.item_id)
            .where(locations.c.code == "WH1-A", items.c.code == "BOLT")
        ).scalar_one()
    assert recount_lines(db, BOSS, number, [bolt_a]).state == "counting"
    with pytest.raises(RuleViolation) as same:
        enter_counts(db, ZHAO, number, [CountEntry("WH1-A", "BOLT", "95")])
    assert same.value.code == "recount_by_same_counter"
    enter_counts(db, QIAN, number, [CountEntry("WH1-A", "BOLT", "95")])
    assert close_count(db, QIAN, number).data["absolute_variance"] == "6"
    # 6.00 is above 5.00: qian counted, so boss approves
    with pytest.raises(RuleViolation) as counter:
        approve_count(db, QIAN, number)
    assert counter.value.code == "counter_cannot_approve"
    assert _moves(db) == before + 1  # only the issue from WH1-B
    assert approve_count(db, BOSS, number).state == "approved"
    posted = post_count(db, BOSS, number)
    assert (posted.state, len(posted.move_ids)) == ("posted", 1)
    assert _stock(db) == {
        ("BOLT", "WH1-A", None): Decimal(95),
        ("BOLT", "WH1-B", None): Decimal(8),
        ("BOLT", "WH2-A", None): Decimal(5),
        ("GLUE", "WH1-A", "G1"): Decimal(42),
        ("GLUE", "WH1-B", "G2"): Decimal(3),
    }
    with db.read() as conn:
        written = conn.execute(
            select(moves.c.operation, moves.c.reason_code, moves.c.document_type,
                   moves.c.document_id, moves.c.quantity)
            .where(moves.c.document_type == "count")
        ).all()  # fmt: skip
        assert verify(conn).problems == []
    assert written == [("adjust", "count_difference", "count", number, 3_000_000)]
    with pytest.raises(InvalidTransition):
        post_count(db, BOSS, number)  # posting twice


def test_a_count_of_a_zone_and_an_item_only(counted: Database) -> None:
    made = create_count(counted, ZHAO, NewCount("WH1", zones=["WH1-A"], items=["GLUE"], start=True))
    assert _lines(counted) == {("GLUE", "WH1-A", "G1"): (Decimal(40), None)}
    with pytest.raises(RuleViolation) as outside:
        enter_counts(counted, ZHAO, made.number, [CountEntry("WH1-A", "BOLT", "1")])
    assert outside.value.code == "count_line_out_of_scope"
