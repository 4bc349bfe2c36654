"""Adjustments as documents: raise (lines: a gain, a loss or scrap, each with a reason code
from the company's list), submit (approved at once unless worth more than the company's
threshold), approve or reject (never by who raised it), post (the moves), cancel.

Each step loads what it needs in a few set-based reads (the lines: ``adjustment_lines``),
decides in ``domain.adjustments`` and writes through the document store and the ledger
(``services.documents``). The manual ``stock adjust`` and ``stock scrap`` raise one-line
adjustments through ``raise_and_post``; one that waits for approval is posted by the approval,
at the effective time it was given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import adjustments as store
from cangku.db import documents as doc_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.adjustments import (
    ADJUSTMENT,
    AdjustmentLine,
    approval_decision,
    check_approver,
    value_of,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.operations import check_note
from cangku.domain.permissions import STOCK_COUNTER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.stock import MoveLine
from cangku.services.adjustment_lines import (
    AdjustmentLineInput,
    NewAdjustment,
    line_moves,
    line_row,
    resolve_lines,
)
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    create_document,
    deliver_outbox,
    post_for,
    run_step,
)
from cangku.services.inbound.orders import command_payload

__all__ = [
    "ADJUSTMENT_APPROVE",
    "ADJUSTMENT_EDIT",
    "AdjustmentLineInput",
    "NewAdjustment",
    "approve_adjustment",
    "cancel_adjustment",
    "create_adjustment",
    "post_adjustment",
    "raise_and_post",
    "reject_adjustment",
    "submit_adjustment",
]

#: raise, submit, post and cancel adjustments
ADJUSTMENT_EDIT = action("adjustment.edit", roles={WAREHOUSE_MANAGER, STOCK_COUNTER}, scoped=True)
#: approve or reject an adjustment someone else raised
ADJUSTMENT_APPROVE = action("adjustment.approve", roles={WAREHOUSE_MANAGER}, scoped=True)


# ---------------------------------------------------------------- the steps' decisions
def _decide_submit(conn: Connection, doc: doc_store.DocumentRow) -> StepOutcome:
    """Value the lines at what they cost now; approved at once under the threshold."""
    lines = store.adjustment_lines(conn, doc.id)
    value = value_of(lines, store.unit_costs(conn, [line.item_id for line in lines]))
    target, data = approval_decision(value, store.approval_threshold(conn))
    return StepOutcome(target=target, data=data, fields={"total_value": value})


def _decide_post(
    conn: Connection, doc: doc_store.DocumentRow, moves: list[MoveLine] | None = None
) -> StepOutcome:
    """The lines' moves; each line remembers its move and is done."""
    lines = store.adjustment_lines(conn, doc.id)
    if moves is None:
        moves = line_moves(conn, doc.warehouse_id, lines)
        effective_at = _manual(conn, doc).get("effective_at")
        for move in moves:  # a manual adjustment that waited: the time the user gave
            move.effective_at = datetime.fromisoformat(effective_at) if effective_at else None

    def after(conn: Connection, move_ids: list[int]) -> dict[str, Any]:
        doc_store.update_lines(
            conn,
            [
                {"line_id": line.id, "add_done": line.quantity, "set_move_id": move_id}
                for line, move_id in zip(lines, move_ids, strict=True)
            ],
        )
        return {}

    return StepOutcome(moves=moves, after=after)


def _manual(conn: Connection, doc: doc_store.DocumentRow) -> dict[str, Any]:
    """What a manual adjust or scrap (``raise_and_post``) recorded on its create event:
    ``manual`` and the ``effective_at`` it was given (ISO); {} for a document raised as such."""
    data = doc_store.event_data(conn, doc.id, "create")
    return data if data.get("manual") else {}


