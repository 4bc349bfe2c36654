"""The manual stock operations: receive, issue, transfer, adjust, scrap, reverse; and
reservations (re-exported from ``services.reservations``). Document workflows (receipts,
shipments, counts...) call these same functions.

Each builds moves with the domain rules, posts them through the ledger store in one
transaction, and returns the posted moves. Each accepts an idempotency key through ``Context``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import adjustments as reason_store
from cangku.db import ledger, lookups
from cangku.db.tables import moves
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.adjustments import check_reason_code, reason_kind
from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.operations import (
    check_line,
    check_note,
    check_request,
    may_create_lot,
    moved_quantity,
    unit_cost_value,
)
from cangku.domain.permissions import (
    AUDITOR,
    EVERYONE,
    PICKER_SHIPPER,
    PURCHASER,
    QUALITY_INSPECTOR,
    RECEIVING_CLERK,
    STOCK_COUNTER,
    WAREHOUSE_MANAGER,
    Action,
    Actor,
    action,
)
from cangku.domain.quantities import from_scaled, parse_decimal
from cangku.domain.stock import ItemInfo, LocationInfo, MoveLine
from cangku.queries.lots import expiry_zone
from cangku.queries.stock import MoveRecord, moves_by_ids, posted_record
from cangku.services.adjustments import raise_and_post
from cangku.services.common import Context, run_write
from cangku.services.documents import deliver_outbox
from cangku.services.reservations import ReservationResult, release_stock, reserve_stock
from cangku.services.stock_commands import (
    Adjust,
    Issue,
    Receive,
    Reverse,
    Scrap,
    Transfer,
)
from cangku.services.stock_inputs import (
    base_quantity,
    existing_lot,
    item_and_unit,
    lot_for,
    note_text,
    payload,
    unit_cost_per_base,
)

__all__ = [
    "PostingResult",
    "ReservationResult",
    "ResolvedQuantity",
    "adjust_stock",
    "issue_stock",
    "receive_stock",
    "release_stock",
    "resolve_quantity",
    "reserve_stock",
    "reverse_move",
    "scrap_stock",
    "transfer_stock",
]

#: see stock, moves and history (in the warehouses granted)
STOCK_VIEW = action("stock.view", roles=EVERYONE, scoped=True)
#: see what stock is worth (cost layers, average cost, valuation)
VALUATION_VIEW = action(
    "valuation.view", roles={WAREHOUSE_MANAGER, PURCHASER, AUDITOR}, scoped=True
)
STOCK_RECEIVE = action(
    "stock.receive", roles={WAREHOUSE_MANAGER, RECEIVING_CLERK}, scoped=True, audited=False
)
STOCK_ISSUE = action(
    "stock.issue", roles={WAREHOUSE_MANAGER, PICKER_SHIPPER}, scoped=True, audited=False
)
STOCK_TRANSFER = action(
    "stock.transfer",
    roles={WAREHOUSE_MANAGER, RECEIVING_CLERK, PICKER_SHIPPER, QUALITY_INSPECTOR},
    scoped=True,
    audited=False,
)
STOCK_ADJUST = action(
    "stock.adjust", roles={WAREHOUSE_MANAGER, STOCK_COUNTER}, scoped=True, audited=False
)
STOCK_SCRAP = action(
    "stock.scrap", roles={WAREHOUSE_MANAGER, QUALITY_INSPECTOR}, scoped=True, audited=False
)
STOCK_REVERSE = action("stock.reverse", roles={WAREHOUSE_MANAGER}, scoped=True, audited=False)


def require_in_warehouses(actor: Actor, act: Action, line: MoveLine) -> None:
    """A move touches one or two warehouses (a transfer between them): both must be granted."""
    actor.require(act, line.source.warehouse_id)
    if line.dest.warehouse_id != line.source.warehouse_id:
        actor.require(act, line.dest.warehouse_id)


@dataclass(frozen=True)
class PostingResult:
    moves: list[MoveRecord]
    replayed: bool
    #: an adjustment's or scrap's document number, and its state (``posted``, or ``submitted``
    #: when it waits for approval and no move was written)
    document: str | None = None
    state: str | None = None


def _post(
    db: Database,
    ctx: Context,
    operation: Action,
    command: object,
    build: Callable[[Connection, datetime], list[MoveLine]],
) -> PostingResult:
    posted: list[MoveRecord] = []

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, list[int]]:
        lines = build(uow.conn, now)
        zone = expiry_zone(uow.conn, lines)
        for line in lines:
            require_in_warehouses(actor, operation, line)
            check_line(line, now.astimezone(zone).date(), zone)  # the bulk import's rules too
        done = ledger.post_lines(uow.conn, lines, actor.user_id, now)
        ids = [move.id for move in done]
        # the answer from what we hold; a read-back in this transaction if a look-up lacked it
        records = [
            posted_record(line, move, actor.username, now)
            for line, move in zip(lines, done, strict=True)
        ]
        posted[:] = [r for r in records if r is not None]
        if len(posted) != len(ids):
            posted[:] = moves_by_ids(uow.conn, ids)
        return {"move_ids": ids}

    result, replayed = run_write(db, ctx, operation, payload(command), work)
    if replayed:
        with db.read() as conn:
            return PostingResult(moves_by_ids(conn, result["move_ids"]), replayed)
    return PostingResult(list(posted), replayed)


def _reference(line: MoveLine, command: Receive | Issue | Transfer) -> MoveLine:
    ref = command.reference
    line.document_type, line.document_id, line.document_line = (
        ref.document_type,
        ref.document_id,
        ref.document_line,
    )
    return line


@dataclass(frozen=True)
class ResolvedQuantity:
    """What an operation form's item, quantity and unit will post, before it is posted."""

    item: str
    item_name: str | None
    #: the unit the quantity is in: the one given, else the scanned barcode's, else the base unit
    unit: str
    #: the unit came from the scanned barcode
    unit_from_barcode: bool
    base_unit: str
    #: None when no quantity was given yet (a scan alone)
    quantity: Decimal | None
    base_quantity: Decimal | None


