"""Adjustments as documents: raise (lines: a gain, a loss or scrap, each with a reason code
from the company's list), submit (approved at once unless worth more than the company's
threshold), approve or reject (never by who raised it), post (the moves), cancel.

Each step loads what it needs in a few set-based reads, decides in ``domain.adjustments`` and
writes through the document store and the ledger (``services.documents``). The manual
``stock adjust`` and ``stock scrap`` raise one-line adjustments through ``raise_and_post``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import adjustments as store
from cangku.db import documents as doc_store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import lots as lot_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.adjustments import (
    ADJUSTMENT,
    REASON_KINDS,
    AdjustmentLine,
    adjustment_moves,
    approval_decision,
    check_approver,
    check_direction,
    check_gain_cost,
    check_place,
    check_reason_code,
    reason_kind,
    value_of,
)
from cangku.domain.documents import require_lines
from cangku.domain.enums import Tracking
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.operations import check_line, check_note
from cangku.domain.permissions import STOCK_COUNTER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.stock import LocationInfo, LotInfo, MoveLine
from cangku.queries.lots import expiry_settings
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
from cangku.services.inbound.quantities import Converter, items_by_code
from cangku.services.stock_inputs import unit_cost_per_base

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


@dataclass(frozen=True)
class AdjustmentLineInput:
    item: str
    location: str
    #: gain, loss or scrap
    direction: str
    quantity: Decimal | str
    #: a code of the company's adjustment list (gain, loss) or scrap list (scrap)
    reason: str
    lot: str | None = None
    unit: str | None = None
    #: a gain's cost per ``unit``; None: the item's cost now
    unit_cost: Decimal | str | None = None
    #: a gain's new lot's expiry date
    expires_on: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class NewAdjustment:
    lines: list[AdjustmentLineInput] = field(default_factory=list)
    #: None: the warehouse of the lines' locations
    warehouse: str | None = None
    note: str | None = None
    #: submit at once (approved, or waiting for approval above the threshold)
    submit: bool = False
    #: and post it when it needs no approval
    post: bool = False


@dataclass
class _Resolved:
    warehouse_id: int
    warehouse_code: str
    rows: list[dict[str, Any]]
    moves: list[MoveLine]


def _lots(
    conn: Connection,
    lines: Sequence[AdjustmentLineInput],
    items: dict[str, loads.InboundItem],
    now: datetime,
) -> dict[int, LotInfo | None]:
    """The lot of each line (by index): existing ones in one read; a gain may bring a new lot
    of a tracked item (created here, as a receipt would)."""
    named = [(i, items[ln.item], ln) for i, ln in enumerate(lines) if ln.lot]
    found = store.lots_by_codes(conn, [(item.id, ln.lot or "") for _, item, ln in named])
    out: dict[int, LotInfo | None] = {}
    for index, item, line in named:
        lot_code = line.lot or ""
        if item.tracking == Tracking.NONE:
            raise InvalidInput(
                f"item {item.code} is not lot- or serial-tracked; leave the lot out",
                code="lot_not_allowed",
                item=item.code,
            )
        lot = found.get((item.id, lot_code))
        if lot is None and line.direction == "gain":
            lot = lot_store.get_or_create(
                conn, item.info(), lot_code, now, expires_on=line.expires_on,
                is_serial=item.tracking == Tracking.SERIAL,
            )  # fmt: skip
            found[(item.id, lot_code)] = lot
        if lot is None:
            raise NotFound("lot", f"{item.code}/{lot_code}")
        out[index] = lot
    return out


def _resolve(conn: Connection, command: NewAdjustment, now: datetime) -> _Resolved:
    """Load what the lines name (items, units, locations, lots, reason codes) set-based and
    build the moves they will post, checked by the ledger's rules that need no stock."""
    require_lines(command.lines, "adjustment")
    codes = store.codes_of(conn, REASON_KINDS)
    for line in command.lines:
        kind = reason_kind(check_direction(line.direction))
        check_reason_code(line.reason, kind, codes[kind])
        check_note(line.note)
    items = items_by_code(conn, [line.item for line in command.lines])
    converter = Converter(conn, list(items.values()), {ln.unit for ln in command.lines if ln.unit})
    places = lookups.locations_by_codes(conn, sorted({ln.location for ln in command.lines}))
    for line in command.lines:
        if line.location not in places:
            raise NotFound("location", line.location)
    if command.warehouse:
        wh = loads.active_warehouse(conn, command.warehouse)
        warehouse_id, warehouse_code = wh.id, wh.code
    else:
        first = places[command.lines[0].location]
        warehouse_id, warehouse_code = first.warehouse_id, first.warehouse_code or ""
    lots = _lots(conn, command.lines, items, now)
    lines: list[AdjustmentLine] = []
    rows: list[dict[str, Any]] = []
    for index, given in enumerate(command.lines):
        item, place = items[given.item], places[given.location]
        check_place(place.code, place.warehouse_id, warehouse_id, warehouse_code)
        check_gain_cost(given.direction, given.unit_cost not in (None, ""))
        quantity, _, base = converter.base(item, given.quantity, given.unit)
        cost = unit_cost_per_base(conn, item.info(), given.unit_cost, given.unit, base, quantity)
        lot = lots.get(index)
        made = AdjustmentLine(
            given.direction, base, item.id, cost, 0, index + 1, place.id,
            lot.id if lot else None, given.reason, check_note(given.note),
        )  # fmt: skip
        lines.append(made)
        rows.append(_row(made, given.unit or item.base_unit))
    moves = _moves(conn, warehouse_id, lines, {p.id: p for p in places.values()})
    _check_moves(conn, moves, now)
    return _Resolved(warehouse_id, warehouse_code, rows, moves)


