"""Transfers on the document framework: between warehouses through transit (request, approval
by someone else, dispatch, receipt with a short and a damaged arrival, a manager resolving
the discrepancy), within a warehouse in one step; exact quantities, lots and value, `verify`
clean; and each refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import balances, documents, item_costs, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.tasks import assign_document, take_document
from cangku.services.transfers.movement import (
    Resolution,
    dispatch_transfer,
    receive_transfer,
    resolve_transfer,
)
from cangku.services.transfers.requests import (
    NewTransfer,
    TransferLineInput,
    approve_transfer,
    cancel_transfer,
    create_transfer,
    reject_transfer,
    revise_transfer,
    submit_transfer,
)
from cangku.services.users import create_user
from tests.factories import CTX, build_company

ASKER = Context(username="asker")
BOSS = Context(username="boss")
PICKER = Context(username="picker")
RECEIVER = Context(username="receiver")


@pytest.fixture
def stocked(db: Database) -> Database:
    """WH1 holds 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00 in WH1-A; an asker (staff in
    WH1), a manager everywhere, a picker in WH1 and a receiving clerk in WH2."""
    build_company(db)
    for name, role, where in [
        ("asker", "receiving_clerk", "WH1"),
        ("boss", "warehouse_manager", None),
        ("picker", "picker_shipper", "WH1"),
        ("receiver", "receiving_clerk", "WH2"),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, where)])
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    return db


def _on_hand(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(lots, lots.c.id == balances.c.lot_id, isouter=True)
            .where(balances.c.on_hand != 0, locations.c.kind.not_in(["supplier"]))
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _values(db: Database) -> dict[str, Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, item_costs.c.value).join(items, items.c.id == item_costs.c.item_id)
        )
        return {r[0]: Decimal(r[1]) / 10**6 for r in rows}


def _counts(db: Database) -> tuple[int, int, Any]:
    with db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(moves)).scalar_one(),
            conn.execute(select(func.count()).select_from(documents)).scalar_one(),
            conn.execute(
                select(documents.c.number, documents.c.state).order_by(documents.c.id)
            ).all(),
        )


def _between(db: Database, submit: bool = True) -> str:
    return create_transfer(
        db,
        ASKER,
        NewTransfer(
            "WH1",
            "WH2",
            [
                TransferLineInput("BOLT", "30", "WH1-A", to_location="WH2-A"),
                TransferLineInput("GLUE", "10", "WH1-A", lot="G1"),
            ],
            submit=submit,
        ),
    ).number


def test_a_transfer_between_warehouses_with_a_discrepancy(stocked: Database) -> None:
    db = stocked
    values = _values(db)
    # given a transfer of 30 BOLT and 10 GLUE (lot G1) from WH1 to WH2, submitted
    number = _between(db)
    assert number.startswith("TR-WH1-")
    # the asker may not approve it (nor would a manager their own); the manager does
    with pytest.raises(PermissionDenied):
        approve_transfer(db, ASKER, number)
    assert approve_transfer(db, BOSS, number).state == "approved"
    # when the picker dispatches it: the goods move to WH1's transit location, still ours
    sent = dispatch_transfer(db, PICKER, number)
    assert (sent.state, len(sent.move_ids)) == ("in_transit", 2)
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(70),
        ("BOLT", "WH1/TRANSIT", None): Decimal(30),
        ("GLUE", "WH1-A", "G1"): Decimal(30),
        ("GLUE", "WH1/TRANSIT", "G1"): Decimal(10),
    }
    assert _values(db) == values  # the cost travels with the goods: nothing re-costed
    # the receiver in WH2 gets 28 BOLT (1 damaged, 1 missing) and all the GLUE in a scanned bin
    got = receive_transfer(
        db, RECEIVER, number, received={1: "28"}, damaged={1: "1"}, bins={2: "WH2-A"}
    )
    assert (got.state, got.data["missing"]) == ("discrepancy", {"1": "2"})
    with pytest.raises(InvalidTransition):
        receive_transfer(db, RECEIVER, number)  # received twice
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(70),
        ("BOLT", "WH1/TRANSIT", None): Decimal(2),
        ("BOLT", "WH2-A", None): Decimal(28),
        ("GLUE", "WH1-A", "G1"): Decimal(30),
        ("GLUE", "WH2-A", "G1"): Decimal(10),
    }
    # the manager resolves: one lost in transit, one damaged and scrapped
    with pytest.raises(RuleViolation) as over:
        resolve_transfer(db, BOSS, number, [Resolution(1, "lost", "3")])
    assert over.value.code == "resolved_more_than_missing"
    done = resolve_transfer(
        db, BOSS, number, [Resolution(1, "lost", "1"), Resolution(1, "scrapped", "1")]
    )
    assert done.state == "received"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(70),
        ("BOLT", "WH1/ADJUSTMENT", None): Decimal(1),
        ("BOLT", "WH1/SCRAP", None): Decimal(1),
        ("BOLT", "WH2-A", None): Decimal(28),
        ("GLUE", "WH1-A", "G1"): Decimal(30),
        ("GLUE", "WH2-A", "G1"): Decimal(10),
    }
    # 2 BOLT left the books at 0.50: 50.00 - 1.00
    assert _values(db) == {**values, "BOLT": Decimal("49.00")}
    with db.read() as conn:
        written = conn.execute(
            select(moves.c.operation, moves.c.reason_code, moves.c.document_id)
            .where(moves.c.document_type == "transfer")
            .order_by(moves.c.id)
        ).all()
        assert verify(conn).problems == []
    assert [(op, reason) for op, reason, _ in written] == [
        ("move", None), ("move", None), ("move", None), ("move", None),
        ("adjust", "lost"), ("scrap", "damaged"),
    ]  # fmt: skip
    assert {doc for _, _, doc in written} == {number}


def test_a_transfer_within_a_warehouse_is_one_step(stocked: Database) -> None:
    db = stocked
    line = TransferLineInput("GLUE", "15", "WH1-A", lot="G1", to_location="WH1-B")
    made = create_transfer(db, PICKER, NewTransfer("WH1", None, [line], submit=True))
    assert made.state == "approved"  # no approval within a warehouse
    done = dispatch_transfer(db, PICKER, made.number)
    assert (done.state, len(done.move_ids)) == ("received", 1)
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(100),
        ("GLUE", "WH1-A", "G1"): Decimal(25),
        ("GLUE", "WH1-B", "G1"): Decimal(15),
    }


def test_reject_revise_and_cancel(stocked: Database) -> None:
    db = stocked
    own = create_transfer(
        db, BOSS, NewTransfer("WH1", "WH2", [TransferLineInput("BOLT", "1", "WH1-A")], submit=True)
    ).number
    with pytest.raises(RuleViolation) as mine:
        approve_transfer(db, BOSS, own)
    assert mine.value.code == "own_document_approval"
    number = _between(db)
    with pytest.raises(InvalidInput):
        reject_transfer(db, BOSS, number, "")
    assert reject_transfer(db, BOSS, number, "SZ has enough").state == "rejected"
    assert revise_transfer(db, ASKER, number).state == "draft"
    assert submit_transfer(db, ASKER, number).state == "submitted"
    assert cancel_transfer(db, ASKER, number).state == "cancelled"
    assert _on_hand(db)[("BOLT", "WH1-A", None)] == Decimal(100)


@pytest.mark.parametrize(
    ("lines", "to", "code"),
    [
        ([TransferLineInput("BOLT", "101", "WH1-A")], "WH2", "insufficient_stock"),
        (
            [TransferLineInput("BOLT", "60", "WH1-A"), TransferLineInput("BOLT", "41", "WH1-A")],
            "WH2",
            "insufficient_stock",
        ),
        ([TransferLineInput("GLUE", "5", "WH1-A")], "WH2", "lot_required"),
        ([TransferLineInput("BOLT", "5", "WH1-A")], None, "to_location_required"),
        ([TransferLineInput("BOLT", "5", "WH1-A", to_location="WH1-A")], None, "same_location"),
        ([TransferLineInput("BOLT", "5", "WH2-A")], "WH2", "from_location_not_in_warehouse"),
        (
            [TransferLineInput("BOLT", "5", "WH1-A", to_location="WH1-B")],
            "WH2",
            "to_location_not_in_warehouse",
        ),
        ([TransferLineInput("BOLT", "-5", "WH1-A")], "WH2", "quantity_not_positive"),
        ([], "WH2", "no_lines"),
        ([TransferLineInput("NOPE", "5", "WH1-A")], "WH2", "item_not_found"),
    ],
    ids=[
        "more-than-available", "two-lines-more-than-available", "lot-missing",
        "within-without-bin", "same-bin", "bin-of-another-warehouse", "to-bin-elsewhere",
        "negative", "no-lines", "unknown-item",
    ],
)  # fmt: skip
def test_a_bad_transfer_is_refused_and_writes_nothing(
    stocked: Database, lines: list[TransferLineInput], to: str | None, code: str
) -> None:
    before = _counts(stocked)
    with pytest.raises(CangkuError) as refused:
        create_transfer(stocked, ASKER, NewTransfer("WH1", to, lines, submit=True))
    assert getattr(refused.value, "code", None) == code
    assert _counts(stocked) == before


def test_a_held_lot_may_not_leave_the_warehouse(stocked: Database) -> None:
    from cangku.services.lots import set_lot_status

    set_lot_status(stocked, CTX, "GLUE", "G1", "hold", "suspect")
    before = _counts(stocked)
    with pytest.raises(RuleViolation) as held:
        create_transfer(
            stocked,
            ASKER,
            NewTransfer("WH1", "WH2", [TransferLineInput("GLUE", "1", "WH1-A", lot="G1")]),
        )
    assert held.value.code == "lot_not_available"
    assert _counts(stocked) == before


def test_steps_refused_write_nothing(stocked: Database) -> None:
    db = stocked
    number = _between(db)
    approve_transfer(db, BOSS, number)
    # the receiver works in WH2: dispatching from WH1 is not theirs; the picker cannot receive
    with pytest.raises(PermissionDenied):
        dispatch_transfer(db, RECEIVER, number)
    with pytest.raises(InvalidTransition):
        receive_transfer(db, RECEIVER, number)  # not dispatched yet
    with pytest.raises(RuleViolation) as more:
        dispatch_transfer(db, PICKER, number, {1: "31"})
    assert more.value.code == "dispatched_more_than_requested"
    before = _counts(db)
    # someone takes 80 BOLT meanwhile: the bin no longer has 30 free
    from cangku.services.stock import issue_stock
    from cangku.services.stock_commands import Issue

    issue_stock(db, CTX, Issue("BOLT", "80", "WH1-A"))
    before = _counts(db)
    with pytest.raises(InsufficientStock):
        dispatch_transfer(db, PICKER, number)
    assert _counts(db) == before
    dispatch_transfer(db, PICKER, number, {1: "20"})
    # the receipt is WH2's task: the receiver may take it, the WH1 picker may not
    with pytest.raises(PermissionDenied):
        take_document(db, PICKER, number)
    assert take_document(db, RECEIVER, number)["assignee"] == "receiver"
    assert assign_document(db, BOSS, number, "receiver")["assignee"] == "receiver"
    with pytest.raises(RuleViolation) as cannot:
        assign_document(db, BOSS, number, "picker")
    assert cannot.value.code == "assignee_cannot_do_step"
    with pytest.raises(PermissionDenied):
        receive_transfer(db, PICKER, number)
    with pytest.raises(RuleViolation) as over:
        receive_transfer(db, RECEIVER, number, received={1: "21"})
    assert over.value.code == "received_more_than_dispatched"
    with pytest.raises(InvalidInput) as nowhere:
        receive_transfer(db, RECEIVER, number)  # GLUE has no bin and none was scanned
    assert nowhere.value.code == "to_location_required"
    with pytest.raises(InvalidTransition):
        cancel_transfer(db, ASKER, number)  # dispatched: resolved, not cancelled
    assert _counts(db)[:2] == (before[0] + 2, before[1])
    # it arrives in full: received, nothing missing
    assert receive_transfer(db, RECEIVER, number, bins={2: "WH2-A"}).state == "received"
    with db.read() as conn:
        assert verify(conn).problems == []