def resolve_quantity(
    db: Database, item: str, quantity: str | None, unit: str | None
) -> ResolvedQuantity:
    """Resolve an item code or barcode, its unit and a (signed) quantity the way the operations
    do, without posting: what the pages show before the user posts.

    Raises NotFound (item, unit), InvalidInput (quantity, ``unit_conflicts_with_barcode``,
    ``unit_not_convertible``). Reads only."""
    with db.read() as conn:
        found, the_unit = item_and_unit(conn, item, unit)
        amount = base = None
        if quantity is not None and quantity.strip():
            amount = parse_decimal(quantity)
            scaled = base_quantity(conn, found, abs(amount), the_unit)
            base = from_scaled(scaled) * (-1 if amount < 0 else 1)
    return ResolvedQuantity(
        found.code,
        found.name,
        the_unit or found.base_unit,
        unit is None and the_unit is not None,
        found.base_unit,
        amount,
        base,
    )


# ---------------------------------------------------------------- receive
_RECEIPT_SOURCES = {
    "supplier": LocationKind.SUPPLIER,
    "customer": LocationKind.CUSTOMER,
    "production": LocationKind.PRODUCTION,
}


def receive_stock(db: Database, ctx: Context, command: Receive) -> PostingResult:
    """Receive goods from a supplier (or a customer return / production output) into a storage
    location. Creates the lot (or serial) on the fly if it is new; a new lot received into a
    quality location starts in quarantine.

    Raises NotFound (item, location, unit), InvalidInput (quantity, unit, cost), LotRequired,
    RuleViolation (location kinds, capacity, inactive), PeriodClosed, IdempotencyMismatch.
    Writes: one move supplier (customer, production) -> location, its balances and cost layer,
    maybe a lot.
    """
    if command.source not in _RECEIPT_SOURCES:
        raise InvalidInput(
            "receive from 'supplier', 'customer' or 'production'",
            code="invalid_receipt_source",
            source=command.source,
        )
    check_request(Operation.RECEIVE, unit_cost=command.unit_cost, note=command.note)

    def build(conn: Connection, now: datetime) -> list[MoveLine]:
        item, unit = item_and_unit(conn, command.item, command.unit)
        dest, source = lookups.location_with_virtual(
            conn, command.to_location, _RECEIPT_SOURCES[command.source]
        )
        qty = base_quantity(conn, item, command.quantity, unit)
        lot = lot_for(
            conn,
            item,
            command.lot,
            now,
            create=may_create_lot(Operation.RECEIVE, source.kind),
            expires_on=command.expires_on,
            manufactured_on=command.manufactured_on,
        )
        note = note_text(command.note)
        if command.supplier:
            note = f"supplier {command.supplier}" + (f": {note}" if note else "")
        line = MoveLine(
            Operation.RECEIVE,
            item,
            source,
            dest,
            qty,
            lot=lot,
            unit_cost=unit_cost_per_base(
                conn, item, command.unit_cost, unit, qty, command.quantity
            ),
            effective_at=command.effective_at,
            note=note,
        )
        return [_reference(line, command)]

    return _post(db, ctx, STOCK_RECEIVE, command, build)


# ---------------------------------------------------------------- issue
_ISSUE_TARGETS = {"customer": LocationKind.CUSTOMER, "production": LocationKind.PRODUCTION}