def _take(
    conn: Connection,
    doc: doc_store.DocumentRow,
    step: str,
    outcome: StepOutcome,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> tuple[str, list[int]]:
    """A step inside a transaction that also did another (create and submit, submit and post,
    approve and post): what ``run_step`` does after its decision."""
    move_ids = post_for(conn, doc, outcome.moves, actor, now)
    if outcome.after:
        outcome.after(conn, move_ids)
    data = {**outcome.data, **({"moves": move_ids} if move_ids else {})}
    state = advance(
        conn, ADJUSTMENT, doc, step, actor, now,
        target=outcome.target, note=note, data=data, fields=outcome.fields,
    )  # fmt: skip
    return state, move_ids


def _submit_and_post(
    conn: Connection,
    number: str,
    actor: Actor,
    now: datetime,
    *,
    post: bool,
    moves: list[MoveLine] | None = None,
) -> dict[str, Any]:
    doc = doc_store.lock_document(conn, ADJUSTMENT.doc_type, number)
    state, _ = _take(conn, doc, "submit", _decide_submit(conn, doc), actor, now)
    move_ids: list[int] = []
    if post and state == "approved":
        doc = doc_store.lock_document(conn, ADJUSTMENT.doc_type, number)
        state, move_ids = _take(conn, doc, "post", _decide_post(conn, doc, moves), actor, now)
    return {"number": number, "state": state, "move_ids": move_ids}


# ---------------------------------------------------------------- use cases
def create_adjustment(db: Database, ctx: Context, command: NewAdjustment) -> StepResult:
    """Raise an adjustment (a draft; submitted with ``submit``; posted too with ``post`` when
    it needs no approval).

    Raises NotFound (warehouse, item, unit, location, lot), InvalidInput (``no_lines``,
    ``invalid_direction``, ``reason_required``, ``unknown_reason_code``, quantities,
    ``location_not_in_warehouse``, ``unit_cost_not_allowed``, ``lot_not_allowed``...),
    RuleViolation (``reason_code_inactive``, the ledger's rules: kinds, tracking, inactive
    items; ``insufficient_stock`` when posted), PermissionDenied (``adjustment.edit`` in the
    warehouse). Writes the document, its lines, events, outbox rows, the audit entry (a gain's
    new lot), and with ``post`` the moves. Nothing is written when it raises."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        resolved = resolve_lines(conn, command, now)
        actor.require(ADJUSTMENT_EDIT, resolved.warehouse_id)
        _, number = create_document(
            conn, ADJUSTMENT, actor, now, warehouse_id=resolved.warehouse_id,
            warehouse_code=resolved.warehouse_code, lines=resolved.rows, note=note,
        )  # fmt: skip
        if not command.submit:
            return {"number": number, "state": ADJUSTMENT.initial, "move_ids": []}
        return _submit_and_post(conn, number, actor, now, post=command.post)

    result, replayed = run_write(
        db, ctx, ADJUSTMENT_EDIT, command_payload(command), work, target_type="adjustment"
    )
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], result["move_ids"], replayed, {})


def raise_and_post(
    conn: Connection,
    actor: Actor,
    now: datetime,
    moves: list[MoveLine],
    direction: str,
    *,
    unit: str | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    """A manual adjustment or scrap (built by ``services.stock``): a one-line adjustment
    raised, submitted and, when it needs no approval, posted with exactly ``moves`` in the
    caller's transaction; else it waits (``submitted``) and its approval posts it (at the
    moves' ``effective_at``, kept on the create event). Answers number, state, move_ids."""
    move = moves[0]
    storage = move.dest if direction == "gain" else move.source
    line = AdjustmentLine(
        direction, move.quantity, move.item.id, move.unit_cost if direction == "gain" else None,
        0, 1, storage.id, move.lot.id if move.lot else None, move.reason_code, move.note,
    )  # fmt: skip
    move.document_line = 1
    # kept for a post after an approval: its move is built again from the line then
    raised: dict[str, Any] = {"manual": True}
    if move.effective_at is not None:
        raised["effective_at"] = move.effective_at.isoformat()
    _, number = create_document(
        conn, ADJUSTMENT, actor, now, warehouse_id=storage.warehouse_id,
        warehouse_code=storage.warehouse_code or "", reference=reference,
        lines=[line_row(line, unit or move.item.base_unit)], data=raised,
    )  # fmt: skip
    return _submit_and_post(conn, number, actor, now, post=True, moves=moves)


def submit_adjustment(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Submit a draft: approved at once (the timeline says so) unless worth more than the
    company's adjustment threshold (then it waits). Writes the state, the value, the event."""
    return run_step(
        db, ctx, ADJUSTMENT, "submit", number, {"note": note},
        lambda conn, doc, actor, now: _decide_submit(conn, doc), note=check_note(note),
    )  # fmt: skip


def approve_adjustment(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Approve a submitted adjustment (never one's own: ``own_document_approval``). A manual
    adjust or scrap that waited for the approval is posted with it, in the same transaction
    and at the effective time it was given: approving is all it waited for, so the approver
    needs ``adjustment.approve`` only. Raises NotFound, ``invalid_transition``,
    PermissionDenied, RuleViolation ``own_document_approval``, and for a manual one what
    posting raises (InsufficientStock, PeriodClosed). Writes the state, the approver, the
    event; for a manual one the post's moves, balances, costs and event too."""
    note = check_note(note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        doc = doc_store.lock_document(conn, ADJUSTMENT.doc_type, number)
        actor.require(ADJUSTMENT_APPROVE, doc.warehouse_id)
        ADJUSTMENT.check(doc.state, "approve", number)
        check_approver(actor.user_id, doc.created_by, doc.number)
        approval = StepOutcome(fields={"approved_by": actor.user_id})
        state, move_ids = _take(conn, doc, "approve", approval, actor, now, note)
        if _manual(conn, doc):
            doc = doc_store.lock_document(conn, ADJUSTMENT.doc_type, number)
            state, move_ids = _take(conn, doc, "post", _decide_post(conn, doc), actor, now)
        return {"number": number, "state": state, "move_ids": move_ids}

    payload = {"number": number, "step": "approve", "note": note}
    result, replayed = run_write(
        db, ctx, ADJUSTMENT_APPROVE, payload, work, target_type="adjustment", target=number
    )
    if not replayed:
        deliver_outbox(db)
    return StepResult(number, result["state"], result["move_ids"], replayed, {})


def reject_adjustment(db: Database, ctx: Context, number: str, note: str | None) -> StepResult:
    """Reject a submitted adjustment with the reason (required) in ``note``; never one's own.
    Raises InvalidInput ``reason_required``, RuleViolation ``own_document_approval``."""
    reason = check_note(note)
    if not reason or not reason.strip():
        raise InvalidInput("a rejection needs a reason", code="reason_required")

    def decide(
        conn: Connection, doc: doc_store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        check_approver(actor.user_id, doc.created_by, doc.number)
        return StepOutcome()

    return run_step(db, ctx, ADJUSTMENT, "reject", number, {"note": note}, decide, note=reason)


def post_adjustment(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Post an approved adjustment: one move per line (gain: adjustment location -> bin; loss:
    bin -> adjustment location; scrap: bin -> scrap location) with the document's number and
    the line's reason code. Raises ``invalid_transition`` (posted already, or not approved),
    InsufficientStock, the ledger's rules, PeriodClosed. Writes moves, balances, costs, lines,
    the state and the event."""
    return run_step(
        db, ctx, ADJUSTMENT, "post", number, {"note": note},
        lambda conn, doc, actor, now: _decide_post(conn, doc), note=check_note(note),
    )  # fmt: skip


def cancel_adjustment(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Cancel an adjustment not posted yet (nothing was moved)."""
    return run_step(
        db, ctx, ADJUSTMENT, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
