"""Lot status verbs (hold, quarantine, recall, release), the status history, and what a blocked
lot does to reservations, issues and allocations."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import document_events, documents, lot_events, lots
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    InvalidInput,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.lots import LotEvent, get_lot, lot_history
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.inbound.inspections import InspectionLineInput, record_inspection
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.lots import (
    Released,
    change_lot_status,
    hold_lot,
    quarantine_lot,
    recall_lot,
    release_lot,
    set_lot_status,
)
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import create_pick_list
from cangku.services.outbound.requests import RequestLineInput, submit_request
from cangku.services.reservations import reserve_stock
from cangku.services.stock import issue_stock
from cangku.services.stock_commands import Issue, Reservation
from cangku.services.users import create_user
from tests.factories import CTX
from tests.services.test_outbound import BOSS, PICKER, _order, _reserved, _sql, build_outbound

QA = Context(username="qa")


@pytest.fixture
def outbound(db: Database) -> Database:
    build_outbound(db)
    create_user(db, CTX, "qa", "Qa", roles=[("quality_inspector", "WH1")])
    return db


def _lot_row(db: Database, code: str) -> tuple[Any, ...]:
    with db.read() as conn:
        row = conn.execute(
            select(lots.c.status, lots.c.version, lots.c.notes).where(lots.c.code == code)
        ).one()
        events = conn.execute(select(func.count()).select_from(lot_events)).scalar()
    return (*row, events)


def _history(db: Database, code: str) -> list[tuple[str, str, str, str | None, str | None]]:
    lot = get_lot(db, "GLUE", code)
    with db.read() as conn:
        found = lot_history(conn, lot.id)
    return [(e.user, e.from_status, e.to_status, e.reason, e.document) for e in found]


def test_hold_records_history_and_blocks_issue_reserve_and_allocation(outbound: Database) -> None:
    # when the inspector holds F-FAR
    changed = hold_lot(outbound, QA, "GLUE", "F-FAR", " smells odd ")

    # then the lot is on hold, with who, when, from, to and why in its history
    assert changed.lot.status == "hold"
    assert changed.released == []
    lot = get_lot(outbound, "GLUE", "F-FAR")
    with outbound.read() as conn:
        [event] = lot_history(conn, lot.id)
    assert isinstance(event, LotEvent)
    assert (event.user, event.from_status, event.to_status, event.reason, event.document) == (
        "qa",
        "available",
        "hold",
        "smells odd",
        None,
    )
    assert lot.notes is not None and lot.notes.endswith("qa: status available -> hold (smells odd)")
    # and it can be neither issued, reserved nor allocated
    with pytest.raises(RuleViolation) as issued:
        issue_stock(outbound, CTX, Issue("GLUE", "1", "WH1-A-01", lot="F-FAR"))
    assert issued.value.code == "lot_not_available"
    with pytest.raises(RuleViolation) as reserved:
        reserve_stock(outbound, CTX, Reservation("GLUE", "1", "WH1-A-01", lot="F-FAR"))
    assert reserved.value.code == "lot_not_available"
    number = _order(outbound, lines=[RequestLineInput("GLUE", "5", unit_price="1", lot="F-FAR")])
    submit_request(outbound, CTX, "sales_order", number)
    with pytest.raises(RuleViolation) as allocated:
        allocate_request(outbound, PICKER, "sales_order", number)
    assert allocated.value.code == "lot_not_available"
    assert _reserved(outbound) == {}


def test_each_verb_and_the_history_they_leave(outbound: Database) -> None:
    assert quarantine_lot(outbound, QA, "GLUE", "F-LATE", "lab test").lot.status == "quarantine"
    assert hold_lot(outbound, QA, "GLUE", "F-LATE", "wait for the supplier").lot.status == "hold"
    assert release_lot(outbound, QA, "GLUE", "F-LATE", "supplier cleared it").lot.status == (
        "available"
    )
    assert recall_lot(outbound, BOSS, "GLUE", "F-LATE", "supplier recall 7").lot.status == (
        "recalled"
    )
    assert release_lot(outbound, BOSS, "GLUE", "F-LATE", "recall withdrawn").lot.status == (
        "available"
    )
    # the plain status change (the correction) is recorded too
    set_lot_status(outbound, QA, "GLUE", "F-LATE", "rejected", None)

    assert _history(outbound, "F-LATE") == [
        ("qa", "available", "quarantine", "lab test", None),
        ("qa", "quarantine", "hold", "wait for the supplier", None),
        ("qa", "hold", "available", "supplier cleared it", None),
        ("boss", "available", "recalled", "supplier recall 7", None),
        ("boss", "recalled", "available", "recall withdrawn", None),
        ("qa", "available", "rejected", None, None),
    ]


def test_a_rejected_lot_may_be_recalled(outbound: Database) -> None:
    _sql(outbound, "UPDATE lots SET status = 'rejected' WHERE code = 'F-SOON'")

    assert recall_lot(outbound, BOSS, "GLUE", "F-SOON", "batch recall").lot.status == "recalled"
    assert _history(outbound, "F-SOON") == [("boss", "rejected", "recalled", "batch recall", None)]


REFUSALS = [
    pytest.param(
        "available", "release", QA, "x", RuleViolation, "lot_not_held", id="release-available"
    ),
    pytest.param(
        "rejected", "release", BOSS, "x", RuleViolation, "lot_not_held", id="release-rejected"
    ),
    pytest.param("hold", "hold", QA, "x", RuleViolation, "lot_already_held", id="hold-twice"),
    pytest.param(
        "quarantine", "quarantine", QA, "x", RuleViolation, "lot_already_quarantined",
        id="quarantine-twice",
    ),
    pytest.param(
        "recalled", "recall", BOSS, "x", RuleViolation, "lot_already_recalled", id="recall-twice"
    ),
    pytest.param("recalled", "hold", QA, "x", RuleViolation, "lot_recalled", id="hold-recalled"),
    pytest.param(
        "rejected", "quarantine", QA, "x", RuleViolation, "lot_rejected", id="quarantine-rejected"
    ),
    pytest.param("available", "hold", QA, "  ", InvalidInput, "reason_required", id="blank-reason"),
    pytest.param("available", "hold", QA, None, InvalidInput, "reason_required", id="no-reason"),
    pytest.param(
        "available", "hold", QA, "x" * 501, InvalidInput, "invalid_reason", id="long-reason"
    ),
    pytest.param("available", "freeze", QA, "x", InvalidInput, "invalid_lot_verb", id="bad-verb"),
    pytest.param(
        "available", "recall", QA, "x", PermissionDenied, "permission_denied", id="qa-recalls"
    ),
    pytest.param(
        "recalled", "release", QA, "x", PermissionDenied, "permission_denied",
        id="qa-lifts-a-recall",
    ),
    pytest.param(
        "available", "hold", PICKER, "x", PermissionDenied, "permission_denied", id="picker-holds"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("status", "verb", "who", "reason", "error", "code"), REFUSALS)
def test_refusals_change_nothing(
    outbound: Database,
    status: str,
    verb: str,
    who: Context,
    reason: str | None,
    error: type[CangkuError],
    code: str,
) -> None:
    _sql(outbound, "UPDATE lots SET status = :s WHERE code = 'F-SOON'", s=status)
    number = _order(outbound, lines=[RequestLineInput("BOLT", "5", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", number)
    before = _lot_row(outbound, "F-SOON")
    reserved = _reserved(outbound)

    with pytest.raises(error) as caught:
        change_lot_status(outbound, who, "GLUE", "F-SOON", verb, reason)

    assert caught.value.code == code
    assert _lot_row(outbound, "F-SOON") == before
    assert _reserved(outbound) == reserved


def test_an_unknown_lot_or_item_is_not_found(outbound: Database) -> None:
    for item, code, expected in [
        ("GLUE", "NOPE", "lot_not_found"),
        ("NOPE", "F", "item_not_found"),
    ]:
        with pytest.raises(CangkuError) as caught:
            hold_lot(outbound, QA, item, code, "why")
        assert caught.value.code == expected


def _events(db: Database, number: str) -> list[tuple[str, str | None, str, str | None, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(
                document_events.c.step,
                document_events.c.from_state,
                document_events.c.to_state,
                document_events.c.note,
                document_events.c.data,
            )
            .join(documents, documents.c.id == document_events.c.document_id)
            .where(documents.c.number == number)
            .order_by(document_events.c.id)
        )
        return [(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] else None) for r in rows]


def test_blocking_a_lot_releases_unpicked_reservations(outbound: Database) -> None:
    # given one order reserved FEFO from F-SOON, another from F-LATE and on a pick list
    first = _order(outbound, lines=[RequestLineInput("GLUE", "30", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", first)
    second = _order(outbound, lines=[RequestLineInput("GLUE", "20", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", second)
    create_pick_list(outbound, PICKER, [second])
    assert _reserved(outbound) == {
        ("GLUE", "WH1-B", "F-SOON"): Decimal(30),
        ("GLUE", "WH1-A", "F-LATE"): Decimal(20),
    }

    # when F-SOON is held: the first order's reservation is released, the order approved again
    held = hold_lot(outbound, QA, "GLUE", "F-SOON", "leaking tubes")
    assert held.released == [Released(first, Decimal(30), "approved")]
    assert _events(outbound, first)[-1] == (
        "release",
        "allocated",
        "approved",
        "lot F-SOON hold",
        {"item": "GLUE", "lot": "F-SOON", "released": "30"},
    )
    # and F-LATE on hold keeps the reservation a pick list already picks
    assert hold_lot(outbound, QA, "GLUE", "F-LATE", "same supplier").released == []
    assert _reserved(outbound) == {("GLUE", "WH1-A", "F-LATE"): Decimal(20)}
    with outbound.read() as conn:
        state = conn.execute(select(documents.c.state).where(documents.c.number == first))
        assert state.scalar() == "approved"
        assert verify(conn).ok

    # then the allocator serves the first order from the lot still available
    again = allocate_request(outbound, PICKER, "sales_order", first)
    assert again.data["allocated"] == {"1": "30"}
    assert _reserved(outbound) == {
        ("GLUE", "WH1-A", "F-LATE"): Decimal(20),
        ("GLUE", "WH1-A-01", "F-FAR"): Decimal(30),
    }
    with outbound.read() as conn:
        assert verify(conn).ok


def test_recall_releases_a_partly_reserved_request_and_keeps_its_state(outbound: Database) -> None:
    # an order of 40: 30 of F-SOON, 10 of F-LATE; recalling F-LATE keeps it allocated
    number = _order(outbound, lines=[RequestLineInput("GLUE", "40", unit_price="1")], submit=True)
    allocate_request(outbound, PICKER, "sales_order", number)

    recalled = recall_lot(outbound, BOSS, "GLUE", "F-LATE", "supplier recall")

    assert recalled.released == [Released(number, Decimal(10), "allocated")]
    assert _events(outbound, number)[-1][:4] == (
        "release",
        "allocated",
        "allocated",
        "lot F-LATE recalled",
    )
    assert _reserved(outbound) == {("GLUE", "WH1-B", "F-SOON"): Decimal(30)}
    with outbound.read() as conn:
        assert verify(conn).ok


def test_receipt_and_inspection_status_changes_are_in_the_history(outbound: Database) -> None:
    _sql(outbound, "UPDATE items SET inspection_required = true WHERE code = 'GLUE'")
    receipt = create_receipt(
        outbound,
        CTX,
        NewReceipt(
            [ReceiptLineInput("GLUE", "10", lot="G-NEW", unit_price="2")],
            warehouse="WH1",
            supplier="ACME",
        ),
    )
    with outbound.read() as conn:
        inspection = conn.execute(
            select(documents.c.number).where(documents.c.doc_type == "inspection")
        ).scalar_one()
    record_inspection(outbound, CTX, inspection, [InspectionLineInput(1, accepted="10")])

    assert _history(outbound, "G-NEW") == [
        ("admin", "available", "quarantine", None, receipt.number),
        ("admin", "quarantine", "available", None, inspection),
    ]


@pytest.mark.parametrize("verb", ["quarantine", "recall"])
def test_a_quarantined_or_recalled_lot_is_neither_issued_nor_reserved(
    outbound: Database, verb: str
) -> None:
    change_lot_status(outbound, BOSS, "GLUE", "F-FAR", verb, "blocked")
    before = _lot_row(outbound, "F-FAR")

    with pytest.raises(RuleViolation) as issued:
        issue_stock(outbound, CTX, Issue("GLUE", "1", "WH1-A-01", lot="F-FAR"))
    with pytest.raises(RuleViolation) as reserved:
        reserve_stock(outbound, CTX, Reservation("GLUE", "1", "WH1-A-01", lot="F-FAR"))

    assert (issued.value.code, reserved.value.code) == ("lot_not_available", "lot_not_available")
    assert _lot_row(outbound, "F-FAR") == before
    assert _reserved(outbound) == {}