def issue_stock(db: Database, ctx: Context, command: Issue) -> PostingResult:
    """Issue goods out of a storage location to a customer (sale) or to production.

    Raises NotFound, InvalidInput, LotRequired, InsufficientStock (more than available),
    RuleViolation (lot not available or expired, kinds), PeriodClosed, IdempotencyMismatch.
    Writes: one move location -> customer/production, balances, consumed cost layers.
    """
    if command.to not in _ISSUE_TARGETS:
        raise InvalidInput(
            "issue to 'customer' or 'production'", code="invalid_issue_target", to=command.to
        )
    check_request(Operation.ISSUE, note=command.note)

    def build(conn: Connection, now: datetime) -> list[MoveLine]:
        item, unit = item_and_unit(conn, command.item, command.unit)
        source, dest = lookups.location_with_virtual(
            conn, command.from_location, _ISSUE_TARGETS[command.to]
        )
        qty = base_quantity(conn, item, command.quantity, unit)
        note = note_text(command.note)
        if command.customer:
            note = f"customer {command.customer}" + (f": {note}" if note else "")
        line = MoveLine(
            Operation.ISSUE,
            item,
            source,
            dest,
            qty,
            lot=existing_lot(conn, item, command.lot),
            effective_at=command.effective_at,
            note=note,
        )
        return [_reference(line, command)]

    return _post(db, ctx, STOCK_ISSUE, command, build)


# ---------------------------------------------------------------- transfer
def transfer_stock(db: Database, ctx: Context, command: Transfer) -> PostingResult:
    """Move goods between two locations (same or different warehouse, or via transit).

    Raises NotFound, InvalidInput, LotRequired, InsufficientStock, RuleViolation, PeriodClosed.
    Writes: one move, two balance rows. Value is unchanged.
    """
    check_request(Operation.MOVE, note=command.note)

    def build(conn: Connection, now: datetime) -> list[MoveLine]:
        item, unit = item_and_unit(conn, command.item, command.unit)
        source, dest = lookups.two_locations(conn, command.from_location, command.to_location)
        qty = base_quantity(conn, item, command.quantity, unit)
        line = MoveLine(
            Operation.MOVE,
            item,
            source,
            dest,
            qty,
            lot=existing_lot(conn, item, command.lot),
            effective_at=command.effective_at,
            note=note_text(command.note),
        )
        return [_reference(line, command)]

    return _post(db, ctx, STOCK_TRANSFER, command, build)


# ---------------------------------------------------------------- adjust and scrap
def _post_adjustment(
    db: Database,
    ctx: Context,
    operation: Action,
    command: Adjust | Scrap,
    direction: Callable[[], str],
    build: Callable[[Connection, datetime], tuple[list[MoveLine], str | None]],
) -> PostingResult:
    """A manual adjustment or scrap: a one-line adjustment document, posted in the same
    transaction when it needs no approval (``services.adjustments.raise_and_post``); else it
    waits for approval and no move is written (``state`` says ``submitted``)."""
    posted: list[MoveRecord] = []

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        kind = reason_kind(direction())
        check_reason_code(command.reason_code, kind, reason_store.codes_of(conn, [kind])[kind])
        lines, unit = build(conn, now)
        zone = expiry_zone(conn, lines)
        for line in lines:
            require_in_warehouses(actor, operation, line)
            check_line(line, now.astimezone(zone).date(), zone)
        ref = command.reference
        reference = " ".join(str(x) for x in (ref.document_type, ref.document_id) if x) or None
        done = raise_and_post(
            conn, actor, now, lines, direction(), unit=unit,
            reference=reference[:100] if reference else None,
        )  # fmt: skip
        if done["move_ids"]:
            posted[:] = moves_by_ids(conn, done["move_ids"])
        return done

    result, replayed = run_write(db, ctx, operation, payload(command), work)
    if replayed:
        with db.read() as conn:
            posted[:] = moves_by_ids(conn, result["move_ids"])
    else:
        deliver_outbox(db)
    return PostingResult(list(posted), replayed, result["number"], result["state"])


