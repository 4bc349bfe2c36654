"""Adjustments as documents: raise, submit (approved at once under the threshold, else it
waits), approve or reject by someone else, post the moves, cancel; the manual adjust and scrap
as one-line adjustments; reason codes from the company's list. Exact values; each refusal
writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cangku.db.tables import audit_log, document_events, document_lines, documents, moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.queries.adjustments import get_adjustment
from cangku.queries.stock import StockFilter, totals
from cangku.queries.verify import verify
from cangku.services.adjustments import (
    AdjustmentLineInput,
    NewAdjustment,
    approve_adjustment,
    cancel_adjustment,
    create_adjustment,
    post_adjustment,
    reject_adjustment,
    submit_adjustment,
)
from cangku.services.common import Context
from cangku.services.company import CompanyChanges, update_company
from cangku.services.reason_codes import (
    NewReasonCode,
    add_reason_code,
    list_reason_codes,
    set_reason_code_active,
)
from cangku.services.stock import adjust_stock, receive_stock, scrap_stock
from cangku.services.stock_commands import Adjust, Receive, Scrap
from cangku.services.users import create_role, create_user
from tests.factories import CTX, build_company

YEAR = datetime.now(UTC).year
COUNTER = Context(username="counter")
BOSS = Context(username="boss")
BOSS2 = Context(username="boss2")


@pytest.fixture
def stocked(db: Database) -> Database:
    build_company(db)
    for name, role in [
        ("counter", "stock_counter"),
        ("boss", "warehouse_manager"),
        ("boss2", "warehouse_manager"),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, "WH1")])
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="2"))
    receive_stock(db, CTX, Receive("GLUE", "5", "WH1-A", lot="G1", unit_cost="3"))
    return db


def _on_hand(db: Database, item: str, location: str | None = None) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (moves, documents, document_lines, audit_log)
        )


def _state(db: Database, number: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(select(documents.c.state).where(documents.c.number == number)).scalar_one()
        )


def _threshold(db: Database, amount: str | None) -> None:
    update_company(db, CTX, CompanyChanges(adjustment_approval_threshold=amount))


def _events(db: Database, number: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    with db.read() as conn:
        rows = conn.execute(
            select(document_events.c.step, document_events.c.to_state, document_events.c.data)
            .join(documents, documents.c.id == document_events.c.document_id)
            .where(documents.c.number == number)
            .order_by(document_events.c.id)
        )
        return [(r[0], r[1], json.loads(r[2]) if r[2] else None) for r in rows]


def _verified(db: Database) -> None:
    with db.read() as conn:
        assert verify(conn).problems == []


LOSS = AdjustmentLineInput("BOLT", "WH1-A", "loss", "3", "damaged")
GAIN = AdjustmentLineInput("BOLT", "WH1-B", "gain", "2", "found", unit_cost="5")
SCRAP = AdjustmentLineInput("GLUE", "WH1-A", "scrap", "1", "expired", lot="G1", note="dried")


def test_a_three_line_adjustment_is_raised_submitted_approved_and_posted(
    stocked: Database,
) -> None:
    db = stocked
    _threshold(db, "10")
    raised = create_adjustment(db, COUNTER, NewAdjustment([LOSS, GAIN, SCRAP], note="audit"))
    assert (raised.number, raised.state) == (f"ADJ-WH1-{YEAR}-00001", "draft")
    # value: loss 3 x 2 + gain 2 x 5 (its own cost) + scrap 1 x 3 = 19 > 10: it waits
    submitted = submit_adjustment(db, COUNTER, raised.number)
    assert submitted.state == "submitted"
    with db.read() as conn:
        total = conn.execute(
            select(documents.c.total_value).where(documents.c.number == raised.number)
        ).scalar_one()
    assert total == 19_000_000
    assert approve_adjustment(db, BOSS, raised.number, "checked").state == "approved"
    posted = post_adjustment(db, COUNTER, raised.number)
    assert posted.state == "posted"
    assert len(posted.move_ids) == 3
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT m.operation, f.code, t.code, m.quantity, m.unit_cost, m.reason_code,"
                " m.document_type, m.document_id, m.document_line, m.note FROM moves m"
                " JOIN locations f ON f.id = m.from_location_id"
                " JOIN locations t ON t.id = m.to_location_id"
                " WHERE m.document_id = :n ORDER BY m.id"
            ),
            {"n": raised.number},
        ).all()
        lines = conn.execute(
            select(document_lines.c.done, document_lines.c.move_id)
            .join(documents, documents.c.id == document_lines.c.document_id)
            .where(documents.c.number == raised.number)
            .order_by(document_lines.c.line_no)
        ).all()
    n = raised.number
    assert [tuple(r) for r in rows] == [
        ("adjust", "WH1-A", "WH1/ADJUSTMENT", 3_000_000, 2_000_000, "damaged", "adjustment", n, 1,
         None),
        ("adjust", "WH1/ADJUSTMENT", "WH1-B", 2_000_000, 5_000_000, "found", "adjustment", n, 2,
         None),
        ("scrap", "WH1-A", "WH1/SCRAP", 1_000_000, 3_000_000, "expired", "adjustment", n, 3,
         "dried"),
    ]  # fmt: skip
    assert [tuple(r) for r in lines] == [
        (3_000_000, posted.move_ids[0]),
        (2_000_000, posted.move_ids[1]),
        (1_000_000, posted.move_ids[2]),
    ]
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("7")
    assert _on_hand(db, "BOLT", "WH1-B") == Decimal("2")
    assert _on_hand(db, "GLUE") == Decimal("4")
    assert [(step, state) for step, state, _ in _events(db, n)] == [
        ("create", "draft"),
        ("submit", "submitted"),
        ("approve", "approved"),
        ("post", "posted"),
    ]
    with db.read() as conn:
        view = get_adjustment(conn, n)
    assert view.directions == {1: "loss", 2: "gain", 3: "scrap"}
    assert view.document.approved_by == "boss"
    _verified(db)


def test_under_the_threshold_it_is_approved_automatically_and_the_timeline_says_so(
    stocked: Database,
) -> None:
    db = stocked
    _threshold(db, "100")
    done = create_adjustment(db, COUNTER, NewAdjustment([LOSS], submit=True, post=True))
    assert done.state == "posted"
    assert len(done.move_ids) == 1
    events = _events(db, done.number)
    assert events[1] == (
        "submit",
        "approved",
        {"approved": "automatically", "why": "not above the approval threshold",
         "value": 6_000_000},
    )  # fmt: skip
    assert events[2][:2] == ("post", "posted")
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("7")


def test_without_a_threshold_no_approval_is_needed(stocked: Database) -> None:
    submitted = create_adjustment(stocked, COUNTER, NewAdjustment([LOSS], submit=True))
    assert submitted.state == "approved"
    assert _events(stocked, submitted.number)[1][2] == {
        "approved": "automatically",
        "why": "no approval threshold set",
        "value": 6_000_000,
    }


def test_approving_ones_own_adjustment_is_refused_and_nothing_changes(stocked: Database) -> None:
    db = stocked
    _threshold(db, "1")
    number = create_adjustment(db, BOSS, NewAdjustment([LOSS], submit=True)).number
    before = _counts(db)
    with pytest.raises(CangkuError) as refused:
        approve_adjustment(db, BOSS, number)
    assert refused.value.code == "own_document_approval"
    with pytest.raises(CangkuError) as rejected:
        reject_adjustment(db, BOSS, number, "no")
    assert rejected.value.code == "own_document_approval"
    assert (_counts(db), _state(db, number)) == (before, "submitted")
    assert approve_adjustment(db, BOSS2, number).state == "approved"


def test_a_counter_may_not_approve(stocked: Database) -> None:
    db = stocked
    _threshold(db, "1")
    number = create_adjustment(db, BOSS, NewAdjustment([LOSS], submit=True)).number
    before = _counts(db)
    with pytest.raises(CangkuError) as refused:
        approve_adjustment(db, COUNTER, number)
    assert refused.value.code == "permission_denied"
    assert _counts(db) == before


def test_reject_needs_a_reason_and_ends_the_adjustment(stocked: Database) -> None:
    db = stocked
    _threshold(db, "1")
    number = create_adjustment(db, COUNTER, NewAdjustment([LOSS], submit=True)).number
    before = _counts(db)
    with pytest.raises(CangkuError) as refused:
        reject_adjustment(db, BOSS, number, "  ")
    assert refused.value.code == "reason_required"
    assert _counts(db) == before
    assert reject_adjustment(db, BOSS, number, "count again").state == "rejected"
    assert _events(db, number)[-1][:2] == ("reject", "rejected")
    with pytest.raises(CangkuError) as late:
        post_adjustment(db, COUNTER, number)
    assert late.value.code == "invalid_transition"
    assert _on_hand(db, "BOLT") == Decimal("10")


def test_posting_twice_is_an_invalid_transition(stocked: Database) -> None:
    db = stocked
    number = create_adjustment(db, COUNTER, NewAdjustment([LOSS], submit=True)).number
    post_adjustment(db, COUNTER, number)
    before = _counts(db)
    with pytest.raises(CangkuError) as twice:
        post_adjustment(db, COUNTER, number)
    assert (twice.value.code, twice.value.data["state"]) == ("invalid_transition", "posted")
    assert _counts(db) == before
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("7")


def test_a_loss_larger_than_the_stock_is_refused_at_posting(stocked: Database) -> None:
    db = stocked
    big = AdjustmentLineInput("BOLT", "WH1-A", "loss", "11", "lost")
    number = create_adjustment(db, COUNTER, NewAdjustment([big], submit=True)).number
    before = _counts(db)
    with pytest.raises(CangkuError) as short:
        post_adjustment(db, COUNTER, number)
    assert short.value.code == "insufficient_stock"
    assert (_counts(db), _state(db, number)) == (before, "approved")
    assert _on_hand(db, "BOLT") == Decimal("10")


def test_cancel_before_posting(stocked: Database) -> None:
    db = stocked
    number = create_adjustment(db, COUNTER, NewAdjustment([LOSS])).number
    assert cancel_adjustment(db, COUNTER, number, "typo").state == "cancelled"
    with pytest.raises(CangkuError) as again:
        submit_adjustment(db, COUNTER, number)
    assert again.value.code == "invalid_transition"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "loss", "1", "whim"),
            "unknown_reason_code",
            id="unknown-reason",
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "scrap", "1", "found"),
            "unknown_reason_code",
            id="adjustment-reason-on-scrap",
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "loss", "1", ""), "reason_required", id="no-reason"
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "loss", "-1", "lost"),
            "quantity_not_positive",
            id="negative",
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "loss", "0", "lost"),
            "quantity_not_positive",
            id="zero",
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "up", "1", "lost"),
            "invalid_direction",
            id="direction",
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH1-A", "loss", "1", "lost", unit_cost="3"),
            "unit_cost_not_allowed",
            id="cost-on-a-loss",
        ),
        pytest.param(
            AdjustmentLineInput("GLUE", "WH1-A", "gain", "1", "found"), "lot_required", id="lot"
        ),
        pytest.param(
            AdjustmentLineInput("BOLT", "WH2-A", "loss", "1", "lost"),
            "location_not_in_warehouse",
            id="two-warehouses",
        ),
        pytest.param(
            AdjustmentLineInput("NOPE", "WH1-A", "loss", "1", "lost"),
            "item_not_found",
            id="item",
        ),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(
    stocked: Database, line: AdjustmentLineInput, code: str
) -> None:
    before = _counts(stocked)
    with pytest.raises(CangkuError) as refused:
        create_adjustment(stocked, COUNTER, NewAdjustment([LOSS, line], submit=True, post=True))
    assert refused.value.code == code
    assert _counts(stocked) == before


def test_an_inactive_reason_is_refused_and_a_company_code_is_taken(stocked: Database) -> None:
    db = stocked
    set_reason_code_active(db, BOSS, "adjustment", "damaged", False)
    before = _counts(db)
    with pytest.raises(CangkuError) as refused:
        create_adjustment(db, COUNTER, NewAdjustment([LOSS]))
    assert refused.value.code == "reason_code_inactive"
    with pytest.raises(CangkuError) as manual:
        adjust_stock(db, COUNTER, Adjust("BOLT", "-1", "WH1-A", "damaged"))
    assert manual.value.code == "reason_code_inactive"
    assert _counts(db) == before
    add_reason_code(
        db, BOSS, NewReasonCode("adjustment", "forklift", "Forklift damage", "叉车损坏")
    )
    line = AdjustmentLineInput("BOLT", "WH1-A", "loss", "1", "forklift")
    posted = create_adjustment(db, COUNTER, NewAdjustment([line], submit=True, post=True))
    assert posted.state == "posted"
    result = adjust_stock(db, COUNTER, Adjust("BOLT", "-1", "WH1-A", "forklift"))
    assert result.moves[0].reason_code == "forklift"
    assert _on_hand(db, "BOLT") == Decimal("8")


def test_reason_codes_list_add_deactivate_activate(stocked: Database) -> None:
    db = stocked
    scrap = list_reason_codes(db, "scrap")
    assert [(c.code, c.active, c.builtin, c.position) for c in scrap] == [
        ("damaged", True, True, 10),
        ("expired", True, True, 20),
        ("defective", True, True, 30),
        ("obsolete", True, True, 40),
        ("other", True, True, 50),
    ]
    added = add_reason_code(db, BOSS, NewReasonCode("scrap", "rust", " Rusted ", ""))
    assert (added.code, added.label, added.label_zh, added.position) == ("rust", "Rusted", None, 60)
    assert set_reason_code_active(db, BOSS, "scrap", "rust", False).active is False
    assert set_reason_code_active(db, BOSS, "scrap", "rust", True).active is True
    assert set_reason_code_active(db, BOSS, "scrap", "obsolete", False).builtin is True


@pytest.mark.parametrize(
    ("new", "code"),
    [
        pytest.param(NewReasonCode("scrap", "Rust", "x"), "invalid_reason_code", id="capital"),
        pytest.param(NewReasonCode("scrap", "a" * 65, "x"), "invalid_reason_code", id="long"),
        pytest.param(NewReasonCode("scrap", "", "x"), "invalid_reason_code", id="empty"),
        pytest.param(NewReasonCode("scrap", "a-b", "x"), "invalid_reason_code", id="dash"),
        pytest.param(NewReasonCode("count", "ok", "x"), "invalid_reason_kind", id="kind"),
        pytest.param(NewReasonCode("scrap", "ok", " "), "label_required", id="label"),
        pytest.param(NewReasonCode("scrap", "damaged", "x"), "reason_code_exists", id="exists"),
    ],
)
def test_bad_reason_codes_are_refused(stocked: Database, new: NewReasonCode, code: str) -> None:
    before = _counts(stocked)
    with pytest.raises(CangkuError) as refused:
        add_reason_code(stocked, BOSS, new)
    assert refused.value.code == code
    assert _counts(stocked) == before


def test_only_managers_manage_reason_codes(stocked: Database) -> None:
    before = _counts(stocked)
    with pytest.raises(CangkuError) as refused:
        add_reason_code(stocked, COUNTER, NewReasonCode("scrap", "rust", "Rusted"))
    assert refused.value.code == "permission_denied"
    with pytest.raises(CangkuError) as unknown:
        set_reason_code_active(stocked, BOSS, "scrap", "nope", False)
    assert unknown.value.code == "reason_code_not_found"
    assert _counts(stocked) == before


def test_manual_adjust_and_scrap_are_posted_one_line_adjustments(stocked: Database) -> None:
    db = stocked
    gain = adjust_stock(db, COUNTER, Adjust("BOLT", "4", "WH1-B", "found", unit_cost="1.5"))
    assert (gain.document, gain.state) == (f"ADJ-WH1-{YEAR}-00001", "posted")
    move = gain.moves[0]
    assert (move.from_location, move.to_location, move.quantity, move.unit_cost) == (
        "WH1/ADJUSTMENT", "WH1-B", Decimal("4"), Decimal("1.5"),
    )  # fmt: skip
    assert (move.document_type, move.document_id, move.document_line) == (
        "adjustment", f"ADJ-WH1-{YEAR}-00001", 1,
    )  # fmt: skip
    scrapped = scrap_stock(db, CTX, Scrap("GLUE", "2", "WH1-A", "expired", lot="G1"))
    assert (scrapped.document, scrapped.state) == (f"ADJ-WH1-{YEAR}-00002", "posted")
    assert (scrapped.moves[0].to_location, scrapped.moves[0].value) == ("WH1/SCRAP", Decimal("6"))
    with db.read() as conn:
        view = get_adjustment(conn, f"ADJ-WH1-{YEAR}-00002")
    assert view.directions == {1: "scrap"}
    assert (view.document.state, view.document.lines[0].reason_code) == ("posted", "expired")
    _verified(db)


def test_manual_adjust_above_the_threshold_waits_for_approval(stocked: Database) -> None:
    db = stocked
    _threshold(db, "5")
    before = _counts(db)
    waiting = adjust_stock(db, COUNTER, Adjust("BOLT", "-3", "WH1-A", "lost"))
    assert (waiting.document, waiting.state, waiting.moves) == (
        f"ADJ-WH1-{YEAR}-00001",
        "submitted",
        [],
    )
    assert _counts(db)[0] == before[0]  # no move yet
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("10")
    scrap = scrap_stock(db, CTX, Scrap("GLUE", "1", "WH1-A", "expired", lot="G1"))
    assert scrap.state == "posted"  # 3.00 is not above 5.00
    # approving is all a manual adjustment waits for: it is posted with the approval
    approved = approve_adjustment(db, BOSS, waiting.document or "")
    assert (approved.state, len(approved.move_ids)) == ("posted", 1)
    assert [step for step, _, _ in _events(db, waiting.document or "")] == [
        "create", "submit", "approve", "post",
    ]  # fmt: skip
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("7")
    _verified(db)


def _effective_times(db: Database, number: str) -> list[datetime]:
    with db.read() as conn:
        found = conn.execute(
            select(moves.c.effective_at).where(moves.c.document_id == number).order_by(moves.c.id)
        )
        return [at.replace(tzinfo=UTC) if at.tzinfo is None else at for (at,) in found]


def test_an_approved_manual_adjustment_keeps_its_back_dated_effective_time(
    stocked: Database,
) -> None:
    db = stocked
    _threshold(db, "5")
    back = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    loss = adjust_stock(db, COUNTER, Adjust("BOLT", "-3", "WH1-A", "lost", effective_at=back))
    scrap = scrap_stock(
        db, BOSS2, Scrap("GLUE", "2", "WH1-A", "expired", lot="G1", effective_at=back)
    )
    assert (loss.state, scrap.state) == ("submitted", "submitted")

    assert approve_adjustment(db, BOSS, loss.document or "").state == "posted"
    assert approve_adjustment(db, BOSS, scrap.document or "").state == "posted"

    assert _effective_times(db, loss.document or "") == [back]
    assert _effective_times(db, scrap.document or "") == [back]
    _verified(db)


def test_a_manual_adjustment_needs_only_the_approvers_permission(stocked: Database) -> None:
    """A quality inspector scraps (stock.scrap, no adjustment.edit) above the threshold; an
    approver who holds adjustment.approve alone approves it, and that posts it."""
    db = stocked
    _threshold(db, "5")
    create_role(db, CTX, "approver", "Approver", ["adjustment.approve"])
    create_user(db, CTX, "qa", "Qa", roles=[("quality_inspector", "WH1")])
    create_user(db, CTX, "ok", "Ok", roles=[("approver", "WH1")])
    waiting = scrap_stock(db, Context("qa"), Scrap("GLUE", "2", "WH1-A", "expired", lot="G1"))
    assert waiting.state == "submitted"

    approved = approve_adjustment(db, Context("ok"), waiting.document or "")

    assert (approved.state, len(approved.move_ids)) == ("posted", 1)
    assert _on_hand(db, "GLUE", "WH1-A") == Decimal("3")
    _verified(db)


def test_a_raised_adjustment_is_approved_then_posted_as_two_steps(stocked: Database) -> None:
    """A document raised as such (not a manual adjust or scrap) waits for its post after the
    approval, as its timeline's tasks say."""
    db = stocked
    _threshold(db, "5")
    raised = create_adjustment(db, COUNTER, NewAdjustment([LOSS], submit=True, post=True))
    assert raised.state == "submitted"
    assert approve_adjustment(db, BOSS, raised.number).state == "approved"
    assert _on_hand(db, "BOLT", "WH1-A") == Decimal("10")


def test_manual_adjust_replays_with_its_document(stocked: Database) -> None:
    db = stocked
    keyed = Context(username="counter", idempotency_key="k1")
    first = adjust_stock(db, keyed, Adjust("BOLT", "-1", "WH1-A", "lost"))
    again = adjust_stock(db, keyed, Adjust("BOLT", "-1", "WH1-A", "lost"))
    assert (again.replayed, again.document, again.state) == (True, first.document, "posted")
    assert [m.id for m in again.moves] == [m.id for m in first.moves]
    assert _on_hand(db, "BOLT") == Decimal("9")