def _row(line: AdjustmentLine, unit: str) -> dict[str, Any]:
    return {
        "line_no": line.line_no, "item_id": line.item_id, "quantity": line.quantity,
        "location_id": line.location_id, "lot_id": line.lot_id, "direction": line.direction,
        "reason_code": line.reason_code, "base_price": line.unit_cost, "note": line.note,
        "unit": unit,
    }  # fmt: skip


def _moves(
    conn: Connection,
    warehouse_id: int,
    lines: list[AdjustmentLine],
    known: dict[int, LocationInfo] | None = None,
) -> list[MoveLine]:
    """The moves of ``lines`` (items, locations and lots read set-based)."""
    virtual = store.virtual_locations(conn, warehouse_id)
    items = loads.inbound_items(conn, ids=[line.item_id for line in lines])
    places = dict(known or {})
    wanted = {line.location_id for line in lines} | set(virtual.values())
    places.update(lookups.locations_by_ids(conn, wanted - set(places)))
    lots = loads.lots_by_ids(conn, [line.lot_id for line in lines])
    infos = {line.item_id: items[line.item_id].info() for line in lines}
    return adjustment_moves(lines, infos, places, lots, virtual)


def _check_moves(conn: Connection, moves: list[MoveLine], now: datetime) -> None:
    zone = expiry_settings(conn).zone
    day = now.astimezone(zone).date()
    for move in moves:
        check_line(move, day, zone)


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
        moves = _moves(conn, doc.warehouse_id, lines)

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


def _take(
    conn: Connection,
    doc: doc_store.DocumentRow,
    step: str,
    outcome: StepOutcome,
    actor: Actor,
    now: datetime,
) -> tuple[str, list[int]]:
    """A step inside a transaction that also did another (create and submit, submit and post):
    what ``run_step`` does after its decision."""
    move_ids = post_for(conn, doc, outcome.moves, actor, now)
    if outcome.after:
        outcome.after(conn, move_ids)
    data = {**outcome.data, **({"moves": move_ids} if move_ids else {})}
    state = advance(
        conn, ADJUSTMENT, doc, step, actor, now,
        target=outcome.target, data=data, fields=outcome.fields,
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
        resolved = _resolve(conn, command, now)
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
    caller's transaction; else it waits (``submitted``). Answers number, state, move_ids."""
    move = moves[0]
    storage = move.dest if direction == "gain" else move.source
    line = AdjustmentLine(
        direction, move.quantity, move.item.id, move.unit_cost if direction == "gain" else None,
        0, 1, storage.id, move.lot.id if move.lot else None, move.reason_code, move.note,
    )  # fmt: skip
    move.document_line = 1
    _, number = create_document(
        conn, ADJUSTMENT, actor, now, warehouse_id=storage.warehouse_id,
        warehouse_code=storage.warehouse_code or "", reference=reference,
        lines=[_row(line, unit or move.item.base_unit)],
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
    """Approve a submitted adjustment (never one's own: ``own_document_approval``). Writes the
    state, the approver, the event."""

    def decide(
        conn: Connection, doc: doc_store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        check_approver(actor.user_id, doc.created_by, doc.number)
        return StepOutcome(fields={"approved_by": actor.user_id})

    return run_step(
        db, ctx, ADJUSTMENT, "approve", number, {"note": note}, decide, note=check_note(note)
    )


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