def adjust_stock(db: Database, ctx: Context, command: Adjust) -> PostingResult:
    """Correct stock at a location with a reason from the company's adjustment list: a
    positive quantity is a gain (from the warehouse's adjustment location), a negative one a
    loss (to it). It is a one-line adjustment document (``PostingResult.document``), posted at
    once unless worth more than the company's adjustment approval threshold: then it waits for
    approval (``state`` ``submitted``, no moves).

    Raises InvalidInput (zero quantity, ``reason_required``, ``unknown_reason_code``),
    RuleViolation ``reason_code_inactive``, NotFound, InsufficientStock for a loss larger than
    available, RuleViolation, PeriodClosed. Writes: the adjustment, maybe one move, balances,
    cost layers.
    """
    unit_cost_value(command.unit_cost)
    check_note(command.note)
    signed = parse_decimal(command.quantity)
    moved_quantity(Operation.ADJUST, abs(signed))  # zero is refused as such

    def build(conn: Connection, now: datetime) -> tuple[list[MoveLine], str | None]:
        item, unit = item_and_unit(conn, command.item, command.unit)
        location, adjustment = lookups.location_with_virtual(
            conn, command.location, LocationKind.ADJUSTMENT
        )
        qty = base_quantity(conn, item, abs(signed), unit)
        gain = signed > 0
        source, dest = (adjustment, location) if gain else (location, adjustment)
        lot = lot_for(
            conn,
            item,
            command.lot,
            now,
            create=may_create_lot(Operation.ADJUST, source.kind),
            expires_on=command.expires_on,
        )
        cost = (
            unit_cost_per_base(conn, item, command.unit_cost, unit, qty, abs(signed))
            if gain
            else None
        )
        line = MoveLine(
            Operation.ADJUST,
            item,
            source,
            dest,
            qty,
            lot=lot,
            unit_cost=cost,
            effective_at=command.effective_at,
            note=note_text(command.note),
            reason_code=command.reason_code,
        )
        return [line], unit

    def direction() -> str:
        return "gain" if signed > 0 else "loss"

    return _post_adjustment(db, ctx, STOCK_ADJUST, command, direction, build)


def scrap_stock(db: Database, ctx: Context, command: Scrap) -> PostingResult:
    """Scrap goods (damaged, expired, defective) with a reason from the company's scrap list:
    a one-line adjustment document whose move goes to the warehouse's scrap location, posted
    at once unless worth more than the company's adjustment approval threshold (then it waits;
    see ``adjust_stock``).

    Raises InvalidInput (``reason_required``, ``unknown_reason_code``), RuleViolation
    ``reason_code_inactive``, NotFound, InsufficientStock, RuleViolation, PeriodClosed.
    Writes: the adjustment, maybe one move, balances, consumed cost layers.
    """
    check_note(command.note)

    def build(conn: Connection, now: datetime) -> tuple[list[MoveLine], str | None]:
        item, unit = item_and_unit(conn, command.item, command.unit)
        source, dest = lookups.location_with_virtual(
            conn, command.from_location, LocationKind.SCRAP
        )
        qty = base_quantity(conn, item, command.quantity, unit)
        line = MoveLine(
            Operation.SCRAP,
            item,
            source,
            dest,
            qty,
            lot=existing_lot(conn, item, command.lot),
            effective_at=command.effective_at,
            note=note_text(command.note),
            reason_code=command.reason_code,
        )
        return [line], unit

    return _post_adjustment(db, ctx, STOCK_SCRAP, command, lambda: "scrap", build)


# ---------------------------------------------------------------- reverse
def reverse_move(db: Database, ctx: Context, command: Reverse) -> PostingResult:
    """Reverse an earlier move with a move in the opposite direction (same item, lot, quantity
    and cost). A move is reversed at most once; a reversal is not itself reversed.

    Raises NotFound (move), Conflict (already reversed), RuleViolation (a reversal, or
    not enough stock left to take back), PeriodClosed. Writes: one move, balances, costs.
    """

    def build(conn: Connection, now: datetime) -> list[MoveLine]:
        original = conn.execute(select(moves).where(moves.c.id == command.move_id)).first()
        if original is None:
            raise NotFound("move", command.move_id)
        if original.reverses_move_id is not None:
            raise RuleViolation(
                "a reversal cannot be reversed; post a new move",
                code="cannot_reverse_reversal",
                move=command.move_id,
            )
        already = conn.execute(
            select(moves.c.id).where(moves.c.reverses_move_id == command.move_id)
        ).scalar()
        if already is not None:
            raise Conflict(
                f"move {command.move_id} is already reversed by move {already}",
                code="move_already_reversed",
                reversed_by=already,
            )
        item = lookups.item_by_id(conn, original.item_id)
        source = lookups.location_by_id(conn, original.to_location_id)
        dest = lookups.location_by_id(conn, original.from_location_id)
        lot = lookups.lot_by_id(conn, original.lot_id) if original.lot_id else None
        note = note_text(command.note) or f"reversal of move {original.id}"
        line = MoveLine(
            Operation.REVERSE,
            _active(item),
            _active_loc(source),
            _active_loc(dest),
            original.quantity,
            lot=lot,
            unit_cost=original.unit_cost,
            effective_at=command.effective_at,
            note=note,
            reverses_move_id=original.id,
            prefer_layer_of_move=original.id,
            reason_code=original.reason_code,
            document_type=original.document_type,
            document_id=original.document_id,
            document_line=original.document_line,
        )
        return [line]

    return _post(db, ctx, STOCK_REVERSE, command, build)


def _active(item: ItemInfo) -> ItemInfo:
    # a correction must stay possible after deactivation
    return dataclasses.replace(item, active=True)


def _active_loc(location: LocationInfo) -> LocationInfo:
    return dataclasses.replace(location, active=True)
